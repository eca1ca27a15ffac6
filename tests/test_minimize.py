"""fastgd.minimize: the seed's gradient descent on f(x) = x**2, and on any other function."""
import dataclasses
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from fastgd import DivergenceWarning
from fastgd.minimize import MinimizeResult, _central_differences, minimize


def square(x):
    return x**2


def square_grad(x):
    return 2 * x


def bowl(x):  # a well-conditioned quadratic, minimum 0 at (1, -2, 0.5)
    return (x[0] - 1) ** 2 + 2 * (x[1] + 2) ** 2 + 3 * (x[2] - 0.5) ** 2


def bowl_grad(x):
    return np.array([2 * (x[0] - 1), 4 * (x[1] + 2), 6 * (x[2] - 0.5)])


BOWL_MIN = np.array([1.0, -2.0, 0.5])


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                     200 * (x[1] - x[0] ** 2)])


# ----------------------------------------------------------------------- the seed

def test_seed_parabola_walks_right_to_zero():
    result = minimize(square, -1, lr=0.1)   # numerical gradient, as the tutorial's "derivative"
    assert isinstance(result, MinimizeResult)
    assert result.converged and not result.diverged
    assert type(result.x) is float and abs(result.x) < 1e-7
    assert result.fun == result.x**2 and type(result.fun) is float
    assert result.path.shape == (result.n_iter + 1,) and result.path.dtype == np.float64
    assert result.path[0] == -1.0 and result.path[-1] == result.x
    assert np.all(np.diff(result.path) > 0)       # every step goes right ...
    assert np.all(result.path <= 0)               # ... and none overshoots 0


def test_seed_parabola_path_is_x_times_0_8_per_step():
    # x_{t+1} = x_t - 0.1 * 2 x_t = 0.8 x_t
    result = minimize(square, -1, grad=square_grad, lr=0.1)
    np.testing.assert_allclose(result.path[:4], [-1.0, -0.8, -0.64, -0.512], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.path, -(0.8 ** np.arange(result.n_iter + 1)),
                               rtol=1e-12, atol=0)
    # It stops at the first step shorter than tol (and takes it): 0.2 * 0.8**t < 1e-8.
    first_short = math.ceil(math.log(1e-8 / 0.2) / math.log(0.8))
    assert result.converged and result.n_iter == first_short + 1
    assert 0.2 * 0.8 ** (result.n_iter - 2) >= 1e-8 > 0.2 * 0.8 ** (result.n_iter - 1)


def test_seed_parabola_from_the_right_walks_left():
    result = minimize(square, 1.0)
    assert result.converged and np.all(np.diff(result.path) < 0) and abs(result.x) < 1e-7


# ---------------------------------------------------- numerical vs analytic gradient

@pytest.mark.parametrize("func, deriv, x", [
    (square, square_grad, -1.0),
    (np.sin, np.cos, 0.3),
    (np.exp, np.exp, 2.0),
    (lambda x: x**3, lambda x: 3 * x**2, 1e6),        # h scales with |x|
    (lambda x: np.log1p(x**2), lambda x: 2 * x / (1 + x**2), -1e-9),  # h absolute below 1
])
def test_central_difference_matches_derivative_for_scalars(func, deriv, x):
    numeric = minimize(func, x, lr=1e-300, max_iter=1, tol=0)   # a step of lr * gradient
    analytic = minimize(func, x, grad=deriv, lr=1e-300, max_iter=1, tol=0)
    g_numeric = (numeric.path[0] - numeric.path[1]) / 1e-300
    g_analytic = (analytic.path[0] - analytic.path[1]) / 1e-300
    assert g_numeric == pytest.approx(g_analytic, rel=1e-6, abs=1e-7)


def test_central_difference_matches_gradient_for_vectors():
    rng = np.random.default_rng(0)
    for x in [rng.normal(size=3), rng.normal(size=3) * 1e4, np.zeros(3)]:
        numeric = _central_differences(lambda v: float(bowl(v)), x.copy())
        np.testing.assert_allclose(numeric, bowl_grad(x), rtol=1e-6, atol=1e-6)
    for x in [np.array([-1.2, 1.0]), np.array([0.5, 0.5])]:
        np.testing.assert_allclose(_central_differences(rosen, x), rosen_grad(x), rtol=1e-6)


