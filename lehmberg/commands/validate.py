"""``lehmberg validate``: Appendix B checked numerically; writes the dataset and the figure."""

from pathlib import Path

import numpy as np

from .. import _checks
from . import _common as c


def register(subparsers):
    p = subparsers.add_parser(
        "validate", help="check Appendix B: k_L L scan, inter-cloud scan, Monte Carlo; HDF5 + figure",
        description="Scans k_L L (reference 0.01-1e4, Monte Carlo 0.3-300) and k_L R/(k_L L)^2 "
                    "(1e-3-10, R along the probe) and writes the dataset and a six-panel figure "
                    "(PNG and PDF). See docs/appendix-b.md.")
    p.add_argument("--out", default="appendix_b.nc", metavar="FILE.nc",
                   help="netCDF-4 dataset (default appendix_b.nc; the shipped one is data/appendix_b.nc)")
    p.add_argument("--fig", default="appendix_b.png", metavar="FILE.png",
                   help="figure; the PDF is written beside it (default appendix_b.png)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quick", action="store_true", help="a reduced scan (seconds; for tests)")
    p.add_argument("--mc-samples", type=c.positive_int, default=10**7,
                   help=f"cap on emission directions per Monte-Carlo (plane-wave) point, in "
                        f"[{_checks.SAMPLES_MIN}, {_checks.SAMPLES_MAX:.0e}] (default 1e7)")
    p.add_argument("--mc-rel-err", type=c.positive_float, default=1e-4,
                   help="relative error at which a Monte-Carlo point stops (default 1e-4)")
    p.add_argument("--no-mc", action="store_true", help="skip the Monte-Carlo points")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="master seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)
    return p


def run(args):
    from ..figures import appendix_b
    from ..io import write_outputs
    from ..validate import run_validation

    if not args.no_mc:
        for name, value, lo, hi in (("--mc-samples", args.mc_samples, _checks.SAMPLES_MIN,
                                     _checks.SAMPLES_MAX), ("--mc-rel-err", args.mc_rel_err, 0, 1)):
            c.in_range(value, name, lo, hi)
    c.check_out(args)
    png, pdf = c.check_figure(args)
    if Path(args.out).resolve() in (png.resolve(), pdf.resolve()):
        raise c.CLIError("argument --fig: must differ from --out")

    with c.progress("validate", "point") as progress:
        data = run_validation(args.quick, args.mc_samples, args.seed, progress, not args.no_mc,
                              args.mc_rel_err)
    c.require_finite(data["summary"], "summary")
    fig = appendix_b(data)
    write_outputs({args.out: dataset(data, args), png: fig, pdf: fig}, args.force)
    if args.json:
        c.print_json(data["summary"])
    else:
        s = data["summary"]
        print(f"wrote {args.out}, {png}, {pdf}")
        if "scaled_correction_at_kL_max" in s:
            print(f"  (Gamma_ij - 3/(4(k_L L)^2)) (k_L L)^4 at k_L L = {s['kL_max']:g}: "
                  f"{s['scaled_correction_at_kL_max']:.8f}   (exact limit -3/4)")
            print(f"  G_ij (k_L L)^3 at k_L L = {s['kL_max']:g}: {s['G_kL3_at_kL_max']:.8f}   "
                  f"(limit -7/(4 sqrt(2 pi)) = -0.69814899); fitted slope in log(k_L L): "
                  f"{s['G_kL3_log_slope']:.2e}")
        print(f"  paper's no-dipole inter-cloud formula vs reference: max relative difference "
              f"{s['paper_formula_max_rel_diff']:.1e}")
    return 0


_DESC = {
    "Gamma_ij": "paper's Gamma_ij = Re<J_ij> = Re Gamma_bar - Im G_bar in units of Gamma",
    "G_ij": "paper's G_ij = Im<J_ij> = Im Gamma_bar + Re G_bar in units of Gamma",
    "gamma_bar": "Gamma_bar = E[exp(i k_L.r) gamma(r)] in units of Gamma",
    "g_bar": "G_bar = E[exp(i k_L.r) g(r)] in units of Gamma",
}


