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

Every estimator takes the paper's set-up (``Geometry(kL=…, kR=…)``); clouds of their own
(``Geometry.of``, SPEC §9) are taken by ``reference`` (Gaussian clouds), ``planewave`` (Γ̄ of
every shape, Ḡ of Gaussians), ``pairs`` and ``clouds`` (every shape, waists of Gaussian clouds,
any probe, complex dipoles; Ḡ where the law of r_i − r_j near 0 is known).

``method="auto"`` picks, per quantity, the cheapest estimator that delivers it:

* ``atoms`` given: ``clouds``;
* Gaussian clouds: ``reference`` when it costs at most ``REFERENCE_AUTO_MAX`` integrand
  evaluations (about half a second), else ``planewave``;
* cube clouds: Γ̄ from ``planewave``, Ḡ from ``pairs`` (the plane waves have no Ḡ for
  cubes), combined into Γ_ij = Re Γ̄ − Im Ḡ with independent errors added in quadrature.
* clouds of their own: ``clouds`` with ``atoms``, else ``reference`` for Gaussian clouds and
  ``planewave`` (Γ̄) for boxes and cylinders.

``Rates.methods`` says which estimator produced which quantity.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from . import _checks
from .geometry import Geometry
from .clouds import DEFAULT_ATOMS, DEFAULT_REPLICAS
from .result import Rates, TargetNotMetWarning

__all__ = ["rates", "choose_method", "METHODS", "plan_cost", "execute", "Plan",
           "predicted_seconds"]

#: Names accepted by ``method``.
METHODS = ("auto", "reference", "planewave", "pairs", "clouds")
#: ``auto`` uses the reference up to this many integrand evaluations (~0.5 s).
REFERENCE_AUTO_MAX = 10**6
#: The reference refuses more than this (about a minute); use ``planewave`` beyond.
REFERENCE_MAX = 10**8
#: Default sample budget (pair samples or directions) without ``rel_err`` (from ``_checks``).
DEFAULT_SAMPLES = _checks.DEFAULT_SAMPLES
#: Realised clouds: largest cloud and longest predicted run (re-exported from ``_checks``).
ATOMS_MAX = _checks.ATOMS_MAX
CLOUD_SECONDS_MAX = _checks.CLOUD_SECONDS_MAX


#: Inter-cloud Fresnel parameter u = k_L R_∥/(k_L L)² (R_∥ the separation along the probe) from
#: which independent pairs beat plane waves: a pair sample's kernel ~1/R is then of the order of
#: Γ̄ itself (relative spread O(1) whatever k_L L), while the plane waves' integrand oscillates
#: (``benchmarks/auto.py``: per-sample spreads 0.89 and 1.18 at u = 1, 0.95 and 91 at u = 10).
PAIRS_FRESNEL_MIN = 1.0
#: Cube clouds: Ḡ from independent pairs up to this k_L L (their per-sample spread ~k_L L/2 at
#: 0.14 µs a sample), beyond it from the q-space Monte Carlo of lehmberg.uniform_g (spread ~2–20
#: from k_L L 10 to 10⁵ at ~1.4 µs a sample): equal costs near k_L L = 30.
CUBE_G_PAIRS_KL_MAX = 30.0
#: Measured cost models (2-core machine, ``benchmarks/auto.py``): seconds per integrand
#: evaluation of the reference, per direction of the plane waves (Gaussian, closed form) and per
#: symmetrised pair sample; the per-sample relative spread σ of the two Monte-Carlo estimators.
SECONDS_PER = {"reference": 2.9e-7, "planewave": 4.5e-7, "pairs": 1.4e-7}
_SETUP_SECONDS = {"reference": 2e-3, "planewave": 2e-2, "pairs": 5e-3}
#: Plane waves: σ against u (log-log interpolation; inside one cloud 0.16).
_PW_U = (0.1, 1.0, 10.0, 100.0, 1000.0)
_PW_SIGMA = (0.171, 1.18, 90.0, 400.0, 480.0)


