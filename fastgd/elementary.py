"""fastgd's own exp, log1p, log and pow, in plain Python: the same bits everywhere.

The C library's exp, log1p and pow (and so Python's :mod:`math`, which calls
them) are chosen per CPU and per vendor: glibc alone has an FMA and a non-FMA
variant, and their last bits differ.  fastgd therefore computes these
functions itself, once in C (``src/elementary.h``, used by the compiled
kernels) and once here, for the reference implementation.  The two are the
same sequence of IEEE-754 double operations (``+ - * /``, each rounded to
nearest; no fused multiply-add) on the same constants, in the same order, and
the same integer operations on the bits of the numbers (``struct`` here,
``memcpy`` there; 64-bit unsigned arithmetic is taken modulo ``2**64`` here
as it wraps there), so they return the same bits on every machine.  No
function of :mod:`math` is called.

The algorithms:

* exp and pow: ARM's optimized-routines (``math/exp.c``, ``math/pow.c``, as
  shipped by glibc and musl; Copyright (c) 2018, Arm Limited; MIT licence),
  their variants without fused multiply-add.
* log1p and log: Sun's fdlibm as kept in FreeBSD's msun (``s_log1p.c``,
  ``e_log.c``; Copyright (C) 1993 by Sun Microsystems, Inc.; "Permission to
  use, copy, modify, and distribute this software is freely granted, provided
  that this notice is preserved").

The changes: no library calls; every NaN returned is ``0x7ff8000000000000``
(whatever NaN was passed in, and for every invalid operation), never one made
by an arithmetic operation (x86 and ARM make different ones); pow's special
cases are sorted so that ``pow(x, y) == pow_log(*log_ext(x), y)`` for every
x with the sign bit clear (+0, +inf and NaN included) and every ``y``
(:func:`log_ext` and :func:`pow_log` are pow's two halves: a caller raising
one x to many powers may keep ``log_ext(x)``).

Notation: ``bits(v)`` is the 64-bit pattern of the double v, ``hx`` its high
32 bits as a signed integer, ``double(b)`` the double with bits b; "rounded"
means rounded to nearest, ties to even.

exp(x)
    Specials: NaN -> NaN; +inf -> +inf; -inf -> +0; ``|x| >= 1024`` -> +inf
    (x > 0) or +0 (x < 0); ``|x| < 2**-54`` -> ``1 + x``.
    Reduction: ``z = x*invln2N``; ``kd = z + shift`` rounds z to the integer
    k, which ``ki = bits(kd)`` holds in its low bits; ``kd -= shift`` (now
    ``kd = k``); ``r = x + kd*negln2hiN + kd*negln2loN`` (``|r| <=
    ln2/256``).
    Table: for ``j = k mod 128``, ``2**(j/128) = H_j*(1 + T_j)`` with ``H_j =
    2**(j/128)`` rounded and ``T_j = 2**(j/128)/H_j - 1`` rounded;
    ``_EXP_TAB[2j] = bits(T_j)``, ``_EXP_TAB[2j+1] = bits(H_j) - (j << 45)``
    (checked against mpmath by the tests).  ``tail = T_j``, ``sbits =
    _EXP_TAB[2j+1] + (ki << 45)`` (the bits of ``2**(k/128)/(1 + T_j)``).
    Polynomial: ``r2 = r*r``, ``tmp = tail + r + r2*(C2 + r*C3) + r2*r2*(C4
    + r*C5)`` (``exp(r) - 1 + T_j``; ARM's fit, absolute error 1.555*2**-66
    for ``|r| <= ln2/256``).
    Result: ``scale + scale*tmp`` with ``scale = double(sbits)``.  When
    ``512 <= |x| < 1024``: for k > 0, ``2**1009 * (scale + scale*tmp)`` with
    ``scale = double(sbits - (1009 << 52))``; for k < 0, ``scale =
    double(sbits + (1022 << 52))``, ``y = scale + scale*tmp``, and when
    ``y < 1`` (a subnormal result) y is first rounded to the subnormal's
    precision (``lo = scale - y + scale*tmp``, ``hi = 1 + y``, ``lo = 1 - hi
    + y + lo``, ``y = (hi + lo) - 1``), then ``2**-1022 * y`` (exact): one
    rounding in all.

    =========  ======================  ==============================
    invln2N    0x1.71547652b82fep+7    128/ln2
    negln2hiN  -0x1.62e42fefa0000p-8   -ln2/128, high part (37 bits)
    negln2loN  -0x1.cf79abc9e3b3ap-47  -ln2/128, the rest
    shift      0x1.8000000000000p+52   1.5 * 2**52
    C2         0x1.ffffffffffdbdp-2
    C3         0x1.555555555543cp-3
    C4         0x1.55555cf172b91p-5
    C5         0x1.1111167a4d017p-7
    =========  ======================  ==============================

log1p(x)
    Specials: NaN -> NaN; -1 -> -inf; ``x < -1`` (and -inf) -> NaN; +inf ->
    +inf; ``|x| < 2**-54`` -> ``x`` (so -0 -> -0); ``|x| < 2**-29`` ->
    ``x - x*x*0.5``.
    Reduction: ``1 + x = 2**k * (1 + f)``, ``sqrt(2)/2 < 1 + f < sqrt(2)``.
    For ``-0.2929 < x < 0.41422`` (``hx < 0x3fda827a``, and ``hx > 0`` or
    ``hx <= 0xbfd2bec4`` as signed words), ``k = 0`` and ``f = x`` exactly;
    otherwise ``u = 1 + x`` rounded (``u = x`` when ``x >= 2**53``), ``k``
    from u's exponent, and the correction ``c = (1 - (u - x))/u`` (``k > 0``)
    or ``(x - (u - 1))/u`` (``k <= 0``; ``c = 0`` when ``x >= 2**53``); u's
    exponent is set to 0, or to -1 (and ``k += 1``) when u's high fraction
    bits are ``>= 0x6a09e``, and ``f = u - 1``.
    Approximation: ``s = f/(2 + f)``, ``z = s*s``, ``R = z*(Lp1 + z*(Lp2 +
    z*(Lp3 + z*(Lp4 + z*(Lp5 + z*(Lp6 + z*Lp7))))))`` (a Remez fit, error
    < 2**-58.45, of ``(log(1+f) - 2s)/s``), ``hfsq = 0.5*f*f``;
    ``log1p = k*ln2_hi - ((hfsq - (s*(hfsq + R) + (k*ln2_lo + c))) - f)``
    (``f - (hfsq - s*(hfsq + R))`` when ``k = 0``).  When ``|f| < 2**-20``
    (u's high fraction bits all zero): ``R = hfsq*(1 - two_thirds*f)`` and
    ``k*ln2_hi - ((R - (k*ln2_lo + c)) - f)`` (``f - R`` when ``k = 0``), or
    ``k*ln2_hi + (c + k*ln2_lo)`` when ``f = 0``.

    ==========  ========================
    ln2_hi      0x1.62e42fee00000p-1
    ln2_lo      0x1.a39ef35793c76p-33
    Lp1         0x1.5555555555593p-1
    Lp2         0x1.999999997fa04p-2
    Lp3         0x1.2492494229359p-2
    Lp4         0x1.c71c51d8e78afp-3
    Lp5         0x1.7466496cb03dep-3
    Lp6         0x1.39a09d078c69fp-3
    Lp7         0x1.2f112df3e5244p-3
    two_thirds  0x1.5555555555555p-1
    ==========  ========================

log(x)
    Specials: NaN -> NaN; +-0 -> -inf; ``x < 0`` (and -inf) -> NaN; +inf ->
    +inf; 1 -> +0.  A subnormal x is first multiplied by ``2**54``
    (``k = -54``, exact).
    Reduction: ``x = 2**k * (1 + f)`` with ``sqrt(2)/2 < 1 + f < sqrt(2)``
    (the exponent is set to 0, or to -1 with ``k += 1`` when the high
    fraction bits plus ``0x95f64`` carry into bit 20).
    Approximation: ``s = f/(2 + f)``, ``z = s*s``, ``w = z*z``,
    ``R = z*(Lg1 + w*(Lg3 + w*(Lg5 + w*Lg7))) + w*(Lg2 + w*(Lg4 + w*Lg6))``
    (log1p's polynomial, ``Lg_i = Lp_i``); with ``hfsq = 0.5*f*f``, the
    result is ``k*ln2_hi - ((hfsq - (s*(hfsq + R) + k*ln2_lo)) - f)`` when
    the high fraction bits are in ``(0x6147a, 0x6b851)`` (1 + f roughly in
    (1.38, 1.42)), else ``k*ln2_hi - ((s*(f - R) - k*ln2_lo) - f)`` (``k =
    0``: ``f - (hfsq - s*(hfsq + R))`` resp. ``f - s*(f - R)``).  When
    ``|f| < 2**-20``: ``R = f*f*(0.5 - one_third*f)``, ``k*ln2_hi - ((R -
    k*ln2_lo) - f)`` (``f - R`` when ``k = 0``; ``k*ln2_hi + k*ln2_lo`` when
    ``f = 0``).  Constants: ln2_hi, ln2_lo, Lg1..Lg7 = Lp1..Lp7 as in
    log1p, one_third = ``0x1.5555555555555p-2``, ``2**54``.

pow(x, y)
    Specials, in this order (C99 Annex F):

    =====================================  ===================================
    y = +-0                                1 (even for a NaN x)
    x = 1                                  1 (even for a NaN y)
    x or y NaN                             NaN
    x = +-0, y < 0                         +inf; -inf if x = -0 and y odd
    x = +-0, y > 0                         +0; -0 if x = -0 and y odd
    x = +-inf, y < 0                       +0; -0 if x = -inf and y odd
    x = +-inf, y > 0                       +inf; -inf if x = -inf and y odd
    x < 0 finite, y finite non-integer     NaN
    x < 0 finite, y integer or +-inf       +-pow(-x, y), - when y is odd
    x > 0 finite                           ``pow_log(*log_ext(x), y)``, below
    =====================================  ===================================

    ("odd": an odd integer; +-inf and ``|y| >= 2**53`` count as even.)
    A fast path takes x > 0 normal with ``2**-65 <= |y| < 2**63`` straight to
    pow_log's general case below (none of pow_log's special cases can apply
    there; x = 1 gives exp(0) = 1 either way), so the result is the same.

    log_ext(x), finite ``x > 0``: ``ix = bits(x)``; a subnormal x is
    normalized, ``ix = bits(x * 2**52) - (52 << 52)`` (the exponent goes
    below zero, modulo ``2**64``).  ``tmp = ix - 0x3fe6955500000000``,
    ``i = (tmp >> 45) mod 128``, ``k`` = the top 12 bits of tmp as a signed
    number, ``z = double(ix - (tmp & (0xfff << 52)))``: ``x = 2**k * z``,
    z in ``[0x1.69555p-1, 0x1.69555p+0)``, in the i-th of 128 subintervals.
    Table ``_POW_LOG_TAB[i] = (invc, logc, logctail)``: ``invc = 1/c`` is
    ``j/128`` or ``j/256`` (integer j) near the inverse of the subinterval's
    centre, ``logc = log(c)`` rounded to a multiple of ``2**-43`` (so
    ``k*ln2hi + logc`` is exact), ``logctail = log(c) - logc`` rounded
    (ARM's ``pow_log_data.c``; the tests check these definitions).
    ``r = z*invc - 1`` is computed exactly as ``rhi + rlo``: ``zhi =
    double((bits(z) + 2**31) & 0xffffffff00000000)``, ``zlo = z - zhi``,
    ``rhi = zhi*invc - 1``, ``rlo = zlo*invc``, ``r = rhi + rlo``.  Then
    ``t1 = k*ln2hi + logc``, ``t2 = t1 + r``, ``lo1 = k*ln2lo + logctail``,
    ``lo2 = t1 - t2 + r``, ``ar = A0*r``, ``ar2 = r*ar``, ``ar3 = r*ar2``,
    ``arhi = A0*rhi``, ``arhi2 = rhi*arhi``, ``hi = t2 + arhi2``, ``lo3 =
    rlo*(ar + arhi)``, ``lo4 = t2 - hi + arhi2``, ``p = ar3*(A1 + r*A2 +
    ar2*(A3 + r*A4 + ar2*(A5 + r*A6)))`` (ARM's fit of ``log1p(r) - r +
    r*r/2``, relative error 2**-69.9 for ``|r| < 0x1.6bp-8``), ``lo = lo1 +
    lo2 + lo3 + lo4 + p``; returns ``y = hi + lo`` and ``hi - y + lo``:
    log(x) to a relative error below 1.5*2**-68.

    log_ext of the other numbers with the sign bit clear: +0 -> ``(-inf,
    0)``, +inf -> ``(inf, 0)``, NaN -> ``(NaN, 0)``; with the sign bit set
    (-0 included) -> ``(NaN, 0)``.

    pow_log(hi, lo, y): ``hi = lo = 0`` (x = 1) -> 1; y NaN -> NaN; y = +-0
    -> 1; hi NaN -> NaN; hi = +-inf (x = +0 or +inf) or y = +-inf -> +inf
    when ``hi < 0`` and ``y < 0`` or both are > 0, else +0; ``|y| <
    2**-65`` -> ``1 + y`` (hi > 0) or ``1 - y`` (both round to 1); ``|y| >=
    2**63`` -> +inf when hi and y have the same sign, else +0.  So
    ``pow(x, y) == pow_log(*log_ext(x), y)`` for every x with the sign bit
    clear and every y.
    Otherwise y and hi are split: ``yhi = double(bits(y) &
    0xfffffffff8000000)``, ``ylo = y - yhi``, ``lhi = double(bits(hi) &
    0xfffffffff8000000)``, ``llo = hi - lhi + lo``; ``ehi = yhi*lhi``
    (exact), ``elo = ylo*lhi + y*llo``, and the result is exp(ehi + elo):
    exp's algorithm above with ``r += elo`` after the reduction.

    ==========  ========================
    ln2hi       0x1.62e42fefa3800p-1
    ln2lo       0x1.ef35793c76730p-45
    A0          -0x1.0000000000000p-1
    A1          -0x1.5555555555560p-1
    A2          0x1.0000000000006p-1
    A3          0x1.999999959554ep-1
    A4          -0x1.555555529a47ap-1
    A5          -0x1.2495b9b4845e9p+0
    A6          0x1.0002b8b263fc3p+0
    ==========  ========================

    Powers of two written in hex in the code: ``0x1.0000000000000p+52``,
    ``0x1.0000000000000p+54``, ``0x1.0000000000000p+1009``,
    ``0x1.0000000000000p-1022``.

Accuracy, measured by tests/test_elementary.py with ``FASTGD_ELEMENTARY_FULL=1``
against mpmath at 200 bits, in ulps of the exact value (the C and this module
agree bit for bit on all of these arguments; special values exact as above):

    =====  =========  =========  =====================  ==========================
    func   arguments  max error  not correctly rounded  worst case
    =====  =========  =========  =====================  ==========================
    exp    999,976    0.5061     721 (0.07%)            exp(-683.5325069274562)
    log1p  987,556    0.8247     29,595 (3.0%)          log1p(0.40689305209101145)
    log    974,941    0.8191     17,035 (1.7%)          log(0.6297000241082561)
    pow    1,009,651  0.5064     656 (0.06%)            pow(3543.0, 0.5)
    =====  =========  =========  =====================  ==========================

Every result is faithfully rounded (the correctly rounded double or its
neighbour on the other side of the exact value).  The published bounds: exp
0.511 ulp and pow 0.54 ulp without FMA (ARM); log1p and log below 1 ulp
(fdlibm).  log_ext(x) = hi + lo has a relative error below 2**-68.5 on the
same pow arguments.
"""
import struct

