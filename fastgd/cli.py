"""The ``fastgd`` command line: ``fastgd demo [--out PATH] [--quiet]``."""
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
    return parser


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
        no command).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already reported
        return exc.code
    if args.command is None:
        parser.print_help(sys.stderr)
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
    if not report.timing.identical:
        print(f"{error_prefix} the Cython and Python backends returned different bits",
              file=sys.stderr)
        return 1
    return 0
