"""``lehmberg entangle``: ξ(t), ξ_∞ and P₂ of two ensembles (SPEC §5, §6, §8).

Parse, build the model (:mod:`lehmberg.entanglement`), one call to :func:`lehmberg.entangle`,
print or write; the numbers are the library's.
"""

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
                    "applies, plane waves beyond); their errors are propagated into every number. "
                    "--model gaussian also takes --geometry FILE: two clouds of their own (shape, "
                    "sizes, N; SPEC §9), each cloud's N from the file.")
    depth = p.add_mutually_exclusive_group()
    depth.add_argument("--d", type=c.positive_float, help="optical depth of one ensemble (<= 1e8)")
    depth.add_argument("--N", type=c.positive_float,
                       help="atoms per ensemble (<= 1e15, with --kL or --L): d = N Γ̄_I,I")
    c.add_geometry_options(p, required=False, geometry_file=True)
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
    """The --t list: numbers, checked as the library checks times (CLIError otherwise)."""
    from .._checks import times

    out = []
    if not text.strip():
        raise c.CLIError("argument --t: empty list of times")
    for part in text.split(","):
        part = part.strip()
        try:
            out.append(float(part))
        except ValueError:
            raise c.CLIError(f"argument --t: not a number: {part!r}") from None
    _library(times, "--t", out)
    return out


def _library(check, option, *args, **kw):
    """``check(*args, **kw)`` of lehmberg._checks, its ValueError as one line naming ``option``."""
    try:
        return check(*args, **kw)
    except ValueError as exc:
        rest = str(exc).split(" ", 1)[1] if " " in str(exc) else str(exc)
        raise c.CLIError(f"argument {option}: {rest}") from None


def check_plot(args):
    c.check_out(args, "--plot", (".png", ".pdf"))


def validate(args):
    """Cross-field checks and the models' ranges (lehmberg._checks); one line naming the
    parameter, before any work."""
    from .. import _checks as k

    if args.geometry is not None:
        if args.model != "gaussian":
            raise c.CLIError("argument --geometry: only with --model gaussian (the moment "
                             "equations take one optical depth: use --N with --kL)")
        for opt in ("d", "N"):
            if getattr(args, opt) is not None:
                raise c.CLIError(f"argument --{opt}: not with --geometry (each cloud's N comes "
                                 "from the file)")
    elif args.d is None and args.N is None:
        raise c.CLIError("one of the arguments --d --N --geometry is required")
    if args.N is not None and args.kL is None and args.L is None:
        raise c.CLIError("argument --N: needs --kL or --L")
    if (args.kL is not None or args.L is not None) and args.N is None:
        raise c.CLIError("argument --kL/--L: needs --N")
    if (args.kR is not None or args.R is not None) and args.model != "gaussian":
        raise c.CLIError("argument --kR/--R: only with --model gaussian (the moment equations "
                         "take one optical depth)")
    if args.N is not None:
        _library(k.real, "--N", args.N, "N", 0.0, k.N_MAX, lo_open=True)
    if args.d is not None:  # geometry and estimator options mean nothing with a given d
        for opt, default in (("--p-hat", None), ("--R-dir", None),
                             ("--shape", None), ("--wavelength", None),
                             ("--rates-method", "auto"), ("--samples", None), ("--atoms", None),
                             ("--replicas", None), ("--rel-err", None), ("--seed", 0)):
            if getattr(args, opt.lstrip("-").replace("-", "_")) != default:
                raise c.CLIError(f"argument {opt}: only with --N and a geometry (not with --d)")
    if args.Z_II is not None:
        _library(k.squeezing, "--Z-II", args.Z_II, "Z_II")
    if args.Z_II is not None and args.model != "gaussian":
        raise c.CLIError("argument --Z-II: only with --model gaussian")
    for value, option, check in ((args.Z, "--Z", k.squeezing), (args.d, "--d", k.optical_depth),
                                 (args.x, "--x", k.pump), (args.gamma_add, "--gamma-add",
                                                           k.dephasing)):
        if value is not None:
            _library(check, option, value)
    for name in ("rtol", "atol"):
        _library(k.real, f"--{name}", getattr(args, name), name, 0.0, 1e-3, lo_open=True)
    _library(k.polarisation, "--P0", args.P0, "P0")
    given = [n for n in RATE_NAMES if getattr(args, f"G_{n}") is not None]
    couplings = [o for o, v in (("--c", args.c), ("--g-in", args.g_in), ("--g-x", args.g_x))
                 if v is not None]
    if couplings and (args.model != "gaussian" or args.d is None):
        raise c.CLIError(f"argument {couplings[0]}: only with --model gaussian and --d (with --N "
                         "the couplings come from the geometry)")
    if args.c is not None and abs(complex(*args.c)) > 1:
        raise c.CLIError(f"argument --c: |c| must be <= 1 (a positive dissipator), got "
                         f"{abs(complex(*args.c)):.6g}")
    if args.model in ("gaussian", "two-level"):
        if args.Z is None and not args.optimize_Z:
            raise c.CLIError(f"argument --Z: required (or --optimize-Z) for the "
                             f"{'Gaussian' if args.model == 'gaussian' else 'two-level'} model")
        if args.Z is not None and args.optimize_Z:
            raise c.CLIError("argument --optimize-Z: not allowed with --Z")
        if args.model == "gaussian" and args.optimize_Z and args.Z_II is not None:
            raise c.CLIError("argument --Z-II: not with --optimize-Z (one common Z is optimised)")
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


