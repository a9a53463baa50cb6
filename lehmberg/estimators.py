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

import dataclasses
import warnings

from . import _checks
from .geometry import Geometry
from .clouds import DEFAULT_ATOMS, DEFAULT_REPLICAS
from .result import Rates, TargetNotMetWarning

__all__ = ["rates", "choose_method", "METHODS", "plan_cost", "execute", "Plan"]

#: Names accepted by ``method``.
METHODS = ("auto", "reference", "planewave", "pairs", "clouds")
#: ``auto`` uses the reference up to this many integrand evaluations (~0.5 s).
REFERENCE_AUTO_MAX = 10**6
#: The reference refuses more than this (about a minute); use ``planewave`` beyond.
REFERENCE_MAX = 10**8
#: Default sample budget (pair samples or directions) without ``rel_err``.
DEFAULT_SAMPLES = 10**6
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


def _check_request(geometry, method, samples, rel_err, seed, atoms, replicas, with_g):
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a lehmberg.Geometry, got {type(geometry).__name__}")
    method = _checks.choice(method, "method", METHODS)
    samples = _checks.integer(samples, "samples", _checks.SAMPLES_MIN, _checks.SAMPLES_MAX,
                              allow_none=True)
    rel_err = _checks.number(rel_err, "rel_err", 0.0, 1.0, lo_open=True, allow_none=True)
    seed = _checks.integer(seed, "seed", 0, _checks.SEED_MAX)
    atoms = _checks.integer(atoms, "atoms", _checks.ATOMS_MIN, _checks.ATOMS_MAX, allow_none=True)
    replicas = _checks.integer(replicas, "replicas", _checks.REPLICAS_MIN, _checks.REPLICAS_MAX,
                               allow_none=True)
    if with_g is not None and not isinstance(with_g, bool):
        raise TypeError(f"with_g must be True, False or None, got {with_g!r}")
    if replicas is not None and atoms is None and method != "clouds":
        raise ValueError("replicas needs atoms (realised clouds)")
    if method in ("pairs", "reference") and (atoms is not None or replicas is not None):
        raise ValueError(f"atoms/replicas: not with method {method!r} (position averages)")
    if method == "reference" and geometry.shape != "gaussian":
        raise ValueError("method 'reference' covers Gaussian clouds only; use 'auto'")
    return method, samples, rel_err, seed, atoms, replicas


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked request of :func:`rates`: what will run, decided once, before any work.

    :func:`plan_cost` makes it (every argument checked, every limit applied) and
    :func:`execute` runs exactly it; ``rates(...)`` is the two in one call.

    Attributes
    ----------
    geometry : Geometry
        The pair of clouds.
    method : str
        The method asked for (``"auto"`` included).
    gamma, g : str
        The estimator of Γ̄ and the estimator of Ḡ.
    reason : str
        Why, in words.
    samples, rel_err, seed, atoms, replicas, with_g
        The checked arguments (``atoms``/``replicas`` with their defaults where realised
        clouds run).
    clouds : lehmberg.clouds.CloudPlan or None
        Realised clouds: the engine, whether Ḡ is computed, the predicted time and memory.
    evaluations : int or None
        The reference's integrand evaluations, where it runs.
    """

    geometry: Geometry
    method: str
    gamma: str
    g: str
    reason: str
    samples: int | None = None
    rel_err: float | None = None
    seed: int = 0
    atoms: int | None = None
    replicas: int | None = None
    with_g: bool | None = None
    clouds: object = None
    evaluations: int | None = None

    @property
    def methods(self) -> tuple:
        """The distinct estimators that run, Γ̄'s first."""
        return tuple(dict.fromkeys((self.gamma, self.g)))


def plan_cost(geometry, method="auto", samples=None, atoms=None, replicas=None, rel_err=None,
              seed=0, with_g=None) -> Plan:
    """Check a request (every argument of :func:`rates`) against the limits before any work.

    Returns
    -------
    Plan
        The plan :func:`execute` runs (``rates`` with the same arguments runs the same one).

    Raises
    ------
    ValueError or TypeError
        Naming the parameter or the limit.

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> from lehmberg.estimators import plan_cost
    >>> plan = plan_cost(Geometry(kL=10, kR=30), "clouds", atoms=10**4, replicas=4)
    >>> plan.gamma, plan.clouds.engine in ("structure", "pairs"), plan.clouds.with_g
    ('clouds', True, True)
    """
    from .reference import cost

    method, samples, rel_err, seed, atoms, replicas = _check_request(
        geometry, method, samples, rel_err, seed, atoms, replicas, with_g)
    n = None
    if method == "auto":
        m_gamma, m_g, reason = choose_method(geometry, atoms)
    else:
        m_gamma, m_g, reason = method, method, "chosen by the caller"
    if "reference" in (m_gamma, m_g):
        n = cost(geometry.kL, geometry.kR, geometry.R_dir, geometry.p_hat)
        if n > REFERENCE_MAX:
            raise ValueError(f"method 'reference' would need {n:.2g} integrand evaluations "
                             f"(limit {REFERENCE_MAX:.0e}, about a minute); use 'planewave'")
    cloud_plan = None
    if "clouds" in (m_gamma, m_g):
        from . import clouds

        atoms = DEFAULT_ATOMS if atoms is None else atoms
        replicas = DEFAULT_REPLICAS if replicas is None else replicas
        cloud_plan = clouds.plan(geometry, atoms, replicas, with_g=with_g)
        reason = f"{reason}; engine {cloud_plan.engine} ({cloud_plan.reason})"
    elif atoms is not None and replicas is None:
        replicas = DEFAULT_REPLICAS
    if with_g and cloud_plan is None and m_g == "planewave" and (
            atoms is not None or geometry.shape != "gaussian"):
        raise ValueError("with_g: the plane waves have no Ḡ for this request (realised or cube "
                         "clouds); use method 'auto', 'pairs' or 'clouds'")
    return Plan(geometry=geometry, method=method, gamma=m_gamma, g=m_g, reason=reason,
                samples=samples, rel_err=rel_err, seed=seed, atoms=atoms, replicas=replicas,
                with_g=with_g, clouds=cloud_plan, evaluations=n)


