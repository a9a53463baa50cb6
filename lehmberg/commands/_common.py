"""Shared pieces of the command line: the parser, validators, output helpers."""

import argparse
import json
import math
import contextlib
import sys

import numpy as np


class CLIError(Exception):
    """Bad input found after parsing; the message names the parameter."""


class NumericsError(Exception):
    """Valid input, but the numerics gave a non-finite result (exit status 1)."""


from .._checks import KL_RANGE, KR_MAX  # noqa: E402  (the one definition of the ranges)


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


def as_option(message, rename=None):
    """A library message that starts with a parameter name, as one naming the option."""
    import re

    m = re.match(r"([A-Za-z_]+)(/[A-Za-z_]+)?(:| must| needs| would| x )", message)
    if not m:
        return message
    names = [n for n in (m.group(1), (m.group(2) or "").lstrip("/")) if n]
    opts = "/".join("--" + (rename or {}).get(n, n.replace("_", "-")) for n in names)
    rest = message[m.end(2) if m.group(2) else m.end(1):].lstrip(":").lstrip()
    return f"argument {opts}: {rest}"


def warn(message):
    """One warning line on stderr (the command line's rendering of the package's warnings)."""
    print(f"warning: {message}", file=sys.stderr)


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


def add_geometry_options(p, one_cloud_only=False, required=True, geometry_file=True):
    """Options of every command that describes the geometry (made by :func:`geometry`): the
    paper's shorthand (--kL/--L, --kR/--R, --R-dir, --p-hat, --shape) or a geometry file."""
    p.add_argument("--shape", choices=["gaussian", "cube"], default=None,
                   help="cloud shape (default gaussian: per-axis std L/√2)")
    size = p.add_mutually_exclusive_group(required=required)
    size.add_argument("--kL", type=positive_float, help=f"k_L L, the cloud size, in "
                      f"[{KL_RANGE[0]:g}, {KL_RANGE[1]:g}]")
    size.add_argument("--L", type=positive_float, metavar="METRES",
                      help="cloud size L in metres (with --wavelength; instead of --kL)")
    if geometry_file:
        size.add_argument("--geometry", metavar="FILE",
                          help="a TOML geometry file: clouds of their own shape, sizes, axes, "
                               "centres, waists and N, the probe direction and a complex dipole "
                               "(docs/geometry.md); instead of the options of the paper's set-up")
    if not one_cloud_only:
        dist = p.add_mutually_exclusive_group()
        dist.add_argument("--kR", type=nonnegative_float, default=None,
                          help=f"k_L R <= {KR_MAX:g}, distance of cloud II (absent: one cloud only)")
        dist.add_argument("--R", type=nonnegative_float, default=None, metavar="METRES",
                          help="distance of cloud II in metres (instead of --kR)")
        p.add_argument("--R-dir", nargs=3, type=finite_float, default=None,
                       metavar=("X", "Y", "Z"), help="direction of R (default 0 0 1, along the probe)")
    p.add_argument("--wavelength", type=positive_float, default=None, metavar="METRES",
                   help="probe wavelength for --L and --R (default 852.347e-9, the Cs D2 line)")
    p.add_argument("--p-hat", nargs="+", default=None, metavar="X Y Z|none",
                   help="dipole direction (default 1 0 0); 'none' drops the dipole factor "
                        "(kernels (3/2) sin x/x, −(3/2) cos x/x, as the paper does between clouds)")


_SHORTHAND = ("shape", "kR", "R", "R_dir", "wavelength", "p_hat")


def p_hat(values):
    """The --p-hat option: three numbers, or 'none' (no dipole factor); default x̂."""
    if values is None:
        return [1.0, 0.0, 0.0]
    if len(values) == 1 and values[0].strip().lower() == "none":
        return None
    if len(values) != 3:
        raise CLIError(f"argument --p-hat: give three numbers X Y Z or 'none', got {' '.join(values)!r}")
    nums = []
    for v in values:
        try:
            nums.append(finite_float(v))
        except argparse.ArgumentTypeError as exc:
            raise CLIError(f"argument --p-hat: {exc}") from None
    return nums


def read_geometry_file(path):
    """The :class:`lehmberg.Geometry` of ``--geometry FILE``; CLIError naming the option and
    the key on bad input."""
    from ..geometry import read_geometry

    try:
        return read_geometry(path)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"argument --geometry: {exc}") from None


def geometry(args):
    """The validated :class:`lehmberg.Geometry` of the geometry options.

    Physical lengths (--L, --R in metres) are converted here, once, to
    k_L L = 2πL/λ and k_L R = 2πR/λ.  ``--geometry FILE`` reads a geometry file
    (:func:`lehmberg.geometry.read_geometry`) and excludes the shorthand's options.
    """
    from ..geometry import CS_D2_WAVELENGTH, Geometry

    if getattr(args, "geometry", None) is not None:
        given = [n for n in _SHORTHAND if getattr(args, n, None) is not None]
        if given:
            raise CLIError(f"argument --geometry: not with --{given[0].replace('_', '-')} (the "
                           "file describes the whole set-up)")
        return read_geometry_file(args.geometry)
    kw = dict(p_hat=p_hat(args.p_hat), shape=args.shape or "gaussian")
    if getattr(args, "R_dir", None) is not None:
        kw["R_dir"] = unit_vector(args.R_dir, "--R-dir")
    if kw["p_hat"] is not None:
        kw["p_hat"] = unit_vector(kw["p_hat"], "--p-hat")
    wavelength = args.wavelength if args.wavelength is not None else CS_D2_WAVELENGTH
    try:
        if args.L is not None or getattr(args, "R", None) is not None:
            if args.L is None:
                raise CLIError("argument --R: needs --L (metres), not --kL")
            return Geometry.from_lengths(args.L, getattr(args, "R", None), wavelength, **kw)
        return Geometry(kL=args.kL, kR=getattr(args, "kR", None), **kw)
    except ValueError as exc:
        raise CLIError("argument --" + str(exc).replace(" must", ": must", 1)) from None


