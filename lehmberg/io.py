"""HDF5 files: atomic writes, provenance, readers.

Files are plain HDF5 that need nothing of this package to read: datasets for
numbers, attributes for inputs and provenance, a ``units`` attribute wherever a
number has one.  Writers go through :func:`atomic_h5`, which writes to a
temporary file beside the target and renames it into place only when the
writer finished without an exception, so an interrupted run never leaves a
half-written or overwritten file behind.
"""

import contextlib
import datetime
import json
import os
import subprocess
import tempfile
from pathlib import Path

import h5py
import numpy as np

from . import __version__

__all__ = ["atomic_h5", "staged", "new_h5", "check_targets", "save_figure", "provenance",
           "write_provenance", "write_estimate", "read_estimate", "read_rates"]


def _git_commit():
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    if out.returncode != 0:
        return ""
    commit = out.stdout.strip()
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True,
                         text=True, timeout=5).stdout.strip()
    if not top or Path(top).resolve() != here.parent:
        return ""  # installed inside some other repository: its commit is not ours
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return commit + ("-dirty" if dirty else "")


def provenance():
    """Versions of the package, numba, numpy, scipy, h5py; git commit (when run from a checkout); UTC time."""
    import numba
    import scipy

    return {
        "lehmberg_version": __version__,
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "h5py_version": h5py.__version__,
        "git_commit": _git_commit(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def write_provenance(obj):
    """Write :func:`provenance` as attributes of an h5py File or Group."""
    for key, value in provenance().items():
        obj.attrs[key] = value


def check_targets(paths, force=False):
    """Raise before any work if an output path cannot be written: exists (without ``force``),
    is a directory, or lies in a directory that does not exist."""
    for path in map(Path, paths):
        if str(path) in ("", "."):
            raise FileNotFoundError("an output path is empty")
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory")
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists (use --force to overwrite)")
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise FileNotFoundError(f"directory {directory} does not exist")


@contextlib.contextmanager
def staged(paths, force=False):
    """Temporary files beside ``paths``, renamed onto them together when the block completes.

    Yields the list of temporary paths, one per target.  On an exception (or
    Ctrl-C) inside the block every temporary file is removed and no target is
    touched, so a command that writes several files writes all or none.
    """
    paths = [Path(p) for p in paths]
    check_targets(paths, force)
    umask = os.umask(0)
    os.umask(umask)
    tmps = []
    try:
        for path in paths:
            directory = path.parent if str(path.parent) else Path(".")
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
            os.close(fd)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make shared datasets unreadable
            tmps.append(tmp)
        yield list(tmps)
        for tmp, path in zip(tmps, paths):
            os.replace(tmp, path)
    finally:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def new_h5(path):
    """Create the HDF5 file ``path`` (normally a temporary path from :func:`staged`) with provenance."""
    with h5py.File(path, "w") as f:
        write_provenance(f)
        yield f


@contextlib.contextmanager
def atomic_h5(path, force=False):
    """Open a new HDF5 file for writing that appears at ``path`` only when complete.

    Raises ``FileExistsError`` before anything is written when ``path`` exists
    and ``force`` is false.  Provenance attributes are written to the root.
    """
    with staged([path], force) as (tmp,), new_h5(tmp) as f:
        yield f


def save_figure(fig, tmp, target, **kwargs):
    """``fig.savefig`` to ``tmp`` in the format named by the suffix of ``target`` (PNG, PDF, ...)."""
    fmt = Path(target).suffix.lstrip(".").lower()
    if fmt == "pdf":
        kwargs.setdefault("metadata", {"CreationDate": None})
    fig.savefig(tmp, format=fmt, **kwargs)


def _set_attr(obj, key, value):
    if value is None:
        value = "none"
    elif isinstance(value, (dict, list, tuple)) and not _is_numeric_seq(value):
        value = json.dumps(value)
    obj.attrs[key] = value


def _is_numeric_seq(value):
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return False
    return arr.dtype.kind in "biuf"


def write_estimate(group, est, N=None):
    """Write one :class:`lehmberg.result.Rates` to a group: datasets with errors, attrs for the rest."""
    d = est.as_dict(N)
    for key, value in d.items():
        if key.endswith("_err") or key in ("n_samples",):
            continue
        if isinstance(value, (int, float, list, tuple)) and _is_numeric_seq(value):
            ds = group.create_dataset(key, data=np.asarray(value, dtype=float))
            err = d.get(key + "_err")
            if err is not None:
                eds = group.create_dataset(key + "_err", data=np.asarray(err, dtype=float))
                eds.attrs["units"] = "Gamma"
                eds.attrs["description"] = f"standard error of {key}"
            if key != "d":
                ds.attrs["units"] = "Gamma"
            if isinstance(value, (list, tuple)):
                ds.attrs["components"] = "real, imag"
        else:
            _set_attr(group, key, value)
    group.attrs["n_samples"] = d["n_samples"]


def read_estimate(group):
    """Inverse of :func:`write_estimate`: a dict with the same keys as ``Estimate.as_dict()``."""
    out = {}
    for key, ds in group.items():
        arr = ds[()]
        out[key] = arr.tolist() if np.ndim(arr) else float(arr)
    for key, value in group.attrs.items():
        out[key] = value.item() if isinstance(value, np.generic) else value
    return out


def read_rates(path):
    """Read a file written by ``lehmberg rates --out``: ``{'inputs': {...}, 'intra': {...}, 'inter': {...}}``."""
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ValueError(f"{path} is not a readable HDF5 file ({exc})") from None
    with f:
        out = {"inputs": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()}}
        for name in ("intra", "inter"):
            if name in f:
                out[name] = read_estimate(f[name])
    return out
