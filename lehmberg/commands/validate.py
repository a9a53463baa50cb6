"""``lehmberg validate``: Appendix B checked numerically; writes the dataset and the figure."""

import json
from pathlib import Path

import numpy as np

from ..io import new_h5, save_figure, staged
from . import _common as c


def register(subparsers):
    p = subparsers.add_parser(
        "validate", help="check Appendix B: k_L L scan, inter-cloud scan, Monte Carlo; HDF5 + figure",
        description="Scans k_L L (reference 0.01-1e4, Monte Carlo 0.3-300) and k_L R/(k_L L)^2 "
                    "(1e-3-10, R along the probe) and writes the dataset and a six-panel figure "
                    "(PNG and PDF). See docs/appendix-b.md.")
    p.add_argument("--out", default="data/appendix_b.h5", metavar="FILE.h5",
                   help="HDF5 dataset (default data/appendix_b.h5)")
    p.add_argument("--fig", default="data/appendix_b.png", metavar="FILE.png",
                   help="figure; the PDF is written beside it (default data/appendix_b.png)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quick", action="store_true", help="a reduced scan (seconds; for tests)")
    p.add_argument("--mc-samples", type=c.positive_int, default=10**7,
                   help="pair samples per Monte-Carlo point (default 1e7; 0 points with --no-mc)")
    p.add_argument("--no-mc", action="store_true", help="skip the Monte-Carlo points")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="master seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=run)
    return p


def _check_fig(args):
    fig = Path(args.fig)
    if fig.suffix.lower() != ".png":
        raise c.CLIError(f"argument --fig: must end in .png, got {args.fig!r}")
    pdf = fig.with_suffix(".pdf")
    for f in (fig, pdf):
        if f.is_dir():
            raise c.CLIError(f"argument --fig: {f} is a directory")
        if f.exists() and not args.force:
            raise c.CLIError(f"argument --fig: {f} exists (use --force to overwrite)")
    if not (fig.parent if str(fig.parent) else Path(".")).is_dir():
        raise c.CLIError(f"argument --fig: directory {fig.parent} does not exist")
    return fig, pdf


def run(args):
    from ..validate import figure, n_points, run_validation

    if args.mc_samples < 1024 and not args.no_mc:
        raise c.CLIError(f"argument --mc-samples: must be >= 1024, got {args.mc_samples}")
    if not args.out.endswith((".h5", ".hdf5")):
        raise c.CLIError(f"argument --out: must end in .h5, got {args.out!r}")
    c.check_out(args)
    png, pdf = _check_fig(args)
    if Path(args.out).resolve() in (png.resolve(), pdf.resolve()):
        raise c.CLIError("argument --fig: must differ from --out")

    total = n_points(args.quick, not args.no_mc)
    with c.progress_bar(total, "validate", "point") as bar:
        def progress(label):
            bar.set_description(label, refresh=False)
            bar.update(1)

        data = run_validation(args.quick, args.mc_samples, args.seed, progress, not args.no_mc)
    fig = figure(data)
    c.require_finite(data["summary"], "summary")
    with staged([args.out, png, pdf], args.force) as (t_h5, t_png, t_pdf):
        write_h5(t_h5, data, args)
        save_figure(fig, t_png, png, dpi=110)
        save_figure(fig, t_pdf, pdf)
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


def _put(group, name, value, units="Gamma", description="", dims=None):
    value = np.asarray(value)
    if np.iscomplexobj(value):
        value = np.stack([value.real, value.imag], axis=-1)
        description = (description + " " if description else "") + "[..., 0] real, [..., 1] imag"
    ds = group.create_dataset(name, data=value)
    if units:
        ds.attrs["units"] = units
    if description:
        ds.attrs["description"] = description
    if dims:
        for i, scale in enumerate(dims):
            ds.dims[i].attach_scale(scale)
    return ds


_DESC = {
    "Gamma_ij": "Re<J_ij> = Re gamma_bar - Im g_bar",
    "G_ij": "Im<J_ij> = Im gamma_bar + Re g_bar",
    "gamma_bar": "E[exp(i k_L.r) gamma(r)]",
    "g_bar": "E[exp(i k_L.r) g(r)]",
}


