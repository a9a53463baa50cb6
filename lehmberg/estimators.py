"""The one front door to every estimator: :func:`rates` (re-exported as ``lehmberg.rates``).

Estimators (SPEC §4; measurements in ``docs/estimators.md`` and ``benchmarks/``):

``reference``
    Deterministic quadrature of one radial integral (Gaussian clouds only), accurate to
    about 1e-10; its cost grows like k_L L (0.3 s at k_L L = 10³).
``planewave``
    Monte-Carlo integral over emission directions with closed-form characteristic
    functions: Γ̄ for Gaussian and cube clouds, Ḡ (off shell) for Gaussian clouds; 1 %
    in about 0.1 s at any k_L L up to 10⁷.
``pairs``
    Monte Carlo over independent, symmetrised pairs: every quantity for every shape, at a
    cost growing like (k_L L)².
``clouds``
    Realised clouds (``atoms`` per cloud, ``replicas`` snapshots): the pair sums one
    snapshot of an experiment sees, with errors from the replica scatter.

``method="auto"`` picks, per quantity, the cheapest estimator that delivers it:

* ``atoms`` given: ``clouds``;
* Gaussian clouds: ``reference`` when it costs at most ``REFERENCE_AUTO_MAX`` integrand
  evaluations (about half a second), else ``planewave``;
* cube clouds: Γ̄ from ``planewave``, Ḡ from ``pairs`` (the plane waves have no Ḡ for
  cubes), combined into Γ_ij = Re Γ̄ − Im Ḡ with independent errors added in quadrature.

``Rates.methods`` says which estimator produced which quantity.
"""

from __future__ import annotations

import warnings

from . import _checks
from .geometry import Geometry
from .result import Rates, TargetNotMetWarning

__all__ = ["rates", "choose_method", "METHODS", "plan_cost"]

#: Names accepted by ``method``.
METHODS = ("auto", "reference", "planewave", "pairs", "clouds")
#: ``auto`` uses the reference up to this many integrand evaluations (~0.5 s).
REFERENCE_AUTO_MAX = 10**6
#: The reference refuses more than this (about a minute); use ``planewave`` beyond.
REFERENCE_MAX = 10**8
#: Default sample budget (pair samples or directions) without ``rel_err``.
DEFAULT_SAMPLES = 10**6
#: Default realised clouds.
DEFAULT_ATOMS, DEFAULT_REPLICAS = 1000, 32
#: Realised clouds: largest cloud and longest predicted run (re-exported from ``_checks``).
ATOMS_MAX = _checks.ATOMS_MAX
CLOUD_SECONDS_MAX = _checks.CLOUD_SECONDS_MAX


def choose_method(geometry: Geometry, atoms: int | None = None) -> tuple[str, str, str]:
    """The estimators ``auto`` uses for Γ̄ and for Ḡ, and the reason in words.

    Parameters
    ----------
    geometry : Geometry
        The request.
    atoms : int, optional
        Atoms per realised cloud (a request about realised clouds).

    Returns
    -------
    (str, str, str)
        The method for Γ̄, the method for Ḡ, and a one-line reason.

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> from lehmberg.estimators import choose_method
    >>> choose_method(Geometry(kL=10))[:2]
    ('reference', 'reference')
    >>> choose_method(Geometry(kL=1e5))[:2]
    ('planewave', 'planewave')
    >>> choose_method(Geometry(kL=3, shape="cube"))[:2]
    ('planewave', 'pairs')
    """
    from .reference import cost

    if atoms is not None:
        return "clouds", "clouds", "realised clouds: exact pair sums over the atoms of each snapshot"
    if geometry.shape == "gaussian":
        n = cost(geometry.kL, geometry.kR, geometry.R_dir, geometry.p_hat)
        if n <= REFERENCE_AUTO_MAX:
            return "reference", "reference", f"Gaussian clouds: quadrature reference ({n:,} evaluations)"
        return "planewave", "planewave", (f"Gaussian clouds: plane waves (the reference would need "
                                          f"{n:.2g} evaluations)")
    return "planewave", "pairs", ("cube clouds: Γ̄ from plane waves, Ḡ (no plane-wave form for cubes) "
                                  "from independent pairs")


