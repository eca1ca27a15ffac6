"""``fastgd fit`` and ``fastgd predict`` on CSV files, and the CSV reader behind them."""
import csv
import io
import re
import subprocess
import sys

import numpy as np

from fastgd import _portable
import pytest

import fastgd
from fastgd import plot
from fastgd._csv import read_table
from fastgd.cli import main
from fastgd.demo import seed_data

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WEIGHT_LINE = re.compile(r"^  (\S+)\s+(\S+)$")


# --------------------------------------------------------------------------- helpers

def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def tutorial_csv(folder, name="data.csv"):
    """The tutorial's x and y (y = 2x^2 + 3x + 4) as a CSV file; returns (path, x, y)."""
    x, y = seed_data()
    lines = ["x,y"] + [f"{a!r},{b!r}" for a, b in zip(x, y)]
    return write(folder, name, "\n".join(lines) + "\n"), np.array(x), np.array(y)


def table_text(names, *columns):
    """CSV text: a header of ``names``, then the columns' values as shortest reprs."""
    rows = zip(*(np.asarray(column, dtype=np.float64).tolist() for column in columns))
    return ",".join(names) + "\n" + "".join(",".join(map(repr, row)) + "\n" for row in rows)


def run(capsys, *argv):
    """``fastgd ARGV`` in this process: (exit code, stdout, stderr)."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def weights(stdout, block="weights"):
    """{name: weight} of the first block of weight lines after a line starting with ``block``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(block))
    out = {}
    for line in lines[start + 1:]:
        match = WEIGHT_LINE.match(line)
        if not match:
            break
        out[match.group(1)] = float(match.group(2))
    return out


def predictions(text):
    """(header, values) of ``fastgd predict``'s output."""
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0][0], np.array([float(row[0]) for row in rows[1:]])


def assert_usage_error(code, stdout, stderr, command, *fragments):
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"fastgd {command}: error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000


# --------------------------------------------------------------------------- fit, predict

