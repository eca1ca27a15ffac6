"""fastgd's portable exp, log1p, log and pow: src/elementary.h and fastgd/elementary.py.

The C functions (``fgd_exp``, ``fgd_log1p``, ``fgd_log``, ``fgd_pow``) and their
Python twins must return the same bits for every argument, and both must be
within 1 ulp of the exact value (faithfully rounded: the correctly rounded
double or its neighbour on the other side of the exact value), checked
against mpmath at 200 bits.  Special values (NaN, infinities, zeros, C99's
pow table) must be exactly right; every NaN returned is 0x7ff8000000000000.

The C is reached through the fixture ``c_impl``: the compiled kernels'
``elementary(name, x_array[, y_array])`` (name "exp", "log1p", "log" or "pow";
pow takes its exponents from ``y_array``), so the functions are checked as
the kernels compiled them.  The split pow API (``fgd_log_ext``,
``fgd_pow_log``) and the build checks (no libm symbol, GLIBC_TUNABLES,
FMA-allowed builds) use a tiny shared library built from the header with the
kernels' flags (``-O3 -ffp-contract=off -fno-math-errno``), and are skipped
where there is no C compiler.

The default run checks 2*10^5 arguments per function against mpmath (about
15 s for the whole file on the development machine, whose two cores give the
throughput of one); ``FASTGD_ELEMENTARY_FULL=1`` checks 10^6 per function and
compares all of them with the Python twin (about 65 s there).  The mpmath
work is spread over all cores.  ``pytest -s`` prints the measured errors and
timings.
"""
import ctypes
import math
import multiprocessing
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

from fastgd import elementary  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "src" / "elementary.h"
PY_SOURCE = Path(elementary.__file__)
CFLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno"]
FULL = os.environ.get("FASTGD_ELEMENTARY_FULL", "") not in ("", "0")
N_PER_FUNCTION = 1_000_000 if FULL else 200_000
N_PYTHON = None if FULL else 100_000   # arguments per function compared with the Python twin
MP_PREC = 200
NAN_BITS = 0x7FF8000000000000
FUNCTIONS = ("exp", "log1p", "log", "pow")

WRAPPER_C = r"""
#include <stddef.h>
#include "elementary.h"

void fgd_elementary_exp(const double *x, double *r, size_t n)
{ size_t i; for (i = 0; i < n; i++) r[i] = fgd_exp(x[i]); }
void fgd_elementary_log1p(const double *x, double *r, size_t n)
{ size_t i; for (i = 0; i < n; i++) r[i] = fgd_log1p(x[i]); }
void fgd_elementary_log(const double *x, double *r, size_t n)
{ size_t i; for (i = 0; i < n; i++) r[i] = fgd_log(x[i]); }
void fgd_elementary_pow(const double *x, const double *y, double *r, size_t n)
{ size_t i; for (i = 0; i < n; i++) r[i] = fgd_pow(x[i], y[i]); }
void fgd_elementary_log_ext(const double *x, double *hi, double *lo, size_t n)
{ size_t i; for (i = 0; i < n; i++) hi[i] = fgd_log_ext(x[i], &lo[i]); }
void fgd_elementary_pow_log(const double *hi, const double *lo, const double *y, double *r, size_t n)
{ size_t i; for (i = 0; i < n; i++) r[i] = fgd_pow_log(hi[i], lo[i], y[i]); }
"""


# ---------------------------------------------------------------- building

def _compiler():
    cc = os.environ.get("CC", "cc").split()
    return cc if shutil.which(cc[0]) else None


def build_library(directory, flags=CFLAGS, name="fgd_elementary_exp_log"):
    """Compile the wrapper around src/elementary.h into a shared library."""
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler")
    if not HEADER.exists():
        pytest.skip("src/elementary.h is not here (an installed package without its sources)")
    directory = Path(directory)
    src = directory / f"{name}.c"
    src.write_text(WRAPPER_C)
    lib = directory / f"lib{name}.so"
    cmd = cc + list(flags) + ["-shared", "-fPIC", "-I", str(HEADER.parent), str(src), "-o", str(lib)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return lib


class CLibrary:
    """The ctypes view of a built library: ``lib(name, x[, y])`` and the split pow API."""

    def __init__(self, path):
        self.path = Path(path)
        self.lib = ctypes.CDLL(str(path))
        for fn, nargs in (("exp", 3), ("log1p", 3), ("log", 3), ("pow", 4), ("log_ext", 4),
                          ("pow_log", 5)):
            f = getattr(self.lib, f"fgd_elementary_{fn}")
            f.restype = None
            f.argtypes = [ctypes.c_void_p] * (nargs - 1) + [ctypes.c_size_t]

    @staticmethod
    def _array(v):
        return np.ascontiguousarray(v, dtype=np.float64)

    def __call__(self, name, x, y=None):
        x = self._array(x)
        r = np.empty_like(x)
        if name == "pow":
            if y is None:
                raise ValueError("pow needs the exponents y")
            y = self._array(y)
            if y.shape != x.shape:
                raise ValueError("x and y must have the same length")
            self.lib.fgd_elementary_pow(x.ctypes.data, y.ctypes.data, r.ctypes.data, x.size)
        elif name in ("exp", "log1p", "log"):
            getattr(self.lib, f"fgd_elementary_{name}")(x.ctypes.data, r.ctypes.data, x.size)
        else:
            raise ValueError(f"unknown elementary function {name!r}")
        return r

    def log_ext(self, x):
        x = self._array(x)
        hi, lo = np.empty_like(x), np.empty_like(x)
        self.lib.fgd_elementary_log_ext(x.ctypes.data, hi.ctypes.data, lo.ctypes.data, x.size)
        return hi, lo

    def pow_log(self, hi, lo, y):
        hi, lo, y = self._array(hi), self._array(lo), self._array(y)
        r = np.empty_like(hi)
        self.lib.fgd_elementary_pow_log(hi.ctypes.data, lo.ctypes.data, y.ctypes.data,
                                        r.ctypes.data, hi.size)
        return r


@pytest.fixture(scope="session")
def c_library(tmp_path_factory):
    return CLibrary(build_library(tmp_path_factory.mktemp("elementary")))


def test_both_kernel_builds_agree():
    """The baseline and AVX2 kernel builds compute the same bits, every function."""
    import importlib.util

    from fastgd import _kernels

    if importlib.util.find_spec("fastgd._kernels_avx2") is None or not _kernels.cpu_supports_avx2():
        pytest.skip("no AVX2 build on this machine")
    from fastgd import _kernels_avx2

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-800, 800, 20000), rng.uniform(0, 4, 20000),
                        np.frombuffer(rng.bytes(8 * 20000), dtype=np.float64)])
    y = np.concatenate([rng.uniform(-3, 3, 40000), np.frombuffer(rng.bytes(8 * 20000), dtype=np.float64)])
    for name in ("exp", "log1p", "log", "cos", "pow"):
        args = (x, y) if name == "pow" else (x,)
        a = _kernels.elementary(name, *args)
        b = _kernels_avx2.elementary(name, *args)
        assert a.view(np.uint64).tolist() == b.view(np.uint64).tolist(), name


