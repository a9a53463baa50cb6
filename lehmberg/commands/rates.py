"""``lehmberg rates``: position-averaged Lehmberg rates of one or two clouds, through :func:`lehmberg.rates`."""

import math

from .. import _checks
from .._checks import ATOMS_MAX, CLOUD_SECONDS_MAX
from ..estimators import METHODS
from . import _common as c


def register(subparsers):
    p = subparsers.add_parser(
        "rates", help="position-averaged rates Γ_ij, G_ij, Γ̄, Ḡ inside a cloud and between two",
        description="Position-averaged Lehmberg rates in units of Γ (SPEC §3) with their errors, "
                    "through the estimator face lehmberg.rates: by default (auto) the quadrature "
                    "reference where it is cheap, plane waves beyond, and for cube clouds Γ̄ from "
                    "plane waves with Ḡ from independent pairs. The JSON says which estimator "
                    "produced which quantity (methods).")
    c.add_geometry_options(p)
    add_estimator_options(p)
    p.add_argument("--N", type=c.positive_float, default=None,
                   help="atoms per cloud: adds the optical depth d = N Gamma_ij")
    c.add_output_options(p, "estimates")
    p.set_defaults(func=run)
    return p


def add_estimator_options(p, methods=METHODS, option="--method"):
    """The options of :func:`lehmberg.rates` (shared with ``entangle``)."""
    p.add_argument(option, choices=list(methods), default="auto",
                   help="estimator: auto (default: per quantity the cheapest that delivers it), "
                        "reference (quadrature, Gaussian clouds), planewave (directions), pairs "
                        "(independent pairs), clouds (realised clouds of --atoms atoms, --replicas "
                        "snapshots)")
    p.add_argument("--samples", type=c.positive_int, default=None,
                   help=f"pair samples (pairs) or emission directions (planewave) per pair of "
                        f"clouds, in [{_checks.SAMPLES_MIN}, {_checks.SAMPLES_MAX:.0e}]; with "
                        f"--rel-err the cap (default 1e6)")
    p.add_argument("--atoms", type=c.positive_int, default=None,
                   help=f"atoms per realised cloud (clouds; default 1000), at most {ATOMS_MAX:.0e}, "
                        f"the machine's memory and a predicted {CLOUD_SECONDS_MAX:g} s over all "
                        f"replicas (checked before any work)")
    p.add_argument("--replicas", type=c.positive_int, default=None,
                   help=f"independent realised clouds (default 32), at most {_checks.REPLICAS_MAX:.0e}")
    p.add_argument("--rel-err", type=c.positive_float, default=None,
                   help="stop when the relative standard error of Gamma_ij is below this (Monte Carlo)")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="master seed (default 0)")
    p.add_argument("--with-g", action="store_true",
                   help="realised clouds: compute the collective Lamb shift (g_bar, G_ij) inside "
                        "cloud I too (by default only where Gamma_ij needs it or it is free)")


def estimate(args, geo, method_option="method"):
    """The rates inside cloud I (and between the clouds) with a progress bar per pair.

    Both pairs are planned (every limit checked) before either runs, and the plans
    checked are the plans run (``lehmberg.estimators.plan_cost`` → ``execute``).
    """
    from ..estimators import execute, plan_cost

    kw = dict(method=getattr(args, method_option), samples=args.samples, rel_err=args.rel_err,
              seed=args.seed, atoms=args.atoms, replicas=args.replicas,
              with_g=True if getattr(args, "with_g", False) else None)
    pairs = c.pairs_of(geo)
    try:
        plans = {key: plan_cost(g, **kw) for key, g in pairs.items()}  # every limit before any work
    except ValueError as exc:
        raise c.CLIError(c.as_option(str(exc), {"method": method_option.replace("_", "-")})) from None
    results = {}
    for key, plan in plans.items():
        with c.progress(key, "step") as progress:  # warnings: cli._show_warning, one line
            results[key] = execute(plan, progress)
    return results


def run(args):
    geo = c.geometry(args)
    c.check_out(args)
    try:
        results = estimate(args, geo)
    except ValueError as exc:
        raise c.CLIError(str(exc)) from None
    recorded = c.geometry_inputs(args, geo)
    recorded.update(N=args.N, method=args.method, samples=args.samples, rel_err=args.rel_err,
                    seed=args.seed, atoms=args.atoms, replicas=args.replicas)
    report(args, results, recorded, "Position-averaged Lehmberg rates")
    return 0


