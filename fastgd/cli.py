"""The ``fastgd`` command line.

``fastgd demo [--out PATH] [--quiet]`` runs the tutorial's example;
``fastgd bench [--quick] [--only PATTERN]`` times fastgd against its peers.
"""
import argparse
import os
import sys
from pathlib import Path

PROG = "fastgd"


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
        description="Fit y = 2x^2 + 3x + 4 by per-sample SGD as the tutorial fastgd grew from does, "
                    "print its epochs and weights, time the Cython backend against the "
                    "Python reference, and save a figure of the fit, the update rules "
                    "and a learning-rate sweep.")
    demo.add_argument("--out", type=Path, default=Path("fastgd-demo.png"), metavar="PATH",
                      help="where to write the PNG figure (default: %(default)s)")
    demo.add_argument("--quiet", action="store_true",
                      help="do not print the tutorial fit's per-epoch lines")
    bench = commands.add_parser(
        "bench", help="time fastgd against NumPy, scikit-learn, numba and torch",
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
    return parser


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
        target: it measures, it does not test.
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
    if not report.timing.identical:
        print(f"{error_prefix} the Cython and Python backends returned different bits",
              file=sys.stderr)
        return 1
    return 0
