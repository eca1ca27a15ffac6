"""FitResult.save and fastgd.load: exact round trips, and clear errors for bad files."""
import dataclasses
import doctest
import io
import json
import math
import os
import shutil
import warnings
import zipfile

import numpy as np
import pytest

import fastgd
import fastgd._persistence
from fastgd import FitResult
from fastgd.demo import seed_data

BAD_FILE = r"truncated or corrupt|not a fastgd result file|is empty|is corrupt"


# --------------------------------------------------------------------------- helpers

def same_value(a, b):
    """Equality that also requires the same types, and floats bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a.hex() == b.hex() or (math.isnan(a) and math.isnan(b))
    return a == b


def same_array(a, b):
    return (type(a) is type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
            and a.tobytes() == b.tobytes())


def assert_same_result(loaded, original):
    """Every field equal: arrays bit for bit with their dtypes, scalars and params typed."""
    assert type(loaded) is FitResult
    for f in dataclasses.fields(FitResult):
        a, b = getattr(loaded, f.name), getattr(original, f.name)
        if f.name == "_state":
            if b is None:
                assert a is None
            else:
                assert isinstance(a, tuple) and len(a) == len(b)
                for x, y in zip(a, b):
                    assert same_array(x, y), f.name
        elif isinstance(b, np.ndarray):
            assert same_array(a, b), f.name
        elif b is None:
            assert a is None, f.name
        else:
            assert same_value(a, b), (f.name, a, b)
            assert a == b
    assert loaded.params == original.params


def fit_quietly(X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        return fastgd.fit(X, y, **kwargs)


def classification_problem(dtype=np.float64, n=60):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, 3)).astype(dtype)
    y = (X @ np.array([1.5, -2.0, 0.5], dtype=dtype) + 0.3 > 0).astype(dtype)
    return X, y


def regression_problem(dtype=np.float64):
    x, y = seed_data()
    X = fastgd.polynomial_features(x, 2)
    return np.asarray(X, dtype=dtype), np.asarray(y, dtype=dtype)


CASES = {
    "tutorial": dict(lr=0.1, max_epochs=1000, stop_loss=1e-4, coef_init=[1, 0],
                     intercept_init=-1),
    "sgd": dict(method="sgd", max_epochs=7),
    "minibatch": dict(method="minibatch", batch_size=7, max_epochs=9, reduction="sum",
                      lr=0.01),
    "batch": dict(method="batch", max_epochs=11),
    "shuffle_max_seed": dict(method="sgd", shuffle=True, random_state=2**64 - 1,
                             max_epochs=5),
    "shuffle_drawn_seed": dict(method="minibatch", shuffle=True, max_epochs=4),
    "huber": dict(loss="huber", loss_params={"delta": 0.5}, max_epochs=6),
    "epsilon": dict(loss="epsilon_insensitive", loss_params={"epsilon": 0.01}, max_epochs=6),
    "momentum_nesterov": dict(method="minibatch", batch_size=10, lr=0.05, max_epochs=30,
                              optimizer_params={"momentum": 0.9, "nesterov": True},
                              tol=1e-9, n_iter_no_change=3),
    "adagrad": dict(optimizer="adagrad",
                    optimizer_params={"initial_accumulator_value": 0.1, "lr_decay": 0.01},
                    max_epochs=8),
    "rmsprop": dict(optimizer="rmsprop", lr=0.01,
                    optimizer_params={"centered": True, "momentum": 0.5}, max_epochs=8),
    "adam": dict(optimizer="adam", lr=0.05, optimizer_params={"betas": (0.8, 0.99),
                                                              "amsgrad": True},
                 method="minibatch", batch_size=16, max_epochs=12),
    "adamw": dict(optimizer="adamw", weight_decay=0.1, lr=0.05, max_epochs=8),
    "elastic_net": dict(method="batch", l1=0.01, weight_decay=0.001, max_epochs=20),
    "invscaling": dict(schedule="invscaling", schedule_params={"power_t": 0.5},
                       max_epochs=6),
    "exponential": dict(schedule="exponential", schedule_params={"gamma": 0.9},
                        max_epochs=6),
    "step": dict(schedule="step", schedule_params={"step_size": 2, "gamma": 0.5},
                 max_epochs=7),
    "cosine": dict(schedule="cosine", schedule_params={"lr_min": 0.001}, max_epochs=9),
    "adaptive": dict(schedule="adaptive", method="batch", lr=0.5, max_epochs=300,
                     tol=1e-3, n_iter_no_change=2),
    "early_stopping": dict(method="minibatch", early_stopping=True, tol=1e-3,
                           validation_fraction=0.2, random_state=3, max_epochs=200),
    "stop_loss_inf": dict(stop_loss=float("inf"), max_epochs=50),
    "no_intercept": dict(fit_intercept=False, intercept_init=0.25, max_epochs=5),
    "python_backend": dict(backend="python", method="minibatch", optimizer="adam",
                           max_epochs=3, shuffle=True, random_state=12345),
    "diverged_first_epoch": dict(lr=1e6, max_epochs=20),
    "diverged_later": dict(lr=1.0, max_epochs=50),
    "diverged_early_stopping": dict(lr=50.0, method="batch", early_stopping=True,
                                    random_state=0, max_epochs=100,
                                    n_iter_no_change=1000),
    "callback": dict(callback=lambda epoch, *_: epoch < 3, max_epochs=50),
    "average": dict(average=True, max_epochs=6, lr=0.05),
    "average_later": dict(average=300, method="minibatch", batch_size=4, max_epochs=9,
                          weight_decay=0.01),
}

CLASSIFIER_CASES = {
    "log": dict(loss="log", method="batch", lr=0.5, max_epochs=20),
    "hinge": dict(loss="hinge", method="minibatch", max_epochs=10, shuffle=True,
                  random_state=1),
    "modified_huber": dict(loss="modified_huber", optimizer="adam", lr=0.01, max_epochs=10,
                           early_stopping=True, random_state=9, tol=0.0),
}


def make_result(case, dtype):
    if case in CLASSIFIER_CASES:
        X, y = classification_problem(dtype)
        return X, fit_quietly(X, y, **CLASSIFIER_CASES[case])
    X, y = regression_problem(dtype)
    return X, fit_quietly(X, y, **CASES[case])


@pytest.fixture
def good_file(tmp_path):
    """A saved result (with state and validation history) and the result itself."""
    X, result = make_result("early_stopping", np.float64)
    path = tmp_path / "good.npz"
    result.save(path)
    return path, result


def members(path):
    """The arrays of an .npz file, by name (for writing altered copies)."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def metadata_of(arrays):
    return json.loads(arrays["metadata"].tobytes().decode("utf-8"))


