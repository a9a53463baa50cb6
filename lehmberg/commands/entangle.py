"""``lehmberg entangle``: ξ(t), ξ_∞ and P₂ of two ensembles from the moment equations (SPEC §5, §6)."""

import math

from . import _common as c

RATE_NAMES = ("ud", "du", "uh", "dh", "hu", "hd", "uu", "dd")


def register(subparsers):
    p = subparsers.add_parser(
        "entangle", help="entanglement ξ(t), ξ_∞, P₂ of two ensembles (two- or three-level model)",
        description="Moment equations of Sec. III D / App. C (two-level) and Sec. IV / App. D, E "
                    "(three-level) with the SPEC §7 errata. Rates in units of Γ, times in 1/Γ. "
                    "The optical depth is --d, or --N atoms with --kL through d = N Γ_ij(k_L L).")
    depth = p.add_mutually_exclusive_group(required=True)
    depth.add_argument("--d", type=c.positive_float, help="optical depth of one ensemble")
    depth.add_argument("--N", type=c.positive_float,
                       help="atoms per ensemble (with --kL): d = N Γ_ij(k_L L)")
    p.add_argument("--kL", type=c.positive_float, help="k_L L of each Gaussian cloud (with --N)")
    p.add_argument("--rates-method", choices=["reference", "monte-carlo", "asymptote"],
                   default="reference",
                   help="how Γ_ij(k_L L) is computed for --N (default reference quadrature)")
    p.add_argument("--samples", type=c.positive_int, default=10**6,
                   help="Monte-Carlo pair samples for --rates-method monte-carlo (default 1e6)")
    p.add_argument("--seed", type=c.nonnegative_int, default=0, help="Monte-Carlo seed (default 0)")
    p.add_argument("--model", choices=["two-level", "three-level"], default="two-level")
    p.add_argument("--Z", type=c.finite_float, default=None,
                   help="squeezing parameter Z = 1/(|μ|−|ν|) > 1")
    p.add_argument("--optimize-Z", action="store_true",
                   help="two-level: use the Z that minimises ξ_∞ (Eq. 15)")
    p.add_argument("--gamma-add", type=c.nonnegative_float, default=0.0,
                   help="non-radiative dephasing Γ_d^add (units of Γ, default 0)")
    p.add_argument("--x", type=c.nonnegative_float, default=None,
                   help="pump parameter x (two-level: Γ_cool = (1+x)μ²Γ, default 0; "
                        "three-level cs133: the pump, default the smallest giving N↑/N₂ ≥ 0.95)")
    p.add_argument("--P0", type=c.finite_float, default=1.0,
                   help="two-level initial polarisation P₂(0) in (0, 1] (default 1)")
    p.add_argument("--t", default=None, metavar="T1,T2,...",
                   help="comma-separated times (units of 1/Γ) for ξ(t) and P₂(t)")
    g3 = p.add_argument_group("three-level model")
    g3.add_argument("--preset", choices=["cs133"], default=None,
                    help="Cs-133 D2 preset (App. E): μ, ν and the rates from Clebsch–Gordan coefficients")
    for name in RATE_NAMES:
        a, b = {"u": "↑", "d": "↓", "h": "h"}[name[0]], {"u": "↑", "d": "↓", "h": "h"}[name[1]]
        g3.add_argument(f"--G-{name}", type=c.nonnegative_float, default=None,
                        help=f"rate {a} → {b} (units of Γ)")
    g3.add_argument("--F", type=c.positive_float, default=4.0,
                    help="F of the ground manifold holding ↑, ↓ (default 4)")
    g3.add_argument("--x-repump", type=c.nonnegative_float, default=0.0,
                    help="cs133: repump strength Ω²_repump/Ω²_pump (default 0)")
    g3.add_argument("--delta", type=c.finite_float, default=700.0, metavar="MHZ",
                    help="cs133: probe detuning from F=4 → F'=5 in MHz (default +700)")
    g3.add_argument("--polarisation", choices=["y", "x"], default="y",
                    help="cs133: probe polarisation (default y)")
    g3.add_argument("--dephasing", choices=["amplitude", "paper"], default="amplitude",
                    help="cs133: Γ↑↑+Γ↓↓ as amplitude difference (default) or literal sum")
    p.add_argument("--rtol", type=c.positive_float, default=1e-8, help="ODE rtol (default 1e-8)")
    p.add_argument("--atol", type=c.positive_float, default=1e-11, help="ODE atol (default 1e-11)")
    c.add_output_options(p, "parameters and results")
    p.add_argument("--plot", metavar="FILE.png", help="plot ξ(t) and P₂(t) (PNG or PDF)")
    p.set_defaults(func=run)
    return p


