"""fastgd's own cosine in plain Python floats: the twin of ``src/elementary_cos.h``.

:func:`cos` performs, line for line, the same IEEE-754 binary64 operations in
the same order as ``fgd_cos`` in ``src/elementary_cos.h``, so the two give the
same bits for every double on any IEEE-754 machine, whatever its C library
(glibc picks its own ``cos`` per CPU, FMA or not).  Change the two together or
not at all; ``tests/test_elementary_cos.py`` checks that they agree.  The C is
compiled with ``-ffp-contract=off`` (no fused multiply-add); Python floats are
never fused.

Operations used: ``+ - *`` on floats, comparisons, ``int()`` of a float that
fits (truncation toward zero, as the C casts to ``int32_t`` / ``int64_t``),
``float()`` of a small int, integer ``>> << & |`` on non-negative ints, and the
bits of a float through :mod:`struct` (the C uses ``memcpy`` with a
``uint64_t``).  No ``math`` function.

Algorithm (fdlibm's: FreeBSD msun ``s_cos.c``, ``k_cos.c``, ``k_sin.c``,
``e_rem_pio2.c``, ``k_rem_pio2.c``, without libm calls)
---------------------------------------------------------------------------
``hi(v)`` is the high 32 bits of the double ``v``; ``ax = |x|`` (sign bit
cleared); ``ix = hi(ax)``.

1. ``ix >= 0x7ff00000`` (inf, NaN): the quiet NaN with bits
   ``0x7ff8000000000000`` (fixed bits, the same on every machine).
2. ``ix <= 0x3fe921fb`` (``|x|`` < about pi/4): ``ix < 0x3e400000``
   (``|x| < 2^-27``, zeros and subnormals included) returns ``1.0``;
   otherwise ``kernel_cos(ax, 0)``.
3. Otherwise reduce ``ax = n*pi/2 + (y0 + y1)``, ``|y0 + y1| <= ~pi/4``, and
   return, by ``n & 3``: ``kernel_cos(y0, y1)``, ``-kernel_sin(y0, y1)``,
   ``-kernel_cos(y0, y1)``, ``kernel_sin(y0, y1)``.

Range reduction, ``ix < 0x413921fb`` (``|x|`` < about 2^20 * pi/2): Cody-Waite.
``fn = (ax*INVPIO2 + TOINT) - TOINT`` (the nearest integer to ax*2/pi),
``n = int(fn)``, ``r = ax - fn*PIO2_1``, ``w = fn*PIO2_1T``, ``y0 = r - w``.
If the exponent of ``y0`` is more than 16 below that of ``ax`` (cancellation):
``t = r; w = fn*PIO2_2; r = t - w; w = fn*PIO2_2T - ((t - r) - w);
y0 = r - w``, and if then more than 49 below, once more with ``PIO2_3``,
``PIO2_3T``.  ``y1 = (r - y0) - w``.  ``fn * PIO2_k`` is exact (33-bit pieces
of pi/2 times an integer below 2^20).

Range reduction, larger ``|x|``: Payne-Hanek (fdlibm ``__kernel_rem_pio2``
for double precision, ``jk = 4``).  ``ax``'s 53-bit significand is cut into
three 24-bit integer pieces ``tx[i]`` (values ``tx[i] * 2^(e0 - 24 i)``,
``e0 = (ix >> 20) - 1046``); their products with the 24-bit chunks ``IPIO2``
of 2/pi, summed in doubles, are exact; chunks whose product is a multiple of
8 are skipped; the integer part mod 8 gives ``n`` and the fraction (with more
chunks taken while it cancels to zero) is multiplied by pi/2 held in the
24-bit chunks ``PIO2_CHUNKS`` and compressed into ``y0 + y1``.  ``scalbn(z, k)``
is ``z * 2^k`` with ``2^k`` built from bits (exact: nothing here overflows or
underflows), ``floor(z)`` of the non-negative ``z < 2^53`` is
``float(int(z))``.

Polynomials on [-pi/4, pi/4] (y the tail of x; each a minimax fit with
error below 2^-58):

``kernel_cos(x, y)``::

    z = x*x; w = z*z
    r = z*(C1 + z*(C2 + z*C3)) + w*w*(C4 + z*(C5 + z*C6))
    hz = 0.5*z; w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z*r - x*y))

``kernel_sin(x, y)``::

    z = x*x; w = z*z
    r = S2 + z*(S3 + z*S4) + z*w*(S5 + z*S6)
    v = z*x
    return x - ((z*(0.5*y - v*r) - y) - v*S1)

Constants (exact, ``float.hex()`` form; the C header has the same literals)::

    C1      =  0x1.555555555554cp-5      S1 = -0x1.5555555555549p-3
    C2      = -0x1.6c16c16c15177p-10     S2 =  0x1.111111110f8a6p-7
    C3      =  0x1.a01a019cb1590p-16     S3 = -0x1.a01a019c161d5p-13
    C4      = -0x1.27e4f809c52adp-22     S4 =  0x1.71de357b1fe7dp-19
    C5      =  0x1.1ee9ebdb4b1c4p-29     S5 = -0x1.ae5e68a2b9cebp-26
    C6      = -0x1.8fae9be8838d4p-37     S6 =  0x1.5d93a5acfd57cp-33
    INVPIO2 =  0x1.45f306dc9c883p-1      (2/pi to 53 bits)
    PIO2_1  =  0x1.921fb54400000p+0      (first 33 bits of pi/2)
    PIO2_1T =  0x1.0b4611a626331p-34     (pi/2 - PIO2_1)
    PIO2_2  =  0x1.0b4611a600000p-34     (next 33 bits)
    PIO2_2T =  0x1.3198a2e037073p-69     (pi/2 - PIO2_1 - PIO2_2)
    PIO2_3  =  0x1.3198a2e000000p-69     (next 33 bits)
    PIO2_3T =  0x1.b839a252049c1p-104    (pi/2 - PIO2_1 - PIO2_2 - PIO2_3)
    TOINT   =  0x1.8000000000000p+52     TWO24 = 0x1.0000000000000p+24
    TWON24  =  0x1.0000000000000p-24
    PIO2_CHUNKS (pi/2 in doubles of 24 significant bits)
            =  0x1.921fb40000000p+0, 0x1.4442d00000000p-24,
               0x1.8469880000000p-48, 0x1.8cc5160000000p-72,
               0x1.01b8380000000p-96, 0x1.a252040000000p-120,
               0x1.3822280000000p-145, 0x1.9f31d00000000p-169
    IPIO2   (bits 24i .. 24i+23 of 2/pi after the point, 66 chunks)
            =  0xA2F983 0x6E4E44 0x1529FC 0x2757D1 0xF534DD 0xC0DB62
               0x95993C 0x439041 0xFE5163 0xABDEBB 0xC561B7 0x246E3A
               0x424DD2 0xE00649 0x2EEA09 0xD1921C 0xFE1DEB 0x1CB129
               0xA73EE8 0x8235F5 0x2EBB44 0x84E99C 0x7026B4 0x5F7E41
               0x3991D6 0x398353 0x39F49C 0x845F8B 0xBDF928 0x3B1FF8
               0x97FFDE 0x05980F 0xEF2F11 0x8B5A0A 0x6D1F6D 0x367ECF
               0x27CB09 0xB74F46 0x3F669E 0x5FEA2D 0x7527BA 0xC7EBE5
               0xF17B3D 0x0739F7 0x8A5292 0xEA6BFB 0x5FB11F 0x8D5D08
               0x560330 0x46FC7B 0x6BABF0 0xCFBC20 0x9AF436 0x1DA9E3
               0x91615E 0xE61B08 0x659985 0x5F14A0 0x68408D 0xFFD880
               0x4D7327 0x310606 0x1556CA 0x73A8C9 0x60E27B 0xC08C6B

Measured accuracy, against mpmath at 300 bits (tests/test_elementary_cos.py
with ``FASTGD_ELEMENTARY_FULL=1``: 1,248,534 finite arguments, plus inf and
NaN): at most 0.7475 ulp (at x = -1326.499314367453); every result faithfully
rounded (the correctly rounded double or its neighbour on the other side of
the exact value); 97.4% correctly rounded.  On [0, pi] and just around it
(601,673 arguments, 360,470 of them ``pi * e / max_epochs`` as the schedule
computes it): at most 0.7383 ulp.  Near multiples of pi/2, down to the double nearest one,
6381956970095103 * 2^797: at most 0.7333 ulp.  The same bits on x86-64 (gcc
12, clang 14) and aarch64 (gcc 12, run under qemu).

The algorithm, the coefficients and the split constants of pi/2 come from
fdlibm, whose notice follows.

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.

    Developed at SunSoft, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.
"""
import struct

