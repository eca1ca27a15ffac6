"""The compiled module itself: codes mirrored from fastgd._options, guarded entry points."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastgd
from fastgd import _kernels, _options, reference
from fastgd._fit import run_state
from fastgd._options import Loss, Method, Optimizer, Schedule, Settings, Status


def test_kernel_codes_mirror_the_python_enums():
    codes = _kernels.KERNEL_CODES
    for member in Method:
        assert codes[f"METHOD_{member.name}"] == member.value
    for enum, prefix in [(Status, "STATUS"), (Loss, "LOSS"), (Optimizer, "OPTIMIZER"),
                         (Schedule, "SCHEDULE")]:
        for member in enum:
            assert codes[f"{prefix}_{member.name}"] == member.value
    assert codes["CHUNK_ROWS"] == _options.CHUNK_ROWS
    assert codes["PROGRESS_SIZE"] == _options.PROGRESS_SIZE
    assert codes["STATE_ROWS"] == _options.OPTIMIZER_STATE_ROWS
    assert codes["ADAPTIVE_MIN_LR"] == _options.ADAPTIVE_MIN_LR
    assert codes["SCALE_RESET_BELOW"] == _options.SCALE_RESET_BELOW
    assert codes["AVERAGE_FOLD_BELOW"] == _options.AVERAGE_FOLD_BELOW


SETTINGS = Settings(method=Method.BATCH, lr=0.1, batch_size=4, mean_reduction=True,
                    fit_intercept=True, shuffle=False, stop_loss=None)


RUNNER_ARGUMENTS = ("X", "y", "sample_weight", "coef", "intercept", "order",
                    "validation_rows", "rng_state", "progress", "optimizer_state",
                    "average_coef", "average_intercept")


def runner_arrays():
    state = run_state(np.ones((4, 2)), np.ones(4), SETTINGS)
    arrays = dict(zip(RUNNER_ARGUMENTS, state))
    arrays.update(loss_out=np.empty(2), lr_out=np.empty(2), validation_out=np.empty(2))
    return arrays


@pytest.mark.parametrize("change", ["y", "coef", "intercept", "rng_state", "empty",
                                    "progress", "optimizer_state", "lr_out", "validation_out",
                                    "sample_weight", "average_coef", "average_intercept"])
def test_direct_kernel_call_with_inconsistent_shapes_raises(change):
    arrays = runner_arrays()
    if change == "empty":
        arrays["X"], arrays["y"], arrays["order"] = (np.ones((0, 2)), np.ones(0),
                                                     np.arange(0, dtype=np.intp))
    elif change == "optimizer_state":
        arrays[change] = np.zeros((3, 4))
    elif change == "sample_weight":
        arrays[change] = np.ones(3)
    else:
        arrays[change] = np.resize(arrays[change], arrays[change].shape[0] + 1)
    with pytest.raises(ValueError, match="inconsistent array shapes"):
        _kernels.run_epochs(*arrays.values(), SETTINGS)


@pytest.mark.parametrize("name", ["order", "validation_rows"])
def test_direct_kernel_call_with_rows_outside_X_raises(name):
    arrays = runner_arrays()
    arrays[name] = np.array([0, 1, 2, 4], dtype=np.intp)
    with pytest.raises(ValueError, match="outside X"):
        _kernels.run_epochs(*arrays.values(), SETTINGS)


def test_direct_kernel_call_early_stopping_without_validation_rows_raises():
    arrays = runner_arrays()
    with pytest.raises(ValueError, match="inconsistent array shapes"):
        _kernels.run_epochs(*arrays.values(), SETTINGS._replace(early_stopping=True))


def test_direct_predict_with_inconsistent_shapes_raises():
    with pytest.raises(ValueError, match="inconsistent array shapes"):
        _kernels.predict(np.ones((3, 2)), np.ones(3), 0.0, np.empty(3))


def test_dot_tree_order_is_observable():
    """The partial-sum tree is part of the contract: it differs from a plain
    left-to-right sum on cancelling data, and the kernel follows the tree."""
    w = [1.0] * 9
    x = [1e16, 1.0, -1e16, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    left_to_right = 0.0
    for a, b in zip(w, x):
        left_to_right += a * b
    tree = reference.dot(w, x)
    assert tree != left_to_right
    out = np.empty(1)
    _kernels.predict(np.array([x]), np.array(w), 0.0, out)
    assert out[0] == tree


def run_python(code, cwd, **env):
    """Run ``python -c code`` in a fresh process from ``cwd`` (outside the checkout);
    ``env`` entries set to None are removed from the environment."""
    environ = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
    for name in [k for k, v in env.items() if v is None]:
        environ.pop(name, None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=60)


KERNELS_NAME = "import fastgd._native as n; print(n.kernels.__name__)"


def test_unbuilt_source_tree_gives_a_clear_import_error(tmp_path):
    """A copy of the package without its compiled kernels, as in a fresh clone.

    The copy gets another name, so that no installed or editable fastgd can
    stand in for the missing module.
    """
    source = Path(fastgd.__file__).resolve().parent
    shutil.copytree(source, tmp_path / "fastgd_unbuilt",
                    ignore=shutil.ignore_patterns("_kernels*.so", "_kernels*.pyd", "__pycache__"))
    proc = run_python("import fastgd_unbuilt", tmp_path)
    assert proc.returncode != 0
    assert "compiled kernels (fastgd._kernels) are missing" in proc.stderr, proc.stderr
    assert "pip install" in proc.stderr


def test_spin_setting_does_not_leak_into_the_environment(tmp_path):
    proc = run_python("import os, fastgd; print('GOMP_SPINCOUNT' in os.environ)", tmp_path,
                      GOMP_SPINCOUNT=None, OMP_WAIT_POLICY=None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


LIBGOMP_SPIN = """\
import fastgd
print(any('libgomp' in line for line in open('/proc/self/maps')))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps is Linux's")
def test_short_spin_reaches_libgomp(tmp_path):
    """GOMP_SPINCOUNT, set only around the kernels' import, is the one libgomp read
    (also when the runtime is the copy auditwheel bundles in a wheel's fastgd.libs/);
    a setting of the user's own wins.  OMP_DISPLAY_ENV=VERBOSE makes libgomp print
    the settings it took, on stderr, as it loads."""
    if not _kernels.OPENMP:
        pytest.skip("kernels built without OpenMP")
    proc = run_python(LIBGOMP_SPIN, tmp_path, GOMP_SPINCOUNT=None, OMP_WAIT_POLICY=None,
                      OMP_DISPLAY_ENV="VERBOSE")
    assert proc.returncode == 0, proc.stderr
    if proc.stdout.strip() != "True":
        pytest.skip("the OpenMP runtime is not GNU libgomp")
    assert f"GOMP_SPINCOUNT = '{fastgd._native._SHORT_SPIN}'" in proc.stderr, proc.stderr
    proc = run_python(LIBGOMP_SPIN, tmp_path, GOMP_SPINCOUNT="5", OMP_WAIT_POLICY=None,
                      OMP_DISPLAY_ENV="VERBOSE")
    assert proc.returncode == 0, proc.stderr
    assert "GOMP_SPINCOUNT = '5'" in proc.stderr, proc.stderr


def test_default_threads_follow_openmp(tmp_path):
    proc = run_python("import fastgd._native as n; print(n.kernels.default_threads())",
                      tmp_path, OMP_NUM_THREADS="3")
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == (3 if _kernels.OPENMP else 1)


@pytest.mark.parametrize("choice, expected", [("baseline", "fastgd._kernels"),
                                              ("nonsense", None)])
def test_kernel_build_can_be_chosen(tmp_path, choice, expected):
    proc = run_python(KERNELS_NAME, tmp_path, FASTGD_KERNELS=choice)
    if expected is None:
        assert proc.returncode != 0 and "FASTGD_KERNELS must be auto, baseline or avx2" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected


def test_empty_kernel_choice_means_auto(tmp_path):
    for value in ("", " Auto "):
        proc = run_python(KERNELS_NAME, tmp_path, FASTGD_KERNELS=value)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == fastgd._native.kernels.__name__
