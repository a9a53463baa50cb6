"""The ``lehmberg`` command line: one subcommand per module in :mod:`lehmberg.commands`.

Every subcommand validates its input here, at the edge; bad input gets one line
naming the parameter on stderr and exit status 2, never a traceback.
"""

import importlib
import pkgutil
import sys
import warnings

from .commands import _common


def build_parser():
    parser = _common.Parser(prog="lehmberg",
                            description="Position-averaged Lehmberg rates of atomic clouds "
                                        "and the entanglement they drive (rates in units of Γ).")
    from ._version import describe

    parser.add_argument("--version", action="version", version=describe())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_common.Parser)
    sub.required = True
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """The package's warnings as one line on stderr (no source line, no traceback)."""
    from .result import LehmbergWarning

    if issubclass(category, LehmbergWarning):
        _common.warn(str(message))
    else:
        _default_show(message, category, filename, lineno, file, line)


_default_show = warnings.showwarning


def main(argv=None):
    from .io import OutputError, WriteError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
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