# ---------------------------------------------------------------- arguments

def _from_bits(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def _bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


INF = math.inf
DBL_MAX = 1.7976931348623157e308
DBL_MIN = 2.2250738585072014e-308
DBL_TRUE_MIN = 5e-324
NANS = [math.nan, -math.nan, _from_bits(0x7FF0000000000001), _from_bits(0xFFF8000000000001),
        _from_bits(0x7FFFFFFFFFFFFFFF), _from_bits(0xFFF4000000000000)]


def _neighbours(values, k):
    """values and their k nearest doubles on each side (same sign; no inf or NaN)."""
    b = np.asarray(values, dtype=np.float64).view(np.int64)[:, None]
    with np.errstate(over="ignore"):
        out = b + np.arange(-k, k + 1, dtype=np.int64)[None, :]
    keep = ((out < 0) == (b < 0)) & ((out & np.int64(0x7FFFFFFFFFFFFFFF)) < 0x7FF0000000000000)
    return out[keep].view(np.float64)


def _with_high_word(words):
    return np.array([_from_bits(w << 32) for w in words])


def _log_uniform(rng, lo, hi, n):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


def _random_bits(rng, n):
    """Doubles with random bits: every exponent equally often, both signs, a few inf and NaN."""
    return rng.integers(0, np.iinfo(np.uint64).max, n, dtype=np.uint64, endpoint=True).view(np.float64)


def _fill(parts, rng, n, filler):
    """parts, topped up to n arguments with filler(rng, k)."""
    have = sum(len(p) for p in parts.values())
    if have < n:
        parts["fill"] = filler(rng, n - have)
    return parts


def exp_arguments(n, seed=1):
    rng = np.random.default_rng(seed)
    s = lambda f: int(n * f)  # noqa: E731
    ln2 = math.log(2.0)
    thresholds = [709.782712893384, 709.7827128933841, -708.3964185322641, -744.4400719213812,
                  -745.1332191019411, -745.1332191019412, 512.0, 1024.0, 2.0 ** -54, 1e-300]
    k_steps = (rng.integers(-137_800, 131_000, 4000) + 0.5) * (ln2 / 128)
    parts = {
        "special": np.array([0.0, -0.0, INF, -INF, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN,
                             DBL_TRUE_MIN, -DBL_TRUE_MIN, 1.0, -1.0] + NANS),
        "thresholds": _neighbours(thresholds + [-v for v in thresholds[-4:]], 40),
        "k_steps": _neighbours(k_steps, 2),          # where k = round(x*128/ln2) changes
        "log_loss": -np.concatenate([rng.uniform(0.0, 40.0, s(0.15)), _log_uniform(rng, 1e-12, 745.0, s(0.10))]),
        "uniform": rng.uniform(-745.2, 709.8, s(0.25)),
        "subnormal_results": rng.uniform(-745.14, -708.39, s(0.08)),
        "large": rng.uniform(512.0, 709.8, s(0.04)) * np.where(rng.uniform(size=s(0.04)) < 0.5, -1.0, 1.0),
        "small": rng.uniform(-1.0, 1.0, s(0.10)),
        "tiny": _log_uniform(rng, DBL_TRUE_MIN, 2.0 ** -20, s(0.08)) * np.where(
            rng.uniform(size=s(0.08)) < 0.5, -1.0, 1.0),
        "random_bits": _random_bits(rng, s(0.05)),
    }
    return _fill(parts, rng, n, lambda r, k: r.uniform(-745.2, 709.8, k))


def log1p_arguments(n, seed=2):
    rng = np.random.default_rng(seed)
    s = lambda f: int(n * f)  # noqa: E731
    branch_words = _with_high_word([0x3FDA827A, 0x3E200000, 0x3C900000, 0x43400000, 0x3FF6A09E,
                                    0x3FE6A09E])
    points = [-1.0, -0.5, 2.0 ** -54, 2.0 ** -29, -(2.0 ** -54), -(2.0 ** -29), math.sqrt(2) - 1,
              math.sqrt(0.5) - 1, 2.0 ** 53, 2.0 ** 53 - 1, 1.0, -0.25]
    parts = {
        "special": np.array([0.0, -0.0, INF, -INF, -1.0, -2.0, -1.5, -DBL_MAX, DBL_MAX, DBL_MIN,
                             -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN] + NANS),
        "branches": _neighbours(np.concatenate([branch_words, [_from_bits(0xBFD2BEC400000000)], points]), 30),
        "u_near_sqrt2": _neighbours([math.sqrt(2) * 2.0 ** k - 1 for k in range(0, 60)], 4),
        # the log loss: log1p(e) with e = exp(-|p|) in (0, 1]
        "log_loss": np.exp(-np.concatenate([rng.uniform(0.0, 40.0, s(0.15)),
                                            _log_uniform(rng, 1e-12, 745.0, s(0.10))])),
        "uniform": rng.uniform(-1.0, 1.0, s(0.20)),
        "near_minus_one": -1.0 + _log_uniform(rng, 1.1e-16, 0.5, s(0.10)),
        "positive": _log_uniform(rng, 1e-300, 1e308, s(0.15)),
        "tiny": _log_uniform(rng, DBL_TRUE_MIN, 1e-5, s(0.10)) * np.where(
            rng.uniform(size=s(0.10)) < 0.5, -1.0, 1.0),
        "random_bits": _random_bits(rng, s(0.05)),
    }
    return _fill(parts, rng, n, lambda r, k: r.uniform(-1.0, 1.0, k))


def log_arguments(n, seed=3):
    rng = np.random.default_rng(seed)
    s = lambda f: int(n * f)  # noqa: E731
    powers = [2.0 ** k for k in range(-1074, 1024)]
    branch_words = _with_high_word([0x3FF6A09E, 0x3FE6A09E, 0x3FF6147A, 0x3FF6B851, 0x3FF00000,
                                    0x3FEFFFFF, 0x00100000])
    parts = {
        "special": np.array([0.0, -0.0, INF, -INF, -1.0, -DBL_MAX, -DBL_TRUE_MIN, DBL_MAX, DBL_MIN,
                             DBL_TRUE_MIN, 1.0] + NANS),
        "powers_of_two": _neighbours(powers, 2),
        "branches": _neighbours(branch_words, 30),
        "near_one": 1.0 + rng.uniform(-1e-6, 1e-6, s(0.10)),
        "around_one": rng.uniform(0.5, 2.0, s(0.20)),
        "positive": _log_uniform(rng, DBL_TRUE_MIN, DBL_MAX, s(0.30)),
        "subnormal": rng.integers(1, 1 << 52, s(0.05), dtype=np.int64).view(np.float64),
        "random_bits": _random_bits(rng, s(0.05)),
    }
    return _fill(parts, rng, n, lambda r, k: _log_uniform(r, 1e-10, 1e10, k))


def _c99_special_grid():
    xs = [0.0, -0.0, 1.0, -1.0, INF, -INF, math.nan, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, DBL_TRUE_MIN,
          -DBL_TRUE_MIN, DBL_MAX, -DBL_MAX, 1.0 + 2.0 ** -52, 1.0 - 2.0 ** -53, -(1.0 + 2.0 ** -52),
          _from_bits(0xFFF8000000000001)]
    ys = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 1.5, -1.5, INF, -INF, math.nan,
          2.0 ** 53, -(2.0 ** 53), 2.0 ** 53 + 2, 2.0 ** 52 + 1, -(2.0 ** 52 + 1), 2.0 ** 52 + 0.5,
          1e300, -1e300, 2.0 ** 31 + 1, 2.0 ** 64 + 2.0 ** 12, DBL_TRUE_MIN, -DBL_TRUE_MIN, 1023.0,
          1025.0, -1075.0, 4.5, _from_bits(0x7FF0000000000001)]
    x, y = np.meshgrid(np.array(xs), np.array(ys), indexing="ij")
    return x.ravel(), y.ravel()