__all__ = ["cos"]

# kernel_cos: cos(x) ~ 1 - x^2/2 + C1 x^4 + ... + C6 x^14 on [-pi/4, pi/4]
C1 = float.fromhex('0x1.555555555554cp-5')
C2 = float.fromhex('-0x1.6c16c16c15177p-10')
C3 = float.fromhex('0x1.a01a019cb1590p-16')
C4 = float.fromhex('-0x1.27e4f809c52adp-22')
C5 = float.fromhex('0x1.1ee9ebdb4b1c4p-29')
C6 = float.fromhex('-0x1.8fae9be8838d4p-37')
# kernel_sin: sin(x) ~ x + S1 x^3 + ... + S6 x^13 on [-pi/4, pi/4]
S1 = float.fromhex('-0x1.5555555555549p-3')
S2 = float.fromhex('0x1.111111110f8a6p-7')
S3 = float.fromhex('-0x1.a01a019c161d5p-13')
S4 = float.fromhex('0x1.71de357b1fe7dp-19')
S5 = float.fromhex('-0x1.ae5e68a2b9cebp-26')
S6 = float.fromhex('0x1.5d93a5acfd57cp-33')
# Cody-Waite: 2/pi to 53 bits, pi/2 = P1 + P2 + P3 + P3T (33-bit pieces)
# and the tails P1T = pi/2 - P1, P2T = pi/2 - P1 - P2
INVPIO2 = float.fromhex('0x1.45f306dc9c883p-1')
PIO2_1 = float.fromhex('0x1.921fb54400000p+0')
PIO2_1T = float.fromhex('0x1.0b4611a626331p-34')
PIO2_2 = float.fromhex('0x1.0b4611a600000p-34')
PIO2_2T = float.fromhex('0x1.3198a2e037073p-69')
PIO2_3 = float.fromhex('0x1.3198a2e000000p-69')
PIO2_3T = float.fromhex('0x1.b839a252049c1p-104')
# round-to-nearest-integer shifter, 2^24, 2^-24
TOINT = float.fromhex('0x1.8000000000000p+52')
TWO24 = float.fromhex('0x1.0000000000000p+24')
TWON24 = float.fromhex('0x1.0000000000000p-24')

