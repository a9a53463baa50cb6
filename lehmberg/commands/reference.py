"""``lehmberg reference``: the deterministic quadrature reference for Gaussian clouds."""

from . import _common as c
from .rates import report


def register(subparsers):
    p = subparsers.add_parser(
        "reference", help="quadrature reference Γ_ij, G_ij, Γ̄, Ḡ of Gaussian clouds (no sampling)",
        description="Position-averaged Lehmberg rates of Gaussian clouds in units of Γ by "
                    "deterministic quadrature: the angular integrals in closed form (spherical "
                    "Bessel functions), one radial integral for any direction of R and p̂. The "
                    "_err fields are quadrature error estimates (relative 1e-8 or better). The cost "
                    "grows like k_L L; requests beyond 1e8 integrand evaluations (about a minute) "
                    "are refused before any work: use lehmberg rates --method planewave there.")
    c.add_geometry_options(p)
    p.add_argument("--N", type=c.positive_float, default=None,
                   help="atoms per cloud: adds the optical depth d = N Gamma_ij")
    c.add_output_options(p, "reference values")
    p.set_defaults(func=run)
    return p


def run(args):
    from ..estimators import execute, plan_cost

    geo = c.geometry(args)
    if any(cl is not None and cl.shape != "gaussian" for cl in (geo.I, geo.II)):
        raise c.CLIError("argument --shape: the quadrature reference covers gaussian clouds only "
                         "(use lehmberg rates for cubes)")
    c.check_out(args)
    pairs = c.pairs_of(geo)
    try:
        plans = {key: plan_cost(g, "reference") for key, g in pairs.items()}
        results = {key: execute(plan) for key, plan in plans.items()}
    except ValueError as exc:
        raise c.CLIError(str(exc)) from None
    recorded = c.geometry_inputs(args, geo)
    recorded.update(N=args.N, method="reference")
    report(args, results, recorded, "Quadrature reference of the position-averaged Lehmberg rates")
    return 0
