"""The ``fastgd`` command line.

``fastgd demo [--out PATH] [--quiet] [--compare-exact]`` runs the tutorial's example;
``fastgd bench [--quick] [--only PATTERN]`` times fastgd against its peers;
``fastgd fit DATA.csv --target COLUMN [...]`` fits a model to the columns of a
CSV file and ``fastgd predict MODEL.npz DATA.csv`` applies a saved one.
"""
import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

PROG = "fastgd"

_FIT_EXAMPLES = """\
Examples:
  fastgd fit data.csv --target y --degree 2 --max-epochs 5000 --save model.npz
  fastgd fit houses.csv --target price --features area,rooms --standardize \\
      --method minibatch --optimizer adam --lr 0.01 --plot fit.png

The CSV file needs a header row of column names; the columns used must hold
numbers.  Exit codes: 0 success, 1 the fit diverged (its report is still
printed; nothing is saved), 2 a usage or data error.
"""

_PREDICT_EXAMPLES = """\
Examples:
  fastgd predict model.npz new.csv                      # to standard output
  fastgd predict model.npz new.csv --out predictions.csv

The model's feature columns are read by name (other columns are ignored), and
the polynomial degree and standardization it was fitted with are applied.
Exit codes: 0 success, 1 the predictions could not be written, 2 a usage or
data error.
"""


def build_parser():
    """The argument parser of the ``fastgd`` command.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--quiet"])
    >>> args.command, str(args.out), args.quiet
    ('demo', 'fastgd-demo.png', True)
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Gradient descent in typed Cython kernels, bit-identical to a "
                    "pure-Python reference.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="run the gradient-descent tutorial's example and save a figure",
        epilog="Example: fastgd demo --quiet --out demo.png",
        description="Fit y = 2x^2 + 3x + 4 by per-sample SGD as the tutorial fastgd grew from does, "
                    "print its epochs and weights, time the Cython backend against the "
                    "Python reference, and save a figure of the fit, the update rules "
                    "and a learning-rate sweep.")
    demo.add_argument("--out", type=Path, default=Path("fastgd-demo.png"), metavar="PATH",
                      help="where to write the PNG figure (default: %(default)s)")
    demo.add_argument("--quiet", action="store_true",
                      help="do not print the tutorial fit's per-epoch lines")
    demo.add_argument("--compare-exact", action="store_true",
                      help="then answer the tutorial's first question: time and memory of "
                           "the closed form against a few epochs of mini-batch descent, "
                           "for 10,000 to 1,000,000 rows (about 5 s)")
    bench = commands.add_parser(
        "bench", help="time fastgd against NumPy, scikit-learn, numba and torch",
        epilog="Examples: fastgd bench --quick; fastgd bench --only sgd",
        description="Time fastgd against the tools people would use instead (each one "
                    "that is installed) on the workloads of the benchmark table, and "
                    "print the speed-ups with the machine they were measured on.  A "
                    "ratio is baseline time / fastgd time; a ratio below its target is "
                    "reported, not an error (the exit code is 0).")
    bench.add_argument("--quick", action="store_true",
                       help="20x smaller data and short timings: a smoke run of a few seconds")
    bench.add_argument("--only", metavar="PATTERN",
                       help="run only the workloads whose name contains PATTERN "
                            "(case-insensitive; * and ? allowed), e.g. 'sgd' or 'd=1,000'")
    _add_fit_parser(commands)
    _add_predict_parser(commands)
    return parser


# --------------------------------------------------------------------------- fit, predict

class _UsageError(Exception):
    """A usage or data error of ``fit`` or ``predict``: one line on stderr, exit code 2."""


def _fit_defaults():
    """The defaults of :func:`fastgd.fit`'s keyword arguments (shown in ``--help``)."""
    import inspect

    from ._fit import fit

    return {name: parameter.default
            for name, parameter in inspect.signature(fit).parameters.items()}


