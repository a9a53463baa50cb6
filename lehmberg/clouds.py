"""Method ``clouds``: the rates of realised clouds, planned once and then run.

A realised cloud is one snapshot of the experiment: N atoms drawn once (SPEC §4).  Each
replica r draws ``atoms`` positions per cloud from ``make_rng(seed, STREAMS["clouds"][pair], r)``
and evaluates its pair means S_γ/n_pairs, S_g/n_pairs exactly (pairs i ≠ j inside cloud I,
else i in I, j in II), with one of two engines:

* ``"pairs"``: the fast O(N²) pair kernel (:func:`lehmberg.pairsum.fast_pair_sum`), Γ̄ and
  Ḡ together;
* ``"structure"``: Γ̄ by structure factors and an exact direction quadrature
  (:func:`lehmberg.structure.gamma_pair_sum`, O(N) plus a grid that grows like (k_L L)³),
  Ḡ (when asked for) by the Ewald split of :func:`lehmberg.structure.g_pair_sum`.

Clouds of their own (``Geometry.of``, SPEC §9) run the same way: each replica draws the
clouds as they are (``sampling.make_cloud``: Gaussians of any covariance, boxes, cylinders;
stream ``make_rng(seed, STREAMS["clouds"][pair], 1, r)``), the probe amplitudes
u_i = exp(−ρ⊥²/w²) of a waist are per-atom weights of both engines (pair means
Σ u_i u_j e^{ik̂·r_ij}(γ, g)/(n_pairs √(E_X[u²]E_Y[u²])), E[u²] in closed form for Gaussians:
unbiased, no ratio of sampled means), the positions are turned into the probe frame (k̂ → ẑ;
rates are rotation invariant) and a complex dipole p̂ = a + ib is |a|² S(â) + |b|² S(b̂) on the
same positions (every kernel is linear in Re(p̂p̂†)).  Ḡ's near pairs enter through the exact
expectation of their law (:func:`lehmberg.near.difference_law`).  The cost models, fitted to
the paper's clouds, are applied conservatively: at each cloud's largest extent in any
orientation, Ḡ's short part also at its peak density, twice for a complex dipole
(``_cost_inputs``).

The decision is made once, by :func:`plan`: which engine, whether Ḡ is computed, the
predicted time of all replicas and the predicted peak memory
(:func:`lehmberg.structure.predicted_seconds`, :func:`lehmberg.structure.estimate_memory`).
The same :class:`CloudPlan` is what the face's limit check refuses or accepts
(:func:`lehmberg.estimators.plan_cost`) and what :func:`cloud_rates` runs, so the two
cannot disagree.

Every replica is an unbiased estimate of the position average, so the replica mean is
too; the replica scatter is the speckle of one snapshot.  What the error bars mean — Γ̄
(bounded kernel): the standard error over replicas.  Ḡ: the pairs closer than
``near_radius`` carry the 1/(k r)³ near field, whose pair mean has a Cauchy-like tail
(infinite variance; the closest pair of a snapshot shifts Ḡ by O(1/L³) whatever N), so
the raw replica mean has no honest standard error.  The Ḡ reported is the replica mean
of the pairs farther apart than ``near_radius`` plus the exact expectation of the nearer
ones (:func:`lehmberg.near.near_expectation`): unbiased, finite variance, and its
standard error is honest (z-scores over seeds, ``tests/test_structure.py``).  The
result's ``notes`` say so and give the raw snapshot mean.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sampling import STREAMS, make_rng

from . import _checks
from .result import Rates

__all__ = ["CloudPlan", "plan", "cloud_rates", "ENGINES", "DEFAULT_ATOMS", "DEFAULT_REPLICAS"]

#: The exact engines of realised clouds (``"auto"`` picks one of them by predicted time).
ENGINES = ("structure", "pairs")
#: Default atoms per cloud and snapshots.
DEFAULT_ATOMS, DEFAULT_REPLICAS = 1000, 32
#: The cost models are fitted on a 2-core machine; the prediction scales with the threads.
_FITTED_THREADS = 2


@dataclasses.dataclass(frozen=True)
class CloudPlan:
    """What a realised-cloud request will do, decided before any work.

    Attributes
    ----------
    engine : {"structure", "pairs"}
        The exact engine every replica runs.
    with_g : bool
        Whether Ḡ is computed (without it Ḡ and G_ij are NaN, and between clouds Γ_ij).
    atoms, replicas : int
        Atoms per cloud and snapshots.
    near_radius : float
        Pairs closer than this (units of 1/k_L) enter Ḡ through their exact expectation.
    seconds : float
        Predicted wall time of all replicas on this machine (the fitted 2-core cost model
        scaled by the threads available).
    nbytes : int
        Predicted peak memory in bytes (replicas run one after another).
    alternatives : tuple of (str, float, int)
        Every engine considered, with its predicted seconds and bytes.
    reason : str
        Why this engine, in words.
    eps : float or None
        Tolerance of Γ̄'s transforms (structure engine): None is ``structure.EPS``; with a
        requested ``rel_err``, :func:`lehmberg.structure.eps_for` of it (the transform's error
        held to 1 % of the requested statistical error).
    """

    engine: str
    with_g: bool
    atoms: int
    replicas: int
    near_radius: float
    seconds: float
    nbytes: int
    alternatives: tuple = ()
    reason: str = ""
    eps: float | None = None

    def label(self) -> str:
        """The engine in words, as the result's first note gives it."""
        from . import structure

        if self.engine == "pairs":
            return "fast pair kernel"
        eps = structure.EPS if self.eps is None else self.eps
        text = f"structure factors (finufft type 3, eps {eps:g}" + (
            ", from rel_err by structure.eps_for)" if self.eps is not None else ")")
        if self.with_g:
            return text + f"; Ḡ: Ewald split (finufft type 1, tails {structure.G_TOL:g})"
        return text + "; Ḡ not computed"


