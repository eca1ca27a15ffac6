"""fastgd's portable cosine: src/elementary_cos.h and fastgd/_elementary_cos.py.

The C ``fgd_cos`` and the Python ``cos`` must agree bit for bit on every
double, and both must be within 1 ulp of the exact cosine (faithfully
rounded: the correctly rounded double or its neighbour on the other side of
the exact value), checked against mpmath at 300 bits (mpmath adds the bits
that huge arguments need for their reduction by itself).

The C is reached through the fixture ``c_impl``: the compiled kernels'
``elementary("cos", x_array)``, so the function is checked as the kernels
compiled it.  The symbol check builds a tiny shared library from the header
with the kernels' flags (``-O3 -ffp-contract=off -fno-math-errno``), skipped
where there is no C compiler.

The default run checks about 2*10^5 arguments against mpmath;
``FASTGD_ELEMENTARY_FULL=1`` checks about 1.2*10^6 (on as many processes as
there are cores; about 25 s on a 2-core machine).  ``pytest -s`` prints the
measured errors.
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

from fastgd import _elementary_cos  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEADER = ROOT / "src" / "elementary_cos.h"
PY_SOURCE = Path(_elementary_cos.__file__)
CFLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno"]
FULL = os.environ.get("FASTGD_ELEMENTARY_FULL", "") not in ("", "0")
N_ARGUMENTS = 1_200_000 if FULL else 200_000
MP_PREC = 300
NAN_BITS = 0x7FF8000000000000

WRAPPER_C = r"""
#include <stddef.h>
#include "elementary_cos.h"

