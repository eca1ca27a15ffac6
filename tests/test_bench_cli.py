"""The ``fastgd bench`` command: it runs, prints the machine and every row; no timing checks.

Timings on a shared machine are noise at --quick sizes, so nothing here looks
at a ratio: only at the shape of the report and at the weights the baselines
computed (a baseline that computes something else would make its ratio
meaningless, and shows as "RESULTS DIFFER").
"""
import contextlib
import io
import re

import pytest

from fastgd import benchmarks
from fastgd.cli import main

VERDICTS = ("meets target", "BELOW target", "info", "not installed")

# The baselines of each kind of workload, in the order of the table.
EXPECTED_BASELINES = {
    "seed fit (100 samples": ["python reference backend",
                              "scikit-learn SGDRegressor.fit, 50 epochs",
                              "the tutorial's own Python loop"],
    "per-sample sgd epoch": ["scikit-learn SGDRegressor, max_iter=1",
                             "numba.njit per-sample loop",
                             "torch.optim.SGD loop (on 100 rows)"],
    "full-batch epoch": ["NumPy X.T @ (X @ w + b - y)", "one read of X, X.sum()"],
    "mini-batch (32) epoch": ["NumPy loop over batches"],
    "per-sample adam epoch": ["NumPy Adam loop (on 500 rows)",
                              "torch.optim.Adam loop (on 100 rows)"],
    "mini-batch (32) momentum epoch": ["NumPy momentum loop over batches",
                                       "torch.optim.SGD loop (on 320 rows)"],
    "full-batch epoch float32": ["fastgd full-batch epoch on float64"],
    "sparse log-loss epoch": ["scikit-learn SGDClassifier, max_iter=1"],
    "fixed cost of fit() beyond the kernel (tutorial data": ["budget of 10 us"],
    "two sgd fits in two threads": ["the same fits one after the other"],
    "per-sample log-loss epoch (own exp and log1p)": [
        "the same kernels with the C library's functions"],
    "per-sample adam epoch (own pow)": ["the same kernels with the C library's functions"],
}