def with_metadata(arrays, metadata):
    out = dict(arrays)
    out["metadata"] = np.frombuffer(json.dumps(metadata).encode("utf-8"), dtype=np.uint8)
    return out


def assert_bad(path, match=BAD_FILE):
    with pytest.raises(ValueError, match=match) as info:
        fastgd.load(path)
    assert str(info.value).startswith(os.fspath(path)), str(info.value)
    return str(info.value)


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES) + list(CLASSIFIER_CASES))
def test_round_trip_is_exact(tmp_path, case, dtype):
    X, result = make_result(case, dtype)
    assert result.coef.dtype == dtype
    path = tmp_path / "result.npz"
    result.save(path)
    loaded = fastgd.load(path)
    assert_same_result(loaded, result)
    assert loaded.predict(X).tobytes() == result.predict(X).tobytes()
    assert loaded.decision_function(X).tobytes() == result.decision_function(X).tobytes()
    if result.loss == "log":
        assert loaded.predict_proba(X).tobytes() == result.predict_proba(X).tobytes()
    # Saving the loaded result writes a file that loads to the same result again.
    loaded.save(tmp_path / "again.npz")
    assert_same_result(fastgd.load(tmp_path / "again.npz"), result)


def test_round_trip_covers_the_interesting_results():
    """The cases above include what they claim to: divergence, validation, callback, ..."""
    _, diverged = make_result("diverged_later", np.float64)
    assert diverged.diverged and not np.isfinite(diverged.loss_history[-1])
    _, early = make_result("early_stopping", np.float32)
    assert early.validation_loss_history is not None and early.stop_reason == "early_stopping"
    _, nan_validation = make_result("diverged_early_stopping", np.float64)
    assert nan_validation.diverged
    assert not np.isfinite(nan_validation.validation_loss_history[-1])
    _, seeded = make_result("shuffle_max_seed", np.float64)
    assert seeded.random_state == 2**64 - 1 == seeded.params["random_state"]
    _, inf_stop = make_result("stop_loss_inf", np.float64)
    assert inf_stop.params["stop_loss"] == math.inf
    _, called = make_result("callback", np.float64)
    assert called.stopped_by_callback and called.n_epochs == 3
    _, adaptive = make_result("adaptive", np.float64)
    assert len(set(adaptive.lr_history.tolist())) > 1