def pow_arguments(n, seed=4):
    """Pairs (x, y), about n of them."""
    rng = np.random.default_rng(seed)
    s = lambda f: int(n * f)  # noqa: E731
    parts = {}
    parts["c99_grid"] = _c99_special_grid()
    # invscaling: t**power_t, t a step count up to 1e12
    k = s(0.20)
    t = np.floor(_log_uniform(rng, 1.0, 1e12, k))
    power_t = np.where(rng.uniform(size=k) < 0.8, rng.uniform(0.0, 1.0, k),
                       rng.choice([0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, -0.5], k))
    parts["t_power_t"] = (t, power_t)
    # exponential / step schedules: gamma**epoch
    k = s(0.15)
    gamma = np.where(rng.uniform(size=k) < 0.6, rng.uniform(0.0, 1.0, k),
                     1.0 - _log_uniform(rng, 1e-12, 0.1, k))
    epoch = np.where(rng.uniform(size=k) < 0.5, np.floor(_log_uniform(rng, 1.0, 1e7, k)),
                     rng.integers(0, 200, k).astype(np.float64))
    parts["gamma_epoch"] = (gamma, epoch)
    # Adam's bias corrections: beta**t
    k = s(0.20)
    beta = np.where(rng.uniform(size=k) < 0.7, rng.uniform(0.8, 1.0, k),
                    rng.choice([0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 0.999999], k))
    steps = np.where(rng.uniform(size=k) < 0.6, np.floor(_log_uniform(rng, 1.0, 1e12, k)),
                     rng.integers(1, 5000, k).astype(np.float64))
    parts["beta_t"] = (beta, steps)
    # random positive x, y in [-50, 50]
    k = s(0.15)
    parts["random"] = (_log_uniform(rng, 1e-8, 1e8, k), rng.uniform(-50.0, 50.0, k))
    k = s(0.05)
    parts["wide"] = (_log_uniform(rng, DBL_TRUE_MIN, DBL_MAX, k), rng.uniform(-50.0, 50.0, k))
    # results near overflow, the subnormal range and underflow
    k = s(0.08)
    y = rng.uniform(1.0, 60.0, k) * np.where(rng.uniform(size=k) < 0.5, -1.0, 1.0)
    target = rng.choice([1024.0, -1022.0, -1074.0, -1075.0, -1040.0], k) + rng.uniform(-0.01, 0.01, k)
    with np.errstate(over="ignore"):
        x = np.exp2(target / y)
    keep = np.isfinite(x) & (x > 0)
    parts["thresholds"] = (x[keep], y[keep])
    # x near 1, |y| huge
    k = s(0.04)
    x = 1.0 + rng.integers(-4000, 4000, k) * 2.0 ** -52
    y = _log_uniform(rng, 1e6, 1e21, k) * np.where(rng.uniform(size=k) < 0.5, -1.0, 1.0)
    parts["near_one_huge_y"] = (x, y)
    # negative x, integer y, and odd y with results near overflow and among the subnormals
    k = s(0.05)
    parts["negative_integer_y"] = (-_log_uniform(rng, 1e-3, 1e3, k), rng.integers(-60, 61, k).astype(np.float64))
    k = s(0.02)
    y = (2 * rng.integers(-30, 30, k) + 1).astype(np.float64)
    target = rng.choice([1024.0, -1022.0, -1074.0, -1075.0, -1050.0], k) + rng.uniform(-0.01, 0.01, k)
    with np.errstate(over="ignore"):
        x = -np.exp2(target / y)
    keep = np.isfinite(x)
    parts["negative_thresholds"] = (x[keep], y[keep])
    # |y| around 2^-65 and 2^63 (pow's shortcuts), x near 1
    k = s(0.01)
    y = np.concatenate([_log_uniform(rng, 2.0 ** -70, 2.0 ** -60, k), _log_uniform(rng, 2.0 ** 60, 2.0 ** 66, k)])
    y = _neighbours(np.concatenate([y, [2.0 ** -65, 2.0 ** 63]]), 1)
    y = y * np.where(rng.uniform(size=y.size) < 0.5, -1.0, 1.0)
    x = np.where(rng.uniform(size=y.size) < 0.5, 1.0 + rng.integers(-40, 40, y.size) * 2.0 ** -52,
                 _log_uniform(rng, 1e-3, 1e3, y.size))
    parts["y_shortcuts"] = (x, y)
    # subnormal x
    k = s(0.02)
    parts["subnormal_x"] = (rng.integers(1, 1 << 52, k, dtype=np.int64).view(np.float64),
                            rng.uniform(-1.0, 1.2, k))
    have = sum(len(p[0]) for p in parts.values())
    if have < n:
        parts["fill"] = (_log_uniform(rng, 1e-3, 1e3, n - have), rng.uniform(-20.0, 20.0, n - have))
    return parts