# Payne-Hanek: bits 24*i .. 24*i+23 of 2/pi after the binary point, as
# integers (value IPIO2[i] * 2^(-24*(i+1))); 66 chunks = 1584 bits, enough
# for every double (e0 <= 1000, jk = 4, plus recomputation terms).
IPIO2 = (
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
)

# pi/2 cut into doubles of 24 significant bits each
PIO2_CHUNKS = (
    float.fromhex('0x1.921fb40000000p+0'),
    float.fromhex('0x1.4442d00000000p-24'),
    float.fromhex('0x1.8469880000000p-48'),
    float.fromhex('0x1.8cc5160000000p-72'),
    float.fromhex('0x1.01b8380000000p-96'),
    float.fromhex('0x1.a252040000000p-120'),
    float.fromhex('0x1.3822280000000p-145'),
    float.fromhex('0x1.9f31d00000000p-169'),
)

# ---- bit access (fastgd.elementary's) ----

from .elementary import _bits, _double as _from_bits  # noqa: E402


def _pow2(k):
    """2^k for -1022 <= k <= 1023 (exact, from the bits)."""
    return _from_bits((k + 1023) << 52)


def _high(x):
    """High 32 bits of x, as fdlibm's GET_HIGH_WORD (sign bit 0 here)."""
    return _bits(x) >> 32


# ---- kernels on [-pi/4, pi/4]; y is the tail of x ----