void fgd_elementary_cos(const double *x, double *y, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        y[i] = fgd_cos(x[i]);
    }
}
"""


# ---------------------------------------------------------------- building

def _compiler():
    cc = os.environ.get("CC", "cc").split()
    return cc if shutil.which(cc[0]) else None


def build_library(directory, flags=CFLAGS, name="fgd_elementary"):
    """Compile the wrapper around src/elementary_cos.h into a shared library."""
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler")
    directory = Path(directory)
    src = directory / f"{name}.c"
    src.write_text(WRAPPER_C)
    lib = directory / f"lib{name}.so"
    cmd = cc + list(flags) + ["-shared", "-fPIC", "-I", str(HEADER.parent), str(src), "-o", str(lib)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return lib


def _loader(lib_path):
    lib = ctypes.CDLL(str(lib_path))
    fn = lib.fgd_elementary_cos
    fn.restype = None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]

    def call(name, x):
        if name != "cos":
            raise ValueError(f"unknown elementary function {name!r}")
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.empty_like(x)
        fn(x.ctypes.data, y.ctypes.data, x.size)
        return y

    call.library = lib  # keep the library loaded as long as the callable lives
    return call


@pytest.fixture(scope="session")
def c_library(tmp_path_factory):
    return build_library(tmp_path_factory.mktemp("elementary_cos"))


# ---------------------------------------------------------------- arguments

def _from_bits(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def _bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _neighbours(values, k):
    """values and their k nearest doubles on each side (same sign)."""
    b = np.asarray(values, dtype=np.float64).view(np.int64)
    steps = np.arange(-k, k + 1, dtype=np.int64)
    out = (b[:, None] + steps[None, :]).ravel()
    out = out[(out >= 0) & (out < 0x7FF0000000000000)]
    return out.view(np.float64)


def hard_reduction_cases(per_exponent=2, e_lo=-52, e_hi=971):
    """Doubles M * 2^e (2^52 <= M < 2^53) nearest to a multiple of pi/2.

    For each e, frac(2^e * 2/pi) is expanded in a continued fraction; small
    multiples of its denominators that fall in [2^52, 2^53) are the M with
    the smallest distance |M * 2^e * 2/pi - integer|.  Finds the famous
    6381956970095103 * 2^797 (2^-61.5 from a multiple of pi/2).
    """
    total = 2400
    with mpmath.workprec(total + 64):
        two_over_pi = int(mpmath.floor(2 / mpmath.pi * mpmath.mpf(2) ** total))
    frac_bits = 200
    out = []
    for e in range(e_lo, e_hi + 1):
        shift = total - e - frac_bits
        a = two_over_pi >> shift if shift >= 0 else two_over_pi << -shift
        a &= (1 << frac_bits) - 1
        num, den = a, 1 << frac_bits
        q_prev, q = 0, 1
        denominators = []
        while num and q < (1 << 53):
            t = den // num
            num, den = den - t * num, num
            q_prev, q = q, t * q + q_prev
            if q < (1 << 53):
                denominators.append(q)
        candidates = []
        for q in denominators:
            t0 = -(-(1 << 52) // q)
            for t in range(t0, t0 + 3):
                m = t * q
                if m < (1 << 53):
                    r = (m * a) & ((1 << frac_bits) - 1)
                    candidates.append((min(r, (1 << frac_bits) - r), m))
        candidates.sort()
        taken = []
        for _, m in candidates:
            if m not in taken:
                taken.append(m)
            if len(taken) == per_exponent:
                break
        out.extend(math.ldexp(float(m), e) for m in taken)
    return np.array(out)


def edge_cases():
    """Special values and the boundaries of every branch of fgd_cos."""
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan,
                _from_bits(0x7FF0000000000001),      # signalling NaN
                _from_bits(0xFFF8000000000001),      # negative NaN with payload
                _from_bits(0x7FFFFFFFFFFFFFFF),
                5e-324, -5e-324, _from_bits(0x000FFFFFFFFFFFFF), 2.2250738585072014e-308,
                1.7976931348623157e308, -1.7976931348623157e308,
                math.pi, math.pi / 2, math.pi / 4, 3 * math.pi / 4, 2 * math.pi,
                1.0, 0.5, 2.0, 1e22, 1e300, 6381956970095103 * 2.0 ** 797]
    boundaries = [
        _from_bits(0x3E40000000000000),              # 2^-27: below it, 1.0
        _from_bits(0x3FE921FB00000000),              # |x| <= ~pi/4: kernel_cos alone
        _from_bits(0x3FE921FC00000000),
        _from_bits(0x413921FB00000000),              # ~2^20 * pi/2: Payne-Hanek above
        _from_bits(0x4139200000000000),
        _from_bits(0x7FEFFFFFFFFFFFFF),
    ]
    powers = [math.ldexp(1.0, k) for k in range(-1074, 1024)]
    near = _neighbours(boundaries + powers[1074 - 30:], 8)
    # integers (Payne-Hanek inputs with zero 24-bit pieces)
    ints = [float(k) for k in range(1, 200)] + [float(2 ** k + j) for k in range(20, 60) for j in (-1, 1)]
    values = np.concatenate([np.array(specials), np.array(powers), near, np.array(ints)])
    return np.concatenate([values, -values])


def schedule_arguments(rng, n_pairs_all, n_random):
    """pi*e/max_epochs exactly as the schedule computes it: (M_PI * e) / m."""
    m_max = 1
    while (m_max + 1) * (m_max + 2) // 2 < n_pairs_all:
        m_max += 1
    m = np.concatenate([np.full(k + 1, k) for k in range(1, m_max + 1)]).astype(np.float64)
    e = np.concatenate([np.arange(k + 1) for k in range(1, m_max + 1)]).astype(np.float64)
    m_rand = np.floor(np.exp(rng.uniform(0.0, math.log(1e7), n_random))) + 1.0
    e_rand = np.floor(rng.uniform(0.0, 1.0, n_random) * (m_rand + 1.0))
    e_rand = np.minimum(e_rand, m_rand)
    e = np.concatenate([e, e_rand])
    m = np.concatenate([m, m_rand])
    return (np.pi * e) / m  # left to right, as M_PI * (double)e / (double)max_epochs


def near_pio2_multiples(rng, n):
    """The doubles nearest to k*pi/2, and their neighbours (|x| up to 2^1000)."""
    ks = list(range(1, 2000))
    bits = rng.integers(11, 1000, max(n // 7 - len(ks), 0))
    ks += [int(rng.integers(1 << (int(b) - 1), 1 << int(b))) for b in bits if b < 63]
    ks += [(1 << int(b)) + int(rng.integers(0, 1 << 62)) * (1 << max(int(b) - 62, 0)) for b in bits if b >= 63]
    centres = []
    for k in ks:
        with mpmath.workprec(k.bit_length() + 80):
            centres.append(float(mpmath.mpf(k) * mpmath.pi / 2))
    return _neighbours(np.array([c for c in centres if math.isfinite(c)]), 3)


def argument_sets(n_total=N_ARGUMENTS, seed=20240611):
    """Named arrays of arguments, about n_total in all (deterministic)."""
    rng = np.random.default_rng(seed)
    share = lambda fraction: int(n_total * fraction)  # noqa: E731
    sets = {}
    sets["edge"] = edge_cases()
    sets["hard_reduction"] = _neighbours(hard_reduction_cases(), 1)
    sets["schedule"] = schedule_arguments(rng, share(0.20), share(0.10))
    grid = np.linspace(0.0, math.pi, share(0.05))
    sets["dense_0_pi"] = np.concatenate([rng.uniform(0.0, math.pi, share(0.15)), grid,
                                         _neighbours([math.pi, math.pi / 2, math.pi / 4], 200)])
    sets["near_pio2_multiples"] = near_pio2_multiples(rng, share(0.08))
    sets["medium"] = np.exp(rng.uniform(math.log(math.pi / 4), math.log(2 ** 20 * math.pi / 2), share(0.10)))
    tiny = np.exp(rng.uniform(math.log(5e-324), math.log(2.0 ** -20), share(0.05)))
    subnormal = rng.integers(1, 1 << 52, share(0.02), dtype=np.int64).view(np.float64)
    sets["tiny_subnormal"] = np.concatenate([tiny, subnormal])
    sets["huge"] = np.exp(rng.uniform(math.log(1e10), math.log(1.7976931348623157e308), share(0.10)))
    random_bits = rng.integers(0, 1 << 63, share(0.15), dtype=np.int64).view(np.float64)
    sets["random_bits"] = random_bits  # every exponent equally often (a few inf / NaN)
    for name in ("medium", "tiny_subnormal", "huge"):
        values = sets[name]
        sets[name] = np.where(rng.uniform(size=values.size) < 0.5, -values, values)
    return sets


# ---------------------------------------------------------------- measuring

def _accuracy_chunk(chunk):
    """Errors of (x, y) pairs against mpmath: a dict of counts and the worst case."""
    from mpmath.libmp import round_ceiling, round_floor, round_nearest, to_float

    xs, ys = chunk
    worst, worst_x, worst_y = 0.0, None, None
    not_rounded = not_faithful = bad_special = checked = 0
    with mpmath.workprec(MP_PREC):
        for x, y in zip(xs.tolist(), ys.tolist()):
            if not math.isfinite(x):
                bad_special += _bits(y) != NAN_BITS
                continue
            checked += 1
            t = mpmath.cos(mpmath.mpf(x))
            _, man, exp, bc = t._mpf_
            err = float(mpmath.ldexp(abs(mpmath.mpf(y) - t), -(exp + bc - 53)))
            if err > worst:
                worst, worst_x, worst_y = err, x, y
            if y != to_float(t._mpf_, rnd=round_nearest):
                not_rounded += 1
                if y != to_float(t._mpf_, rnd=round_floor) and y != to_float(t._mpf_, rnd=round_ceiling):
                    not_faithful += 1
    return {"checked": checked, "max_ulp": worst, "worst_x": worst_x, "worst_y": worst_y,
            "not_correctly_rounded": not_rounded, "not_faithful": not_faithful,
            "bad_special": bad_special}


def _merge(stats):
    out = {"checked": 0, "max_ulp": 0.0, "worst_x": None, "worst_y": None,
           "not_correctly_rounded": 0, "not_faithful": 0, "bad_special": 0}
    for s in stats:
        for key in ("checked", "not_correctly_rounded", "not_faithful", "bad_special"):
            out[key] += s[key]
        if s["max_ulp"] > out["max_ulp"]:
            out["max_ulp"], out["worst_x"], out["worst_y"] = s["max_ulp"], s["worst_x"], s["worst_y"]
    return out


def measure_accuracy(x, y, processes=None):
    """_accuracy_chunk over x, y, split over processes (fork) when there are several cores."""
    chunks = [(x[i:i + 20000], y[i:i + 20000]) for i in range(0, x.size, 20000)]
    processes = processes or os.cpu_count() or 1
    if processes > 1 and "fork" in multiprocessing.get_all_start_methods() and len(chunks) > 1:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return _merge(pool.map(_accuracy_chunk, chunks))
    return _merge(map(_accuracy_chunk, chunks))


@pytest.fixture(scope="module")
def arguments():
    return argument_sets()


# ---------------------------------------------------------------- tests

def test_argument_counts(arguments):
    total = sum(v.size for v in arguments.values())
    assert total >= (10 ** 6 if FULL else 2 * 10 ** 5)
    assert np.all(np.isfinite(arguments["schedule"]))
    # (M_PI * e) / e is pi, or pi +- 1 ulp for about 14% of e: the domain is [0, pi + 1 ulp]
    assert arguments["schedule"].min() == 0.0 and math.pi in arguments["schedule"]
    assert arguments["schedule"].max() == math.nextafter(math.pi, 4.0)
    assert 6381956970095103 * 2.0 ** 797 in arguments["hard_reduction"]


def test_accuracy_against_mpmath(c_impl, arguments):
    """|fgd_cos(x) - cos(x)| < 1 ulp of cos(x): the result is always faithfully rounded."""
    started = time.perf_counter()
    report = {}
    for name, x in arguments.items():
        report[name] = measure_accuracy(x, c_impl("cos", x))
    total = _merge(report.values())
    seconds = time.perf_counter() - started
    print(f"\nfgd_cos against mpmath ({MP_PREC} bits), {total['checked']} finite arguments, "
          f"{seconds:.1f} s:")
    for name, s in list(report.items()) + [("ALL", total)]:
        print(f"  {name:20s} n={s['checked']:8d} max {s['max_ulp']:.4f} ulp, "
              f"not correctly rounded {s['not_correctly_rounded']}, not faithful {s['not_faithful']}")
    print(f"  worst: cos({total['worst_x']!r}) = {total['worst_y']!r}")
    assert total["checked"] >= (10 ** 6 if FULL else 2 * 10 ** 5) * 0.99
    assert total["bad_special"] == 0
    assert total["not_faithful"] == 0
    assert total["max_ulp"] < 1.0
    # fdlibm's cosine is correctly rounded for all but a few percent of arguments
    assert total["not_correctly_rounded"] < 0.05 * total["checked"]


def test_python_equals_c_bits(c_impl, arguments):
    """The Python twin returns the same bits as the C for every argument, NaN and inf included."""
    x = np.concatenate(list(arguments.values()))
    if not FULL:
        assert x.size >= 10 ** 5
    c = c_impl("cos", x).view(np.uint64)
    py = np.array([_elementary_cos.cos(v) for v in x.tolist()]).view(np.uint64)
    differ = np.flatnonzero(c != py)
    assert differ.size == 0, [(float(x[i]), hex(int(c[i])), hex(int(py[i]))) for i in differ[:10]]


def test_special_values(c_impl):
    x = np.array([0.0, -0.0, 5e-324, -5e-324, 2.0 ** -27, math.inf, -math.inf, math.nan,
                  math.pi, -math.pi])
    y = c_impl("cos", x)
    assert y[:4].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert y[4] == 1.0  # 2^-27 takes the polynomial: 1 - 2^-55 rounds to 1
    assert [_bits(v) for v in y[5:8]] == [NAN_BITS] * 3
    assert y[8] == -1.0 and y[9] == -1.0
    for v, w in zip(x.tolist(), y.tolist()):
        assert _bits(_elementary_cos.cos(v)) == _bits(w)
    assert _elementary_cos.cos(0) == 1.0 and _elementary_cos.cos(np.float64(math.pi)) == -1.0


def test_even(c_impl, arguments):
    x = np.concatenate(list(arguments.values()))
    assert np.array_equal(c_impl("cos", x).view(np.uint64), c_impl("cos", -x).view(np.uint64))


def test_no_libm_symbols(c_library):
    """The built library calls no cos / sin / floor / scalbn / ... : nothing from libm."""
    nm = shutil.which("nm")
    if nm is None or not sys.platform.startswith("linux"):
        pytest.skip("needs GNU nm (Linux)")
    out = subprocess.run([nm, "-D", "--undefined-only", str(c_library)],
                         check=True, capture_output=True, text=True).stdout
    names = [line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()]
    libm = re.compile(r"^_*(a?(cos|sin|tan)h?|sincos|floor|ceil|trunc|l?l?round|l?l?rint|nearbyint"
                      r"|scalbl?n|ldexp|frexp|fmod|remainder|remquo|sqrt|cbrt|exp(2|10|m1)?|log(2|10|1p|b)?"
                      r"|pow|fabs|modf|ilogb|copysign|fma|hypot|atan2|nextafter|finite|isnan|isinf)[fl]?(_finite)?$")
    assert not [n for n in names if libm.match(n)], names
    readelf = shutil.which("readelf")
    if readelf:
        dyn = subprocess.run([readelf, "-d", str(c_library)], check=True, capture_output=True, text=True).stdout
        assert "libm." not in dyn


def _cpu_has_fma():
    try:
        return " fma " in Path("/proc/cpuinfo").read_text().replace("\n", " ")
    except OSError:
        return False


def test_same_bits_when_the_build_forgets_fp_contract_off(tmp_path, c_impl, arguments):
    """A build without -ffp-contract=off, FMA instructions allowed, gives the same bits.

    The compiler's default contraction then applies (GCC: fuse across
    statements; clang: within an expression, honouring pragmas), and the
    header's pragmas switch it off for fgd_cos.  (An explicit
    ``-ffp-contract=fast`` on clang overrides every pragma: not covered.)
    """
    cc = _compiler()
    machine = os.uname().machine if hasattr(os, "uname") else ""
    if cc is None:
        pytest.skip("no C compiler")
    if machine in ("x86_64", "AMD64"):
        if not _cpu_has_fma():
            pytest.skip("CPU without FMA")
        flags = ["-O3", "-mfma"]
    elif machine in ("aarch64", "arm64"):
        flags = ["-O3"]
    else:
        pytest.skip(f"no FMA build known for {machine}")
    fused = _loader(build_library(tmp_path, flags, name="fgd_elementary_fma"))
    x = np.concatenate(list(arguments.values()))
    assert np.array_equal(fused("cos", x).view(np.uint64), c_impl("cos", x).view(np.uint64))


# ---------------------------------------------------------------- constants

def _strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


HEX_FLOAT = r"-?0x[0-9a-fA-F]+\.[0-9a-fA-F]*p[+-]?\d+"


def test_constants_identical_in_c_and_python():
    """Every floating constant is the same hex literal, in the same order, in both files."""
    c_code = _strip_c_comments(HEADER.read_text())
    c_floats = re.findall(HEX_FLOAT, c_code)
    py_floats = re.findall(r"float\.fromhex\('(" + HEX_FLOAT + r")'\)", PY_SOURCE.read_text())
    assert c_floats == py_floats and len(c_floats) == 30
    for literal in c_floats:  # written exactly as float.hex() writes them
        assert float.fromhex(literal).hex() == literal
    table = re.search(r"fgd_cos_ipio2_\[66\] = \{(.*?)\};", c_code, flags=re.S).group(1)
    assert [int(v, 16) for v in re.findall(r"0x[0-9A-Fa-f]+", table)] == list(_elementary_cos.IPIO2)
    # the docstring states every constant
    doc = _elementary_cos.__doc__.lower()
    for literal in c_floats:
        assert literal.lstrip("-").lower() in doc, literal
    for chunk in _elementary_cos.IPIO2:
        assert f"0x{chunk:06x}" in doc


def test_constants_are_what_they_claim():
    m = _elementary_cos
    with mpmath.workprec(2000):
        pio2 = mpmath.pi / 2
        chunks = int(mpmath.floor(2 / mpmath.pi * mpmath.mpf(2) ** (24 * 66)))
        assert list(m.IPIO2) == [(chunks >> (24 * (65 - i))) & 0xFFFFFF for i in range(66)]
        rest = pio2
        for c in m.PIO2_CHUNKS:  # each the leading 24 bits of what is left of pi/2
            assert (c * 2.0 ** (23 - math.frexp(c)[1] + 1)).is_integer()
            assert 0 <= rest - c < mpmath.mpf(c) * 2.0 ** -23
            rest -= c
        assert abs(rest) < 2.0 ** -190
        assert abs(m.INVPIO2 - 2 / mpmath.pi) <= 2.0 ** -54
        assert abs(pio2 - m.PIO2_1 - m.PIO2_1T) < 2.0 ** -85
        assert abs(pio2 - m.PIO2_1 - m.PIO2_2 - m.PIO2_2T) < 2.0 ** -118
        assert abs(pio2 - m.PIO2_1 - m.PIO2_2 - m.PIO2_3 - m.PIO2_3T) < 2.0 ** -151
    for piece in (m.PIO2_1, m.PIO2_2, m.PIO2_3):  # 33 significant bits: fn * piece is exact
        assert (_bits(piece) & ((1 << 20) - 1)) == 0
