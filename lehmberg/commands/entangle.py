"""``lehmberg entangle``: ξ(t), ξ_∞ and P₂ of two ensembles from the moment equations (SPEC §5, §6)."""

import math

from . import _common as c

RATE_NAMES = ("ud", "du", "uh", "dh", "hu", "hd", "uu", "dd")


def register(subparsers):
    from .rates import add_estimator_options

    p = subparsers.add_parser(
        "entangle", help="entanglement ξ, E_N, P₂ of two ensembles (two-level, three-level or "
                         "Gaussian model)",
        description="Moment equations of Sec. III D / App. C (two-level) and Sec. IV / App. D, E "
                    "(three-level) with the SPEC §7 errata, or the two-mode Gaussian model of SPEC "
                    "§8 fed by the complex intra- and inter-cloud rates (--model gaussian). Rates "
                    "in units of Γ, times in 1/Γ. The optical depth is --d (the paper's "
                    "assumption c = 1, no collective Lamb shifts), or --N atoms with a geometry "
                    "(--kL or --L, and for the Gaussian model --kR or --R) through the estimator "
                    "face (--rates-method, default auto: the quadrature reference where it "
                    "applies, plane waves beyond); their errors are propagated into every number.")
    depth = p.add_mutually_exclusive_group(required=True)
    depth.add_argument("--d", type=c.positive_float, help="optical depth of one ensemble (<= 1e8)")
    depth.add_argument("--N", type=c.positive_float,
                       help="atoms per ensemble (<= 1e15, with --kL or --L): d = N Γ̄_I,I")
    c.add_geometry_options(p, required=False)
    add_estimator_options(p, option="--rates-method")
    p.add_argument("--model", choices=["two-level", "three-level", "gaussian"], default="two-level")
    p.add_argument("--Z", type=c.finite_float, default=None,
                   help="squeezing parameter Z = 1/(|μ|−|ν|) > 1 (gaussian: of cloud I)")
    p.add_argument("--Z-II", type=c.finite_float, default=None,
                   help="gaussian: sideband weight Z of cloud II (default --Z)")
    p.add_argument("--c", nargs=2, type=c.finite_float, default=None, metavar=("RE", "IM"),
                   help="gaussian with --d: c = Γ̄_I,II/Γ̄_I,I, |c| <= 1 (default 1, the paper's)")
    p.add_argument("--g-in", type=c.finite_float, default=None,
                   help="gaussian with --d: g_in = Ḡ_I,I/Γ̄_I,I (default 0)")
    p.add_argument("--g-x", nargs=2, type=c.finite_float, default=None, metavar=("RE", "IM"),
                   help="gaussian with --d: g_x = Ḡ_I,II/Γ̄_I,I (default 0; separated clouds: −i c)")
    p.add_argument("--optimize-Z", action="store_true",
                   help="two-level: the Z that minimises ξ_∞ (Eq. 15); gaussian: minimises ξ_best")
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
    c.check_out(args, "--plot", (".png", ".pdf"))


