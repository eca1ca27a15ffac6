"""The six losses of ``fastgd.fit(loss=...)``: values, gradients, labels and checks.

The expected per-sample values are worked out by hand from the loss table in
the docstring of :mod:`fastgd.reference` (literals or short closed forms;
never the reference itself).  They are checked against
``fastgd.reference.sample_loss`` and against the compiled kernel.

The kernel does not export its per-sample loss, so it is read through a
one-row fit: ``X = [[-1.0]]``, ``coef_init = [0.0]``, ``intercept_init = p``,
one epoch at ``lr = 1`` with ``reduction="sum"``.  Then

* the prediction is ``0.0 * -1.0 + p = -0.0 + p``, which is ``p`` exactly
  (even for ``p = -0.0``);
* ``loss_history[0]`` is ``0.0 + loss``, the sample's loss;
* the coefficient becomes ``0.0 - 1 * (dloss * -1.0) = dloss`` exactly;
* the intercept becomes ``p - 1 * dloss``.

(``X = [[0.0]]`` would lose the sign of ``p = -0.0`` and only give dloss
through ``p - intercept``, which is not exact for large ``p``.)
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fastgd
from fastgd import reference
from fastgd._options import LOSSES, Loss

LOSS_NAMES = ["squared", "huber", "epsilon_insensitive", "log", "hinge", "modified_huber"]
CLASSIFIERS = ["log", "hinge", "modified_huber"]
REGRESSORS = ["squared", "huber", "epsilon_insensitive"]

#: The loss codes, written out (not read from LOSSES: a test below checks LOSSES).
CODES = {"squared": Loss.SQUARED, "huber": Loss.HUBER,
         "epsilon_insensitive": Loss.EPSILON_INSENSITIVE, "log": Loss.LOG,
         "hinge": Loss.HINGE, "modified_huber": Loss.MODIFIED_HUBER}
#: The name of each loss's one parameter, and its documented default.
PARAM_NAME = {"huber": "delta", "epsilon_insensitive": "epsilon"}
DEFAULT_PARAM = {"huber": 1.0, "epsilon_insensitive": 0.1}

TINY = 2.0 ** -52  # one ulp of 1.0
NEXT_ABOVE_1 = 1.0 + 2.0 ** -52
NEXT_BELOW_1 = 1.0 - 2.0 ** -53


def A(x):
    """A transcendental value: within a few ulps of x (relative)."""
    return pytest.approx(x, rel=4e-15, abs=0)


def D(x):
    """``sigmoid - t`` with t = 1: the subtraction can cancel, so within one ulp of 1."""
    return pytest.approx(x, rel=0, abs=TINY)


def A32(x):
    return pytest.approx(x, rel=2.0 ** -22, abs=0)


# --------------------------------------------------------------------------- the table
# (loss, param, p, y, expected_loss, expected_dloss); param None means loss_params=None
# (the default: delta 1.0, epsilon 0.1).
TABLE_64 = [
    # squared: r * r, 2 * r
    ("squared", None, 3.0, 1.0, 4.0, 4.0),
    ("squared", None, -2.5, 0.5, 9.0, -6.0),
    ("squared", None, 0.5, 0.5, 0.0, 0.0),
    ("squared", None, 0.0, -0.0, 0.0, 0.0),
    ("squared", None, 0.1, 0.0, 0.010000000000000002, 0.2),  # 0.1 * 0.1 rounds up
    ("squared", None, 2.0 ** 500, 0.0, 2.0 ** 1000, 2.0 ** 501),
    # huber: |r| <= delta: r*r/2, r; else delta*|r| - delta**2/2, sign(r)*delta
    ("huber", None, 0.5, 0.0, 0.125, 0.5),
    ("huber", None, 3.0, 0.0, 2.5, 1.0),
    ("huber", None, -3.0, 0.0, 2.5, -1.0),
    ("huber", None, 1.0, 0.0, 0.5, 1.0),  # |r| == delta (default 1)
    ("huber", None, -1.0, 0.0, 0.5, -1.0),
    ("huber", 1.0, 1.0, 0.0, 0.5, 1.0),
    ("huber", 0.5, 2.5, 2.0, 0.125, 0.5),  # r == delta
    ("huber", 0.5, 1.5, 2.0, 0.125, -0.5),  # r == -delta
    ("huber", 0.5, 4.0, 1.0, 1.375, 0.5),  # 0.5 * 3 - 0.125
    ("huber", 0.5, -2.0, 1.0, 1.375, -0.5),
    ("huber", 2.0, 0.0, 0.0, 0.0, 0.0),
    ("huber", 2.0, -1.0, 0.0, 0.5, -1.0),
    ("huber", 2.0, 10.0, 4.0, 10.0, 2.0),  # 2 * 6 - 2
    # epsilon_insensitive: |r| > eps: |r| - eps, sign(r); else 0, 0
    ("epsilon_insensitive", 0.5, 2.0, 0.0, 1.5, 1.0),
    ("epsilon_insensitive", 0.5, -2.0, 0.0, 1.5, -1.0),
    ("epsilon_insensitive", 0.5, 0.5, 0.0, 0.0, 0.0),  # |r| == eps
    ("epsilon_insensitive", 0.5, -0.5, 0.0, 0.0, 0.0),  # |r| == eps
    ("epsilon_insensitive", 0.5, 3.5, 3.0, 0.0, 0.0),  # r == eps
    ("epsilon_insensitive", 0.5, 0.25, 0.0, 0.0, 0.0),
    ("epsilon_insensitive", 0.0, 0.0, 0.0, 0.0, 0.0),  # |r| == eps == 0
    ("epsilon_insensitive", 0.0, 0.25, 0.0, 0.25, 1.0),
    ("epsilon_insensitive", 0.0, -0.25, 0.0, 0.25, -1.0),
    ("epsilon_insensitive", None, 3.0, 1.0, 1.9, 1.0),  # default eps 0.1: 2 - 0.1
    ("epsilon_insensitive", None, 0.1, 0.0, 0.0, 0.0),  # |r| == default eps
    ("epsilon_insensitive", None, -0.1, 0.0, 0.0, 0.0),
    # log: softplus(p) - p*t, sigmoid(p) - t
    ("log", None, 0.0, 0.0, A(math.log(2)), 0.5),
    ("log", None, 0.0, 1.0, A(math.log(2)), -0.5),
    ("log", None, -0.0, 0.0, A(math.log(2)), 0.5),
    ("log", None, -0.0, 1.0, A(math.log(2)), -0.5),
    ("log", None, 1.0, 0.0, A(1.3132616875182228), A(0.7310585786300049)),
    ("log", None, 2.0, 1.0, A(math.log(1 + math.exp(-2))), D(-1 / (1 + math.exp(2)))),
    ("log", None, -2.0, 1.0, A(2 + math.log(1 + math.exp(-2))), D(-1 / (1 + math.exp(-2)))),
    ("log", None, -2.0, 0.0, A(math.log(1 + math.exp(-2))), A(1 / (1 + math.exp(2)))),
    ("log", None, 40.0, 0.0, 40.0, 1.0),  # 40 + 4e-18 rounds to 40
    ("log", None, 40.0, 1.0, A(math.exp(-40)), D(-math.exp(-40))),  # no cancellation in loss
    ("log", None, -40.0, 0.0, A(math.exp(-40)), A(math.exp(-40))),
    ("log", None, -40.0, 1.0, 40.0, -1.0),
    ("log", None, 800.0, 0.0, 800.0, 1.0),
    ("log", None, 800.0, 1.0, 0.0, 0.0),
    ("log", None, -800.0, 0.0, 0.0, 0.0),
    ("log", None, -800.0, 1.0, 800.0, -1.0),
    ("log", None, 1e300, 0.0, 1e300, 1.0),
    ("log", None, 1e300, 1.0, 0.0, 0.0),
    ("log", None, -1e300, 0.0, 0.0, 0.0),
    ("log", None, -1e300, 1.0, 1e300, -1.0),
    # hinge: z = p*t; z <= 1: 1 - z, -t; else 0, 0
    ("hinge", None, 0.5, -1.0, 1.5, 1.0),
    ("hinge", None, 0.5, 1.0, 0.5, -1.0),
    ("hinge", None, 0.0, 1.0, 1.0, -1.0),
    ("hinge", None, -3.0, 1.0, 4.0, -1.0),
    ("hinge", None, 1.0, 1.0, 0.0, -1.0),  # z == 1: still the linear branch
    ("hinge", None, -1.0, -1.0, 0.0, 1.0),  # z == 1
    ("hinge", None, NEXT_BELOW_1, 1.0, 2.0 ** -53, -1.0),
    ("hinge", None, NEXT_ABOVE_1, 1.0, 0.0, 0.0),
    ("hinge", None, 2.0, 1.0, 0.0, 0.0),
    ("hinge", None, -2.0, -1.0, 0.0, 0.0),
    ("hinge", None, 1.0, -1.0, 2.0, 1.0),  # z == -1
    # modified_huber: z >= 1: 0; z >= -1: (1 - z)**2, -2t(1 - z); else -4z, -4t
    ("modified_huber", None, 1.0, 1.0, 0.0, 0.0),  # z == 1
    ("modified_huber", None, -1.0, -1.0, 0.0, 0.0),  # z == 1
    ("modified_huber", None, 2.0, 1.0, 0.0, 0.0),
    ("modified_huber", None, 0.5, 1.0, 0.25, -1.0),
    ("modified_huber", None, 0.0, 1.0, 1.0, -2.0),
    ("modified_huber", None, 0.0, -1.0, 1.0, 2.0),
    ("modified_huber", None, 0.5, -1.0, 2.25, 3.0),
    ("modified_huber", None, -1.0, 1.0, 4.0, -4.0),  # z == -1: quadratic branch
    ("modified_huber", None, 1.0, -1.0, 4.0, 4.0),  # z == -1
    # just below -1: the linear branch, 4 * (1 + 2**-52) (the quadratic would round to 4)
    ("modified_huber", None, -NEXT_ABOVE_1, 1.0, 4.0 + 2.0 ** -50, -4.0),
    ("modified_huber", None, -3.0, 1.0, 12.0, -4.0),
    ("modified_huber", None, 3.0, -1.0, 12.0, 4.0),
]

F32 = np.float32
# float32 rows: the same table, every operation in float32.  f32(0.1) is
# 0.10000000149011612; the literals below are its products rounded to float32.
TABLE_32 = [
    ("squared", None, 0.1, 0.0, F32(0.010000000707805157), F32(0.20000000298023224)),
    ("squared", None, 3.0, 1.0, F32(4.0), F32(4.0)),
    # delta is rounded to float32 too: |r| == f32(0.1) == delta, the quadratic branch
    ("huber", 0.1, 0.1, 0.0, F32(0.005000000353902578), F32(0.10000000149011612)),
    ("huber", 0.5, 4.0, 1.0, F32(1.375), F32(0.5)),
    ("huber", None, -1.0, 0.0, F32(0.5), F32(-1.0)),
    ("epsilon_insensitive", 0.1, 0.1, 0.0, F32(0.0), F32(0.0)),  # |r| == f32 eps
    ("epsilon_insensitive", 0.5, -2.0, 0.0, F32(1.5), F32(-1.0)),
    ("epsilon_insensitive", None, 0.1, 0.0, F32(0.0), F32(0.0)),  # default eps, in f32
    ("log", None, 0.0, 1.0, F32(0.6931471824645996), F32(-0.5)),  # f32(log 2)
    ("log", None, -0.0, 0.0, F32(0.6931471824645996), F32(0.5)),
    ("log", None, 20.0, 1.0, A32(math.exp(-20)), F32(0.0)),  # f32(sigmoid) == 1
    ("log", None, 100.0, 1.0, F32(math.exp(-100)), F32(0.0)),  # a float32 subnormal
    ("log", None, 40.0, 0.0, F32(40.0), F32(1.0)),
    ("log", None, -40.0, 1.0, F32(40.0), F32(-1.0)),
    ("log", None, 800.0, 0.0, F32(800.0), F32(1.0)),
    ("log", None, -800.0, 1.0, F32(800.0), F32(-1.0)),
    ("log", None, 800.0, 1.0, F32(0.0), F32(0.0)),
    ("log", None, -800.0, 0.0, F32(0.0), F32(0.0)),
    ("log", None, 1e38, 0.0, F32(1e38), F32(1.0)),
    ("log", None, -1e38, 1.0, F32(1e38), F32(-1.0)),
    ("log", None, 1e38, 1.0, F32(0.0), F32(0.0)),
    ("log", None, -1e38, 0.0, F32(0.0), F32(0.0)),
    ("hinge", None, 0.1, 1.0, F32(0.8999999761581421), F32(-1.0)),  # 1 - f32(0.1)
    ("hinge", None, 1.0, 1.0, F32(0.0), F32(-1.0)),
    ("hinge", None, -1.0, -1.0, F32(0.0), F32(1.0)),
    ("modified_huber", None, 0.1, 1.0, F32(0.809999942779541), F32(-1.7999999523162842)),
    ("modified_huber", None, -1.0, 1.0, F32(4.0), F32(-4.0)),
    ("modified_huber", None, 1.0, 1.0, F32(0.0), F32(0.0)),
    ("modified_huber", None, -3.0, 1.0, F32(12.0), F32(-4.0)),
]


def row_id(row):
    loss, param, p, y = row[:4]
    return f"{loss}-{param}-p{p!r}-y{y!r}"


def reference_param(loss, param):
    if param is not None:
        return param
    return DEFAULT_PARAM.get(loss, 0.0)


def loss_params(loss, param):
    return None if param is None else {PARAM_NAME[loss]: param}


def via_fit(loss, param, p, y, dtype=np.float64, method="batch", backend="cython"):
    """``(loss, dloss, intercept)`` of one sample, read from a one-row, one-epoch fit."""
    X = np.array([[-1.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fastgd.fit(X, np.array([y], dtype=dtype), method=method, max_epochs=1,
                            reduction="sum", fit_intercept=True, lr=1.0, coef_init=[0.0],
                            intercept_init=p, loss=loss, loss_params=loss_params(loss, param),
                            backend=backend)
    assert result.n_epochs == 1 and not result.diverged
    assert result.coef.dtype == dtype and result.loss_history.dtype == np.float64
    return float(result.loss_history[0]), result.coef[0], result.intercept


def test_loss_names_map_to_their_codes():
    assert {name: spec.code for name, spec in LOSSES.items()} == CODES
    assert {name: spec.params for name, spec in LOSSES.items()} == {
        "squared": {}, "huber": {"delta": 1.0}, "epsilon_insensitive": {"epsilon": 0.1},
        "log": {}, "hinge": {}, "modified_huber": {}}


def test_the_table_covers_every_loss():
    assert {row[0] for row in TABLE_64} == set(LOSS_NAMES)
    assert {row[0] for row in TABLE_32} == set(LOSS_NAMES)


@pytest.mark.parametrize("row", TABLE_64, ids=row_id)
def test_reference_loss_table_float64(row):
    loss, param, p, y, expected_loss, expected_dloss = row
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, dloss = reference.sample_loss(CODES[loss], p, y, reference_param(loss, param),
                                             float)
    assert type(value) is float and type(dloss) is float
    assert value == expected_loss
    assert dloss == expected_dloss


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("method", ["batch", "sgd"])
@pytest.mark.parametrize("row", TABLE_64, ids=row_id)
def test_kernel_loss_table_float64(row, method, backend):
    loss, param, p, y, expected_loss, expected_dloss = row
    value, dloss, intercept = via_fit(loss, param, p, y, method=method, backend=backend)
    assert value == expected_loss
    assert dloss == expected_dloss
    assert intercept == p - float(dloss)
    # and the same bits as the reference
    ref_loss, ref_dloss = reference.sample_loss(CODES[loss], p, y,
                                                reference_param(loss, param), float)
    assert value == ref_loss and dloss == ref_dloss


@pytest.mark.parametrize("row", TABLE_32, ids=row_id)
def test_reference_loss_table_float32(row):
    loss, param, p, y, expected_loss, expected_dloss = row
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, dloss = reference.sample_loss(CODES[loss], F32(p), F32(y),
                                             F32(reference_param(loss, param)), F32)
    assert type(value) is F32 and type(dloss) is F32
    assert value == expected_loss
    assert dloss == expected_dloss


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("method", ["batch", "sgd"])
@pytest.mark.parametrize("row", TABLE_32, ids=row_id)
def test_kernel_loss_table_float32(row, method, backend):
    loss, param, p, y, expected_loss, expected_dloss = row
    value, dloss, intercept = via_fit(loss, param, p, y, dtype=np.float32, method=method,
                                      backend=backend)
    assert type(dloss) is F32
    assert value == (expected_loss if not isinstance(expected_loss, F32)
                     else float(expected_loss))
    assert dloss == expected_dloss
    assert intercept == float(F32(p) - dloss)  # the update in float32


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_float32_fit_computes_the_loss_in_float32(backend):
    """Not float64 rounded at the end: f32(0.1)**2 in float32 is 0.010000000707805157,
    float32(0.1 * 0.1) would be 0.009999999776482582."""
    value32, dloss32, _ = via_fit("squared", None, 0.1, 0.0, dtype=np.float32, backend=backend)
    value64, dloss64, _ = via_fit("squared", None, 0.1, 0.0, backend=backend)
    assert value32 == 0.010000000707805157 and value64 == 0.010000000000000002
    assert float(dloss32) == 0.20000000298023224 and dloss64 == 0.2


# ------------------------------------------------------------------ log at the extremes
EXTREME_P = [1e300, -1e300, 1e200, -1e200, 800.0, -800.0, 745.0, -745.0, 710.0, -710.0,
             40.0, -40.0, 0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308,
             -1.7976931348623157e308]


@pytest.mark.parametrize("t", [0.0, 1.0])
@pytest.mark.parametrize("p", EXTREME_P)
def test_log_loss_at_extreme_predictions(p, t):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")  # no overflow or invalid-value warnings
        value, dloss = reference.sample_loss(Loss.LOG, p, t, 0.0, float)
    assert math.isfinite(value) and value >= 0
    assert -1.0 <= dloss <= 1.0
    wrong_side = (p > 0 and t == 0) or (p < 0 and t == 1)
    if abs(p) >= 40:
        if wrong_side:
            assert value == pytest.approx(abs(p), rel=1e-15)
            assert dloss == (1.0 if t == 0 else -1.0)
        else:
            assert 0 <= value < 1e-17 and abs(dloss) < 1e-17
    kernel_loss, kernel_dloss, _ = via_fit("log", None, p, t)
    assert kernel_loss == value and kernel_dloss == dloss


@settings(max_examples=300, deadline=None)
@given(p=st.floats(allow_nan=False, allow_infinity=False), t=st.sampled_from([0.0, 1.0]))
def test_log_loss_is_finite_for_any_finite_prediction(p, t):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, dloss = reference.sample_loss(Loss.LOG, p, t, 0.0, float)
    assert math.isfinite(value) and value >= 0
    assert -1.0 <= dloss <= 1.0
    # log(1 + exp(-|p|)) is at most log 2 above the hinge-like part max(p, 0) - p*t
    assert abs(p) * ((p > 0) != (t == 1)) <= value <= abs(p) * ((p > 0) != (t == 1)) + 0.7
    # the sign of dloss: pushes p towards the label
    assert (dloss >= 0) if t == 0 else (dloss <= 0)


@settings(max_examples=200, deadline=None)
@given(p=st.floats(allow_nan=False, allow_infinity=False, width=32), t=st.sampled_from([0.0, 1.0]))
def test_log_loss_float32_extremes_do_not_overflow(p, t):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, dloss = reference.sample_loss(Loss.LOG, F32(p), F32(t), F32(0), F32)
    assert np.isfinite(value) and value >= 0 and -1 <= dloss <= 1


# --------------------------------------------- the kernel matches the reference, any input
def _labels_for(loss):
    return {"log": [0.0, 1.0], "hinge": [-1.0, 1.0], "modified_huber": [-1.0, 1.0]}[loss]


@st.composite
def loss_samples(draw, dtype):
    loss = draw(st.sampled_from(LOSS_NAMES))
    bound = 1e100 if dtype == np.float64 else float(F32(1e15))  # r * r stays finite
    width = 64 if dtype == np.float64 else 32
    p = draw(st.floats(-bound, bound, width=width)
             | st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -0.5]))
    if loss in CLASSIFIERS:
        y = draw(st.sampled_from(_labels_for(loss)))
        if loss == "log":
            p = draw(st.just(p) | st.floats(allow_nan=False, allow_infinity=False, width=32))
    else:
        y = draw(st.floats(-bound, bound, width=width) | st.just(p))
    param = None
    if loss in PARAM_NAME:
        param = draw(st.none() | st.sampled_from([0.5, 1.0, 2.0])
                     | st.floats(0.0 if loss == "epsilon_insensitive" else 2.0 ** -20, 100.0,
                                 width=width))
        # put some samples exactly on the branch boundary |r| == param
        if param is not None and draw(st.booleans()):
            y = 0.0
            p = draw(st.sampled_from([1.0, -1.0])) * float(dtype(param))
    return loss, param, p, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_matches_reference_per_sample(dtype):
    @settings(max_examples=300, deadline=None)
    @given(loss_samples(dtype))
    def check(sample):
        loss, param, p, y = sample
        scalar = float if dtype == np.float64 else F32
        value, dloss, intercept = via_fit(loss, param, p, y, dtype=dtype)
        ref_loss, ref_dloss = reference.sample_loss(
            CODES[loss], scalar(p), scalar(y), scalar(reference_param(loss, param)), scalar)
        assert value == float(ref_loss)
        assert dloss == ref_dloss
        assert intercept == float(scalar(p) - dloss)

    with np.errstate(all="ignore"):
        check()


# ------------------------------------------------------------------ finite differences
def _kinks(loss, param, y):
    """Points in p where the loss or its derivative jumps (to stay away from)."""
    if loss == "huber":
        return [y - param, y + param]
    if loss == "epsilon_insensitive":
        return [y - param, y + param]
    if loss == "hinge":
        return [1.0 / y]
    if loss == "modified_huber":
        return [1.0 / y, -1.0 / y]
    return []


def _central_difference(loss, p, y, param, h=1e-5):
    code = CODES[loss]
    up, down = p + h, p - h
    f_up = reference.sample_loss(code, up, y, param, float)[0]
    f_down = reference.sample_loss(code, down, y, param, float)[0]
    return (f_up - f_down) / (up - down)


def _check_derivative(loss, p, y, param):
    assume(all(abs(p - k) > 1e-3 for k in _kinks(loss, param, y)))
    dloss = reference.sample_loss(CODES[loss], p, y, param, float)[1]
    fd = _central_difference(loss, p, y, param)
    assert math.isclose(fd, dloss, rel_tol=1e-6, abs_tol=1e-12), (fd, dloss)


@pytest.mark.parametrize("loss", LOSS_NAMES)
@settings(max_examples=300, deadline=None)
@given(p=st.floats(-20, 20), target=st.floats(-20, 20), param_draw=st.floats(0.05, 5.0))
def test_dloss_is_the_derivative_of_loss(loss, p, target, param_draw):
    if loss in CLASSIFIERS:
        y = 1.0 if target >= 0 else (0.0 if loss == "log" else -1.0)
    else:
        y = target
    param = param_draw if loss in PARAM_NAME else 0.0
    _check_derivative(loss, p, y, param)


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_dloss_is_the_derivative_of_loss_on_a_grid(loss):
    """The same check on a fixed grid: every branch of every loss is visited."""
    checked = 0
    labels = _labels_for(loss) if loss in CLASSIFIERS else [-1.5, 0.0, 2.0]
    params = [0.3, 1.0, 2.5] if loss in PARAM_NAME else [0.0]
    for y in labels:
        for param in params:
            for p in np.linspace(-6.0, 6.0, 97) + 0.0123:
                p = float(p)
                if any(abs(p - k) <= 1e-3 for k in _kinks(loss, param, y)):
                    continue
                dloss = reference.sample_loss(CODES[loss], p, y, param, float)[1]
                fd = _central_difference(loss, p, y, param)
                assert math.isclose(fd, dloss, rel_tol=1e-6, abs_tol=1e-12), (p, y, param)
                checked += 1
    assert checked >= 150


@pytest.mark.parametrize("p", [-30.0, -15.5, -3.0, -0.7, 0.3, 2.0, 12.25, 30.0])
@pytest.mark.parametrize("t", [0.0, 1.0])
def test_log_dloss_matches_the_sigmoid(p, t):
    """Also away from the finite difference: dloss = 1 / (1 + exp(-p)) - t."""
    dloss = reference.sample_loss(Loss.LOG, p, t, 0.0, float)[1]
    assert dloss == pytest.approx(1.0 / (1.0 + math.exp(-p)) - t, rel=1e-14, abs=TINY)


# -------------------------------------------------------------------------- labels
X4 = np.array([[-2.0], [-1.0], [1.0], [2.0]])


@pytest.mark.parametrize("bad", [-1.0, 2.0, 0.5])
def test_log_rejects_labels_outside_0_1(bad):
    y = np.array([0.0, 1.0, bad, 1.0])
    with pytest.raises(ValueError, match=r"loss='log'.*\{0, 1\}") as info:
        fastgd.fit(X4, y, loss="log", max_epochs=1)
    assert f"{bad:g}" in str(info.value)  # the offending label is shown


@pytest.mark.parametrize("loss", ["hinge", "modified_huber"])
@pytest.mark.parametrize("y", [[-1.0, 0.0, 1.0, 1.0], [0.0, 2.0, 1.0, 0.0], [-2.0, 1.0, 1.0, -1.0]])
def test_margin_losses_reject_other_labels(loss, y):
    with pytest.raises(ValueError, match=rf"loss='{loss}'.*\{{-1, 1\}} or \{{0, 1\}}"):
        fastgd.fit(X4, y, loss=loss, max_epochs=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("loss", ["hinge", "modified_huber"])
def test_0_1_labels_fit_as_minus_1_plus_1(loss, method, dtype):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 3)).astype(dtype)
    y01 = (X[:, 0] + 0.3 * rng.standard_normal(50) > 0).astype(dtype)
    ypm = np.where(y01 == 1, 1.0, -1.0).astype(dtype)
    kwargs = dict(loss=loss, method=method, batch_size=8, max_epochs=7, lr=0.05,
                  shuffle=True, random_state=5)
    a = fastgd.fit(X, y01, **kwargs)
    b = fastgd.fit(X, ypm, **kwargs)
    assert a.coef.tobytes() == b.coef.tobytes()
    assert a.intercept == b.intercept
    assert a.loss_history.tobytes() == b.loss_history.tobytes()
    assert not np.array_equal(a.coef, np.zeros(3))  # the fit did something
    # and 0 really means -1, not something else: a {1}-only target gives other weights
    c = fastgd.fit(X, np.ones(50, dtype=dtype), **kwargs)
    assert c.coef.tobytes() != a.coef.tobytes()


@pytest.mark.parametrize("loss", ["hinge", "modified_huber"])
def test_all_zero_labels_mean_all_minus_one(loss):
    kwargs = dict(loss=loss, method="batch", max_epochs=3, lr=0.1)
    a = fastgd.fit(X4, np.zeros(4), **kwargs)
    b = fastgd.fit(X4, -np.ones(4), **kwargs)
    assert a.coef.tobytes() == b.coef.tobytes() and a.intercept == b.intercept


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", CLASSIFIERS)
def test_non_finite_labels_are_rejected(loss, bad):
    y = np.array([0.0, 1.0, bad, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"y"):
            fastgd.fit(X4, y, loss=loss, max_epochs=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("labels", [(0.0, 1.0), (-1.0, 1.0)])
@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_y_and_X_are_never_modified(loss, labels, dtype):
    if loss == "log" and labels[0] == -1.0:
        labels = (0.0, 1.0)
    X = np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5]], dtype=dtype)
    y = np.array([labels[0], labels[0], labels[1], labels[1], labels[0]], dtype=dtype)
    X_before, y_before = X.copy(), y.copy()
    for method in ["sgd", "batch"]:
        for backend in ["cython", "python"]:
            fastgd.fit(X, y, loss=loss, method=method, backend=backend, max_epochs=3)
            assert y.tobytes() == y_before.tobytes() and y.dtype == dtype
            assert X.tobytes() == X_before.tobytes()
    y_list = [float(v) for v in y_before]
    fastgd.fit(X, y_list, loss=loss, max_epochs=2)
    assert y_list == [float(v) for v in y_before]


# ----------------------------------------------------------------- non-finite data
FLAT_SOMEWHERE = ["hinge", "epsilon_insensitive", "modified_huber"]
PROPAGATING = ["squared", "huber", "log"]


def _data(loss, n=6):
    X = np.linspace(-1.0, 1.0, 2 * n).reshape(n, 2)
    y = np.array([0.0, 1.0] * (n // 2)) if loss in CLASSIFIERS else np.linspace(0, 1, n)
    return X, y


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", FLAT_SOMEWHERE + PROPAGATING)
def test_non_finite_X_raises(loss, bad, backend):
    X, y = _data(loss)
    X[4, 1] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ValueError, not a DivergenceWarning
        with pytest.raises(ValueError, match=r"X contains NaN or infinity.*\[4, 1\]"):
            fastgd.fit(X, y, loss=loss, backend=backend, max_epochs=3)


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", REGRESSORS)
def test_non_finite_y_raises(loss, bad, backend):
    X, y = _data(loss)
    y[3] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"y contains NaN or infinity.*\[3\]"):
            fastgd.fit(X, y, loss=loss, backend=backend, max_epochs=3)


#: Data with a non-finite value where the loss is flat (zero loss and zero
#: dloss at coef = [1]): hinge and modified_huber at p = +inf with label 1
#: (z = inf >= 1), hinge at p = NaN (z <= 1 is False), epsilon_insensitive with
#: a NaN residual (|r| > eps is False).  These losses scan X and y first.
HIDDEN = [
    ("hinge", [[1.0], [2.0], [np.inf], [-1.0]], [1.0, 1.0, 1.0, -1.0], "X", r"\[2, 0\]"),
    ("hinge", [[1.0], [2.0], [np.nan], [-1.0]], [1.0, 1.0, 1.0, -1.0], "X", r"\[2, 0\]"),
    ("modified_huber", [[1.0], [2.0], [np.inf], [-1.0]], [1.0, 1.0, 1.0, -1.0], "X",
     r"\[2, 0\]"),
    ("epsilon_insensitive", [[1.0], [2.0], [np.nan], [-1.0]], [1.0, 2.0, 0.5, -1.0], "X",
     r"\[2, 0\]"),
    ("epsilon_insensitive", [[1.0], [2.0], [3.0], [-1.0]], [1.0, 2.0, np.nan, -1.0], "y",
     r"\[2\]"),
]


@pytest.mark.parametrize("backend", ["cython", "python"])
@pytest.mark.parametrize("loss, X, y, name, where", HIDDEN)
def test_flat_losses_scan_before_fitting(loss, X, y, name, where, backend):
    X, y = np.array(X), np.array(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"{name} contains NaN or infinity.*{where}"):
            fastgd.fit(X, y, loss=loss, coef_init=[1.0], max_epochs=2, backend=backend)


def test_a_nan_target_is_hidden_by_epsilon_insensitive():
    """Why the scan must come first: run the reference epoch runner directly (no
    validation) on a NaN target with epsilon_insensitive: loss and weights stay
    finite.  (A non-finite x is never hidden: the flat row's gradient 0 * x is NaN.)"""
    loss, X, y, name, where = HIDDEN[-1]
    from fastgd._fit import run_state
    from fastgd._options import Method, Settings

    X, y = np.array(X), np.array(y)
    settings = Settings(method=Method.BATCH, lr=0.1, batch_size=32, mean_reduction=True,
                        fit_intercept=True, shuffle=False, stop_loss=None, loss=CODES[loss],
                        loss_param=DEFAULT_PARAM.get(loss, 0.0))
    state = run_state(X, y, settings, coef=np.array([1.0]))
    out = [np.empty(2) for _ in range(3)]
    n_run, status = reference.run_epochs(*state, *out, settings)
    assert n_run == 2 and np.isfinite(out[0]).all() and np.isfinite(state[3]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
@pytest.mark.parametrize("loss", PROPAGATING)
def test_deferred_scan_raises_on_large_data(loss, method, dtype):
    """Over 64 values (the sum fast path of the scan), the deferred scan still raises."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4)).astype(dtype)
    y = (rng.random(300) > 0.5).astype(dtype)
    for bad, where in [(np.nan, (257, 2)), (np.inf, (0, 3)), (-np.inf, (299, 0))]:
        Xb = X.copy()
        Xb[where] = bad
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=rf"X contains NaN.*\[{where[0]}, {where[1]}\]"):
                fastgd.fit(Xb, y, loss=loss, method=method, batch_size=50, max_epochs=2,
                           coef_init=rng.standard_normal(4))
    if loss != "log":
        yb = y.copy()
        yb[100] = np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=r"y contains NaN or infinity.*\[100\]"):
                fastgd.fit(X, yb, loss=loss, method=method, batch_size=50, max_epochs=2)


# ------------------------------------------------------------------ loss parameters
@pytest.mark.parametrize("loss, params, message", [
    ("huber", {"epsilon": 1}, r"loss_params has 'epsilon'.*'huber'.*parameters: 'delta'"),
    ("epsilon_insensitive", {"delta": 1},
     r"loss_params has 'delta'.*'epsilon_insensitive'.*parameters: 'epsilon'"),
    ("huber", {"delta": 1.0, "alpha": 2}, r"'alpha'.*parameters: 'delta'"),
    ("huber", {"delta": 0}, r"loss_params\['delta'\] must be > 0"),
    ("huber", {"delta": 0.0}, r"loss_params\['delta'\] must be > 0"),
    ("huber", {"delta": -1.0}, r"loss_params\['delta'\] must be > 0"),
    ("huber", {"delta": float("nan")}, r"loss_params\['delta'\] must be finite"),
    ("huber", {"delta": float("inf")}, r"loss_params\['delta'\] must be finite"),
    ("huber", {"delta": True}, r"loss_params\['delta'\] must be a real number"),
    ("huber", {"delta": "1"}, r"loss_params\['delta'\] must be a real number"),
    ("epsilon_insensitive", {"epsilon": -0.1}, r"loss_params\['epsilon'\] must be >= 0"),
    ("epsilon_insensitive", {"epsilon": -1e-300}, r"loss_params\['epsilon'\] must be >= 0"),
    ("epsilon_insensitive", {"epsilon": float("nan")}, r"'epsilon'\] must be finite"),
    ("squared", {"delta": 1.0}, r"'delta'.*'squared'.*parameters: none"),
    ("squared", {"epsilon": 0.1}, r"'epsilon'.*'squared'.*parameters: none"),
    ("squared", {"anything": None}, r"'anything'.*'squared'.*parameters: none"),
    ("log", {"delta": 1.0}, r"'delta'.*'log'.*parameters: none"),
    ("hinge", {"epsilon": 1.0}, r"'epsilon'.*'hinge'.*parameters: none"),
    ("modified_huber", {"delta": 1.0}, r"'delta'.*'modified_huber'.*parameters: none"),
    ("huber", [("delta", 1.0)], r"loss_params must be a dict or None"),
    ("huber", 1.0, r"loss_params must be a dict or None"),
])
def test_bad_loss_params(loss, params, message):
    with pytest.raises(ValueError, match=message):
        fastgd.fit(X4, [0.0, 0.0, 1.0, 1.0], loss=loss, loss_params=params, max_epochs=1)


@pytest.mark.parametrize("loss", ["logistic", "Log", "squared_error", "", None, 3, Loss.LOG])
def test_unknown_loss_name(loss):
    with pytest.raises(ValueError, match=r"loss must be one of") as info:
        fastgd.fit(X4, [0.0, 0.0, 1.0, 1.0], loss=loss, max_epochs=1)
    for name in LOSS_NAMES:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("loss, params", [
    ("squared", {}), ("log", {}), ("huber", {"delta": 1e-300}),
    ("epsilon_insensitive", {"epsilon": 0}), ("epsilon_insensitive", {"epsilon": 0.0}),
    ("huber", {"delta": np.float32(0.5)}), ("huber", {"delta": 3}),
])
def test_good_loss_params_are_accepted(loss, params):
    fastgd.fit(X4, [0.0, 0.0, 1.0, 1.0], loss=loss, loss_params=params, max_epochs=1)


@pytest.mark.parametrize("loss, default", [("huber", 1.0), ("epsilon_insensitive", 0.1)])
def test_default_loss_parameter(loss, default):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 2))
    y = 3 * rng.standard_normal(30)
    kwargs = dict(loss=loss, method="batch", max_epochs=5, lr=0.3)
    a = fastgd.fit(X, y, **kwargs)
    b = fastgd.fit(X, y, loss_params={PARAM_NAME[loss]: default}, **kwargs)
    c = fastgd.fit(X, y, loss_params={PARAM_NAME[loss]: 2 * default}, **kwargs)
    assert a.coef.tobytes() == b.coef.tobytes() and a.intercept == b.intercept
    assert a.coef.tobytes() != c.coef.tobytes()


# ----------------------------------------------------------- predict, predict_proba
def _result(loss, coef, intercept, dtype=np.float64):
    return fastgd.FitResult(coef=np.array(coef, dtype=dtype), intercept=intercept,
                            loss_history=np.zeros(1), n_epochs=1, converged=False,
                            diverged=False, loss=loss)


XP = np.array([[-3.0], [-0.5], [0.0], [0.5], [3.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss, low", [("log", 0.0), ("hinge", -1.0), ("modified_huber", -1.0)])
def test_predict_returns_labels_for_classifiers(loss, low, dtype):
    result = _result(loss, [2.0], 0.0, dtype)
    labels = result.predict(XP)
    # a score of exactly 0 is the low label
    assert labels.tolist() == [low, low, low, 1.0, 1.0]
    assert labels.dtype == dtype


@pytest.mark.parametrize("loss", REGRESSORS)
def test_predict_returns_scores_for_regressors(loss):
    result = _result(loss, [2.0], 0.25)
    assert result.predict(XP).tolist() == [-5.75, -0.75, 0.25, 1.25, 6.25]


@pytest.mark.parametrize("labels, loss", [
    ([0, 0, 1, 1], "log"), ([-1, -1, 1, 1], "hinge"), ([0, 0, 1, 1], "hinge"),
    ([-1, -1, 1, 1], "modified_huber"), ([0, 0, 1, 1], "modified_huber"),
])
def test_fitted_classifier_predicts_its_label_set(labels, loss):
    result = fastgd.fit(X4, labels, loss=loss, method="batch", lr=0.5, max_epochs=50)
    predicted = result.predict([[-3.0], [-1.5], [1.5], [3.0]])
    expected_low = 0.0 if loss == "log" else -1.0
    assert predicted.tolist() == [expected_low, expected_low, 1.0, 1.0]
    assert set(result.predict(np.linspace(-5, 5, 41).reshape(-1, 1)).tolist()) <= {
        expected_low, 1.0}


def test_predict_proba_for_log():
    result = _result("log", [1.0], 0.0)
    X = np.array([[0.0], [math.log(3)], [-math.log(3)], [1000.0], [-1000.0]])
    with warnings.catch_warnings(), np.errstate(over="raise"):
        warnings.simplefilter("error")  # no overflow warning for exp(1000)
        proba = result.predict_proba(X)
    assert proba.dtype == np.float64
    assert proba.tolist() == pytest.approx([0.5, 0.75, 0.25, 1.0, 0.0], rel=1e-15, abs=0)
    assert proba[4] == 0.0 and proba[3] == 1.0
    # consistent with predict: label 1 exactly where P(1) > 1/2
    scores = np.linspace(-4, 4, 33).reshape(-1, 1)
    assert ((result.predict_proba(scores) > 0.5) == (result.predict(scores) == 1)).all()


def test_predict_proba_for_a_fitted_float32_log_model():
    X = X4.astype(np.float32)
    result = fastgd.fit(X, [0, 0, 1, 1], loss="log", method="batch", lr=0.5, max_epochs=20)
    proba = result.predict_proba(X)
    assert proba.dtype == np.float64
    assert ((0 < proba) & (proba < 1)).all()
    assert (np.diff(proba) > 0).all()  # coef > 0 after fitting increasing labels
    scores = result.decision_function(X).astype(np.float64)
    assert proba == pytest.approx(1 / (1 + np.exp(-scores)), rel=1e-15)


@pytest.mark.parametrize("loss", [name for name in LOSS_NAMES if name != "log"])
def test_predict_proba_needs_log(loss):
    with pytest.raises(ValueError, match=rf"predict_proba needs loss='log'.*{loss}"):
        _result(loss, [1.0], 0.0).predict_proba(XP)
    y = [0, 0, 1, 1] if loss in CLASSIFIERS else [0.0, 0.5, 1.0, 1.5]
    result = fastgd.fit(X4, y, loss=loss, max_epochs=2)
    with pytest.raises(ValueError, match=r"predict_proba needs loss='log'"):
        result.predict_proba(X4)
