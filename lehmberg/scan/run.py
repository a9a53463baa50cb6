"""Running a scan: one task through :func:`lehmberg.rates`, in this process or on Dask.

``client=None`` (and no ``workers``) runs the tasks here, one after another; Numba uses
every core inside each task and no server is started.  ``workers=N`` starts a local
Dask cluster of N worker processes on 127.0.0.1 — only when there is something to run,
with no HTTP server (no dashboard) unless ``dashboard`` names a port.  A
``distributed.Client`` (an existing scheduler) may be passed instead.  On Dask every
task is submitted at once and results are taken as they complete; the scheduler runs
again the task of a worker that dies (up to ``distributed.scheduler.allowed-failures``
times).  The scan process is the only writer of the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import time
import warnings

from .grid import Grid, _geometry
from .store import FIELDS, FileStore

__all__ = ["Summary", "run_task", "run_scan", "local_client", "connect", "machine",
           "workers_max", "WORKER_MEMORY"]

#: Memory a worker process needs (interpreter, NumPy, Numba, one task's buffers); with 4×
#: the cores it bounds ``workers``.
WORKER_MEMORY = 512 * 2**20


def machine() -> tuple[int, int]:
    """(cores this process may use, bytes of physical memory)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 8 * 2**30
    return max(1, cores), int(memory)