def validate(args):
    """Cross-field checks; one line naming the parameter, before any work."""
    if args.N is not None and args.kL is None and args.L is None:
        raise c.CLIError("argument --N: needs --kL or --L")
    if (args.kL is not None or args.L is not None) and args.N is None:
        raise c.CLIError("argument --kL/--L: needs --N")
    if (args.kR is not None or args.R is not None) and args.model != "gaussian":
        raise c.CLIError("argument --kR/--R: only with --model gaussian (the moment equations "
                         "take one optical depth)")
    c.in_range(args.N, "--N", hi=1e15)
    if args.d is not None:  # geometry and estimator options mean nothing with a given d
        for opt, default in (("--p-hat", ["1", "0", "0"]), ("--R-dir", [0.0, 0.0, 1.0]),
                             ("--shape", "gaussian"), ("--wavelength", 852.347e-9),
                             ("--rates-method", "auto"), ("--samples", None), ("--atoms", None),
                             ("--replicas", None), ("--rel-err", None), ("--seed", 0)):
            if getattr(args, opt.lstrip("-").replace("-", "_")) != default:
                raise c.CLIError(f"argument {opt}: only with --N and a geometry (not with --d)")
    c.in_range(args.Z_II, "--Z-II", hi=1e6)
    if args.Z_II is not None and args.Z_II <= 1:
        raise c.CLIError(f"argument --Z-II: must be > 1, got {args.Z_II:g}")
    if args.Z_II is not None and args.model != "gaussian":
        raise c.CLIError("argument --Z-II: only with --model gaussian")
    if args.Z is not None and args.Z <= 1:
        raise c.CLIError(f"argument --Z: must be > 1, got {args.Z:g}")
    c.in_range(args.Z, "--Z", hi=1e6)
    c.in_range(args.d, "--d", hi=1e8)
    c.in_range(args.x, "--x", hi=1e6)
    c.in_range(args.gamma_add, "--gamma-add", hi=1e8)
    c.in_range(args.rtol, "--rtol", hi=1e-3)
    c.in_range(args.atol, "--atol", hi=1e-3)
    if not 0 < args.P0 <= 1:
        raise c.CLIError(f"argument --P0: must be in (0, 1], got {args.P0:g}")
    given = [n for n in RATE_NAMES if getattr(args, f"G_{n}") is not None]
    couplings = [o for o, v in (("--c", args.c), ("--g-in", args.g_in), ("--g-x", args.g_x))
                 if v is not None]
    if couplings and (args.model != "gaussian" or args.d is None):
        raise c.CLIError(f"argument {couplings[0]}: only with --model gaussian and --d (with --N "
                         "the couplings come from the geometry)")
    if args.c is not None and abs(complex(*args.c)) > 1:
        raise c.CLIError(f"argument --c: |c| must be <= 1 (a positive dissipator), got "
                         f"{abs(complex(*args.c)):.6g}")
    if args.model == "gaussian":
        if args.Z is None and not args.optimize_Z:
            raise c.CLIError("argument --Z: required (or --optimize-Z) for the Gaussian model")
        if args.Z is not None and args.optimize_Z:
            raise c.CLIError("argument --optimize-Z: not allowed with --Z")
        if args.optimize_Z and args.Z_II is not None:
            raise c.CLIError("argument --Z-II: not with --optimize-Z (one common Z is optimised)")
        if args.preset or given:
            raise c.CLIError("argument --preset/--G-*: only with --model three-level")
    elif args.model == "two-level":
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

    results = None
    if args.d is not None:
        d, d_err, source = args.d, 0.0, "given"
        result = {"model": args.model, "d": d, "d_err": d_err, "d_source": source}
    else:
        from .rates import estimate

        geo = c.geometry(args)
        if args.model != "gaussian":
            geo = geo.single()
        try:
            results = estimate(args, geo, "rates_method")
        except ValueError as exc:
            raise c.CLIError(str(exc)) from None
        intra = results["intra"]
        d, d_err = intra.d(args.N)
        from ..result import asymptote

        result = {"model": args.model, "d": d, "d_err": d_err, "d_source":
                  f"N Gamma_ij ({intra.methods['Gamma_ij']})", "N": args.N,
                  **c.geometry_inputs(args, geo), "d_asymptote": args.N * asymptote(geo.kL),
                  "rates": {k: v.as_dict() for k, v in results.items()}}
    try:
        if args.model == "gaussian":
            gaussian(args, d, results, times, result)
            p = None
        elif args.model == "two-level":
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
                result.update(preset="cs133", cs133_data_source=cs133.SOURCE, x=x,
                              x_repump=args.x_repump, delta_MHz=args.delta,
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

    c.require_finite({k: v for k, v in result.items() if k in ("xi_inf", "P_inf", "d", "xi_t")},
                     "results")
    outputs = {}
    if args.out:
        outputs[args.out] = dataset(result, args)
    if args.plot:
        outputs[args.plot] = plot(args, p, times, result)
    if outputs:
        from ..io import write_outputs

        write_outputs(outputs, args.force)
    if args.json:
        c.print_json(result)
        return 0
    print(table(result))
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}")
    return 0


def plot(args, p, times, result):
    """ξ(t), P₂(t) on a dense grid up to max(--t), or to 5 polarisation times."""
    import numpy as np

    from .. import moments
    from ..figures import entangle_figure

    if args.model == "gaussian":
        return plot_gaussian(args, times, result)

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
    return entangle_figure(grid, sol.xi, sol.P2, result["xi_inf"], approx, label, title)