ARGUMENT_SETS = {"exp": exp_arguments, "log1p": log1p_arguments, "log": log_arguments, "pow": pow_arguments}


@pytest.fixture(scope="module")
def arguments():
    """{function: {part: x (or (x, y) for pow)}}, N_PER_FUNCTION arguments per function."""
    return {name: make(N_PER_FUNCTION) for name, make in ARGUMENT_SETS.items()}


def _flat(name, parts):
    """x, y (y None unless pow) of all parts."""
    if name == "pow":
        return (np.concatenate([p[0] for p in parts.values()]),
                np.concatenate([p[1] for p in parts.values()]))
    return np.concatenate(list(parts.values())), None


# ---------------------------------------------------------------- the oracle

_NOT_SPECIAL = object()


def _odd_integer(y):
    return math.isfinite(y) and y == math.floor(y) and abs(y) < 2.0 ** 53 and math.fmod(y, 2.0) != 0.0


def special_expected(name, x, y=None):
    """The exact result where it is a special value (C99 Annex F), else _NOT_SPECIAL.

    Written from the standard, independently of the implementation: every
    NaN result is 0x7ff8000000000000.
    """
    nan = _from_bits(NAN_BITS)
    if name == "exp":
        if math.isnan(x):
            return nan
        if math.isinf(x):
            return INF if x > 0 else 0.0
        return _NOT_SPECIAL
    if name == "log1p":
        if math.isnan(x) or x < -1.0:
            return nan
        if x == -1.0:
            return -INF
        if x == INF:
            return INF
        if x == 0.0:
            return x          # keeps the sign
        return _NOT_SPECIAL
    if name == "log":
        if math.isnan(x) or x < 0.0:
            return nan
        if x == 0.0:
            return -INF
        if x == INF:
            return INF
        if x == 1.0:
            return 0.0
        return _NOT_SPECIAL
    # pow
    if y == 0.0 or x == 1.0:
        return 1.0
    if math.isnan(x) or math.isnan(y):
        return nan
    odd = _odd_integer(y)
    negative = math.copysign(1.0, x) < 0
    if x == 0.0:
        r = INF if y < 0 else 0.0
        return -r if (negative and odd) else r
    if math.isinf(x):
        r = 0.0 if y < 0 else INF
        return -r if (negative and odd) else r
    if math.isinf(y):
        if abs(x) == 1.0:
            return 1.0
        return INF if (abs(x) < 1.0) == (y < 0) else 0.0
    if x < 0 and y != math.floor(y):
        return nan
    return _NOT_SPECIAL


def _exact(name, x, y):
    """The exact value at MP_PREC bits (finite arguments, not special)."""
    mpf = mpmath.mpf
    if name == "exp":
        return mpmath.exp(mpf(x))
    if name == "log1p":
        return mpmath.log1p(mpf(x))
    if name == "log":
        return mpmath.log(mpf(x))
    sign = -1 if (x < 0 and _odd_integer(y)) else 1
    return sign * mpmath.power(mpf(abs(x)), mpf(y))


def _ulp_error(r, t):
    """|r - t| in ulps of t (the spacing of doubles at t; inf counts as 2^1024)."""
    if t == 0:
        return 0.0 if r == 0.0 else INF
    _, man, exp, bc = t._mpf_
    e = exp + bc - 1                          # 2^e <= |t| < 2^(e+1)
    if math.isinf(r):
        if e >= 1024 and (r > 0) == (t > 0):
            return 0.0
        rm = mpmath.mpf(2) ** 1024 * (1 if r > 0 else -1)
    else:
        if math.isnan(r):
            return INF
        rm = mpmath.mpf(r)
    e = min(max(e, -1022), 1023)
    return float(mpmath.ldexp(abs(rm - t), 52 - e))


