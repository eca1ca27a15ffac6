"""Shared data and the ratio table for the fastgd benchmarks (run as ``pytest bench``).

Every group holds one "fastgd" member and its baselines, all timed in the same
session, because only a ratio measured in one process means anything on a noisy
machine.  The tests never assert on timings; they tag each benchmark with
``extra_info`` (label, rows, target) and the terminal summary below turns the
medians into one ratio table per group.

With ``--benchmark-disable`` (CI) every benchmarked function runs once, so the
``small`` fixture shrinks the data to keep that run fast; the correctness checks
still run.
"""
from types import SimpleNamespace

import numpy as np
import pytest

FASTGD = "fastgd"  # the label of the member every other member is compared with

# Sizes of the random regression problem: (rows, features).
FULL_SIZE = (100_000, 100)
SMALL_SIZE = (2_000, 100)


@pytest.fixture(scope="session")
def small(request):
    """True when benchmarks are disabled: nothing is timed, so use small data."""
    return bool(request.config.getoption("benchmark_disable"))


@pytest.fixture(scope="session")
def regression(small):
    """y = X @ w_true + 0.5 + noise, X standard normal, C-contiguous float64.

    Seeded, so every member of a group (and every run) sees the same data.
    ``lr`` is small enough that one SGD epoch stays finite.
    """
    n, d = SMALL_SIZE if small else FULL_SIZE
    rng = np.random.default_rng(20240601)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = X @ w_true + 0.5 + 0.1 * rng.standard_normal(n)
    return SimpleNamespace(X=X, y=y, w_true=w_true, n=n, d=d, lr=1e-3)


@pytest.fixture
def timed(benchmark):
    """``timed(label, fn, *args, rows=, target=)``: benchmark ``fn(*args)``, return its result.

    ``rows`` is how many samples one call processes (ratios are per row, so a
    baseline may run on a slice); ``target`` is the speed-up fastgd should
    reach over this baseline (None: shown for information only).
    """
    def run(label, fn, *args, rows, target=None):
        benchmark.extra_info.update(label=label, rows=rows, target=target)
        return benchmark(fn, *args)
    return run


def _format_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's own tables
def pytest_terminal_summary(terminalreporter, config):
    # pytest-benchmark keeps the timed benchmarks on its session object (its own
    # terminal summary reads the same list); it is empty when nothing was timed.
    session = getattr(config, "_benchmarksession", None)
    timed_benches = [b for b in getattr(session, "benchmarks", []) if b and not b.has_error]
    if not timed_benches:
        return
    groups = {}
    for bench in timed_benches:
        groups.setdefault(bench.group, []).append(bench)

    write = terminalreporter.write_line
    terminalreporter.section("fastgd speed-up (ratio = baseline median / fastgd median, per row)")
    for group, benches in sorted(groups.items()):
        fast = [b for b in benches if b.extra_info.get("label") == FASTGD]
        write(f"group {group}:")
        if not fast:
            write("  (no fastgd member was timed)")
            continue
        fast_per_row = fast[0].stats.median / fast[0].extra_info["rows"]
        write(f"  {'member':<32} {'rows':>8} {'median':>11} {'ratio':>9} {'target':>8}  verdict")
        for bench in sorted(benches, key=lambda b: b.extra_info.get("label") != FASTGD):
            info = bench.extra_info
            label, rows, target = info.get("label", bench.name), info["rows"], info.get("target")
            median = bench.stats.median
            if label == FASTGD:
                ratio = target_text = verdict = ""
            else:
                r = (median / rows) / fast_per_row
                ratio = f"{r:8.2f}x"
                target_text = f">= {target:g}x" if target else "-"
                verdict = ("meets target" if r >= target else "BELOW target") if target else "(info)"
            write(f"  {label:<32} {rows:>8} {_format_time(median)} {ratio:>9} {target_text:>8}"
                  f"  {verdict}".rstrip())
