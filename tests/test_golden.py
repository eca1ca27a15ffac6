"""Golden bits: the battery's results equal the committed digests, on any machine.

The digests in tests/golden/digests.json were computed once; every CPU, C
library, thread count, kernel build (``FASTGD_KERNELS``), NumPy version and
architecture must reproduce them (``.ci/run`` runs this file under each
setting, ``.ci/aarch64`` on emulated aarch64).  See tests/golden/battery.py
for what is fitted and hashed.
"""
import importlib.util
import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def _load_battery():
    spec = importlib.util.spec_from_file_location("fastgd_golden_battery", GOLDEN / "battery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


battery = _load_battery()
COMMITTED = json.loads((GOLDEN / "digests.json").read_text())


def test_the_digest_file_matches_the_battery():
    assert COMMITTED["format"] == battery.DIGEST_FORMAT
    names = [name for name, _, _ in battery.cases()] + list(battery.polynomial_digests())
    assert sorted(COMMITTED["digests"]) == sorted(names)
    assert len(names) >= 200


def test_polynomial_features_digests():
    for name, value in battery.polynomial_digests().items():
        assert value == COMMITTED["digests"][name], name


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_every_fit_gives_the_committed_bits(backend):
    differ = []
    for case in battery.cases():
        if battery.digest(*battery.run_case(case, backend)) != COMMITTED["digests"][case[0]]:
            differ.append(case[0])
    assert not differ, f"{len(differ)} of {len(battery.cases())} fits changed bits: {differ[:20]}"


def test_a_changed_result_changes_the_digest():
    """The digest sees every part of a result (so the test above can fail)."""
    case = battery.cases()[0]
    result, X = battery.run_case(case)
    before = battery.digest(result, X)
    result.coef[0] = result.coef[0] + result.coef[0] * 2.0 ** -50
    assert battery.digest(result, X) != before
    result, X = battery.run_case(case)
    result.loss_history[-1] = result.loss_history[-1] * (1 + 2.0 ** -50)
    assert battery.digest(result, X) != before