__all__ = ["exp", "log1p", "log", "pow", "log_ext", "pow_log", "cos"]

_DOUBLE = struct.Struct("<d")
_UINT64 = struct.Struct("<Q")


# ------------------------------------------------------------------ bit access

def _bits(x):
    """The 64 bits of the double x, as an unsigned integer."""
    return _UINT64.unpack(_DOUBLE.pack(x))[0]


def _double(u):
    """The double whose bits are the unsigned 64-bit integer u."""
    return _DOUBLE.unpack(_UINT64.pack(u))[0]


def _hi(x):
    """The high 32 bits of x as a signed 32-bit integer (GET_HIGH_WORD)."""
    h = _bits(x) >> 32
    return h - 0x100000000 if h >= 0x80000000 else h


def _lo(x):
    """The low 32 bits of x (GET_LOW_WORD)."""
    return _bits(x) & 0xffffffff


def _set_hi(x, hi):
    """x with its high word replaced by hi (modulo 2**32) (SET_HIGH_WORD)."""
    return _double(((hi & 0xffffffff) << 32) | (_bits(x) & 0xffffffff))


_INF = _double(0x7ff0000000000000)
_NAN = _double(0x7ff8000000000000)   # the only NaN these functions return


# ------------------------------------------------------------------------- exp