def _fresnel(geometry):
    """u = k_L R_∥/(k_L L)² along the probe (None for one cloud)."""
    if geometry.kR is None:
        return None
    return geometry.kR * abs(geometry.R_dir[2]) / geometry.kL**2


def _sigma(method, geometry):
    """Per-sample relative spread of Γ_ij of a Monte-Carlo estimator (the cost model's σ)."""
    import math

    u = _fresnel(geometry)
    if method == "planewave":
        if u is None or u <= _PW_U[0]:
            return 0.171 if geometry.kL >= 3 else 0.63
        x = min(max(math.log(u), math.log(_PW_U[0])), math.log(_PW_U[-1]))
        return math.exp(float(np.interp(x, np.log(_PW_U), np.log(_PW_SIGMA))))
    # pairs: ~k_L L/2 inside one cloud (heavy-tailed beyond ~10), ~0.76/u between, >= 0.5
    near = 0.5 * geometry.kL
    return max(0.5, near if u is None or u == 0.0 else min(near, 0.76 / u))


def predicted_seconds(method: str, geometry: Geometry, rel_err: float | None = None,
                      samples: int | None = None) -> float:
    """Predicted wall time of one request of ``method`` on the 2-core machine (cost models above).

    Parameters
    ----------
    method : {"reference", "planewave", "pairs"}
    geometry : Geometry
    rel_err : float, optional
        Target relative error of Γ_ij (Monte Carlo); None: ``samples`` samples.
    samples : int, optional
        Sample budget (default 10⁶; with ``rel_err`` the cap).

    Returns
    -------
    float
        Seconds (what matters is the comparison between methods).

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> from lehmberg.estimators import predicted_seconds
    >>> far = Geometry(kL=100.0, kR=1e5)  # u = 10
    >>> predicted_seconds("pairs", far, 1e-3) < predicted_seconds("planewave", far, 1e-3)
    True
    """
    from .reference import cost

    if method == "reference":
        n = cost(geometry.kL, geometry.kR, geometry.R_dir, geometry.p_hat)
    elif method in ("planewave", "pairs"):
        cap = samples or DEFAULT_SAMPLES
        if rel_err is None:
            n = cap
        else:  # the batches _run makes: plane waves 4096 directions, pairs from the need
            from .average import default_batch_size

            need = (_sigma(method, geometry) / rel_err) ** 2
            batch = 4096 if method == "planewave" else default_batch_size(min(cap, 2 * need))
            n = min(cap, max(_checks.MIN_BATCHES * batch, need))
    else:
        raise ValueError(f"method must be 'reference', 'planewave' or 'pairs', got {method!r}")
    return _SETUP_SECONDS[method] + SECONDS_PER[method] * float(n)