def test_central_difference_step_is_cbrt_eps_times_max_1_abs_x():
    calls = []

    def spy(v):
        calls.append(v.copy())
        return float(v @ v)

    x = np.array([0.25, -300.0])
    _central_differences(spy, x)
    h = float(np.cbrt(np.finfo(float).eps)) * np.array([1.0, 300.0])
    assert [c.tolist() for c in calls] == [[0.25 + h[0], -300.0], [0.25 - h[0], -300.0],
                                           [0.25, -300.0 + h[1]], [0.25, -300.0 - h[1]]]


def test_numerical_and_analytic_paths_agree():
    numeric = minimize(bowl, [0.0, 0.0, 0.0], lr=0.1, max_iter=30, tol=0)
    analytic = minimize(bowl, [0.0, 0.0, 0.0], grad=bowl_grad, lr=0.1, max_iter=30, tol=0)
    np.testing.assert_allclose(numeric.path, analytic.path, rtol=0, atol=1e-7)


# -------------------------------------------------------------------------- vectors

@pytest.mark.parametrize("grad", [None, bowl_grad])
def test_quadratic_bowl_reaches_its_minimum(grad):
    x0 = [3.0, 1.0, -4.0]
    result = minimize(bowl, x0, grad=grad, lr=0.1)
    assert result.converged and not result.diverged
    assert isinstance(result.x, np.ndarray) and result.x.dtype == np.float64
    assert result.x.shape == (3,)
    np.testing.assert_allclose(result.x, BOWL_MIN, atol=1e-7)
    assert result.path.shape == (result.n_iter + 1, 3)
    np.testing.assert_array_equal(result.path[0], x0)
    np.testing.assert_array_equal(result.path[-1], result.x)
    assert result.fun == bowl(result.x) < 1e-13
    # The stopping step is the first shorter than tol.
    steps = np.linalg.norm(np.diff(result.path, axis=0), axis=1)
    assert steps[-1] < 1e-8 and np.all(steps[:-1] >= 1e-8 * (1 - 1e-12))


def test_rosenbrock_with_a_small_lr_reaches_one_one():
    result = minimize(rosen, [-1.2, 1.0], grad=rosen_grad, lr=1e-3, max_iter=40_000)
    assert result.converged and not result.diverged
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)
    assert result.fun < 1e-9


def test_one_coordinate_vector_stays_a_vector():
    result = minimize(lambda v: v[0] ** 2, [-1.0], grad=lambda v: 2 * v, lr=0.1)
    assert result.x.shape == (1,) and result.path.shape == (result.n_iter + 1, 1)
    np.testing.assert_allclose(result.path[:4, 0], [-1.0, -0.8, -0.64, -0.512], atol=1e-12)


@pytest.mark.parametrize("x0", [-1, -1.0, np.float32(-1.0), np.int64(-1), np.array(-1.0),
                                np.array(-1, dtype=np.int8), Fraction(-1)])
def test_scalar_starts_give_float_results(x0):
    result = minimize(square, x0, grad=square_grad)
    assert type(result.x) is float and result.path.ndim == 1 and result.path[0] == -1.0


@pytest.mark.parametrize("x0", [[1, 2], (1.0, 2.0), np.array([1, 2], dtype=np.int32),
                                np.array([1, 2], dtype=np.float32),
                                np.array([1.0, 0.0, 2.0, 0.0])[::2]])  # not contiguous
def test_vector_starts_give_float64_vectors(x0):
    result = minimize(lambda v: float(v @ v), x0, max_iter=3, tol=0)
    assert result.x.dtype == np.float64 and result.path.dtype == np.float64
    np.testing.assert_array_equal(result.path[0], [1.0, 2.0])


def test_f_receives_floats_and_fresh_arrays():
    seen = []

    def f(x):
        seen.append(type(x))
        return x**2

    minimize(f, -1, max_iter=2)
    assert set(seen) == {np.float64}

    def vandal(v):  # changes its argument in place: must not affect the run
        value = float(v @ v)
        v[:] = 1e9
        return value

    def vandal_grad(v):
        g = 2 * v
        v[:] = -1e9
        return g

    result = minimize(vandal, [-1.0, 2.0], grad=vandal_grad, lr=0.1, max_iter=3, tol=0)
    np.testing.assert_allclose(result.path, [[-1.0, 2.0], [-0.8, 1.6], [-0.64, 1.28],
                                             [-0.512, 1.024]], atol=1e-12)
    numeric = minimize(vandal, [-1.0, 2.0], lr=0.1, max_iter=3, tol=0)
    np.testing.assert_allclose(numeric.path, result.path, atol=1e-7)


