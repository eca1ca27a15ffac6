/*
 * elementary_cos.h -- fastgd's own cosine, bit-reproducible on any IEEE-754
 * binary64 machine (x86-64 SSE2, aarch64, ...), whatever its C library.
 *
 *     static inline double fgd_cos(double x);
 *
 * fastgd/_elementary_cos.py is the same function in plain Python, written
 * line for line with the same operations in the same order; both must give
 * the same bits for every double (tests/test_elementary_cos.py checks it).
 * Change the two together or not at all.  The module docstring there states
 * the algorithm, every constant and the measured error.
 *
 * Algorithm (fdlibm's, as in FreeBSD msun s_cos.c, k_cos.c, k_sin.c,
 * e_rem_pio2.c and k_rem_pio2.c; rewritten here without libm calls):
 *   - |x| is used (cos is even); the sign bit is cleared with bit operations.
 *   - |x| <= ~pi/4: polynomial kernel_cos(x, 0) (|x| < 2^-27: exactly 1).
 *   - inf / NaN: a quiet NaN with fixed bits 0x7ff8000000000000.
 *   - |x| < ~2^20*pi/2: Cody-Waite reduction x = n*pi/2 + (y0 + y1) with
 *     pi/2 in three 33-bit pieces (up to three rounds, depending on the
 *     cancellation seen), n by the round-to-nearest trick 0x1.8p52.
 *   - larger |x|: Payne-Hanek reduction with 2/pi in 24-bit chunks held
 *     in doubles (all products of 24-bit integers are exact in binary64).
 *   - result by n mod 4: kernel_cos(y0,y1), -kernel_sin(y0,y1),
 *     -kernel_cos(y0,y1), kernel_sin(y0,y1).
 *
 * Arithmetic used: + - * on doubles, comparisons, conversions between
 * double and int32_t / int64_t of values that fit, and reading / writing
 * the bits of a double through memcpy with a uint64_t.  No libm call.
 * scalbn(z, k) is a multiplication by 2^k built from bits (exact: no
 * operand here overflows or underflows); floor(z) of the non-negative z
 * below 2^53 is (double)(int64_t)z.
 *
 * Requirements for bit-reproducibility: binary64 evaluated in binary64
 * (FLT_EVAL_METHOD 0: SSE2 on x86, never x87), round-to-nearest-even, and
 * NO contraction of a*b+c into a fused multiply-add: compile with
 * -ffp-contract=off (GCC defaults to "fast" in GNU modes, and aarch64 has
 * FMA).  The pragmas below also switch contraction off for this code where
 * the compiler lets a header do it (GCC's optimize pragma, clang's and
 * MSVC's fp_contract; an explicit clang -ffp-contract=fast overrides every
 * pragma), so a build that forgets the flag still gets these bits; the flag
 * stays required for the rest of fastgd.  No -ffast-math / -Ofast / /fp:fast.
 *
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 * (The algorithm, the polynomial coefficients and the split constants of
 * pi/2 come from fdlibm, hence the notice above.)
 */
#ifndef FASTGD_ELEMENTARY_COS_H
#define FASTGD_ELEMENTARY_COS_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0 && FLT_EVAL_METHOD != -1
#error "elementary_cos.h needs double arithmetic evaluated in double (FLT_EVAL_METHOD 0: SSE2, not x87)"
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#if _MSC_VER < 1910
#error "elementary_cos.h needs hexadecimal floating literals (MSVC 2017 or later)"
#endif
#pragma fp_contract(off)
#elif defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__) && !defined(FGD_COS_NO_GCC_PRAGMA)
/* GCC ignores STDC FP_CONTRACT; this keeps fgd_cos unfused even in a build
   that forgot -ffp-contract=off (such a build is still wrong elsewhere). */
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#define FGD_COS_GCC_POP_ 1
#endif

#if defined(_MSC_VER) && !defined(__cplusplus)
#define FGD_COS_INLINE_ static __inline
#else
#define FGD_COS_INLINE_ static inline
#endif

/* ---- constants (the same hex literals as fastgd/_elementary_cos.py) ---- */