def _put_rates(group, d, dims, error_kind):
    for key in ("Gamma_ij", "G_ij", "gamma_bar", "g_bar"):
        _put(group, key, d[key], description=_DESC[key], dims=dims)
        _put(group, key + "_err", d[key + "_err"], description=error_kind + " of " + key, dims=dims)
    _put(group, "n_samples", d["n_samples"], units="", dims=dims,
         description="integrand evaluations (reference) or pair samples (Monte Carlo)")


def write_h5(path, data, args):
    """The dataset: one group per scan, coordinates as HDF5 dimension scales with units."""
    with new_h5(path) as f:
        f.attrs["command"] = c.command_line(args)
        f.attrs["units"] = "rates in units of Gamma; lengths in units of 1/k_L"
        f.attrs["geometry"] = ("probe k_L along z; cloud I at 0, cloud II at R z; r = r_i - r_j, "
                               "i in I, j in II; Gaussian clouds, per-axis std L/sqrt(2)")
        f.attrs["quick"] = bool(args.quick)
        f.attrs["seed"] = int(args.seed)
        f.attrs["mc_samples"] = int(args.mc_samples) if not args.no_mc else 0
        f.attrs["summary"] = json.dumps(c._finite_or_none(data["summary"]))

        for name, p_hat in (("intra", "1 0 0"), ("intra_p_parallel", "0 0 1")):
            d = data[name]
            g = f.create_group(name)
            g.attrs["p_hat"] = p_hat
            g.attrs["method"] = "reference"
            kL = _put(g, "kL", d["kL"], units="1", description="k_L L")
            kL.make_scale("kL")
            _put_rates(g, d, [kL], "quadrature error estimate")
            _put(g, "asymptote", d["asymptote"], description="3/(4 (k_L L)^2)", dims=[kL])
            _put(g, "scaled_correction", d["scaled_correction"],
                 description="(Gamma_ij - 3/(4 (k_L L)^2)) (k_L L)^4", dims=[kL])
            _put(g, "G_kL3", d["G_kL3"], description="G_ij (k_L L)^3", dims=[kL])

        d = data["inter"]
        g = f.create_group("inter")
        g.attrs["p_hat"] = "1 0 0"
        g.attrs["R_dir"] = "0 0 1"
        g.attrs["method"] = "reference"
        kL = _put(g, "kL", d["kL"], units="1", description="k_L L")
        kL.make_scale("kL")
        ratio = _put(g, "ratio", d["ratio"], units="1", description="k_L R / (k_L L)^2")
        ratio.make_scale("ratio")
        _put(g, "kR", d["kR"], units="1", description="k_L R", dims=[kL, ratio])
        for sub in ("dipole", "nodipole"):
            _put_rates(g.create_group(sub), d[sub], [kL, ratio], "quadrature error estimate")
        g["nodipole"].attrs["kernel"] = "(3/2) sin x/x and -(3/2) cos x/x (the paper's inter-cloud kernel)"
        _put(g, "paper", d["paper"], description="3/(4((k_L L)^2 + i k_L R)) (1 - exp(-2 (k_L L)^2 - 2 i k_L R))",
             dims=[kL, ratio])
        gi = g.create_group("intra_same_kL")
        _put_rates(gi, d["intra"], [kL], "quadrature error estimate")

        if "mc_intra" in data:
            d = data["mc_intra"]
            g = f.create_group("mc_intra")
            g.attrs["method"] = "Monte Carlo, independent pairs"
            g.attrs["p_hat"] = "1 0 0"
            kL = _put(g, "kL", d["kL"], units="1", description="k_L L")
            kL.make_scale("kL")
            _put_rates(g, d, [kL], "standard error")
            d = data["mc_inter"]
            g = f.create_group("mc_inter")
            g.attrs["method"] = "Monte Carlo, independent pairs"
            g.attrs["kL"] = float(d["kL"])
            g.attrs["R_dir"] = "0 0 1"
            ratio = _put(g, "ratio", d["ratio"], units="1", description="k_L R / (k_L L)^2")
            ratio.make_scale("ratio")
            _put(g, "kR", d["kR"], units="1", description="k_L R", dims=[ratio])
            _put_rates(g, d, [ratio], "standard error")