def _accuracy_chunk(task):
    """Errors of one chunk of results against mpmath and the special-value oracle."""
    name, x, y, r = task
    stats = {"checked": 0, "special": 0, "bad_special": [], "max_ulp": 0.0, "worst": None,
             "not_correctly_rounded": 0, "not_faithful": 0}
    xs = x.tolist()
    ys = y.tolist() if y is not None else [None] * len(xs)
    rs = r.tolist()
    with mpmath.workprec(MP_PREC):
        for xi, yi, ri in zip(xs, ys, rs):
            expected = special_expected(name, xi, yi)
            if expected is not _NOT_SPECIAL:
                stats["special"] += 1
                if _bits(expected) != _bits(ri) and len(stats["bad_special"]) < 20:
                    stats["bad_special"].append((xi, yi, ri, expected))
                continue
            stats["checked"] += 1
            err = _ulp_error(ri, _exact(name, xi, yi))
            if err > stats["max_ulp"]:
                stats["max_ulp"], stats["worst"] = err, (xi, yi, ri)
            if err > 0.5:
                stats["not_correctly_rounded"] += 1
                if err >= 1.0:
                    stats["not_faithful"] += 1
    return stats


def _merge(stats):
    out = {"checked": 0, "special": 0, "bad_special": [], "max_ulp": 0.0, "worst": None,
           "not_correctly_rounded": 0, "not_faithful": 0}
    for s in stats:
        for key in ("checked", "special", "not_correctly_rounded", "not_faithful"):
            out[key] += s[key]
        out["bad_special"] += s["bad_special"]
        if s["max_ulp"] > out["max_ulp"]:
            out["max_ulp"], out["worst"] = s["max_ulp"], s["worst"]
    return out


def measure_accuracy(name, x, y, r, processes=None):
    """_accuracy_chunk over all arguments, on all cores (fork) when there are several."""
    size = 10000
    chunks = [(name, x[i:i + size], None if y is None else y[i:i + size], r[i:i + size])
              for i in range(0, x.size, size)]
    processes = processes or os.cpu_count() or 1
    if processes > 1 and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return _merge(pool.map(_accuracy_chunk, chunks))
    return _merge(map(_accuracy_chunk, chunks))


# ---------------------------------------------------------------- accuracy

@pytest.mark.parametrize("name", FUNCTIONS)
def test_accuracy_against_mpmath(c_impl, arguments, name):
    """Every result within 1 ulp of the exact value, every special value exactly right."""
    started = time.perf_counter()
    report = {}
    for part, args in arguments[name].items():
        x, y = (args if name == "pow" else (args, None))
        report[part] = measure_accuracy(name, x, y, c_impl(name, x, y) if y is not None else c_impl(name, x))
    total = _merge(report.values())
    seconds = time.perf_counter() - started
    print(f"\nfgd_{name} against mpmath ({MP_PREC} bits): {total['checked']} arguments "
          f"+ {total['special']} special values, {seconds:.1f} s")
    for part, s in list(report.items()) + [("ALL", total)]:
        print(f"  {part:20s} n={s['checked']:8d} max {s['max_ulp']:.4f} ulp, "
              f"not correctly rounded {s['not_correctly_rounded']}, not faithful {s['not_faithful']}")
    print(f"  worst: {name}{total['worst'][:2] if name == 'pow' else total['worst'][:1]} "
          f"= {total['worst'][2]!r}")
    assert total["checked"] + total["special"] >= N_PER_FUNCTION
    assert total["bad_special"] == []
    assert total["not_faithful"] == 0
    assert total["max_ulp"] < 1.0


def test_special_values(c_impl):
    """Exact special results, spelled out (the oracle above is tested by them too)."""
    nan = math.nan
    cases = {
        "exp": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, 0.0), (nan, nan), (1000.0, INF),
                (-1000.0, 0.0), (710.0, INF), (709.0, 8.218407461554972e307), (-745.2, 0.0),
                (-745.0, 5e-324), (-740.0, 4.1995579896506e-322), (1e-300, 1.0), (-1e-300, 1.0)],
        "log1p": [(0.0, 0.0), (-0.0, -0.0), (-1.0, -INF), (-2.0, nan), (-INF, nan), (INF, INF),
                  (nan, nan), (5e-324, 5e-324), (-5e-324, -5e-324), (1e-300, 1e-300),
                  (DBL_MAX, 709.782712893384)],
        "log": [(1.0, 0.0), (0.0, -INF), (-0.0, -INF), (-1.0, nan), (-INF, nan), (INF, INF),
                (nan, nan), (2.0, 0.6931471805599453), (5e-324, -744.4400719213812),
                (DBL_MAX, 709.782712893384)],
    }
    for name, pairs in cases.items():
        x = np.array([p[0] for p in pairs])
        got = c_impl(name, x)
        for (xi, want), g in zip(pairs, got.tolist()):
            want_bits = NAN_BITS if math.isnan(want) else _bits(want)
            assert _bits(g) == want_bits, (name, xi, g, want)
            assert _bits(getattr(elementary, name)(xi)) == want_bits, (name, xi)
    pow_cases = [((0.0, -1.0), INF), ((-0.0, -1.0), -INF), ((-0.0, -2.0), INF), ((-0.0, 3.0), -0.0),
                 ((-0.0, 0.5), 0.0), ((0.0, -INF), INF), ((-1.0, INF), 1.0), ((-1.0, -INF), 1.0),
                 ((1.0, nan), 1.0), ((nan, 0.0), 1.0), ((nan, -0.0), 1.0), ((-2.0, 0.5), nan),
                 ((0.5, -INF), INF), ((2.0, -INF), 0.0), ((0.5, INF), 0.0), ((2.0, INF), INF),
                 ((-INF, -3.0), -0.0), ((-INF, -2.0), 0.0), ((-INF, 3.0), -INF), ((-INF, 0.5), INF),
                 ((INF, -0.5), 0.0), ((INF, 0.5), INF), ((-2.0, 3.0), -8.0), ((-2.0, -3.0), -0.125),
                 ((2.0, 1024.0), INF), ((2.0, -1074.0), 5e-324), ((2.0, -1075.0), 0.0),
                 ((-2.0, -1075.0), -0.0), ((10.0, 22.0), 1e22), ((0.5, 1e300), 0.0), ((nan, 1.0), nan),
                 ((1.5, nan), nan)]
    x = np.array([c[0][0] for c in pow_cases])
    y = np.array([c[0][1] for c in pow_cases])
    got = c_impl("pow", x, y)
    for ((xi, yi), want), g in zip(pow_cases, got.tolist()):
        want_bits = NAN_BITS if math.isnan(want) else _bits(want)
        assert _bits(g) == want_bits, ("pow", xi, yi, g, want)
        assert _bits(elementary.pow(xi, yi)) == want_bits, ("pow", xi, yi)
        expected = special_expected("pow", xi, yi)
        assert expected is _NOT_SPECIAL or _bits(expected) == want_bits, ("oracle", xi, yi)