def choose_method(geometry: Geometry, atoms: int | None = None,
                  rel_err: float | None = None) -> tuple[str, str, str]:
    """The estimators ``auto`` uses for Γ̄ and for Ḡ, and the reason in words.

    * ``atoms``: realised clouds.
    * Between clouds with u = k_L R_∥/(k_L L)² >= ``PAIRS_FRESNEL_MIN``, the Monte Carlo is
      independent pairs (there they beat plane waves by up to orders of magnitude), else plane
      waves (cube clouds: Γ̄ from plane waves, Ḡ from pairs; the plane waves have no Ḡ there).
    * Gaussian clouds: the quadrature reference (exact to ~1e-10) when it costs at most
      ``REFERENCE_AUTO_MAX`` evaluations and, with ``rel_err``, is predicted at most 2× slower
      than that Monte Carlo (:func:`predicted_seconds`).
    * Clouds of their own (SPEC §9): realised clouds with ``atoms``, else the direction-integral
      reference for Gaussian clouds and the plane waves (Γ̄) for boxes and cylinders.

    Parameters
    ----------
    geometry : Geometry
        The request.
    atoms : int, optional
        Atoms per realised cloud (a request about realised clouds).
    rel_err : float, optional
        The requested relative error of Γ_ij.

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
    >>> choose_method(Geometry(kL=1e4, kR=1e9))[:2]  # u = 10
    ('pairs', 'pairs')
    """
    from .reference import cost

    if not geometry.paper:
        return _general_auto(geometry, atoms)
    if atoms is not None:
        return "clouds", "clouds", "realised clouds: exact pair sums over the atoms of each snapshot"
    u = _fresnel(geometry)
    if u is not None and u >= PAIRS_FRESNEL_MIN:
        mc, mc_g = "pairs", "pairs"
        why = f"independent pairs (clouds apart along the probe, u = {u:.3g} >= {PAIRS_FRESNEL_MIN:g})"
    elif geometry.shape == "gaussian":
        mc, mc_g, why = "planewave", "planewave", "plane waves"
    elif geometry.kL <= CUBE_G_PAIRS_KL_MAX:
        return "planewave", "pairs", ("cube clouds: Γ̄ from plane waves, Ḡ from independent pairs "
                                      f"(k_L L <= {CUBE_G_PAIRS_KL_MAX:g})")
    else:
        return "planewave", "planewave", ("cube clouds: Γ̄ from plane waves, Ḡ from the q-space "
                                          "Monte Carlo (lehmberg.uniform_g; pairs cost "
                                          f"~(k_L L)² beyond k_L L = {CUBE_G_PAIRS_KL_MAX:g})")
    if geometry.shape == "gaussian":
        n = cost(geometry.kL, geometry.kR, geometry.R_dir, geometry.p_hat)
        if n <= REFERENCE_AUTO_MAX:
            t_ref = predicted_seconds("reference", geometry)
            t_mc = None if rel_err is None else predicted_seconds(mc, geometry, rel_err)
            if t_mc is None or t_ref <= 2.0 * t_mc:
                return "reference", "reference", (f"Gaussian clouds: quadrature reference "
                                                  f"({n:,} evaluations)")
            return mc, mc_g, (f"Gaussian clouds: {why} (predicted {t_mc:.2g} s for rel_err "
                              f"{rel_err:g}, the reference {t_ref:.2g} s)")
        return mc, mc_g, f"Gaussian clouds: {why} (the reference would need {n:.2g} evaluations)"
    return mc, mc_g, f"cube clouds: {why}"


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
    if not geometry.paper:
        return _plan_general(geometry, method, samples, rel_err, seed, atoms, replicas, with_g)
    if method == "auto":
        m_gamma, m_g, reason = choose_method(geometry, atoms, rel_err)
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
        cloud_plan = clouds.plan(geometry, atoms, replicas, with_g=with_g, rel_err=rel_err)
        reason = f"{reason}; engine {cloud_plan.engine} ({cloud_plan.reason})"
    elif atoms is not None and replicas is None:
        replicas = DEFAULT_REPLICAS
    if with_g and cloud_plan is None and m_g == "planewave" and atoms is not None:
        raise ValueError("with_g: the plane waves have no Ḡ of realised clouds; use method "
                         "'auto', 'pairs' or 'clouds'")
    return Plan(geometry=geometry, method=method, gamma=m_gamma, g=m_g, reason=reason,
                samples=samples, rel_err=rel_err, seed=seed, atoms=atoms, replicas=replicas,
                with_g=with_g, clouds=cloud_plan, evaluations=n)