def parse_times(text):
    """The --t list: finite numbers >= 0, sorted as given (CLIError otherwise)."""
    out = []
    if not text.strip():
        raise c.CLIError("argument --t: empty list of times")
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            raise c.CLIError(f"argument --t: not a number: {part!r}") from None
        if not math.isfinite(v) or v < 0:
            raise c.CLIError(f"argument --t: times must be finite and >= 0, got {part!r}")
        out.append(v)
    return out


def check_plot(args):
    from pathlib import Path

    if not args.plot:
        return
    p = Path(args.plot)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise c.CLIError(f"argument --plot: must end in .png or .pdf, got {p.name}")
    if p.is_dir():
        raise c.CLIError(f"argument --plot: {p} is a directory")
    if p.exists() and not args.force:
        raise c.CLIError(f"argument --plot: {p} exists (use --force to overwrite)")
    if not (p.parent if str(p.parent) else Path(".")).is_dir():
        raise c.CLIError(f"argument --plot: directory {p.parent} does not exist")


def validate(args):
    """Cross-field checks; one line naming the parameter, before any work."""
    if args.N is not None and args.kL is None:
        raise c.CLIError("argument --N: needs --kL")
    if args.kL is not None and args.N is None:
        raise c.CLIError("argument --kL: needs --N")
    if args.Z is not None and args.Z <= 1:
        raise c.CLIError(f"argument --Z: must be > 1, got {args.Z:g}")
    c.in_range(args.Z, "--Z", hi=1e6)
    c.in_range(args.d, "--d", hi=1e8)
    c.in_range(args.kL, "--kL", *c.KL_RANGE)
    c.in_range(args.x, "--x", hi=1e6)
    c.in_range(args.gamma_add, "--gamma-add", hi=1e8)
    c.in_range(args.rtol, "--rtol", hi=1e-3)
    c.in_range(args.atol, "--atol", hi=1e-3)
    if args.rates_method == "monte-carlo" and args.samples < 1024:
        raise c.CLIError(f"argument --samples: must be >= 1024 for an honest standard error, "
                         f"got {args.samples}")
    if not 0 < args.P0 <= 1:
        raise c.CLIError(f"argument --P0: must be in (0, 1], got {args.P0:g}")
    given = [n for n in RATE_NAMES if getattr(args, f"G_{n}") is not None]
    if args.model == "two-level":
        if args.Z is None and not args.optimize_Z:
            raise c.CLIError("argument --Z: required (or --optimize-Z) for the two-level model")
        if args.Z is not None and args.optimize_Z:
            raise c.CLIError("argument --optimize-Z: not allowed with --Z")
        if args.preset or given:
            raise c.CLIError("argument --preset/--G-*: only with --model three-level")
    else:
        if args.optimize_Z:
            raise c.CLIError("argument --optimize-Z: only for the two-level model")
        if args.P0 != 1.0:
            raise c.CLIError("argument --P0: the three-level model starts with all atoms in ↑")
        if args.preset:
            if args.Z is not None or given:
                raise c.CLIError("argument --preset: μ, ν and the rates come from the preset; "
                                 "drop --Z and --G-*")
        else:
            if args.Z is None:
                raise c.CLIError("argument --Z: required for the three-level model without --preset")
            if args.G_ud is None or args.G_du is None:
                raise c.CLIError("argument --G-ud/--G-du: required for the three-level model "
                                 "without --preset")
            if args.x is not None:
                raise c.CLIError("argument --x: with user rates, include the pump in --G-du")
            if abs(2 * args.F - round(2 * args.F)) > 1e-12:
                raise c.CLIError(f"argument --F: must be a half-integer, got {args.F:g}")
    return parse_times(args.t) if args.t is not None else None


def _as_given(times):
    """Index that puts values computed on the sorted times back in the order the user gave."""
    import numpy as np

    order = np.argsort(np.asarray(times), kind="stable")
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return back