def test_pow_of_integers_is_exact(c_impl):
    """pow(integer, integer) is the integer when it is representable."""
    xs, ys, want = [], [], []
    for base in list(range(2, 200)) + [1000, 12345, 2 ** 20 + 1]:
        for e in range(0, 200):
            v = base ** e
            if v >= 2 ** 53:
                break
            for sign in (1, -1):
                xs.append(float(sign * base))
                ys.append(float(e))
                want.append(float((sign * base) ** e))
    got = c_impl("pow", np.array(xs), np.array(ys))
    bad = [(x, y, g, w) for x, y, g, w in zip(xs, ys, got.tolist(), want) if g != w]
    assert bad == []
    # x**1 is x (an error below 1 ulp alone would allow a neighbour at a power of two)
    rng = np.random.default_rng(5)
    x = _log_uniform(rng, 1e-300, 1e300, 20000)
    assert np.array_equal(c_impl("pow", x, np.ones_like(x)), x)


def test_monotone_where_it_matters(c_impl):
    """beta**t decreases with t and t**power_t increases: the schedules see no reversal."""
    t = np.arange(1.0, 20001.0)
    for beta in (0.9, 0.99, 0.999, 0.9999):
        r = c_impl("pow", np.full_like(t, beta), t)
        assert np.all(np.diff(r) <= 0)
    for p in (0.25, 0.5, 0.75):
        r = c_impl("pow", t, np.full_like(t, p))
        assert np.all(np.diff(r) >= 0)
    x = np.linspace(-745.0, 709.0, 200001)
    assert np.all(np.diff(c_impl("exp", x)) >= 0)
    x = np.linspace(-0.999, 10.0, 200001)
    assert np.all(np.diff(c_impl("log1p", x)) >= 0)


# ---------------------------------------------------------------- C == Python

def _python_values(name, x, y=None):
    f = getattr(elementary, name)
    if y is None:
        return np.array([f(v) for v in x.tolist()], dtype=np.float64)
    return np.array([f(a, b) for a, b in zip(x.tolist(), y.tolist())], dtype=np.float64)


def _python_subset(name, parts, limit, seed=6):
    """All of the small (edge) parts, and a random share of the big ones, limit in all."""
    x, y = _flat(name, parts)
    if limit is None or x.size <= limit:
        return x, y
    sizes = [len(p[0]) if name == "pow" else len(p) for p in parts.values()]
    small = np.concatenate([np.arange(start, start + size) for start, size in
                            zip(np.cumsum([0] + sizes[:-1]), sizes) if size <= 25000])
    rest = np.setdiff1d(np.arange(x.size), small)
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([small, rng.choice(rest, max(limit - small.size, 0), replace=False)])
    return x[chosen], (None if y is None else y[chosen])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_python_equals_c_bits(c_impl, arguments, name):
    """The Python twin returns the same bits as the C, NaN and inf included."""
    x, y = _python_subset(name, arguments[name], N_PYTHON)
    assert x.size >= min(N_PYTHON or N_PER_FUNCTION, N_PER_FUNCTION)
    started = time.perf_counter()
    py = _python_values(name, x, y)
    seconds = time.perf_counter() - started
    c = c_impl(name, x, y) if y is not None else c_impl(name, x)
    differ = np.flatnonzero(c.view(np.uint64) != py.view(np.uint64))
    print(f"\n{name}: Python == C on {x.size} arguments ({seconds:.1f} s in Python)")
    assert differ.size == 0, [(float(x[i]), None if y is None else float(y[i]), c[i].hex(), py[i].hex())
                              for i in differ[:10]]


def test_python_takes_ints_and_numpy_scalars():
    assert elementary.exp(0) == 1.0 and type(elementary.exp(np.float64(1.0))) is float
    assert elementary.pow(2, 10) == 1024.0 and elementary.log(1) == 0.0
    assert elementary.log1p(np.float32(0.0)) == 0.0


# ---------------------------------------------------------------- split pow

