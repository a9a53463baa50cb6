"""``lehmberg rates``: Monte-Carlo position-averaged Lehmberg rates of one or two clouds."""

from . import _common as c


#: Largest realised clouds: the exact pair sum is O(N²), the structure factors O(N·M).
ATOMS_MAX = {"clouds": 2e5, "any": 1e7}


def register(subparsers):
    p = subparsers.add_parser(
        "rates", help="Monte-Carlo averaged rates Γ_ij, G_ij, Γ̄, Ḡ inside a cloud and between two",
        description="Position-averaged Lehmberg rates in units of Γ (SPEC §3), by Monte Carlo over "
                    "independent pairs, each with its standard error from independent batches.")
    add_geometry_options(p)
    p.add_argument("--method", choices=["auto", "pairs", "clouds", "planewave"], default="auto",
                   help="estimator: independent pairs, realised clouds (pair sums over --atoms "
                        "atoms, --replicas snapshots), plane waves (integral over emission "
                        "directions); auto (default) picks the fastest valid one and says which")
    p.add_argument("--samples", type=c.positive_int, default=10**6,
                   help="pair samples (pairs) or emission directions (planewave; per replica "
                        "with --atoms) per pair of clouds; with --rel-err the cap (default 1e6)")
    p.add_argument("--atoms", type=c.positive_int, default=None,
                   help="atoms per realised cloud (clouds, planewave; default 1000 for clouds)")
    p.add_argument("--replicas", type=c.positive_int, default=None,
                   help="independent realised clouds (default 32 with --atoms)")
    p.add_argument("--rel-err", type=c.positive_float, default=None,
                   help="stop when the relative standard error of Gamma_ij is below this")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="master seed (default 0)")
    c.add_output_options(p, "estimates")
    p.set_defaults(func=run)
    return p


def add_geometry_options(p):
    """Options shared by every command that describes the two-cloud geometry."""
    p.add_argument("--shape", choices=["gaussian", "cube"], default="gaussian",
                   help="cloud shape (default gaussian: per-axis std L/√2)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--kL", type=c.positive_float, help="k_L L, the cloud size")
    size.add_argument("--L", type=c.positive_float, metavar="METRES",
                      help="cloud size L in metres (with --wavelength; instead of --kL)")
    dist = p.add_mutually_exclusive_group()
    dist.add_argument("--kR", type=c.nonnegative_float, default=None,
                      help="k_L R, distance of cloud II (absent: one cloud only)")
    dist.add_argument("--R", type=c.nonnegative_float, default=None, metavar="METRES",
                      help="distance of cloud II in metres (instead of --kR)")
    p.add_argument("--wavelength", type=c.positive_float, default=852.347e-9, metavar="METRES",
                   help="probe wavelength for --L and --R (default 852.347e-9, the Cs D2 line)")
    p.add_argument("--R-dir", nargs=3, type=c.finite_float, default=[0.0, 0.0, 1.0],
                   metavar=("X", "Y", "Z"), help="direction of R (default 0 0 1, along the probe)")
    p.add_argument("--p-hat", nargs=3, type=c.finite_float, default=[1.0, 0.0, 0.0],
                   metavar=("X", "Y", "Z"), help="dipole direction (default 1 0 0)")
    p.add_argument("--N", type=c.positive_float, default=None,
                   help="atoms per cloud: adds the optical depth d = N Gamma_ij")


def geometry(args):
    """Validated geometry: (R_dir, p_hat) unit vectors.

    Physical lengths (--L, --R in metres) are converted here, once, to
    k_L L = 2πL/λ and k_L R = 2πR/λ, which everything downstream uses.
    """
    import math

    if getattr(args, "L", None) is not None:
        args.kL = 2.0 * math.pi * args.L / args.wavelength
    if getattr(args, "R", None) is not None:
        args.kR = 2.0 * math.pi * args.R / args.wavelength
    c.in_range(args.kL, "--L (as k_L L)" if getattr(args, "L", None) is not None else "--kL",
               *c.KL_RANGE)
    c.in_range(args.kR, "--R (as k_L R)" if getattr(args, "R", None) is not None else "--kR",
               hi=c.KR_MAX)
    return c.unit_vector(args.R_dir, "--R-dir"), c.unit_vector(args.p_hat, "--p-hat")


def inputs(args, R_dir, p_hat, extra=()):
    """The inputs recorded with every result."""
    out = {"shape": args.shape, "kL": args.kL, "kR": args.kR, "R_dir": list(map(float, R_dir)),
           "p_hat": list(map(float, p_hat)), "N": args.N}
    if getattr(args, "L", None) is not None or getattr(args, "R", None) is not None:
        out.update(L_metres=args.L, R_metres=args.R, wavelength_metres=args.wavelength)
    for name in extra:
        out[name] = getattr(args, name)
    return out