def run_cli(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def quick_run():
    """One ``fastgd bench --quick`` run, shared by the tests below."""
    return run_cli(["bench", "--quick"])


def table_rows(stdout):
    """The table's rows, as (workload, baseline, verdict), read from the printed lines."""
    rows = []
    for line in stdout.splitlines():
        for verdict in VERDICTS + ("RESULTS DIFFER",):
            if line.endswith("  " + verdict) and not line.startswith("workload"):
                workload, baseline = re.split(r"\s{2,}", line)[:2]
                rows.append((workload, baseline, verdict))
    return rows


def test_quick_bench_succeeds_quietly(quick_run):
    code, _, stderr = quick_run
    assert code == 0
    assert stderr == ""


def test_header_names_the_machine_and_the_libraries(quick_run):
    _, stdout, _ = quick_run
    lines = stdout.splitlines()
    assert re.match(r"machine: .+, \d+ logical cores, .*fastgd threads \(n_threads default\): "
                    r"\d+$", lines[0])
    assert lines[1].startswith("fastgd ") and "NumPy " in lines[1]
    for peer in ("scikit-learn", "numba", "torch"):
        assert peer in lines[1]
    assert any(line.startswith("workload ") and line.endswith(" verdict") for line in lines)


def test_every_workload_and_baseline_has_a_row(quick_run):
    _, stdout, _ = quick_run
    rows = table_rows(stdout)
    expected = [(workload, baseline) for workload, _ in benchmarks.table(quick=True)
                for baseline in EXPECTED_BASELINES[workload.split(",")[0]]]
    assert [(workload, baseline) for workload, baseline, _ in rows] == expected
    for kind in ("seed fit", "per-sample sgd epoch", "full-batch epoch", "mini-batch (32) epoch",
                 "per-sample adam epoch", "mini-batch (32) momentum epoch",
                 "full-batch epoch float32", "sparse log-loss epoch", "fixed cost of fit()",
                 "two sgd fits", "per-sample log-loss epoch (own exp and log1p)",
                 "per-sample adam epoch (own pow)"):
        assert any(workload.startswith(kind) for workload, _, _ in rows)


def test_baselines_compute_what_fastgd_computes(quick_run):
    _, stdout, _ = quick_run
    assert "RESULTS DIFFER" not in stdout


@pytest.mark.parametrize("module, label", [("sklearn", "scikit-learn"), ("numba", "numba"),
                                           ("torch", "torch")])
def test_a_missing_peer_says_not_installed(quick_run, module, label):
    _, stdout, _ = quick_run
    peer_rows = [row for row in table_rows(stdout) if row[1].startswith(label)]
    assert peer_rows
    if benchmarks.installed(module):
        assert all(verdict != "not installed" for _, _, verdict in peer_rows)
    else:
        assert all(verdict == "not installed" for _, _, verdict in peer_rows)
        assert f"{label} not installed" in stdout.splitlines()[1]


def test_only_runs_the_matching_workloads():
    code, stdout, stderr = run_cli(["bench", "--quick", "--only", "SEED"])
    assert code == 0 and stderr == ""
    rows = table_rows(stdout)
    assert {workload for workload, _, _ in rows} == {"seed fit (100 samples, 50 epochs)"}
    assert len(rows) == 3


def test_only_matching_nothing_is_an_error():
    code, stdout, stderr = run_cli(["bench", "--only", "no such workload"])
    assert code == 1
    assert stdout == ""
    assert stderr.startswith("fastgd bench: error: no workload matches 'no such workload'")


def test_missing_peer_gives_rows_not_an_error(monkeypatch):
    monkeypatch.setattr(benchmarks, "installed", lambda module: module == "no peer at all")
    rows = benchmarks.sgd_epoch(2_000, 5, quick=True)
    assert [row.verdict for row in rows] == ["not installed"] * 3
    assert all(row.ratio is None and row.target for row in rows)


def test_the_optimizer_check_tells_near_settings_apart():
    """The optimizer rows' tolerance passes the same updates and fails a slightly different rule."""
    p = benchmarks.random_problem(300, 10)
    rtol = benchmarks.OPTIMIZER_RTOL
    adam = benchmarks.fastgd_adam_epoch(p)
    assert benchmarks.same_weights(benchmarks.numpy_adam_epoch(p), adam, rtol)
    wrong_eps = benchmarks.fastgd_epoch(p, optimizer="adam", optimizer_params={"eps": 1e-7})
    assert not benchmarks.same_weights(wrong_eps, adam, rtol)
    momentum = benchmarks.fastgd_momentum_epoch(p)
    assert benchmarks.same_weights(benchmarks.numpy_momentum_epoch(p), momentum, rtol)
    for params in ({"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "dampening": 0.1}):
        wrong = benchmarks.fastgd_epoch(p, "minibatch", optimizer_params=params)
        assert not benchmarks.same_weights(wrong, momentum, rtol)


def test_the_sparse_check_tells_near_settings_apart():
    """SGDClassifier's tolerance passes the same updates and fails slightly different ones."""
    from dataclasses import replace

    p = benchmarks.text_problem(2_000, 10_000)
    rtol = benchmarks.SPARSE_RTOL
    fast = benchmarks.fastgd_sparse_log_epoch(p)
    assert benchmarks.same_weights(benchmarks.sklearn_sparse_log_epoch(p), fast, rtol)
    for wrong in (replace(p, lr=1.001 * p.lr), replace(p, alpha=2 * p.alpha),
                  replace(p, alpha=0.0)):
        assert not benchmarks.same_weights(benchmarks.sklearn_sparse_log_epoch(wrong), fast, rtol)


def test_a_baseline_that_computes_something_else_fails_the_command(monkeypatch):
    row = benchmarks.Row("seed fit (100 samples, 50 epochs)", "a wrong baseline", 1e-4, 1e-3,
                         10.0, ">= 6x", "RESULTS DIFFER")
    monkeypatch.setattr(benchmarks, "run", lambda quick, only: iter([[row]]))
    code, stdout, stderr = run_cli(["bench", "--quick", "--only", "seed"])
    assert code == 1
    assert "RESULTS DIFFER" in stdout
    assert "computed different weights" in stderr