def _check_request(geometry, method, samples, rel_err, seed, atoms, replicas):
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a lehmberg.Geometry, got {type(geometry).__name__}")
    method = _checks.choice(method, "method", METHODS)
    samples = _checks.integer(samples, "samples", _checks.SAMPLES_MIN, _checks.SAMPLES_MAX,
                              allow_none=True)
    rel_err = _checks.number(rel_err, "rel_err", 0.0, 1.0, lo_open=True, allow_none=True)
    seed = _checks.integer(seed, "seed", 0, _checks.SEED_MAX)
    atoms = _checks.integer(atoms, "atoms", _checks.ATOMS_MIN, allow_none=True)
    replicas = _checks.integer(replicas, "replicas", _checks.REPLICAS_MIN, _checks.REPLICAS_MAX,
                               allow_none=True)
    if replicas is not None and atoms is None and method != "clouds":
        raise ValueError("replicas needs atoms (realised clouds)")
    if method in ("pairs", "reference") and (atoms is not None or replicas is not None):
        raise ValueError(f"atoms/replicas: not with method {method!r} (position averages)")
    if method == "reference" and geometry.shape != "gaussian":
        raise ValueError("method 'reference' covers Gaussian clouds only; use 'auto'")
    return method, samples, rel_err, seed, atoms, replicas


def _plan(geometry, method, atoms):
    """{quantity group: method}, the reason."""
    if method == "auto":
        m_gamma, m_g, reason = choose_method(geometry, atoms)
    else:
        m_gamma, m_g, reason = method, method, "chosen by the caller"
    if method == "clouds" and atoms is None:
        atoms = DEFAULT_ATOMS
    return {"gamma": m_gamma, "g": m_g}, reason, atoms


def plan_cost(geometry, method="auto", samples=None, atoms=None, replicas=None, rel_err=None,
              seed=0):
    """Check a request (every argument of :func:`rates`) against the limits before any work.

    Raises ValueError naming the parameter or the limit; returns the plan
    ``({"gamma": method, "g": method}, reason)``.
    """
    method, samples, _, _, atoms, replicas = _check_request(geometry, method, samples, rel_err,
                                                            seed, atoms, replicas)
    return _limits(geometry, method, atoms, replicas)


def _limits(geometry, method, atoms, replicas):
    plan, reason, atoms = _plan(geometry, method, atoms)
    for m in set(plan.values()):
        if m == "reference":
            from .reference import cost

            n = cost(geometry.kL, geometry.kR, geometry.R_dir, geometry.p_hat)
            if n > REFERENCE_MAX:
                raise ValueError(f"method 'reference' would need {n:.2g} integrand evaluations "
                                 f"(limit {REFERENCE_MAX:.0e}, about a minute); use 'planewave'")
        elif m == "clouds":
            _cloud_limits(geometry, atoms, replicas or DEFAULT_REPLICAS)
    return plan, reason


def _cloud_limits(geometry, N, R):
    """Realised clouds: memory (before any allocation) and predicted time of the engine
    ``pairsum.cloud_rates`` will pick (``structure.predicted_seconds``, fitted on 2 cores)."""
    from . import structure

    if N > ATOMS_MAX:
        raise ValueError(f"atoms must be <= {ATOMS_MAX:.0e}, got {N:g}")
    kL, kR, shape = geometry.kL, geometry.kR, geometry.shape
    engines = ["pairs"]
    if structure.ENGINE == "finufft" and kR is None:
        engines.append("structure")
    seconds = {e: structure.predicted_seconds(e, kL, kR, N, shape) for e in engines}
    engine = min(seconds, key=seconds.get)
    structure.check_memory(structure.estimate_memory(N, kL, kR, shape, engine,
                                                     engine == "pairs" or kR is not None))
    if seconds[engine] * R > CLOUD_SECONDS_MAX:
        raise ValueError(f"atoms/replicas: about {seconds[engine] * R:.2g} s with the {engine} "
                         f"engine, beyond the limit of {CLOUD_SECONDS_MAX:g} s (2 cores)")