_h = float.fromhex
_MASK64 = 0xffffffffffffffff

#: 2**(j/128) = H_j * (1 + T_j): entry 2j is the bits of T_j, entry 2j+1 the bits
#: of H_j minus j << 45 (see the module docstring).
_EXP_TAB = (
    0x0000000000000000, 0x3ff0000000000000,  # 0
    0x3c9b3b4f1a88bf6e, 0x3feff63da9fb3335,  # 1
    0xbc7160139cd8dc5d, 0x3fefec9a3e778061,  # 2
    0xbc905e7a108766d1, 0x3fefe315e86e7f85,  # 3
    0x3c8cd2523567f613, 0x3fefd9b0d3158574,  # 4
    0xbc8bce8023f98efa, 0x3fefd06b29ddf6de,  # 5
    0x3c60f74e61e6c861, 0x3fefc74518759bc8,  # 6
    0x3c90a3e45b33d399, 0x3fefbe3ecac6f383,  # 7
    0x3c979aa65d837b6d, 0x3fefb5586cf9890f,  # 8
    0x3c8eb51a92fdeffc, 0x3fefac922b7247f7,  # 9
    0x3c3ebe3d702f9cd1, 0x3fefa3ec32d3d1a2,  # 10
    0xbc6a033489906e0b, 0x3fef9b66affed31b,  # 11
    0xbc9556522a2fbd0e, 0x3fef9301d0125b51,  # 12
    0xbc5080ef8c4eea55, 0x3fef8abdc06c31cc,  # 13
    0xbc91c923b9d5f416, 0x3fef829aaea92de0,  # 14
    0x3c80d3e3e95c55af, 0x3fef7a98c8a58e51,  # 15
    0xbc801b15eaa59348, 0x3fef72b83c7d517b,  # 16
    0xbc8f1ff055de323d, 0x3fef6af9388c8dea,  # 17
    0x3c8b898c3f1353bf, 0x3fef635beb6fcb75,  # 18
    0xbc96d99c7611eb26, 0x3fef5be084045cd4,  # 19
    0x3c9aecf73e3a2f60, 0x3fef54873168b9aa,  # 20
    0xbc8fe782cb86389d, 0x3fef4d5022fcd91d,  # 21
    0x3c8a6f4144a6c38d, 0x3fef463b88628cd6,  # 22
    0x3c807a05b0e4047d, 0x3fef3f49917ddc96,  # 23
    0x3c968efde3a8a894, 0x3fef387a6e756238,  # 24
    0x3c875e18f274487d, 0x3fef31ce4fb2a63f,  # 25
    0x3c80472b981fe7f2, 0x3fef2b4565e27cdd,  # 26
    0xbc96b87b3f71085e, 0x3fef24dfe1f56381,  # 27
    0x3c82f7e16d09ab31, 0x3fef1e9df51fdee1,  # 28
    0xbc3d219b1a6fbffa, 0x3fef187fd0dad990,  # 29
    0x3c8b3782720c0ab4, 0x3fef1285a6e4030b,  # 30
    0x3c6e149289cecb8f, 0x3fef0cafa93e2f56,  # 31
    0x3c834d754db0abb6, 0x3fef06fe0a31b715,  # 32
    0x3c864201e2ac744c, 0x3fef0170fc4cd831,  # 33
    0x3c8fdd395dd3f84a, 0x3feefc08b26416ff,  # 34
    0xbc86a3803b8e5b04, 0x3feef6c55f929ff1,  # 35
    0xbc924aedcc4b5068, 0x3feef1a7373aa9cb,  # 36
    0xbc9907f81b512d8e, 0x3feeecae6d05d866,  # 37
    0xbc71d1e83e9436d2, 0x3feee7db34e59ff7,  # 38
    0xbc991919b3ce1b15, 0x3feee32dc313a8e5,  # 39
    0x3c859f48a72a4c6d, 0x3feedea64c123422,  # 40
    0xbc9312607a28698a, 0x3feeda4504ac801c,  # 41
    0xbc58a78f4817895b, 0x3feed60a21f72e2a,  # 42
    0xbc7c2c9b67499a1b, 0x3feed1f5d950a897,  # 43
    0x3c4363ed60c2ac11, 0x3feece086061892d,  # 44
    0x3c9666093b0664ef, 0x3feeca41ed1d0057,  # 45
    0x3c6ecce1daa10379, 0x3feec6a2b5c13cd0,  # 46
    0x3c93ff8e3f0f1230, 0x3feec32af0d7d3de,  # 47
    0x3c7690cebb7aafb0, 0x3feebfdad5362a27,  # 48
    0x3c931dbdeb54e077, 0x3feebcb299fddd0d,  # 49
    0xbc8f94340071a38e, 0x3feeb9b2769d2ca7,  # 50
    0xbc87deccdc93a349, 0x3feeb6daa2cf6642,  # 51
    0xbc78dec6bd0f385f, 0x3feeb42b569d4f82,  # 52
    0xbc861246ec7b5cf6, 0x3feeb1a4ca5d920f,  # 53
    0x3c93350518fdd78e, 0x3feeaf4736b527da,  # 54
    0x3c7b98b72f8a9b05, 0x3feead12d497c7fd,  # 55
    0x3c9063e1e21c5409, 0x3feeab07dd485429,  # 56
    0x3c34c7855019c6ea, 0x3feea9268a5946b7,  # 57
    0x3c9432e62b64c035, 0x3feea76f15ad2148,  # 58
    0xbc8ce44a6199769f, 0x3feea5e1b976dc09,  # 59
    0xbc8c33c53bef4da8, 0x3feea47eb03a5585,  # 60
    0xbc845378892be9ae, 0x3feea34634ccc320,  # 61
    0xbc93cedd78565858, 0x3feea23882552225,  # 62
    0x3c5710aa807e1964, 0x3feea155d44ca973,  # 63
    0xbc93b3efbf5e2228, 0x3feea09e667f3bcd,  # 64
    0xbc6a12ad8734b982, 0x3feea012750bdabf,  # 65
    0xbc6367efb86da9ee, 0x3fee9fb23c651a2f,  # 66
    0xbc80dc3d54e08851, 0x3fee9f7df9519484,  # 67
    0xbc781f647e5a3ecf, 0x3fee9f75e8ec5f74,  # 68
    0xbc86ee4ac08b7db0, 0x3fee9f9a48a58174,  # 69
    0xbc8619321e55e68a, 0x3fee9feb564267c9,  # 70
    0x3c909ccb5e09d4d3, 0x3feea0694fde5d3f,  # 71
    0xbc7b32dcb94da51d, 0x3feea11473eb0187,  # 72
    0x3c94ecfd5467c06b, 0x3feea1ed0130c132,  # 73
    0x3c65ebe1abd66c55, 0x3feea2f336cf4e62,  # 74
    0xbc88a1c52fb3cf42, 0x3feea427543e1a12,  # 75
    0xbc9369b6f13b3734, 0x3feea589994cce13,  # 76
    0xbc805e843a19ff1e, 0x3feea71a4623c7ad,  # 77
    0xbc94d450d872576e, 0x3feea8d99b4492ed,  # 78
    0x3c90ad675b0e8a00, 0x3feeaac7d98a6699,  # 79
    0x3c8db72fc1f0eab4, 0x3feeace5422aa0db,  # 80
    0xbc65b6609cc5e7ff, 0x3feeaf3216b5448c,  # 81
    0x3c7bf68359f35f44, 0x3feeb1ae99157736,  # 82
    0xbc93091fa71e3d83, 0x3feeb45b0b91ffc6,  # 83
    0xbc5da9b88b6c1e29, 0x3feeb737b0cdc5e5,  # 84
    0xbc6c23f97c90b959, 0x3feeba44cbc8520f,  # 85
    0xbc92434322f4f9aa, 0x3feebd829fde4e50,  # 86
    0xbc85ca6cd7668e4b, 0x3feec0f170ca07ba,  # 87
    0x3c71affc2b91ce27, 0x3feec49182a3f090,  # 88
    0x3c6dd235e10a73bb, 0x3feec86319e32323,  # 89
    0xbc87c50422622263, 0x3feecc667b5de565,  # 90
    0x3c8b1c86e3e231d5, 0x3feed09bec4a2d33,  # 91
    0xbc91bbd1d3bcbb15, 0x3feed503b23e255d,  # 92
    0x3c90cc319cee31d2, 0x3feed99e1330b358,  # 93
    0x3c8469846e735ab3, 0x3feede6b5579fdbf,  # 94
    0xbc82dfcd978e9db4, 0x3feee36bbfd3f37a,  # 95
    0x3c8c1a7792cb3387, 0x3feee89f995ad3ad,  # 96
    0xbc907b8f4ad1d9fa, 0x3feeee07298db666,  # 97
    0xbc55c3d956dcaeba, 0x3feef3a2b84f15fb,  # 98
    0xbc90a40e3da6f640, 0x3feef9728de5593a,  # 99
    0xbc68d6f438ad9334, 0x3feeff76f2fb5e47,  # 100
    0xbc91eee26b588a35, 0x3fef05b030a1064a,  # 101
    0x3c74ffd70a5fddcd, 0x3fef0c1e904bc1d2,  # 102
    0xbc91bdfbfa9298ac, 0x3fef12c25bd71e09,  # 103
    0x3c736eae30af0cb3, 0x3fef199bdd85529c,  # 104
    0x3c8ee3325c9ffd94, 0x3fef20ab5fffd07a,  # 105
    0x3c84e08fd10959ac, 0x3fef27f12e57d14b,  # 106
    0x3c63cdaf384e1a67, 0x3fef2f6d9406e7b5,  # 107
    0x3c676b2c6c921968, 0x3fef3720dcef9069,  # 108
    0xbc808a1883ccb5d2, 0x3fef3f0b555dc3fa,  # 109
    0xbc8fad5d3ffffa6f, 0x3fef472d4a07897c,  # 110
    0xbc900dae3875a949, 0x3fef4f87080d89f2,  # 111
    0x3c74a385a63d07a7, 0x3fef5818dcfba487,  # 112
    0xbc82919e2040220f, 0x3fef60e316c98398,  # 113
    0x3c8e5a50d5c192ac, 0x3fef69e603db3285,  # 114
    0x3c843a59ac016b4b, 0x3fef7321f301b460,  # 115
    0xbc82d52107b43e1f, 0x3fef7c97337b9b5f,  # 116
    0xbc892ab93b470dc9, 0x3fef864614f5a129,  # 117
    0x3c74b604603a88d3, 0x3fef902ee78b3ff6,  # 118
    0x3c83c5ec519d7271, 0x3fef9a51fbc74c83,  # 119
    0xbc8ff7128fd391f0, 0x3fefa4afa2a490da,  # 120
    0xbc8dae98e223747d, 0x3fefaf482d8e67f1,  # 121
    0x3c8ec3bc41aa2008, 0x3fefba1bee615a27,  # 122
    0x3c842b94c3a9eb32, 0x3fefc52b376bba97,  # 123
    0x3c8a64a931d185ee, 0x3fefd0765b6e4540,  # 124
    0xbc8e37bae43be3ed, 0x3fefdbfdad9cbe14,  # 125
    0x3c77893b4d91cd9d, 0x3fefe7c1819e90d8,  # 126
    0x3c5305c14160cc89, 0x3feff3c22b8f71f1,  # 127
)
_INVLN2N = float.fromhex("0x1.71547652b82fep+7")
_NEGLN2HIN = float.fromhex("-0x1.62e42fefa0000p-8")
_NEGLN2LON = float.fromhex("-0x1.cf79abc9e3b3ap-47")
_SHIFT = float.fromhex("0x1.8000000000000p+52")
_C2 = float.fromhex("0x1.ffffffffffdbdp-2")
_C3 = float.fromhex("0x1.555555555543cp-3")
_C4 = float.fromhex("0x1.55555cf172b91p-5")
_C5 = float.fromhex("0x1.1111167a4d017p-7")
_TWO1009 = float.fromhex("0x1.0000000000000p+1009")
_TWOM1022 = float.fromhex("0x1.0000000000000p-1022")


