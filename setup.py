"""Build declaration for fastgd's Cython kernels.

Compiler directives and flags live here and nowhere else.  Set
``FASTGD_BOUNDSCHECK=1`` in the environment when building to turn bounds and
wraparound checks back on (a debugging build: an out-of-range index then
raises IndexError instead of reading stray memory).
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

extensions = [
    Extension(
        "fastgd._kernels",
        ["src/_kernels.pyx"],
        extra_compile_args=COMPILE_ARGS,
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES))
