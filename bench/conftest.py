"""Shared data and the ratio table for the fastgd benchmarks (run as ``pytest bench``).

Every group holds one "fastgd" member and its baselines, all timed in the same
session, because only a ratio measured in one process means anything on a noisy
machine.  The tests never assert on timings; they tag each benchmark with
``extra_info`` (label, rows, target) and the terminal summary below turns the
medians into one ratio table per group.

The problems, the functions timed and the targets are those of ``fastgd
bench`` (:mod:`fastgd.benchmarks`): the two suites measure the same code.

With ``--benchmark-disable`` (CI) every benchmarked function runs once, so the
``small`` fixture shrinks the data to keep that run fast; the correctness checks
still run.
"""
import pytest

from fastgd import benchmarks

FASTGD = "fastgd"  # the label of the member every other member is compared with

# The random problems, by name: (rows, features) as in ``fastgd bench``, and
# the small size used when nothing is timed (about 200,000 values).
SIZES = {f"d{d}": ((n, d), (min(n, 200_000 // d), d)) for n, d in benchmarks.SIZES}


@pytest.fixture(scope="session")
def small(request):
    """True when benchmarks are disabled: nothing is timed, so use small data."""
    return bool(request.config.getoption("benchmark_disable"))


@pytest.fixture(scope="session")
def problems(small):
    """``problems(name)``: the seeded random problem ``name`` ("d100", "d1000"), built once.

    :func:`fastgd.benchmarks.random_problem`: standard-normal X, C-contiguous
    float64, ``lr = 0.1 / d``, start ``coef = 0.1``, ``intercept = 0.2``.
    """
    cache = {}

    def get(name):
        if name not in cache:
            full, tiny = SIZES[name]
            cache[name] = benchmarks.random_problem(*(tiny if small else full))
        return cache[name]
    return get


@pytest.fixture(params=list(SIZES))
def problem(request, problems):
    """Each random problem in turn; its benchmarks go to the group "<group>-<name>"."""
    return problems(request.param)


@pytest.fixture
def timed(benchmark, request):
    """``timed(label, fn, *args, rows=, target=)``: benchmark ``fn(*args)``, return its result.

    ``rows`` is how many samples one call processes (ratios are per row, so a
    baseline may run on a slice); ``target`` is the :class:`fastgd.benchmarks.Target`
    fastgd should reach against this baseline (None: shown for information only).
    A test run on each ``problem`` puts its benchmarks in one group per problem.
    """
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "problem" in callspec.params:
        benchmark.group = f"{benchmark.group}-{callspec.params['problem']}"

    def run(label, fn, *args, rows, target=None):
        benchmark.extra_info.update(
            label=label, rows=rows, target=None if target is None else target.min_ratio,
            target_text=None if target is None else target.text)
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
        write(f"  {'member':<40} {'rows':>8} {'median':>11} {'ratio':>9} {'target':>12}  verdict")
        for bench in sorted(benches, key=lambda b: b.extra_info.get("label") != FASTGD):
            info = bench.extra_info
            label, rows, target = info.get("label", bench.name), info["rows"], info.get("target")
            median = bench.stats.median
            if label == FASTGD:
                ratio = target_text = verdict = ""
            else:
                r = (median / rows) / fast_per_row
                ratio = f"{r:8.2f}x"
                target_text = info.get("target_text") or "-"
                verdict = benchmarks.Target(target, target_text).verdict(r)
            write(f"  {label:<40} {rows:>8} {_format_time(median)} {ratio:>9} {target_text:>12}"
                  f"  {verdict}".rstrip())