/* kernel_cos: cos(x) ~ 1 - x^2/2 + C1 x^4 + ... + C6 x^14 on [-pi/4, pi/4] */
#define FGD_COS_C1_ (0x1.555555555554cp-5)
#define FGD_COS_C2_ (-0x1.6c16c16c15177p-10)
#define FGD_COS_C3_ (0x1.a01a019cb1590p-16)
#define FGD_COS_C4_ (-0x1.27e4f809c52adp-22)
#define FGD_COS_C5_ (0x1.1ee9ebdb4b1c4p-29)
#define FGD_COS_C6_ (-0x1.8fae9be8838d4p-37)
/* kernel_sin: sin(x) ~ x + S1 x^3 + ... + S6 x^13 on [-pi/4, pi/4] */
#define FGD_COS_S1_ (-0x1.5555555555549p-3)
#define FGD_COS_S2_ (0x1.111111110f8a6p-7)
#define FGD_COS_S3_ (-0x1.a01a019c161d5p-13)
#define FGD_COS_S4_ (0x1.71de357b1fe7dp-19)
#define FGD_COS_S5_ (-0x1.ae5e68a2b9cebp-26)
#define FGD_COS_S6_ (0x1.5d93a5acfd57cp-33)
/* Cody-Waite: 2/pi to 53 bits, pi/2 = P1 + P2 + P3 + P3T (33-bit pieces)
   and the tails P1T = pi/2 - P1, P2T = pi/2 - P1 - P2 */
#define FGD_COS_INVPIO2_ (0x1.45f306dc9c883p-1)
#define FGD_COS_PIO2_1_ (0x1.921fb54400000p+0)
#define FGD_COS_PIO2_1T_ (0x1.0b4611a626331p-34)
#define FGD_COS_PIO2_2_ (0x1.0b4611a600000p-34)
#define FGD_COS_PIO2_2T_ (0x1.3198a2e037073p-69)
#define FGD_COS_PIO2_3_ (0x1.3198a2e000000p-69)
#define FGD_COS_PIO2_3T_ (0x1.b839a252049c1p-104)
/* round-to-nearest-integer shifter, 2^24, 2^-24 */
#define FGD_COS_TOINT_ (0x1.8000000000000p+52)
#define FGD_COS_TWO24_ (0x1.0000000000000p+24)
#define FGD_COS_TWON24_ (0x1.0000000000000p-24)

/* Payne-Hanek: bits 24*i .. 24*i+23 of 2/pi after the binary point, as
   integers (value ipio2[i] * 2^(-24*(i+1))); 66 chunks = 1584 bits, enough
   for every double (e0 <= 1000, jk = 4, plus recomputation terms). */
static const int32_t fgd_cos_ipio2_[66] = {
    0xA2F983, 0x6E4E44, 0x1529FC, 0x2757D1, 0xF534DD, 0xC0DB62,
    0x95993C, 0x439041, 0xFE5163, 0xABDEBB, 0xC561B7, 0x246E3A,
    0x424DD2, 0xE00649, 0x2EEA09, 0xD1921C, 0xFE1DEB, 0x1CB129,
    0xA73EE8, 0x8235F5, 0x2EBB44, 0x84E99C, 0x7026B4, 0x5F7E41,
    0x3991D6, 0x398353, 0x39F49C, 0x845F8B, 0xBDF928, 0x3B1FF8,
    0x97FFDE, 0x05980F, 0xEF2F11, 0x8B5A0A, 0x6D1F6D, 0x367ECF,
    0x27CB09, 0xB74F46, 0x3F669E, 0x5FEA2D, 0x7527BA, 0xC7EBE5,
    0xF17B3D, 0x0739F7, 0x8A5292, 0xEA6BFB, 0x5FB11F, 0x8D5D08,
    0x560330, 0x46FC7B, 0x6BABF0, 0xCFBC20, 0x9AF436, 0x1DA9E3,
    0x91615E, 0xE61B08, 0x659985, 0x5F14A0, 0x68408D, 0xFFD880,
    0x4D7327, 0x310606, 0x1556CA, 0x73A8C9, 0x60E27B, 0xC08C6B,
};

