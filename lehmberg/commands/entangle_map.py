"""``lehmberg entangle-map``: ξ_∞, ξ_best, E_N over k_L L and k_L R/(k_L L)² (SPEC §8)."""

import math

import numpy as np

from . import _common as c


def register(subparsers):
    p = subparsers.add_parser(
        "entangle-map", help="map of ξ_∞, ξ_best, E_N over k_L L and k_L R/(k_L L)² (netCDF + figure)",
        description="The two-mode Gaussian model (SPEC §8) at a fixed optical depth d, fed by the "
                    "couplings c = Γ̄_I,II/Γ̄_I,I, g_in, g_x of Gaussian clouds over a grid of k_L L "
                    "and the Fresnel parameter u = k_L R/(k_L L)² (R along the probe). Writes a "
                    "netCDF-4 file and a figure (PNG and PDF) marking where the paper's assumptions "
                    "(c = 1, no collective Lamb shifts) hold, the room-temperature experiment and a "
                    "cold-cloud setup. See lehmberg.entanglement_map for how each point is computed.")
    p.add_argument("--kL", default="1:1e5:40", metavar="START:STOP:NUM",
                   help="log-spaced k_L L grid (default 1:1e5:40)")
    p.add_argument("--u", default="1e-3:10:40", metavar="START:STOP:NUM",
                   help="log-spaced u = k_L R/(k_L L)^2 grid (default 1e-3:10:40)")
    p.add_argument("--d", type=c.positive_float, default=30.0, help="optical depth (default 30, <= 1e8)")
    zg = p.add_mutually_exclusive_group()
    zg.add_argument("--Z", type=c.finite_float, default=1.5, help="sideband weight Z > 1 (default 1.5)")
    zg.add_argument("--optimize-Z", action="store_true", help="at each point the Z minimising ξ_best")
    p.add_argument("--gamma-add", type=c.nonnegative_float, default=0.0,
                   help="Γ_d^add in units of Γ (default 0)")
    p.add_argument("--x", type=c.nonnegative_float, default=0.0, help="pump parameter (default 0)")
    p.add_argument("--p-hat", nargs="+", default=["1", "0", "0"], metavar="X Y Z|none",
                   help="dipole direction (default 1 0 0); none drops the dipole factor")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="seed of the plane-wave g_in")
    p.add_argument("--out", default="entanglement_map.nc", metavar="FILE.nc",
                   help="netCDF-4 file (default entanglement_map.nc)")
    p.add_argument("--fig", default="entanglement_map.png", metavar="FILE.png",
                   help="figure; the PDF is written beside it (default entanglement_map.png)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--json", action="store_true", help="print a summary as one JSON object")
    p.set_defaults(func=run)
    return p


def _grid(text, option):
    parts = text.split(":")
    if len(parts) != 3:
        raise c.CLIError(f"argument {option}: give START:STOP:NUM, got {text!r}")
    try:
        a, b = (c.positive_float(x) for x in parts[:2])
        n = c.positive_int(parts[2])
    except Exception as exc:
        raise c.CLIError(f"argument {option}: {exc}") from None
    if n > 200 or (n > 1 and a >= b):
        raise c.CLIError(f"argument {option}: need START < STOP and NUM <= 200, got {text!r}")
    return np.logspace(math.log10(a), math.log10(b), n)


def experiments():
    """The marked setups as (label, k_L L, u)."""
    from ..entanglement_map import EXPERIMENTS

    out = []
    for label, L, R, lam in EXPERIMENTS:
        kL = 2 * math.pi * L / lam
        out.append((label, kL, 2 * math.pi * R / lam / kL**2))
    return out