def _kernel_cos(x, y):
    z = x * x
    w = z * z
    r = (z * (C1 + z * (C2 + z * C3))
         + w * w * (C4 + z * (C5 + z * C6)))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


def _kernel_sin(x, y):
    z = x * x
    w = z * z
    r = (S2 + z * (S3 + z * S4)
         + z * w * (S5 + z * S6))
    v = z * x
    return x - ((z * (0.5 * y - v * r) - y) - v * S1)


# ---- Payne-Hanek (fdlibm __kernel_rem_pio2 for double precision) ----

def _rem_pio2_large(x, y, e0, nx):
    """x[0..nx-1]: 24-bit integer pieces of the argument, whose value is
    sum x[i] * 2^(e0 - 24*i).  Returns n mod 8 and y[0] + y[1] = argument
    - n*pi/2 with |y| <= ~pi/4."""
    iq = [0] * 20
    f = [0.0] * 20
    fq = [0.0] * 20
    q = [0.0] * 20

    jk = 4
    jp = jk

    # jv: the first chunk of 2/pi whose product with x is not 0 mod 8
    jx = nx - 1
    jv = 0
    if e0 >= 3:
        jv = (e0 - 3) // 24
    q0 = e0 - 24 * (jv + 1)

    # f[0..jx+jk] = IPIO2[jv-jx .. jv+jk] (0 before the table starts)
    j = jv - jx
    m = jx + jk
    for i in range(0, m + 1):
        if j < 0:
            f[i] = 0.0
        else:
            f[i] = float(IPIO2[j])
        j += 1

    # q[i] = sum_j x[j] * f[jx+i-j]: exact (integers below 2^50)
    for i in range(0, jk + 1):
        fw = 0.0
        for j in range(0, jx + 1):
            fw = fw + x[j] * f[jx + i - j]
        q[i] = fw

    jz = jk
    n = 0
    ih = 0
    z = 0.0
    done = 0
    while done == 0:
        # distill q[] into 24-bit integers iq[], most significant first
        i = 0
        j = jz
        z = q[jz]
        while j > 0:
            fw = float(int(TWON24 * z))
            iq[i] = int(z - TWO24 * fw)
            z = q[j - 1] + fw
            i += 1
            j -= 1

        # n: the integer part mod 8; z its fraction (z >= 0 here)
        z = z * _pow2(q0)
        z = z - 8.0 * float(int(z * 0.125))
        n = int(z)
        z = z - float(n)
        ih = 0
        if q0 > 0:
            i = iq[jz - 1] >> (24 - q0)
            n = n + i
            iq[jz - 1] = iq[jz - 1] - (i << (24 - q0))
            ih = iq[jz - 1] >> (23 - q0)
        elif q0 == 0:
            ih = iq[jz - 1] >> 23
        elif z >= 0.5:
            ih = 2

        if ih > 0:
            # fraction >= 1/2: take n+1 and the fraction 1 - q
            n = n + 1
            carry = 0
            for i in range(0, jz):
                j = iq[i]
                if carry == 0:
                    if j != 0:
                        carry = 1
                        iq[i] = 0x1000000 - j
                else:
                    iq[i] = 0xffffff - j
            if q0 == 1:
                iq[jz - 1] = iq[jz - 1] & 0x7fffff
            elif q0 == 2:
                iq[jz - 1] = iq[jz - 1] & 0x3fffff
            if ih == 2:
                z = 1.0 - z
                if carry != 0:
                    z = z - _pow2(q0)

        done = 1
        if z == 0.0:
            # all the bits computed cancel: take more terms of 2/pi
            j = 0
            for i in range(jz - 1, jk - 1, -1):
                j = j | iq[i]
            if j == 0:
                k = 1
                while iq[jk - k] == 0:
                    k += 1
                for i in range(jz + 1, jz + k + 1):
                    f[jx + i] = float(IPIO2[jv + i])
                    fw = 0.0
                    for j in range(0, jx + 1):
                        fw = fw + x[j] * f[jx + i - j]
                    q[i] = fw
                jz = jz + k
                done = 0

    # chop off zero terms, or break the fraction z into 24-bit pieces
    if z == 0.0:
        jz = jz - 1
        q0 = q0 - 24
        while iq[jz] == 0:
            jz -= 1
            q0 = q0 - 24
    else:
        z = z * _pow2(-q0)
        if z >= TWO24:
            fw = float(int(TWON24 * z))
            iq[jz] = int(z - TWO24 * fw)
            jz = jz + 1
            q0 = q0 + 24
            iq[jz] = int(fw)
        else:
            iq[jz] = int(z)

    # the fraction as doubles q[i] = iq[i] * 2^(q0 - 24*i) (exact)
    fw = _pow2(q0)
    for i in range(jz, -1, -1):
        q[i] = fw * float(iq[i])
        fw = fw * TWON24

    # fq[jz-i] = sum_k PIO2_CHUNKS[k] * q[i+k]: the fraction times pi/2
    for i in range(jz, -1, -1):
        fw = 0.0
        k = 0
        while k <= jp and k <= jz - i:
            fw = fw + PIO2_CHUNKS[k] * q[i + k]
            k += 1
        fq[jz - i] = fw

    # compress fq[] into y[0] + y[1]
    fw = 0.0
    for i in range(jz, -1, -1):
        fw = fw + fq[i]
    if ih == 0:
        y[0] = fw
    else:
        y[0] = -fw
    fw = fq[0] - fw
    for i in range(1, jz + 1):
        fw = fw + fq[i]
    if ih == 0:
        y[1] = fw
    else:
        y[1] = -fw
    return n & 7


