"""``lehmberg figures``: Figs. 3, 4 (two-level) and Fig. 7-, 8-style curves (Cs-133 preset).

Each figure is written as PNG and PDF, and all plotted data go into one netCDF-4
file (default ``figures_entangle.nc``), the variables of figure n prefixed ``fign_``.
"""

from pathlib import Path

import numpy as np

from . import _common as c

GA_FIG3 = (0.0, 2.0, 5.0, 10.0, 20.0)
GA_FIG4 = (15.0, 20.0, 25.0, 30.0, 35.0)
GA_FIG78 = (0.0, 2.0, 5.0, 10.0, 20.0)


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


def fig3_data(d):
    from ..moments import two_level, xi_steady

    Z = np.linspace(1.01, 4.0, 300)
    return {"Z": Z, "gamma_add": np.array(GA_FIG3),
            "xi_inf": np.array([[xi_steady(two_level(d, Z=z, gamma_add=ga))[0] for z in Z]
                                for ga in GA_FIG3])}


def fig4_data(d):
    from ..moments import optimize_Z, two_level

    x = np.linspace(0.0, 10.0, 41)
    xi = np.empty((len(GA_FIG4), x.size))
    Zopt = np.empty_like(xi)
    for i, ga in enumerate(GA_FIG4):
        for j, xv in enumerate(x):
            Zopt[i, j], xi[i, j] = optimize_Z(d, ga, xv)
    Zin = np.linspace(1.01, 4.0, 200)
    P = np.array([[two_level(d, Z=z, x=xv).P_inf for z in Zin] for xv in (0.0, 5.0)])
    return {"x": x, "gamma_add": np.array(GA_FIG4), "xi_opt": xi, "Z_opt": Zopt,
            "Z_inset": Zin, "x_inset": np.array([0.0, 5.0]), "P_inf_inset": P}


def fig7_data(d):
    from ..cs133 import model, optimal_pump
    from ..moments import xi_exp_steady

    xr = np.geomspace(0.01, 10.0, 25)
    xp = np.array([optimal_pump(v) for v in xr])
    xi = np.array([[xi_exp_steady(model(d, p_, v, ga))[0] for p_, v in zip(xp, xr)]
                   for ga in GA_FIG78])
    return {"x_repump": xr, "x_pump": xp, "gamma_add": np.array(GA_FIG78), "xi_exp_inf": xi,
            "Z": model(d).Z}


def fig8_data(d):
    from ..cs133 import model, optimal_pump
    from ..moments import integrate_three_level, xi_exp_longtime

    xp = optimal_pump(0.0)
    t = np.concatenate([np.linspace(0, 0.1, 101), np.linspace(0.1, 3.0, 146)[1:]])
    xi, lt, n2 = [], [], None
    for ga in GA_FIG78:
        p = model(d, xp, 0.0, ga)
        sol = integrate_three_level(p, t)
        xi.append(sol.xi)
        lt.append(xi_exp_longtime(p, t))
        n2 = sol.arrays["N2"]
    return {"t": t, "gamma_add": np.array(GA_FIG78), "xi_exp": np.array(xi),
            "xi_exp_eq23": np.array(lt), "N2": n2, "x_pump": xp}


LONG = {"Z": "squeezing parameter Z", "gamma_add": "Gamma_d^add in units of Gamma",
        "xi_inf": "steady-state xi (Eq. 15)", "x": "pump parameter x", "xi_opt": "xi minimised over Z",
        "Z_opt": "optimal Z", "Z_inset": "Z of the inset", "x_inset": "x of the inset",
        "P_inf_inset": "steady-state P_2 of the inset", "x_repump": "repump strength",
        "x_pump": "pump strength", "xi_exp_inf": "steady-state xi_exp (Eq. 23)",
        "t": "time in units of 1/Gamma", "xi_exp": "xi_exp(t)", "xi_exp_eq23": "xi_exp(t), Eq. (23)",
        "N2": "N_2(t)/N"}


def dataset(data, args):
    """All plotted data in one CF dataset; the dimensions of each array found by its 1-D axes."""
    from ..io import new_dataset, put

    from ..cs133 import SOURCE

    attrs = {"d": args.d}
    if any(n in data for n in ("7", "8")):
        attrs["cs133_data_source"] = SOURCE
    ds = new_dataset("Figs. 3, 4, 7, 8 of the paper recomputed", c.command_line(args), attrs)
    for n, D in data.items():
        axes = {k: np.asarray(v) for k, v in D.items() if hasattr(v, "shape") and np.ndim(v) == 1}
        for k, v in D.items():
            if not hasattr(v, "shape"):
                ds.attrs[f"fig{n}_{k}"] = v
                continue
            v = np.asarray(v, dtype=float)
            if v.ndim == 1:
                dims = (f"fig{n}_{k}",)
            else:
                dims = []
                for i, size in enumerate(v.shape):
                    match = [a for a, arr in axes.items() if arr.size == size and f"fig{n}_{a}" not in dims]
                    dims.append(f"fig{n}_{match[0]}" if match else f"fig{n}_{k}_axis{i}")
                dims = tuple(dims)
            put(ds, f"fig{n}_{k}", v, dims, f"Fig. {n}: {LONG.get(k, k)}", "1")
    return ds


def run(args):
    from .. import figures
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
    c.in_range(d, "--d", hi=1e8)
    data = {}
    for n in which:
        data[n] = {"3": fig3_data, "4": fig4_data, "7": fig7_data, "8": fig8_data}[n](d)
    c.require_finite({n: {k: np.asarray(v, dtype=float).tolist() for k, v in D.items()
                          if hasattr(v, "shape")} for n, D in data.items()}, "figure data")
    outputs = {}
    for n, D in data.items():
        if n == "3":
            fig = figures.fig3(D["Z"], dict(zip(GA_FIG3, D["xi_inf"])), d)
        elif n == "4":
            fig = figures.fig4(D["x"], dict(zip(GA_FIG4, D["xi_opt"])), d, D["Z_inset"],
                               dict(zip((0.0, 5.0), D["P_inf_inset"])))
        elif n == "7":
            fig = figures.fig7(D["x_repump"], dict(zip(GA_FIG78, D["xi_exp_inf"])), d, D["Z"])
        else:
            fig = figures.fig8(D["t"], dict(zip(GA_FIG78, D["xi_exp"])), d,
                               dict(zip(GA_FIG78, D["xi_exp_eq23"])))
        outputs[out / f"fig{n}.png"] = fig
        outputs[out / f"fig{n}.pdf"] = fig
    outputs[out / args.data] = dataset(data, args)
    write_outputs(outputs, args.force)
    for t in targets:
        print(f"wrote {t}")
    return 0