def report(args, results, recorded, title):
    """Print (JSON or table) and write --out; shared with ``lehmberg reference``.

    Everything is formatted and checked before the file is written, and the file
    before anything is printed: a failure leaves neither output behind.
    """
    Ns = atoms_per_pair(args.N, results)
    as_dicts = {k: v.as_dict(Ns[k]) for k, v in results.items()}
    c.require_finite({k: {q: v for q, v in d.items() if q in ("gamma_bar", "gamma_bar_err")}
                      for k, d in as_dicts.items()}, "rates")
    text = None if args.json else table(results, Ns)
    if args.out:
        from ..io import new_dataset, put_rates, write_outputs

        ds = put_rates(new_dataset(title, c.command_line(args), recorded), results, Ns)
        write_outputs({args.out: ds}, args.force)
    if args.json:
        c.print_json(as_dicts)
        return
    print(text)
    if args.out:
        print(f"wrote {args.out}")


def atoms_per_pair(N, results):
    """The N of d = N Γ_ij for each pair: ``--N``, else the N of the pair's cloud in the
    geometry file (cloud I for intra and inter, cloud II for intra_II), else None."""
    out = {}
    for key, est in results.items():
        geo = est.geometry
        cloud = geo.I  # intra_II's geometry is cloud II alone
        out[key] = N if N is not None else (None if geo.paper else cloud.N)
    return out


def _vec(v):
    return "(" + ", ".join(c.fmt(x, 4) for x in v) + ")"


def _describe(cloud):
    sizes = c.fmt(cloud.kL[0]) if cloud.isotropic else " × ".join(c.fmt(x) for x in cloud.kL)
    text = f"{cloud.shape} k_L L = {sizes} at {_vec(cloud.centre)}"
    if cloud.waist is not None:
        text += f", waist k_L w = {c.fmt(cloud.waist)}"
    return text


def _pm(value, err, missing):
    return missing if math.isnan(value) else c.fmt_pm(value, err)


def table(results, N=None):
    """The table of ``results`` ({pair: Rates}); ``N`` one number or one per pair."""
    from ..result import asymptote

    first = next(iter(results.values()))
    geo = first.geometry
    whole = results["inter"].geometry if "inter" in results else geo
    if whole.paper:
        head = (f"k_L L = {c.fmt(geo.kL)}"
                + (f", k_L R = {c.fmt(whole.kR)}" if "inter" in results else "")
                + f", {geo.shape} clouds")
    else:
        head = "; ".join(f"cloud {n}: {_describe(cl)}" for n, cl in (("I", whole.I), ("II", whole.II))
                         if cl is not None) + f"; probe k̂ = {_vec(whole.probe)}"
    lines = [head + (", no dipole factor" if geo.p_hat is None else "")
             + "; rates in units of Γ, value(error) with the error in the last digits"]
    labels = {"intra": "inside cloud I (I,I)", "inter": "between clouds (I,II)",
              "intra_II": "inside cloud II (II,II)"}
    missing = "not computed (see --with-g and --method)"
    Ns = N if isinstance(N, dict) else {k: N for k in results}
    for which, est in results.items():
        N = Ns.get(which)
        lines.append(f"  {labels[which]}  [{est.method}; {est.error_kind}; {est.n_samples:,} "
                     "samples/evaluations]")
        a = asymptote(est.geometry.kL) if est.geometry.paper else None
        paper = f" paper 3/(4(k_L L)^2) = {c.fmt(a)}" if a is not None else ""
        lines.append(f"    Gamma_ij  = {_pm(est.Gamma_ij, est.Gamma_ij_err, missing):<26}{paper}")
        lines.append(f"    G_ij      = {_pm(est.G_ij, est.G_ij_err, missing)}")
        lines.append(f"    gamma_bar = {c.fmt_pm(est.gamma_bar.real, est.gamma_bar_err.real)}"
                     f" + i {c.fmt_pm(est.gamma_bar.imag, est.gamma_bar_err.imag)}")
        if math.isnan(est.g_bar.real):
            lines.append(f"    g_bar     = {missing}")
        else:
            lines.append(f"    g_bar     = {c.fmt_pm(est.g_bar.real, est.g_bar_err.real)}"
                         f" + i {c.fmt_pm(est.g_bar.imag, est.g_bar_err.imag)}")
        if N is not None:
            d, derr = est.d(N)
            lines.append(f"    d = N Gamma_ij = {c.fmt_pm(d, derr)}"
                         + (f"   (paper: {c.fmt(N * a)})" if a is not None else ""))
        if est.eta is not None:
            lines.append(f"    eta (fraction in the probe mode) = {c.fmt(est.eta[0])}, "
                         f"{c.fmt(est.eta[1])}")
        if est.target_met is not None:
            lines.append(f"    relative error {est.rel_err():.2g}: target "
                         f"{'met' if est.target_met else 'NOT met within the sample cap'}")
        for note in est.notes:
            lines.append(f"    note: {note}")
    return "\n".join(lines)
