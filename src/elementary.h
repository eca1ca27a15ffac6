/*
 * fastgd's own exp, log1p, log and pow: the same bits on every IEEE-754 machine.
 *
 * The C library's versions differ by CPU and vendor (glibc picks an FMA or a
 * non-FMA variant at load time; macOS, Windows and musl have their own), so the
 * kernels use these instead.  Their Python twin, operation for operation in
 * the same order, is fastgd/elementary.py, whose module docstring is the
 * specification: algorithms, every constant (in the hex form written here),
 * special cases and the measured accuracy.  Change one, change the other.
 *
 * The algorithms:
 *   - exp and pow: ARM's optimized-routines (math/exp.c, math/pow.c, the ones
 *     glibc and musl ship; "Copyright (c) 2018, Arm Limited.  SPDX-License-
 *     Identifier: MIT"), their non-FMA variants: exp with a 128-entry table of
 *     2^(j/128) and a degree-5 polynomial, pow as exp(y*log(x)) with log(x)
 *     carried in two doubles (a 128-entry table and a degree-8 polynomial);
 *   - log1p and log: Sun's fdlibm as kept in FreeBSD's msun (s_log1p.c,
 *     e_log.c; "Copyright (C) 1993 by Sun Microsystems, Inc. All rights
 *     reserved.  Permission to use, copy, modify, and distribute this software
 *     is freely granted, provided that this notice is preserved.").
 * with these changes:
 *   - no libm call: bits are read and written through memcpy, and powers of
 *     two are built from their bits;
 *   - every NaN returned is 0x7ff8000000000000, whatever NaN was passed in and
 *     for every invalid operation (log of a negative number, ...): never a NaN
 *     that an arithmetic operation made (x86 and ARM make different ones);
 *   - no integer operation with undefined or implementation-defined behaviour
 *     (no shift of a negative number, no out-of-range conversion);
 *   - pow's special cases are sorted so that pow is exactly fgd_log_ext
 *     (log x as hi + lo) followed by fgd_pow_log (exp(y*(hi + lo))) for every
 *     x with the sign bit clear (+0, +inf and NaN included): a caller raising
 *     one x to many powers can keep hi, lo.
 *
 * Only +, -, *, / on doubles, comparisons, integer operations and memcpy.
 * Requirements on the compiler (all checked where a macro allows):
 *   - every double operation rounded to double (SSE2 or AArch64; not x87);
 *   - no contraction of a*b+c into a fused multiply-add: build with
 *     -ffp-contract=off, never with -ffast-math or -Ofast (the pragmas below
 *     also keep these functions unfused under GCC's -ffp-contract=fast and
 *     clang's default -ffp-contract=on, but nothing can under clang's
 *     -ffp-contract=fast);
 *   - C99 hexadecimal floating constants.
 */
#ifndef FASTGD_ELEMENTARY_H
#define FASTGD_ELEMENTARY_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#if defined(__FAST_MATH__)
#error "fastgd's elementary.h must not be compiled with -ffast-math (it needs IEEE-754 arithmetic)"
#endif
#if defined(FLT_EVAL_METHOD) && (FLT_EVAL_METHOD == 1 || FLT_EVAL_METHOD == 2) \
    && !defined(FGD_ALLOW_EXCESS_PRECISION)
#error "fastgd's elementary.h needs doubles evaluated in double precision (SSE2, not x87)"
#endif

#if defined(__clang__)
/* Clang contracts a*b+c within an expression unless told not to. */
#define FGD_NO_CONTRACT _Pragma("STDC FP_CONTRACT OFF")
#else
#define FGD_NO_CONTRACT
#endif
#if defined(_MSC_VER) && !defined(__clang__)
/* File scope (MSVC allows it nowhere else): the including file is built
 * without contraction as well, as fastgd's kernels are anyway. */
#pragma fp_contract(off)
#elif defined(__GNUC__) && !defined(__clang__) && !defined(FGD_NO_GCC_PRAGMA)
/* GCC ignores STDC FP_CONTRACT.  These functions are compiled with
 * -ffp-contract=off even if the including file is not; GCC then does not inline
 * them into a caller built with other contraction settings (slower, still right). */
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#define FGD_GCC_POP_OPTIONS 1
#endif

#if defined(_MSC_VER) && !defined(__clang__) && _MSC_VER < 1910
#error "fastgd's elementary.h needs hexadecimal floating constants (MSVC 2017 or later)"
#endif
#if defined(_MSC_VER) && !defined(__cplusplus)
#define FGD_INLINE static __inline
#else
#define FGD_INLINE static inline
#endif

/* ------------------------------------------------------------ bit access */