def rates(geometry: Geometry, method: str = "auto", *, samples: int | None = None,
          rel_err: float | None = None, seed: int = 0, atoms: int | None = None,
          replicas: int | None = None, progress=None) -> Rates:
    """Position-averaged rates Γ̄, Ḡ, Γ_ij, G_ij of one pair of clouds, with errors.

    The pair is the one ``geometry`` describes: inside cloud I when ``geometry.kR`` is
    None, else between cloud I and cloud II (``geometry.single()`` gives the first).

    Parameters
    ----------
    geometry : Geometry
        Cloud size, separation, directions and shape (lengths in units of 1/k_L).
    method : {"auto", "reference", "planewave", "pairs", "clouds"}
        The estimator (module docstring); ``auto`` chooses per quantity.
    samples : int, optional
        Pair samples (``pairs``) or emission directions (``planewave``; per replica
        with ``atoms``), in [1024, 1e9]; with ``rel_err`` the cap.  Default 10⁶.
    rel_err : float, optional
        Stop once the relative standard error of Γ_ij is below this (Monte Carlo);
        a target not met within ``samples`` warns with :class:`TargetNotMetWarning`.
    seed : int
        Master seed (results are reproducible and independent of the thread count).
    atoms, replicas : int, optional
        Realised clouds: atoms per cloud (>= 2) and snapshots (>= 2; default 32).
    progress : callable, optional
        ``progress(done, total)`` as the work proceeds.

    Returns
    -------
    Rates
        In units of Γ, carrying ``geometry``, ``method`` and ``methods`` (per quantity).

    Examples
    --------
    >>> import lehmberg
    >>> est = lehmberg.rates(lehmberg.Geometry(kL=100.0))
    >>> est.methods["Gamma_ij"], f"{est.Gamma_ij * 100.0**2:.6f}"
    ('reference', '0.749925')
    >>> est = lehmberg.rates(lehmberg.Geometry(kL=1e5), rel_err=0.01, seed=1)
    >>> abs(est.Gamma_ij / 7.5e-11 - 1) < 5 * est.rel_err()
    True
    """
    method, samples, rel_err, seed, atoms, replicas = _check_request(
        geometry, method, samples, rel_err, seed, atoms, replicas)
    plan, reason = _limits(geometry, method, atoms, replicas)
    if "clouds" in plan.values():
        atoms = atoms or DEFAULT_ATOMS
        replicas = replicas or DEFAULT_REPLICAS
    elif atoms is not None and replicas is None:
        replicas = DEFAULT_REPLICAS
    done = {m: _run(m, geometry, samples, rel_err, seed, atoms, replicas, progress)
            for m in dict.fromkeys(plan.values())}
    est = done[plan["gamma"]]
    if plan["g"] != plan["gamma"]:
        est = _combine(est, done[plan["g"]], plan)
        if rel_err is not None:
            est = est.replace(target_met=est.rel_err() <= rel_err)
    if rel_err is not None and est.target_met is False:
        warnings.warn(TargetNotMetWarning(
            f"relative error {est.rel_err():.2g} of Gamma_ij did not reach rel_err={rel_err:g} "
            f"within samples={samples or DEFAULT_SAMPLES:g}"), stacklevel=2)
    return est.replace(geometry=geometry)


def _run(method, g, samples, rel_err, seed, atoms, replicas, progress):
    kR = g.kR
    if method == "reference":
        from .reference import reference_rates

        est = reference_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape)
        if progress is not None:
            progress(1, 1)
        return est
    if method == "pairs":
        from .average import mc_rates

        return mc_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, samples or DEFAULT_SAMPLES, rel_err,
                        seed, progress)
    if method == "clouds":
        from .pairsum import cloud_rates

        return cloud_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, atoms, replicas, seed, progress)
    from .planewave import planewave_rates

    return planewave_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, rel_err=rel_err,
                           max_directions=samples if samples or atoms else DEFAULT_SAMPLES,
                           seed=seed, atoms=atoms, replicas=replicas, progress=progress,
                           need_Gamma_ij=False)


def _combine(gam, g, plan):
    """Γ̄ from one estimator and Ḡ from another (independent), as one Rates."""
    kinds = dict.fromkeys((gam.error_kind, g.error_kind))
    both = f"{plan['gamma']}+{plan['g']}"
    return Rates.from_parts(
        gam.gamma_bar, gam.gamma_bar_err, g.g_bar, g.g_bar_err, gam.n_samples + g.n_samples,
        both, error_kind=" and ".join(kinds),
        methods={"gamma_bar": plan["gamma"], "g_bar": plan["g"], "Gamma_ij": both, "G_ij": both},
        notes=tuple(dict.fromkeys(gam.notes + g.notes)))