def _threads():
    import numba

    return max(1, numba.get_num_threads())


def _cost_inputs(gp):
    """The paper's cost-model inputs that bound a general pair of clouds (conservatively):
    per cloud (shape, k_L L of the extent, k_L L of the density), and k_L R.

    The structure engine's grids and direction rule grow with the extent of the drawn clouds in
    the probe frame, Ḡ's short part with their density.  A Gaussian of sizes L_i has per-axis
    standard deviation at most max L_i/√2 in every direction: the paper's Gaussian of size
    max L_i bounds its extent, the one of size (L₁L₂L₃)^{1/3} has its peak density.  A box or
    cylinder lies in the ball of its circumscribed diameter D (√ΣL_i², √(L₁² + L₃²)), so the
    paper's cube of side D bounds its extent in any orientation, the cube of its volume has its
    density.  k_L R is the distance of the centres (the models depend on it through the
    clouds' overlap only)."""
    out = []
    for c in gp.clouds:
        L = np.asarray(c.L, dtype=np.float64)
        if c.shape == "gaussian":
            out.append(("gaussian", float(L.max()), float(np.prod(L)) ** (1.0 / 3.0)))
        else:
            D = float(np.linalg.norm(L)) if c.shape == "box" else math.hypot(L[0], L[2])
            out.append(("cube", D, c.volume ** (1.0 / 3.0)))
    kR = None if gp.which == "intra" else float(np.linalg.norm(gp.clouds[0].center
                                                                - gp.clouds[1].center))
    return out, kR


def _span(inputs, kR, atoms):
    """An upper bound of the per-axis extent of all atoms of a request (the 1 − 1e-3 quantile of
    the largest of ``atoms`` Gaussian draws, as the structure engine's plan takes it; the
    circumscribed ball of a cube)."""
    from scipy.stats import chi

    radius = 0.0
    for shape, kL, _ in inputs:
        if shape == "gaussian":
            radius = max(radius, kL / math.sqrt(2.0) * float(chi(3).isf(1e-3 / atoms)))
        else:
            radius = max(radius, 0.5 * math.sqrt(3.0) * kL)
    return 2.0 * radius + (kR or 0.0)