def table(r):
    pm = c.fmt_pm
    lines = [f"{r['model']} model, rates in units of Γ, times in 1/Γ, value(error)"]
    d_line = f"  d = {pm(r['d'], r['d_err'])}  [{r['d_source']}]"
    if "d_asymptote" in r:
        d_line += f"   (paper 3N/(4(k_L L)^2) = {c.fmt(r['d_asymptote'])})"
    lines.append(d_line)
    lines.append(f"  Z = {c.fmt(r['Z'])}  (μ = {c.fmt(r['mu'])}, ν = {c.fmt(r['nu'])})"
                 + (f", Z_II = {c.fmt(r['Z_II'])}" if r.get("Z_II", r["Z"]) != r["Z"] else ""))
    if r["model"] == "gaussian":
        cp = r["coupling"]
        lines.append(f"  c = Γ̄_I,II/Γ̄_I,I = {pm(cp['c'][0], cp['c_err'][0])} + i "
                     f"{pm(cp['c'][1], cp['c_err'][1])};  g_in = {pm(cp['g_in'], cp['g_in_err'])};"
                     f"  g_x = {pm(cp['g_x'][0], cp['g_x_err'][0])} + i {pm(cp['g_x'][1], cp['g_x_err'][1])}")
        for k, label in (("xi_inf", "ξ_∞ (Eq. 3)"), ("xi_inf_best", "ξ_∞, best rotation"),
                         ("theta_best", "θ_best [rad]"), ("log_negativity", "E_N"),
                         ("purity", "purity"), ("P_inf", "P₂,∞")):
            lines.append(f"  {label:<20} = {pm(r[k], r[k + '_err'])}")
    elif r["model"] == "two-level":
        lines.append(f"  Γ_cool = {c.fmt(r['G_cool'])}, Γ_heat = {c.fmt(r['G_heat'])}, "
                     f"Γ_d = {c.fmt(r['G_d'])}, Γ̃ = {c.fmt(r['G_tilde'])}")
        lines.append(f"  ξ_∞ = {c.fmt(r['xi_inf'])}   P₂,∞ = {c.fmt(r['P_inf'])}   "
                     f"(ideal (|μ|−|ν|)² = {c.fmt(r['xi_ideal'])})"
                     + (f"   [d has relative error {r['d_err'] / r['d']:.1g}]" if r["d_err"] else ""))
    else:
        lines.append("  rates: " + ", ".join(f"Γ_{k} = {r[k]:.4g}" for k in
                                             ("ud", "du", "uh", "dh", "hu", "hd", "deph")))
        lines.append(f"  Γ̄ = {c.fmt(r['G_bar'])}, F = {r['F']:g}")
        lines.append(f"  ξ_exp,∞ (Eq. 23) = {c.fmt(r['xi_inf'])}   P₂,∞ = {c.fmt(r['P_inf'])}")
    if "t" in r:
        extra = {"two-level": "xi_t_eq14", "three-level": "xi_t_eq23"}.get(r["model"])
        label = {"two-level": "Eq. (14)", "three-level": "Eq. (23)"}.get(r["model"], "")
        lines.append(f"  {'t':>10} {'ξ(t)':>20} {'P₂(t)':>10} {label:>10}")
        for i, (t, xi, e, P) in enumerate(zip(r["t"], r["xi_t"], r["xi_t_err"], r["P_t"])):
            a = f"{r[extra][i]:>10.6g}" if extra else ""
            lines.append(f"  {t:>10.4g} {pm(xi, e):>20} {P:>10.6g} {a}")
    return "\n".join(lines)


def dataset(result, args):
    """The result as a CF netCDF dataset: scalars as variables, time series on dimension t."""
    import numpy as np

    from ..io import new_dataset, put

    scalars = {k: v for k, v in result.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith("_err")
               and k not in ("t",)}
    attrs = {k: v for k, v in result.items() if isinstance(v, (str, bool)) or v is None}
    attrs.update({k: v for k, v in result.items() if isinstance(v, dict)})
    coords = {}
    if "t" in result:
        coords["t"] = (np.asarray(result["t"]), "time in units of 1/Gamma", "1")
    ds = new_dataset(f"Entanglement of two ensembles: {result['model']} model", c.command_line(args),
                     attrs, coords)
    for k, v in scalars.items():
        err = result.get(k + "_err")
        put(ds, k, v, (), _LONG.get(k, k) + " (rates in units of Gamma, times in 1/Gamma)", "1",
            err if isinstance(err, (int, float)) else None)
    for k in ("xi_t", "P_t", "xi_t_eq14", "xi_t_eq23", "N2_t"):
        if k in result:
            err = result.get(k + "_err")
            put(ds, k, np.asarray(result[k], dtype=float), ("t",), _LONG.get(k, k), "1",
                None if err is None else np.asarray(err, dtype=float),
                "integration error estimate" if args.model != "gaussian" else "standard error")
    return ds