def test_random_state_max_stored_as_text(tmp_path):
    X, result = make_result("shuffle_max_seed", np.float64)
    path = tmp_path / "seed.npz"
    result.save(path)
    metadata = metadata_of(members(path))
    assert metadata["random_state"] == "18446744073709551615"
    assert metadata["format"] == "fastgd.FitResult" and metadata["format_version"] == 1
    assert metadata["fastgd_version"] == fastgd.__version__
    loaded = fastgd.load(path)
    assert type(loaded.random_state) is int and loaded.random_state == 2**64 - 1


def test_file_holds_plain_arrays_only(good_file):
    path, result = good_file
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    assert names == sorted(f"{n}.npy" for n in [
        "metadata", "coef", "intercept", "loss_history", "lr_history",
        "validation_loss_history", "optimizer_state", "progress", "rng_state", "order",
        "average_coef", "average_intercept", "unaveraged_coef", "unaveraged_intercept"])
    arrays = members(path)  # allow_pickle=False: nothing in it is pickled
    assert arrays["coef"].dtype == np.float64 and arrays["rng_state"].dtype == np.uint64
    assert arrays["metadata"].dtype == np.uint8 and arrays["order"].dtype == np.int64
    assert len(result._state) == 6  # the training rows' order and the averages too


def test_loaded_result_continues_like_the_original(tmp_path):
    X, y = regression_problem()
    settings = dict(method="minibatch", batch_size=8, optimizer="adam", lr=0.05,
                    schedule="cosine", shuffle=True, random_state=5, max_epochs=20)
    first = fastgd.fit(X, y, **settings)
    first.save(tmp_path / "first.npz")
    loaded = fastgd.load(tmp_path / "first.npz")

    def resume(result):
        params = dict(result.params)
        return fastgd.fit(X, y, coef_init=result.coef, intercept_init=result.intercept,
                          _resume=result._state, **params)

    a, b = resume(first), resume(loaded)
    assert_same_result(b, a)
    # Continuing ran on from the saved progress (the step counter did not restart).
    assert loaded._state[1][1] == first.n_epochs and b._state[1][1] == 2 * first.n_epochs


def test_loaded_arrays_are_independent_and_writable(good_file):
    path, result = good_file
    loaded = fastgd.load(path)
    assert loaded.coef is not result.coef
    for array in (loaded.coef, loaded.loss_history, *loaded._state):
        assert array.flags.c_contiguous and array.flags.writeable
    loaded.coef[:] = 0
    assert fastgd.load(path).coef.tobytes() == result.coef.tobytes()


def test_save_without_suffix_appends_npz_and_load_finds_it(tmp_path):
    X, result = make_result("adam", np.float32)
    result.save(tmp_path / "model")
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_same_result(fastgd.load(tmp_path / "model"), result)
    assert_same_result(fastgd.load(str(tmp_path / "model.npz")), result)


def test_load_file_without_npz_suffix(tmp_path):
    X, result = make_result("sgd", np.float64)
    result.save(tmp_path / "model.npz")
    shutil.move(tmp_path / "model.npz", tmp_path / "model.bin")
    assert_same_result(fastgd.load(tmp_path / "model.bin"), result)
    shutil.move(tmp_path / "model.bin", tmp_path / "model")
    assert_same_result(fastgd.load(os.fspath(tmp_path / "model")), result)