def plan(geometry, atoms: int = DEFAULT_ATOMS, replicas: int = DEFAULT_REPLICAS, *,
         engine: str = "auto", with_g: bool | None = None, near_radius: float = 1.0,
         max_memory: float | None = None, max_seconds: float | None = None,
         rel_err: float | None = None) -> CloudPlan:
    """Choose the engine of a realised-cloud request and check it against the limits.

    Parameters
    ----------
    geometry : lehmberg.Geometry
        The pair of clouds (inside cloud I when ``geometry.kR`` is None).
    atoms : int
        Atoms per cloud, in [2, ``_checks.ATOMS_MAX``].
    replicas : int
        Independent snapshots, in [2, ``_checks.REPLICAS_MAX``].
    engine : {"auto", "structure", "pairs"}
        ``auto``: of the engines whose predicted memory fits, the one predicted fastest.
        Without finufft the structure engine is unavailable and ``auto`` takes the pairs.
    with_g : bool or None
        Compute Ḡ.  None: where Γ_ij needs it (between clouds Γ_ij = Re Γ̄ − Im Ḡ) or where
        it is free (the pair kernel gives it with Γ̄).
    near_radius : float
        Pairs closer than this enter Ḡ through their expectation (> 0).
    max_memory : float, optional
        Bytes the request may take (default: 80% of the memory available now).
    max_seconds : float, optional
        Longest predicted run of all replicas (default ``_checks.CLOUD_SECONDS_MAX``
        scaled from 2 cores to the threads available).
    rel_err : float, optional
        The requested relative standard error of Γ_ij: the structure engine's Γ̄ transforms
        then run at ``structure.eps_for(rel_err, m)`` (``eps`` of the plan), m a lower bound
        of |Γ̄| (a tenth of the leading law 3/(4 k_L²L²) at the clouds' largest size, divided by
        1 + k_L R/(k_L L)² between clouds), never looser than ``structure.EPS_LOOSEST``.

    Returns
    -------
    CloudPlan

    Raises
    ------
    ValueError
        Naming the parameter, or the limit (memory, predicted time) no engine meets.

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> from lehmberg.clouds import plan
    >>> p = plan(Geometry(kL=3.0), atoms=200, replicas=4)
    >>> p.engine, p.with_g
    ('pairs', True)
    """
    from . import pairsum, structure

    from .geometry import Geometry

    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a lehmberg.Geometry, got {type(geometry).__name__}")
    atoms = _checks.integer(atoms, "atoms", _checks.ATOMS_MIN, _checks.ATOMS_MAX)
    replicas = _checks.integer(replicas, "replicas", _checks.REPLICAS_MIN, _checks.REPLICAS_MAX)
    engine = _checks.choice(engine, "engine", ("auto",) + ENGINES)
    if with_g is not None and not isinstance(with_g, (bool, np.bool_)):
        raise TypeError(f"with_g must be True, False or None, got {with_g!r}")
    near_radius = _checks.number(near_radius, "near_radius", 0.0, lo_open=True)
    rel_err = _checks.number(rel_err, "rel_err", 0.0, 1.0, lo_open=True, allow_none=True)
    limit_mem = 0.8 * structure.available_memory() if max_memory is None else \
        _checks.number(max_memory, "max_memory", 0.0, lo_open=True)
    scale = _FITTED_THREADS / _threads()
    limit_s = (_checks.CLOUD_SECONDS_MAX if max_seconds is None else
               _checks.number(max_seconds, "max_seconds", 0.0, lo_open=True))
    has_nufft = structure.ENGINE == "finufft"
    if engine == "structure" and not has_nufft:
        raise ValueError("engine: 'structure' needs finufft, which is not importable here")
    candidates = [e for e in ENGINES if engine in ("auto", e) and (e == "pairs" or has_nufft)]
    g_known, note = True, ""
    if geometry.paper:
        inter = geometry.kR is not None
        inputs, n_dip = [(geometry.shape, geometry.kL, geometry.kL)], 1
        kR = geometry.kR
    else:  # every check of the general path before any work (waist on a box, Ḡ's near law)
        from .average import general_pair

        g_known = with_g is not False
        try:
            gp = general_pair(geometry, g_known, near_radius)
        except ValueError as exc:
            if with_g is not None or not str(exc).startswith("with_g"):
                raise
            gp, g_known = general_pair(geometry, False, near_radius), False
            note = "; Ḡ not computed (its near law is not known for these clouds)"
        inter = gp.which == "inter"
        inputs, kR = _cost_inputs(gp)
        n_dip = len(gp.frame_dipoles())
    span, beyond = _span(inputs, kR, atoms), False
    if span > pairsum.RANGE and "pairs" in candidates:  # the fast kernel's sincos range
        if engine == "pairs" or not has_nufft:
            raise ValueError(f"atoms: the clouds span about {span:.2g}/k_L, beyond the fast pair "
                             f"kernel's range ({pairsum.RANGE:g}/k_L)"
                             + ("" if has_nufft else "; the structure engine needs finufft"))
        candidates.remove("pairs")
        beyond = True
    options = []
    for e in candidates:
        g_on = ((e == "pairs" or inter) and g_known) if with_g is None else bool(with_g)
        t = m = 0.0
        for shape, kL_extent, kL_density in inputs:
            t_gamma = structure.predicted_seconds(e, kL_extent, kR, atoms, shape, False)
            t_g = 0.0
            if g_on:  # Ḡ's part at the larger of the extent's and the density's prediction
                t_g = max(structure.predicted_seconds(e, L, kR, atoms, shape, True)
                          - structure.predicted_seconds(e, L, kR, atoms, shape, False)
                          for L in (kL_extent, kL_density))
            t = max(t, n_dip * replicas * scale * (t_gamma + t_g))
            m = max(m, *(structure.estimate_memory(atoms, L, kR, shape, e, g_on)
                         for L in (kL_extent, kL_density)))
        options.append((e, g_on, float(t), int(m)))
    fits = [o for o in options if o[3] <= limit_mem]
    if not fits:
        e, _, _, m = min(options, key=lambda o: o[3])
        try:
            structure.check_memory(m, limit_mem)  # raises, naming the limit and the machine
        except ValueError as exc:
            raise ValueError(f"atoms: {exc}") from None
    e, g_on, t, m = min(fits, key=lambda o: o[2])
    if t > limit_s:
        raise ValueError(f"atoms/replicas: about {t:.2g} s with the {e} engine, beyond the limit of "
                         f"{limit_s:g} s (cost model fitted on {_FITTED_THREADS} cores, scaled to "
                         f"{_threads()} threads)")
    if len(options) == 1:
        reason = ("the engine asked for" if engine != "auto" else
                  f"the only engine for clouds spanning {span:.2g}/k_L (the fast pair kernel's "
                  f"range is {pairsum.RANGE:g}/k_L)" if beyond else
                  "the only engine available (finufft not importable)")
    else:
        others = ", ".join(f"{o[0]} {o[2]:.2g} s" + ("" if o[3] <= limit_mem else " (memory)")
                           for o in options if o[0] != e)
        reason = f"predicted fastest: {e} {t:.2g} s against {others}"
    if not geometry.paper:
        reason += ("; cost of clouds of their own: the paper's model at each cloud's largest "
                   "extent (its density for Ḡ's short part)"
                   + (", twice for a complex dipole" if n_dip == 2 else "") + note)
    eps = None
    if rel_err is not None and e == "structure":
        L = max(x[1] for x in inputs)
        floor = 0.1 * 0.75 / L**2 / (1.0 + (kR or 0.0) / L**2)  # a lower bound of |Γ̄|
        eps = structure.eps_for(rel_err, floor)
    return CloudPlan(engine=e, with_g=g_on, atoms=atoms, replicas=replicas,
                     near_radius=near_radius, seconds=t, nbytes=m,
                     alternatives=tuple((o[0], o[2], o[3]) for o in options), reason=reason,
                     eps=eps)


