"""``python -m fastgd``: the same command line as the ``fastgd`` script."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
