# The same kernels as _kernels.pyx, built with FASTGD_LIBM_ELEMENTARY defined
# (see setup.py and elementary_select.h): they call the C library's exp, log1p,
# pow and cos instead of fastgd's own.  Only `fastgd bench` loads this module,
# as the baseline of the "elementary functions" rows; fits never do.
include "_kernels.pyx"
