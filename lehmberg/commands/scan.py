"""``lehmberg scan``: a grid of rates through :func:`lehmberg.rates`, in-process or on Dask,
checkpointed to one CF netCDF-4 file.

Usage and guarantees: docs/scan.md.  The work is done by :mod:`lehmberg.scan`; this
module checks every option (all limits before any work or cluster), shows progress
and prints the summary.
"""

import contextlib
import sys

from . import _common as c

#: How each grid parameter is named in error messages.
OPTIONS = {"kL": "--kL", "kR": "--kR", "R_dir": "--R-dir", "p_hat": "--p-hat",
           "method": "--method", "samples": "--samples", "rel_err": "--rel-err", "N": "--N",
           "pairs": "--pairs", "shape": "--shape", "seed": "--seed", "atoms": "--atoms",
           "replicas": "--replicas", "scale": "--scale", "aspect": "--aspect", "waist": "--waist",
           "probe_angle": "--probe-angle", "keep": "--keep"}
#: File name suffixes of --out.
SUFFIXES = (".nc", ".h5")
#: Longest --checkpoint-every (a day).
CHECKPOINT_MAX = 86400.0


def register(subparsers):
    from .. import _checks
    from ..estimators import ATOMS_MAX, CLOUD_SECONDS_MAX
    from ..scan.grid import AXES, TASKS_MAX
    from ..scan.run import WORKER_MEMORY, machine, workers_max

    cores, memory = machine()
    p = subparsers.add_parser(
        "scan", help="grid scan of rates through lehmberg.rates (in-process or on Dask), "
                     "resumable netCDF-4",
        description="Position-averaged rates (lehmberg.rates, the estimators of lehmberg rates) "
                    "over a grid of k_L L, k_L R, directions, estimators and their settings: one "
                    "task per grid point, reproducible from --seed whatever runs it, each "
                    "finished task journaled at once; re-running the same command on the same "
                    "--out resumes. Lists: '1,3,10,30'; ranges 'START:STOP:NUM' (linear) or "
                    f"'START:STOP:NUM:log'. Limits, checked before any work: at most "
                    f"{TASKS_MAX:,} tasks; per task the limits of lehmberg rates (samples, "
                    "atoms x replicas, the reference's cost). See docs/scan.md.")
    p.add_argument("--config", metavar="GRID.toml",
                   help="grid in a TOML file (options given here override its entries)")
    for axis in AXES:
        if axis.name == "kR":
            p.add_argument("--kR", metavar="LIST", help=axis.help)
            p.add_argument("--pairs", metavar="intra,inter",
                           help="pairs of clouds to scan (default: intra, plus inter with --kR)")
            continue
        p.add_argument(axis.option, metavar="LIST", dest=axis.name, help=axis.help)
    p.add_argument("--shape", default=None, metavar="gaussian|cube",
                   help="cloud shape (default gaussian)")
    p.add_argument("--geometry", metavar="FILE.toml",
                   help="clouds of their own (docs/geometry.md): the grid varies this geometry "
                        "by --kR, --scale, --aspect, --waist and --probe-angle (instead of --kL, "
                        "--R-dir, --p-hat, --shape); pairs intra, inter and intra_II")
    p.add_argument("--keep", default=None, metavar="volume|area",
                   help="with --aspect: keep each cloud's volume (default) or its transverse "
                        "area L1 L2")
    p.add_argument("--seed", default=None,
                   help=f"master seed in [0, {_checks.SEED_MAX}] (default 0); each task's seed "
                        "follows from it and the task's parameters (docs/scan.md)")
    p.add_argument("--atoms", default=None,
                   help=f"realised clouds of this many atoms (with --method auto or clouds), "
                        f"in [{_checks.ATOMS_MIN}, {ATOMS_MAX:.0e}], at most "
                        f"a predicted {CLOUD_SECONDS_MAX:g} s over all replicas per task")
    p.add_argument("--replicas", default=None,
                   help=f"realised clouds per task (default 32), in [{_checks.REPLICAS_MIN}, "
                        f"{_checks.REPLICAS_MAX:.0e}]")
    p.add_argument("--out", metavar="FILE.nc", required=True,
                   help="the netCDF-4 dataset (.nc or .h5); an existing one with the same grid "
                        "and seed is resumed")
    p.add_argument("--force", action="store_true",
                   help="ignore an existing --out (and its journal) and start over")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", default=None, metavar="N",
                       help=f"run on a local Dask cluster of N worker processes, at most "
                            f"{workers_max()} here (4 x the {cores} cores, and one per "
                            f"{WORKER_MEMORY // 2**20} MiB of the {memory / 2**30:.0f} GiB); "
                            f"more than {cores} is slower (a warning says so). Started only "
                            "when there is something to run (default: run here, no Dask)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask scheduler: tcp://HOST:PORT or a "
                            "scheduler file")
    p.add_argument("--dashboard", nargs="?", const="8787", default=None, metavar="PORT",
                   help="with --workers: serve the Dask dashboard on 127.0.0.1:PORT (default "
                        "port 8787; 0: any free port). Without it no HTTP server is started")
    p.add_argument("--checkpoint-every", default="10", metavar="SECONDS",
                   help=f"rewrite the file at most this often, in [0, {CHECKPOINT_MAX:g}] "
                        "(every task is journaled at once; 0: after every task; default 10)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)
    return p


def _checked(check, value, option):
    try:
        return check(value)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        name = text.split(" ", 1)[0]
        raise c.CLIError(f"argument {option}: {text[len(name) + 1:]}") from None


def options(args):
    """The checked execution options: (workers, scheduler, dashboard, checkpoint_every)."""
    from .. import _checks
    from ..scan.run import WORKER_MEMORY, check_scheduler, machine, workers_max

    out = args.out
    if not out.strip():
        raise c.CLIError("argument --out: empty file name")
    from pathlib import Path

    if Path(out).suffix.lower() not in SUFFIXES:
        raise c.CLIError(f"argument --out: must end in {' or '.join(SUFFIXES)}, got "
                         f"{Path(out).name!r}")
    workers = None
    if args.workers is not None:
        cores, memory = machine()
        try:
            workers = _checked(lambda v: _checks.integer(_number(v), "workers", 1, workers_max()),
                               args.workers, "--workers")
        except c.CLIError as exc:
            if "<=" not in str(exc):
                raise
            raise c.CLIError(f"{exc} (4 x the {cores} cores here, and one per "
                             f"{WORKER_MEMORY // 2**20} MiB of memory)") from None
    scheduler = None
    if args.scheduler is not None:
        scheduler = _checked(check_scheduler, args.scheduler, "--scheduler")
    dashboard = None
    if args.dashboard is not None:
        if workers is None:
            raise c.CLIError("argument --dashboard: only with --workers (an existing scheduler "
                             "serves its own dashboard)")
        dashboard = _checked(lambda v: _checks.integer(_number(v), "dashboard", 0, 65535),
                             args.dashboard, "--dashboard")
    every = _checked(lambda v: _checks.number(_number(v), "checkpoint_every", 0.0, CHECKPOINT_MAX),
                     args.checkpoint_every, "--checkpoint-every")
    return workers, scheduler, dashboard, every


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(f"value must be a number, got {text!r}") from None


def grid_from_args(args):
    """The checked :class:`lehmberg.scan.Grid` of the options (and --config)."""
    from ..scan import Grid, GridError, grid_from_toml

    values = {key: getattr(args, key) for key in OPTIONS}
    names = {key: f"argument {opt}" for key, opt in OPTIONS.items()}
    try:
        if args.geometry is not None:
            values["geometry"] = c.read_geometry_file(args.geometry)
            names["geometry"] = "argument --geometry"
        if args.config is not None:
            if not args.config.strip():
                raise c.CLIError("argument --config: empty file name")
            return grid_from_toml(args.config, values, names)
        if args.kL is None and args.geometry is None:
            raise c.CLIError("argument --kL: required (or give --config or --geometry)")
        return Grid.build(names=names, **values)
    except GridError as exc:
        raise c.CLIError(str(exc)) from None


def run(args):
    from .. import scan
    from ..io import OutputError
    from ..scan.run import machine

    workers, scheduler, dashboard, every = options(args)
    grid = grid_from_args(args)  # every value and every limit, before anything is started
    command = c.command_line(args)
    store = scan.FileStore(args.out, force=args.force, command=command)
    try:
        store.open(grid)  # the lock, and the existing file read once
    except (scan.ScanFileError, OutputError) as exc:
        raise c.CLIError(f"argument --out: {getattr(exc, 'strerror', None) or exc}") from None
    up_to_date = store.up_to_date

    def cluster(n_todo):
        if scheduler is not None:
            try:
                return scan.connect(scheduler)
            except Exception as exc:  # distributed raises OSError, TimeoutError, ValueError ...
                raise c.CLIError(f"argument --scheduler: cannot connect to {scheduler} "
                                 f"({type(exc).__name__}: {exc})") from None
        return _local(workers, n_todo, dashboard, machine()[0])

    try:
        with c.progress("scan", "task") as progress:
            summary = scan.run_scan(grid, store, cluster if workers or scheduler else None,
                                    progress=progress, checkpoint_every=every)
    except KeyboardInterrupt:
        c.fail(f"lehmberg scan: interrupted; the tasks finished so far are kept in {args.out} "
               "and its journal; run the same command again to resume", 130)
    if args.json:
        c.print_json(summary.as_dict())
    elif summary.started == "nothing":
        print(f"scan: {summary.tasks} tasks, all already in {args.out}: nothing to run, nothing "
              "started" + ("" if up_to_date else f"; rewrote {args.out} (new --N)"))
    else:
        print(f"scan: {summary.tasks} tasks: {summary.done} done, {summary.skipped} skipped "
              f"(already in the file), {summary.failed} failed; wall time {summary.wall_s:.1f} s")
        print(f"wrote {args.out}" + ("" if summary.complete else " (incomplete)"))
    if summary.not_met:
        c.warn(f"{summary.not_met} task(s) did not reach their --rel-err within --samples "
               "(target_met = 0 in the file)")
    for index, message in summary.failures[:10]:
        print(f"lehmberg scan: task {index} failed: {message}", file=sys.stderr)
    if summary.failed:
        print(f"lehmberg scan: {summary.failed} task(s) failed; run the same command again to "
              "retry them", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _local(workers, n_todo, dashboard, cores):
    """The local cluster, started now (there is work); a warning when it oversubscribes."""
    from ..scan import local_client

    n = min(workers, n_todo)
    if n > cores:
        c.warn(f"--workers {n} is more than the {cores} cores here: the workers take turns on "
               f"the cores and each gets fewer Numba threads, so the scan will be slower than "
               f"with --workers {cores} or without --workers")
    with local_client(n, dashboard=dashboard) as client:
        if dashboard is not None:
            print(f"lehmberg scan: Dask dashboard at {client.dashboard_link}", file=sys.stderr)
        yield client
