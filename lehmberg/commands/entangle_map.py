"""``lehmberg entangle-map``: ξ_∞, ξ_best, E_N over k_L L and k_L R/(k_L L)² (SPEC §8)."""

import json
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
    p.add_argument("--kL", default=None, metavar="START:STOP:NUM",
                   help="log-spaced k_L L grid (default 1:1e5:40)")
    p.add_argument("--u", default=None, metavar="START:STOP:NUM",
                   help="log-spaced u = k_L R/(k_L L)^2 grid (default 1e-3:10:40)")
    p.add_argument("--d", type=c.positive_float, default=None,
                   help="optical depth (default 30, <= 1e8)")
    p.add_argument("--geometry", metavar="FILE.toml",
                   help="instead of --kL/--u/--d/--p-hat: two clouds of their own with N each "
                        "(docs/geometry.md), mapped over one or two --axis")
    p.add_argument("--axis", action="append", metavar="NAME=LIST",
                   help="with --geometry: a geometry axis, NAME one of kR, scale, aspect, waist, "
                        "probe_angle; LIST as in lehmberg scan ('1,2,4', '1:10:10:log'); give "
                        "one or two")
    p.add_argument("--keep", default="volume", metavar="volume|area",
                   help="with --axis aspect=...: keep each cloud's volume (default) or its "
                        "transverse area")
    p.add_argument("--method", default="auto", metavar="NAME",
                   help="with --geometry: the estimator of the rates (as lehmberg rates; "
                        "default auto)")
    p.add_argument("--rel-err", type=c.positive_float, default=None,
                   help="with --geometry: target relative error of each rate (Monte Carlo)")
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

    if args.geometry is not None:
        return _run_geometry(args)
    for option in ("axis", "method", "rel_err"):
        if getattr(args, option) not in (None, "auto"):
            raise c.CLIError(f"argument --{option.replace('_', '-')}: only with --geometry")
    if args.keep != "volume":
        raise c.CLIError("argument --keep: only with --geometry")
    args.kL = args.kL or "1:1e5:40"
    args.u = args.u or "1e-3:10:40"
    args.d = 30.0 if args.d is None else args.d
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


def _axes(items):
    """{name: values} of the --axis options (checked by Geometry.varied when used)."""
    from ..entanglement_map import GEOMETRY_AXES
    from ..scan.grid import GridError, parse_values

    if not items or len(items) > 2:
        raise c.CLIError("argument --axis: give one or two geometry axes with --geometry")
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in GEOMETRY_AXES:
            raise c.CLIError(f"argument --axis: give NAME=LIST with NAME one of "
                             f"{', '.join(GEOMETRY_AXES)}, got {item!r}")
        if name in out:
            raise c.CLIError(f"argument --axis: {name} given twice")
        try:
            out[name] = parse_values(text, f"argument --axis {name}", allow_none=name == "waist")
        except GridError as exc:
            raise c.CLIError(str(exc)) from None
        if len(out[name]) > 200:
            raise c.CLIError(f"argument --axis: at most 200 values of {name}")
    return out


