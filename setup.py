"""Build declaration for fastgd's Cython kernels.

Compiler directives and flags live here and nowhere else.  Set
``FASTGD_BOUNDSCHECK=1`` in the environment when building to turn bounds and
wraparound checks back on (a debugging build: an out-of-range index then
raises IndexError instead of reading stray memory).  Set
``FASTGD_NO_OPENMP=1`` to build without OpenMP (as happens anyway when the
compiler has none): the kernels then run on one thread, with the same results.
"""
import os
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

extensions = [
    Extension(
        "fastgd._kernels",
        ["src/_kernels.pyx"],
        extra_compile_args=COMPILE_ARGS + OPENMP,
        extra_link_args=OPENMP,
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES))