def test_grad_may_return_a_list_or_ints():
    result = minimize(bowl, [0, 0, 0], grad=lambda x: [int(round(g)) for g in bowl_grad(x)],
                      lr=0.1, max_iter=1)
    np.testing.assert_allclose(result.path[1], [0.2, -0.8, 0.3])


# ----------------------------------------------------------------------- divergence

def run_diverging(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = minimize(*args, **kwargs)
    divergence = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    assert len(divergence) == 1, [str(w.message) for w in caught]
    assert len(caught) == 1, [str(w.message) for w in caught]   # no NumPy overflow noise
    assert result.diverged and not result.converged
    assert np.isfinite(result.path).all() and math.isfinite(result.fun)
    np.testing.assert_array_equal(result.path[-1], result.x)
    return result, str(divergence[0].message)


@pytest.mark.parametrize("grad", [None, square_grad])
def test_too_large_lr_diverges_with_one_warning(grad):
    result, message = run_diverging(square, -1, grad=grad, lr=1.1)
    # x_t = -(-1.2)**t until x**2 overflows (|x| > 1.34e154): t = 1946.
    assert result.n_iter == 1946 and result.path.shape == (1947,)
    assert abs(result.x) > 1e154 and result.fun == result.x**2
    assert np.all(np.sign(result.path[1:]) == -np.sign(result.path[:-1]))  # it swings
    assert "iteration 1947" in message and "iteration 1946" in message
    assert "smaller lr" in message and "lr=1.1" in message


def test_divergence_is_a_warning_pytest_can_catch():
    with pytest.warns(DivergenceWarning, match=r"diverged at iteration \d+.*smaller lr"):
        minimize(square, -1, grad=square_grad, lr=1.5)


def test_vector_divergence_returns_last_finite_point():
    result, message = run_diverging(bowl, [0.0, 0.0, 0.0], grad=bowl_grad, lr=0.5)
    assert result.x.shape == (3,) and result.path.shape == (result.n_iter + 1, 3)
    assert np.abs(result.x).max() > 1e100


def test_non_finite_f_after_the_start_is_divergence():
    # f is NaN for x > 0.5; the 0.8x walk from -1 never gets there, but a big lr does.
    def f(x):
        return x**2 if x <= 0.5 else math.nan

    result, message = run_diverging(f, -1.0, grad=square_grad, lr=0.9)   # -1 -> 0.8
    assert result.n_iter == 0 and result.x == -1.0 and result.path.tolist() == [-1.0]
    assert "iteration 1" in message and "f(x) was not finite" in message
    assert "the start (x0)" in message


def test_non_finite_gradient_after_the_start_is_divergence():
    def grad(x):
        return 2 * x if x < -0.7 else math.inf

    result, message = run_diverging(square, -1.0, grad=grad, lr=0.1)
    assert result.n_iter == 2 and result.x == pytest.approx(-0.64)   # -1, -0.8, -0.64: inf
    assert "iteration 3" in message and "the gradient was not finite" in message


def test_overflow_error_in_f_is_divergence():
    def f(x):
        return math.exp(x) + x**2   # math.exp raises OverflowError beyond about 709.8

    result, message = run_diverging(f, -1.0, lr=200.0)
    assert "OverflowError" in message and result.x < 709.8


def test_step_overflow_is_divergence():
    result, message = run_diverging(square, -1.0, grad=lambda x: 1e300 * x, lr=1e10)
    assert result.n_iter == 0 and "x was not finite" in message


# ----------------------------------------------------------- max_iter and tol=0

def test_max_iter_reached_without_converging():
    result = minimize(square, -1, grad=square_grad, lr=0.1, max_iter=5)
    assert result.n_iter == 5 and not result.converged and not result.diverged
    np.testing.assert_allclose(result.path, -(0.8 ** np.arange(6)), rtol=1e-12)
    assert result.x == result.path[-1] and result.fun == result.x**2


def test_max_iter_one():
    result = minimize(square, -1, grad=square_grad, max_iter=1)
    assert result.n_iter == 1 and result.path.tolist() == [-1.0, -0.8]


def test_tol_zero_never_stops_early():
    result = minimize(square, -1, grad=square_grad, lr=0.1, tol=0, max_iter=3000)
    assert result.n_iter == 3000 and not result.converged and not result.diverged
    assert result.x == pytest.approx(-(0.8**3000), rel=1e-9)   # about -1.9e-291
    # Even at the minimum itself (a zero step) it keeps going.
    at_min = minimize(square, 0.0, grad=square_grad, tol=0, max_iter=7)
    assert at_min.n_iter == 7 and at_min.path.tolist() == [0.0] * 8 and not at_min.converged


def test_zero_step_converges_when_tol_positive():
    result = minimize(square, 0.0, grad=square_grad)
    assert result.converged and result.n_iter == 1 and result.path.tolist() == [0.0, 0.0]


def test_large_tol_stops_after_one_step():
    result = minimize(square, -1, grad=square_grad, tol=1.0)
    assert result.converged and result.n_iter == 1


# ---------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, message", [
    ({"f": None}, r"f must be callable"),
    ({"f": 3.0}, r"f must be callable"),
    ({"grad": "2*x"}, r"grad must be callable or None"),
    ({"x0": math.nan}, r"x0 must be finite"),
    ({"x0": -math.inf}, r"x0 must be finite"),
    ({"x0": np.array(np.nan)}, r"x0 must be finite"),
    ({"x0": [1.0, math.inf]}, r"x0 must be finite, got inf at index 1"),
    ({"x0": []}, r"x0 is empty"),
    ({"x0": np.zeros(0)}, r"x0 is empty"),
    ({"x0": [[1.0, 2.0]]}, r"x0 must be a scalar or a 1-D array-like, got shape \(1, 2\)"),
    ({"x0": np.zeros((2, 2))}, r"x0 must be a scalar or a 1-D.*ravel"),
    ({"x0": None}, r"x0 must be a real number"),
    ({"x0": True}, r"x0 must be a real number"),
    ({"x0": "1"}, r"x0 must be a real number"),
    ({"x0": 1 + 2j}, r"x0 must be a real number"),
    ({"x0": [1 + 2j, 1]}, r"x0 must hold real numbers.*complex"),
    ({"x0": ["a", "b"]}, r"x0 must hold real numbers.*string"),
    ({"x0": [[1.0, 2.0], [3.0]]}, r"x0 could not be converted"),
    ({"x0": [1.0, None]}, r"x0 must hold real numbers"),
    ({"lr": 0}, r"lr must be > 0"),
    ({"lr": -0.1}, r"lr must be > 0"),
    ({"lr": math.nan}, r"lr must be finite"),
    ({"lr": math.inf}, r"lr must be finite"),
    ({"lr": "0.1"}, r"lr must be a real number"),
    ({"lr": True}, r"lr must be a real number"),
    ({"tol": -1e-8}, r"tol must be >= 0"),
    ({"tol": math.inf}, r"tol must be finite"),
    ({"tol": math.nan}, r"tol must be finite"),
    ({"tol": None}, r"tol must be a real number"),
    ({"max_iter": 0}, r"max_iter must be >= 1"),
    ({"max_iter": -5}, r"max_iter must be >= 1"),
    ({"max_iter": 10.0}, r"max_iter must be an integer"),
    ({"max_iter": True}, r"max_iter must be an integer"),
    ({"max_iter": 2**70}, r"max_iter must be <="),
])
def test_bad_arguments(kwargs, message):
    args = {"f": square, "x0": -1.0, **kwargs}
    f, x0 = args.pop("f"), args.pop("x0")
    with pytest.raises(ValueError, match=message):
        minimize(f, x0, **args)