def test_pow_is_pow_log_of_log_ext(c_library, arguments):
    """fgd_pow(x, y) == fgd_pow_log(fgd_log_ext(x), y) for every x with the sign bit clear, every y."""
    x, y = _flat("pow", arguments["pow"])
    keep = np.signbit(x) == 0
    x, y = x[keep], y[keep]
    specials = np.array([0.0, INF, math.nan, _from_bits(0x7FF0000000000001), 1.0, DBL_TRUE_MIN, DBL_MAX])
    ys = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, INF, -INF, math.nan, 1e-300, 1e300, 2.0 ** -70])
    gx, gy = np.meshgrid(specials, ys, indexing="ij")
    x, y = np.concatenate([x, gx.ravel()]), np.concatenate([y, gy.ravel()])
    hi, lo = c_library.log_ext(x)
    assert np.array_equal(c_library.pow_log(hi, lo, y).view(np.uint64), c_library("pow", x, y).view(np.uint64))
    finite = np.isfinite(x) & (x > 0)
    assert np.all(np.sign(hi[finite]) == np.sign(x[finite] - 1.0))
    nh, nl = c_library.log_ext(np.array([-0.0, -1.0, -INF]))
    assert np.all(np.isnan(nh)) and np.all(nl == 0.0)
    hi1, lo1 = c_library.log_ext(np.array([1.0]))
    assert _bits(float(hi1[0])) == 0 and _bits(float(lo1[0])) == 0
    # the Python twins
    rng = np.random.default_rng(7)
    pick = rng.choice(x.size, min(x.size, 20000), replace=False)
    pick = np.concatenate([pick, np.arange(x.size - gx.size, x.size)])
    for i in pick.tolist():
        h, l = elementary.log_ext(float(x[i]))
        assert (_bits(h), _bits(l)) == (_bits(float(hi[i])), _bits(float(lo[i])))
        assert _bits(elementary.pow_log(h, l, float(y[i]))) == _bits(elementary.pow(float(x[i]), float(y[i])))
    # hi + lo is log(x) to about 2^-68 relative (ARM's bound: 1.5 * 2^-68)
    worst = 0
    with mpmath.workprec(200):
        for i in pick[:5000].tolist():
            if not finite[i]:
                continue
            exact = mpmath.log(mpmath.mpf(float(x[i])))
            if exact != 0:
                rel = abs((mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i])) - exact) / exact)
                worst = max(worst, rel)
    print(f"\nlog_ext: largest relative error 2^{float(mpmath.log(worst, 2)):.2f}")
    assert worst < mpmath.mpf(2) ** -66


# ---------------------------------------------------------------- the build

LIBM = re.compile(r"^_*(exp(2|10|m1)?|log(2|10|1p|b)?|pow|cbrt|sqrt|scalbl?n|ldexp|frexp|fabs|floor|ceil"
                  r"|trunc|l?l?round|l?l?rint|nearbyint|modf|fmod|copysign|fma|ilogb|nextafter|finite"
                  r"|isnan|isinf|cos|sin|tan|sincos)[fl]?(_finite)?$")


def test_no_libm_symbols(c_library):
    """The built library imports nothing from libm (what `nm -D --undefined-only` lists)."""
    nm = shutil.which("nm")
    if nm is None or not sys.platform.startswith("linux"):
        pytest.skip("needs GNU nm (Linux)")
    out = subprocess.run([nm, "-D", "--undefined-only", str(c_library.path)],
                         check=True, capture_output=True, text=True).stdout
    names = [line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()]
    assert not [n for n in names if LIBM.match(n)], names
    readelf = shutil.which("readelf")
    if readelf:
        dyn = subprocess.run([readelf, "-d", str(c_library.path)], check=True, capture_output=True,
                             text=True).stdout
        assert "libm." not in dyn


_TUNABLES_CHILD = r"""
import ctypes, sys
import numpy as np
lib = ctypes.CDLL(sys.argv[1])
data = np.load(sys.argv[2])
out = {}
for name in ("exp", "log1p", "log"):
    f = getattr(lib, "fgd_elementary_" + name)
    f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    x = np.ascontiguousarray(data[name]); r = np.empty_like(x)
    f(x.ctypes.data, r.ctypes.data, x.size)
    out[name] = r
f = lib.fgd_elementary_pow
f.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_size_t]
x, y = np.ascontiguousarray(data["pow_x"]), np.ascontiguousarray(data["pow_y"]); r = np.empty_like(x)
f(x.ctypes.data, y.ctypes.data, r.ctypes.data, x.size)
out["pow"] = r
try:
    libm = ctypes.CDLL("libm.so.6")
except OSError:
    libm = None
if libm is not None:
    libm.exp.restype = ctypes.c_double
    libm.exp.argtypes = [ctypes.c_double]
    out["libm_exp"] = np.array([libm.exp(v) for v in data["exp"][:200000].tolist()])
np.savez(sys.argv[3], **out)
"""


def test_same_bits_without_avx2_and_fma(tmp_path, c_library, arguments):
    """glibc told to ignore AVX2/FMA/AVX-512 (GLIBC_TUNABLES) changes none of the results."""
    if not sys.platform.startswith("linux"):
        pytest.skip("GLIBC_TUNABLES is glibc's")
    data = {name: _flat(name, arguments[name])[0] for name in ("exp", "log1p", "log")}
    data["pow_x"], data["pow_y"] = _flat("pow", arguments["pow"])
    np.savez(tmp_path / "in.npz", **data)
    script = tmp_path / "child.py"
    script.write_text(_TUNABLES_CHILD)
    results = {}
    for label, tunables in (("default", None), ("no_fma", "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F")):
        env = dict(os.environ)
        env.pop("GLIBC_TUNABLES", None)
        if tunables:
            env["GLIBC_TUNABLES"] = tunables
        out = tmp_path / f"{label}.npz"
        subprocess.run([sys.executable, str(script), str(c_library.path), str(tmp_path / "in.npz"), str(out)],
                       check=True, env=env, capture_output=True, text=True)
        results[label] = np.load(out)
    for name in FUNCTIONS:
        assert np.array_equal(results["default"][name].view(np.uint64), results["no_fma"][name].view(np.uint64))
    if "libm_exp" in results["default"]:
        libm_differ = int(np.sum(results["default"]["libm_exp"] != results["no_fma"]["libm_exp"]))
        print(f"\nglibc's own exp changed on {libm_differ} of 200000 arguments under the tunables; "
              "fastgd's on none")