def rates(geometry: Geometry, method: str = "auto", *, samples: int | None = None,
          rel_err: float | None = None, seed: int = 0, atoms: int | None = None,
          replicas: int | None = None, with_g: bool | None = None, progress=None) -> Rates:
    """Position-averaged rates Γ̄, Ḡ, Γ_ij, G_ij of one pair of clouds, with errors.

    The pair is the one ``geometry`` describes: inside cloud I when ``geometry.kR`` is
    None, else between cloud I and cloud II (``geometry.single()`` gives the first).
    ``rates(...)`` is ``execute(plan_cost(...))``: every argument and every limit is
    checked before any work, and the plan checked is the plan run.

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
    with_g : bool, optional
        Realised clouds: compute Ḡ (and G_ij) too.  Default: where Γ_ij needs it (between
        clouds) or it is free (the pair kernel); inside one cloud the structure engine
        then gives Γ̄ alone, Γ_ij = Re Γ̄ exactly.
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
    plan = plan_cost(geometry, method, samples, atoms, replicas, rel_err, seed, with_g)
    return execute(plan, progress, _stacklevel=3)


def execute(plan: Plan, progress=None, *, _stacklevel: int = 2) -> Rates:
    """Run a :class:`Plan` from :func:`plan_cost` (no further checks, no second choice).

    Parameters
    ----------
    plan : Plan
    progress : callable, optional
        ``progress(done, total)`` as the work proceeds.

    Returns
    -------
    Rates
        As :func:`rates`; a ``rel_err`` target not met warns with :class:`TargetNotMetWarning`.
    """
    if not isinstance(plan, Plan):
        raise TypeError(f"plan must be a lehmberg.estimators.Plan (from plan_cost), got "
                        f"{type(plan).__name__}")
    done = {m: _run(m, plan, progress) for m in plan.methods}
    est = done[plan.gamma]
    if plan.g != plan.gamma:
        est = _combine(est, done[plan.g], plan)
        if plan.rel_err is not None:
            est = est.replace(target_met=est.rel_err() <= plan.rel_err)
    if plan.rel_err is not None and est.target_met is False:
        warnings.warn(TargetNotMetWarning(
            f"{plan.geometry.pair}: relative error {est.rel_err():.2g} of Gamma_ij did not reach "
            f"rel_err={plan.rel_err:g} "
            f"within samples={plan.samples or DEFAULT_SAMPLES:g}"), stacklevel=_stacklevel)
    return est.replace(geometry=plan.geometry)


def _run(method, plan, progress):
    g = plan.geometry
    kR, samples, rel_err, seed = g.kR, plan.samples, plan.rel_err, plan.seed
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
        from .clouds import cloud_rates

        return cloud_rates(g, plan.clouds, seed=seed, progress=progress)
    from .planewave import planewave_rates

    atoms = plan.atoms
    return planewave_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, rel_err=rel_err,
                           max_directions=samples if samples or atoms else DEFAULT_SAMPLES,
                           seed=seed, atoms=atoms, replicas=plan.replicas if atoms else None,
                           progress=progress, need_Gamma_ij=False)


def _combine(gam, g, plan):
    """Γ̄ from one estimator and Ḡ from another (independent), as one Rates."""
    kinds = dict.fromkeys((gam.error_kind, g.error_kind))
    both = f"{plan.gamma}+{plan.g}"
    return Rates.from_parts(
        gam.gamma_bar, gam.gamma_bar_err, g.g_bar, g.g_bar_err, gam.n_samples + g.n_samples,
        both, error_kind=" and ".join(kinds),
        methods={"gamma_bar": plan.gamma, "g_bar": plan.g, "Gamma_ij": both, "G_ij": both},
        notes=tuple(dict.fromkeys(gam.notes + g.notes)))