def _run_geometry(args):
    """``entangle-map --geometry FILE --axis NAME=LIST``: the two-cloud Gaussian model over
    geometry axes (:func:`lehmberg.entanglement_map.geometry_map`)."""
    from ..entanglement_map import GEOMETRY_AXES, geometry_map
    from ..figures import geometry_map as figure
    from ..io import new_dataset, put, write_outputs

    for option in ("kL", "u", "d"):
        if getattr(args, option) is not None:
            raise c.CLIError(f"argument --{option}: not with --geometry (the file gives the "
                             "clouds and their N; vary them with --axis)")
    if args.p_hat != ["1", "0", "0"]:
        raise c.CLIError("argument --p-hat: not with --geometry (the file gives the dipole)")
    axes = _axes(args.axis)
    geo = c.read_geometry_file(args.geometry)
    c.check_out(args, "--out", (".nc", ".h5"))
    fig_path, pdf = c.check_figure(args)
    with c.progress("entangle-map", "point") as progress:
        try:
            m = geometry_map(geo, axes, Z=args.Z, gamma_add=args.gamma_add, x=args.x,
                             optimize_Z=args.optimize_Z, keep=args.keep, method=args.method,
                             rel_err=args.rel_err, seed=args.seed, progress=progress)
        except ValueError as exc:
            word, _, rest = str(exc).partition(" ")
            if word.rstrip(":") in axes:  # a value of an --axis option
                raise c.CLIError(f"argument --axis {word.rstrip(':')}: {rest}") from None
            raise c.CLIError(c.as_option(str(exc))) from None
    names = m["axes"]
    coords = {n: (m[n], GEOMETRY_AXES[n][0] + (" (0: none)" if n == "waist" else ""),
                  GEOMETRY_AXES[n][1]) for n in names}
    if "waist" in coords:
        coords["waist"] = (np.nan_to_num(m["waist"], nan=0.0),) + coords["waist"][1:]
    attrs = {"geometry": json.dumps(geo.as_dict(), sort_keys=True), "geometry_file": str(args.geometry),
             "gamma_add": args.gamma_add, "x": args.x, "optimize_Z": bool(args.optimize_Z),
             "Z_fixed": None if args.optimize_Z else args.Z, "aspect_at_fixed": args.keep,
             "method": args.method, "rel_err": args.rel_err, "seed": args.seed,
             "model": "two-cloud Gaussian model (SPEC 8, 9): k_XY = sqrt(N_X N_Y P_X P_Y) "
                      "Gamma_bar_YX; d_X = N_X Gamma_bar_XX from each cloud's N"}
    ds = new_dataset("Entanglement of two clouds of their own over geometry axes (Gaussian "
                     "model)", c.command_line(args), attrs, coords)
    dims = tuple(names)
    kind = "error propagated from the rates' errors"
    for key, long in (("xi_inf", "steady-state xi of the paper's quadratures (Eq. 3)"),
                      ("xi_best", "steady-state xi at the best local rotation of cloud II"),
                      ("log_negativity", "logarithmic negativity E_N (natural log)"),
                      ("d", "optical depth of cloud I, N_I Gamma_bar_I,I"),
                      ("d_II", "optical depth of cloud II, N_II Gamma_bar_II,II")):
        put(ds, key, m[key], dims, long, "1", m[key + "_err"], kind)
    put(ds, "Z", m["Z"], dims, "sideband weight Z", "1")
    put(ds, "c", m["c"], dims, "c = Gamma_bar_I,II / sqrt(Gamma_bar_I,I Gamma_bar_II,II)", "1")
    put(ds, "g_x", m["g_x"], dims, "g_x = G_bar_I,II / sqrt(Gamma_bar_I,I Gamma_bar_II,II)", "1")
    put(ds, "g_in", m["g_in"], dims, "g_in = G_bar_I,I / Gamma_bar_I,I", "1")
    put(ds, "g_in_II", m["g_in_II"], dims, "g_in_II = G_bar_II,II / Gamma_bar_II,II", "1")
    ds["methods"] = (dims, m["methods"].astype(str), {"long_name": "estimators of the rates"})
    fig = figure(m)
    write_outputs({args.out: ds, fig_path: fig, pdf: fig}, args.force)
    ok = np.isfinite(m["xi_inf"])
    summary = {"points": int(ok.size), "entangled_xi": int(np.sum(m["xi_inf"][ok] < 1)),
               "entangled_xi_best": int(np.sum(m["xi_best"][ok] < 1)),
               "xi_inf_min": float(np.nanmin(m["xi_inf"])), "axes": list(names)}
    if args.json:
        c.print_json(summary)
    else:
        print(f"{summary['points']} points; ξ_∞ < 1 at {summary['entangled_xi']}, ξ_best < 1 at "
              f"{summary['entangled_xi_best']}; smallest ξ_∞ {summary['xi_inf_min']:.4g}")
        print(f"wrote {args.out}, {fig_path}, {pdf}")
    return 0