def _params(args, Z):
    """The model's parameters from the options (all but its optical depth)."""
    from .. import entanglement as en

    if args.model == "two-level":
        return dict(Z=Z, gamma_add=args.gamma_add, x=args.x or 0.0, P0=args.P0)
    if args.model == "gaussian":
        return dict(Z_I=Z, Z_II=args.Z_II or Z, gamma_add=args.gamma_add, x=args.x or 0.0,
                    P0=args.P0)
    if args.preset == "cs133":
        x = args.x
        if x is None:
            x = en.cs133_pump(args.x_repump, 0.95, args.delta, args.polarisation, args.dephasing)
        return dict(preset="cs133", x_pump=x, x_repump=args.x_repump, gamma_add=args.gamma_add,
                    delta_MHz=args.delta, polarisation=args.polarisation, dephasing=args.dephasing)
    return dict(Z=args.Z, F=args.F, gamma_add=args.gamma_add,
                **{n: getattr(args, f"G_{n}") or 0.0 for n in RATE_NAMES})


def _model(args, d, results, Z, N=None):
    """The model of the options: from --d, or from the rates of the geometry (the library's
    bridge); ``N`` the pair (N_I, N_II) of a geometry file."""
    from .. import entanglement as en

    params = _params(args, Z)
    if results is not None and N is not None:
        intra = (results["intra"], results.get("intra_II", results["intra"]))
        return en.models_from_rates(intra, results.get("inter"), N, model=args.model, **params)
    if results is not None:
        return en.models_from_rates(results["intra"], results.get("inter"), args.N,
                                    model=args.model, **params)
    if args.model == "two-level":
        return en.two_level(d, **params)
    if args.model == "gaussian":
        return en.gaussian_model(d, c=complex(*(args.c or (1.0, 0.0))), g_in=args.g_in or 0.0,
                                 g_x=complex(*(args.g_x or (0.0, 0.0))), **params)
    if params.pop("preset", None):
        return en.cs133_model(d, **params)
    return en.three_level(d, **params)