def _exp_special(tmp, sbits, ki):
    """scale*(1 + tmp) for |x| >= 512 (the exponent in sbits may have wrapped)."""
    if (ki & 0x80000000) == 0:
        # k > 0: the exponent of scale may have overflowed, by at most 460
        sbits = (sbits - (1009 << 52)) & _MASK64
        scale = _double(sbits)
        return _TWO1009 * (scale + scale * tmp)
    # k < 0: the result may be subnormal
    sbits = (sbits + (1022 << 52)) & _MASK64
    scale = _double(sbits)
    y = scale + scale * tmp
    if y < 1.0:
        # round y to the precision the subnormal result has, then scale exactly
        lo = scale - y + scale * tmp
        hi = 1.0 + y
        lo = 1.0 - hi + y + lo
        y = (hi + lo) - 1.0
    return _TWOM1022 * y


def _exp_inline(x, xtail, hastail):
    """exp(x + xtail) for |xtail| < 2**-15 (xtail is ignored unless hastail)."""
    abstop = (_bits(x) >> 52) & 0x7ff
    if ((abstop - 0x3c9) & 0xffffffff) >= 0x408 - 0x3c9:  # |x| < 2**-54, or >= 512, inf, NaN
        if ((abstop - 0x3c9) & 0xffffffff) >= 0x80000000:
            return 1.0 + x                   # |x| < 2**-54
        if abstop >= 0x409:                  # |x| >= 1024, inf, NaN
            if (_bits(x) & 0x7fffffffffffffff) > 0x7ff0000000000000:
                return _NAN
            return 0.0 if _bits(x) >> 63 else _INF
        abstop = 0                           # 512 <= |x| < 1024: _exp_special

    # x = k*ln2/128 + r, |r| <= ln2/256; exp(x) = 2**(k/128) * exp(r)
    z = _INVLN2N * x
    kd = z + _SHIFT                          # k = z rounded, in the low bits of kd
    ki = _bits(kd)
    kd -= _SHIFT
    r = x + kd * _NEGLN2HIN + kd * _NEGLN2LON
    if hastail:
        r += xtail
    # 2**(k/128) = scale * (1 + tail)
    idx = 2 * (ki % 128)
    top = (ki << 45) & _MASK64
    tail = _double(_EXP_TAB[idx])
    sbits = (_EXP_TAB[idx + 1] + top) & _MASK64
    # exp(x) = scale + scale * (tail + exp(r) - 1)
    r2 = r * r
    tmp = tail + r + r2 * (_C2 + r * _C3) + r2 * r2 * (_C4 + r * _C5)
    if abstop == 0:
        return _exp_special(tmp, sbits, ki)
    scale = _double(sbits)
    return scale + scale * tmp


def exp(x):
    """e**x (see the module docstring)."""
    return _exp_inline(float(x), 0.0, False)


# ----------------------------------------------------------------------- log1p

_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_LP1 = float.fromhex("0x1.5555555555593p-1")
_LP2 = float.fromhex("0x1.999999997fa04p-2")
_LP3 = float.fromhex("0x1.2492494229359p-2")
_LP4 = float.fromhex("0x1.c71c51d8e78afp-3")
_LP5 = float.fromhex("0x1.7466496cb03dep-3")
_LP6 = float.fromhex("0x1.39a09d078c69fp-3")
_LP7 = float.fromhex("0x1.2f112df3e5244p-3")
_TWO_THIRDS = float.fromhex("0x1.5555555555555p-1")