def _proxy(geometry):
    """The paper's geometry whose Monte-Carlo cost model (``_sigma``) stands for a general one:
    the largest size of the clouds, the distance of their centres, and the direction of the
    separation relative to the probe (its component along k̂ is what the Fresnel parameter takes)."""
    import math

    I, II = geometry.I, geometry.II
    kL = max(max(c.kL) for c in (I, II) if c is not None)
    if II is None:
        return Geometry(kL=kL)
    m = np.asarray(II.centre) - np.asarray(I.centre)
    R = float(np.linalg.norm(m))
    if R == 0.0:
        return Geometry(kL=kL, kR=0.0)
    along = float(m @ np.asarray(geometry.probe)) / R
    return Geometry(kL=kL, kR=min(R, _checks.KR_MAX),
                    R_dir=(math.sqrt(max(0.0, 1.0 - along * along)), 0.0, along))


def _general_auto(geometry, atoms):
    """``auto`` for clouds of their own: (Γ̄'s method, Ḡ's method, reason)."""
    if atoms is not None:
        return "clouds", "clouds", "realised clouds: exact pair sums over the atoms of each snapshot"
    if all(c.shape == "gaussian" for c in (geometry.I, geometry.II) if c is not None):
        return "reference", "reference", ("Gaussian clouds of their own: direction-integral "
                                          "reference (lehmberg.anisotropic)")
    return "planewave", "planewave", ("boxes or cylinders of their own: plane waves (Γ̄) and "
                                      "q-space Monte Carlo (Ḡ, lehmberg.uniform_g)")


def _plan_general(geometry, method, samples, rel_err, seed, atoms, replicas, with_g):
    """The plan of a geometry other than the paper's (SPEC §9).

    * ``reference``: Gaussian clouds, the direction-integral reference (:mod:`lehmberg.anisotropic`);
    * ``planewave``: every shape's Γ̄, :func:`lehmberg.planewave.general_rates` (Ḡ of Gaussians
      there too), and Ḡ of boxes and cylinders by :func:`lehmberg.uniform_g.g_rates`
      (``with_g=False`` skips it);
    * ``pairs``: independent pairs of any geometry, :func:`lehmberg.average.pair_rates` (Ḡ where
      the law of r near 0 is known: :func:`lehmberg.near.difference_law`);
    * ``clouds``: realised clouds of any geometry (:func:`lehmberg.clouds.cloud_rates`), the
      engine by predicted cost (:func:`lehmberg.clouds.plan`).

    ``auto``: realised clouds with ``atoms``; otherwise the reference for Gaussian clouds and the
    plane waves for boxes and cylinders."""
    from . import clouds
    from .average import general_pair

    gaussian = all(c.shape == "gaussian" for c in (geometry.I, geometry.II) if c is not None)
    if method == "reference" and not gaussian:
        raise ValueError("method 'reference' covers Gaussian clouds only; use 'auto', "
                         "'planewave', 'pairs' or 'clouds' for boxes and cylinders")
    if method == "planewave" and atoms is not None:
        raise ValueError("atoms/replicas: the plane waves have no realised clouds of their own; "
                         "use method 'clouds'")
    if method != "auto":
        m, reason = method, "chosen by the caller"
    else:
        m, _, reason = _general_auto(geometry, atoms)
    cloud_plan = None
    if m == "clouds":
        atoms = DEFAULT_ATOMS if atoms is None else atoms
        replicas = DEFAULT_REPLICAS if replicas is None else replicas
        cloud_plan = clouds.plan(geometry, atoms, replicas, with_g=with_g, rel_err=rel_err)
        reason = f"{reason}; engine {cloud_plan.engine} ({cloud_plan.reason})"
    elif m == "pairs":
        try:  # every check before any work: a waist on a box, Ḡ's law near r = 0
            general_pair(geometry, with_g is not False)
        except ValueError as exc:
            if with_g is not None or not str(exc).startswith("with_g"):
                raise
            general_pair(geometry, False)
            with_g = False
            reason += "; Ḡ not computed (the law of r_i − r_j near 0 is not known for these clouds)"
    return Plan(geometry=geometry, method=method, gamma=m, g=m, reason=reason, samples=samples,
                rel_err=rel_err, seed=seed, atoms=atoms, replicas=replicas, with_g=with_g,
                clouds=cloud_plan)


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
            + (f"with replicas={plan.clouds.replicas} of atoms={plan.clouds.atoms} (more "
               "replicas reach it)" if plan.clouds is not None else
               f"within samples={plan.samples or DEFAULT_SAMPLES:g}")), stacklevel=_stacklevel)
    return est.replace(geometry=plan.geometry)


