"""Loads the compiled kernels once, for the rest of the package.

The kernels are built twice from one source (see setup.py): ``_kernels`` for
any x86-64 (or other) CPU, and ``_kernels_avx2`` with AVX2 enabled.  Both
return the same bits; the AVX2 build is loaded when the CPU has AVX2, unless
``FASTGD_KERNELS=baseline`` asks for the other (``FASTGD_KERNELS=avx2`` insists
on AVX2).

Two more cares at load time:

- A clear error when the kernels are missing, which is what happens when
  Python imports an unbuilt source tree (for example ``python -m fastgd`` run
  from the root of a clone) instead of the installed package.
- GNU OpenMP's wait policy.  By default libgomp's idle threads spin for a long
  while before they sleep; when other processes keep the cores busy, a spinning
  thread takes the core that the thread everyone waits for needs, and a
  parallel batch epoch can run ten times slower than on one thread (measured:
  17x with two busy processes on two cores).  A short spin (``GOMP_SPINCOUNT``)
  costs nothing on an idle machine and removes that collapse.  libgomp reads
  the variable once, when it is loaded, so it is set only around the import of
  the kernels (and only when the user has set neither it nor
  ``OMP_WAIT_POLICY``); it is removed again at once, so child processes and
  other libraries never see it.
"""
import os
from pathlib import Path

_SPIN_VARIABLES = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
_SHORT_SPIN = "10000"  # iterations, a few microseconds


def _load_kernels():
    set_here = not any(name in os.environ for name in _SPIN_VARIABLES)
    if set_here:
        os.environ["GOMP_SPINCOUNT"] = _SHORT_SPIN
    try:
        from . import _kernels
        choice = os.environ.get("FASTGD_KERNELS", "").strip().lower() or "auto"
        if choice not in ("auto", "baseline", "avx2"):
            raise ImportError(f"FASTGD_KERNELS must be auto, baseline or avx2, got {choice!r}")
        if choice == "avx2" and not _kernels.cpu_supports_avx2():
            # Loading it anyway would end the process with an illegal instruction.
            raise ImportError("FASTGD_KERNELS=avx2, but this CPU has no AVX2")
        if choice == "avx2" or (choice == "auto" and _kernels.cpu_supports_avx2()):
            try:
                from . import _kernels_avx2 as _kernels
            except ImportError:
                if choice == "avx2":
                    raise
    except ImportError as exc:
        package = Path(__file__).resolve().parent
        if any(package.glob("_kernels*.so")) or any(package.glob("_kernels*.pyd")):
            raise
        raise ImportError(
            f"fastgd's compiled kernels (fastgd._kernels) are missing from {package}. "
            f"This looks like an unbuilt source tree: install fastgd with `pip install .` "
            f"and run Python from another directory, or build in place with "
            f"`pip install -e .`") from exc
    finally:
        if set_here:
            del os.environ["GOMP_SPINCOUNT"]
    return _kernels


kernels = _load_kernels()