def cloud_rates(geometry, cloud_plan: CloudPlan | None = None, *, seed: int = 0,
                progress=None, **plan_options) -> Rates:
    """Rates averaged over the pairs of realised clouds: mean and standard error over replicas.

    Parameters
    ----------
    geometry : lehmberg.Geometry
        The pair of clouds.
    cloud_plan : CloudPlan, optional
        The plan to run, from :func:`plan` (``lehmberg.rates`` passes the one its limit
        check made).  Without it the plan is made here from ``plan_options``.
    seed : int
        Master seed.
    progress : callable, optional
        ``progress(replicas_done, replicas)``.
    **plan_options
        ``atoms``, ``replicas``, ``engine``, ``with_g``, ``near_radius``, ``max_memory``,
        ``max_seconds`` of :func:`plan` (only without ``cloud_plan``).

    Returns
    -------
    Rates
        method ``"clouds"``, n_samples = replicas × pairs per replica; ``notes[0]`` is
        ``"engine: …"`` (the engine used), ``notes[1]`` (with Ḡ) says how Ḡ's error bar is
        made and gives the raw snapshot mean.

    Examples
    --------
    >>> from lehmberg import Geometry
    >>> from lehmberg.clouds import cloud_rates
    >>> est = cloud_rates(Geometry(kL=3.0), atoms=200, replicas=4, seed=1)
    >>> est.method, est.notes[0]
    ('clouds', 'engine: fast pair kernel')
    >>> import lehmberg
    >>> ref = lehmberg.rates(Geometry(kL=3.0)).Gamma_ij  # the position average
    >>> bool(abs(est.Gamma_ij - ref) < 5 * est.Gamma_ij_err)
    True
    """
    from . import structure
    from .pairsum import fast_pair_sum
    from .near import near_expectation

    if cloud_plan is None:
        cloud_plan = plan(geometry, **plan_options)
    elif plan_options:
        raise TypeError(f"{', '.join(plan_options)}: give them to plan(), not with a plan")
    elif not isinstance(cloud_plan, CloudPlan):
        raise TypeError(f"cloud_plan must be a CloudPlan, got {type(cloud_plan).__name__}")
    seed = _checks.integer(seed, "seed", 0, _checks.SEED_MAX)
    if not geometry.paper:
        return _general_cloud_rates(geometry, cloud_plan, seed, progress)
    p = None if geometry.p_hat is None else np.asarray(geometry.p_hat)
    clouds = geometry.clouds()
    which = geometry.pair
    N, R, r_near = cloud_plan.atoms, cloud_plan.replicas, cloud_plan.near_radius
    g_on, eng = cloud_plan.with_g, cloud_plan.engine
    e_near = near_expectation(clouds.difference_law(which), p, r_near) if g_on else 0j
    vals = np.empty((R, 4))
    raw = np.empty(R, dtype=np.complex128)
    npairs = N * (N - 1) if which == "intra" else N * N
    for r in range(R):
        a, b = clouds.realise(N, make_rng(seed, STREAMS["clouds"][which], r))
        bb = None if which == "intra" else b
        if eng == "pairs":
            sg, sG, _ = fast_pair_sum(a.T, None if bb is None else bb.T, p)
            near = structure.near_pair_sum(a, bb, p, r_near)[0] if g_on else 0j
        else:
            sg = structure.gamma_pair_sum(a, bb, p, eps=cloud_plan.eps or structure.EPS)
            sG = near = complex("nan")
            if g_on:
                sG, near, _ = structure.g_pair_sum(a, bb, p, tol=structure.G_TOL,
                                                   near_radius=r_near)
        far = (sG - near) / npairs + e_near if g_on else complex("nan")
        raw[r] = sG / npairs
        vals[r] = [sg.real / npairs, sg.imag / npairs, far.real, far.imag]
        if progress is not None:
            progress(r + 1, R)
    return _result(vals, raw, R * npairs, cloud_plan, e_near, which == "intra")