/* pi/2 cut into doubles of 24 significant bits each */
static const double fgd_cos_pio2_chunks_[8] = {
    0x1.921fb40000000p+0,
    0x1.4442d00000000p-24,
    0x1.8469880000000p-48,
    0x1.8cc5160000000p-72,
    0x1.01b8380000000p-96,
    0x1.a252040000000p-120,
    0x1.3822280000000p-145,
    0x1.9f31d00000000p-169,
};

/* ---- bit access ---- */

FGD_COS_INLINE_ uint64_t fgd_cos_bits_(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

FGD_COS_INLINE_ double fgd_cos_from_bits_(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 2^k for -1022 <= k <= 1023 (exact, from the bits) */
FGD_COS_INLINE_ double fgd_cos_pow2_(int32_t k)
{
    return fgd_cos_from_bits_((uint64_t)(k + 1023) << 52);
}

/* high 32 bits of x, as fdlibm's GET_HIGH_WORD (sign bit 0 here) */
FGD_COS_INLINE_ int32_t fgd_cos_high_(double x)
{
    return (int32_t)(fgd_cos_bits_(x) >> 32);
}

/* ---- kernels on [-pi/4, pi/4]; y is the tail of x ---- */

FGD_COS_INLINE_ double fgd_cos_kernel_cos_(double x, double y)
{
    double z, w, r, hz;
    z = x * x;
    w = z * z;
    r = z * (FGD_COS_C1_ + z * (FGD_COS_C2_ + z * FGD_COS_C3_))
        + w * w * (FGD_COS_C4_ + z * (FGD_COS_C5_ + z * FGD_COS_C6_));
    hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}

FGD_COS_INLINE_ double fgd_cos_kernel_sin_(double x, double y)
{
    double z, w, r, v;
    z = x * x;
    w = z * z;
    r = FGD_COS_S2_ + z * (FGD_COS_S3_ + z * FGD_COS_S4_)
        + z * w * (FGD_COS_S5_ + z * FGD_COS_S6_);
    v = z * x;
    return x - ((z * (0.5 * y - v * r) - y) - v * FGD_COS_S1_);
}

/* ---- Payne-Hanek (fdlibm __kernel_rem_pio2 for double precision) ----
 * x[0..nx-1]: 24-bit integer pieces of the argument, whose value is
 * sum x[i] * 2^(e0 - 24*i).  Returns n mod 8 and y[0] + y[1] = argument
 * - n*pi/2 with |y| <= ~pi/4. */
FGD_COS_INLINE_ int32_t fgd_cos_rem_pio2_large_(const double *x, double *y,
                                                int32_t e0, int32_t nx)
{
    int32_t jz, jx, jv, jp, jk, carry, n, i, j, k, m, q0, ih, done;
    int32_t iq[20];
    double z, fw;
    double f[20], fq[20], q[20];

    jk = 4;
    jp = jk;

    /* jv: the first chunk of 2/pi whose product with x is not 0 mod 8 */
    jx = nx - 1;
    jv = 0;
    if (e0 >= 3) {
        jv = (e0 - 3) / 24;
    }
    q0 = e0 - 24 * (jv + 1);

    /* f[0..jx+jk] = ipio2[jv-jx .. jv+jk] (0 before the table starts) */
    j = jv - jx;
    m = jx + jk;
    for (i = 0; i <= m; i++) {
        if (j < 0) {
            f[i] = 0.0;
        } else {
            f[i] = (double)fgd_cos_ipio2_[j];
        }
        j++;
    }

    /* q[i] = sum_j x[j] * f[jx+i-j]: exact (integers below 2^50) */
    for (i = 0; i <= jk; i++) {
        fw = 0.0;
        for (j = 0; j <= jx; j++) {
            fw = fw + x[j] * f[jx + i - j];
        }
        q[i] = fw;
    }

    jz = jk;
    n = 0;
    ih = 0;
    z = 0.0;
    done = 0;
    while (done == 0) {
        /* distill q[] into 24-bit integers iq[], most significant first */
        i = 0;
        j = jz;
        z = q[jz];
        while (j > 0) {
            fw = (double)((int32_t)(FGD_COS_TWON24_ * z));
            iq[i] = (int32_t)(z - FGD_COS_TWO24_ * fw);
            z = q[j - 1] + fw;
            i++;
            j--;
        }

        /* n: the integer part mod 8; z its fraction (z >= 0 here) */
        z = z * fgd_cos_pow2_(q0);
        z = z - 8.0 * (double)((int64_t)(z * 0.125));
        n = (int32_t)z;
        z = z - (double)n;
        ih = 0;
        if (q0 > 0) {
            i = iq[jz - 1] >> (24 - q0);
            n = n + i;
            iq[jz - 1] = iq[jz - 1] - (i << (24 - q0));
            ih = iq[jz - 1] >> (23 - q0);
        } else if (q0 == 0) {
            ih = iq[jz - 1] >> 23;
        } else if (z >= 0.5) {
            ih = 2;
        }

        if (ih > 0) {
            /* fraction >= 1/2: take n+1 and the fraction 1 - q */
            n = n + 1;
            carry = 0;
            for (i = 0; i < jz; i++) {
                j = iq[i];
                if (carry == 0) {
                    if (j != 0) {
                        carry = 1;
                        iq[i] = 0x1000000 - j;
                    }
                } else {
                    iq[i] = 0xffffff - j;
                }
            }
            if (q0 == 1) {
                iq[jz - 1] = iq[jz - 1] & 0x7fffff;
            } else if (q0 == 2) {
                iq[jz - 1] = iq[jz - 1] & 0x3fffff;
            }
            if (ih == 2) {
                z = 1.0 - z;
                if (carry != 0) {
                    z = z - fgd_cos_pow2_(q0);
                }
            }
        }

        done = 1;
        if (z == 0.0) {
            /* all the bits computed cancel: take more terms of 2/pi */
            j = 0;
            for (i = jz - 1; i >= jk; i--) {
                j = j | iq[i];
            }
            if (j == 0) {
                k = 1;
                while (iq[jk - k] == 0) {
                    k++;
                }
                for (i = jz + 1; i <= jz + k; i++) {
                    f[jx + i] = (double)fgd_cos_ipio2_[jv + i];
                    fw = 0.0;
                    for (j = 0; j <= jx; j++) {
                        fw = fw + x[j] * f[jx + i - j];
                    }
                    q[i] = fw;
                }
                jz = jz + k;
                done = 0;
            }
        }
    }

    /* chop off zero terms, or break the fraction z into 24-bit pieces */
    if (z == 0.0) {
        jz = jz - 1;
        q0 = q0 - 24;
        while (iq[jz] == 0) {
            jz--;
            q0 = q0 - 24;
        }
    } else {
        z = z * fgd_cos_pow2_(-q0);
        if (z >= FGD_COS_TWO24_) {
            fw = (double)((int32_t)(FGD_COS_TWON24_ * z));
            iq[jz] = (int32_t)(z - FGD_COS_TWO24_ * fw);
            jz = jz + 1;
            q0 = q0 + 24;
            iq[jz] = (int32_t)fw;
        } else {
            iq[jz] = (int32_t)z;
        }
    }

    /* the fraction as doubles q[i] = iq[i] * 2^(q0 - 24*i) (exact) */
    fw = fgd_cos_pow2_(q0);
    for (i = jz; i >= 0; i--) {
        q[i] = fw * (double)iq[i];
        fw = fw * FGD_COS_TWON24_;
    }

    /* fq[jz-i] = sum_k pio2_chunks[k] * q[i+k]: the fraction times pi/2 */
    for (i = jz; i >= 0; i--) {
        fw = 0.0;
        for (k = 0; k <= jp && k <= jz - i; k++) {
            fw = fw + fgd_cos_pio2_chunks_[k] * q[i + k];
        }
        fq[jz - i] = fw;
    }

    /* compress fq[] into y[0] + y[1] */
    fw = 0.0;
    for (i = jz; i >= 0; i--) {
        fw = fw + fq[i];
    }
    if (ih == 0) {
        y[0] = fw;
    } else {
        y[0] = -fw;
    }
    fw = fq[0] - fw;
    for (i = 1; i <= jz; i++) {
        fw = fw + fq[i];
    }
    if (ih == 0) {
        y[1] = fw;
    } else {
        y[1] = -fw;
    }
    return n & 7;
}

/* ---- reduction of ax = |x| (pi/4 < ax < inf): ax = n*pi/2 + y[0] + y[1] ---- */
FGD_COS_INLINE_ int32_t fgd_cos_rem_pio2_(double ax, double *y)
{
    double z, w, t, r, fn;
    double tx[3];
    int32_t e0, i, j, nx, n, ix, high;

    ix = fgd_cos_high_(ax);
    if (ix < 0x413921fb) {
        /* |x| < ~2^20 * pi/2: Cody-Waite; fn = nearest integer to ax*2/pi */
        fn = ax * FGD_COS_INVPIO2_ + FGD_COS_TOINT_;
        fn = fn - FGD_COS_TOINT_;
        n = (int32_t)fn;
        r = ax - fn * FGD_COS_PIO2_1_;
        w = fn * FGD_COS_PIO2_1T_;
        j = ix >> 20;
        y[0] = r - w;
        high = fgd_cos_high_(y[0]);
        i = j - ((high >> 20) & 0x7ff);
        if (i > 16) {
            /* cancellation: second round, good to 118 bits */
            t = r;
            w = fn * FGD_COS_PIO2_2_;
            r = t - w;
            w = fn * FGD_COS_PIO2_2T_ - ((t - r) - w);
            y[0] = r - w;
            high = fgd_cos_high_(y[0]);
            i = j - ((high >> 20) & 0x7ff);
            if (i > 49) {
                /* third round, good to 151 bits: covers every double */
                t = r;
                w = fn * FGD_COS_PIO2_3_;
                r = t - w;
                w = fn * FGD_COS_PIO2_3T_ - ((t - r) - w);
                y[0] = r - w;
            }
        }
        y[1] = (r - y[0]) - w;
        return n;
    }

    /* large: z = ax scaled into [2^23, 2^24), cut into 24-bit pieces */
    e0 = (ix >> 20) - 1046;
    z = fgd_cos_from_bits_((fgd_cos_bits_(ax) & (uint64_t)0x000fffffffffffff)
                           | ((uint64_t)1046 << 52));
    for (i = 0; i < 2; i++) {
        tx[i] = (double)((int32_t)z);
        z = (z - tx[i]) * FGD_COS_TWO24_;
    }
    tx[2] = z;
    nx = 3;
    while (tx[nx - 1] == 0.0) {
        nx--;
    }
    return fgd_cos_rem_pio2_large_(tx, y, e0, nx);
}

/* ---- cos ---- */
FGD_COS_INLINE_ double fgd_cos(double x)
{
    double ax;
    double y[2];
    int32_t n, ix;

    ax = fgd_cos_from_bits_(fgd_cos_bits_(x) & (uint64_t)0x7fffffffffffffff);
    ix = fgd_cos_high_(ax);
    if (ix <= 0x3fe921fb) {
        /* |x| < ~pi/4 */
        if (ix < 0x3e400000) {
            /* |x| < 2^-27 (zero and subnormal included): 1 - x^2/2 rounds to 1 */
            return 1.0;
        }
        return fgd_cos_kernel_cos_(ax, 0.0);
    }
    if (ix >= 0x7ff00000) {
        /* inf or NaN: a NaN with fixed bits */
        return fgd_cos_from_bits_((uint64_t)0x7ff8000000000000);
    }
    n = fgd_cos_rem_pio2_(ax, y);
    n = n & 3;
    if (n == 0) {
        return fgd_cos_kernel_cos_(y[0], y[1]);
    }
    if (n == 1) {
        return -fgd_cos_kernel_sin_(y[0], y[1]);
    }
    if (n == 2) {
        return -fgd_cos_kernel_cos_(y[0], y[1]);
    }
    return fgd_cos_kernel_sin_(y[0], y[1]);
}

#if defined(FGD_COS_GCC_POP_)
#pragma GCC pop_options
#undef FGD_COS_GCC_POP_
#endif

#endif /* FASTGD_ELEMENTARY_COS_H */