def test_save_to_and_load_from_file_objects():
    X, result = make_result("rmsprop", np.float64)
    buffer = io.BytesIO()
    result.save(buffer)
    buffer.seek(0)
    assert_same_result(fastgd.load(buffer), result)
    with pytest.raises(ValueError, match="is empty"):
        fastgd.load(io.BytesIO())


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    _, first = make_result("sgd", np.float64)
    _, second = make_result("batch", np.float32)
    first.save(tmp_path / "model.npz")
    second.save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_same_result(fastgd.load(tmp_path / "model.npz"), second)


def test_results_without_optional_parts(tmp_path):
    """Results built by hand: no lr history, no state, no seed, empty params."""
    result = FitResult(coef=np.array([1.5, -0.25]), intercept=0.5,
                       loss_history=np.array([2.0, 1.0]), n_epochs=2, converged=False,
                       diverged=False)
    result.save(tmp_path / "plain.npz")
    loaded = fastgd.load(tmp_path / "plain.npz")
    assert_same_result(loaded, result)
    assert loaded._state is None and loaded.lr_history is None and loaded.params == {}
    assert loaded.predict([[2.0, 4.0]]).tolist() == [2.5]


def test_three_array_state_round_trips(tmp_path):
    """A run state without the sample order (optimizer, progress, generator) is kept so."""
    state = (np.arange(9.0).reshape(3, 3), np.array([4.0, 2.0, np.inf, 0.0, 0.1]),
             np.array([2**64 - 1], dtype=np.uint64))
    result = FitResult(coef=np.array([1.0, 2.0]), intercept=0.0, loss_history=np.ones(2),
                       lr_history=np.full(2, 0.1), n_epochs=2, converged=False,
                       diverged=False, _state=state)
    result.save(tmp_path / "three.npz")
    loaded = fastgd.load(tmp_path / "three.npz")
    assert len(loaded._state) == 3
    assert_same_result(loaded, result)


def test_params_are_normalized_to_plain_python(tmp_path):
    """numpy scalars, arrays and tuples in params come back as Python numbers and lists."""
    params = {"lr": np.float64(0.25), "max_epochs": np.int64(3), "shuffle": np.bool_(True),
              "optimizer_params": {"betas": (0.5, np.float32(0.75))},
              "coefs": np.array([1, 2]), "nothing": None, "tiny": 5e-324, "neg": -0.0,
              "big": 2**70, "text": np.str_("x")}
    result = FitResult(coef=np.zeros(1), intercept=0.0, loss_history=np.zeros(0),
                       n_epochs=0, converged=False, diverged=False, params=params)
    result.save(tmp_path / "params.npz")
    loaded = fastgd.load(tmp_path / "params.npz")
    assert same_value(loaded.params, {
        "lr": 0.25, "max_epochs": 3, "shuffle": True,
        "optimizer_params": {"betas": [0.5, 0.75]}, "coefs": [1, 2], "nothing": None,
        "tiny": 5e-324, "neg": -0.0, "big": 2**70, "text": "x"})