def run(args):
    from .. import moments

    times = validate(args)
    c.check_out(args)
    check_plot(args)

    if args.d is not None:
        depth = {"d": args.d, "d_err": 0.0, "source": "given"}
    else:
        kw = {"samples": args.samples, "seed": args.seed} if args.rates_method == "monte-carlo" else {}
        try:
            depth = moments.optical_depth(args.N, args.kL, args.rates_method, **kw)
        except ImportError as exc:
            raise c.CLIError(f"argument --rates-method: {args.rates_method} unavailable ({exc})")
    d = depth["d"]

    result = {"model": args.model, "d": d, "d_err": depth["d_err"], "d_source": depth["source"]}
    if args.N is not None:
        result.update(N=args.N, kL=args.kL, d_asymptote=depth["d_asymptote"],
                      Gamma_ij=depth["Gamma_ij"], Gamma_ij_err=depth["Gamma_ij_err"])
    try:
        if args.model == "two-level":
            x = args.x or 0.0
            Z = args.Z
            if args.optimize_Z:
                Z, _ = moments.optimize_Z(d, args.gamma_add, x)
            p = moments.two_level(d, Z=Z, gamma_add=args.gamma_add, x=x, P0=args.P0)
            xi_inf, P_inf = moments.xi_steady(p)
            result.update(xi_inf=xi_inf, P_inf=P_inf, Z=p.Z, mu=p.mu, nu=p.nu,
                          gamma_add=args.gamma_add, x=x, P0=args.P0, G_cool=p.G_cool,
                          G_heat=p.G_heat, G_d=p.G_d, G_tilde=p.G_tilde,
                          xi_ideal=(p.mu - p.nu) ** 2)
            if times is not None:
                sol = moments.integrate_two_level(p, times, rtol=args.rtol, atol=args.atol)
                back = _as_given(times)
                result.update(t=times, xi_t=sol.xi[back].tolist(), P_t=sol.P2[back].tolist(),
                              xi_t_err=sol.xi_err[back].tolist(),
                              xi_t_eq14=moments.xi_adiabatic(p, times).tolist(),
                              rtol=args.rtol, atol=args.atol, ode_method=sol.method)
        else:
            if args.preset == "cs133":
                from .. import cs133

                x = args.x
                if x is None:
                    x = cs133.optimal_pump(args.x_repump, 0.95, args.delta, args.polarisation,
                                           args.dephasing)
                    if not math.isfinite(x):
                        raise c.CLIError("argument --x: no pump reaches N↑/N₂ ≥ 0.95")
                p = cs133.model(d, x, args.x_repump, args.gamma_add, args.delta, args.polarisation,
                                args.dephasing)
                result.update(preset="cs133", x=x, x_repump=args.x_repump, delta_MHz=args.delta,
                              polarisation=args.polarisation, dephasing=args.dephasing,
                              up_fraction_min=cs133.up_fraction_min(p))
            else:
                rates = {n: getattr(args, f"G_{n}") or 0.0 for n in RATE_NAMES}
                p = moments.three_level(d, gamma_add=args.gamma_add, Z=args.Z, F=args.F, **rates)
            xi_inf, P_inf, frac = moments.xi_exp_steady(p)
            result.update(xi_inf=xi_inf, P_inf=P_inf, up_fraction_inf=frac, Z=p.Z,
                          **{k: v for k, v in p.as_dict().items() if k not in ("d", "Z")})
            if times is not None:
                sol = moments.integrate_three_level(p, times, rtol=args.rtol, atol=args.atol)
                back = _as_given(times)
                result.update(t=times, xi_t=sol.xi[back].tolist(), P_t=sol.P2[back].tolist(),
                              xi_t_err=sol.xi_err[back].tolist(),
                              N2_t=sol.arrays["N2"][back].tolist(),
                              xi_t_eq23=moments.xi_exp_longtime(p, times).tolist(),
                              rtol=args.rtol, atol=args.atol, ode_method=sol.method)
    except ValueError as exc:
        raise c.CLIError(str(exc)) from None

    c.require_finite({k: v for k, v in result.items() if k not in ("d_err", "Gamma_ij_err")},
                     "results")
    targets = [t for t in (args.out, args.plot) if t]
    if targets:
        from ..io import staged

        with staged(targets, args.force) as tmps:
            tmp = dict(zip(targets, tmps))
            if args.out:
                write(tmp[args.out], result, c.command_line(args))
            if args.plot:
                plot(args, p, times, result, tmp[args.plot])
    if args.json:
        c.print_json(result)
        return 0
    print(table(result))
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


