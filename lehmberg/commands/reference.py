"""``lehmberg reference``: the deterministic quadrature reference for Gaussian clouds."""

from . import _common as c
from .rates import add_geometry_options, geometry, inputs, report

#: The quadrature's cost grows like k_L L (about 25 s at 1e5 on 2 cores); use the Monte Carlo beyond.
REFERENCE_KL_MAX = 1e6


def register(subparsers):
    p = subparsers.add_parser(
        "reference", help="quadrature reference Γ_ij, G_ij, Γ̄, Ḡ of Gaussian clouds (no sampling)",
        description="Position-averaged Lehmberg rates of Gaussian clouds in units of Γ by "
                    "deterministic quadrature: the angular integrals in closed form (spherical "
                    "Bessel functions), one radial integral for any direction of R and p̂. The "
                    "_err fields are quadrature error estimates (relative 1e-8 or better).")
    add_geometry_options(p)
    p.add_argument("--no-dipole", action="store_true",
                   help="drop the dipole factor: kernels (3/2) sin x/x and −(3/2) cos x/x, as the "
                        "paper's inter-cloud calculation does")
    c.add_output_options(p, "reference values")
    p.set_defaults(func=run)
    return p


def run(args):
    from ..reference import reference_rates

    R_dir, p_hat = geometry(args)
    c.in_range(args.kL, "--kL", hi=REFERENCE_KL_MAX)
    if args.shape != "gaussian":
        raise c.CLIError("argument --shape: the quadrature reference covers gaussian clouds only "
                         "(use lehmberg rates for cubes)")
    c.check_out(args)
    results = {"intra": reference_rates(args.kL, None, R_dir, p_hat, dipole=not args.no_dipole)}
    if args.kR is not None:
        results["inter"] = reference_rates(args.kL, args.kR, R_dir, p_hat, dipole=not args.no_dipole)
    recorded = inputs(args, R_dir, p_hat)
    recorded["dipole"] = not args.no_dipole
    report(args, results, recorded)
    return 0