@pytest.mark.parametrize("change, match", [
    (dict(coef=np.array([1.0, np.nan])), "cannot save.*coef holds NaN"),
    (dict(coef=np.array([1, 2])), "cannot save.*coef has dtype int64"),
    (dict(coef=np.zeros((2, 1))), "cannot save.*coef has shape"),
    (dict(coef=np.array(1.0)), r"cannot save.*coef has shape \(\)"),
    (dict(coef=[1.0, 2.0]), "cannot save.*coef is list"),
    (dict(intercept=math.inf), "cannot save.*intercept is NaN or infinite"),
    (dict(loss_history=np.zeros(3)), "cannot save.*loss_history .* for 2 epochs"),
    (dict(random_state=2**64), r"cannot save.*random_state .* outside"),
    (dict(random_state=1.5), r"cannot save.*random_state is 1.5"),
    (dict(params={"f": object()}), "cannot save.*params\\['f'\\]"),
    (dict(params={1: 2}), "cannot save.*only string keys"),
    (dict(loss="cubic"), "cannot save.*loss is 'cubic'"),
    (dict(n_epochs=2.0), "cannot save.*n_epochs is 2.0"),
    (dict(_state=(np.zeros((3, 2)), np.zeros(5), np.zeros(1, np.uint64))),
     "cannot save.*optimizer_state"),
    (dict(_state=(np.zeros((3, 3)), np.zeros(5))), "cannot save.*three, four or six arrays"),
    (dict(_state=(np.zeros((3, 3)), np.zeros(5), np.zeros(1, np.uint64), np.zeros(2))),
     "cannot save.*order has dtype float64"),
])
def test_save_refuses_what_load_would_refuse(tmp_path, change, match):
    fields = dict(coef=np.array([1.0, 2.0]), intercept=0.0, loss_history=np.zeros(2),
                  n_epochs=2, converged=False, diverged=False)
    fields.update(change)
    with pytest.raises(ValueError, match=match):
        FitResult(**fields).save(tmp_path / "bad.npz")
    assert os.listdir(tmp_path) == []


