"""Build declaration for fastgd's Cython kernels.

Compiler directives and flags live here and nowhere else.  Set
``FASTGD_BOUNDSCHECK=1`` in the environment when building to turn bounds and
wraparound checks back on (a debugging build: an out-of-range index then
raises IndexError instead of reading stray memory).  Set
``FASTGD_NO_OPENMP=1`` to build without OpenMP (as happens anyway when the
compiler has none): the kernels then run on one thread, with the same results.
Set ``FASTGD_NO_AVX2=1`` to skip the AVX2 build of the kernels, and
``FASTGD_NO_LIBM_BASELINE=1`` to skip ``fastgd._kernels_libm`` (the benchmark
baseline built with the C library's exp, log1p, pow and cos).  Set
``FASTGD_SANITIZE=address`` (or any list ``-fsanitize=`` takes) to build with
the compiler's sanitizers, for ``.ci/memcheck``; such a build must run with the
sanitizer runtime preloaded (see the README).
"""
import os
import platform
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG_CHECKS = os.environ.get("FASTGD_BOUNDSCHECK", "") not in ("", "0")

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG_CHECKS,
    "wraparound": DEBUG_CHECKS,
    "initializedcheck": DEBUG_CHECKS,
    "cdivision": True,
}

if sys.platform == "win32":
    # MSVC does not contract a*b+c into an FMA unless asked (/fp:precise).
    COMPILE_ARGS = ["/O2", "/fp:precise"]
else:
    # The arithmetic contract (see fastgd/reference.py) needs every multiply
    # and add rounded separately: no FMA contraction, no fast-math, and a
    # baseline instruction set so the wheel runs on any x86-64.
    COMPILE_ARGS = ["-O3", "-ffp-contract=off", "-fno-math-errno"]


def openmp_flags():
    """Compile and link flags for OpenMP, or none where the compiler lacks it.

    Without OpenMP the kernels' ``prange`` loops run serially; the results are
    the same bits either way (see the chunk rule in fastgd/reference.py).
    """
    if os.environ.get("FASTGD_NO_OPENMP", "") not in ("", "0") or sys.platform == "win32":
        return []
    import shutil
    import subprocess
    import tempfile

    cc = os.environ.get("CC", "cc").split()[0]
    if shutil.which(cc) is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n")
        ok = subprocess.call([cc, "-fopenmp", src, "-o", os.path.join(tmp, "omp")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    return ["-fopenmp"] if ok else []


OPENMP = openmp_flags()

SANITIZE = os.environ.get("FASTGD_SANITIZE", "")
SANITIZER_FLAGS = [f"-fsanitize={SANITIZE}", "-fno-omit-frame-pointer", "-g"] if SANITIZE else []

# The kernels are built twice from one source on x86-64: for the baseline
# instruction set (runs anywhere) and with AVX2 enabled, which fastgd._native
# loads when the CPU has it.  Both give the same bits: without fast-math flags the
# compiler may only vectorise loops whose lanes are independent (the partial
# sums and the element-wise updates), and -mavx2 does not enable FMA.
X86_64 = platform.machine().lower() in ("x86_64", "amd64") and sys.platform != "win32"
VARIANTS = [("fastgd._kernels", "src/_kernels.pyx", [], [])]
if X86_64 and os.environ.get("FASTGD_NO_AVX2", "") in ("", "0"):
    VARIANTS.append(("fastgd._kernels_avx2", "src/_kernels_avx2.pyx", ["-mavx2"], []))
# The benchmark baseline: the baseline build with the C library's exp, log1p,
# pow and cos (see src/elementary_select.h); `fastgd bench` times fastgd's own
# functions against it.  FASTGD_NO_LIBM_BASELINE=1 skips it (the bench rows
# then say "not installed").
if os.environ.get("FASTGD_NO_LIBM_BASELINE", "") in ("", "0"):
    VARIANTS.append(("fastgd._kernels_libm", "src/_kernels_libm.pyx", [],
                     [("FASTGD_LIBM_ELEMENTARY", "1")]))

extensions = [
    Extension(name, [source], include_dirs=["src"], define_macros=macros,
              extra_compile_args=COMPILE_ARGS + OPENMP + flags + SANITIZER_FLAGS,
              extra_link_args=OPENMP + SANITIZER_FLAGS,
              depends=["src/_kernels.pyx", "src/elementary_select.h", "src/elementary.h",
                       "src/elementary_cos.h"])
    for name, source, flags, macros in VARIANTS
]

setup(ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES))