def test_fit_save_predict_round_trip_in_a_child_process(tmp_path):
    data, x, y = tutorial_csv(tmp_path)
    command = [sys.executable, "-m", "fastgd"]
    proc = subprocess.run(command + ["fit", "data.csv", "--target", "y", "--degree", "2",
                                     "--max-epochs", "3000", "--save", "model.npz"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    printed = weights(proc.stdout)
    assert list(printed) == ["x^2", "x", "intercept"]
    # The tutorial's function, y = 2x^2 + 3x + 4.
    np.testing.assert_allclose(list(printed.values()), [2.0, 3.0, 4.0], atol=1e-6)
    # Exactly what fastgd.fit gives on the same columns.
    expected = fastgd.fit(fastgd.polynomial_features(x, 2), y, max_epochs=3000)
    assert list(printed.values()) == expected.coef.tolist() + [expected.intercept]
    assert "epochs: 3000, stop reason: max_epochs" in proc.stdout.splitlines()
    assert f"final loss: {float(expected.loss_history[-1])!r}" in proc.stdout.splitlines()
    assert re.search(r"^time: [0-9.]+ (us|ms|s)$", proc.stdout, re.MULTILINE)
    assert proc.stdout.splitlines()[-1] == "model saved to model.npz"

    proc = subprocess.run(command + ["predict", "model.npz", "data.csv"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header, values = predictions(proc.stdout)
    assert header == "y"
    assert values.tolist() == expected.predict(fastgd.polynomial_features(x, 2)).tolist()


def test_the_saved_model_records_the_preprocessing(tmp_path, capsys):
    data, _, _ = tutorial_csv(tmp_path)
    code, _, _ = run(capsys, "fit", data, "--target", "y", "--degree", "3", "--max-epochs",
                     "10", "--save", tmp_path / "model")  # .npz appended, as save does
    assert code == 0
    model = fastgd.load(tmp_path / "model.npz")
    assert model.params["cli"] == {
        "target": "y", "features": ["x"], "degree": 3, "columns": ["x^3", "x^2", "x"],
        "standardize": False, "mean": None, "std": None}
    assert model.params["max_epochs"] == 10


def test_predict_writes_out_file(tmp_path, capsys):
    data, x, _ = tutorial_csv(tmp_path)
    assert run(capsys, "fit", data, "--target", "y", "--degree", "2", "--max-epochs", "50",
               "--save", tmp_path / "m.npz")[0] == 0
    out = tmp_path / "p.csv"
    code, stdout, stderr = run(capsys, "predict", tmp_path / "m.npz", data, "--out", out)
    assert (code, stderr) == (0, "")
    assert stdout == f"100 predictions written to {out}\n"
    header, values = predictions(out.read_text())
    model = fastgd.load(tmp_path / "m.npz")
    assert header == "y"
    # The loaded model takes the raw column and makes its powers itself, as predict does.
    assert values.tolist() == model.predict(np.asarray(x)[:, None]).tolist()
    assert values.tolist() == model.predict(x).tolist()
    with pytest.raises(ValueError, match=r"1 raw feature column \(x\), got shape \(100, 2\)"
                       r".*powers up to degree 2"):
        model.predict(fastgd.polynomial_features(x, 2))


@pytest.mark.parametrize("degree", [None, 2])
def test_standardize_round_trip_equals_a_manual_fit(tmp_path, capsys, degree):
    rng = np.random.default_rng(0)
    a = rng.normal(50.0, 10.0, 200)
    b = rng.normal(-3.0, 0.01, 200)
    y = 0.5 * a - 40.0 * b + 7.0
    if degree is None:
        text = table_text("aby", a, b, y)
        X = np.column_stack([a, b])
        extra = []
    else:
        text = table_text("ay", a, y)
        X = fastgd.polynomial_features(a, degree)
        extra = ["--degree", str(degree)]
    data = write(tmp_path, "data.csv", text)
    settings = ["--method", "batch", "--lr", "0.1", "--max-epochs", "300"]
    code, stdout, stderr = run(capsys, "fit", data, "--target", "y", "--standardize",
                               "--save", tmp_path / "m.npz", *settings, *extra)
    assert (code, stderr) == (0, ""), stderr
    # The CLI's column means and deviations: correctly rounded sums (the same bits
    # on every machine), within rounding of NumPy's mean and std.
    mean, std = _portable.column_mean_std(X)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(std, X.std(axis=0), rtol=1e-12)
    manual = fastgd.fit((X - mean) / std, y, method="batch", lr=0.1, max_epochs=300)
    printed = weights(stdout, "weights (of the standardized features)")
    assert list(printed.values()) == manual.coef.tolist() + [manual.intercept]
    assert "weights on the original scale:" in stdout

    code, stdout, _ = run(capsys, "predict", tmp_path / "m.npz", data)
    assert code == 0
    _, values = predictions(stdout)
    assert values.tolist() == manual.predict((X - mean) / std).tolist()
    # fastgd.load(path).predict takes the raw columns and gives what `fastgd predict` gives.
    raw = np.column_stack([a, b]) if degree is None else a[:, None]
    assert fastgd.load(tmp_path / "m.npz").predict(raw).tolist() == values.tolist()
    record = fastgd.load(tmp_path / "m.npz").params["cli"]
    assert record["mean"] == mean.tolist() and record["std"] == std.tolist()


def test_standardize_without_it_diverges(tmp_path, capsys):
    # Columns on very different scales: plain SGD diverges, standardized it fits.
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1000, 100)
    y = 0.002 * a + 1
    data = write(tmp_path, "d.csv", table_text("ay", a, y))
    assert run(capsys, "fit", data, "--target", "y")[0] == 1
    code, stdout, _ = run(capsys, "fit", data, "--target", "y", "--standardize",
                          "--max-epochs", "200")
    assert code == 0
    np.testing.assert_allclose(list(weights(stdout, "weights on").values()), [0.002, 1.0],
                               rtol=1e-6)


def test_features_subset_and_column_order(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = rng.uniform(-1, 1, (60, 3))
    y = 1.5 * rows[:, 0] - 2.0 * rows[:, 2] + 0.25
    text = table_text(["a", "noise", "c", "y"], *rows.T, y)
    data = write(tmp_path, "train.csv", text)
    code, stdout, _ = run(capsys, "fit", data, "--target", "y", "--features", "c, a",
                          "--method", "batch", "--max-epochs", "3000",
                          "--save", tmp_path / "m.npz")
    assert code == 0
    printed = weights(stdout)
    assert list(printed) == ["c", "a", "intercept"]
    np.testing.assert_allclose(list(printed.values()), [-2.0, 1.5, 0.25], atol=1e-6)
    assert stdout.splitlines()[0] == f"fitted y ~ c + a on 60 rows of {data}"

    # predict finds the columns by name, in any order, ignoring the others
    # (which need not be numbers) and needing no target column.
    new = write(tmp_path, "new.csv", "id,a,c\nfirst,1.0,0.0\nsecond,0.0,1.0\n")
    code, stdout, _ = run(capsys, "predict", tmp_path / "m.npz", new)
    assert code == 0
    _, values = predictions(stdout)
    np.testing.assert_allclose(values, [1.75, -1.75], atol=1e-5)


def test_features_default_to_every_other_column(tmp_path, capsys):
    data = write(tmp_path, "d.csv", "y,p,q\n1,0,0\n2,1,0\n3,0,1\n4,1,1\n")
    code, stdout, _ = run(capsys, "fit", data, "--target", "y", "--max-epochs", "5")
    assert code == 0
    assert list(weights(stdout)) == ["p", "q", "intercept"]


def test_fit_options_reach_fastgd_fit(tmp_path, capsys):
    data, x, y = tutorial_csv(tmp_path)
    code, stdout, _ = run(capsys, "fit", data, "--target", "y", "--degree", "2", "--method",
                          "minibatch", "--batch-size", "10", "--optimizer", "adam", "--lr",
                          "0.05", "--max-epochs", "400", "--tol", "1e-12", "--shuffle",
                          "--random-state", "7", "--stop-loss", "1e-9", "--loss", "huber")
    assert code == 0
    expected = fastgd.fit(fastgd.polynomial_features(x, 2), y, method="minibatch",
                          batch_size=10, optimizer="adam", lr=0.05, max_epochs=400, tol=1e-12,
                          shuffle=True, random_state=7, stop_loss=1e-9, loss="huber")
    assert list(weights(stdout).values()) == expected.coef.tolist() + [expected.intercept]
    assert (f"epochs: {expected.n_epochs}, stop reason: {expected.stop_reason}"
            in stdout.splitlines())
    assert "method minibatch, optimizer adam, loss huber, lr 0.05, random state 7" in stdout


def test_diverged_fit_exits_1_and_saves_nothing(tmp_path, capsys):
    data, _, _ = tutorial_csv(tmp_path)
    model = tmp_path / "m.npz"
    code, stdout, stderr = run(capsys, "fit", data, "--target", "y", "--degree", "2", "--lr",
                               "100", "--save", model)
    assert code == 1
    assert "stop reason: diverged" in stdout
    assert "final loss: inf" in stdout or "final loss: nan" in stdout
    assert stderr.count("\n") == 1
    assert stderr.startswith("fastgd fit: error: the fit diverged at epoch 1 ")
    assert "smaller --lr" in stderr and "nothing saved" in stderr
    assert not model.exists()


def test_diverged_fit_exit_code_of_the_process(tmp_path):
    tutorial_csv(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "fastgd", "fit", "data.csv", "--target", "y",
                           "--lr", "1e6"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr
    assert proc.stderr.startswith("fastgd fit: error: the fit diverged")


def test_plot_writes_a_png(tmp_path, capsys):
    data, _, _ = tutorial_csv(tmp_path)
    out = tmp_path / "fit.png"
    code, stdout, _ = run(capsys, "fit", data, "--target", "y", "--degree", "2",
                          "--standardize", "--max-epochs", "100", "--plot", out)
    assert code == 0
    assert stdout.splitlines()[-1] == f"figure written to {out}"
    check_png(out)


def old_plot_fit(ax, x, y, result):
    """fastgd.plot.plot_fit as it was: plot_fit(ax, x, y, result), one variable only."""
    old_plot_fit.calls.append(len(x))
    prediction = result.predict(fastgd.polynomial_features(x, result.coef.shape[0]))
    ax.plot(x, prediction)
    ax.scatter(x, y)
    return ax


@pytest.mark.parametrize("plot_fit", ["current", "old signature", "absent"])
def test_plot_whatever_plot_fit_looks_like(tmp_path, capsys, monkeypatch, plot_fit):
    old_plot_fit.calls = []
    if plot_fit == "absent":
        monkeypatch.delattr(plot, "plot_fit", raising=False)
    elif plot_fit == "old signature":
        monkeypatch.setattr(plot, "plot_fit", old_plot_fit, raising=False)
    several = write(tmp_path, "d.csv", "y,p,q\n1,0,0\n2,1,0\n3,0,1\n4,1,1\n")
    one, _, _ = tutorial_csv(tmp_path)
    for name, argv in [("several.png", [several, "--target", "y"]),
                       ("one.png", [one, "--target", "y", "--degree", "2", "--standardize"])]:
        out = tmp_path / name
        code, _, stderr = run(capsys, "fit", *argv, "--max-epochs", "50", "--plot", out)
        assert (code, stderr) == (0, "")
        check_png(out)
    assert old_plot_fit.calls == ([100] if plot_fit == "old signature" else [])


@pytest.mark.parametrize("command", ["fit", "predict", "demo", "bench"])
def test_help_shows_an_example(capsys, command):
    code, stdout, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Example" in stdout
    assert f"fastgd {command} " in stdout.split("Example", 1)[1]


# --------------------------------------------------------------------------- the CSV reader

#: (file contents or None for no file, columns, message fragments): every way a
#: data file can be refused.
BAD_FILES = {
    "missing file": (None, None, ["no such file"]),
    "empty file": ("", None, ["the file is empty"]),
    "blank lines only": ("\n\n  \n", None, ["no header row"]),
    "numbers as header": ("1,2\n3,4\n", None, ["line 1: no header row"]),
    "header only": ("x,y\n", None, ["not followed by any rows"]),
    "unnamed column": ("x,,y\n1,2,3\n", None, ["line 1: column 2 of the header has no name"]),
    "duplicate column": ("x,y,x\n1,2,3\n", None,
                         ["line 1: the column name 'x' appears twice", "columns 1 and 3"]),
    "too many fields": ("x,y\n1,2\n3,4,5\n", None, ["line 3 has 3 fields, the header has 2"]),
    "too few fields": ("x,y\n1,2\n\n3\n", None, ["line 4 has 1 field, the header has 2"]),
    "not a number": ("x,y\n1,2\n2,3\n3,4\n4,5\n5,6\nabc,7\n", None,
                     ["line 7, column 'x': 'abc' is not a number"]),
    "nan": ("x,y\n1,nan\n", None, ["line 2, column 'y': 'nan' is not a number"]),
    "infinite": ("x,y\n1,2\n1e999,2\n", None, ["line 3, column 'x': '1e999' is too large"]),
    "empty cell": ("x,y\n1,2\n3, \n", None, ["line 3, column 'y': the cell is empty"]),
    "unknown column": ("x,y\n1,2\n", ["z", "w"], ["no columns 'z', 'w'",
                                                      "the file's columns are 'x', 'y'"]),
    "bad quoting": ('x,y\n1,2\n"3"4,5\n', None, ["line 3: malformed CSV"]),
}


def make_file(tmp_path, contents):
    path = tmp_path / "data.csv"
    if contents is not None:
        path.write_text(contents, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_read_table_refuses(tmp_path, case):
    contents, columns, fragments = BAD_FILES[case]
    path = make_file(tmp_path, contents)
    with pytest.raises(ValueError) as info:
        read_table(path, columns)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_fit_reports_a_bad_file_in_one_line(tmp_path, capsys, case):
    contents, columns, fragments = BAD_FILES[case]
    path = make_file(tmp_path, contents)
    features = [] if columns is None else ["--features", ",".join(columns)]
    target = "y" if columns is None else "x"
    result = run(capsys, "fit", path, "--target", target, *features)
    assert_usage_error(*result, "fit", str(path), *fragments)


@pytest.mark.parametrize("case", ["not a number", "empty cell", "too many fields"])
def test_predict_reports_a_bad_file_in_one_line(tmp_path, capsys, case):
    model_data = write(tmp_path, "train.csv", "x,y\n0,1\n1,3\n2,5\n")
    assert run(capsys, "fit", model_data, "--target", "y", "--max-epochs", "5",
               "--save", tmp_path / "m.npz")[0] == 0
    contents, _, fragments = BAD_FILES[case]
    path = make_file(tmp_path, contents)
    result = run(capsys, "predict", tmp_path / "m.npz", path)
    if case == "empty cell":  # only the model's columns are read: y is not one
        assert result[0] == 0
    else:
        assert_usage_error(*result, "predict", str(path), *fragments)


def test_read_table_basics(tmp_path):
    path = write(tmp_path, "d.csv", '\ufeff"a", b,c\n\n1, 2.5e1 ,-.5\n  \n+3,4.,"5"\n')
    header, data = read_table(path)
    assert header == ["a", "b", "c"]
    assert data.dtype == np.float64 and data.tolist() == [[1, 25, -0.5], [3, 4, 5]]
    header, data = read_table(path, ["c", "a"])
    assert header == ["c", "a"] and data.tolist() == [[-0.5, 1], [5, 3]]


def test_read_table_counts_physical_lines(tmp_path):
    path = write(tmp_path, "d.csv", "x,y\r\n\r\n1,2\r\n\r\n\r\n3,oops\r\n")
    with pytest.raises(ValueError, match=r"line 6, column 'y': 'oops' is not a number"):
        read_table(path)


def test_read_table_other_columns_need_not_be_numbers(tmp_path):
    path = write(tmp_path, "d.csv", "name,x\nalpha,1\nbeta,2\n")
    assert read_table(path, ["x"])[1].tolist() == [[1.0], [2.0]]
    with pytest.raises(ValueError, match="line 2, column 'name': 'alpha' is not a number"):
        read_table(path)


def test_read_table_refuses_binary_files(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"x,y\n1,2\n\xff\xfe,3\n")
    with pytest.raises(ValueError, match="line 3: not UTF-8 text"):
        read_table(path)


# --------------------------------------------------------------------------- usage errors

@pytest.mark.parametrize("argv, fragments", [
    (["--degree", "2"], ["--degree needs exactly one feature, got 2 (p, q)"]),
    (["--degree", "0"], ["--degree must be >= 1"]),
    (["--features", "p,y"], ["the target 'y' is also in --features"]),
    (["--features", "p,p"], ["--features names 'p' twice"]),
    (["--features", "p,"], ["empty column name"]),
    (["--features", "p,zz"], ["no column 'zz'", "columns are 'y', 'p', 'q'"]),
    (["--lr", "-1"], ["lr must be > 0"]),
    (["--max-epochs", "0"], ["max_epochs must be >= 1"]),
    (["--loss", "log"], ["loss='log' needs labels in {0, 1}"]),
    (["--save", "no/such/dir/m.npz"], ["cannot write --save", "does not exist"]),
    (["--plot", "."], ["cannot write --plot", "it is a directory"]),
])
def test_fit_usage_errors(tmp_path, capsys, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    data = write(tmp_path, "d.csv", "y,p,q\n1,0,0\n2,1,0\n3,0,1\n4,1,1\n")
    result = run(capsys, "fit", data, "--target", "y", *argv)
    assert_usage_error(*result, "fit", *fragments)


def test_target_only_column(tmp_path, capsys):
    data = write(tmp_path, "d.csv", "y\n1\n2\n")
    assert_usage_error(*run(capsys, "fit", data, "--target", "y"), "fit",
                       "the target 'y' is the only column")


@pytest.mark.parametrize("argv, message", [
    (["fit", "d.csv"], "the following arguments are required: --target"),
    (["fit", "d.csv", "--target", "y", "--lr", "fast"], "argument --lr: invalid float value"),
    (["fit", "d.csv", "--target", "y", "--method", "newton"], "argument --method: invalid"),
    (["predict", "m.npz"], "the following arguments are required: DATA.csv"),
])
def test_argparse_errors_exit_2(capsys, argv, message):
    code, _, stderr = run(capsys, *argv)
    assert code == 2
    assert message in stderr


def test_predict_errors(tmp_path, capsys):
    data = write(tmp_path, "train.csv", "a,b,y\n0,1,1\n1,0,3\n2,2,5\n")
    model = tmp_path / "m.npz"
    assert run(capsys, "fit", data, "--target", "y", "--max-epochs", "5", "--save", model)[0] == 0

    new = write(tmp_path, "new.csv", "c,y\n1,2\n")
    assert_usage_error(*run(capsys, "predict", model, new), "predict",
                       f"{new}: no columns 'a', 'b'; the file's columns are 'c', 'y'")
    assert_usage_error(*run(capsys, "predict", tmp_path / "nothing.npz", data), "predict",
                       "nothing.npz: no such model file")
    not_model = write(tmp_path, "notes.npz", "not a model")
    assert_usage_error(*run(capsys, "predict", not_model, data), "predict",
                       "is not a fastgd result file")
    assert_usage_error(*run(capsys, "predict", data, data), "predict",
                       "is not a fastgd result file")
    assert_usage_error(*run(capsys, "predict", model, data, "--features", "a,b"), "predict",
                       "--features is only for models saved from Python")
    assert_usage_error(*run(capsys, "predict", model, data, "--out", tmp_path / "x" / "p.csv"),
                       "predict", "cannot write --out", "does not exist")


def test_predict_with_a_model_saved_from_python(tmp_path, capsys):
    result = fastgd.fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [1.0, 3.0, 5.0], max_epochs=20)
    model = tmp_path / "py.npz"
    result.save(model)
    data = write(tmp_path, "d.csv", "u,v\n0,1\n5,5\n")
    assert_usage_error(*run(capsys, "predict", model, data), "predict",
                       "does not record its feature columns", "--features")
    assert_usage_error(*run(capsys, "predict", model, data, "--features", "u"), "predict",
                       "the model has 2 features; --features names 1")
    code, stdout, _ = run(capsys, "predict", model, data, "--features", "u,v")
    assert code == 0
    header, values = predictions(stdout)
    assert header == "prediction"
    assert values.tolist() == result.predict([[0.0, 1.0], [5.0, 5.0]]).tolist()


def test_predict_refuses_a_malformed_cli_record(tmp_path, capsys):
    result = fastgd.fit([[0.0], [1.0]], [1.0, 3.0], max_epochs=5)
    result.params["cli"] = {"target": "y", "features": ["x"], "degree": 2, "mean": None,
                            "std": None}
    result.save(tmp_path / "m.npz")
    data = write(tmp_path, "d.csv", "x\n1\n")
    assert_usage_error(*run(capsys, "predict", tmp_path / "m.npz", data), "predict",
                       "its 'cli' record is malformed (2 columns for 1 coefficients)")


def test_a_loaded_cli_model_predicts_from_raw_columns_like_fastgd_predict(tmp_path, capsys):
    """The diabetes report: `fastgd.load(path).predict(raw rows)` used to ignore the
    stored standardization and give other numbers than `fastgd predict`."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True).frame
    train, new = data.iloc[:400], data.iloc[400:]
    train.to_csv(tmp_path / "train.csv", index=False)
    new.drop(columns="target").to_csv(tmp_path / "new.csv", index=False)
    code, _, stderr = run(capsys, "fit", tmp_path / "train.csv", "--target", "target",
                          "--standardize", "--lr", "0.01", "--max-epochs", "50",
                          "--save", tmp_path / "model.npz")
    assert (code, stderr) == (0, ""), stderr
    code, stdout, _ = run(capsys, "predict", tmp_path / "model.npz", tmp_path / "new.csv")
    assert code == 0
    _, values = predictions(stdout)
    model = fastgd.load(tmp_path / "model.npz")
    raw = new.drop(columns="target").to_numpy()
    assert model.predict(raw).tolist() == values.tolist()
    assert 50 < values.mean() < 300  # the scale of the targets, not of z-scores
    with pytest.raises(ValueError, match="10 raw feature columns"):
        model.predict(raw[:, :3])


def test_load_refuses_a_cli_record_it_cannot_apply(tmp_path):
    result = fastgd.fit([[0.0], [1.0]], [1.0, 3.0], max_epochs=5)
    result.params["cli"] = {"target": "y", "features": ["x"], "degree": None,
                            "mean": [1.0], "std": [0.0]}
    result.save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"m.npz is not usable: its 'cli' record is "
                                         r"malformed \(std holds a zero\)"):
        fastgd.load(tmp_path / "m.npz")


def test_a_python_saved_model_takes_its_columns_as_they_are(tmp_path):
    result = fastgd.fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [1.0, 3.0, 5.0], max_epochs=5)
    result.save(tmp_path / "m.npz")
    loaded = fastgd.load(tmp_path / "m.npz")
    assert loaded.preprocessing is None
    assert loaded.predict([[4.0, 2.0]]).tolist() == result.predict([[4.0, 2.0]]).tolist()
