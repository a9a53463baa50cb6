"""Every file the package writes: CF netCDF-4 datasets and figures, staged and atomic.

One writer (:func:`write_outputs`) for every command and benchmark:

* **Datasets** are ``xarray.Dataset`` objects made with :func:`new_dataset` and
  :func:`put` — named dimensions, complex values as ``_re``/``_im`` variables,
  ``units = "1"`` with a ``long_name`` that names the unit ("in units of Γ",
  "in units of 1/Γ"), each value tied to its error by ``ancillary_variables``,
  no placeholder strings for missing numbers, ``Conventions = "CF-1.11"``,
  a ``history`` line (UTC time and command) and provenance naming the commit.
  They open with ``xarray.open_dataset(path, engine="h5netcdf")`` and pass the
  IOOS compliance checker (cf:1.11) without errors.
* **Nothing half-written, nothing overwritten, nothing left behind.**  Every
  output is rendered to bytes in memory first; the bytes go to a temporary file
  beside the target (``.NAME.lehmberg-PID-XXXX.tmp``), are synced, and all
  targets are renamed into place together only when every one was written.  On
  any failure — a full disk, a vanished directory, Ctrl-C — every temporary file
  is removed and no target is touched; a temporary file of a process that was
  killed (kill -9) is removed by the next write to the same target.
* **Targets are checked before the work** (:func:`check_targets`): existing
  files without ``force``, directories, missing or unwritable directories.

Errors name the user's path: :class:`OutputError` (bad target, exit 2 on the
command line) and :class:`WriteError` (the write itself failed, exit 1).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from . import __version__

__all__ = ["OutputError", "WriteError", "check_targets", "staged", "write_outputs", "new_dataset",
           "put", "put_rates", "provenance", "read_dataset", "read_rates", "SUFFIXES"]

#: File name suffixes of each kind of output.
SUFFIXES = {"dataset": (".nc", ".h5"), "figure": (".png", ".pdf", ".svg")}
_TMP = re.compile(r"^\.(?P<name>.+)\.lehmberg-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")


class OutputError(OSError):
    """An output target that cannot be used (exists, is a directory, unwritable …)."""


class WriteError(OSError):
    """Writing an output failed (full disk, vanished directory …); nothing was left behind."""


# ----------------------------------------------------------------------------- provenance

def provenance() -> dict:
    """Versions of the package and its numerical dependencies, the git commit, UTC time."""
    import h5py
    import numba
    import scipy
    import xarray

    from ._version import git_commit

    return {
        "lehmberg_version": __version__,
        "git_commit": git_commit(),
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "h5py_version": h5py.__version__,
        "xarray_version": xarray.__version__,
        "created_utc": _utc(),
    }


def _utc():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- datasets

def new_dataset(title: str, command: str = "", attrs: dict | None = None, coords: dict | None = None):
    """An empty CF dataset with the global attributes every file carries.

    Parameters
    ----------
    title : str
        One line saying what the file holds.
    command : str
        The command line that made it (recorded in ``history``).
    attrs : dict, optional
        Inputs recorded as global attributes (None values are left out; dicts and
        lists of strings become JSON; booleans become 0/1).
    coords : dict, optional
        ``{name: (values, long_name, units)}`` coordinate variables (dimension = name).
    """
    import xarray as xr

    ds = xr.Dataset()
    for name, (values, long_name, units) in (coords or {}).items():
        ds = ds.assign_coords({name: (name, np.asarray(values), {"long_name": long_name,
                                                                    "units": units})})
    ds.attrs.update({"Conventions": "CF-1.11", "title": title,
                     "institution": "computed with the lehmberg package",
                     "source": f"lehmberg {__version__}",
                     "history": f"{_utc()}: {command or 'lehmberg (library call)'}",
                     "references": "Muschik, Polzik, Cirac, Dissipatively driven entanglement of "
                                   "two macroscopic atomic ensembles (Appendix B)",
                     "comment": "rates in units of the single-atom decay rate Gamma, lengths in "
                                "units of 1/k_L, times in units of 1/Gamma"})
    ds.attrs.update(_attrs(provenance()))
    ds.attrs.update(_attrs(attrs or {}))
    return ds


def _attrs(d):
    out = {}
    for key, value in d.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, (np.bool_,)):
            value = int(value)
        elif isinstance(value, dict):
            value = json.dumps(value, allow_nan=False, default=str)
        elif isinstance(value, (list, tuple)):
            arr = np.asarray(value)
            value = arr.astype(float) if arr.dtype.kind in "biuf" and arr.size else json.dumps(list(value))
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        out[key] = value
    return out


def put(ds, name: str, values, dims=(), long_name: str = "", units: str = "1", err=None,
        err_kind: str = "standard error", **attrs):
    """Add ``name`` (and ``name_err``) to ``ds``; complex values become ``name_re``/``name_im``.

    ``units`` is a UDUNITS string ("1" for rates in units of Γ: say so in ``long_name``).
    ``err`` for a complex value is ``err_re + 1j*err_im`` (two real errors).
    """
    values = np.asarray(values)
    if np.iscomplexobj(values):
        e = None if err is None else np.asarray(err)
        for part, f in (("re", np.real), ("im", np.imag)):
            put(ds, f"{name}_{part}", f(values), dims, f"{'real' if part == 're' else 'imaginary'} "
                f"part of {long_name}", units, None if e is None else f(e), err_kind, **attrs)
        return ds
    var_attrs = {"long_name": long_name, "units": units, **attrs}
    if err is not None:
        var_attrs["ancillary_variables"] = f"{name}_err"
        ds[f"{name}_err"] = (tuple(dims), np.asarray(err, dtype=float),
                             {"long_name": f"{err_kind} of {long_name}", "units": units})
    kind = values.dtype.kind
    data = values.astype(float) if kind == "f" else values.astype(np.int8) if kind == "b" else values
    ds[name] = (tuple(dims), data, var_attrs)
    return ds


def put_rates(ds, results: dict, N=None):
    """The rates of :class:`lehmberg.Rates` per pair of clouds on a dimension ``pair``
    (``N``: atoms for d = N Γ_ij, one number or one per pair)."""
    pairs = list(results)
    ds = ds.assign_coords(pair_name=("pair", np.array(pairs, dtype=object),
                                     {"long_name": "pair of clouds: intra = atoms i, j in cloud I; "
                                                   "inter = i in cloud I, j in cloud II; "
                                                   "intra_II = i, j in cloud II"}))
    est = [results[p] for p in pairs]
    kind = est[0].error_kind
    unit = "in units of Gamma"
    for q, label in (("gamma_bar", "position-averaged dissipative coefficient Gamma_bar"),
                     ("g_bar", "position-averaged coherent coefficient G_bar")):
        put(ds, q, [getattr(e, q) for e in est], ("pair",), f"{label} {unit}", "1",
            [getattr(e, q + "_err") for e in est], kind, coordinates="pair_name")
    put(ds, "Gamma_ij", [e.Gamma_ij for e in est], ("pair",),
        f"paper's Gamma_ij = Re<J_ij> = Re Gamma_bar - Im G_bar {unit}", "1",
        [e.Gamma_ij_err for e in est], kind, coordinates="pair_name")
    put(ds, "G_ij", [e.G_ij for e in est], ("pair",),
        f"paper's G_ij = Im<J_ij> = Im Gamma_bar + Re G_bar {unit}", "1",
        [e.G_ij_err for e in est], kind, coordinates="pair_name")
    put(ds, "n_samples", [e.n_samples for e in est], ("pair",),
        "samples (Monte Carlo) or integrand evaluations (quadrature)", "1", coordinates="pair_name")
    Ns = {p: N for p in pairs} if not isinstance(N, dict) else N
    if any(Ns.get(p) is not None for p in pairs):
        nan = float("nan")
        d = [e.d(Ns[p]) if Ns.get(p) is not None else (nan, nan) for p, e in zip(pairs, est)]
        put(ds, "d", [x[0] for x in d], ("pair",), "optical depth d = N Gamma_ij", "1",
            [x[1] for x in d], kind, coordinates="pair_name")
    if any(e.eta is not None for e in est):
        for k, label in ((0, "atom i's"), (1, "atom j's")):
            put(ds, f"eta_{'ab'[k]}", [1.0 if e.eta is None else e.eta[k] for e in est], ("pair",),
                f"fraction eta = E[u]^2/E[u^2] of {label} cloud in the probe mode", "1",
                coordinates="pair_name")
    ds.attrs["methods"] = json.dumps({p: results[p].methods for p in pairs})
    ds.attrs["error_kind"] = kind
    notes = sorted({n for e in est for n in e.notes})
    if notes:
        ds.attrs["error_notes"] = "; ".join(notes)
    return ds


def _render(target: Path, obj) -> bytes:
    """The bytes of one output, made in memory (no file is touched)."""
    if hasattr(obj, "to_netcdf"):
        import dask

        obj = obj.copy()
        for name in obj.variables:  # CF: no _FillValue on coordinates; NaN marks missing data
            obj[name].encoding["_FillValue"] = None
        # in memory, in this thread: no distributed lock even when a Dask client is the default
        with dask.config.set(scheduler="synchronous"):
            return bytes(obj.to_netcdf(engine="h5netcdf", invalid_netcdf=False))
    if hasattr(obj, "savefig"):
        fmt = target.suffix.lstrip(".").lower()
        buf = io.BytesIO()
        kw = {"metadata": {"CreationDate": None}} if fmt == "pdf" else {}
        if fmt == "png":
            kw["dpi"] = getattr(obj, "_lehmberg_dpi", 110)
        obj.savefig(buf, format=fmt, **kw)
        return buf.getvalue()
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj)
    raise TypeError(f"cannot write a {type(obj).__name__} to {target}")


def write_outputs(outputs: dict, force: bool = False) -> None:
    """Write ``{path: xarray.Dataset | matplotlib Figure | bytes}``: all of them or none.

    Everything is rendered in memory first, then written through :func:`staged`.
    """
    paths = [Path(p) for p in outputs]
    check_targets(paths, force)
    blobs = [_render(p, obj) for p, obj in zip(paths, outputs.values())]
    with staged(paths, force) as tmps:
        for tmp, blob, path in zip(tmps, blobs, paths):
            _write_bytes(tmp, blob, path)


def _write_bytes(tmp, blob, path):
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(blob)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror}; nothing was written") \
            from None


# ----------------------------------------------------------------------------- targets

def _directory(path: Path) -> Path:
    return path.parent


def check_targets(paths, force: bool = False, option: str | None = None) -> None:
    """Raise :class:`OutputError` naming the path before any work if an output cannot be written.

    Refused: an empty name, an existing file without ``force``, a directory, a
    directory that does not exist or that this process cannot write into (tried by
    creating and removing a temporary file there).
    """
    prefix = f"{option}: " if option else ""
    seen = set()
    for raw in paths:
        if str(raw).strip() in ("", "."):
            raise OutputError(errno.EINVAL, f"{prefix}an output path is empty")
        path = Path(raw)
        if path in seen:
            raise OutputError(errno.EINVAL, f"{prefix}{path} is named twice")
        seen.add(path)
        if path.is_dir():
            raise OutputError(errno.EISDIR, f"{prefix}{path} is a directory")
        if (path.exists() or path.is_symlink()) and not force:
            raise OutputError(errno.EEXIST, f"{prefix}{path} exists (use --force to overwrite)")
        directory = _directory(path)
        if not directory.is_dir():
            raise OutputError(errno.ENOENT, f"{prefix}directory {directory} of {path} does not exist")
        try:
            fd, probe = tempfile.mkstemp(prefix=f".{path.name}.lehmberg-{os.getpid()}-",
                                         suffix=".tmp", dir=directory)
        except OSError as exc:
            raise OutputError(exc.errno or errno.EACCES,
                              f"{prefix}cannot write into {directory} for {path}: "
                              f"{exc.strerror or exc}") from None
        os.close(fd)
        os.unlink(probe)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path) -> list:
    """Remove this package's temporary files for ``path`` whose process no longer exists."""
    path = Path(path)
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(_directory(path)):
            m = _TMP.match(entry.name)
            if m and m["name"] == path.name and not _alive(int(m["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(entry.path)
    return removed


@contextlib.contextmanager
def staged(paths, force: bool = False):
    """Temporary files beside ``paths``, renamed onto them together when the block completes.

    Yields the temporary paths, one per target.  On an exception (or Ctrl-C) inside
    the block every temporary file is removed and no target is touched, so a command
    that writes several files writes all or none.  Stale temporary files of killed
    processes for the same targets are removed first.
    """
    paths = [Path(p) for p in paths]
    check_targets(paths, force)
    umask = os.umask(0)
    os.umask(umask)
    tmps = []
    try:
        for path in paths:
            remove_stale_temporaries(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.lehmberg-{os.getpid()}-",
                                           suffix=".tmp", dir=_directory(path))
            except OSError as exc:
                raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
            os.close(fd)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make shared datasets unreadable
            tmps.append(tmp)
        yield list(tmps)
        for tmp, path in zip(tmps, paths):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    finally:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# ----------------------------------------------------------------------------- readers

def read_dataset(path):
    """Open a file this package wrote as an ``xarray.Dataset`` (loaded, file closed).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the path
    for a file that is not a readable netCDF-4/HDF5 dataset.
    """
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except Exception as exc:  # h5py/h5netcdf raise many kinds for a corrupt file
        raise ValueError(f"{path} is not a readable netCDF-4 file ({type(exc).__name__})") from None


def read_rates(path) -> dict:
    """Read a file written by ``lehmberg rates --out``.

    Returns ``{"inputs": {...}, "intra": {...}, "inter": {...}}`` with the keys of
    :meth:`lehmberg.Rates.as_dict` (complex values as [re, im]).
    """
    ds = read_dataset(path)
    out = {"inputs": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.attrs.items()}}
    for i, name in enumerate(ds["pair_name"].values.tolist()):
        row = {}
        for q in ("Gamma_ij", "G_ij", "d"):
            if q in ds:
                row[q] = float(ds[q][i])
                row[q + "_err"] = float(ds[q + "_err"][i])
        for q in ("gamma_bar", "g_bar"):
            row[q] = [float(ds[q + "_re"][i]), float(ds[q + "_im"][i])]
            row[q + "_err"] = [float(ds[q + "_re_err"][i]), float(ds[q + "_im_err"][i])]
        row["n_samples"] = int(ds["n_samples"][i])
        out[name] = row
    return out


def read_toml(path) -> dict:
    """The document of a TOML file (scan configurations, geometry files).

    Raises
    ------
    ValueError
        One phrase saying why (``no such file``, ``is a directory``, ``cannot be read
        (permission denied)``, ``malformed TOML (…)``, ``not a UTF-8 text file``); the caller
        names the file and the option.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a directory") from None
    except PermissionError:
        raise ValueError("cannot be read (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"malformed TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ValueError("not a UTF-8 text file") from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None

