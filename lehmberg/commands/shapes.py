"""``lehmberg shapes``: the shape dependence of the rates and the entanglement of two cigars
probed along and across their axis (:func:`lehmberg.shapes.shape_dependence`)."""


import numpy as np

from . import _common as c


def register(subparsers):
    p = subparsers.add_parser(
        "shapes", help="Γ_ij, d and ξ of two cigars against their aspect ratio, along and "
                       "across the probe (netCDF + figure)",
        description="Two identical Gaussian cigars of the volume of the paper's cloud of size "
                    "k_L L, in series along the probe at k_L R, probed along or across their "
                    "axis with a linear (x, y) or σ+ dipole: Γ_ij against the leading law "
                    "3/(4A), the optical depth and the Gaussian model's ξ over the aspect ratio "
                    "(SPEC §9). Writes a CF netCDF-4 file and a figure (PNG and PDF).")
    p.add_argument("--kL", type=c.positive_float, default=30.0,
                   help="k_L L of the round cloud of the same volume (default 30)")
    p.add_argument("--aspect", default="1:20:12", metavar="START:STOP:NUM",
                   help="log-spaced aspect ratios L3/L_perp (default 1:20:12)")
    p.add_argument("--keep", default="volume", metavar="volume|area",
                   help="keep the volume (default) or the transverse area fixed")
    p.add_argument("--N", type=c.positive_float, default=3.6e4, help="atoms per cloud "
                                                                     "(default 3.6e4)")
    p.add_argument("--kR", type=c.positive_float, default=400.0,
                   help="k_L R, distance of the centres along the probe (default 400)")
    p.add_argument("--Z", type=c.finite_float, default=1.5, help="sideband weight (default 1.5)")
    p.add_argument("--gamma-add", type=c.nonnegative_float, default=1.0,
                   help="Γ_d^add in units of Γ (default 1)")
    p.add_argument("--out", default="shapes.nc", metavar="FILE.nc",
                   help="netCDF-4 file (default shapes.nc; the shipped one is data/shapes.nc)")
    p.add_argument("--fig", default="shapes.png", metavar="FILE.png",
                   help="figure; the PDF is written beside it (default shapes.png)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)
    return p


def _aspects(text):
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError(f"give START:STOP:NUM, got {text!r}")
        a, b = (c.positive_float(x) for x in parts[:2])
        n = c.positive_int(parts[2])
        if n > 100 or (n > 1 and a >= b):
            raise ValueError(f"need START < STOP and NUM <= 100, got {text!r}")
    except Exception as exc:
        raise c.CLIError(f"argument --aspect: {exc}") from None
    return np.geomspace(a, b, n) if n > 1 else np.array([a])


def run(args):
    from ..figures import shapes as figure
    from ..io import write_outputs
    from ..shapes import shape_dependence

    aspects = _aspects(args.aspect)
    if args.keep not in ("volume", "area"):
        raise c.CLIError(f"argument --keep: must be volume or area, got {args.keep!r}")
    c.check_out(args, "--out", (".nc", ".h5"))
    fig_path, pdf = c.check_figure(args)
    with c.progress("shapes", "curve") as progress:
        try:
            ds = shape_dependence(args.kL, aspects, args.N, args.kR, Z=args.Z,
                                  gamma_add=args.gamma_add, keep=args.keep, progress=progress)
        except ValueError as exc:
            raise c.CLIError(c.as_option(str(exc))) from None
    ds.attrs["history"] = ds.attrs["history"].replace("lehmberg (library call)", c.command_line(args))
    fig = figure(ds)
    write_outputs({args.out: ds, fig_path: fig, pdf: fig}, args.force)
    along = ds["d"].sel(orientation="along", dipole="x")
    k = int(np.argmax(along.values))
    print(f"along the probe d peaks at {float(along[k]):.4g} (aspect {float(ds.aspect[k]):.3g}); "
          f"smallest ξ_∞ {float(ds['xi_inf'].min()):.4g}")
    print(f"wrote {args.out}, {fig_path}, {pdf}")
    return 0
