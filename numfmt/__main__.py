"""``python -m numfmt``: the command line (``numfmt.cli``), for systems where GNU coreutils'
``numfmt`` comes first on PATH."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