def log1p(x):
    """log(1 + x) (fdlibm's log1p; see the module docstring)."""
    x = float(x)
    f = 0.0
    c = 0.0
    hu = 0

    hx = _hi(x)
    ax = hx & 0x7fffffff

    k = 1
    if hx < 0x3fda827a:                      # 1+x < sqrt(2)+
        if ax >= 0x3ff00000:                 # x <= -1, -inf or a negative NaN
            if x == -1.0:
                return -_INF
            return _NAN                      # x < -1, or a NaN
        if ax < 0x3e200000:                  # |x| < 2**-29
            if ax < 0x3c900000:              # |x| < 2**-54
                return x
            return x - x * x * 0.5
        if hx > 0 or hx <= -0x402d413c:      # hx <= 0xbfd2bec4: sqrt(2)/2- <= 1+x < sqrt(2)+
            k = 0
            f = x
            hu = 1
    if hx >= 0x7ff00000:                     # +inf or a NaN
        if (_bits(x) & 0x7fffffffffffffff) > 0x7ff0000000000000:
            return _NAN
        return x
    if k != 0:
        if hx < 0x43400000:                  # x < 2**53
            u = 1.0 + x
            hu = _hi(u)
            k = (hu >> 20) - 1023
            c = 1.0 - (u - x) if k > 0 else x - (u - 1.0)  # correction term
            c = c / u
        else:
            u = x
            hu = _hi(u)
            k = (hu >> 20) - 1023
            c = 0.0
        hu &= 0x000fffff
        if hu < 0x6a09e:                     # u ~< sqrt(2)
            u = _set_hi(u, hu | 0x3ff00000)  # normalize u
        else:
            k += 1
            u = _set_hi(u, hu | 0x3fe00000)  # normalize u/2
            hu = (0x00100000 - hu) >> 2
        f = u - 1.0
    hfsq = 0.5 * f * f
    if hu == 0:                              # |f| < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            c += float(k) * _LN2_LO
            return float(k) * _LN2_HI + c
        R = hfsq * (1.0 - _TWO_THIRDS * f)
        if k == 0:
            return f - R
        return float(k) * _LN2_HI - ((R - (float(k) * _LN2_LO + c)) - f)
    s = f / (2.0 + f)
    z = s * s
    R = z * (_LP1 + z * (_LP2 + z * (_LP3 + z * (_LP4 + z * (_LP5 + z * (_LP6 + z * _LP7))))))
    if k == 0:
        return f - (hfsq - s * (hfsq + R))
    return float(k) * _LN2_HI - ((hfsq - (s * (hfsq + R) + (float(k) * _LN2_LO + c))) - f)


# ------------------------------------------------------------------------- log

_Lg1, _Lg2, _Lg3, _Lg4, _Lg5, _Lg6, _Lg7 = _LP1, _LP2, _LP3, _LP4, _LP5, _LP6, _LP7  # log's (= log1p's)
_ONE_THIRD = float.fromhex("0x1.5555555555555p-2")
_TWO54 = float.fromhex("0x1.0000000000000p+54")


def log(x):
    """The natural logarithm (fdlibm's log; see the module docstring)."""
    x = float(x)
    hx = _hi(x)
    lx = _lo(x)

    k = 0
    if hx < 0x00100000:                      # x < 2**-1022: subnormal, zero, negative
        if (hx & 0x7fffffff) == 0 and lx == 0:
            return -_INF                     # log(+-0)
        if hx < 0:
            return _NAN                      # log(x < 0), or a NaN
        k -= 54
        x *= _TWO54                          # scale a subnormal up, exactly
        hx = _hi(x)
    if hx >= 0x7ff00000:                     # +inf or a NaN
        if (_bits(x) & 0x7fffffffffffffff) > 0x7ff0000000000000:
            return _NAN
        return x
    k += (hx >> 20) - 1023
    hx &= 0x000fffff
    i = (hx + 0x95f64) & 0x100000
    x = _set_hi(x, hx | (i ^ 0x3ff00000))    # normalize x or x/2
    k += (i >> 20)
    f = x - 1.0
    if (0x000fffff & (2 + hx)) < 3:          # -2**-20 <= f < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * _LN2_HI + dk * _LN2_LO
        R = f * f * (0.5 - _ONE_THIRD * f)
        if k == 0:
            return f - R
        dk = float(k)
        return dk * _LN2_HI - ((R - dk * _LN2_LO) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    i = hx - 0x6147a
    w = z * z
    j = 0x6b851 - hx
    t1 = w * (_Lg2 + w * (_Lg4 + w * _Lg6))
    t2 = z * (_Lg1 + w * (_Lg3 + w * (_Lg5 + w * _Lg7)))
    i |= j
    R = t2 + t1
    if i > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + R))
        return dk * _LN2_HI - ((hfsq - (s * (hfsq + R) + dk * _LN2_LO)) - f)
    if k == 0:
        return f - s * (f - R)
    return dk * _LN2_HI - ((s * (f - R) - dk * _LN2_LO) - f)


# ------------------------------------------------------------------------- pow