def test_load_docstring_examples_run():
    result = doctest.testmod(fastgd._persistence, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- bad files

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        fastgd.load(tmp_path / "nothing-here.npz")
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        fastgd.load(tmp_path / "nothing-here")


def test_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        fastgd.load(tmp_path)
    os.mkdir(tmp_path / "folder.npz")
    assert_bad(tmp_path / "folder.npz", "is a directory")


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    for size in (1, 5, 100, 10_000):
        path = tmp_path / f"random{size}.npz"
        data = rng.bytes(size)
        if data[:1] in (b"P", b"\x93"):
            data = b"x" + data[1:]
        path.write_bytes(data)
        assert_bad(path, "is not a fastgd result file")


def test_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("weights: 1, 2, 3\n")
    assert_bad(path, "is not a fastgd result file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert_bad(path, "is empty")


def test_truncated_at_every_length(good_file, tmp_path):
    path, _ = good_file
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in range(len(data)):
        cut.write_bytes(data[:length])
        message = assert_bad(cut, "truncated or corrupt|is empty" if length else "is empty")
        assert "Traceback" not in message


def test_every_byte_flipped_is_refused_or_harmless(good_file, tmp_path):
    """A damaged byte gives a clear error, or (in zip bookkeeping) changes nothing."""
    path, result = good_file
    data = path.read_bytes()
    damaged = tmp_path / "damaged.npz"
    refused = 0
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        try:
            loaded = fastgd.load(damaged)
        except ValueError as err:
            assert str(err).startswith(os.fspath(damaged))
            refused += 1
        else:
            assert_same_result(loaded, result)
    assert refused > len(data) * 0.75  # the rest: timestamps, attributes, ...


def test_npy_file_is_not_a_result(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(3.0))
    assert_bad(path, "not a fastgd result file.*single .npy array")


def test_other_npz_is_not_a_result(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.arange(3.0), bias=np.float64(1.0))
    message = assert_bad(path, "is not a fastgd result file")
    assert "'weights'" in message


def test_other_zip_is_not_a_result(tmp_path):
    path = tmp_path / "other.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert_bad(path, "is not a fastgd result file")


def test_npz_with_foreign_metadata_is_not_a_result(tmp_path, good_file):
    good, _ = good_file
    arrays = members(good)
    path = tmp_path / "foreign.npz"
    np.savez(path, **with_metadata(arrays, {"format": "somebody.Else", "format_version": 1}))
    assert_bad(path, "is not a fastgd result file")
    arrays["metadata"] = np.array("fastgd")  # a unicode scalar, not our JSON bytes
    np.savez(path, **arrays)
    assert_bad(path, "is not a fastgd result file")


@pytest.mark.parametrize("version", [2, 0, 99])
def test_other_format_version(tmp_path, good_file, version):
    good, _ = good_file
    arrays = members(good)
    metadata = metadata_of(arrays)
    metadata["format_version"] = version
    path = tmp_path / f"v{version}.npz"
    np.savez(path, **with_metadata(arrays, metadata))
    message = assert_bad(path, f"was written by format version {version}; "
                               f"this fastgd reads version 1 ")
    assert ("upgrade fastgd" in message) == (version > 1)


def test_other_version_is_reported_before_other_problems(tmp_path):
    """A version-2 file may hold anything else: the version is what gets reported."""
    metadata = {"format": "fastgd.FitResult", "format_version": 2, "weights": [1, 2]}
    path = tmp_path / "v2.npz"
    np.savez(path, **with_metadata({}, metadata))
    assert_bad(path, "was written by format version 2; this fastgd")


def write_altered(tmp_path, good, *, meta=None, **arrays_change):
    arrays = members(good)
    for name, value in arrays_change.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    if meta is not None:
        metadata = metadata_of(arrays)
        metadata.update(meta)
        arrays = with_metadata(arrays, metadata)
    path = tmp_path / "altered.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("change, match", [
    (dict(coef=np.zeros((2, 1))), r"coef has shape \(2, 1\)"),
    (dict(coef=np.float64(1.0)), r"coef has shape \(\)"),
    (dict(coef=np.array([1, 2])), "coef has dtype int64"),
    (dict(coef=np.array([1.0, np.inf])), "coef holds NaN or infinite"),
    (dict(coef=np.array([1.0, 2.0], dtype=np.float16)), "coef has dtype float16"),
    (dict(intercept=np.array([1.0, 2.0])), "intercept is float64 of shape \\(2,\\)"),
    (dict(intercept=np.array([np.nan])), "intercept is NaN"),
    (dict(loss_history=np.zeros(3)), r"loss_history is float64 of shape \(3,\)"),
    (dict(lr_history=np.zeros(1000)), r"lr_history is float64 of shape \(1000,\)"),
    (dict(validation_loss_history=np.zeros((2, 2))), "validation_loss_history is"),
    (dict(loss_history=np.zeros(0, dtype=np.float32)), "loss_history is float32"),
    (dict(optimizer_state=np.zeros((3, 2))), r"optimizer_state is float64 of shape \(3, 2\)"),
    (dict(progress=np.zeros(4)), r"progress is float64 of shape \(4,\)"),
    (dict(rng_state=np.zeros(1)), "rng_state is float64"),
    (dict(rng_state=np.zeros(1, dtype=np.int64)), "rng_state is int64"),
    (dict(order=np.zeros(3)), "order is float64"),
    (dict(order=np.zeros((2, 2), dtype=np.int64)), r"order is int64 of shape \(2, 2\)"),
    (dict(order=np.array([0, 1, 1], dtype=np.int64)), "order is not a list of distinct"),
    (dict(order=np.array([0, -1], dtype=np.int64)), "order is not a list of distinct"),
    (dict(order=None), "missing: order"),
    (dict(coef=None), "missing: coef"),
    (dict(progress=None), "missing: progress"),
    (dict(extra=np.zeros(2)), "members its metadata does not list: extra.npy"),
    (dict(metadata=np.frombuffer(b'{"format": "fastgd.FitRes', dtype=np.uint8)),
     "metadata record is not valid JSON"),
    (dict(metadata=np.frombuffer(b"\xff\xfe", dtype=np.uint8)), "not valid JSON"),
    (dict(meta={"n_epochs": "7"}), "n_epochs is '7'"),
    (dict(meta={"n_epochs": -1}), "n_epochs is -1"),
    (dict(meta={"n_epochs": True}), "n_epochs is True"),
    (dict(meta={"converged": 1}), "converged is 1, not a bool"),
    (dict(meta={"method": None}), "method is None"),
    (dict(meta={"loss": "cubic"}), "cannot use .*loss is 'cubic'"),
    (dict(meta={"random_state": 2**64}), "random_state is"),
    (dict(meta={"random_state": "18446744073709551616"}), "random_state is"),
    (dict(meta={"random_state": "-1"}), "random_state is"),
    (dict(meta={"params": [1, 2]}), "params is"),
    (dict(meta={"arrays": ["coef", "intercept"]}), "required arrays loss_history"),
    (dict(meta={"arrays": "coef"}), "array list is"),
    (dict(meta={"surprise": 1}), "unknown fields 'surprise'"),
    (dict(meta={"format_version": "1"}), "format_version is '1'"),
    (dict(meta={"format_version": 1.0}), "format_version is 1.0"),
])
def test_inconsistent_contents(tmp_path, good_file, change, match):
    good, _ = good_file
    path = write_altered(tmp_path, good, **change)
    assert_bad(path, match)


