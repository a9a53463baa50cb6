"""``lehmberg figures``: Figs. 3, 4 (two-level) and Fig. 7-, 8-style curves (Cs-133 preset).

Each figure is written as PNG and PDF, and all plotted data go into one netCDF-4
file (default ``figures_entangle.nc``), the variables of figure n prefixed ``fign_``.
The data are :func:`lehmberg.entanglement.figure_data`'s (named dimensions); this command
parses, calls it and :mod:`lehmberg.figures`, and writes.
"""

from pathlib import Path

import numpy as np

from . import _common as c

def register(subparsers):
    p = subparsers.add_parser(
        "figures", help="Figs. 3, 4, 7, 8 of the paper (PNG, PDF and HDF5 data)",
        description="Recompute Figs. 3 and 4 (two-level model) and Fig. 7- and 8-style curves "
                    "(three-level model, Cs-133 preset) from the moment equations.")
    p.add_argument("--outdir", default=".", help="output directory (default the current one; "
                                                 "the shipped figures are in data/)")
    p.add_argument("--d", type=c.positive_float, default=30.0, help="optical depth (default 30)")
    p.add_argument("--which", default="3,4,7,8", help="comma-separated figure numbers (default all)")
    p.add_argument("--data", default="figures_entangle.nc",
                   help="netCDF-4 data file name inside --outdir (default figures_entangle.nc)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)
    return p


def dataset(data, args):
    """All plotted data in one CF dataset: the variables of figure n, and their named
    dimensions, prefixed ``fign_``; its scalars as the global attributes ``fign_<name>``."""
    from ..io import new_dataset, put

    attrs = {"d": args.d}
    sources = [D.attrs["cs133_data_source"] for D in data.values() if "cs133_data_source" in D.attrs]
    if sources:
        attrs["cs133_data_source"] = sources[0]
    ds = new_dataset("Figs. 3, 4, 7, 8 of the paper recomputed", c.command_line(args), attrs)
    for n, D in data.items():
        for k, v in D.attrs.items():
            if k not in ("figure", "d", "cs133_data_source"):
                ds.attrs[f"fig{n}_{k}"] = v
        for k in list(D.coords) + list(D.data_vars):
            v = D[k]
            put(ds, f"fig{n}_{k}", np.asarray(v.values, dtype=float),
                tuple(f"fig{n}_{dim}" for dim in v.dims), f"Fig. {n}: {v.attrs['long_name']}",
                v.attrs["units"])
    return ds


def run(args):
    from .. import figures
    from ..entanglement import figure_data
    from ..io import OutputError, check_targets, write_outputs

    which = []
    for part in args.which.split(","):
        if part.strip() not in ("3", "4", "7", "8"):
            raise c.CLIError(f"argument --which: figures are 3, 4, 7, 8; got {part.strip()!r}")
        which.append(part.strip())
    out = Path(args.outdir)
    if not str(args.outdir).strip():
        raise c.CLIError("argument --outdir: empty directory name")
    if not out.is_dir():
        raise c.CLIError(f"argument --outdir: {out} is not a directory")
    if Path(args.data).suffix.lower() not in (".nc", ".h5") or Path(args.data).name != args.data:
        raise c.CLIError(f"argument --data: a file name ending in .nc, got {args.data!r}")
    targets = [out / f"fig{n}.{ext}" for n in which for ext in ("png", "pdf")] + [out / args.data]
    try:
        check_targets(targets, args.force)  # before minutes of work, not after
    except OutputError as exc:
        raise c.CLIError(f"argument --outdir: {exc.strerror}") from None
    d = args.d
    try:
        data = {n: figure_data(n, d) for n in which}
    except ValueError as exc:
        raise c.CLIError(c.as_option(str(exc))) from None
    c.require_finite({n: {k: D[k].values.tolist() for k in D.variables} for n, D in data.items()},
                     "figure data")
    outputs = {}
    for n, D in data.items():
        def curves(name, key="gamma_add"):
            return {float(g): D[name].sel({key: g}).values for g in D[key].values}

        if n == "3":
            fig = figures.fig3(D["Z"].values, curves("xi_inf"), d)
        elif n == "4":
            fig = figures.fig4(D["x"].values, curves("xi_opt"), d, D["Z_inset"].values,
                               curves("P_inf_inset", "x_inset"))
        elif n == "7":
            fig = figures.fig7(D["x_repump"].values, curves("xi_exp_inf"), d, D.attrs["Z"])
        else:
            fig = figures.fig8(D["t"].values, curves("xi_exp"), d, curves("xi_exp_eq23"))
        outputs[out / f"fig{n}.png"] = fig
        outputs[out / f"fig{n}.pdf"] = fig
    outputs[out / args.data] = dataset(data, args)
    write_outputs(outputs, args.force)
    for t in targets:
        print(f"wrote {t}")
    return 0