def _add_fit_parser(commands):
    from ._options import LOSSES, METHODS, OPTIMIZERS

    defaults = _fit_defaults()
    fit = commands.add_parser(
        "fit", help="fit a model to the columns of a CSV file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit TARGET ~ FEATURES @ coef + intercept by gradient descent on the\n"
                    "columns of a CSV file, and print the weights, the epochs run and why\n"
                    "the fit stopped, the final loss and the time.  With --save the model\n"
                    "is written for `fastgd predict`, with the features, degree and\n"
                    "standardization it needs.",
        epilog=_FIT_EXAMPLES)
    fit.add_argument("data", type=Path, metavar="DATA.csv",
                     help="CSV file with a header row of column names")
    fit.add_argument("--target", required=True, metavar="COLUMN",
                     help="the column to predict")
    fit.add_argument("--features", metavar="A,B,...",
                     help="comma-separated feature columns (default: every column but "
                          "the target)")
    fit.add_argument("--degree", type=int, metavar="K",
                     help="with exactly one feature x: fit a polynomial, on the columns "
                          "x^K, ..., x^2, x")
    fit.add_argument("--method", choices=list(METHODS), default=defaults["method"],
                     help="per-sample, mini-batch or full-batch updates (default: "
                          "%(default)s)")
    fit.add_argument("--loss", choices=list(LOSSES), default=defaults["loss"],
                     help="default: %(default)s")
    fit.add_argument("--optimizer", choices=list(OPTIMIZERS), default=defaults["optimizer"],
                     help="default: %(default)s")
    fit.add_argument("--lr", type=float, default=defaults["lr"],
                     help="learning rate (default: %(default)s)")
    fit.add_argument("--batch-size", type=int, default=defaults["batch_size"], metavar="N",
                     help="samples per update with --method minibatch (default: %(default)s)")
    fit.add_argument("--max-epochs", type=int, default=defaults["max_epochs"], metavar="N",
                     help="at most this many passes over the data (default: %(default)s)")
    fit.add_argument("--stop-loss", type=float, default=defaults["stop_loss"], metavar="L",
                     help="stop once an epoch's mean loss is below L (default: never)")
    fit.add_argument("--tol", type=float, default=defaults["tol"],
                     help="stop when the loss stops improving by this much (default: never)")
    fit.add_argument("--shuffle", action="store_true",
                     help="visit the rows in a new random order each epoch")
    fit.add_argument("--random-state", type=int, metavar="SEED",
                     help="seed of the shuffle (default: a random seed, printed)")
    fit.add_argument("--standardize", action="store_true",
                     help="z-score each feature with its mean and standard deviation on "
                          "this data (saved with the model and applied by predict)")
    fit.add_argument("--plot", type=Path, metavar="OUT.png",
                     help="save a figure of the fit (needs matplotlib)")
    fit.add_argument("--save", type=Path, metavar="MODEL.npz",
                     help="save the model for `fastgd predict`")


def _add_predict_parser(commands):
    predict = commands.add_parser(
        "predict", help="predict with a model saved by `fastgd fit --save`",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read the feature columns of a model saved by `fastgd fit --save` "
                    "from a CSV\nfile and write one prediction per row, under a header "
                    "(the target's name).",
        epilog=_PREDICT_EXAMPLES)
    predict.add_argument("model", type=Path, metavar="MODEL.npz",
                         help="a model saved by `fastgd fit --save` (or FitResult.save)")
    predict.add_argument("data", type=Path, metavar="DATA.csv",
                         help="CSV file with a header row holding the model's feature "
                              "columns")
    predict.add_argument("--out", type=Path, metavar="PREDICTIONS.csv",
                         help="write the predictions here (default: standard output)")
    predict.add_argument("--features", metavar="A,B,...",
                         help="only for a model saved from Python, which does not record "
                              "them: its feature columns, in order")


