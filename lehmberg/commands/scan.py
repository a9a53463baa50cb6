"""``lehmberg scan``: a grid of Monte-Carlo rates, in-process or on Dask, checkpointed to HDF5.

Usage and guarantees: docs/scan.md.  The work is done by :mod:`lehmberg.scan`;
this module validates the input, shows progress and prints the summary.
"""

import sys

from pathlib import Path

from . import _common as c

#: CLI option of every grid parameter, for error messages.
OPTIONS = {"kL": "--kL", "kR": "--kR", "R_dir": "--R-dir", "p_hat": "--p-hat",
           "samples": "--samples", "rel_err": "--rel-err", "N": "--N", "pairs": "--pairs",
           "shape": "--shape", "seed": "--seed"}


def register(subparsers):
    p = subparsers.add_parser(
        "scan", help="grid scan of Monte-Carlo rates (in-process or on Dask), resumable HDF5",
        description="Monte-Carlo rates over a grid of k_L L, k_L R, directions and estimator "
                    "settings: one task per grid point, reproducible from --seed whatever runs "
                    "it, each finished task saved at once. Re-running the same command on the "
                    "same --out resumes. Lists: '1,3,10,30'; ranges 'START:STOP:NUM' (linear) "
                    "or 'START:STOP:NUM:log'. See docs/scan.md.")
    p.add_argument("--config", metavar="GRID.toml",
                   help="grid in a TOML file (options given here override its entries)")
    p.add_argument("--kL", metavar="LIST", help="k_L L values (> 0)")
    p.add_argument("--kR", metavar="LIST",
                   help="k_L R values (>= 0); absent: inside cloud I only")
    p.add_argument("--pairs", metavar="intra,inter",
                   help="pairs of clouds to scan (default: intra, plus inter with --kR)")
    p.add_argument("--R-dir", metavar="LIST",
                   help="directions of R: x, y, z, -x, -y, -z or X:Y:Z (default z)")
    p.add_argument("--p-hat", metavar="LIST",
                   help="dipole directions as for --R-dir, or none for no dipole factor "
                        "(default x)")
    p.add_argument("--samples", metavar="LIST",
                   help="pair samples per task, >= 1024 (with --rel-err: the cap; default 1e6)")
    p.add_argument("--rel-err", metavar="LIST",
                   help="target relative standard errors of Gamma_ij (0: none; default 0)")
    p.add_argument("--N", metavar="LIST",
                   help="atoms per cloud: adds d = N Gamma_ij (no extra Monte Carlo)")
    p.add_argument("--shape", choices=["gaussian", "cube"], default=None,
                   help="cloud shape (default gaussian)")
    p.add_argument("--seed", type=c.nonnegative_int, default=None,
                   help="master seed (default 0); task i uses SeedSequence(seed, spawn_key=(i,))")
    p.add_argument("--out", metavar="FILE.h5", required=True,
                   help="the dataset; an existing one with the same grid and seed is resumed")
    p.add_argument("--force", action="store_true",
                   help="discard an existing --out (and its journal) and start over")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=c.positive_int, default=None,
                       help="start a local Dask cluster with this many worker processes "
                            "(default: run here, no Dask)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask scheduler: tcp://HOST:PORT or a "
                            "scheduler file")
    p.add_argument("--checkpoint-every", type=c.nonnegative_float, default=10.0,
                   metavar="SECONDS",
                   help="rewrite the HDF5 file at most this often (every task is journaled at "
                        "once; default 10)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)
    return p


def grid_from_args(args):
    """The validated :class:`lehmberg.scan.Grid` of the options (and --config)."""
    from ..scan import Grid, GridError, grid_from_toml

    values = {"kL": args.kL, "kR": args.kR, "R_dir": args.R_dir, "p_hat": args.p_hat,
              "samples": args.samples, "rel_err": args.rel_err, "N": args.N,
              "pairs": args.pairs, "shape": args.shape, "seed": args.seed}
    names = {key: f"argument {opt}" for key, opt in OPTIONS.items()}
    try:
        if args.config:
            return grid_from_toml(args.config, values, names)
        if args.kL is None:
            raise c.CLIError("argument --kL: required (or give --config)")
        values["shape"] = values["shape"] or "gaussian"
        values["seed"] = values["seed"] or 0
        return Grid.build(names=names, **values)
    except GridError as exc:
        raise c.CLIError(str(exc)) from None


def run(args):
    from .. import scan

    grid = grid_from_args(args)
    if Path(args.out).suffix.lower() not in (".h5", ".hdf5", ".nc"):
        raise c.CLIError(f"argument --out: must end in .h5 (HDF5), got {Path(args.out).name!r}")
    try:
        if not args.force:
            scan.check_file(args.out, grid)  # before a cluster is started
    except scan.ScanFileError as exc:
        raise c.CLIError(f"argument --out: {exc}") from None
    with _client(args) as client:
        bar = None
        state = {"finished": 0}

        def progress(finished, to_run):
            nonlocal bar
            if bar is None:
                bar = c.progress_bar(to_run, "scan", "task")
            bar.update(finished - bar.n)
            state["finished"] = finished

        command = c.command_line(args)
        try:
            summary = scan.run_scan(grid, args.out, client, progress, args.checkpoint_every,
                                    args.force, command)
        except scan.ScanFileError as exc:
            raise c.CLIError(f"argument --out: {exc}") from None
        except KeyboardInterrupt:
            c.fail(f"lehmberg scan: interrupted; the tasks finished so far are saved in "
                   f"{args.out}; run the same command again to resume", 130)
        finally:
            if bar is not None:
                bar.close()
    if args.json:
        c.print_json(summary.as_dict())
    else:
        print(f"scan: {summary.tasks} tasks: {summary.done} done, {summary.skipped} skipped "
              f"(already in the file), {summary.failed} failed; wall time {summary.wall_s:.1f} s")
        print(f"wrote {args.out}" + ("" if summary.complete else " (incomplete)"))
    for index, message in summary.failures[:10]:
        print(f"lehmberg scan: task {index} failed: {message}", file=sys.stderr)
    if summary.failed:
        print(f"lehmberg scan: {summary.failed} task(s) failed; run the same command again to "
              "retry them", file=sys.stderr)
        return 1
    return 0


class _client:
    """Context manager: None (run here), a local cluster's client, or a scheduler's client."""

    def __init__(self, args):
        self.args = args
        self.stack = None

    def __enter__(self):
        import contextlib

        from .. import scan

        self.stack = contextlib.ExitStack()
        if self.args.workers:
            return self.stack.enter_context(scan.local_client(self.args.workers))
        if self.args.scheduler:
            try:
                client = scan.connect(self.args.scheduler)
            except (OSError, TimeoutError, ValueError) as exc:
                raise c.CLIError(f"argument --scheduler: cannot connect to "
                                 f"{self.args.scheduler} ({exc})") from None
            return self.stack.enter_context(client)
        return None

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)