#: (invc, logc, logctail) for the 128 subintervals of [0x1.69555p-1, 0x1.69555p+0)
#: (see the module docstring).
_POW_LOG_TAB = (
    (_h("0x1.6a00000000000p+0"), _h("-0x1.62c82f2b9c800p-2"), _h("0x1.ab42428375680p-48")),  # 0
    (_h("0x1.6800000000000p+0"), _h("-0x1.5d1bdbf580800p-2"), _h("-0x1.ca508d8e0f720p-46")),  # 1
    (_h("0x1.6600000000000p+0"), _h("-0x1.5767717455800p-2"), _h("-0x1.362a4d5b6506dp-45")),  # 2
    (_h("0x1.6400000000000p+0"), _h("-0x1.51aad872df800p-2"), _h("-0x1.684e49eb067d5p-49")),  # 3
    (_h("0x1.6200000000000p+0"), _h("-0x1.4be5f95777800p-2"), _h("-0x1.41b6993293ee0p-47")),  # 4
    (_h("0x1.6000000000000p+0"), _h("-0x1.4618bc21c6000p-2"), _h("0x1.3d82f484c84ccp-46")),  # 5
    (_h("0x1.5e00000000000p+0"), _h("-0x1.404308686a800p-2"), _h("0x1.c42f3ed820b3ap-50")),  # 6
    (_h("0x1.5c00000000000p+0"), _h("-0x1.3a64c55694800p-2"), _h("0x1.0b1c686519460p-45")),  # 7
    (_h("0x1.5a00000000000p+0"), _h("-0x1.347dd9a988000p-2"), _h("0x1.5594dd4c58092p-45")),  # 8
    (_h("0x1.5800000000000p+0"), _h("-0x1.2e8e2bae12000p-2"), _h("0x1.67b1e99b72bd8p-45")),  # 9
    (_h("0x1.5600000000000p+0"), _h("-0x1.2895a13de8800p-2"), _h("0x1.5ca14b6cfb03fp-46")),  # 10
    (_h("0x1.5600000000000p+0"), _h("-0x1.2895a13de8800p-2"), _h("0x1.5ca14b6cfb03fp-46")),  # 11
    (_h("0x1.5400000000000p+0"), _h("-0x1.22941fbcf7800p-2"), _h("-0x1.65a242853da76p-46")),  # 12
    (_h("0x1.5200000000000p+0"), _h("-0x1.1c898c1699800p-2"), _h("-0x1.fafbc68e75404p-46")),  # 13
    (_h("0x1.5000000000000p+0"), _h("-0x1.1675cababa800p-2"), _h("0x1.f1fc63382a8f0p-46")),  # 14
    (_h("0x1.4e00000000000p+0"), _h("-0x1.1058bf9ae4800p-2"), _h("-0x1.6a8c4fd055a66p-45")),  # 15
    (_h("0x1.4c00000000000p+0"), _h("-0x1.0a324e2739000p-2"), _h("-0x1.c6bee7ef4030ep-47")),  # 16
    (_h("0x1.4a00000000000p+0"), _h("-0x1.0402594b4d000p-2"), _h("-0x1.036b89ef42d7fp-48")),  # 17
    (_h("0x1.4a00000000000p+0"), _h("-0x1.0402594b4d000p-2"), _h("-0x1.036b89ef42d7fp-48")),  # 18
    (_h("0x1.4800000000000p+0"), _h("-0x1.fb9186d5e4000p-3"), _h("0x1.d572aab993c87p-47")),  # 19
    (_h("0x1.4600000000000p+0"), _h("-0x1.ef0adcbdc6000p-3"), _h("0x1.b26b79c86af24p-45")),  # 20
    (_h("0x1.4400000000000p+0"), _h("-0x1.e27076e2af000p-3"), _h("-0x1.72f4f543fff10p-46")),  # 21
    (_h("0x1.4200000000000p+0"), _h("-0x1.d5c216b4fc000p-3"), _h("0x1.1ba91bbca681bp-45")),  # 22
    (_h("0x1.4000000000000p+0"), _h("-0x1.c8ff7c79aa000p-3"), _h("0x1.7794f689f8434p-45")),  # 23
    (_h("0x1.4000000000000p+0"), _h("-0x1.c8ff7c79aa000p-3"), _h("0x1.7794f689f8434p-45")),  # 24
    (_h("0x1.3e00000000000p+0"), _h("-0x1.bc286742d9000p-3"), _h("0x1.94eb0318bb78fp-46")),  # 25
    (_h("0x1.3c00000000000p+0"), _h("-0x1.af3c94e80c000p-3"), _h("0x1.a4e633fcd9066p-52")),  # 26
    (_h("0x1.3a00000000000p+0"), _h("-0x1.a23bc1fe2b000p-3"), _h("-0x1.58c64dc46c1eap-45")),  # 27
    (_h("0x1.3a00000000000p+0"), _h("-0x1.a23bc1fe2b000p-3"), _h("-0x1.58c64dc46c1eap-45")),  # 28
    (_h("0x1.3800000000000p+0"), _h("-0x1.9525a9cf45000p-3"), _h("-0x1.ad1d904c1d4e3p-45")),  # 29
    (_h("0x1.3600000000000p+0"), _h("-0x1.87fa06520d000p-3"), _h("0x1.bbdbf7fdbfa09p-45")),  # 30
    (_h("0x1.3400000000000p+0"), _h("-0x1.7ab890210e000p-3"), _h("0x1.bdb9072534a58p-45")),  # 31
    (_h("0x1.3400000000000p+0"), _h("-0x1.7ab890210e000p-3"), _h("0x1.bdb9072534a58p-45")),  # 32
    (_h("0x1.3200000000000p+0"), _h("-0x1.6d60fe719d000p-3"), _h("-0x1.0e46aa3b2e266p-46")),  # 33
    (_h("0x1.3000000000000p+0"), _h("-0x1.5ff3070a79000p-3"), _h("-0x1.e9e439f105039p-46")),  # 34
    (_h("0x1.3000000000000p+0"), _h("-0x1.5ff3070a79000p-3"), _h("-0x1.e9e439f105039p-46")),  # 35
    (_h("0x1.2e00000000000p+0"), _h("-0x1.526e5e3a1b000p-3"), _h("-0x1.0de8b90075b8fp-45")),  # 36
    (_h("0x1.2c00000000000p+0"), _h("-0x1.44d2b6ccb8000p-3"), _h("0x1.70cc16135783cp-46")),  # 37
    (_h("0x1.2c00000000000p+0"), _h("-0x1.44d2b6ccb8000p-3"), _h("0x1.70cc16135783cp-46")),  # 38
    (_h("0x1.2a00000000000p+0"), _h("-0x1.371fc201e9000p-3"), _h("0x1.178864d27543ap-48")),  # 39
    (_h("0x1.2800000000000p+0"), _h("-0x1.29552f81ff000p-3"), _h("-0x1.48d301771c408p-45")),  # 40
    (_h("0x1.2600000000000p+0"), _h("-0x1.1b72ad52f6000p-3"), _h("-0x1.e80a41811a396p-45")),  # 41
    (_h("0x1.2600000000000p+0"), _h("-0x1.1b72ad52f6000p-3"), _h("-0x1.e80a41811a396p-45")),  # 42
    (_h("0x1.2400000000000p+0"), _h("-0x1.0d77e7cd09000p-3"), _h("0x1.a699688e85bf4p-47")),  # 43
    (_h("0x1.2400000000000p+0"), _h("-0x1.0d77e7cd09000p-3"), _h("0x1.a699688e85bf4p-47")),  # 44
    (_h("0x1.2200000000000p+0"), _h("-0x1.fec9131dbe000p-4"), _h("-0x1.575545ca333f2p-45")),  # 45
    (_h("0x1.2000000000000p+0"), _h("-0x1.e27076e2b0000p-4"), _h("0x1.a342c2af0003cp-45")),  # 46
    (_h("0x1.2000000000000p+0"), _h("-0x1.e27076e2b0000p-4"), _h("0x1.a342c2af0003cp-45")),  # 47
    (_h("0x1.1e00000000000p+0"), _h("-0x1.c5e548f5bc000p-4"), _h("-0x1.d0c57585fbe06p-46")),  # 48
    (_h("0x1.1c00000000000p+0"), _h("-0x1.a926d3a4ae000p-4"), _h("0x1.53935e85baac8p-45")),  # 49
    (_h("0x1.1c00000000000p+0"), _h("-0x1.a926d3a4ae000p-4"), _h("0x1.53935e85baac8p-45")),  # 50
    (_h("0x1.1a00000000000p+0"), _h("-0x1.8c345d631a000p-4"), _h("0x1.37c294d2f5668p-46")),  # 51
    (_h("0x1.1a00000000000p+0"), _h("-0x1.8c345d631a000p-4"), _h("0x1.37c294d2f5668p-46")),  # 52
    (_h("0x1.1800000000000p+0"), _h("-0x1.6f0d28ae56000p-4"), _h("-0x1.69737c93373dap-45")),  # 53
    (_h("0x1.1600000000000p+0"), _h("-0x1.51b073f062000p-4"), _h("0x1.f025b61c65e57p-46")),  # 54
    (_h("0x1.1600000000000p+0"), _h("-0x1.51b073f062000p-4"), _h("0x1.f025b61c65e57p-46")),  # 55
    (_h("0x1.1400000000000p+0"), _h("-0x1.341d7961be000p-4"), _h("0x1.c5edaccf913dfp-45")),  # 56
    (_h("0x1.1400000000000p+0"), _h("-0x1.341d7961be000p-4"), _h("0x1.c5edaccf913dfp-45")),  # 57
    (_h("0x1.1200000000000p+0"), _h("-0x1.16536eea38000p-4"), _h("0x1.47c5e768fa309p-46")),  # 58
    (_h("0x1.1000000000000p+0"), _h("-0x1.f0a30c0118000p-5"), _h("0x1.d599e83368e91p-45")),  # 59
    (_h("0x1.1000000000000p+0"), _h("-0x1.f0a30c0118000p-5"), _h("0x1.d599e83368e91p-45")),  # 60
    (_h("0x1.0e00000000000p+0"), _h("-0x1.b42dd71198000p-5"), _h("0x1.c827ae5d6704cp-46")),  # 61
    (_h("0x1.0e00000000000p+0"), _h("-0x1.b42dd71198000p-5"), _h("0x1.c827ae5d6704cp-46")),  # 62
    (_h("0x1.0c00000000000p+0"), _h("-0x1.77458f632c000p-5"), _h("-0x1.cfc4634f2a1eep-45")),  # 63
    (_h("0x1.0c00000000000p+0"), _h("-0x1.77458f632c000p-5"), _h("-0x1.cfc4634f2a1eep-45")),  # 64
    (_h("0x1.0a00000000000p+0"), _h("-0x1.39e87b9fec000p-5"), _h("0x1.502b7f526feaap-48")),  # 65
    (_h("0x1.0a00000000000p+0"), _h("-0x1.39e87b9fec000p-5"), _h("0x1.502b7f526feaap-48")),  # 66
    (_h("0x1.0800000000000p+0"), _h("-0x1.f829b0e780000p-6"), _h("-0x1.980267c7e09e4p-45")),  # 67
    (_h("0x1.0800000000000p+0"), _h("-0x1.f829b0e780000p-6"), _h("-0x1.980267c7e09e4p-45")),  # 68
    (_h("0x1.0600000000000p+0"), _h("-0x1.7b91b07d58000p-6"), _h("-0x1.88d5493faa639p-45")),  # 69
    (_h("0x1.0400000000000p+0"), _h("-0x1.fc0a8b0fc0000p-7"), _h("-0x1.f1e7cf6d3a69cp-50")),  # 70
    (_h("0x1.0400000000000p+0"), _h("-0x1.fc0a8b0fc0000p-7"), _h("-0x1.f1e7cf6d3a69cp-50")),  # 71
    (_h("0x1.0200000000000p+0"), _h("-0x1.fe02a6b100000p-8"), _h("-0x1.9e23f0dda40e4p-46")),  # 72
    (_h("0x1.0200000000000p+0"), _h("-0x1.fe02a6b100000p-8"), _h("-0x1.9e23f0dda40e4p-46")),  # 73
    (_h("0x1.0000000000000p+0"), _h("0x0.0p+0"), _h("0x0.0p+0")),  # 74
    (_h("0x1.0000000000000p+0"), _h("0x0.0p+0"), _h("0x0.0p+0")),  # 75
    (_h("0x1.fc00000000000p-1"), _h("0x1.0101575890000p-7"), _h("-0x1.0c76b999d2be8p-46")),  # 76
    (_h("0x1.f800000000000p-1"), _h("0x1.0205658938000p-6"), _h("-0x1.3dc5b06e2f7d2p-45")),  # 77
    (_h("0x1.f400000000000p-1"), _h("0x1.8492528c90000p-6"), _h("-0x1.aa0ba325a0c34p-45")),  # 78
    (_h("0x1.f000000000000p-1"), _h("0x1.0415d89e74000p-5"), _h("0x1.111c05cf1d753p-47")),  # 79
    (_h("0x1.ec00000000000p-1"), _h("0x1.466aed42e0000p-5"), _h("-0x1.c167375bdfd28p-45")),  # 80
    (_h("0x1.e800000000000p-1"), _h("0x1.894aa149fc000p-5"), _h("-0x1.97995d05a267dp-46")),  # 81
    (_h("0x1.e400000000000p-1"), _h("0x1.ccb73cdddc000p-5"), _h("-0x1.a68f247d82807p-46")),  # 82
    (_h("0x1.e200000000000p-1"), _h("0x1.eea31c006c000p-5"), _h("-0x1.e113e4fc93b7bp-47")),  # 83
    (_h("0x1.de00000000000p-1"), _h("0x1.1973bd1466000p-4"), _h("-0x1.5325d560d9e9bp-45")),  # 84
    (_h("0x1.da00000000000p-1"), _h("0x1.3bdf5a7d1e000p-4"), _h("0x1.cc85ea5db4ed7p-45")),  # 85
    (_h("0x1.d600000000000p-1"), _h("0x1.5e95a4d97a000p-4"), _h("-0x1.c69063c5d1d1ep-45")),  # 86
    (_h("0x1.d400000000000p-1"), _h("0x1.700d30aeac000p-4"), _h("0x1.c1e8da99ded32p-49")),  # 87
    (_h("0x1.d000000000000p-1"), _h("0x1.9335e5d594000p-4"), _h("0x1.3115c3abd47dap-45")),  # 88
    (_h("0x1.cc00000000000p-1"), _h("0x1.b6ac88dad6000p-4"), _h("-0x1.390802bf768e5p-46")),  # 89
    (_h("0x1.ca00000000000p-1"), _h("0x1.c885801bc4000p-4"), _h("0x1.646d1c65aacd3p-45")),  # 90
    (_h("0x1.c600000000000p-1"), _h("0x1.ec739830a2000p-4"), _h("-0x1.dc068afe645e0p-45")),  # 91
    (_h("0x1.c400000000000p-1"), _h("0x1.fe89139dbe000p-4"), _h("-0x1.534d64fa10afdp-45")),  # 92
    (_h("0x1.c000000000000p-1"), _h("0x1.1178e8227e000p-3"), _h("0x1.1ef78ce2d07f2p-45")),  # 93
    (_h("0x1.be00000000000p-1"), _h("0x1.1aa2b7e23f000p-3"), _h("0x1.ca78e44389934p-45")),  # 94
    (_h("0x1.ba00000000000p-1"), _h("0x1.2d1610c868000p-3"), _h("0x1.39d6ccb81b4a1p-47")),  # 95
    (_h("0x1.b800000000000p-1"), _h("0x1.365fcb0159000p-3"), _h("0x1.62fa8234b7289p-51")),  # 96
    (_h("0x1.b400000000000p-1"), _h("0x1.4913d8333b000p-3"), _h("0x1.5837954fdb678p-45")),  # 97
    (_h("0x1.b200000000000p-1"), _h("0x1.527e5e4a1b000p-3"), _h("0x1.633e8e5697dc7p-45")),  # 98
    (_h("0x1.ae00000000000p-1"), _h("0x1.6574ebe8c1000p-3"), _h("0x1.9cf8b2c3c2e78p-46")),  # 99
    (_h("0x1.ac00000000000p-1"), _h("0x1.6f0128b757000p-3"), _h("-0x1.5118de59c21e1p-45")),  # 100
    (_h("0x1.aa00000000000p-1"), _h("0x1.7898d85445000p-3"), _h("-0x1.c661070914305p-46")),  # 101
    (_h("0x1.a600000000000p-1"), _h("0x1.8beafeb390000p-3"), _h("-0x1.73d54aae92cd1p-47")),  # 102
    (_h("0x1.a400000000000p-1"), _h("0x1.95a5adcf70000p-3"), _h("0x1.7f22858a0ff6fp-47")),  # 103
    (_h("0x1.a000000000000p-1"), _h("0x1.a93ed3c8ae000p-3"), _h("-0x1.8724350562169p-45")),  # 104
    (_h("0x1.9e00000000000p-1"), _h("0x1.b31d8575bd000p-3"), _h("-0x1.c358d4eace1aap-47")),  # 105
    (_h("0x1.9c00000000000p-1"), _h("0x1.bd087383be000p-3"), _h("-0x1.d4bc4595412b6p-45")),  # 106
    (_h("0x1.9a00000000000p-1"), _h("0x1.c6ffbc6f01000p-3"), _h("-0x1.1ec72c5962bd2p-48")),  # 107
    (_h("0x1.9600000000000p-1"), _h("0x1.db13db0d49000p-3"), _h("-0x1.aff2af715b035p-45")),  # 108
    (_h("0x1.9400000000000p-1"), _h("0x1.e530effe71000p-3"), _h("0x1.212276041f430p-51")),  # 109
    (_h("0x1.9200000000000p-1"), _h("0x1.ef5ade4dd0000p-3"), _h("-0x1.a211565bb8e11p-51")),  # 110
    (_h("0x1.9000000000000p-1"), _h("0x1.f991c6cb3b000p-3"), _h("0x1.bcbecca0cdf30p-46")),  # 111
    (_h("0x1.8c00000000000p-1"), _h("0x1.07138604d5800p-2"), _h("0x1.89cdb16ed4e91p-48")),  # 112
    (_h("0x1.8a00000000000p-1"), _h("0x1.0c42d67616000p-2"), _h("0x1.7188b163ceae9p-45")),  # 113
    (_h("0x1.8800000000000p-1"), _h("0x1.1178e8227e800p-2"), _h("-0x1.c210e63a5f01cp-45")),  # 114
    (_h("0x1.8600000000000p-1"), _h("0x1.16b5ccbacf800p-2"), _h("0x1.b9acdf7a51681p-45")),  # 115
    (_h("0x1.8400000000000p-1"), _h("0x1.1bf99635a6800p-2"), _h("0x1.ca6ed5147bdb7p-45")),  # 116
    (_h("0x1.8200000000000p-1"), _h("0x1.214456d0eb800p-2"), _h("0x1.a87deba46baeap-47")),  # 117
    (_h("0x1.7e00000000000p-1"), _h("0x1.2bef07cdc9000p-2"), _h("0x1.a9cfa4a5004f4p-45")),  # 118
    (_h("0x1.7c00000000000p-1"), _h("0x1.314f1e1d36000p-2"), _h("-0x1.8e27ad3213cb8p-45")),  # 119
    (_h("0x1.7a00000000000p-1"), _h("0x1.36b6776be1000p-2"), _h("0x1.16ecdb0f177c8p-46")),  # 120
    (_h("0x1.7800000000000p-1"), _h("0x1.3c25277333000p-2"), _h("0x1.83b54b606bd5cp-46")),  # 121
    (_h("0x1.7600000000000p-1"), _h("0x1.419b423d5e800p-2"), _h("0x1.8e436ec90e09dp-47")),  # 122
    (_h("0x1.7400000000000p-1"), _h("0x1.4718dc271c800p-2"), _h("-0x1.f27ce0967d675p-45")),  # 123
    (_h("0x1.7200000000000p-1"), _h("0x1.4c9e09e173000p-2"), _h("-0x1.e20891b0ad8a4p-45")),  # 124
    (_h("0x1.7000000000000p-1"), _h("0x1.522ae0738a000p-2"), _h("0x1.ebe708164c759p-45")),  # 125
    (_h("0x1.6e00000000000p-1"), _h("0x1.57bf753c8d000p-2"), _h("0x1.fadedee5d40efp-46")),  # 126
    (_h("0x1.6c00000000000p-1"), _h("0x1.5d5bddf596000p-2"), _h("-0x1.a0b2a08a465dcp-47")),  # 127
)
_LN2HI = float.fromhex("0x1.62e42fefa3800p-1")
_LN2LO = float.fromhex("0x1.ef35793c76730p-45")
_A0 = float.fromhex("-0x1.0000000000000p-1")
_A1 = float.fromhex("-0x1.5555555555560p-1")
_A2 = float.fromhex("0x1.0000000000006p-1")
_A3 = float.fromhex("0x1.999999959554ep-1")
_A4 = float.fromhex("-0x1.555555529a47ap-1")
_A5 = float.fromhex("-0x1.2495b9b4845e9p+0")
_A6 = float.fromhex("0x1.0002b8b263fc3p+0")
_TWO52 = float.fromhex("0x1.0000000000000p+52")