@pytest.mark.parametrize("returned, message", [
    (np.array([1.0]), r"f must return a real scalar, got an array of shape \(1,\).*float"),
    (np.array([1.0, 2.0]), r"f must return a real scalar, got an array of shape \(2,\)"),
    ([1.0], r"f must return a real scalar, got a list of length 1"),
    (None, r"f must return a real scalar, got None"),
    (1 + 2j, r"f must return a real scalar, got \(1\+2j\) \(complex\).*complex"),
    (np.complex128(1), r"f must return a real scalar.*complex"),
    (np.array(1 + 0j), r"f must return a real scalar.*complex"),
    ("1.0", r"f must return a real scalar, got '1.0' \(str\)"),
    (True, r"f must return a real scalar, got True"),
])
@pytest.mark.parametrize("x0", [-1.0, [-1.0, 2.0]])
def test_f_must_return_a_real_scalar(returned, message, x0):
    with pytest.raises(ValueError, match=message):
        minimize(lambda x: returned, x0)
    with pytest.raises(ValueError, match=message):   # also with grad given
        minimize(lambda x: returned, x0, grad=lambda x: x)


@pytest.mark.parametrize("returned", [np.float32(2.5), np.int64(3), 3, Fraction(1, 2),
                                      np.array(2.5), np.array(4, dtype=np.int16)])
