"""Where a scan keeps its results: a small store interface, its in-memory twin, and the file.

A store has five methods, called in this order by :func:`lehmberg.scan.run.run_scan`:

``open(grid) -> {index: fields}``
    The finished tasks already stored (and, for a file, the lock).  Called once per
    start; the existing file and its journal are read here and nowhere else.
``begin()``
    Before the first task of this run (the journal's header, a first snapshot).
``record(index, fields)``
    One finished task, made durable at once.
``checkpoint(records)``
    A snapshot of every finished task (:func:`dataset`).
``close(complete)``
    Release the store (the file: delete the journal once the file holds every task).

:class:`MemoryStore` keeps everything in memory (tests, notebooks);
:class:`FileStore` is the netCDF-4 file and its journal:

* ``OUT.journal`` — the source of truth while a scan runs: a JSON header line (the
  grid) and one JSON line per finished task, each written with one ``write`` and
  ``fsync``'d before the next task is taken.  A process killed mid-line leaves a torn
  last line, which the next start drops (that task runs again).  A failed write (full
  disk) is cut back, so the journal stays a valid prefix.
* ``OUT`` — the CF netCDF-4 dataset, rebuilt from memory and written through the
  package's one writer (:func:`lehmberg.io.write_outputs`: rendered in memory, staged
  beside the target, renamed into place) at checkpoints and at the end.
  Readers and a killed writer see a complete old or a complete new file, never a torn one.

An ``fcntl`` lock on the journal keeps two scans off one file; the kernel drops it when
its holder dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from pathlib import Path

import numpy as np

from .. import io
from .grid import AXES, FORMAT, Grid

__all__ = ["FIELDS", "FileStore", "MemoryStore", "ScanFileError", "dataset", "journal_path",
           "read_file"]

#: The result fields of one task (journal lines and file variables ``{pair}_{name}``):
#: name -> (kind, description).  Kinds: rate (float, in units of Γ), count, flag, text.
FIELDS = {
    "gamma_bar_re": ("rate", "real part of Gamma_bar = E[exp(i k_L.r) gamma(r)]"),
    "gamma_bar_im": ("rate", "imaginary part of Gamma_bar"),
    "gamma_bar_re_err": ("rate", "error of the real part of Gamma_bar"),
    "gamma_bar_im_err": ("rate", "error of the imaginary part of Gamma_bar"),
    "g_bar_re": ("rate", "real part of G_bar = E[exp(i k_L.r) g(r)]"),
    "g_bar_im": ("rate", "imaginary part of G_bar"),
    "g_bar_re_err": ("rate", "error of the real part of G_bar"),
    "g_bar_im_err": ("rate", "error of the imaginary part of G_bar"),
    "Gamma_ij": ("rate", "paper's Gamma_ij = Re<J_ij> = Re Gamma_bar - Im G_bar"),
    "Gamma_ij_err": ("rate", "error of Gamma_ij"),
    "G_ij": ("rate", "paper's G_ij = Im<J_ij> = Im Gamma_bar + Re G_bar"),
    "G_ij_err": ("rate", "error of G_ij"),
    "n_samples": ("count", "samples (Monte Carlo) or integrand evaluations (quadrature) used"),
    "target_met": ("flag", "rel_err target on Gamma_ij"),
    "method_used": ("text", "estimator that auto or the caller chose (a+b: Gamma_bar from a, "
                            "G_bar from b)"),
    "notes": ("text", "what the error bars do not cover"),
}
_PAIR_LABEL = {"intra": "i and j in cloud I", "inter": "i in cloud I, j in cloud II",
               "intra_II": "i and j in cloud II"}
_LABELS = {"R_dir": "R_dir_label", "p_hat": "p_hat_label", "method": "method_label"}
TITLE = "lehmberg scan: position-averaged Lehmberg rates over a grid"
SEED_RULE = ("each task runs lehmberg.rates with the seed lehmberg.scan.grid.task_seed(seed, "
             "point): SeedSequence(seed, spawn_key=4 words of the SHA-256 of the task's "
             "parameters), first 64-bit word >> 1; recorded per task in *_task_seed")


class ScanFileError(ValueError):
    """An existing output file or journal that cannot be resumed (another grid, unreadable,
    locked)."""


def journal_path(path) -> Path:
    """The journal beside the output file: ``OUT.journal``."""
    return Path(str(path) + ".journal")


# ----------------------------------------------------------------------------- the dataset

def dataset(grid: Grid, records: dict, command: str = ""):
    """The scan as a CF netCDF-4 ``xarray.Dataset`` (what the file holds), from finished tasks.

    Dimensions are the grid's axes (``kL``, ``kR``, ``R_dir``, ``p_hat``, ``method``,
    ``samples``, ``rel_err``, ``N``, and ``xyz`` for vector components).  Numeric axes
    are coordinate variables; the directions and estimators are labelled by the
    auxiliary coordinates ``R_dir_label``, ``p_hat_label`` and ``method_label``
    (``ds.set_xindex("p_hat_label").sel(p_hat_label="none")``).  Each pair of clouds
    has its variables ``intra_*`` / ``inter_*`` on its own dimensions; unfinished
    points are NaN with ``*_done = 0``.

    Examples
    --------
    >>> from lehmberg.scan import Grid
    >>> ds = dataset(Grid.build(kL="1,3"), {})
    >>> ds["intra_Gamma_ij"].dims, ds.attrs["Conventions"], int(ds["intra_done"].sum())
    (('kL', 'p_hat', 'method', 'samples', 'rel_err'), 'CF-1.11', 0)
    """
    tasks = grid.tasks
    attrs = {"lehmberg_scan_format": FORMAT,
             "lehmberg_scan_spec": json.dumps(grid.spec(), sort_keys=True),
             "lehmberg_scan_fingerprint": grid.fingerprint(),
             "seed": grid.seed, "shape": grid.shape, "pairs": ",".join(grid.pairs),
             "atoms": grid.atoms, "replicas": grid.replicas,
             "tasks_total": len(tasks), "tasks_done": len(records),
             "complete": int(len(records) == len(tasks)), "seed_rule": SEED_RULE}
    if grid.geometry is not None:  # the geometry the grid varies, and how
        attrs.update(geometry=grid.geometry, aspect_at_fixed=grid.keep)
    ds = io.new_dataset(TITLE, command, attrs)
    coords = {}
    for axis in AXES:
        if axis.name not in grid.axes() and not (axis.name == "N" and grid.N):
            continue
        values = getattr(grid, axis.name)
        if axis.kind in ("number", "integer"):
            data = np.array([0.0 if v is None else v for v in values],
                            dtype=np.int64 if axis.kind == "integer" else float)
            coords[axis.name] = (axis.name, data, {"long_name": axis.long_name,
                                                   "units": axis.units})
        else:
            labels = [v[0] if axis.kind == "direction" else v for v in values]
            coords[_LABELS[axis.name]] = (axis.name, np.array(labels, dtype=object),
                                          {"long_name": f"{axis.long_name} (label)"})
    ds = ds.assign_coords(coords)
    for name in ("R_dir", "p_hat"):
        if name in grid.axes():
            vec = np.array([[np.nan] * 3 if v is None else v for _, v in getattr(grid, name)])
            ds[f"{name}_vector"] = ((name, "xyz"), vec, {
                "long_name": f"unit vector of {name}, components x, y, z (k_L along z)"
                             + ("; NaN for none: no dipole factor" if name == "p_hat" else ""),
                "units": "1"})
    for pair in grid.pairs:
        _put_pair(ds, grid, pair, [t for t in tasks if t.pair == pair], records)
    return ds


def _put_pair(ds, grid, pair, tasks, records):
    dims, shape = grid.dims(pair), grid.shape_of(pair)
    label = _PAIR_LABEL[pair]
    col = {name: np.full(shape, np.nan) if kind == "rate" else
           np.full(shape, -1 if kind == "flag" else 0, dtype=np.int64) if kind != "text" else
           np.full(shape, "", dtype=object) for name, (kind, _) in FIELDS.items()}
    done = np.zeros(shape, dtype=np.int8)
    seed = np.zeros(shape, dtype=np.int64)
    for task in tasks:
        seed[task.position] = task.payload["seed"]
        rec = records.get(task.index)
        if rec is not None:
            done[task.position] = 1
            for name in FIELDS:
                col[name][task.position] = rec[name]
    kind = f"error (quadrature error estimate where {pair}_method_used is reference, else " \
           "standard error)"
    unit = "in units of Gamma"
    for q, what in (("gamma_bar", "position-averaged dissipative coefficient Gamma_bar"),
                    ("g_bar", "position-averaged coherent coefficient G_bar")):
        io.put(ds, f"{pair}_{q}", col[f"{q}_re"] + 1j * col[f"{q}_im"], dims,
               f"{what} {unit} ({label})", "1",
               col[f"{q}_re_err"] + 1j * col[f"{q}_im_err"], kind)
    for q in ("Gamma_ij", "G_ij"):
        io.put(ds, f"{pair}_{q}", col[q], dims, f"{FIELDS[q][1]} {unit} ({label})", "1",
               col[f"{q}_err"], kind)
    ds[f"{pair}_n_samples"] = (dims, col["n_samples"], {"long_name": f"{FIELDS['n_samples'][1]} "
                                                                     f"({label})", "units": "1"})
    ds[f"{pair}_target_met"] = (dims, col["target_met"].astype(np.int8), {
        "long_name": f"rel_err target on Gamma_ij reached ({label})",
        "flag_values": np.array([-1, 0, 1], dtype=np.int8),
        "flag_meanings": "no_target not_met met"})
    ds[f"{pair}_done"] = (dims, done, {"long_name": f"task finished ({label})",
                                       "flag_values": np.array([0, 1], dtype=np.int8),
                                       "flag_meanings": "not_done done"})
    for name in ("method_used", "notes"):
        ds[f"{pair}_{name}"] = (dims, col[name], {"long_name": f"{FIELDS[name][1]} ({label})"})
    ds[f"{pair}_task_seed"] = (dims, seed, {"long_name": "seed given to lehmberg.rates "
                                                         "(lehmberg.scan.grid.task_seed)",
                                            "units": "1"})
    if grid.N:
        N = np.asarray(grid.N).reshape((1,) * len(dims) + (-1,))
        io.put(ds, f"{pair}_d", col["Gamma_ij"][..., None] * N, dims + ("N",),
               f"optical depth d = N Gamma_ij ({label})", "1",
               col["Gamma_ij_err"][..., None] * N, kind)


# ----------------------------------------------------------------------------- reading

def read_file(path, grid: Grid):
    """The finished tasks of an existing scan file: ``({index: fields}, N)``.

    Raises :class:`ScanFileError` for a file that is not a readable scan of ``grid``.
    """
    try:
        ds = io.read_dataset(path)
    except ValueError as exc:
        raise ScanFileError(f"{exc}; remove it or use --force") from None
    spec_text = ds.attrs.get("lehmberg_scan_spec")
    if spec_text is None:
        raise ScanFileError(f"{path} is not a lehmberg scan file; choose another --out or use "
                            "--force to replace it")
    try:
        spec = json.loads(spec_text)
    except (TypeError, ValueError):
        raise ScanFileError(f"{path}: damaged scan description; use --force to start over") \
            from None
    _check_spec(spec, grid, path)
    records = {}
    try:
        for pair in grid.pairs:
            done = ds[f"{pair}_done"].values
            cols = {name: ds[f"{pair}_{name}"].values for name in FIELDS}
            if done.shape != grid.shape_of(pair):
                raise ValueError(f"{pair} variables have shape {done.shape}")
            for task in grid.tasks:
                if task.pair == pair and done[task.position]:
                    records[task.index] = {name: _plain(cols[name][task.position])
                                           for name in FIELDS}
        N = tuple(float(x) for x in ds["N"].values) if "N" in ds.coords else ()
    except (KeyError, ValueError, IndexError) as exc:
        raise ScanFileError(f"{path}: damaged scan file ({exc}); use --force to start over") \
            from None
    return records, N


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _check_spec(found, grid, path):
    want = grid.spec()
    if found == want:
        return
    for key in sorted(set(want) | set(found), key=lambda k: (k not in want, k)):
        if found.get(key) != want.get(key):
            raise ScanFileError(
                f"{path} holds a different scan ({key} is {_short(found.get(key))} there, "
                f"{_short(want.get(key))} here); choose another --out, or --force to discard it")
    raise ScanFileError(f"{path} holds a different scan; choose another --out, or --force")


def _short(value):
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_journal(fh, grid, path):
    """Records of an open journal and the byte length of its valid part (a torn last line is
    cut)."""
    fh.seek(0)
    data = fh.read()
    records, good = {}, 0
    ntasks = len(grid.tasks)
    lines = data.split(b"\n")
    for n, line in enumerate(lines[:-1]):  # the part after the last newline is torn (or empty)
        try:
            obj = json.loads(line)
            if n == 0:
                ok = obj.get("lehmberg_scan_journal") == FORMAT and isinstance(obj["spec"], dict)
            else:
                index = int(obj["index"])
                ok = 0 <= index < ntasks and all(k in obj for k in FIELDS)
        except (ValueError, TypeError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise ScanFileError(f"{path}: line {n + 1} is not a lehmberg scan journal entry; "
                                "remove the journal to resume from the file alone, or use --force")
        if n == 0:
            _check_spec(obj["spec"], grid, path)
        else:
            records[index] = {k: obj[k] for k in FIELDS}
        good += len(line) + 1
    return records, good


# ----------------------------------------------------------------------------- stores

def _local_locks():
    """While a Dask distributed client is the default, xarray guards netCDF writes with a
    ``distributed.Lock`` named after the target, which fails for the in-memory target of
    :func:`lehmberg.io.write_outputs`; the synchronous scheduler makes it a local lock."""
    import sys

    if "dask" not in sys.modules:
        return contextlib.nullcontext()
    import dask

    return dask.config.set(scheduler="synchronous")



class MemoryStore:
    """The in-memory twin of :class:`FileStore`: the same methods, no file, no lock.

    ``saved`` holds what a file would (the last checkpoint's records), ``journal`` the
    records in the order they were made durable, ``dataset`` the last checkpoint.

    Examples
    --------
    >>> from lehmberg.scan import Grid, run_scan
    >>> store = MemoryStore()
    >>> summary = run_scan(Grid.build(kL="10,100", method="reference"), store)
    >>> summary.done, len(store.journal), int(store.dataset["intra_done"].sum())
    (2, 2, 2)
    """

    def __init__(self, records: dict | None = None, N: tuple = (), command: str = ""):
        self.saved = dict(records or {})
        self.saved_N = tuple(N)
        self.command = command
        self.journal = []
        self.dataset = None
        self.checkpoints = 0
        self.grid = None
        self.began = False
        self.closed = None

    def open(self, grid: Grid) -> dict:
        if self.grid is not None and self.grid != grid:
            raise ScanFileError("this store is open for another grid")
        self.grid = grid
        valid = {t.index for t in grid.tasks}
        return {i: r for i, r in self.saved.items() if i in valid} | dict(self.journal)

    @property
    def up_to_date(self) -> bool:
        """The stored snapshot already holds every task and the grid's N: nothing to write."""
        return len(self.saved) == len(self.grid.tasks) and self.saved_N == self.grid.N \
            and not self.journal

    def begin(self) -> None:
        self.began = True

    def record(self, index: int, fields: dict) -> None:
        self.journal.append((index, dict(fields)))

    def checkpoint(self, records: dict) -> None:
        self.dataset = dataset(self.grid, records, self.command)
        self.saved, self.saved_N = dict(records), self.grid.N
        self.checkpoints += 1

    def close(self, complete: bool) -> None:
        self.closed = bool(complete)


class FileStore:
    """The scan's netCDF-4 file ``path`` and its journal ``path.journal`` (module docstring).

    Parameters
    ----------
    path : path-like
        The dataset (``.nc``, or ``.h5``); an existing one must hold the same grid.
    force : bool
        Ignore an existing file and journal and start over (the old file is removed
        when the first task starts, not before).
    command : str
        Recorded in the file's ``history``.
    """

    def __init__(self, path, force: bool = False, command: str = ""):
        self.path = Path(path)
        self.journal = journal_path(self.path)
        self.force = bool(force)
        self.command = command
        self.grid = None
        self._fh = None
        self._records = None
        self._file = ((), None)  # (indices in the file, N of the file)
        self._header = False
        self._new_journal = False

    # --------------------------------------------------------------- open: lock, read once
    def open(self, grid: Grid) -> dict:
        """Lock the journal and read the file and the journal (once per start)."""
        if self._records is not None:
            if grid != self.grid:
                raise ScanFileError(f"{self.path} is open for another grid")
            return dict(self._records)
        io.check_targets([self.path, self.journal], force=True)
        self._new_journal = not self.journal.exists()
        try:
            fh = open(self.journal, "a+b", buffering=0)
        except OSError as exc:
            raise io.OutputError(exc.errno or errno.EACCES,
                                 f"cannot write {self.journal}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScanFileError(f"another scan is writing {self.path} (it holds the lock "
                                    f"on {self.journal})") from None
            records = {}
            if self.force:
                fh.truncate(0)
            elif self.path.exists():
                records, N = read_file(self.path, grid)
                self._file = (frozenset(records), N)
            jrec, good = ({}, 0) if self.force else _read_journal(fh, grid, self.journal)
            records.update(jrec)
            fh.truncate(good)  # drop a torn last line before appending
            self._header = good > 0
        except BaseException:
            fh.close()
            if self._new_journal:
                with contextlib.suppress(OSError):
                    self.journal.unlink()
            raise
        self._fh, self.grid, self._records = fh, grid, records
        return dict(records)

    @property
    def up_to_date(self) -> bool:
        """The file already holds every task and the grid's N: nothing to run or write."""
        indices, N = self._file
        return len(indices) == len(self.grid.tasks) and N == self.grid.N and not self.force

    # --------------------------------------------------------------- writing
    def begin(self) -> None:
        """Write the journal header (if none); with ``force``, discard the old file now.

        The first snapshot comes at the first checkpoint: until then the journal alone
        holds the finished tasks, which a restart reads.
        """
        if not self._header:
            self._append({"lehmberg_scan_journal": FORMAT, "spec": self.grid.spec(),
                          "fingerprint": self.grid.fingerprint()})
            self._header = True
        if self.force:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def record(self, index: int, fields: dict) -> None:
        """Append one finished task to the journal and fsync it."""
        self._append({"index": int(index), **fields})
        self._records[int(index)] = dict(fields)

    def _append(self, obj) -> None:
        line = (json.dumps(obj, sort_keys=True) + "\n").encode()
        fd = self._fh.fileno()
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)  # keep the journal a valid prefix
            raise io.WriteError(exc.errno, f"cannot write {self.journal}: {exc.strerror}; "
                                           f"{self._resume_hint()}") from None
        if os.fstat(fd).st_nlink == 0:  # unlinked: the directory vanished (or someone removed it)
            raise io.WriteError(errno.ENOENT, f"cannot write {self.path}: its journal "
                                              f"{self.journal} was removed while the scan ran "
                                              "(did its directory vanish?); the finished tasks "
                                              "are lost")

    def checkpoint(self, records: dict) -> None:
        """Rewrite the whole file from ``records`` through :func:`lehmberg.io.write_outputs`."""
        ds = dataset(self.grid, records, self.command)
        try:
            with _local_locks():
                io.write_outputs({self.path: ds}, force=True)
        except (io.OutputError, io.WriteError) as exc:
            text = exc.strerror or str(exc)
            if "nothing was written" not in text:
                text += "; nothing was written"
            raise io.WriteError(exc.errno, f"{text}; {self._resume_hint()}") from None
        with contextlib.suppress(OSError):  # the rename itself durable
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        self._file = (frozenset(records), self.grid.N)

    def _resume_hint(self) -> str:
        n = len(self._records or ())
        if not n:
            return "no task had finished"
        if self.journal.exists():
            return (f"the journal {self.journal} keeps the {n} finished task(s): run the same "
                    "command again to resume")
        return f"the journal went with its directory: the {n} finished task(s) are lost"

    def close(self, complete: bool) -> None:
        """Delete the journal once the file holds every task (or nothing was done); unlock."""
        if self._fh is None:
            return
        indices, _ = self._file
        everything = complete and len(indices) == len(self.grid.tasks)
        nothing = not self._records and (self._new_journal or not self.path.exists())
        if everything or nothing:
            with contextlib.suppress(FileNotFoundError):
                self.journal.unlink()
        self._fh.close()
        self._fh = None
