"""Ctrl-C during a long fit: a prompt FitInterrupted carrying the last completed epoch.

Each case runs in a child process: the child sends itself SIGINT while fitting,
so a failure to stop can only fail the child, never interrupt this test run.
"""
import json
import subprocess
import sys
import tempfile
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import json, os, signal, sys, threading, time
    import numpy as np
    import fastgd
    from fastgd import _fit

    backend, method, optimizer, one_call = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    if one_call:
        # The whole fit in one kernel call: only the kernel's own look for
        # signals can stop it (the fit loop never regains control).
        _fit._FIRST_BLOCK_WORK = 1 << 62
        _fit._MAX_BLOCK = 1 << 20  # a million epochs: far longer than the test
    rng = np.random.default_rng(0)
    n, d = (2000, 50) if backend == "cython" else (60, 3)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d)
    kwargs = dict(method=method, optimizer=optimizer, lr=1e-4, batch_size=64, shuffle=True,
                  random_state=3, backend=backend, max_epochs=10**12)
    sent = []
    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)
    threading.Timer(0.3, interrupt).start()
    try:
        fastgd.fit(X, y, **kwargs)
        print(json.dumps({"error": "the fit was not interrupted"}))
        sys.exit(0)
    except fastgd.FitInterrupted as stop:
        latency = time.perf_counter() - sent[0]
        result = stop.result
        is_keyboard_interrupt = isinstance(stop, KeyboardInterrupt)
    again = fastgd.fit(X, y, **dict(kwargs, max_epochs=result.n_epochs))
    print(json.dumps({
        "latency": latency,
        "n_epochs": result.n_epochs,
        "history": len(result.loss_history),
        "stop_reason": result.stop_reason,
        "same_coef": again.coef.tobytes() == result.coef.tobytes(),
        "same_intercept": again.intercept == result.intercept,
        "same_history": again.loss_history.tobytes() == result.loss_history.tobytes(),
        "is_keyboard_interrupt": is_keyboard_interrupt,
    }))
""")


def run_child(*args):
    # From a directory outside the checkout, so that the child imports the
    # installed fastgd (CI installs it), not the unbuilt source tree.
    with tempfile.TemporaryDirectory() as outside:
        done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True,
                              text=True, timeout=120, cwd=outside)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in report, report
    return report


@pytest.mark.parametrize("one_call", ["1", "0"])
@pytest.mark.parametrize("method, optimizer", [("sgd", "sgd"), ("minibatch", "adam"),
                                               ("batch", "sgd")])
def test_ctrl_c_stops_the_compiled_fit_within_half_a_second(method, optimizer, one_call):
    report = run_child("cython", method, optimizer, one_call)
    assert report["latency"] < 0.5
    assert report["is_keyboard_interrupt"]
    assert report["stop_reason"] == "interrupted"
    assert report["n_epochs"] >= 1 and report["history"] == report["n_epochs"]
    # The weights are exactly those after the last completed epoch.
    assert report["same_coef"] and report["same_intercept"] and report["same_history"]


def test_ctrl_c_stops_the_reference_with_the_same_guarantees():
    report = run_child("python", "sgd", "adam", "0")
    assert report["latency"] < 0.5
    assert report["stop_reason"] == "interrupted" and report["n_epochs"] >= 1
    assert report["same_coef"] and report["same_intercept"] and report["same_history"]