def test_f_may_return_any_real_scalar(returned):
    result = minimize(lambda x: returned, -1.0, grad=square_grad, max_iter=2)
    assert result.fun == float(returned) and type(result.fun) is float


def test_f_going_wrong_later_is_still_an_error():
    def f(x):
        return x**2 if x < -0.7 else np.array([x**2])

    with pytest.raises(ValueError, match=r"f must return a real scalar"):
        minimize(f, -1.0, grad=square_grad, lr=0.1)


@pytest.mark.parametrize("returned, message", [
    (np.array([1.0]), r"grad must return a real scalar for a scalar x0, got an array"),
    (None, r"grad must return a real scalar for a scalar x0, got None"),
    (1j, r"grad must return a real scalar for a scalar x0.*complex"),
])
def test_grad_must_return_a_scalar_for_a_scalar_start(returned, message):
    with pytest.raises(ValueError, match=message):
        minimize(square, -1.0, grad=lambda x: returned)


@pytest.mark.parametrize("returned, message", [
    (np.zeros(3), r"grad must return an array-like of shape \(2,\) like x0, got shape \(3,\)"),
    (np.zeros((2, 1)), r"grad must return an array-like of shape \(2,\).*\(2, 1\)"),
    (1.0, r"grad must return an array-like of shape \(2,\).*shape \(\)"),
    (None, r"grad must return an array-like of shape \(2,\) like x0, got None"),
    (np.array([1j, 0]), r"grad's value must hold real numbers.*complex"),
    (["a", "b"], r"grad's value must hold real numbers"),
])
def test_grad_must_match_a_vector_start(returned, message):
    with pytest.raises(ValueError, match=message):
        minimize(lambda v: float(v @ v), [1.0, 2.0], grad=lambda x: returned)


def test_non_finite_start_is_an_error():
    with pytest.raises(ValueError, match=r"f\(x0\) is nan"):
        minimize(lambda x: math.nan, -1.0)
    with pytest.raises(ValueError, match=r"f\(x0\) is inf"):
        minimize(lambda v: np.inf, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"grad\(x0\) is not finite"):
        minimize(square, -1.0, grad=lambda x: math.nan)
    with pytest.raises(ValueError, match=r"grad\(x0\) is not finite"):
        minimize(lambda v: 0.0, [1.0, 2.0], grad=lambda v: np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"central-difference gradient at x0.*not finite"):
        minimize(lambda x: np.sqrt(x), 0.0)   # NaN just left of 0


def test_errors_raised_by_f_propagate():
    def f(x):
        raise KeyError("user bug")

    with pytest.raises(KeyError, match="user bug"):
        minimize(f, 1.0)


# ------------------------------------------------------- inputs kept, result frozen

def test_x0_is_never_modified():
    x0 = np.array([3.0, 1.0, -4.0])
    before = x0.copy()
    result = minimize(bowl, x0, grad=bowl_grad, lr=0.1)
    np.testing.assert_array_equal(x0, before)
    assert not np.shares_memory(result.x, x0) and not np.shares_memory(result.path, x0)
    as_list = [3.0, 1.0, -4.0]
    minimize(bowl, as_list)
    assert as_list == [3.0, 1.0, -4.0]
    zero_d = np.array(-1.0)
    minimize(square, zero_d)
    assert zero_d == -1.0
    x32 = np.array([3.0, 1.0, -4.0], dtype=np.float32)
    minimize(bowl, x32, max_iter=3)
    assert x32.tolist() == [3.0, 1.0, -4.0]


def test_result_is_frozen():
    result = minimize(bowl, [3.0, 1.0, -4.0], grad=bowl_grad, lr=0.1)
    for field in dataclasses.fields(result):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field.name, None)
    with pytest.raises(ValueError, match="read-only"):
        result.path[0, 0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        result.x[0] = 99.0
    assert [f.name for f in dataclasses.fields(MinimizeResult)] == [
        "x", "fun", "n_iter", "converged", "diverged", "path"]
    x = result.x.copy()   # a copy can be changed
    x[0] = 99.0
    assert result.x[0] != 99.0


def test_result_repr_is_short():
    result = minimize(square, -1.0, grad=square_grad)
    text = repr(result)
    assert text.startswith("MinimizeResult(x=") and "converged=True" in text
    assert f"path=<array of shape ({result.n_iter + 1},)>" in text and len(text) < 200


def test_types_of_fields():
    result = minimize(square, -1.0, grad=square_grad)
    assert type(result.n_iter) is int and type(result.converged) is bool
    assert type(result.diverged) is bool and type(result.fun) is float