def run(args):
    from ..planewave import choose_method

    R_dir, p_hat = geometry(args)
    if args.samples < 1024:
        raise c.CLIError(f"argument --samples: must be >= 1024 for an honest standard error, "
                         f"got {args.samples}")
    c.in_range(args.samples, "--samples", hi=1e13)
    if args.atoms is not None and args.atoms < 2:
        raise c.CLIError(f"argument --atoms: must be >= 2, got {args.atoms}")
    c.in_range(args.atoms, "--atoms", hi=ATOMS_MAX["clouds" if args.method == "clouds" else "any"])
    c.in_range(args.replicas, "--replicas", hi=1e6)
    if args.replicas is not None and args.replicas < 2:
        raise c.CLIError(f"argument --replicas: must be >= 2 for a standard error, got {args.replicas}")
    if args.method == "pairs" and (args.atoms or args.replicas):
        raise c.CLIError("argument --atoms/--replicas: not with --method pairs (independent pairs)")
    if args.replicas is not None and args.atoms is None and args.method != "clouds":
        raise c.CLIError("argument --replicas: needs --atoms")
    c.check_out(args)
    method, reason = args.method, "chosen with --method"
    if method == "auto":
        method, reason = choose_method(args.kL, args.kR, args.shape, args.rel_err, args.atoms,
                                       args.replicas)
    if method == "clouds":
        args.atoms = args.atoms or 1000
    if args.atoms is not None:
        args.replicas = args.replicas or 32
    pairs = ["intra"] + (["inter"] if args.kR is not None else [])
    results = {}
    for which in pairs:
        total = args.replicas if args.atoms is not None else args.samples
        with c.progress_bar(total, f"{which} [{method}]", "step") as bar:
            def progress(done, cap, bar=bar):
                bar.total = cap
                bar.update(done - bar.n)

            results[which] = estimate(method, args, None if which == "intra" else args.kR,
                                      R_dir, p_hat, progress)
    recorded = inputs(args, R_dir, p_hat, ("samples", "rel_err", "seed", "atoms", "replicas"))
    recorded.update(method=method, method_reason=reason)
    report(args, results, recorded)
    return 0


def estimate(method, args, kR, R_dir, p_hat, progress):
    """One pair of clouds with the chosen estimator."""
    if method == "pairs":
        from ..average import mc_rates

        return mc_rates(args.kL, kR, R_dir, p_hat, args.shape, args.samples, args.rel_err,
                        args.seed, progress)
    if method == "clouds":
        from ..pairsum import cloud_rates

        return cloud_rates(args.kL, kR, R_dir, p_hat, args.shape, args.atoms, args.replicas,
                           args.seed, progress)
    from ..planewave import planewave_rates

    return planewave_rates(args.kL, kR, R_dir, p_hat, args.shape, rel_err=args.rel_err,
                           max_directions=args.samples, seed=args.seed, atoms=args.atoms,
                           replicas=args.replicas, progress=progress)


def report(args, results, recorded):
    """Print (JSON or table) and write --out; shared with ``lehmberg reference``.

    Everything is formatted and checked before the file is written, and the file
    before anything is printed: a failure leaves neither output behind.
    """
    as_dicts = {k: v.as_dict(args.N) for k, v in results.items()}
    c.require_finite(as_dicts, "rates")
    text = None if args.json else table(args, results)
    if args.out:
        write(args.out, args.force, results, recorded, args.N, c.command_line(args))
    if args.json:
        c.print_json(as_dicts)
        return
    print(text)
    if args.out:
        print(f"wrote {args.out}")


def table(args, results):
    from ..result import asymptote

    kind = next(iter(results.values())).error_kind
    lines = [f"k_L L = {args.kL:g}" + (f", k_L R = {args.kR:g}" if args.kR is not None else "")
             + f", {args.shape} clouds; rates in units of Γ, ± {kind}"]
    for which, est in results.items():
        label = {"intra": "inside cloud I (I,I)", "inter": "between clouds (I,II)"}[which]
        unit = {"pairs": "pair samples", "planewave": "directions", "clouds": "atom pairs",
                "reference": "integrand evaluations"}.get(est.method, "samples")
        lines.append(f"  {label}  [{est.method}, {est.n_samples:,} {unit}]")
        a = asymptote(args.kL)
        lines.append(f"    Gamma_ij = {c.fmt_pm(est.Gamma_ij, est.Gamma_ij_err):<28}"
                     f" paper 3/(4(k_L L)^2) = {a:.6g}  (ratio {est.Gamma_ij / a:.4g})")
        lines.append(f"    G_ij     = {c.fmt_pm(est.G_ij, est.G_ij_err)}")
        lines.append(f"    gamma_bar = {c.fmt_pm(est.gamma_bar.real, est.gamma_bar_err.real)}"
                     f"  + i ({c.fmt_pm(est.gamma_bar.imag, est.gamma_bar_err.imag)})")
        lines.append(f"    g_bar     = {c.fmt_pm(est.g_bar.real, est.g_bar_err.real)}"
                     f"  + i ({c.fmt_pm(est.g_bar.imag, est.g_bar_err.imag)})")
        if args.N is not None:
            d, derr = est.d(args.N)
            lines.append(f"    d = N Gamma_ij = {c.fmt_pm(d, derr)}   (paper: {args.N * a:.6g})")
        if est.target_met is False:
            lines.append(f"    relative error target not met: {est.rel_err():.2g} after the sample cap")
        elif est.target_met:
            lines.append(f"    relative error target met: {est.rel_err():.2g}")
    return "\n".join(lines)


def write(path, force, results, recorded, N, command):
    from ..io import atomic_h5, write_estimate

    with atomic_h5(path, force) as f:
        for key, value in recorded.items():
            f.attrs[key] = "none" if value is None else value
        f.attrs["units"] = "rates in units of Gamma; lengths in units of 1/k_L"
        f.attrs["command"] = command
        for which, est in results.items():
            write_estimate(f.create_group(which), est, N)