def _log_inline(ix):
    """log(x) as (hi, tail), ix the bits of x > 0, a subnormal x normalized."""
    # x = 2**k z with z in [0x1.69555p-1, 0x1.69555p+0), exactly
    tmp = (ix - 0x3fe6955500000000) & _MASK64
    i = (tmp >> 45) % 128
    k = tmp >> 52
    if k >= 2048:
        k -= 4096                            # the top 12 bits, signed
    iz = (ix - (tmp & (0xfff << 52))) & _MASK64
    z = _double(iz)
    kd = float(k)

    # log(x) = k*ln2 + log(c) + log1p(z/c - 1)
    invc, logc, logctail = _POW_LOG_TAB[i]

    # r = z*invc - 1 exactly, as rhi + rlo
    zhi = _double((iz + (1 << 31)) & 0xffffffff00000000)
    zlo = z - zhi
    rhi = zhi * invc - 1.0
    rlo = zlo * invc
    r = rhi + rlo

    # k*ln2 + log(c) + r
    t1 = kd * _LN2HI + logc                  # exact
    t2 = t1 + r
    lo1 = kd * _LN2LO + logctail
    lo2 = t1 - t2 + r

    # k*ln2 + log(c) + r + A0*r*r, and the polynomial for the rest
    ar = _A0 * r
    ar2 = r * ar
    ar3 = r * ar2
    arhi = _A0 * rhi
    arhi2 = rhi * arhi
    hi = t2 + arhi2
    lo3 = rlo * (ar + arhi)
    lo4 = t2 - hi + arhi2
    # p = log1p(r) - r - A0*r*r
    p = ar3 * (_A1 + r * _A2 + ar2 * (_A3 + r * _A4 + ar2 * (_A5 + r * _A6)))
    lo = lo1 + lo2 + lo3 + lo4 + p
    y = hi + lo
    return y, hi - y + lo


