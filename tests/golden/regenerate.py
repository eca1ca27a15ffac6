"""Rewrite tests/golden/digests.json from this machine's results.

Run only on purpose: ``python tests/golden/regenerate.py``.  The digests are
fastgd's promise that a fit gives the same bits on every machine; a change to
this file is a change of the arithmetic contract, a breaking change for users
who rely on reproducing earlier results, and must be said so in the commit
message and the changelog of the release (see the README's "Same bits on every
machine").  The script refuses to write when the Python reference and the
compiled kernels disagree on any case.
"""
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_battery():
    spec = importlib.util.spec_from_file_location("fastgd_golden_battery", HERE / "battery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    battery = load_battery()
    compiled = battery.all_digests("cython")
    reference = battery.all_digests("python")
    differ = sorted(name for name in compiled if compiled[name] != reference[name])
    if differ:
        sys.exit(f"the kernels and the reference disagree on {len(differ)} cases "
                 f"(first: {differ[:5]}); fix that before writing digests")
    path = HERE / "digests.json"
    path.write_text(json.dumps({"format": battery.DIGEST_FORMAT, "digests": compiled},
                               indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(compiled)} digests to {path}")


if __name__ == "__main__":
    main()