def _result(vals, raw, n, cloud_plan, e_near, intra, eta=None):
    notes = [f"engine: {cloud_plan.label()}"]
    if cloud_plan.with_g:
        m = complex(raw.mean())
        notes.append(f"Ḡ: pairs closer than {cloud_plan.near_radius:g}/k_L enter through their "
                     f"exact expectation {e_near.real:.6g}{e_near.imag:+.6g}j; their sampled 1/r³ "
                     f"shifts have infinite variance, so the raw snapshot mean "
                     f"({m.real:.6g}{m.imag:+.6g}j) has no honest standard error")
    kw = {} if eta is None else {"eta": eta}
    est = Rates.from_rows(vals, n, "clouds", notes=tuple(notes), **kw)
    return est if cloud_plan.with_g else est.without_g(intra)


def _general_cloud_rates(geometry, cloud_plan, seed, progress):
    """Realised clouds of any geometry (SPEC §9): the module docstring's estimator on the
    clouds as they are, with the probe amplitudes u_i as per-atom weights, positions turned
    into the probe frame (k̂ → ẑ) and a complex dipole p̂ = a + ib as
    |a|² S(â) + |b|² S(b̂) (every kernel is linear in Re(p̂p̂†)) on the same positions."""
    from sampling import probe_weight

    from . import structure
    from .average import general_pair
    from .near import near_expectation
    from .pairsum import fast_pair_sum

    g_on, eng = cloud_plan.with_g, cloud_plan.engine
    N, R, r_near = cloud_plan.atoms, cloud_plan.replicas, cloud_plan.near_radius
    gp = general_pair(geometry, g_on, r_near)
    intra = gp.which == "intra"
    e_near = 0j
    if g_on:
        e_near = gp.pref * near_expectation(gp.law, gp.p_hat, r_near, k_hat=gp.k_hat)
        if intra:
            e_near = complex(e_near.real, 0.0)
    dipoles = gp.frame_dipoles()
    turn = not np.array_equal(gp.frame, np.eye(3))
    npairs = N * (N - 1) if intra else N * N
    scale = 1.0 / (npairs * gp.norm)
    vals = np.empty((R, 4))
    raw = np.empty(R, dtype=np.complex128)
    for r in range(R):
        rng = make_rng(seed, STREAMS["clouds"][gp.which], 1, r)
        pos = [c.sample(N, rng) for c in gp.clouds]
        w = [None if wst is None else probe_weight(x, c.center, gp.k_hat, wst)
             for x, c, wst in zip(pos, gp.clouds, gp.waists)]
        if turn:
            pos = [np.ascontiguousarray(x @ gp.frame.T) for x in pos]
        a, wa = pos[0], w[0]
        b, wb = (None, None) if intra else (pos[1], w[1])
        sg = sG = near = 0j
        for wt, d in dipoles:
            if eng == "pairs":
                g1, G1, _ = fast_pair_sum(a.T, None if b is None else b.T, d, wa=wa, wb=wb)
                n1 = structure.near_pair_sum(a, b, d, r_near, wa=wa, wb=wb)[0] if g_on else 0j
            else:
                g1 = structure.gamma_pair_sum(a, b, d, wa=wa, wb=wb,
                                                 eps=cloud_plan.eps or structure.EPS)
                G1 = n1 = 0j
                if g_on:
                    G1, n1, _ = structure.g_pair_sum(a, b, d, tol=structure.G_TOL,
                                                     near_radius=r_near, wa=wa, wb=wb)
            sg += wt * g1
            sG += wt * G1
            near += wt * n1
        far = (sG - near) * scale + e_near if g_on else complex("nan")
        raw[r] = sG * scale if g_on else complex("nan")
        vals[r] = [sg.real * scale, 0.0 if intra else sg.imag * scale, far.real,
                   0.0 if intra else far.imag]
        if progress is not None:
            progress(r + 1, R)
    eta = None
    if gp.has_waist:
        eta = gp.eta if len(gp.eta) == 2 else (gp.eta[0], gp.eta[0])
    return _result(vals, raw, R * npairs, cloud_plan, e_near, intra, eta)