def plot(args, p, times, result, tmp):
    """ξ(t), P₂(t) on a dense grid up to max(--t), or to 5 polarisation times."""
    import numpy as np

    from .. import moments
    import matplotlib.pyplot as plt

    from ..figures import entangle_figure
    from ..io import save_figure

    if times:
        t_end = max(times)
    elif args.model == "two-level":
        t_end = 5.0 / (p.G_cool + p.G_heat)
    else:
        t_end = 5.0 / max(p.ud + p.du + p.uh + p.dh, 1e-12)
    grid = np.linspace(0.0, t_end if t_end > 0 else 1.0, 400)
    if args.model == "two-level":
        sol = moments.integrate_two_level(p, grid, rtol=args.rtol, atol=args.atol)
        approx, label = moments.xi_adiabatic(p, grid), "Eq. (14)"
    else:
        sol = moments.integrate_three_level(p, grid, rtol=args.rtol, atol=args.atol)
        approx, label = moments.xi_exp_longtime(p, grid), "Eq. (23)"
    title = f"{args.model}, d = {result['d']:.4g}, Z = {result['Z']:.4g}, " \
            f"Γ_d^add = {args.gamma_add:g}"
    fig = entangle_figure(grid, sol.xi, sol.P2, result["xi_inf"], approx, label, title)
    save_figure(fig, tmp, args.plot, dpi=110)
    plt.close(fig)


def table(r):
    lines = [f"{r['model']} model, rates in units of Γ, times in 1/Γ"]
    d_line = f"  d = {c.fmt_pm(r['d'], r['d_err'])}  [{r['d_source']}]" if r["d_err"] else \
        f"  d = {r['d']:.6g}  [{r['d_source']}]"
    if "d_asymptote" in r:
        d_line += f"   (paper 3N/(4(k_L L)^2) = {r['d_asymptote']:.6g})"
    lines.append(d_line)
    lines.append(f"  Z = {r['Z']:.6g}  (μ = {r['mu']:.6g}, ν = {r['nu']:.6g})")
    if r["model"] == "two-level":
        lines.append(f"  Γ_cool = {r['G_cool']:.6g}, Γ_heat = {r['G_heat']:.6g}, Γ_d = {r['G_d']:.6g},"
                     f" Γ̃ = {r['G_tilde']:.6g}")
        lines.append(f"  ξ_∞ = {r['xi_inf']:.6g}   P₂,∞ = {r['P_inf']:.6g}   "
                     f"(ideal (|μ|−|ν|)² = {r['xi_ideal']:.6g})")
    else:
        lines.append("  rates: " + ", ".join(f"Γ_{k} = {r[k]:.4g}" for k in
                                             ("ud", "du", "uh", "dh", "hu", "hd", "deph")))
        lines.append(f"  Γ̄ = {r['G_bar']:.6g}, F = {r['F']:g}")
        lines.append(f"  ξ_exp,∞ (Eq. 23) = {r['xi_inf']:.6g}   P₂,∞ = {r['P_inf']:.6g}")
    if "t" in r:
        extra = "xi_t_eq14" if r["model"] == "two-level" else "xi_t_eq23"
        label = "Eq. (14)" if r["model"] == "two-level" else "Eq. (23)"
        lines.append(f"  {'t':>10} {'ξ(t)':>12} {'± ode':>9} {'P₂(t)':>10} {label:>10}")
        for t, xi, e, P, a in zip(r["t"], r["xi_t"], r["xi_t_err"], r["P_t"], r[extra]):
            lines.append(f"  {t:>10.4g} {xi:>12.6g} {e:>9.1e} {P:>10.6g} {a:>10.6g}")
    return "\n".join(lines)


def write(path, result, command):
    import numpy as np

    from ..io import new_h5

    with new_h5(path) as f:
        f.attrs["command"] = command
        f.attrs["units"] = "rates in units of Gamma; times in units of 1/Gamma"
        for key, value in result.items():
            if isinstance(value, list):
                ds = f.create_dataset(key, data=np.asarray(value, dtype=float))
                ds.attrs["units"] = "1/Gamma" if key == "t" else "1"
                if key != "t":
                    ds.dims[0].label = "t"
            elif value is None:
                f.attrs[key] = "none"
            else:
                f.attrs[key] = value
        if "t" in f:
            f["t"].make_scale("t")
            for key in f:
                if key != "t":
                    f[key].dims[0].attach_scale(f["t"])