def pairs_of(geo):
    """The pairs of clouds a command reports, as {key: Geometry}: ``intra`` (I, I), ``inter``
    (I, II) with two clouds, ``intra_II`` (II, II) when cloud II differs from cloud I."""
    out = {"intra": geo.single()}
    if geo.II is not None:
        out["inter"] = geo
        if not geo.identical:
            out["intra_II"] = geo.single("II")
    return out


def geometry_inputs(args, geo):
    """The inputs recorded with every result of a geometry."""
    out = geo.as_dict()
    if getattr(args, "geometry", None) is not None:
        out["geometry_file"] = str(args.geometry)
    if args.L is not None:
        out.update(L_metres=args.L, R_metres=getattr(args, "R", None),
                   wavelength_metres=args.wavelength if args.wavelength is not None else 852.347e-9)
    return out


def add_output_options(parser, what="results"):
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout instead of a table")
    parser.add_argument("--out", metavar="FILE.nc",
                        help=f"write the {what} to this netCDF-4 file (.nc or .h5)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")


def check_out(args, option="--out", suffixes=(".nc", ".h5", ".hdf5")):
    """Refuse an unusable output before any work is done (the write itself is atomic)."""
    from pathlib import Path

    from ..io import OutputError, check_targets

    path = getattr(args, option.lstrip("-").replace("-", "_"), None)
    if path is None:
        return
    if not path.strip():
        raise CLIError(f"argument {option}: empty file name")
    if Path(path).suffix.lower() not in suffixes:
        raise CLIError(f"argument {option}: must end in {' or '.join(suffixes)}, got "
                       f"{Path(path).name!r}")
    try:
        check_targets([path], args.force)
    except OutputError as exc:
        raise CLIError(f"argument {option}: {exc.strerror}") from None


def check_figure(args, option="--fig"):
    """The PNG target of ``option`` and the PDF beside it, both checked before any work."""
    from pathlib import Path

    from ..io import OutputError, check_targets

    png = Path(getattr(args, option.lstrip("-")))
    if png.suffix.lower() != ".png":
        raise CLIError(f"argument {option}: must end in .png, got {str(png)!r}")
    pdf = png.with_suffix(".pdf")
    try:
        check_targets([png, pdf], args.force)
    except OutputError as exc:
        raise CLIError(f"argument {option}: {exc.strerror}") from None
    return png, pdf


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


def fmt_pm(value, err, max_digits=10):
    """``value(err)`` with the error to two significant digits and the value to match.

    ``fmt_pm(7.521422e6, 1.9e4)`` is ``7.521(19)e+06``, ``fmt_pm(0.07516, 0.00031)`` is
    ``0.07516(31)``.  Values known better than ``max_digits`` significant digits (a
    quadrature reference) are shown to that many digits with the error after them.
    """
    if not math.isfinite(value):
        return "nan"
    if not math.isfinite(err):
        return f"{value:.6g} (no error estimate)"
    if err <= 0:
        return f"{value:.{max_digits}g}"
    e_exp = math.floor(math.log10(err))
    v_exp = math.floor(math.log10(abs(value))) if value != 0 else e_exp
    exp = max(v_exp, e_exp)
    places = exp - e_exp + 1  # digits after the mantissa's point down to the error's 2nd digit
    if places >= max_digits:
        return f"{value:.{max_digits}g} ± {err:.1e}"
    units = round(err / 10.0 ** (e_exp - 1))
    if units >= 100:  # 9.96 rounds up to 10
        units = round(units / 10)
        places -= 1
    if -4 <= exp <= 5 and places - exp >= 0:
        return f"{value:.{places - exp}f}({units})"
    return f"{value / 10.0 ** exp:.{places}f}({units})e{exp:+03d}"


def fmt(value, digits=6):
    """A number without an error (an input, or exact to rounding): ``digits`` significant digits."""
    return "nan" if not math.isfinite(value) else f"{value:.{digits}g}"


def progress_bar(total, desc, unit="it"):
    """A tqdm bar on stderr, shown only on a terminal and when the work takes more than 2 s."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, delay=2.0, file=sys.stderr,
                leave=False, dynamic_ncols=True, disable=None)


@contextlib.contextmanager
def progress(desc, unit="it"):
    """A progress bar (:func:`progress_bar`) as the package's callback ``progress(done, total)``,
    the one signature every library function with progress takes; closed on exit."""
    with progress_bar(None, desc, unit) as bar:
        def update(done, total):
            if bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        yield update