def _read(path, columns=None):
    """:func:`fastgd._csv.read_table`, its errors as usage errors."""
    from ._csv import read_table

    try:
        return read_table(path, columns)
    except ValueError as err:
        raise _UsageError(str(err)) from None


def _split_names(text, option):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise _UsageError(f"{option} {text!r} has an empty column name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _UsageError(f"{option} names {', '.join(map(repr, repeated))} twice")
    return names


def _check_writable(path, option):
    reason = _unwritable_reason(path)
    if reason is not None:
        raise _UsageError(f"cannot write {option} {str(path)!r}: {reason}")


def _power_name(name, power):
    return name if power == 1 else f"{name}^{power}"


def _design(data, degree, mean, std):
    """The model's input columns from the raw feature columns: powers, then z-scores."""
    from ._preprocessing import Preprocessing

    names = tuple(str(k) for k in range(data.shape[1]))
    return Preprocessing(names, degree, None if mean is None else tuple(mean),
                         None if std is None else tuple(std)).design(data)


def _fit_command(args):
    """``fastgd fit``: returns the exit code, or raises _UsageError."""
    import numpy as np

    from . import _portable
    from ._fit import DivergenceWarning, FitInterrupted, fit

    if args.degree is not None and args.degree < 1:
        raise _UsageError(f"--degree must be >= 1, got {args.degree}")
    for path, option in ((args.save, "--save"), (args.plot, "--plot")):
        if path is not None:
            if option == "--save" and not str(path).endswith(".npz"):
                path = Path(str(path) + ".npz")  # what FitResult.save writes
            _check_writable(path, option)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise _UsageError("--plot needs matplotlib (pip install matplotlib)") from None

    target = args.target.strip()
    if args.features is not None:
        features = _split_names(args.features, "--features")
        if target in features:
            raise _UsageError(f"the target {target!r} is also in --features")
        header, table = _read(args.data, [target] + features)
    else:
        header, table = _read(args.data)
        if target not in header:
            raise _UsageError(f"{args.data}: no column {target!r} (--target); the file's "
                              f"columns are {', '.join(map(repr, header))}")
        features = [name for name in header if name != target]
        if not features:
            raise _UsageError(f"{args.data}: the target {target!r} is the only column; "
                              f"there are no features")
        table = table[:, [header.index(target)] + [header.index(f) for f in features]]
    y = np.ascontiguousarray(table[:, 0])
    raw = table[:, 1:]
    if args.degree is not None and len(features) != 1:
        raise _UsageError(f"--degree needs exactly one feature, got {len(features)} "
                          f"({', '.join(features)}); choose one with --features")
    if args.degree is not None:
        columns = [_power_name(features[0], k) for k in range(args.degree, 0, -1)]
    else:
        columns = list(features)
    X = _design(raw, args.degree, None, None)
    mean = std = None
    if args.standardize:
        # Correctly rounded sums (fastgd._portable), not NumPy's mean and std,
        # whose SIMD reductions may round differently on another CPU.
        mean, std = _portable.column_mean_std(X)
        std[std == 0] = 1.0  # a constant column is only centred
        X = _design(raw, args.degree, mean, std)

    settings = dict(method=args.method, loss=args.loss, optimizer=args.optimizer, lr=args.lr,
                    batch_size=args.batch_size, max_epochs=args.max_epochs,
                    stop_loss=args.stop_loss, tol=args.tol, shuffle=args.shuffle,
                    random_state=args.random_state)
    interrupted = False
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)  # reported below
            result = fit(X, y, **settings)
    except FitInterrupted as stop:
        result, interrupted = stop.result, True
    except ValueError as err:
        raise _UsageError(str(err)) from None
    seconds = time.perf_counter() - started

    result.params["cli"] = {
        "target": target, "features": list(features), "degree": args.degree,
        "columns": columns, "standardize": bool(args.standardize),
        "mean": None if mean is None else mean.tolist(),
        "std": None if std is None else std.tolist(),
    }
    _print_fit_report(args, result, y.shape[0], target, columns, mean, std, seconds)
    prefix = f"{PROG} fit: error:"
    if interrupted:
        print(f"{prefix} interrupted after {result.n_epochs} epochs; nothing saved",
              file=sys.stderr)
        return 130
    if result.diverged:
        print(f"{prefix} the fit diverged at epoch {result.n_epochs} (its loss or weights "
              f"stopped being finite; the weights shown are the last finite ones); try a "
              f"smaller --lr" + ("" if args.standardize else " or --standardize")
              + ("; nothing saved" if args.save or args.plot else ""), file=sys.stderr)
        return 1
    try:
        if args.save is not None:
            path = _save(result, args.save)
            print(f"model saved to {path}")
        if args.plot is not None:
            _plot(args.plot, raw, y, X, result, features, target, args.degree, mean, std)
            print(f"figure written to {args.plot}")
    except OSError as err:
        print(f"{prefix} cannot write {err.filename or ''}: {err.strerror or err}",
              file=sys.stderr)
        return 1
    return 0