def _put_rates(ds, prefix, d, dims, kind):
    from ..io import put

    for key in ("Gamma_ij", "G_ij", "gamma_bar", "g_bar"):
        put(ds, f"{prefix}_{key}", d[key], dims, f"{prefix}: {_DESC[key]}", "1", d[key + "_err"], kind)
    put(ds, f"{prefix}_n_samples", d["n_samples"], dims,
        f"{prefix}: integrand evaluations (reference) or directions (plane waves)", "1")


def dataset(data, args):
    """The Appendix B dataset: one netCDF-4 file, each scan on its own named dimensions."""
    from ..io import new_dataset, put

    coords = {
        "kL": (data["intra"]["kL"], "k_L L of the one-cloud scan (p_hat = x)", "1"),
        "kL_parallel": (data["intra_p_parallel"]["kL"], "k_L L of the one-cloud scan with p_hat = z", "1"),
        "kL_inter": (data["inter"]["kL"], "k_L L of the two-cloud scan", "1"),
        "ratio": (data["inter"]["ratio"], "Fresnel parameter k_L R / (k_L L)^2 (R along the probe)", "1"),
    }
    if "mc_intra" in data:
        coords["kL_mc"] = (data["mc_intra"]["kL"], "k_L L of the Monte-Carlo points", "1")
        coords["ratio_mc"] = (data["mc_inter"]["ratio"], "k_L R / (k_L L)^2 of the Monte-Carlo points", "1")
    attrs = {"geometry": "probe k_L along z; cloud I at 0, cloud II at R z; r = r_i - r_j, i in I, "
                         "j in II; Gaussian clouds, per-axis std L/sqrt(2); p_hat = x unless stated",
             "quick": bool(args.quick), "seed": int(args.seed),
             "mc_method": None if args.no_mc else "planewave (lehmberg.rates)",
             "mc_samples": None if args.no_mc else int(args.mc_samples),
             "mc_rel_err": None if args.no_mc else float(args.mc_rel_err),
             "summary": c._finite_or_none(data["summary"])}
    ds = new_dataset("Appendix B checked numerically: position-averaged Lehmberg rates",
                     c.command_line(args), attrs, coords)
    q = "quadrature error estimate"
    for name, dim in (("intra", "kL"), ("intra_parallel", "kL_parallel")):
        d = data["intra" if name == "intra" else "intra_p_parallel"]
        _put_rates(ds, name, d, (dim,), q)
        put(ds, f"{name}_asymptote", d["asymptote"], (dim,), "3/(4 (k_L L)^2) in units of Gamma")
        put(ds, f"{name}_scaled_correction", d["scaled_correction"], (dim,),
            "(Gamma_ij - 3/(4 (k_L L)^2)) (k_L L)^4 in units of Gamma")
        put(ds, f"{name}_G_kL3", d["G_kL3"], (dim,), "G_ij (k_L L)^3 in units of Gamma")
    d = data["inter"]
    put(ds, "inter_kR", d["kR"], ("kL_inter", "ratio"), "k_L R")
    _put_rates(ds, "inter_dipole", d["dipole"], ("kL_inter", "ratio"), q)
    _put_rates(ds, "inter_nodipole", d["nodipole"], ("kL_inter", "ratio"), q)
    put(ds, "inter_paper", d["paper"], ("kL_inter", "ratio"),
        "paper's 3/(4((k_L L)^2 + i k_L R)) (1 - exp(-2 (k_L L)^2 - 2 i k_L R)) in units of Gamma")
    _put_rates(ds, "inter_intra_same_kL", d["intra"], ("kL_inter",), q)
    if "mc_intra" in data:
        _put_rates(ds, "mc_intra", data["mc_intra"], ("kL_mc",), "standard error")
        put(ds, "mc_inter_kR", data["mc_inter"]["kR"], ("ratio_mc",), "k_L R")
        ds.attrs["mc_inter_kL"] = float(data["mc_inter"]["kL"])
        _put_rates(ds, "mc_inter", data["mc_inter"], ("ratio_mc",), "standard error")
    return ds