def _run(method, plan, progress):
    g = plan.geometry
    kR, samples, rel_err, seed = g.kR, plan.samples, plan.rel_err, plan.seed
    if method == "reference" and not g.paper:
        est = _anisotropic_reference(g)
        if progress is not None:
            progress(1, 1)
        return est
    if method == "reference":
        from .reference import reference_rates

        est = reference_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape)
        if progress is not None:
            progress(1, 1)
        return est
    if method == "pairs":
        from .average import default_batch_size, mc_rates, pair_rates

        batch = None
        if rel_err is not None:  # batches (and the default cap) from the predicted need
            need = (_sigma("pairs", g if g.paper else _proxy(g)) / rel_err) ** 2
            if samples is None:
                samples = int(min(_checks.SAMPLES_MAX, max(DEFAULT_SAMPLES, 4 * need)))
            batch = default_batch_size(min(samples, 2 * need))
        if not g.paper:
            return pair_rates(g, samples or DEFAULT_SAMPLES, rel_err, seed, batch, progress,
                              with_g=plan.with_g is not False)
        return mc_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, samples or DEFAULT_SAMPLES, rel_err,
                        seed, progress, batch_size=batch)
    if method == "clouds":
        from .clouds import cloud_rates

        est = cloud_rates(g, plan.clouds, seed=seed, progress=progress)
        # the replicas are fixed in advance: rel_err is checked, not chased (and sets the
        # transforms' tolerance, CloudPlan.eps)
        return est if rel_err is None else est.replace(target_met=est.rel_err() <= rel_err)
    if not g.paper:
        return _general_planewave(g, plan, progress)
    from .planewave import planewave_rates

    atoms = plan.atoms
    if samples is None and atoms is None and rel_err is not None:  # the cap from the predicted need
        samples = int(min(_checks.SAMPLES_MAX,
                          max(DEFAULT_SAMPLES, 4 * (_sigma("planewave", g) / rel_err) ** 2)))
    if g.shape == "cube" and atoms is None and plan.g == "planewave" and plan.with_g is not False:
        est = planewave_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, rel_err=rel_err,
                              max_directions=samples or DEFAULT_SAMPLES, seed=seed,
                              progress=progress, need_Gamma_ij=False)
        return _with_uniform_g(est, g, plan)
    return planewave_rates(g.kL, kR, g.R_dir, g.p_hat, g.shape, rel_err=rel_err,
                           max_directions=samples if samples or atoms else DEFAULT_SAMPLES,
                           seed=seed, atoms=atoms, replicas=plan.replicas if atoms else None,
                           progress=progress, need_Gamma_ij=False)


#: Most q-space samples of Ḡ of a box or cylinder with a rel_err target (~8·10⁶, about 10 s
#: here; a cube of k_L L = 10⁵ needs 6·10⁶ for 1 %); a Ḡ that needs more says so in the notes.
G_SAMPLES_MAX = 2**23


def _general_planewave(g, plan, progress):
    """Plane waves for clouds of their own: Γ̄ by :func:`lehmberg.planewave.general_rates`; Ḡ of
    Gaussians there too, of boxes and cylinders by :func:`lehmberg.uniform_g.g_rates` (an
    independent Monte Carlo: the errors add in quadrature), unless ``with_g`` is False."""
    from .planewave import general_rates

    samples, rel_err, seed = plan.samples, plan.rel_err, plan.seed
    gaussian = all(c.shape == "gaussian" for c in (g.I, g.II) if c is not None)
    if gaussian or plan.with_g is False:
        return general_rates(g.I, g.II, k_hat=g.probe, p_hat=g.p_hat, rel_err=rel_err,
                             max_directions=samples, seed=seed, progress=progress,
                             want_g=gaussian and plan.with_g is not False)
    est = general_rates(g.I, g.II, k_hat=g.probe, p_hat=g.p_hat, rel_err=rel_err,
                        max_directions=samples, seed=seed, want_g=False)
    out = _with_uniform_g(est, g, plan)
    if progress is not None:
        progress(1, 1)
    return out