def _save(result, path):
    from ._persistence import save_result

    return save_result(result, path)


def _print_fit_report(args, result, n_rows, target, columns, mean, std, seconds):
    print(f"fitted {target} ~ {' + '.join(columns)} on {n_rows} rows of {args.data}")
    seed = "" if result.random_state is None else f", random state {result.random_state}"
    print(f"method {result.method}, optimizer {result.optimizer}, loss {result.loss}, "
          f"lr {result.params['lr']:g}{seed}")
    width = max(len(name) for name in columns + ["intercept"])
    print("weights" + (" (of the standardized features)" if mean is not None else "") + ":")
    for name, weight in zip(columns, result.coef.tolist()):
        print(f"  {name:<{width}}  {weight!r}")
    print(f"  {'intercept':<{width}}  {result.intercept!r}")
    if mean is not None:
        coef, intercept = _unstandardized(result.coef, result.intercept, mean, std)
        print("weights on the original scale:")
        for name, weight in zip(columns, coef.tolist()):
            print(f"  {name:<{width}}  {weight!r}")
        print(f"  {'intercept':<{width}}  {intercept!r}")
    print(f"epochs: {result.n_epochs}, stop reason: {result.stop_reason}")
    final = float(result.loss_history[-1]) if result.n_epochs else float("nan")
    print(f"final loss: {final!r}")
    print(f"time: {_format_seconds(seconds)}")


def _unstandardized(coef, intercept, mean, std):
    """Weights on the unstandardized columns that give the same predictions (up to rounding)."""
    import numpy as np

    from . import _portable

    scaled = np.asarray(coef, dtype=np.float64) / std
    return scaled, float(intercept - _portable.dot(scaled, mean))


