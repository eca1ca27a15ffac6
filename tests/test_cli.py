"""The ``fastgd demo`` command: the seed's output, the timing line, the figure, errors."""
import contextlib
import io
import re
import subprocess
import sys

import pytest

from fastgd.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# What the tutorial's own script prints.
SEED_WEIGHTS = "w1 = 2.188697138503384, w2 = 2.753474684969485, w3 = 4.060020789555843"
SPEEDUP_LINE = re.compile(r"^cython backend: [0-9.e+-]+ ms, python reference: [0-9.e+-]+ ms, "
                          r"speed-up [0-9]+x$", re.MULTILINE)


def check_png(path):
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 20_000  # three panels of curves, not an empty canvas
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (450, 1500)  # 15 x 4.5 inches at 100 dpi


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One in-process ``fastgd demo`` run, shared: (exit code, stdout, stderr, figure path)."""
    out = tmp_path_factory.mktemp("demo") / "d.png"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["demo", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_demo_succeeds_quietly_on_stderr(demo_run):
    code, _, stderr, _ = demo_run
    assert code == 0
    assert stderr == ""


def test_demo_prints_the_seed_epochs_and_weights(demo_run):
    _, stdout, _, _ = demo_run
    epochs = re.findall(r"^epoch (\d+), loss (\S+)$", stdout, re.MULTILINE)
    assert [int(n) for n, _ in epochs] == list(range(1, 51))
    assert float(epochs[-1][1]) < 1e-4 <= float(epochs[-2][1])
    assert SEED_WEIGHTS in stdout.splitlines()


def test_demo_prints_the_speedup_and_identical_bits(demo_run):
    _, stdout, _, _ = demo_run
    assert SPEEDUP_LINE.search(stdout)
    assert "identical bits on both backends: yes" in stdout.splitlines()


def test_demo_reports_the_divergence_it_provokes(demo_run):
    # pyproject turns DivergenceWarning into an error: the demo must catch its own.
    _, stdout, _, _ = demo_run
    assert re.search(r"^learning-rate sweep: lr = \S+ diverged at epoch \d+ ", stdout,
                     re.MULTILINE)


def test_demo_writes_the_png(demo_run):
    _, stdout, _, out = demo_run
    assert stdout.splitlines()[-1] == f"figure written to {out}"
    check_png(out)


def test_python_dash_m_fastgd_runs_the_demo(tmp_path):
    out = tmp_path / "sub.png"
    # Run from an empty directory: from a source checkout's root, `-m fastgd`
    # would find the unbuilt source tree before the installed package.
    proc = subprocess.run([sys.executable, "-m", "fastgd", "demo", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not re.search(r"^epoch ", proc.stdout, re.MULTILINE)  # --quiet
    assert SEED_WEIGHTS in proc.stdout
    check_png(out)


@pytest.mark.parametrize("name, reason", [
    ("missing/d.png", "does not exist"),
    (".", "it is a directory"),
])
def test_unwritable_out_is_a_one_line_error(tmp_path, capsys, name, reason):
    out = tmp_path / name
    assert main(["demo", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("fastgd demo: error: cannot write ")
    assert reason in captured.err
    assert "Traceback" not in captured.err


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: fastgd")
    assert "demo" in captured.err


def test_bad_option_is_a_usage_error(capsys):
    assert main(["demo", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_version(capsys):
    import fastgd
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fastgd {fastgd.__version__}"


def test_demo_compare_exact_prints_the_closed_form_race(tmp_path, capsys, monkeypatch):
    from fastgd import cli, demo

    monkeypatch.setattr(demo, "EXACT_SIZES", (2_000, 4_000))
    assert cli.main(["demo", "--quiet", "--compare-exact", "--out", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "closed form (numpy.linalg.lstsq) vs mini-batch descent" in out
    assert "     2,000" in out and "     4,000" in out and "epochs)" in out