def test_metadata_missing_a_field(tmp_path, good_file):
    good, _ = good_file
    arrays = members(good)
    metadata = metadata_of(arrays)
    del metadata["stop_reason"]
    path = tmp_path / "partial.npz"
    np.savez(path, **with_metadata(arrays, metadata))
    assert_bad(path, "lacks the fields stop_reason")


def test_order_without_the_rest_of_the_state(tmp_path, good_file):
    good, _ = good_file
    arrays = members(good)
    metadata = metadata_of(arrays)
    metadata["arrays"] = [n for n in metadata["arrays"] if n not in ("progress", "rng_state",
                                                                     "optimizer_state")]
    for name in ("progress", "rng_state", "optimizer_state"):
        del arrays[name]
    path = tmp_path / "partial-state.npz"
    np.savez(path, **with_metadata(arrays, metadata))
    assert_bad(path, "only part of the run state")


def test_history_length_must_match_n_epochs(tmp_path, good_file):
    good, result = good_file
    path = write_altered(tmp_path, good, meta={"n_epochs": result.n_epochs + 1})
    assert_bad(path, f"for {result.n_epochs + 1} epochs")


def test_state_dtype_must_match_coef(tmp_path, good_file):
    good, _ = good_file
    arrays = members(good)
    path = write_altered(tmp_path, good,
                         optimizer_state=arrays["optimizer_state"].astype(np.float32))
    assert_bad(path, "optimizer_state is float32 .* not float64")


def test_pickled_object_array_is_refused(tmp_path, good_file):
    good, _ = good_file
    for name, value in [("coef", np.array([1.0, "x"], dtype=object)),
                        ("loss_history", np.array([{"evil": 1}], dtype=object)),
                        ("metadata", np.array([b"{}"], dtype=object))]:
        path = write_altered(tmp_path, good, **{name: value})
        message = assert_bad(path, "pickled Python objects")
        assert repr(name) in message


def test_pickle_file_is_refused(tmp_path):
    import pickle

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"coef": [1.0, 2.0]}))
    assert_bad(path, "is not a fastgd result file")


def test_compressed_file_loads(tmp_path, good_file):
    """savez_compressed archives are read too (fastgd writes uncompressed ones)."""
    good, result = good_file
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, **members(good))
    assert_same_result(fastgd.load(path), result)


def test_bad_crc_is_refused(tmp_path, good_file):
    good, _ = good_file
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("coef.npy")
    # Damage the last byte of coef's data (inside the stored member).
    header = 30 + len(info.filename) + len(info.extra)
    end = info.header_offset + header + info.compress_size
    data[end - 1] ^= 0x01
    path = tmp_path / "crc.npz"
    path.write_bytes(bytes(data))
    assert_bad(path, "truncated or corrupt.*'coef'")


def test_no_exception_types_leak(tmp_path, good_file):
    """Damaged archives only ever raise ValueError, never BadZipFile, KeyError, ..."""
    good, _ = good_file
    data = good.read_bytes()
    rng = np.random.default_rng(1)
    damaged = tmp_path / "damaged.npz"
    for _ in range(300):
        flipped = bytearray(data)
        for position in rng.integers(0, len(data), size=rng.integers(1, 8)):
            flipped[position] = int(rng.integers(0, 256))
        damaged.write_bytes(bytes(flipped))
        try:
            fastgd.load(damaged)
        except ValueError:
            pass