def _with_uniform_g(est, g, plan):
    """``est`` (Γ̄ by plane waves) with Ḡ of boxes, cylinders or cubes from the independent
    q-space Monte Carlo :func:`lehmberg.uniform_g.g_rates` (errors in quadrature)."""
    from .uniform_g import g_rates

    samples, rel_err, seed = plan.samples, plan.rel_err, plan.seed
    cap = samples if samples is not None else (G_SAMPLES_MAX if rel_err is not None else None)
    G = g_rates(g.I, g.II, k_hat=g.probe, p_hat=g.p_hat, rel_err=rel_err, seed=seed,
                max_samples=cap, batch_size=2**16 if cap is None else min(2**16, max(64, cap)))

    from .uniform_g import TAIL_SHARE_MAX

    notes = est.notes + (f"Ḡ: q-space Monte Carlo (lehmberg.uniform_g), {G.evaluations} samples"
                         + ("" if G.target_met in (None, True) else
                            f", relative error {G.rel_err:.2g} (target not reached)")
                         + ("" if G.tail_share <= TAIL_SHARE_MAX else
                            f"; one sample carries {G.tail_share:.0%} of the sum of squares "
                            "behind Ḡ's error bar (a heavy tail): that error bar is indicative "
                            "only"),)
    out = Rates.from_parts(est.gamma_bar, est.gamma_bar_err, G.g_bar, G.g_bar_err,
                           est.n_samples + G.evaluations, "planewave", notes=notes, eta=est.eta)
    # rel_err is a target on Γ_ij (inside one cloud Γ_ij = Re Γ̄: Ḡ's own reach is in the notes)
    return out if rel_err is None else out.replace(target_met=out.rel_err() <= rel_err)


def _anisotropic_reference(g):
    """Rates of Gaussian clouds of their own by :func:`lehmberg.anisotropic.rates`."""
    from . import anisotropic

    I, II = g.I, g.II
    kw = dict(cov_a=I.covariance(), centre_a=I.centre, waist_a=I.waist, k_hat=g.probe,
              p_hat=g.p_hat)
    if II is not None:
        kw.update(cov_b=II.covariance(), centre_b=II.centre, waist_b=II.waist)
    out = anisotropic.rates(**kw)
    waist = I.waist is not None or (II is not None and II.waist is not None)
    notes = () if out.target_met else (
        "the quadrature stopped at its evaluation limit before its relative target; the error "
        "estimate is what it reached",)
    return Rates.from_parts(out.gamma_bar, out.gamma_bar_err, out.g_bar, out.g_bar_err,
                            out.evaluations, "reference", error_kind="quadrature error estimate",
                            bound=True, notes=notes,
                            eta=(out.eta_a, out.eta_b) if waist else None)


def _combine(gam, g, plan):
    """Γ̄ from one estimator and Ḡ from another (independent), as one Rates."""
    kinds = dict.fromkeys((gam.error_kind, g.error_kind))
    both = f"{plan.gamma}+{plan.g}"
    return Rates.from_parts(
        gam.gamma_bar, gam.gamma_bar_err, g.g_bar, g.g_bar_err, gam.n_samples + g.n_samples,
        both, error_kind=" and ".join(kinds),
        methods={"gamma_bar": plan.gamma, "g_bar": plan.g, "Gamma_ij": both, "G_ij": both},
        notes=tuple(dict.fromkeys(gam.notes + g.notes)))
