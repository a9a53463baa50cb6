"""Shared pieces of the command line: the parser, validators, output helpers."""

import argparse
import json
import math
import sys

import numpy as np


class CLIError(Exception):
    """Bad input found after parsing; the message names the parameter."""


class NumericsError(Exception):
    """Valid input, but the numerics gave a non-finite result (exit status 1)."""


#: Ranges the numerics are tested for; outside them the commands refuse the input.
KL_RANGE = (1e-3, 1e7)
KR_MAX = 1e12


def in_range(value, option, lo=None, hi=None):
    """CLIError naming ``option`` unless lo <= value <= hi."""
    if value is None:
        return
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        span = f"[{lo:g}, {hi:g}]" if lo is not None and hi is not None else \
            (f"<= {hi:g}" if hi is not None else f">= {lo:g}")
        raise CLIError(f"argument {option}: must be {span}, got {value:g}")


def command_line(args):
    """The command as the user typed it, for provenance."""
    import shlex

    return "lehmberg " + shlex.join(getattr(args, "argv", None) or [])


def require_finite(obj, what):
    """NumericsError if any number in a (nested) result is NaN or infinite."""
    bad = []

    def walk(o, key):
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, k)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v, key)
        elif isinstance(o, (float, int, np.floating)) and not isinstance(o, bool):
            if not math.isfinite(float(o)):
                bad.append(key)

    walk(obj, what)
    if bad:
        raise NumericsError(f"non-finite {', '.join(sorted(set(map(str, bad))))} for these inputs; "
                            "nothing was written")


def fail(message, status=2):
    print(message, file=sys.stderr)
    raise SystemExit(status)


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        fail(f"{self.prog}: error: {message}", 2)


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def finite_float(text):
    """argparse type: a finite float."""
    return _number(text)


def positive_float(text):
    """argparse type: a finite float > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def nonnegative_float(text):
    """argparse type: a finite float >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def positive_int(text):
    """argparse type: an integer > 0 (accepts 2e7-style notation when integral)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return int(value)


def nonnegative_int(text):
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def unit_vector(values, option):
    """The normalised 3-vector of an ``nargs=3`` option; CLIError for zero vectors."""
    from .._checks import unit_vector as unit

    try:
        return unit(values, f"argument {option}")
    except ValueError as exc:
        raise CLIError(str(exc).replace(f"argument {option} must", f"argument {option}: must")) \
            from None


def add_output_options(parser, what="results"):
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout instead of a table")
    parser.add_argument("--out", metavar="FILE.h5", help=f"write the {what} to this HDF5 file")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")


def check_out(args):
    """Refuse an unusable --out before any work is done (the write itself is atomic)."""
    from pathlib import Path

    if getattr(args, "out", None) is not None:
        if not args.out.strip():
            raise CLIError("argument --out: empty file name")
        p = Path(args.out)
        if p.suffix.lower() not in (".h5", ".hdf5", ".nc"):
            raise CLIError(f"argument --out: must end in .h5 (HDF5), got {p.name!r}")
        if p.is_dir():
            raise CLIError(f"argument --out: {p} is a directory")
        if p.exists() and not args.force:
            raise CLIError(f"argument --out: {p} exists (use --force to overwrite)")
        if not (p.parent if str(p.parent) else Path(".")).is_dir():
            raise CLIError(f"argument --out: directory {p.parent} does not exist")


def _finite_or_none(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, np.generic):
        return _finite_or_none(obj.item())
    return obj


def print_json(obj):
    """One strict JSON object on stdout; NaN and infinities become null."""
    print(json.dumps(_finite_or_none(obj), allow_nan=False))


def fmt_pm(value, err):
    """``value ± err`` with the error to two significant digits and the value to match."""
    if not (math.isfinite(err) and err > 0):
        return f"{value:.10g} ± {err:.2g}"
    digits = max(0, 1 - int(math.floor(math.log10(err))))
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-4):
        return f"{value:.{max(2, digits + int(math.floor(math.log10(abs(value))) if value else 0)) }e} ± {err:.2g}"
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def progress_bar(total, desc, unit="it"):
    """A tqdm bar on stderr, shown only on a terminal and when the work takes more than 2 s."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, delay=2.0, file=sys.stderr,
                leave=False, dynamic_ncols=True, disable=None)
