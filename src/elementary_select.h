/* Which elementary functions the kernels call.
 *
 * Normally fastgd's own (elementary.h, elementary_cos.h): +, -, *, / and bit
 * operations only, the same bits on every CPU and C library.  The benchmark
 * baseline fastgd._kernels_libm is the same kernels built with
 * FASTGD_LIBM_ELEMENTARY defined, calling the C library's instead: it exists
 * only so that `fastgd bench` can time what fastgd's own functions cost, in
 * the same run.  Fits never load it.
 */
#ifndef FASTGD_ELEMENTARY_SELECT_H
#define FASTGD_ELEMENTARY_SELECT_H
#ifdef FASTGD_LIBM_ELEMENTARY
#include <math.h>
#define fgd_exp exp
#define fgd_log1p log1p
#define fgd_log log
#define fgd_pow pow
#define fgd_cos cos
/* pow's two halves, as the C library's pow: the baseline pays a whole pow per step */
static inline double fgd_log_ext(double x, double *lo) { *lo = 0.0; return x; }
#define fgd_pow_log(hi, lo, y) pow((hi), (y))
#else
#include "elementary.h"
#include "elementary_cos.h"
#endif
#endif
