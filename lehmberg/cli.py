"""The ``lehmberg`` command line: one subcommand per module in :mod:`lehmberg.commands`.

Every subcommand validates its input here, at the edge; bad input gets one line
naming the parameter on stderr and exit status 2, never a traceback.
"""

import argparse
import importlib
import sys
import warnings

from . import commands
from .commands import COMMANDS, _common


def build_parser(command=None):
    """The parser of the command line.

    ``command`` None: every subcommand with all its options.  Otherwise that subcommand in
    full (none for ``""``) and the others by their one-line help only, so that only the
    module of the command that runs is imported.
    """
    parser = _common.Parser(prog="lehmberg",
                            description="Position-averaged Lehmberg rates of atomic clouds "
                                        "and the entanglement they drive (rates in units of Γ).")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_common.Parser)
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(f"{commands.__name__}.{module}").register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


class _Version(argparse.Action):
    """``--version``: the version and the commit, computed only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show the version and the commit, and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from ._version import describe

        sys.stdout.write(describe() + "\n")
        parser.exit()


def _command(argv):
    """The subcommand named in ``argv`` (its first word that is not an option), or None."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """The package's warnings as one line on stderr (no source line, no traceback)."""
    from .result import LehmbergWarning

    if issubclass(category, LehmbergWarning):
        _common.warn(str(message))
    else:
        _default_show(message, category, filename, lineno, file, line)


_default_show = warnings.showwarning


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command(argv) or "")  # "": no subcommand named, none imported
    args = parser.parse_args(argv)  # --help and --version exit here, before any other import
    args.argv = argv
    from .io import OutputError, WriteError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except _common.CLIError as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc}", 2)
    except _common.NumericsError as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc}", 1)
    except OutputError as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc.strerror}", 2)
    except WriteError as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc.strerror}", 1)
    except (FileExistsError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc}", 2)
    except ValueError as exc:  # the numerics refused a value the parser let through
        _common.fail(f"lehmberg {args.command}: error: {exc}", 2)
    except ArithmeticError as exc:
        _common.fail(f"lehmberg {args.command}: error: numerical failure ({exc}); nothing was "
                     "written", 1)
    except OSError as exc:
        _common.fail(f"lehmberg {args.command}: error: {exc}", 1)
    except KeyboardInterrupt:
        _common.fail(f"lehmberg {args.command}: interrupted; no output file was written", 130)


if __name__ == "__main__":
    sys.exit(main())
