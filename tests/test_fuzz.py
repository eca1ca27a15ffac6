"""The fuzz suite (tests/fuzz_fit.py) in child processes: a crash or a hang is a failure
that names its case, not a dead test run.

``FASTGD_FUZZ_CASES`` sets the number of cases per child (default 1500).  The child
does not shrink a failing case (shrinking sparse cases takes minutes); the case is
named by the log, and ``python tests/fuzz_fit.py N SEED LOG`` shrinks it.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FUZZER = Path(__file__).with_name("fuzz_fit.py")
CASES = int(os.environ.get("FASTGD_FUZZ_CASES", "1500"))


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_calls_end_in_a_result_or_a_clear_error(seed, tmp_path):
    log = tmp_path / "cases.log"
    try:
        # From outside the checkout (tmp_path): the child imports the installed fastgd.
        done = subprocess.run([sys.executable, str(FUZZER), str(CASES), str(seed), str(log)],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path,
                              env={**os.environ, "FASTGD_FUZZ_SHRINK": "0"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"the fuzzer hung; last case: {last_case(log)}")
    assert done.returncode == 0, (
        f"fuzzer exit code {done.returncode}; last case: {last_case(log)}\n{done.stdout}"
        f"\n{done.stderr[-4000:]}")
    summary = done.stdout.strip().splitlines()[-1]
    cases, results, errors = (int(part.split()[-1]) for part in summary.split(", "))
    assert cases >= CASES and results > CASES // 10 and errors > CASES // 10, summary
    # A third of the cases are sparse: some must fit and some must be refused.
    sparse = re.search(r"sparse cases (\d+) \(results (\d+), errors (\d+)\)", done.stdout)
    assert sparse, done.stdout[-2000:]
    n_sparse, sparse_results, sparse_errors = map(int, sparse.groups())
    assert n_sparse > CASES // 5 and sparse_results > CASES // 50 \
        and sparse_errors > CASES // 50, sparse.group(0)


def last_case(log):
    lines = log.read_text().splitlines() if log.exists() else []
    return lines[-1] if lines else "(none started)"
