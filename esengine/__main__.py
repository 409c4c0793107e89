"""``python -m esengine``: the command line (see :mod:`esengine.cli`)."""
import sys

from esengine.cli import main

if __name__ == "__main__":
    sys.exit(main())