def log_ext(x):
    """log(x) as ``(hi, lo)``: the first half of :func:`pow`.

    For a finite x > 0, hi + lo is log(x) to a relative error below 2**-67;
    ``log_ext(1.0) == (0.0, 0.0)``, hi < 0 for x < 1 and hi > 0 for x > 1.
    +0 gives ``(-inf, 0.0)``, +inf ``(inf, 0.0)``, a NaN or any number with the
    sign bit set (-0 included) ``(nan, 0.0)``.
    """
    x = float(x)
    ix = _bits(x)
    if ((ix - 0x0010000000000000) & _MASK64) >= 0x7ff0000000000000 - 0x0010000000000000:
        # not a positive normal number
        if ix == 0:
            return -_INF, 0.0                # +0
        if ix >= 0x7ff0000000000000:
            return (_INF if ix == 0x7ff0000000000000 else _NAN), 0.0
        # subnormal: normalize, the exponent goes below zero
        ix = _bits(x * _TWO52)
        ix = (ix - (52 << 52)) & _MASK64
    return _log_inline(ix)


def _pow_log_main(hi, lo, y):
    """exp(y*(hi + lo)) without special cases (y and hi split into 26 + 27 bits)."""
    yhi = _double(_bits(y) & 0xfffffffff8000000)
    ylo = y - yhi
    lhi = _double(_bits(hi) & 0xfffffffff8000000)
    llo = hi - lhi + lo
    ehi = yhi * lhi
    elo = ylo * lhi + y * llo
    return _exp_inline(ehi, elo, True)


def pow_log(hi, lo, y):
    """exp(y*(hi + lo)) where ``(hi, lo) = log_ext(x)``: x**y.

    ``pow(x, y) == pow_log(*log_ext(x), y)`` for every x with the sign bit
    clear (+0, +inf and NaN included) and every y.
    """
    hi = float(hi)
    lo = float(lo)
    y = float(y)
    ay = _bits(y) & 0x7fffffffffffffff
    ahi = _bits(hi) & 0x7fffffffffffffff
    topy = ay >> 52
    if hi == 0.0 and lo == 0.0:
        return 1.0                           # x == 1, even for a NaN y
    if ay > 0x7ff0000000000000:
        return _NAN
    if ay == 0:
        return 1.0                           # y == +-0, even for a NaN x
    if ahi > 0x7ff0000000000000:
        return _NAN                          # x NaN (or negative)
    if ahi == 0x7ff0000000000000 or ay == 0x7ff0000000000000:
        # x == +0 or +inf, or y == +-inf
        return _INF if (hi < 0.0) == (y < 0.0) else 0.0
    if ((topy - 0x3be) & 0xffffffff) >= 0x43e - 0x3be:
        if topy < 0x3be:                     # |y| < 2**-65: rounds to 1
            return 1.0 + y if hi > 0.0 else 1.0 - y
        # |y| >= 2**63: |y*log(x)| >= 1024
        return _INF if (hi > 0.0) == (y > 0.0) else 0.0
    return _pow_log_main(hi, lo, y)


def _pow_special(x, y):
    """pow for everything but its fast path."""
    bx = _bits(x)
    ax = bx & 0x7fffffffffffffff
    ay = _bits(y) & 0x7fffffffffffffff
    if ay == 0:
        return 1.0                           # x**0 = 1, even for a NaN x
    if bx == 0x3ff0000000000000:
        return 1.0                           # 1**y = 1, even for a NaN y
    if ax > 0x7ff0000000000000 or ay > 0x7ff0000000000000:
        return _NAN

    # yisint: 0 if y is not an integer, 1 if odd, 2 if even (+-inf counts as even)
    e = ay >> 52
    if e >= 0x434:                           # |y| >= 2**53
        yisint = 2
    elif e >= 0x3ff:                         # 1 <= |y| < 2**53
        sh = 0x433 - e                       # bits below the units
        m = (ay & 0x000fffffffffffff) | 0x0010000000000000
        if (m & ((1 << sh) - 1)) == 0:
            yisint = 2 - ((m >> sh) & 1)
        else:
            yisint = 0
    else:
        yisint = 0
    neg = bx >> 63

    if ax == 0:                              # x == +-0
        r = _INF if _bits(y) >> 63 else 0.0
        return -r if (neg and yisint == 1) else r
    if ax == 0x7ff0000000000000:             # x == +-inf
        r = 0.0 if _bits(y) >> 63 else _INF
        return -r if (neg and yisint == 1) else r
    if neg and yisint == 0:
        return _NAN                          # (x < 0)**(non-integer)

    hi, lo = log_ext(_double(ax))
    r = pow_log(hi, lo, y)
    return -r if (neg and yisint == 1) else r


def pow(x, y):
    """x**y with C99's special cases (see the module docstring)."""
    x = float(x)
    y = float(y)
    ix = _bits(x)
    topx = ix >> 52
    topy = (_bits(y) >> 52) & 0x7ff
    # fast path: x > 0 normal, 2**-65 <= |y| < 2**63 (computes what _pow_special would)
    if ((topx - 0x001) & 0xffffffff) < 0x7ff - 0x001 and ((topy - 0x3be) & 0xffffffff) < 0x43e - 0x3be:
        hi, lo = _log_inline(ix)
        return _pow_log_main(hi, lo, y)
    return _pow_special(x, y)


# cos is in its own module (its reduction tables are long); it is part of this set.
from ._elementary_cos import cos  # noqa: E402
