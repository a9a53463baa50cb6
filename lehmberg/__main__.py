"""``python -m lehmberg``: the same command line as the ``lehmberg`` script (:func:`lehmberg.cli.main`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
