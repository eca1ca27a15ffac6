# The same kernels as _kernels.pyx, compiled for CPUs with AVX2 (see setup.py);
# fastgd._native picks this module at import time when the CPU has AVX2.
include "_kernels.pyx"