def run(args):
    from .. import entanglement as en

    times = validate(args)
    c.check_out(args)
    check_plot(args)

    results = N_pair = None
    if args.d is not None:
        d, d_err, source = args.d, 0.0, "given"
        result = {"model": args.model, "d": d, "d_err": d_err, "d_source": source}
    elif args.geometry is not None:
        from .rates import atoms_per_pair, estimate

        geo = c.geometry(args)
        N_pair = file_atoms(geo)
        try:
            results = estimate(args, geo, "rates_method")
        except ValueError as exc:
            raise c.CLIError(str(exc)) from None
        intra = results["intra"]
        d, d_err = intra.d(N_pair[0])
        Ns = atoms_per_pair(None, results)
        result = {"model": args.model, "d": d, "d_err": d_err, "d_source":
                  f"N_I Gamma_ij ({intra.methods['Gamma_ij']})", "N": N_pair[0],
                  "N_II": N_pair[1], **c.geometry_inputs(args, geo),
                  "rates": {k: v.as_dict(Ns[k]) for k, v in results.items()}}
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
        model = _model(args, d, results, args.Z if not args.optimize_Z else 2.0, N_pair)
        if args.optimize_Z:
            model = _model(args, d, results, en.optimize_Z(model)[0], N_pair)
        ent = en.entangle(model, times, rtol=args.rtol, atol=args.atol)
    except ValueError as exc:
        raise c.CLIError(c.as_option(str(exc))) from None
    result.update(as_result(args, ent))

    c.require_finite({k: v for k, v in result.items() if k in ("xi_inf", "P_inf", "d", "xi_t")},
                     "results")
    outputs = {}
    if args.out:
        outputs[args.out] = dataset(result, args)
    if args.plot:
        outputs[args.plot] = plot(args, ent, times, result)
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


def file_atoms(geo):
    """(N_I, N_II) of a geometry file's clouds (one cloud: both N_I); CLIError naming the key
    of a cloud without N, before any work."""
    out = []
    for name, cloud in (("I", geo.I), ("II", geo.II if geo.II is not None else geo.I)):
        if cloud.N is None:
            raise c.CLIError(f"argument --geometry: [{name}].N: cloud {name} has no N (the "
                             "Gaussian model takes each cloud's atoms from the file)")
        out.append(float(cloud.N))
    return tuple(out)


def as_result(args, ent):
    """The JSON keys of the command (its layout) from the library's :class:`Entanglement`."""
    p, out = ent.model, {}
    series = {}
    if ent.t is not None:
        series = dict(t=ent.t.tolist(), xi_t=ent.xi_t.tolist(), P_t=ent.P_t.tolist())
    if ent.solver == "gaussian":
        for k, src in (("xi_inf", "xi_inf"), ("xi_inf_best", "xi_best"),
                       ("theta_best", "theta_best"), ("log_negativity", "log_negativity"),
                       ("purity", "purity"), ("P_inf", "P_inf"), ("d", "d")):
            out[k], out[k + "_err"] = float(getattr(ent, src)), float(ent.err(src))
        x = ent.extra
        out["coupling"] = {"c": [x["c"].real, x["c"].imag], "c_err": [x["c_err"].real,
                                                                      x["c_err"].imag],
                           "g_in": x["g_in"], "g_in_err": x["g_in_err"],
                           "g_x": [x["g_x"].real, x["g_x"].imag],
                           "g_x_err": [x["g_x_err"].real, x["g_x_err"].imag]}
        out.update(Z=float(p.Z_I), Z_II=float(p.Z_II), gamma_add=args.gamma_add, x=p.x,
                   P0=args.P0, propagation=ent.stats["propagation"])
        out["mu"], out["nu"] = float(p.clouds[0].mu), float(p.clouds[0].nu)
        if p.differs:       # SPEC §9: what clouds of their own add
            out.update(d_II=x["d_II"], d_II_err=x["d_II_err"], P_I=x["P_I"], P_II=x["P_II"],
                       N_ratio=x["N_ratio"], mu_II=float(p.clouds[1].mu),
                       nu_II=float(p.clouds[1].nu))
            out["coupling"].update(g_in_II=x["g_in_II"], g_in_II_err=x["g_in_II_err"])
        if series:
            out.update(t=series["t"], xi_t=series["xi_t"], xi_t_err=ent.xi_t_err.tolist(),
                       P_t=series["P_t"])
        return out
    if ent.solver == "two-level":
        out.update(xi_inf=ent.xi_inf, P_inf=ent.P_inf, Z=p.Z, mu=p.mu, nu=p.nu,
                   gamma_add=args.gamma_add, x=p.x, P0=args.P0, G_cool=p.G_cool,
                   G_heat=p.G_heat, G_d=p.G_d, G_tilde=p.G_tilde, xi_ideal=ent.extra["xi_ideal"])
        approx = "xi_t_eq14"
    else:
        if args.preset == "cs133":
            out.update(preset="cs133", cs133_data_source=_source(), x=_params(args, None)["x_pump"],
                       x_repump=args.x_repump, delta_MHz=args.delta,
                       polarisation=args.polarisation, dephasing=args.dephasing,
                       up_fraction_min=ent.extra["up_fraction_min"])
        out.update(xi_inf=ent.xi_inf, P_inf=ent.P_inf, up_fraction_inf=ent.extra["up_fraction_inf"],
                   Z=p.Z, **{k: v for k, v in p.as_dict().items() if k not in ("d", "Z")})
        approx = "xi_t_eq23"
    if series:
        out.update(**series, xi_t_err=ent.xi_t_integration_err.tolist())
        if ent.N2_t is not None:
            out["N2_t"] = ent.N2_t.tolist()
        out.update({approx: ent.xi_t_approx.tolist(), "rtol": ent.stats["rtol"],
                    "atol": ent.stats["atol"], "ode_method": ent.stats["ode_method"]})
    return out