def run(args):
    from ..entanglement_map import entanglement_map
    from ..figures import entanglement_map as figure
    from ..io import new_dataset, put, write_outputs

    kL = _grid(args.kL, "--kL")
    u = _grid(args.u, "--u")
    p_hat = c.p_hat(args.p_hat)
    if p_hat is not None:
        p_hat = c.unit_vector(p_hat, "--p-hat")
    c.check_out(args, "--out", (".nc", ".h5"))
    fig_path, pdf = c.check_figure(args)
    with c.progress("entangle-map", "column") as progress:
        try:
            m = entanglement_map(kL, u, args.d, args.Z, args.gamma_add, args.x, args.optimize_Z,
                                 p_hat, seed=args.seed, progress=progress)
        except ValueError as exc:
            raise c.CLIError(c.as_option(str(exc))) from None
    exps = experiments()
    attrs = {"d": args.d, "gamma_add": args.gamma_add, "x": args.x,
             "Z_fixed": None if args.optimize_Z else args.Z, "optimize_Z": bool(args.optimize_Z),
             "p_hat": None if p_hat is None else list(map(float, p_hat)), "R_dir": [0.0, 0.0, 1.0],
             "kL_transfer": m["kL_transfer"], "separated_R_over_L": m["separated"],
             "method": "reference quadrature for k_L L <= kL_transfer; beyond, c and g_x transferred "
                       "from kL_transfer for separated clouds (error |f(kL_T) - f(kL_T/3)|/8 "
                       "propagated), g_in from plane waves (standard error propagated); errors of "
                       "reference points (< 1e-10) are not propagated",
             "experiments": {lab: {"kL": k, "u": uu} for lab, k, uu in exps}}
    coords = {"kL": (kL, "k_L L, cloud size", "1"),
              "u": (u, "Fresnel parameter u = k_L R / (k_L L)^2, R along the probe", "1")}
    ds = new_dataset("Entanglement of two Gaussian clouds over size and separation (Gaussian model)",
                     c.command_line(args), attrs, coords)
    dims = ("kL", "u")
    for key, long in (("xi_inf", "steady-state xi of the paper's quadratures (Eq. 3)"),
                      ("xi_inf_best", "steady-state xi at the best local rotation of cloud II"),
                      ("log_negativity", "logarithmic negativity E_N (natural log)")):
        put(ds, key, m[key], dims, long, "1", m[key + "_err"], "error (transfer bound and standard errors)")
    put(ds, "xi_paper", m["xi_paper"], dims, "xi of the paper's assumption c = 1, g_in = g_x = 0", "1")
    put(ds, "Z", m["Z"], dims, "sideband weight Z", "1")
    put(ds, "c", m["c"], dims, "c = Gamma_bar_I,II / Gamma_bar_I,I", "1")
    put(ds, "g_x", m["g_x"], dims, "g_x = G_bar_I,II / Gamma_bar_I,I", "1")
    put(ds, "g_in", m["g_in"], ("kL",), "g_in = G_bar_I,I / Gamma_bar_I,I", "1", m["g_in_err"])
    put(ds, "how", m["how"].astype(np.int32), dims, "0: reference, 1: transferred, 2: not computed",
        "1", flag_values=np.array([0, 1, 2], dtype=np.int32),
        flag_meanings="reference transferred not_computed")
    fig = figure(m, exps)
    write_outputs({args.out: ds, fig_path: fig, pdf: fig}, args.force)
    computed = m["how"] < 2
    summary = {"points": int(m["how"].size), "computed": int(computed.sum()),
               "entangled_xi": int(np.sum(m["xi_inf"][computed] < 1)),
               "entangled_xi_best": int(np.sum(m["xi_inf_best"][computed] < 1)),
               "experiments": {lab: {"kL": k, "u": uu} for lab, k, uu in exps}}
    if args.json:
        c.print_json(summary)
    else:
        print(f"{summary['computed']} of {summary['points']} points computed; ξ_∞ < 1 at "
              f"{summary['entangled_xi']}, ξ_best < 1 at {summary['entangled_xi_best']}")
        print(f"wrote {args.out}, {fig_path}, {pdf}")
    return 0