def workers_max() -> int:
    """The most local workers a scan starts: 4 × the cores, and one per 512 MiB of memory."""
    cores, memory = machine()
    return max(1, min(4 * cores, memory // WORKER_MEMORY))


# ----------------------------------------------------------------------------- one task

def run_task(payload: dict) -> dict:
    """Run one task: :func:`lehmberg.rates` at the task's point; returns its :data:`FIELDS`.

    Pure: the result depends on ``payload`` only (its seed included), not on the
    process, the thread count or the order of tasks.  This is what Dask workers run.
    A rel_err target not met is recorded (``target_met = 0``), not warned about.

    Examples
    --------
    >>> from lehmberg.scan import Grid
    >>> task = Grid.build(kL="100", method="reference").tasks[0]
    >>> out = run_task(task.payload)
    >>> out["method_used"], round(out["Gamma_ij"] * 100**2, 6)
    ('reference', 0.749925)
    """
    from .. import rates
    from ..result import TargetNotMetWarning

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetNotMetWarning)
        est = rates(_geometry(payload), payload["method"], samples=payload["samples"],
                    rel_err=payload["rel_err"], seed=payload["seed"], atoms=payload["atoms"],
                    replicas=payload["replicas"])
    if not (math.isfinite(est.gamma_bar.real) and math.isfinite(est.gamma_bar.imag)):
        raise ArithmeticError(f"non-finite gamma_bar ({est.gamma_bar}) from {est.method}")
    out = fields(est)
    out["index"] = payload["index"]
    out["wall_s"] = time.perf_counter() - t0
    return out


def fields(est) -> dict:
    """The flat :data:`FIELDS` of a :class:`lehmberg.Rates` (complex values as re/im)."""
    out = {}
    for q in ("gamma_bar", "g_bar"):
        value, err = getattr(est, q), getattr(est, q + "_err")
        out.update({f"{q}_re": value.real, f"{q}_im": value.imag,
                    f"{q}_re_err": err.real, f"{q}_im_err": err.imag})
    out.update(Gamma_ij=est.Gamma_ij, Gamma_ij_err=est.Gamma_ij_err, G_ij=est.G_ij,
               G_ij_err=est.G_ij_err, n_samples=int(est.n_samples),
               target_met=-1 if est.target_met is None else int(bool(est.target_met)),
               method_used=est.method, notes="; ".join(est.notes))
    out = {k: float(v) if isinstance(v, float) else v for k, v in out.items()}
    assert set(out) == set(FIELDS)
    return out


# ----------------------------------------------------------------------------- summary

@dataclasses.dataclass
class Summary:
    """End-of-run account of a scan.

    Attributes
    ----------
    tasks : int
        Tasks in the grid.
    done, skipped, failed : int
        Run now; already stored; failed now (``failures`` lists (index, message)).
    not_met : int
        Tasks of this run whose rel_err target was not reached within their samples.
    wall_s : float
        Seconds of this run.
    complete : bool
        The store holds every task.
    started : str
        Where the tasks ran: ``"nothing"`` (nothing to run), ``"here"`` or ``"dask"``.
    path : str
        The file (empty for a :class:`lehmberg.scan.MemoryStore`).
    """

    tasks: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    not_met: int = 0
    wall_s: float = 0.0
    failures: list = dataclasses.field(default_factory=list)
    complete: bool = False
    started: str = "nothing"
    path: str = ""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------- execution

def _run_here(todo, task_fn):
    for task in todo:
        try:
            yield task.index, task_fn(task.payload), None
        except Exception as exc:  # a failed task is reported, the scan goes on
            yield task.index, None, f"{type(exc).__name__}: {exc}"


def _run_dask(client, todo, prefix):
    from distributed import as_completed

    futures = [client.submit(run_task, t.payload, key=f"{prefix}-{t.index}", pure=False)
               for t in todo]
    index = {f.key: t.index for f, t in zip(futures, todo)}
    try:
        for fut in as_completed(futures):
            try:
                yield index[fut.key], fut.result(), None
            except Exception as exc:  # includes KilledWorker after allowed-failures deaths
                yield index[fut.key], None, f"{type(exc).__name__}: {exc}"
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


def _executor(client, workers, n_todo, dashboard):
    """A context manager yielding None (run here) or a Dask client, started only now."""
    if client is not None and workers is not None:
        raise ValueError("workers: give either a client or workers, not both")
    if workers is not None:
        return local_client(min(int(workers), n_todo), dashboard=dashboard)
    if client is None:
        return contextlib.nullcontext(None)
    if callable(client) and not hasattr(client, "submit"):
        return client(n_todo)  # a factory: started only when there is work
    return contextlib.nullcontext(client)


def run_scan(grid: Grid, store, client=None, *, workers: int | None = None,
             dashboard: int | None = None, progress=None, checkpoint_every: float = 10.0,
             force: bool = False, command: str = "") -> Summary:
    """Run every unfinished task of ``grid`` and keep the results in ``store``.

    Parameters
    ----------
    grid : Grid
        The validated grid (every limit already checked).
    store : path-like, FileStore or MemoryStore
        Where the results go; a path means ``FileStore(path, force, command)``.  An
        existing file must hold the same grid and is resumed.
    client : distributed.Client or callable, optional
        Run on this Dask client, or on the client that ``client(n_to_run)`` returns as
        a context manager (called only when there is something to run).
    workers : int, optional
        Start a local Dask cluster of this many workers (at most the tasks to run),
        only when there is something to run.  Default: run in this process.
    dashboard : int, optional
        With ``workers``: serve the Dask dashboard on 127.0.0.1 at this port
        (default: no HTTP server at all).
    progress : callable, optional
        ``progress(finished, to_run)`` after every task of this run (done or failed).
    checkpoint_every : float
        Seconds between snapshots of the file (every task is journaled at once;
        0: a snapshot after every task).
    force, command
        For a path ``store``: start over; the command recorded in ``history``.

    Returns
    -------
    Summary

    Raises
    ------
    lehmberg.io.WriteError
        The store could not be written (full disk, vanished directory); the journal
        keeps every task finished so far, and running again resumes.
    ScanFileError, lehmberg.io.OutputError
        The store cannot be used (another grid, unreadable, locked, unwritable).
    """
    t0 = time.perf_counter()
    if not hasattr(store, "checkpoint"):
        store = FileStore(store, force=force, command=command)
    records = store.open(grid)
    summary = Summary(tasks=len(grid.tasks), path=str(getattr(store, "path", "")))
    complete = False
    try:
        todo = [t for t in grid.tasks if t.index not in records]
        summary.skipped = len(grid.tasks) - len(todo)
        if not todo:
            if not store.up_to_date:  # N changed, or the journal had what the file lacks
                store.checkpoint(records)
            complete = summary.complete = True
            summary.wall_s = time.perf_counter() - t0
            return summary
        with _executor(client, workers, len(todo), dashboard) as dask_client:
            summary.started = "here" if dask_client is None else "dask"
            store.begin()
            if progress is not None:
                progress(0, len(todo))
            from . import run as this  # the module attribute, so tests can replace run_task

            stream = (_run_here(todo, this.run_task) if dask_client is None else
                      _run_dask(dask_client, todo, f"lehmberg-scan-{grid.fingerprint()[:12]}"))
            last, finished = time.monotonic(), 0
            try:
                for index, result, error in stream:
                    finished += 1
                    if error is None:
                        result = {k: result[k] for k in FIELDS}
                        store.record(index, result)
                        records[index] = result
                        summary.done += 1
                        summary.not_met += result["target_met"] == 0
                    else:
                        summary.failed += 1
                        summary.failures.append((index, error))
                    if time.monotonic() - last >= checkpoint_every:
                        store.checkpoint(records)
                        last = time.monotonic()
                    if progress is not None:
                        progress(finished, len(todo))
                stream.close()
                store.checkpoint(records)
            except KeyboardInterrupt:
                stream.close()
                with contextlib.suppress(OSError):  # keep what is journaled in the file too
                    store.checkpoint(records)
                raise
            finally:  # a store failure: the journal is the record, nothing more is written
                stream.close()
        complete = summary.complete = len(records) == len(grid.tasks)
        summary.wall_s = time.perf_counter() - t0
        return summary
    finally:
        store.close(complete)


# ----------------------------------------------------------------------------- Dask

def _no_http_server(self, *args, **kwargs):
    """Dask starts an HTTP server in every scheduler and worker (``dashboard_address=None``
    still listens on 8787 and on one port per worker); these classes start none."""


_QUIET = {}


def __getattr__(name):
    """``QuietScheduler`` and ``QuietWorker``: Dask's classes without the HTTP server.

    Made on first use (``distributed`` is imported only when Dask is used) and
    importable by name, so worker processes unpickle them.
    """
    if name not in ("QuietScheduler", "QuietWorker"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _QUIET:
        import distributed

        base = distributed.Scheduler if name == "QuietScheduler" else distributed.Worker
        _QUIET[name] = type(name, (base,), {"start_http_server": _no_http_server,
                                            "__module__": __name__, "__qualname__": name,
                                            "__doc__": f"A Dask {base.__name__} without its "
                                                       "HTTP server."})
    return _QUIET[name]


@contextlib.contextmanager
def local_client(n_workers: int, threads: int | None = None, dashboard: int | None = None):
    """A Dask cluster of ``n_workers`` processes on 127.0.0.1 and its client.

    Each worker runs one task at a time; Numba inside it gets ``threads`` threads
    (default: the cores divided among the workers).  No HTTP server is started unless
    ``dashboard`` gives a port (0: any free port) for the scheduler's dashboard.

    Parameters
    ----------
    n_workers : int
        Worker processes, in [1, :func:`workers_max`].
    threads : int, optional
        Numba threads per worker.
    dashboard : int, optional
        Port of the dashboard on 127.0.0.1.
    """
    from distributed import Client, Nanny, Scheduler, SpecCluster

    cores, _ = machine()
    n = int(n_workers)
    if not 1 <= n <= workers_max():
        raise ValueError(f"workers must be in [1, {workers_max()}], got {n_workers!r}")
    threads = threads or max(1, cores // n)
    if dashboard is None:
        scheduler = {"cls": __getattr__("QuietScheduler"),
                     "options": {"host": "127.0.0.1", "dashboard": False}}
    else:
        scheduler = {"cls": Scheduler,
                     "options": {"host": "127.0.0.1", "dashboard": True,
                                 "dashboard_address": f"127.0.0.1:{int(dashboard)}"}}
    worker = {"cls": Nanny, "options": {"nthreads": 1, "host": "127.0.0.1",
                                        "worker_class": __getattr__("QuietWorker"),
                                        "env": {"NUMBA_NUM_THREADS": str(threads)},
                                        # a worker's own log (e.g. its last heartbeat racing
                                        # the shutdown) is noise here: task errors come back
                                        # through their results
                                        "silence_logs": logging.CRITICAL}}
    with SpecCluster(scheduler=scheduler, workers={i: worker for i in range(n)},
                     silence_logs=logging.ERROR, name="lehmberg-scan") as cluster, \
            Client(cluster) as client:
        yield client


def connect(address: str, timeout: float = 30):
    """A client of an existing Dask scheduler: ``tcp://HOST:PORT`` or a scheduler file.

    Raises ValueError naming ``scheduler`` for an empty address or a file that is not a
    scheduler file (JSON with an ``address``).
    """
    from distributed import Client

    address = check_scheduler(address)
    if os.path.isfile(address):
        return Client(scheduler_file=address, timeout=timeout)
    return Client(address, timeout=timeout)


def check_scheduler(address: str) -> str:
    """``address`` if it looks like a scheduler address or names a scheduler file; ValueError
    naming ``scheduler`` otherwise (before anything is started)."""
    import json
    import re

    if not isinstance(address, str) or not address.strip():
        raise ValueError("scheduler: empty address (give tcp://HOST:PORT or a scheduler file)")
    if os.path.isdir(address):
        raise ValueError(f"scheduler: {address} is a directory, not a scheduler file")
    if os.path.exists(address):
        try:
            with open(address, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError):
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("address"), str):
            raise ValueError(f"scheduler: {address} is not a Dask scheduler file (JSON with an "
                             "'address', as written by dask scheduler --scheduler-file)")
        return address
    if not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-\[\]:]+:\d+", address):
        raise ValueError(f"scheduler: {address!r} is neither an address (tcp://HOST:PORT) nor an "
                         "existing scheduler file")
    return address