_LONG = {"xi_inf": "steady-state entanglement parameter xi (Eq. 3)",
         "xi_inf_best": "xi minimised over a local rotation of cloud II's quadratures",
         "theta_best": "rotation angle of cloud II's quadratures for xi_inf_best in radians",
         "log_negativity": "logarithmic negativity of the two-mode Gaussian state (natural log)",
         "purity": "purity of the two-mode Gaussian state", "P_inf": "steady-state polarisation P_2",
         "d": "optical depth of one ensemble", "xi_t": "xi(t)", "P_t": "P_2(t)",
         "N2_t": "N_2(t)/N", "xi_t_eq14": "xi(t), adiabatic Eq. (14)",
         "xi_t_eq23": "xi_exp(t), long-time Eq. (23)"}


def gaussian(args, d, results, times, result):
    """The Gaussian model of SPEC §8 (lehmberg.gaussian) with propagated errors, into ``result``."""
    from .. import gaussian as gm

    x = args.x or 0.0
    common = dict(gamma_add=args.gamma_add, x=x, P0=args.P0, t=times)
    if results is None:
        cp = dict(c=complex(*(args.c or (1.0, 0.0))), g_in=args.g_in or 0.0,
                  g_x=complex(*(args.g_x or (0.0, 0.0))))
        Z = args.Z
        if args.optimize_Z:
            Z, _ = gm.optimize_Z(d, gamma_add=args.gamma_add, x=x, **cp)
        out = gm.propagate_d(d, 0.0, Z_I=Z, Z_II=args.Z_II or Z, **cp, **common)
    else:
        intra, inter = results["intra"], results.get("inter")
        gI, GI = intra.gamma_bar.real, intra.g_bar.real
        kw = dict(gamma_intra_err=intra.gamma_bar_err.real, g_intra_err=intra.g_bar_err.real)
        if inter is not None:
            kw.update(gamma_inter=inter.gamma_bar, g_inter=inter.g_bar,
                      gamma_inter_err=inter.gamma_bar_err, g_inter_err=inter.g_bar_err)
        Z = args.Z
        if args.optimize_Z:
            c_ = 1.0 if inter is None else inter.gamma_bar / gI
            g_x = 0.0 if inter is None else inter.g_bar / gI
            Z, _ = gm.optimize_Z(args.N * gI, args.gamma_add, x, c=c_, g_in=GI / gI, g_x=g_x)
        out = gm.propagate_rates(args.N, gI, GI, Z_I=Z, Z_II=args.Z_II or Z, **kw, **common)
    v, e = out.value, out.error
    m = out.model
    for k in ("xi_inf", "xi_inf_best", "theta_best", "log_negativity", "purity", "P_inf", "d"):
        result[k], result[k + "_err"] = float(v[k]), float(e[k])
    result["coupling"] = {"c": [v["c_re"], v["c_im"]], "c_err": [e["c_re"], e["c_im"]],
                          "g_in": v["g_in"], "g_in_err": e["g_in"],
                          "g_x": [v["g_x_re"], v["g_x_im"]], "g_x_err": [e["g_x_re"], e["g_x_im"]]}
    result.update(Z=float(Z), Z_II=float(args.Z_II or Z), gamma_add=args.gamma_add, x=x,
                  P0=args.P0, propagation="linear, inputs treated as independent")
    result["mu"], result["nu"] = float(m.clouds[0].mu), float(m.clouds[0].nu)
    if times is not None:
        back = _as_given(times)
        result.update(t=times, xi_t=out.value["xi_t"][back].tolist(),
                      xi_t_err=out.error["xi_t"][back].tolist(), P_t=out.value["P_t"][back].tolist())


def plot_gaussian(args, times, result):
    """ξ(t) and P₂(t) of the Gaussian model on a dense grid."""
    import numpy as np

    from .. import gaussian as gm
    from ..figures import entangle_figure

    cp = result["coupling"]
    model = gm.gaussian_model(result["d"], Z_I=result["Z"], Z_II=result["Z_II"],
                              c=complex(*cp["c"]), g_in=cp["g_in"], g_x=complex(*cp["g_x"]),
                              gamma_add=args.gamma_add, x=result["x"], P0=args.P0)
    cl = model.clouds[0]
    t_end = max(times) if times else 5.0 / (cl.G_cool + cl.G_heat)
    grid = np.linspace(0.0, t_end, 400)
    sol = gm.integrate(model, grid)
    title = f"Gaussian model, d = {result['d']:.4g}, Z = {result['Z']:.4g}, Γ_d^add = {args.gamma_add:g}"
    return entangle_figure(grid, sol.xi, sol.P, result["xi_inf"], None, "", title)