def _format_seconds(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs".replace("µ", "u")
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def _plot(path, raw, y, X, result, features, target, degree, mean, std):
    """Save a figure of the fit: the curve over the one feature, else y against prediction.

    Drawn by :func:`fastgd.plot.plot_fit` when fastgd has it (for one feature
    with the weights moved back to the unstandardized columns, so that it can
    evaluate the polynomial itself), else here: the true targets against the
    predictions.
    """
    import dataclasses
    import inspect

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from . import plot

    fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    plot_fit = getattr(plot, "plot_fit", None)
    arguments = list(inspect.signature(plot_fit).parameters) if callable(plot_fit) else []
    one_feature = len(features) == 1
    shown = result
    if one_feature and mean is not None:
        coef, intercept = _unstandardized(result.coef, result.intercept, mean, std)
        shown = dataclasses.replace(result, coef=coef, intercept=intercept)
    order = np.argsort(raw[:, 0], kind="stable")
    if arguments[:1] == ["ax"] and one_feature:  # plot_fit(ax, x, y, result)
        plot_fit(ax, raw[order, 0], y[order], shown)
    elif arguments[:3] == ["X", "y", "result"] and "ax" in arguments:
        if one_feature:  # plot_fit(X, y, result, ax=...): 1-D x for a polynomial
            plot_fit(raw[order, 0], y[order], shown, ax=ax)
        else:
            plot_fit(X, y, result, ax=ax)
    else:
        one_feature = False
        prediction = result.predict(X)
        low = float(min(y.min(), prediction.min()))
        high = float(max(y.max(), prediction.max()))
        ax.plot([low, high], [low, high], color="gray", linewidth=1, label="prediction = true")
        ax.scatter(y, prediction, s=10, color="tab:red", label="rows")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
    if one_feature:
        ax.set_xlabel(features[0])
        ax.set_ylabel(target)
    else:
        ax.set_xlabel(f"true {target}")
        ax.set_ylabel(f"predicted {target}")
    ax.set_title(f"fastgd fit of {target}: {result.method} updates, {result.n_epochs} "
                 f"epochs, final loss {float(result.loss_history[-1]):.3g}")
    fig.savefig(str(path), format="png")


def _model_record(model, path, features_option):
    """(features, degree, mean, std, target name) of a loaded model, checked."""
    n_coef = model.coef.shape[0]
    record = model.params.get("cli")
    if record is None:
        if features_option is None:
            raise _UsageError(f"{path} does not record its feature columns (it was not saved "
                              f"by `fastgd fit --save`); name its {n_coef} feature "
                              f"column{'s' * (n_coef != 1)} with --features")
        features = _split_names(features_option, "--features")
        if len(features) != n_coef:
            raise _UsageError(f"the model has {n_coef} feature{'s' * (n_coef != 1)}; "
                              f"--features names {len(features)}")
        return features, None, None, None, "prediction"
    if features_option is not None:
        raise _UsageError(f"{path} records its feature columns "
                          f"({', '.join(record.get('features') or [])}); --features is "
                          f"only for models saved from Python")

    from ._preprocessing import Preprocessing

    try:
        preprocessing = Preprocessing.from_record(record, n_coef)
    except ValueError as what:
        raise _UsageError(f"{path}: its 'cli' record is malformed ({what})") from None
    target = record.get("target") or "prediction"
    if not isinstance(target, str):
        raise _UsageError(f"{path}: its 'cli' record is malformed (target is {target!r})")
    return preprocessing.features, preprocessing.degree, preprocessing.mean, \
        preprocessing.std, target


def _predict_command(args):
    """``fastgd predict``: returns the exit code, or raises _UsageError."""
    from ._persistence import load

    if args.out is not None:
        _check_writable(args.out, "--out")
    try:
        model = load(args.model)
    except FileNotFoundError:
        raise _UsageError(f"{args.model}: no such model file") from None
    except IsADirectoryError:
        raise _UsageError(f"{args.model}: is a directory, not a model file") from None
    except PermissionError as err:
        raise _UsageError(f"{args.model}: cannot read it ({err.strerror})") from None
    except ValueError as err:
        raise _UsageError(str(err)) from None
    features, degree, mean, std, target = _model_record(model, args.model, args.features)
    _, raw = _read(args.data, features)
    # A model saved by `fastgd fit` applies its recorded powers and z-scores itself
    # (FitResult.preprocessing); one saved from Python takes the columns as they are.
    predictions = model.predict(raw)

    def write(handle):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([target])
        writer.writerows([repr(value)] for value in predictions.tolist())

    if args.out is None:
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. `fastgd predict ... | head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail
            return 1
        return 0
    try:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            write(handle)
    except OSError as err:
        print(f"{PROG} predict: error: cannot write {str(args.out)!r}: "
              f"{err.strerror or err}", file=sys.stderr)
        return 1
    print(f"{len(predictions)} predictions written to {args.out}")
    return 0


def _run_bench(quick, only):
    """``fastgd bench``: print the machine, then the table, one workload at a time."""
    from . import benchmarks

    names = [name for name, _ in benchmarks.table(quick)
             if only is None or benchmarks.matches(name, only)]
    if not names:
        print(f"{PROG} bench: error: no workload matches {only!r}; the workloads are: "
              + "; ".join(name for name, _ in benchmarks.table(quick)), file=sys.stderr)
        return 1
    for line in benchmarks.machine_info():
        print(line)
    repeat, min_time = benchmarks.timing_settings(quick)
    print(f"timing: best of {repeat} rounds of at least {min_time * 1e3:g} ms per member, "
          f"members timed alternately; ratio = baseline time / fastgd time (per row)"
          + (" [--quick: small data, rough figures]" if quick else ""))
    widths = (max(len(name) for name in names), 40, 10, 10, 9, 12)
    header = ("workload", "baseline", "fastgd", "baseline", "ratio", "target")
    print()
    print(_table_line(header, widths, "verdict"))
    print(_table_line(["-" * w for w in widths], widths, "-" * 13))
    differ = 0
    for rows in benchmarks.run(quick=quick, only=only):
        for row in rows:
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            cells = (row.workload, row.baseline, benchmarks.format_seconds(row.fastgd_seconds),
                     benchmarks.format_seconds(row.baseline_seconds), ratio, row.target)
            print(_table_line(cells, widths, row.verdict), flush=True)
            differ += row.verdict == "RESULTS DIFFER"
    if differ:
        # A ratio below target is a measurement; a baseline computing something
        # else means the table is wrong.
        print(f"{PROG} bench: error: {differ} baseline(s) computed different weights than "
              f"fastgd", file=sys.stderr)
        return 1
    return 0


#: Alignment of the bench table's columns: names left, figures right, target left.
_ALIGN = "<<>>><"


def _table_line(cells, widths, last):
    """Cells padded to ``widths`` and aligned as :data:`_ALIGN` says, then ``last``."""
    text = [f"{cell:{align}{width}}" for cell, width, align in zip(cells, widths, _ALIGN)]
    return "  ".join(text + [last])


def _unwritable_reason(path):
    """Why ``path`` cannot be written, or None; checked before minutes of work."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return "it is a directory"
    if not parent.is_dir():
        return f"directory {str(parent)!r} does not exist"
    if not os.access(parent, os.W_OK):
        return f"directory {str(parent)!r} is not writable"
    return None


def main(argv=None):
    """Run the ``fastgd`` command; return its exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        0 on success, 1 when the command failed, 2 on a usage error (including
        no command).  ``fastgd bench`` returns 0 also when a ratio is below its
        target: it measures, it does not test.  ``fastgd fit`` returns 1 when
        the fit diverged, and 2 on a usage or data error (a malformed CSV file,
        a missing column, a value that is not a number, a setting fit refuses);
        ``fastgd predict`` returns 2 on a usage, model or data error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already reported
        return exc.code
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2

    if args.command == "bench":
        return _run_bench(args.quick, args.only)
    if args.command in ("fit", "predict"):
        run = _fit_command if args.command == "fit" else _predict_command
        try:
            return run(args)
        except _UsageError as err:
            print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
            return 2

    error_prefix = f"{PROG} {args.command}: error:"
    reason = _unwritable_reason(args.out)
    if reason is not None:
        print(f"{error_prefix} cannot write {str(args.out)!r}: {reason}", file=sys.stderr)
        return 1

    from .demo import run_demo

    try:
        report = run_demo(args.out, verbose=not args.quiet)
    except OSError as exc:
        print(f"{error_prefix} cannot write {str(args.out)!r}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    print(f"figure written to {report.figure_path}")
    if args.compare_exact:
        from .demo import compare_exact

        print()
        compare_exact()
    if not report.timing.identical:
        print(f"{error_prefix} the Cython and Python backends returned different bits",
              file=sys.stderr)
        return 1
    return 0