def _source():
    from ..entanglement import CS133_SOURCE

    return CS133_SOURCE


def plot(args, ent, times, result):
    """ξ(t), P₂(t) on a dense grid up to max(--t), or to 5 polarisation times."""
    from ..entanglement import curve
    from ..figures import entangle_figure

    cv = curve(ent.model, max(times) if times else None, rtol=args.rtol, atol=args.atol)
    label = cv.attrs["approx_label"]
    approx = cv["xi_approx"].values if "xi_approx" in cv else None
    name = "Gaussian model" if ent.solver == "gaussian" else args.model
    title = f"{name}, d = {result['d']:.4g}, Z = {result['Z']:.4g}, Γ_d^add = {args.gamma_add:g}"
    return entangle_figure(cv["t"].values, cv["xi"].values, cv["P"].values, result["xi_inf"],
                           approx, label, title)


def table(r):
    pm = c.fmt_pm
    lines = [f"{r['model']} model, rates in units of Γ, times in 1/Γ, value(error)"]
    d_line = f"  d = {pm(r['d'], r['d_err'])}  [{r['d_source']}]"
    if "d_asymptote" in r:
        d_line += f"   (paper 3N/(4(k_L L)^2) = {c.fmt(r['d_asymptote'])})"
    lines.append(d_line)
    if "d_II" in r:
        lines.append(f"  d_II = {pm(r['d_II'], r['d_II_err'])}  [N_II Γ̄_II,II]   N_II/N_I = "
                     f"{c.fmt(r['N_ratio'])}   P_I = {c.fmt(r['P_I'])}, P_II = {c.fmt(r['P_II'])}")
    lines.append(f"  Z = {c.fmt(r['Z'])}  (μ = {c.fmt(r['mu'])}, ν = {c.fmt(r['nu'])})"
                 + (f", Z_II = {c.fmt(r['Z_II'])}" if r.get("Z_II", r["Z"]) != r["Z"] else ""))
    if r["model"] == "gaussian":
        cp = r["coupling"]
        norm = "√(Γ̄_I,I Γ̄_II,II)" if "d_II" in r else "Γ̄_I,I"
        lines.append(f"  c = Γ̄_I,II/{norm} = {pm(cp['c'][0], cp['c_err'][0])} + i "
                     f"{pm(cp['c'][1], cp['c_err'][1])};  g_in = {pm(cp['g_in'], cp['g_in_err'])};"
                     f"  g_x = {pm(cp['g_x'][0], cp['g_x_err'][0])} + i {pm(cp['g_x'][1], cp['g_x_err'][1])}"
                     + (f";  g_in_II = {pm(cp['g_in_II'], cp['g_in_II_err'])}" if "g_in_II" in cp
                        else ""))
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
         "d_II": "optical depth N_II Gamma_II,II of cloud II", "N_II": "atoms in cloud II",
         "N_ratio": "N_II/N_I",
         "P_I": "steady-state polarisation of cloud I", "P_II": "steady-state polarisation of cloud II",
         "mu_II": "mu of cloud II", "nu_II": "nu of cloud II",
         "N2_t": "N_2(t)/N", "xi_t_eq14": "xi(t), adiabatic Eq. (14)",
         "xi_t_eq23": "xi_exp(t), long-time Eq. (23)"}