FGD_INLINE uint64_t fgd__bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
FGD_INLINE double fgd__double(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
/* The high 32 bits as a signed integer (fdlibm's GET_HIGH_WORD). */
FGD_INLINE int32_t fgd__hi(double x)
{
    uint32_t h = (uint32_t)(fgd__bits(x) >> 32);
    int32_t i;
    memcpy(&i, &h, sizeof i);
    return i;
}
/* The low 32 bits (GET_LOW_WORD). */
FGD_INLINE uint32_t fgd__lo(double x) { return (uint32_t)(fgd__bits(x) & 0xffffffffu); }
/* x with its high word replaced (SET_HIGH_WORD). */
FGD_INLINE double fgd__set_hi(double x, int32_t hi)
{
    uint32_t h;
    memcpy(&h, &hi, sizeof h);
    return fgd__double(((uint64_t)h << 32) | (fgd__bits(x) & 0xffffffffu));
}
FGD_INLINE double fgd__inf(void) { return fgd__double(0x7ff0000000000000u); }
/* The only NaN these functions return (whatever NaN they are given). */
FGD_INLINE double fgd__nan(void) { return fgd__double(0x7ff8000000000000u); }

/* ------------------------------------------------------------------- exp */

/* 2^(j/128) = H_j * (1 + T_j) for j = 0..127, H_j = 2^(j/128) rounded to
 * nearest, T_j = 2^(j/128)/H_j - 1 rounded to nearest: entry 2j holds the bits
 * of T_j, entry 2j+1 the bits of H_j minus j << 45 (adding k << 45 then gives
 * the bits of 2^(k/128)/(1 + T_j) for any k = j mod 128).  Checked against
 * mpmath by tests/test_elementary.py. */
static const uint64_t fgd__exp_tab[256] = {
    0x0000000000000000u, 0x3ff0000000000000u,  /* 0 */
    0x3c9b3b4f1a88bf6eu, 0x3feff63da9fb3335u,  /* 1 */
    0xbc7160139cd8dc5du, 0x3fefec9a3e778061u,  /* 2 */
    0xbc905e7a108766d1u, 0x3fefe315e86e7f85u,  /* 3 */
    0x3c8cd2523567f613u, 0x3fefd9b0d3158574u,  /* 4 */
    0xbc8bce8023f98efau, 0x3fefd06b29ddf6deu,  /* 5 */
    0x3c60f74e61e6c861u, 0x3fefc74518759bc8u,  /* 6 */
    0x3c90a3e45b33d399u, 0x3fefbe3ecac6f383u,  /* 7 */
    0x3c979aa65d837b6du, 0x3fefb5586cf9890fu,  /* 8 */
    0x3c8eb51a92fdeffcu, 0x3fefac922b7247f7u,  /* 9 */
    0x3c3ebe3d702f9cd1u, 0x3fefa3ec32d3d1a2u,  /* 10 */
    0xbc6a033489906e0bu, 0x3fef9b66affed31bu,  /* 11 */
    0xbc9556522a2fbd0eu, 0x3fef9301d0125b51u,  /* 12 */
    0xbc5080ef8c4eea55u, 0x3fef8abdc06c31ccu,  /* 13 */
    0xbc91c923b9d5f416u, 0x3fef829aaea92de0u,  /* 14 */
    0x3c80d3e3e95c55afu, 0x3fef7a98c8a58e51u,  /* 15 */
    0xbc801b15eaa59348u, 0x3fef72b83c7d517bu,  /* 16 */
    0xbc8f1ff055de323du, 0x3fef6af9388c8deau,  /* 17 */
    0x3c8b898c3f1353bfu, 0x3fef635beb6fcb75u,  /* 18 */
    0xbc96d99c7611eb26u, 0x3fef5be084045cd4u,  /* 19 */
    0x3c9aecf73e3a2f60u, 0x3fef54873168b9aau,  /* 20 */
    0xbc8fe782cb86389du, 0x3fef4d5022fcd91du,  /* 21 */
    0x3c8a6f4144a6c38du, 0x3fef463b88628cd6u,  /* 22 */
    0x3c807a05b0e4047du, 0x3fef3f49917ddc96u,  /* 23 */
    0x3c968efde3a8a894u, 0x3fef387a6e756238u,  /* 24 */
    0x3c875e18f274487du, 0x3fef31ce4fb2a63fu,  /* 25 */
    0x3c80472b981fe7f2u, 0x3fef2b4565e27cddu,  /* 26 */
    0xbc96b87b3f71085eu, 0x3fef24dfe1f56381u,  /* 27 */
    0x3c82f7e16d09ab31u, 0x3fef1e9df51fdee1u,  /* 28 */
    0xbc3d219b1a6fbffau, 0x3fef187fd0dad990u,  /* 29 */
    0x3c8b3782720c0ab4u, 0x3fef1285a6e4030bu,  /* 30 */
    0x3c6e149289cecb8fu, 0x3fef0cafa93e2f56u,  /* 31 */
    0x3c834d754db0abb6u, 0x3fef06fe0a31b715u,  /* 32 */
    0x3c864201e2ac744cu, 0x3fef0170fc4cd831u,  /* 33 */
    0x3c8fdd395dd3f84au, 0x3feefc08b26416ffu,  /* 34 */
    0xbc86a3803b8e5b04u, 0x3feef6c55f929ff1u,  /* 35 */
    0xbc924aedcc4b5068u, 0x3feef1a7373aa9cbu,  /* 36 */
    0xbc9907f81b512d8eu, 0x3feeecae6d05d866u,  /* 37 */
    0xbc71d1e83e9436d2u, 0x3feee7db34e59ff7u,  /* 38 */
    0xbc991919b3ce1b15u, 0x3feee32dc313a8e5u,  /* 39 */
    0x3c859f48a72a4c6du, 0x3feedea64c123422u,  /* 40 */
    0xbc9312607a28698au, 0x3feeda4504ac801cu,  /* 41 */
    0xbc58a78f4817895bu, 0x3feed60a21f72e2au,  /* 42 */
    0xbc7c2c9b67499a1bu, 0x3feed1f5d950a897u,  /* 43 */
    0x3c4363ed60c2ac11u, 0x3feece086061892du,  /* 44 */
    0x3c9666093b0664efu, 0x3feeca41ed1d0057u,  /* 45 */
    0x3c6ecce1daa10379u, 0x3feec6a2b5c13cd0u,  /* 46 */
    0x3c93ff8e3f0f1230u, 0x3feec32af0d7d3deu,  /* 47 */
    0x3c7690cebb7aafb0u, 0x3feebfdad5362a27u,  /* 48 */
    0x3c931dbdeb54e077u, 0x3feebcb299fddd0du,  /* 49 */
    0xbc8f94340071a38eu, 0x3feeb9b2769d2ca7u,  /* 50 */
    0xbc87deccdc93a349u, 0x3feeb6daa2cf6642u,  /* 51 */
    0xbc78dec6bd0f385fu, 0x3feeb42b569d4f82u,  /* 52 */
    0xbc861246ec7b5cf6u, 0x3feeb1a4ca5d920fu,  /* 53 */
    0x3c93350518fdd78eu, 0x3feeaf4736b527dau,  /* 54 */
    0x3c7b98b72f8a9b05u, 0x3feead12d497c7fdu,  /* 55 */
    0x3c9063e1e21c5409u, 0x3feeab07dd485429u,  /* 56 */
    0x3c34c7855019c6eau, 0x3feea9268a5946b7u,  /* 57 */
    0x3c9432e62b64c035u, 0x3feea76f15ad2148u,  /* 58 */
    0xbc8ce44a6199769fu, 0x3feea5e1b976dc09u,  /* 59 */
    0xbc8c33c53bef4da8u, 0x3feea47eb03a5585u,  /* 60 */
    0xbc845378892be9aeu, 0x3feea34634ccc320u,  /* 61 */
    0xbc93cedd78565858u, 0x3feea23882552225u,  /* 62 */
    0x3c5710aa807e1964u, 0x3feea155d44ca973u,  /* 63 */
    0xbc93b3efbf5e2228u, 0x3feea09e667f3bcdu,  /* 64 */
    0xbc6a12ad8734b982u, 0x3feea012750bdabfu,  /* 65 */
    0xbc6367efb86da9eeu, 0x3fee9fb23c651a2fu,  /* 66 */
    0xbc80dc3d54e08851u, 0x3fee9f7df9519484u,  /* 67 */
    0xbc781f647e5a3ecfu, 0x3fee9f75e8ec5f74u,  /* 68 */
    0xbc86ee4ac08b7db0u, 0x3fee9f9a48a58174u,  /* 69 */
    0xbc8619321e55e68au, 0x3fee9feb564267c9u,  /* 70 */
    0x3c909ccb5e09d4d3u, 0x3feea0694fde5d3fu,  /* 71 */
    0xbc7b32dcb94da51du, 0x3feea11473eb0187u,  /* 72 */
    0x3c94ecfd5467c06bu, 0x3feea1ed0130c132u,  /* 73 */
    0x3c65ebe1abd66c55u, 0x3feea2f336cf4e62u,  /* 74 */
    0xbc88a1c52fb3cf42u, 0x3feea427543e1a12u,  /* 75 */
    0xbc9369b6f13b3734u, 0x3feea589994cce13u,  /* 76 */
    0xbc805e843a19ff1eu, 0x3feea71a4623c7adu,  /* 77 */
    0xbc94d450d872576eu, 0x3feea8d99b4492edu,  /* 78 */
    0x3c90ad675b0e8a00u, 0x3feeaac7d98a6699u,  /* 79 */
    0x3c8db72fc1f0eab4u, 0x3feeace5422aa0dbu,  /* 80 */
    0xbc65b6609cc5e7ffu, 0x3feeaf3216b5448cu,  /* 81 */
    0x3c7bf68359f35f44u, 0x3feeb1ae99157736u,  /* 82 */
    0xbc93091fa71e3d83u, 0x3feeb45b0b91ffc6u,  /* 83 */
    0xbc5da9b88b6c1e29u, 0x3feeb737b0cdc5e5u,  /* 84 */
    0xbc6c23f97c90b959u, 0x3feeba44cbc8520fu,  /* 85 */
    0xbc92434322f4f9aau, 0x3feebd829fde4e50u,  /* 86 */
    0xbc85ca6cd7668e4bu, 0x3feec0f170ca07bau,  /* 87 */
    0x3c71affc2b91ce27u, 0x3feec49182a3f090u,  /* 88 */
    0x3c6dd235e10a73bbu, 0x3feec86319e32323u,  /* 89 */
    0xbc87c50422622263u, 0x3feecc667b5de565u,  /* 90 */
    0x3c8b1c86e3e231d5u, 0x3feed09bec4a2d33u,  /* 91 */
    0xbc91bbd1d3bcbb15u, 0x3feed503b23e255du,  /* 92 */
    0x3c90cc319cee31d2u, 0x3feed99e1330b358u,  /* 93 */
    0x3c8469846e735ab3u, 0x3feede6b5579fdbfu,  /* 94 */
    0xbc82dfcd978e9db4u, 0x3feee36bbfd3f37au,  /* 95 */
    0x3c8c1a7792cb3387u, 0x3feee89f995ad3adu,  /* 96 */
    0xbc907b8f4ad1d9fau, 0x3feeee07298db666u,  /* 97 */
    0xbc55c3d956dcaebau, 0x3feef3a2b84f15fbu,  /* 98 */
    0xbc90a40e3da6f640u, 0x3feef9728de5593au,  /* 99 */
    0xbc68d6f438ad9334u, 0x3feeff76f2fb5e47u,  /* 100 */
    0xbc91eee26b588a35u, 0x3fef05b030a1064au,  /* 101 */
    0x3c74ffd70a5fddcdu, 0x3fef0c1e904bc1d2u,  /* 102 */
    0xbc91bdfbfa9298acu, 0x3fef12c25bd71e09u,  /* 103 */
    0x3c736eae30af0cb3u, 0x3fef199bdd85529cu,  /* 104 */
    0x3c8ee3325c9ffd94u, 0x3fef20ab5fffd07au,  /* 105 */
    0x3c84e08fd10959acu, 0x3fef27f12e57d14bu,  /* 106 */
    0x3c63cdaf384e1a67u, 0x3fef2f6d9406e7b5u,  /* 107 */
    0x3c676b2c6c921968u, 0x3fef3720dcef9069u,  /* 108 */
    0xbc808a1883ccb5d2u, 0x3fef3f0b555dc3fau,  /* 109 */
    0xbc8fad5d3ffffa6fu, 0x3fef472d4a07897cu,  /* 110 */
    0xbc900dae3875a949u, 0x3fef4f87080d89f2u,  /* 111 */
    0x3c74a385a63d07a7u, 0x3fef5818dcfba487u,  /* 112 */
    0xbc82919e2040220fu, 0x3fef60e316c98398u,  /* 113 */
    0x3c8e5a50d5c192acu, 0x3fef69e603db3285u,  /* 114 */
    0x3c843a59ac016b4bu, 0x3fef7321f301b460u,  /* 115 */
    0xbc82d52107b43e1fu, 0x3fef7c97337b9b5fu,  /* 116 */
    0xbc892ab93b470dc9u, 0x3fef864614f5a129u,  /* 117 */
    0x3c74b604603a88d3u, 0x3fef902ee78b3ff6u,  /* 118 */
    0x3c83c5ec519d7271u, 0x3fef9a51fbc74c83u,  /* 119 */
    0xbc8ff7128fd391f0u, 0x3fefa4afa2a490dau,  /* 120 */
    0xbc8dae98e223747du, 0x3fefaf482d8e67f1u,  /* 121 */
    0x3c8ec3bc41aa2008u, 0x3fefba1bee615a27u,  /* 122 */
    0x3c842b94c3a9eb32u, 0x3fefc52b376bba97u,  /* 123 */
    0x3c8a64a931d185eeu, 0x3fefd0765b6e4540u,  /* 124 */
    0xbc8e37bae43be3edu, 0x3fefdbfdad9cbe14u,  /* 125 */
    0x3c77893b4d91cd9du, 0x3fefe7c1819e90d8u,  /* 126 */
    0x3c5305c14160cc89u, 0x3feff3c22b8f71f1u,  /* 127 */
};

/* scale*(1 + tmp) for |x| >= 512, where the exponent in sbits may have wrapped
 * around: k > 0 (bit 31 of ki clear) may overflow, k < 0 may be subnormal. */
FGD_INLINE double fgd__exp_special(double tmp, uint64_t sbits, uint64_t ki)
{
    FGD_NO_CONTRACT
    double scale, y, hi, lo;

    if ((ki & 0x80000000u) == 0) {
        /* k > 0: the exponent of scale may have overflowed, by at most 460 */
        sbits -= (uint64_t)1009 << 52;
        scale = fgd__double(sbits);
        return 0x1.0000000000000p+1009 * (scale + scale * tmp);
    }
    /* k < 0: the result may be subnormal */
    sbits += (uint64_t)1022 << 52;
    scale = fgd__double(sbits);
    y = scale + scale * tmp;
    if (y < 1.0) {
        /* Round y to the precision the subnormal result has (adding 1 does
         * that) before scaling it down exactly: one rounding in all. */
        lo = scale - y + scale * tmp;
        hi = 1.0 + y;
        lo = 1.0 - hi + y + lo;
        y = (hi + lo) - 1.0;
    }
    return 0x1.0000000000000p-1022 * y;
}

/* exp(x + xtail) for |xtail| < 2^-15 (xtail is ignored unless hastail). */
FGD_INLINE double fgd__exp_inline(double x, double xtail, int hastail)
{
    FGD_NO_CONTRACT
    const double invln2N = 0x1.71547652b82fep+7;     /* 128/ln2 */
    const double negln2hiN = -0x1.62e42fefa0000p-8;  /* -ln2/128, high part */
    const double negln2loN = -0x1.cf79abc9e3b3ap-47; /* -ln2/128, low part */
    const double shift = 0x1.8000000000000p+52;
    const double C2 = 0x1.ffffffffffdbdp-2;
    const double C3 = 0x1.555555555543cp-3;
    const double C4 = 0x1.55555cf172b91p-5;
    const double C5 = 0x1.1111167a4d017p-7;
    uint32_t abstop;
    uint64_t ki, idx, top, sbits;
    double kd, z, r, r2, scale, tail, tmp;

    abstop = (uint32_t)(fgd__bits(x) >> 52) & 0x7ffu;
    if (abstop - 0x3c9u >= 0x408u - 0x3c9u) {    /* |x| < 2^-54, or |x| >= 512, inf, NaN */
        if (abstop - 0x3c9u >= 0x80000000u) return 1.0 + x;   /* |x| < 2^-54 */
        if (abstop >= 0x409u) {                  /* |x| >= 1024, inf, NaN */
            if ((fgd__bits(x) & 0x7fffffffffffffffu) > 0x7ff0000000000000u) return fgd__nan();
            return (fgd__bits(x) >> 63) ? 0.0 : fgd__inf();
        }
        abstop = 0;                              /* 512 <= |x| < 1024: fgd__exp_special */
    }

    /* x = k*ln2/128 + r, |r| <= ln2/256; exp(x) = 2^(k/128) * exp(r) */
    z = invln2N * x;
    kd = z + shift;                              /* k = z rounded, in the low bits of kd */
    ki = fgd__bits(kd);
    kd -= shift;
    r = x + kd * negln2hiN + kd * negln2loN;
    if (hastail) r += xtail;
    /* 2^(k/128) = scale * (1 + tail) */
    idx = 2 * (ki % 128);
    top = ki << 45;
    tail = fgd__double(fgd__exp_tab[idx]);
    sbits = fgd__exp_tab[idx + 1] + top;
    /* exp(x) = scale + scale * (tail + exp(r) - 1) */
    r2 = r * r;
    tmp = tail + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
    if (abstop == 0) return fgd__exp_special(tmp, sbits, ki);
    scale = fgd__double(sbits);
    return scale + scale * tmp;
}

FGD_INLINE double fgd_exp(double x)
{
    return fgd__exp_inline(x, 0.0, 0);
}

/* ----------------------------------------------------------------- log1p */

FGD_INLINE double fgd_log1p(double x)
{
    FGD_NO_CONTRACT
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    const double Lp1 = 0x1.5555555555593p-1;
    const double Lp2 = 0x1.999999997fa04p-2;
    const double Lp3 = 0x1.2492494229359p-2;
    const double Lp4 = 0x1.c71c51d8e78afp-3;
    const double Lp5 = 0x1.7466496cb03dep-3;
    const double Lp6 = 0x1.39a09d078c69fp-3;
    const double Lp7 = 0x1.2f112df3e5244p-3;
    double hfsq, f = 0.0, c = 0.0, s, z, R, u;
    int32_t k, hx, hu = 0, ax;

    hx = fgd__hi(x);
    ax = hx & 0x7fffffff;

    k = 1;
    if (hx < 0x3fda827a) {                   /* 1+x < sqrt(2)+ */
        if (ax >= 0x3ff00000) {              /* x <= -1, -inf or a negative NaN */
            if (x == -1.0) return -fgd__inf();
            return fgd__nan();               /* x < -1, or a NaN */
        }
        if (ax < 0x3e200000) {               /* |x| < 2^-29 */
            if (ax < 0x3c900000) return x;   /* |x| < 2^-54 */
            return x - x * x * 0.5;
        }
        if (hx > 0 || hx <= -0x402d413c) {   /* hx <= 0xbfd2bec4: sqrt(2)/2- <= 1+x < sqrt(2)+ */
            k = 0;
            f = x;
            hu = 1;
        }
    }
    if (hx >= 0x7ff00000) {                  /* +inf or a NaN */
        if ((fgd__bits(x) & 0x7fffffffffffffffu) > 0x7ff0000000000000u) return fgd__nan();
        return x;
    }
    if (k != 0) {
        if (hx < 0x43400000) {               /* x < 2^53 */
            u = 1.0 + x;
            hu = fgd__hi(u);
            k = (hu >> 20) - 1023;
            c = (k > 0) ? 1.0 - (u - x) : x - (u - 1.0);  /* correction term */
            c = c / u;
        } else {
            u = x;
            hu = fgd__hi(u);
            k = (hu >> 20) - 1023;
            c = 0.0;
        }
        hu &= 0x000fffff;
        if (hu < 0x6a09e) {                  /* u ~< sqrt(2) */
            u = fgd__set_hi(u, hu | 0x3ff00000);   /* normalize u */
        } else {
            k += 1;
            u = fgd__set_hi(u, hu | 0x3fe00000);   /* normalize u/2 */
            hu = (0x00100000 - hu) >> 2;
        }
        f = u - 1.0;
    }
    hfsq = 0.5 * f * f;
    if (hu == 0) {                           /* |f| < 2^-20 */
        if (f == 0.0) {
            if (k == 0) return 0.0;
            c += (double)k * ln2_lo;
            return (double)k * ln2_hi + c;
        }
        R = hfsq * (1.0 - 0x1.5555555555555p-1 * f);
        if (k == 0) return f - R;
        return (double)k * ln2_hi - ((R - ((double)k * ln2_lo + c)) - f);
    }
    s = f / (2.0 + f);
    z = s * s;
    R = z * (Lp1 + z * (Lp2 + z * (Lp3 + z * (Lp4 + z * (Lp5 + z * (Lp6 + z * Lp7))))));
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return (double)k * ln2_hi - ((hfsq - (s * (hfsq + R) + ((double)k * ln2_lo + c))) - f);
}

/* ------------------------------------------------------------------- log */

FGD_INLINE double fgd_log(double x)
{
    FGD_NO_CONTRACT
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    const double Lg1 = 0x1.5555555555593p-1;
    const double Lg2 = 0x1.999999997fa04p-2;
    const double Lg3 = 0x1.2492494229359p-2;
    const double Lg4 = 0x1.c71c51d8e78afp-3;
    const double Lg5 = 0x1.7466496cb03dep-3;
    const double Lg6 = 0x1.39a09d078c69fp-3;
    const double Lg7 = 0x1.2f112df3e5244p-3;
    double hfsq, f, s, z, R, w, t1, t2, dk;
    int32_t k, hx, i, j;
    uint32_t lx;

    hx = fgd__hi(x);
    lx = fgd__lo(x);

    k = 0;
    if (hx < 0x00100000) {                   /* x < 2^-1022: subnormal, zero, negative */
        if ((hx & 0x7fffffff) == 0 && lx == 0) return -fgd__inf();  /* log(+-0) */
        if (hx < 0) return fgd__nan();       /* log(x < 0), or a NaN */
        k -= 54;
        x *= 0x1.0000000000000p+54;          /* scale a subnormal up, exactly */
        hx = fgd__hi(x);
    }
    if (hx >= 0x7ff00000) {                  /* +inf or a NaN */
        if ((fgd__bits(x) & 0x7fffffffffffffffu) > 0x7ff0000000000000u) return fgd__nan();
        return x;
    }
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    i = (hx + 0x95f64) & 0x100000;
    x = fgd__set_hi(x, hx | (i ^ 0x3ff00000));  /* normalize x or x/2 */
    k += (i >> 20);
    f = x - 1.0;
    if ((0x000fffff & (2 + hx)) < 3) {       /* -2^-20 <= f < 2^-20 */
        if (f == 0.0) {
            if (k == 0) return 0.0;
            dk = (double)k;
            return dk * ln2_hi + dk * ln2_lo;
        }
        R = f * f * (0.5 - 0x1.5555555555555p-2 * f);
        if (k == 0) return f - R;
        dk = (double)k;
        return dk * ln2_hi - ((R - dk * ln2_lo) - f);
    }
    s = f / (2.0 + f);
    dk = (double)k;
    z = s * s;
    i = hx - 0x6147a;
    w = z * z;
    j = 0x6b851 - hx;
    t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    i |= j;
    R = t2 + t1;
    if (i > 0) {
        hfsq = 0.5 * f * f;
        if (k == 0) return f - (hfsq - s * (hfsq + R));
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    }
    if (k == 0) return f - s * (f - R);
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

/* ------------------------------------------------------------------- pow */

/* For the subinterval i = 0..127 of [0x1.69555p-1, 0x1.69555p+0) (i = bits
 * 45..51 of bits(z) - 0x3fe6955500000000): {invc, logc, logctail} with
 * invc = 1/c = j/128 or j/256 near 1/(centre of the subinterval),
 * logc = log(c) rounded to a multiple of 2^-43, logctail = log(c) - logc
 * rounded to nearest.  Checked against these definitions by the tests. */
static const double fgd__pow_log_tab[128][3] = {
    {0x1.6a00000000000p+0, -0x1.62c82f2b9c800p-2,  0x1.ab42428375680p-48},  /* 0 */
    {0x1.6800000000000p+0, -0x1.5d1bdbf580800p-2, -0x1.ca508d8e0f720p-46},  /* 1 */
    {0x1.6600000000000p+0, -0x1.5767717455800p-2, -0x1.362a4d5b6506dp-45},  /* 2 */
    {0x1.6400000000000p+0, -0x1.51aad872df800p-2, -0x1.684e49eb067d5p-49},  /* 3 */
    {0x1.6200000000000p+0, -0x1.4be5f95777800p-2, -0x1.41b6993293ee0p-47},  /* 4 */
    {0x1.6000000000000p+0, -0x1.4618bc21c6000p-2,  0x1.3d82f484c84ccp-46},  /* 5 */
    {0x1.5e00000000000p+0, -0x1.404308686a800p-2,  0x1.c42f3ed820b3ap-50},  /* 6 */
    {0x1.5c00000000000p+0, -0x1.3a64c55694800p-2,  0x1.0b1c686519460p-45},  /* 7 */
    {0x1.5a00000000000p+0, -0x1.347dd9a988000p-2,  0x1.5594dd4c58092p-45},  /* 8 */
    {0x1.5800000000000p+0, -0x1.2e8e2bae12000p-2,  0x1.67b1e99b72bd8p-45},  /* 9 */
    {0x1.5600000000000p+0, -0x1.2895a13de8800p-2,  0x1.5ca14b6cfb03fp-46},  /* 10 */
    {0x1.5600000000000p+0, -0x1.2895a13de8800p-2,  0x1.5ca14b6cfb03fp-46},  /* 11 */
    {0x1.5400000000000p+0, -0x1.22941fbcf7800p-2, -0x1.65a242853da76p-46},  /* 12 */
    {0x1.5200000000000p+0, -0x1.1c898c1699800p-2, -0x1.fafbc68e75404p-46},  /* 13 */
    {0x1.5000000000000p+0, -0x1.1675cababa800p-2,  0x1.f1fc63382a8f0p-46},  /* 14 */
    {0x1.4e00000000000p+0, -0x1.1058bf9ae4800p-2, -0x1.6a8c4fd055a66p-45},  /* 15 */
    {0x1.4c00000000000p+0, -0x1.0a324e2739000p-2, -0x1.c6bee7ef4030ep-47},  /* 16 */
    {0x1.4a00000000000p+0, -0x1.0402594b4d000p-2, -0x1.036b89ef42d7fp-48},  /* 17 */
    {0x1.4a00000000000p+0, -0x1.0402594b4d000p-2, -0x1.036b89ef42d7fp-48},  /* 18 */
    {0x1.4800000000000p+0, -0x1.fb9186d5e4000p-3,  0x1.d572aab993c87p-47},  /* 19 */
    {0x1.4600000000000p+0, -0x1.ef0adcbdc6000p-3,  0x1.b26b79c86af24p-45},  /* 20 */
    {0x1.4400000000000p+0, -0x1.e27076e2af000p-3, -0x1.72f4f543fff10p-46},  /* 21 */
    {0x1.4200000000000p+0, -0x1.d5c216b4fc000p-3,  0x1.1ba91bbca681bp-45},  /* 22 */
    {0x1.4000000000000p+0, -0x1.c8ff7c79aa000p-3,  0x1.7794f689f8434p-45},  /* 23 */
    {0x1.4000000000000p+0, -0x1.c8ff7c79aa000p-3,  0x1.7794f689f8434p-45},  /* 24 */
    {0x1.3e00000000000p+0, -0x1.bc286742d9000p-3,  0x1.94eb0318bb78fp-46},  /* 25 */
    {0x1.3c00000000000p+0, -0x1.af3c94e80c000p-3,  0x1.a4e633fcd9066p-52},  /* 26 */
    {0x1.3a00000000000p+0, -0x1.a23bc1fe2b000p-3, -0x1.58c64dc46c1eap-45},  /* 27 */
    {0x1.3a00000000000p+0, -0x1.a23bc1fe2b000p-3, -0x1.58c64dc46c1eap-45},  /* 28 */
    {0x1.3800000000000p+0, -0x1.9525a9cf45000p-3, -0x1.ad1d904c1d4e3p-45},  /* 29 */
    {0x1.3600000000000p+0, -0x1.87fa06520d000p-3,  0x1.bbdbf7fdbfa09p-45},  /* 30 */
    {0x1.3400000000000p+0, -0x1.7ab890210e000p-3,  0x1.bdb9072534a58p-45},  /* 31 */
    {0x1.3400000000000p+0, -0x1.7ab890210e000p-3,  0x1.bdb9072534a58p-45},  /* 32 */
    {0x1.3200000000000p+0, -0x1.6d60fe719d000p-3, -0x1.0e46aa3b2e266p-46},  /* 33 */
    {0x1.3000000000000p+0, -0x1.5ff3070a79000p-3, -0x1.e9e439f105039p-46},  /* 34 */
    {0x1.3000000000000p+0, -0x1.5ff3070a79000p-3, -0x1.e9e439f105039p-46},  /* 35 */
    {0x1.2e00000000000p+0, -0x1.526e5e3a1b000p-3, -0x1.0de8b90075b8fp-45},  /* 36 */
    {0x1.2c00000000000p+0, -0x1.44d2b6ccb8000p-3,  0x1.70cc16135783cp-46},  /* 37 */
    {0x1.2c00000000000p+0, -0x1.44d2b6ccb8000p-3,  0x1.70cc16135783cp-46},  /* 38 */
    {0x1.2a00000000000p+0, -0x1.371fc201e9000p-3,  0x1.178864d27543ap-48},  /* 39 */
    {0x1.2800000000000p+0, -0x1.29552f81ff000p-3, -0x1.48d301771c408p-45},  /* 40 */
    {0x1.2600000000000p+0, -0x1.1b72ad52f6000p-3, -0x1.e80a41811a396p-45},  /* 41 */
    {0x1.2600000000000p+0, -0x1.1b72ad52f6000p-3, -0x1.e80a41811a396p-45},  /* 42 */
    {0x1.2400000000000p+0, -0x1.0d77e7cd09000p-3,  0x1.a699688e85bf4p-47},  /* 43 */
    {0x1.2400000000000p+0, -0x1.0d77e7cd09000p-3,  0x1.a699688e85bf4p-47},  /* 44 */
    {0x1.2200000000000p+0, -0x1.fec9131dbe000p-4, -0x1.575545ca333f2p-45},  /* 45 */
    {0x1.2000000000000p+0, -0x1.e27076e2b0000p-4,  0x1.a342c2af0003cp-45},  /* 46 */
    {0x1.2000000000000p+0, -0x1.e27076e2b0000p-4,  0x1.a342c2af0003cp-45},  /* 47 */
    {0x1.1e00000000000p+0, -0x1.c5e548f5bc000p-4, -0x1.d0c57585fbe06p-46},  /* 48 */
    {0x1.1c00000000000p+0, -0x1.a926d3a4ae000p-4,  0x1.53935e85baac8p-45},  /* 49 */
    {0x1.1c00000000000p+0, -0x1.a926d3a4ae000p-4,  0x1.53935e85baac8p-45},  /* 50 */
    {0x1.1a00000000000p+0, -0x1.8c345d631a000p-4,  0x1.37c294d2f5668p-46},  /* 51 */
    {0x1.1a00000000000p+0, -0x1.8c345d631a000p-4,  0x1.37c294d2f5668p-46},  /* 52 */
    {0x1.1800000000000p+0, -0x1.6f0d28ae56000p-4, -0x1.69737c93373dap-45},  /* 53 */
    {0x1.1600000000000p+0, -0x1.51b073f062000p-4,  0x1.f025b61c65e57p-46},  /* 54 */
    {0x1.1600000000000p+0, -0x1.51b073f062000p-4,  0x1.f025b61c65e57p-46},  /* 55 */
    {0x1.1400000000000p+0, -0x1.341d7961be000p-4,  0x1.c5edaccf913dfp-45},  /* 56 */
    {0x1.1400000000000p+0, -0x1.341d7961be000p-4,  0x1.c5edaccf913dfp-45},  /* 57 */
    {0x1.1200000000000p+0, -0x1.16536eea38000p-4,  0x1.47c5e768fa309p-46},  /* 58 */
    {0x1.1000000000000p+0, -0x1.f0a30c0118000p-5,  0x1.d599e83368e91p-45},  /* 59 */
    {0x1.1000000000000p+0, -0x1.f0a30c0118000p-5,  0x1.d599e83368e91p-45},  /* 60 */
    {0x1.0e00000000000p+0, -0x1.b42dd71198000p-5,  0x1.c827ae5d6704cp-46},  /* 61 */
    {0x1.0e00000000000p+0, -0x1.b42dd71198000p-5,  0x1.c827ae5d6704cp-46},  /* 62 */
    {0x1.0c00000000000p+0, -0x1.77458f632c000p-5, -0x1.cfc4634f2a1eep-45},  /* 63 */
    {0x1.0c00000000000p+0, -0x1.77458f632c000p-5, -0x1.cfc4634f2a1eep-45},  /* 64 */
    {0x1.0a00000000000p+0, -0x1.39e87b9fec000p-5,  0x1.502b7f526feaap-48},  /* 65 */
    {0x1.0a00000000000p+0, -0x1.39e87b9fec000p-5,  0x1.502b7f526feaap-48},  /* 66 */
    {0x1.0800000000000p+0, -0x1.f829b0e780000p-6, -0x1.980267c7e09e4p-45},  /* 67 */
    {0x1.0800000000000p+0, -0x1.f829b0e780000p-6, -0x1.980267c7e09e4p-45},  /* 68 */
    {0x1.0600000000000p+0, -0x1.7b91b07d58000p-6, -0x1.88d5493faa639p-45},  /* 69 */
    {0x1.0400000000000p+0, -0x1.fc0a8b0fc0000p-7, -0x1.f1e7cf6d3a69cp-50},  /* 70 */
    {0x1.0400000000000p+0, -0x1.fc0a8b0fc0000p-7, -0x1.f1e7cf6d3a69cp-50},  /* 71 */
    {0x1.0200000000000p+0, -0x1.fe02a6b100000p-8, -0x1.9e23f0dda40e4p-46},  /* 72 */
    {0x1.0200000000000p+0, -0x1.fe02a6b100000p-8, -0x1.9e23f0dda40e4p-46},  /* 73 */
    {0x1.0000000000000p+0,              0x0.0p+0,               0x0.0p+0},  /* 74 */
    {0x1.0000000000000p+0,              0x0.0p+0,               0x0.0p+0},  /* 75 */
    {0x1.fc00000000000p-1,  0x1.0101575890000p-7, -0x1.0c76b999d2be8p-46},  /* 76 */
    {0x1.f800000000000p-1,  0x1.0205658938000p-6, -0x1.3dc5b06e2f7d2p-45},  /* 77 */
    {0x1.f400000000000p-1,  0x1.8492528c90000p-6, -0x1.aa0ba325a0c34p-45},  /* 78 */
    {0x1.f000000000000p-1,  0x1.0415d89e74000p-5,  0x1.111c05cf1d753p-47},  /* 79 */
    {0x1.ec00000000000p-1,  0x1.466aed42e0000p-5, -0x1.c167375bdfd28p-45},  /* 80 */
    {0x1.e800000000000p-1,  0x1.894aa149fc000p-5, -0x1.97995d05a267dp-46},  /* 81 */
    {0x1.e400000000000p-1,  0x1.ccb73cdddc000p-5, -0x1.a68f247d82807p-46},  /* 82 */
    {0x1.e200000000000p-1,  0x1.eea31c006c000p-5, -0x1.e113e4fc93b7bp-47},  /* 83 */
    {0x1.de00000000000p-1,  0x1.1973bd1466000p-4, -0x1.5325d560d9e9bp-45},  /* 84 */
    {0x1.da00000000000p-1,  0x1.3bdf5a7d1e000p-4,  0x1.cc85ea5db4ed7p-45},  /* 85 */
    {0x1.d600000000000p-1,  0x1.5e95a4d97a000p-4, -0x1.c69063c5d1d1ep-45},  /* 86 */
    {0x1.d400000000000p-1,  0x1.700d30aeac000p-4,  0x1.c1e8da99ded32p-49},  /* 87 */
    {0x1.d000000000000p-1,  0x1.9335e5d594000p-4,  0x1.3115c3abd47dap-45},  /* 88 */
    {0x1.cc00000000000p-1,  0x1.b6ac88dad6000p-4, -0x1.390802bf768e5p-46},  /* 89 */
    {0x1.ca00000000000p-1,  0x1.c885801bc4000p-4,  0x1.646d1c65aacd3p-45},  /* 90 */
    {0x1.c600000000000p-1,  0x1.ec739830a2000p-4, -0x1.dc068afe645e0p-45},  /* 91 */
    {0x1.c400000000000p-1,  0x1.fe89139dbe000p-4, -0x1.534d64fa10afdp-45},  /* 92 */
    {0x1.c000000000000p-1,  0x1.1178e8227e000p-3,  0x1.1ef78ce2d07f2p-45},  /* 93 */
    {0x1.be00000000000p-1,  0x1.1aa2b7e23f000p-3,  0x1.ca78e44389934p-45},  /* 94 */
    {0x1.ba00000000000p-1,  0x1.2d1610c868000p-3,  0x1.39d6ccb81b4a1p-47},  /* 95 */
    {0x1.b800000000000p-1,  0x1.365fcb0159000p-3,  0x1.62fa8234b7289p-51},  /* 96 */
    {0x1.b400000000000p-1,  0x1.4913d8333b000p-3,  0x1.5837954fdb678p-45},  /* 97 */
    {0x1.b200000000000p-1,  0x1.527e5e4a1b000p-3,  0x1.633e8e5697dc7p-45},  /* 98 */
    {0x1.ae00000000000p-1,  0x1.6574ebe8c1000p-3,  0x1.9cf8b2c3c2e78p-46},  /* 99 */
    {0x1.ac00000000000p-1,  0x1.6f0128b757000p-3, -0x1.5118de59c21e1p-45},  /* 100 */
    {0x1.aa00000000000p-1,  0x1.7898d85445000p-3, -0x1.c661070914305p-46},  /* 101 */
    {0x1.a600000000000p-1,  0x1.8beafeb390000p-3, -0x1.73d54aae92cd1p-47},  /* 102 */
    {0x1.a400000000000p-1,  0x1.95a5adcf70000p-3,  0x1.7f22858a0ff6fp-47},  /* 103 */
    {0x1.a000000000000p-1,  0x1.a93ed3c8ae000p-3, -0x1.8724350562169p-45},  /* 104 */
    {0x1.9e00000000000p-1,  0x1.b31d8575bd000p-3, -0x1.c358d4eace1aap-47},  /* 105 */
    {0x1.9c00000000000p-1,  0x1.bd087383be000p-3, -0x1.d4bc4595412b6p-45},  /* 106 */
    {0x1.9a00000000000p-1,  0x1.c6ffbc6f01000p-3, -0x1.1ec72c5962bd2p-48},  /* 107 */
    {0x1.9600000000000p-1,  0x1.db13db0d49000p-3, -0x1.aff2af715b035p-45},  /* 108 */
    {0x1.9400000000000p-1,  0x1.e530effe71000p-3,  0x1.212276041f430p-51},  /* 109 */
    {0x1.9200000000000p-1,  0x1.ef5ade4dd0000p-3, -0x1.a211565bb8e11p-51},  /* 110 */
    {0x1.9000000000000p-1,  0x1.f991c6cb3b000p-3,  0x1.bcbecca0cdf30p-46},  /* 111 */
    {0x1.8c00000000000p-1,  0x1.07138604d5800p-2,  0x1.89cdb16ed4e91p-48},  /* 112 */
    {0x1.8a00000000000p-1,  0x1.0c42d67616000p-2,  0x1.7188b163ceae9p-45},  /* 113 */
    {0x1.8800000000000p-1,  0x1.1178e8227e800p-2, -0x1.c210e63a5f01cp-45},  /* 114 */
    {0x1.8600000000000p-1,  0x1.16b5ccbacf800p-2,  0x1.b9acdf7a51681p-45},  /* 115 */
    {0x1.8400000000000p-1,  0x1.1bf99635a6800p-2,  0x1.ca6ed5147bdb7p-45},  /* 116 */
    {0x1.8200000000000p-1,  0x1.214456d0eb800p-2,  0x1.a87deba46baeap-47},  /* 117 */
    {0x1.7e00000000000p-1,  0x1.2bef07cdc9000p-2,  0x1.a9cfa4a5004f4p-45},  /* 118 */
    {0x1.7c00000000000p-1,  0x1.314f1e1d36000p-2, -0x1.8e27ad3213cb8p-45},  /* 119 */
    {0x1.7a00000000000p-1,  0x1.36b6776be1000p-2,  0x1.16ecdb0f177c8p-46},  /* 120 */
    {0x1.7800000000000p-1,  0x1.3c25277333000p-2,  0x1.83b54b606bd5cp-46},  /* 121 */
    {0x1.7600000000000p-1,  0x1.419b423d5e800p-2,  0x1.8e436ec90e09dp-47},  /* 122 */
    {0x1.7400000000000p-1,  0x1.4718dc271c800p-2, -0x1.f27ce0967d675p-45},  /* 123 */
    {0x1.7200000000000p-1,  0x1.4c9e09e173000p-2, -0x1.e20891b0ad8a4p-45},  /* 124 */
    {0x1.7000000000000p-1,  0x1.522ae0738a000p-2,  0x1.ebe708164c759p-45},  /* 125 */
    {0x1.6e00000000000p-1,  0x1.57bf753c8d000p-2,  0x1.fadedee5d40efp-46},  /* 126 */
    {0x1.6c00000000000p-1,  0x1.5d5bddf596000p-2, -0x1.a0b2a08a465dcp-47},  /* 127 */
};

/* log(x) = hi + *tail (|*tail| < 2^-52 |hi| or so, relative error < 2^-67),
 * ix the bits of x > 0 with a subnormal x normalized: exponent below zero. */
FGD_INLINE double fgd__log_inline(uint64_t ix, double *tail)
{
    FGD_NO_CONTRACT
    const double ln2hi = 0x1.62e42fefa3800p-1;
    const double ln2lo = 0x1.ef35793c76730p-45;
    const double A0 = -0x1.0000000000000p-1;
    const double A1 = -0x1.5555555555560p-1;
    const double A2 = 0x1.0000000000006p-1;
    const double A3 = 0x1.999999959554ep-1;
    const double A4 = -0x1.555555529a47ap-1;
    const double A5 = -0x1.2495b9b4845e9p+0;
    const double A6 = 0x1.0002b8b263fc3p+0;
    double z, r, y, invc, logc, logctail, kd, hi, t1, t2, lo, lo1, lo2, lo3, lo4, p;
    double zhi, zlo, rhi, rlo, ar, ar2, ar3, arhi, arhi2;
    uint64_t iz, tmp;
    int32_t k, i;

    /* x = 2^k z with z in [0x1.69555p-1, 0x1.69555p+0), exactly */
    tmp = ix - 0x3fe6955500000000u;
    i = (int32_t)((tmp >> 45) % 128);
    k = (int32_t)(tmp >> 52);
    if (k >= 2048) k -= 4096;                    /* the top 12 bits, signed */
    iz = ix - (tmp & ((uint64_t)0xfff << 52));
    z = fgd__double(iz);
    kd = (double)k;

    /* log(x) = k*ln2 + log(c) + log1p(z/c - 1) */
    invc = fgd__pow_log_tab[i][0];
    logc = fgd__pow_log_tab[i][1];
    logctail = fgd__pow_log_tab[i][2];

    /* r = z*invc - 1 exactly, as rhi + rlo (z split so that rhi, rlo and
     * rhi*rhi are exact) */
    zhi = fgd__double((iz + ((uint64_t)1 << 31)) & 0xffffffff00000000u);
    zlo = z - zhi;
    rhi = zhi * invc - 1.0;
    rlo = zlo * invc;
    r = rhi + rlo;

    /* k*ln2 + log(c) + r */
    t1 = kd * ln2hi + logc;                      /* exact */
    t2 = t1 + r;
    lo1 = kd * ln2lo + logctail;
    lo2 = t1 - t2 + r;

    /* k*ln2 + log(c) + r + A0*r*r, and the polynomial for the rest */
    ar = A0 * r;
    ar2 = r * ar;
    ar3 = r * ar2;
    arhi = A0 * rhi;
    arhi2 = rhi * arhi;
    hi = t2 + arhi2;
    lo3 = rlo * (ar + arhi);
    lo4 = t2 - hi + arhi2;
    /* p = log1p(r) - r - A0*r*r */
    p = ar3 * (A1 + r * A2 + ar2 * (A3 + r * A4 + ar2 * (A5 + r * A6)));
    lo = lo1 + lo2 + lo3 + lo4 + p;
    y = hi + lo;
    *tail = hi - y + lo;
    return y;
}

/*
 * log(x) = hi + *lo for a finite x > 0 (normal or subnormal), with a
 * relative error below 2^-67: the first half of fgd_pow.  log_ext(1) = 0 + 0,
 * hi < 0 for x < 1, hi > 0 for x > 1.  For the rest of the numbers with the
 * sign bit clear: +0 gives -inf, +inf gives +inf, a NaN gives NaN (*lo = 0);
 * a number with the sign bit set (-0 included) gives NaN.
 */
FGD_INLINE double fgd_log_ext(double x, double *lo)
{
    FGD_NO_CONTRACT
    uint64_t ix = fgd__bits(x);
    if (ix - 0x0010000000000000u >= 0x7ff0000000000000u - 0x0010000000000000u) {
        /* not a positive normal number */
        if (ix == 0) {
            *lo = 0.0;
            return -fgd__inf();                  /* +0 */
        }
        if (ix >= 0x7ff0000000000000u) {
            *lo = 0.0;
            return (ix == 0x7ff0000000000000u) ? fgd__inf() : fgd__nan();
        }
        /* subnormal: normalize, the exponent goes below zero */
        ix = fgd__bits(x * 0x1.0000000000000p+52);
        ix -= (uint64_t)52 << 52;
    }
    return fgd__log_inline(ix, lo);
}

/* exp(y*(hi + lo)) without special cases: y*(hi + lo) = ehi + elo, |elo| <
 * |ehi| * 2^-25, with y and hi split into 26 + 27 bits so that ehi is exact. */
FGD_INLINE double fgd__pow_log_main(double hi, double lo, double y)
{
    FGD_NO_CONTRACT
    double yhi, ylo, lhi, llo, ehi, elo;

    yhi = fgd__double(fgd__bits(y) & 0xfffffffff8000000u);
    ylo = y - yhi;
    lhi = fgd__double(fgd__bits(hi) & 0xfffffffff8000000u);
    llo = hi - lhi + lo;
    ehi = yhi * lhi;
    elo = ylo * lhi + y * llo;
    return fgd__exp_inline(ehi, elo, 1);
}

/*
 * exp(y*(hi + lo)) where hi, lo = fgd_log_ext(x): x**y, for every y.  For
 * every x with the sign bit clear (+0, +inf and NaN included) and every y
 *     fgd_pow(x, y) == fgd_pow_log(hi, lo, y),  hi = fgd_log_ext(x, &lo),
 * so a caller that raises one x to many powers may compute hi, lo once.
 */
FGD_INLINE double fgd_pow_log(double hi, double lo, double y)
{
    FGD_NO_CONTRACT
    uint64_t ay, ahi;
    uint32_t topy;

    ay = fgd__bits(y) & 0x7fffffffffffffffu;
    ahi = fgd__bits(hi) & 0x7fffffffffffffffu;
    topy = (uint32_t)(ay >> 52);
    if (hi == 0.0 && lo == 0.0) return 1.0;      /* x == 1, even for a NaN y */
    if (ay > 0x7ff0000000000000u) return fgd__nan();
    if (ay == 0) return 1.0;                     /* y == +-0, even for a NaN x */
    if (ahi > 0x7ff0000000000000u) return fgd__nan();   /* x NaN (or negative) */
    if (ahi == 0x7ff0000000000000u || ay == 0x7ff0000000000000u)
        /* x == +0 or +inf, or y == +-inf */
        return ((hi < 0.0) == (y < 0.0)) ? fgd__inf() : 0.0;
    if (topy - 0x3beu >= 0x43eu - 0x3beu) {
        /* |y| < 2^-65: x**y = 1 + y*log(x) rounds to 1 */
        if (topy < 0x3beu) return (hi > 0.0) ? 1.0 + y : 1.0 - y;
        /* |y| >= 2^63: |y*log(x)| >= 1024 as |log(x)| >= 2^-53 */
        return ((hi > 0.0) == (y > 0.0)) ? fgd__inf() : 0.0;
    }
    return fgd__pow_log_main(hi, lo, y);
}

/* fgd_pow for everything but its fast path. */
FGD_INLINE double fgd__pow_special(double x, double y)
{
    FGD_NO_CONTRACT
    uint64_t bx, ax, ay, m;
    int32_t e, sh, yisint, neg;
    double hi, lo, r;

    bx = fgd__bits(x);
    ax = bx & 0x7fffffffffffffffu;
    ay = fgd__bits(y) & 0x7fffffffffffffffu;
    if (ay == 0) return 1.0;                     /* x**0 = 1, even for a NaN x */
    if (bx == 0x3ff0000000000000u) return 1.0;   /* 1**y = 1, even for a NaN y */
    if (ax > 0x7ff0000000000000u || ay > 0x7ff0000000000000u) return fgd__nan();

    /* yisint: 0 if y is not an integer, 1 if odd, 2 if even (+-inf counts as even) */
    e = (int32_t)(ay >> 52);
    if (e >= 0x434) {                            /* |y| >= 2^53 */
        yisint = 2;
    } else if (e >= 0x3ff) {                     /* 1 <= |y| < 2^53 */
        sh = 0x433 - e;                          /* bits below the units */
        m = (ay & 0x000fffffffffffffu) | 0x0010000000000000u;
        if ((m & (((uint64_t)1 << sh) - 1)) == 0) {
            yisint = 2 - (int32_t)((m >> sh) & 1);
        } else {
            yisint = 0;
        }
    } else {
        yisint = 0;
    }
    neg = (int32_t)(bx >> 63);

    if (ax == 0) {                               /* x == +-0 */
        r = (fgd__bits(y) >> 63) ? fgd__inf() : 0.0;
        return (neg && yisint == 1) ? -r : r;
    }
    if (ax == 0x7ff0000000000000u) {             /* x == +-inf */
        r = (fgd__bits(y) >> 63) ? 0.0 : fgd__inf();
        return (neg && yisint == 1) ? -r : r;
    }
    if (neg && yisint == 0) return fgd__nan();   /* (x < 0)**(non-integer) */

    hi = fgd_log_ext(fgd__double(ax), &lo);
    r = fgd_pow_log(hi, lo, y);
    return (neg && yisint == 1) ? -r : r;
}

/*
 * x**y, with C99 Annex F's special cases: pow(x, +-0) = 1 and pow(1, y) = 1
 * even for a NaN; a negative x with an odd integer y gives a negative result,
 * with a finite non-integer y a NaN; see fastgd/elementary.py for the table.
 * The fast path (x > 0 normal, 2^-65 <= |y| < 2^63) computes what
 * fgd__pow_special would: fgd_pow_log's special cases cannot apply there
 * (x == 1 gives exp(0) = 1 either way).
 */
FGD_INLINE double fgd_pow(double x, double y)
{
    FGD_NO_CONTRACT
    uint64_t ix = fgd__bits(x);
    uint32_t topx = (uint32_t)(ix >> 52);
    uint32_t topy = (uint32_t)(fgd__bits(y) >> 52) & 0x7ffu;
    double hi, lo;

    if (topx - 0x001u < 0x7ffu - 0x001u && topy - 0x3beu < 0x43eu - 0x3beu) {
        hi = fgd__log_inline(ix, &lo);
        return fgd__pow_log_main(hi, lo, y);
    }
    return fgd__pow_special(x, y);
}

#if defined(FGD_GCC_POP_OPTIONS)
#pragma GCC pop_options
#undef FGD_GCC_POP_OPTIONS
#endif

#endif /* FASTGD_ELEMENTARY_H */
