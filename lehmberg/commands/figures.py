"""``lehmberg figures``: Figs. 3, 4 (two-level) and Fig. 7-, 8-style curves (Cs-133 preset).

Each figure is written as PNG and PDF, and all plotted data go into one HDF5
file (default ``data/figures_entangle.h5``), one group per figure, with units.
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
    p.add_argument("--outdir", default="data", help="output directory (default data/)")
    p.add_argument("--d", type=c.positive_float, default=30.0, help="optical depth (default 30)")
    p.add_argument("--which", default="3,4,7,8", help="comma-separated figure numbers (default all)")
    p.add_argument("--h5", default="figures_entangle.h5", help="data file name inside --outdir")
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


UNITS = {"Z": "1", "gamma_add": "Gamma", "xi_inf": "1", "x": "1", "xi_opt": "1", "Z_opt": "1",
         "Z_inset": "1", "x_inset": "1", "P_inf_inset": "1", "x_repump": "1", "x_pump": "1",
         "xi_exp_inf": "1", "t": "1/Gamma", "xi_exp": "1", "xi_exp_eq23": "1", "N2": "N"}


def run(args):
    import matplotlib.pyplot as plt

    from .. import figures
    from ..io import check_targets, new_h5, save_figure, staged

    which = []
    for part in args.which.split(","):
        if part.strip() not in ("3", "4", "7", "8"):
            raise c.CLIError(f"argument --which: figures are 3, 4, 7, 8; got {part.strip()!r}")
        which.append(part.strip())
    out = Path(args.outdir)
    if not out.is_dir():
        raise c.CLIError(f"argument --outdir: {out} is not a directory")
    if Path(args.h5).suffix.lower() not in (".h5", ".hdf5"):
        raise c.CLIError(f"argument --h5: must end in .h5, got {args.h5!r}")
    targets = [out / f"fig{n}.{ext}" for n in which for ext in ("png", "pdf")] + [out / args.h5]
    check_targets(targets, args.force)  # before minutes of work, not after
    d = args.d
    data = {}
    for n in which:
        data[n] = {"3": fig3_data, "4": fig4_data, "7": fig7_data, "8": fig8_data}[n](d)
    c.require_finite({n: {k: np.asarray(v, dtype=float).tolist() for k, v in D.items()
                          if hasattr(v, "shape")} for n, D in data.items()}, "figure data")
    with staged(targets, args.force) as tmps:
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
            for ext in ("png", "pdf"):
                i = targets.index(out / f"fig{n}.{ext}")
                save_figure(fig, tmps[i], targets[i], dpi=110)
            plt.close(fig)
        with new_h5(tmps[-1]) as f:
            f.attrs["command"] = c.command_line(args)
            f.attrs["d"] = d
            f.attrs["units"] = "rates in units of Gamma; times in units of 1/Gamma"
            for n, D in data.items():
                g = f.create_group(f"fig{n}")
                for k, v in D.items():
                    if hasattr(v, "shape"):
                        ds = g.create_dataset(k, data=v)
                        ds.attrs["units"] = UNITS.get(k, "1")
                    else:
                        g.attrs[k] = v
    for t in targets:
        print(f"wrote {t}")
    return 0
