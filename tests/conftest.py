import os

import pytest

# Keep the suite's thread count fixed and small; results do not depend on it.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")


@pytest.fixture
def cli(capsys):
    """Run ``lehmberg ARGS...`` in-process: returns (exit status, stdout, stderr)."""
    from lehmberg.cli import main

    def run(*argv):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
        out, err = capsys.readouterr()
        return status, out, err

    return run