# ---- reduction of ax = |x| (pi/4 < ax < inf): ax = n*pi/2 + y[0] + y[1] ----

def _rem_pio2(ax, y):
    tx = [0.0] * 3

    ix = _high(ax)
    if ix < 0x413921fb:
        # |x| < ~2^20 * pi/2: Cody-Waite; fn = nearest integer to ax*2/pi
        fn = ax * INVPIO2 + TOINT
        fn = fn - TOINT
        n = int(fn)
        r = ax - fn * PIO2_1
        w = fn * PIO2_1T
        j = ix >> 20
        y[0] = r - w
        high = _high(y[0])
        i = j - ((high >> 20) & 0x7ff)
        if i > 16:
            # cancellation: second round, good to 118 bits
            t = r
            w = fn * PIO2_2
            r = t - w
            w = fn * PIO2_2T - ((t - r) - w)
            y[0] = r - w
            high = _high(y[0])
            i = j - ((high >> 20) & 0x7ff)
            if i > 49:
                # third round, good to 151 bits: covers every double
                t = r
                w = fn * PIO2_3
                r = t - w
                w = fn * PIO2_3T - ((t - r) - w)
                y[0] = r - w
        y[1] = (r - y[0]) - w
        return n

    # large: z = ax scaled into [2^23, 2^24), cut into 24-bit pieces
    e0 = (ix >> 20) - 1046
    z = _from_bits((_bits(ax) & 0x000fffffffffffff)
                   | (1046 << 52))
    for i in range(0, 2):
        tx[i] = float(int(z))
        z = (z - tx[i]) * TWO24
    tx[2] = z
    nx = 3
    while tx[nx - 1] == 0.0:
        nx -= 1
    return _rem_pio2_large(tx, y, e0, nx)


# ---- cos ----

def cos(x):
    """Cosine of the float x, the same bits as ``fgd_cos`` in src/elementary_cos.h."""
    y = [0.0, 0.0]

    ax = _from_bits(_bits(float(x)) & 0x7fffffffffffffff)
    ix = _high(ax)
    if ix <= 0x3fe921fb:
        # |x| < ~pi/4
        if ix < 0x3e400000:
            # |x| < 2^-27 (zero and subnormal included): 1 - x^2/2 rounds to 1
            return 1.0
        return _kernel_cos(ax, 0.0)
    if ix >= 0x7ff00000:
        # inf or NaN: a NaN with fixed bits
        return _from_bits(0x7ff8000000000000)
    n = _rem_pio2(ax, y)
    n = n & 3
    if n == 0:
        return _kernel_cos(y[0], y[1])
    if n == 1:
        return -_kernel_sin(y[0], y[1])
    if n == 2:
        return -_kernel_cos(y[0], y[1])
    return _kernel_sin(y[0], y[1])
