"""What a command imports: only what it uses (the start-up figures are in benchmarks/)."""

import argparse
import json
import subprocess
import sys

import pytest

from lehmberg.cli import build_parser
from lehmberg.commands import COMMANDS

HEAVY = ("numba", "finufft", "xarray", "dask", "distributed", "matplotlib", "h5py", "scipy.integrate")


def _imported(code, heavy=HEAVY):
    probe = (f"import sys\n{code}\n"
             f"print(__import__('json').dumps([m for m in {heavy!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_cli(argv):
    return ("from lehmberg.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass")


@pytest.mark.parametrize("code", [
    "import lehmberg",
    "import lehmberg; lehmberg.Geometry(kL=3.0)",
    _run_cli(["--version"]),
    _run_cli(["--help"]),
    _run_cli(["rates", "--help"]),
    _run_cli(["rates", "--kL", "30", "--json"]),
])
def test_short_commands_import_no_heavy_library(code):
    assert _imported(code) == []


def test_the_entanglement_models_need_no_numba():
    assert _imported(_run_cli(["entangle", "--d", "30", "--Z", "1.5", "--json"]), HEAVY[:-1]) == []


def test_the_rates_of_realised_clouds_do_load_the_kernels():
    """The probe above can fail: a command that uses Numba shows it."""
    assert "numba" in _imported("import lehmberg; lehmberg.gamma([[0.5, 0.0, 0.0]])")


def test_the_one_line_help_of_each_command_is_its_parser_help():
    """The table the command line shows without importing a command is the commands' own."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    shown = {choice.dest: choice.help for choice in sub._choices_actions}
    assert shown == {name: help_text for name, (_, help_text) in COMMANDS.items()}