def _compiler_is_clang(cc):
    out = subprocess.run(cc + ["--version"], capture_output=True, text=True).stdout
    return "clang" in out.lower()


def _cpu_has_fma():
    try:
        return " fma " in Path("/proc/cpuinfo").read_text().replace("\n", " ")
    except OSError:
        return False


def test_same_bits_when_the_build_allows_fma(tmp_path, c_library, arguments):
    """The header keeps its own operations unfused in a build that would contract them.

    GCC: ``-ffp-contract=fast`` (the header's ``#pragma GCC optimize`` wins).
    Clang: its default ``-ffp-contract=on`` (the header's ``STDC FP_CONTRACT OFF``
    wins; clang's ``-ffp-contract=fast`` overrides every pragma, so fastgd's
    build must keep ``-ffp-contract=off``).
    """
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler")
    machine = os.uname().machine if hasattr(os, "uname") else ""
    contract = "-ffp-contract=on" if _compiler_is_clang(cc) else "-ffp-contract=fast"
    if machine in ("x86_64", "AMD64"):
        if not _cpu_has_fma():
            pytest.skip("CPU without FMA")
        flags = ["-O3", contract, "-mfma"]
    elif machine in ("aarch64", "arm64"):
        flags = ["-O3", contract]
    else:
        pytest.skip(f"no FMA build known for {machine}")
    fused = CLibrary(build_library(tmp_path, flags, name="fgd_elementary_fma"))
    for name in FUNCTIONS:
        x, y = _flat(name, arguments[name])
        a = fused(name, x, y) if y is not None else fused(name, x)
        b = c_library(name, x, y) if y is not None else c_library(name, x)
        assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), name


# ---------------------------------------------------------------- constants

_C_HEX = re.compile(r"(?<![\w.])-?0x[0-9a-fA-F]+\.[0-9a-fA-F]*p[+-]?\d+")
_PY_HEX = re.compile(r"(?:float\.fromhex|_h)\(\"(-?0x[0-9a-fA-F]+\.[0-9a-fA-F]*p[+-]?\d+)\"\)")
_C_U64 = re.compile(r"0x([0-9a-f]{16})u")


def _strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _header_text():
    if not HEADER.exists():
        pytest.skip("src/elementary.h is not here")
    return _strip_c_comments(HEADER.read_text())


def test_constants_are_the_same_hex_literals():
    """Every floating constant of the C is one of the Python's, spelled the same, and vice versa."""
    c_literals = set(_C_HEX.findall(_header_text()))
    py_literals = set(_PY_HEX.findall(PY_SOURCE.read_text()))
    assert c_literals == py_literals
    for lit in py_literals:
        assert float.fromhex(lit).hex() == lit      # spelled as float.hex() spells it
    # the scalar constants (not the table entries) are in the docstring
    table = {v.hex() for row in elementary._POW_LOG_TAB for v in row}
    docstring = elementary.__doc__
    for lit in set(py_literals):
        if float.fromhex(lit).hex() not in table:
            assert lit in docstring, lit


def test_exp_table():
    """The C and Python tables are the same and are 2^(j/128) = H_j (1 + T_j) as defined."""
    from mpmath.libmp import round_nearest, to_float
    text = _header_text()
    body = text[text.index("fgd__exp_tab[256] = {"):]
    body = body[:body.index("};")]
    c_table = [int(h, 16) for h in _C_U64.findall(body)]
    assert c_table == list(elementary._EXP_TAB) and len(c_table) == 256
    with mpmath.workprec(300):
        for j in range(128):
            exact = mpmath.mpf(2) ** (mpmath.mpf(j) / 128)
            h = to_float(exact._mpf_, rnd=round_nearest)
            t = to_float((exact / mpmath.mpf(h) - 1)._mpf_, rnd=round_nearest)
            assert c_table[2 * j] == _bits(t)
            assert c_table[2 * j + 1] == (_bits(h) - (j << 45)) & 0xFFFFFFFFFFFFFFFF


def test_pow_log_table():
    """The C and Python tables are the same and satisfy their definition (ARM's pow_log_data.c)."""
    from mpmath.libmp import round_nearest, to_float
    text = _header_text()
    body = text[text.index("fgd__pow_log_tab[128][3] = {"):]
    body = body[:body.index("};")]
    c_rows = [tuple(float.fromhex(v) for v in _C_HEX.findall(row)) for row in re.findall(r"\{([^{}]*)\}", body)]
    assert c_rows == [tuple(r) for r in elementary._POW_LOG_TAB] and len(c_rows) == 128
    with mpmath.workprec(300):
        for i, (invc, logc, logctail) in enumerate(c_rows):
            assert invc * 256 == math.floor(invc * 256)               # 1/c = j/128 or j/256
            log_c = -mpmath.log(mpmath.mpf(invc))
            assert mpmath.mpf(logc) == mpmath.nint(log_c * 2 ** 43) / 2 ** 43
            rest = log_c - mpmath.mpf(logc)
            assert logctail == (0.0 if rest == 0 else to_float(rest._mpf_, rnd=round_nearest))
            # every z of subinterval i has |z*invc - 1| < 1/128
            lo = _from_bits(0x3FE6955500000000 + (i << 45))
            hi = _from_bits(0x3FE6955500000000 + ((i + 1) << 45))
            assert max(abs(lo * invc - 1), abs(hi * invc - 1)) < 1 / 128


def test_python_twin_uses_no_math_module():
    tree = PY_SOURCE.read_text()
    assert not re.search(r"^\s*(import math|from math)", tree, flags=re.M)
    assert "math." not in tree.split('"""', 2)[2]
