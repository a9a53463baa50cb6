"""Maps of the entanglement over cloud size and separation (SPEC §8): where the paper's
assumptions hold and by how much they fail.

Over a grid of k_L L and the Fresnel parameter u = k_L R/(k_L L)² (R along the probe,
p̂ = x̂ unless given), the couplings c = Γ̄_I,II/Γ̄_I,I, g_in = Ḡ_I,I/Γ̄_I,I and
g_x = Ḡ_I,II/Γ̄_I,I of Gaussian clouds feed the two-mode Gaussian model
(:mod:`lehmberg.gaussian`) at a fixed optical depth d; the paper's assumptions are
c = 1, g_in = g_x = 0.

How each point is computed
--------------------------
* k_L L ≤ ``kL_transfer`` (default 300): the quadrature reference at that point
  (error below 1e-10 relative; no error is propagated).
* k_L L > ``kL_transfer`` and R ≥ ``separated`` · L (clouds apart, default 10 L): c and
  g_x are taken from the reference at k_L L = ``kL_transfer`` and the same u.  For
  separated Gaussian clouds they converge like (k_L L)⁻² (measured: the distance of c
  from 1/(1 + iu) falls by 11 from k_L L = 30 to 100 and by 9 from 300 to 1000), so the
  error of the transfer is estimated as |f(kL_T) − f(kL_T/3)|/8 for every output f (the
  outputs computed with the couplings of kL_T and of kL_T/3), and given as its error.  g_in
  comes from the plane-wave estimator at each k_L L (Monte Carlo, its standard error
  propagated); each such row draws from its own stream, spawned from ``seed`` by
  :class:`numpy.random.SeedSequence` (child i for row i of the k_L L grid), so the rows'
  errors are independent and the map is reproducible.
* k_L L > ``kL_transfer`` with overlapping clouds (R < ``separated`` · L): not computed
  (NaN): there g_x depends on R/L and k_L L together and the reference needs seconds to
  minutes per point; single points are available through ``lehmberg entangle``.
"""

from __future__ import annotations

import os

import numpy as np

from . import _checks

__all__ = ["entanglement_map", "geometry_map", "row_seed", "EXPERIMENTS", "MAP_POINTS_MAX",
           "GEOMETRY_AXES", "GEOMETRY_POINTS_MAX"]

#: Most grid points of one map (each costs up to a second of quadrature at k_L L = 10³).
MAP_POINTS_MAX = 10**4

#: Setups marked on the figure: (label, L in metres, R in metres, wavelength in metres).
EXPERIMENTS = (("two Cs cells 0.5 m apart (L = 1 cm)", 1e-2, 0.5, 852.347e-9),
               ("cold clouds (L = 50 µm, R = 1 cm)", 50e-6, 1e-2, 852.347e-9))


#: The geometry axes of :func:`geometry_map` (:meth:`lehmberg.Geometry.varied`) and their units.
GEOMETRY_AXES = {"kR": ("k_L R, distance of the centres of the clouds", "1"),
                 "scale": ("factor on every length of the geometry", "1"),
                 "aspect": ("aspect ratio L3/sqrt(L1 L2) of every cloud", "1"),
                 "waist": ("k_L w, probe waist on every cloud", "1"),
                 "probe_angle": ("angle of the probe turned towards cloud I's axis 1", "degree")}
#: Most points of one geometry map (each is up to three rate computations).
GEOMETRY_POINTS_MAX = 2500


def row_seed(seed: int, row: int, rows: int) -> int:
    """The seed of the plane-wave g_in of grid row ``row`` (of ``rows``): child ``row`` of
    ``SeedSequence(seed).spawn(rows)``, as one non-negative 63-bit integer.

    Examples
    --------
    >>> from lehmberg.entanglement_map import row_seed
    >>> row_seed(0, 1, 3) == row_seed(0, 1, 3) != row_seed(0, 2, 3)
    True
    """
    child = np.random.SeedSequence(seed).spawn(rows)[row]
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def entanglement_map(kL, u, d=30.0, Z=1.5, gamma_add=0.0, x=0.0, optimize_Z=False,
                     p_hat=(1.0, 0.0, 0.0), kL_transfer=300.0, separated=10.0, seed=0,
                     progress=None) -> dict:
    """ξ_∞, ξ_best and E_N of the Gaussian model over k_L L × u, with errors.

    Parameters
    ----------
    kL, u : 1-D arrays
        k_L L in [1e-3, 1e7] and u = k_L R/(k_L L)² > 0 (grid axes).
    d : float
        Optical depth of one ensemble (fixed over the map), > 0.
    Z, gamma_add, x : float
        Sideband weight (> 1), Γ_d^add (units of Γ) and pump parameter (SPEC §5).
    optimize_Z : bool
        Use, at each point, the Z that minimises ξ_best (``Z`` is then ignored).
    p_hat : 3-vector or None
        Dipole direction (None: no dipole factor).
    kL_transfer, separated : float
        Where the couplings are transferred from the reference (module docstring).
    seed : int
        Master seed of the plane-wave estimates of g_in beyond ``kL_transfer`` (one spawned
        stream per row, :func:`row_seed`).
    progress : callable, optional
        ``progress(done, total)`` per computed column.

    Returns
    -------
    dict
        ``kL``, ``u``; arrays of shape (len(kL), len(u)): ``xi_inf``, ``xi_inf_best``,
        ``log_negativity``, ``Z`` and their ``_err``, the couplings ``c``, ``g_x`` (complex),
        ``g_in`` (per k_L L), ``how`` (0 reference, 1 transferred, 2 not computed);
        the paper's values ``xi_paper`` (c = 1, g = 0) per point.
    """
    from .entanglement import couplings as bridge
    from .estimators import rates
    from .gaussian import optimize_Z_batch, steady_state_batch
    from .geometry import Geometry

    kL = np.asarray(kL, dtype=float)
    u = np.asarray(u, dtype=float)
    for name, arr in (("kL", kL), ("u", u)):
        if arr.ndim != 1 or arr.size < 1:
            raise ValueError(f"{name} must be a non-empty 1-D grid")
    for v in kL:
        _checks.number(v, "kL", *_checks.KL_RANGE)
    for v in u:
        _checks.number(v, "u", 0.0, 1e3, lo_open=True)
    if kL.size * u.size > MAP_POINTS_MAX:
        raise ValueError(f"kL x u: {kL.size * u.size} points exceed the limit {MAP_POINTS_MAX}")
    if np.any(u[:, None] * kL[None, :] ** 2 > _checks.KR_MAX):
        raise ValueError(f"u: k_L R = u (k_L L)^2 must stay <= {_checks.KR_MAX:g}")
    d = _checks.optical_depth(d)
    gamma_add = _checks.dephasing(gamma_add)
    x = _checks.pump(x)
    if not optimize_Z:
        Z = _checks.squeezing(Z)
    seed = _checks.integer(seed, "seed", 0, _checks.SEED_MAX)
    kL_T = _checks.number(kL_transfer, "kL_transfer", 3.0, 1e4)
    separated = _checks.number(separated, "separated", 3.0, 1e6)
    p = _checks.unit_vector(p_hat, "p_hat", allow_none=True)
    p = None if p is None else tuple(p)

    def couplings(k):
        intra = rates(Geometry(float(k), p_hat=p), "reference")
        c = np.empty(u.size, complex)
        gx = np.empty(u.size, complex)
        for j, q in enumerate(u):
            inter = rates(Geometry(float(k), float(q * k * k), p_hat=p), "reference")
            c[j], g_in, gx[j] = bridge(intra, inter)
        return c, gx, g_in

    near = kL <= kL_T
    far = ~near
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, min(4, len(os.sched_getaffinity(0)))))
    total = int(near.sum()) + (2 if far.any() else 0) + int(far.sum())
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    shape = (kL.size, u.size)
    c = np.full(shape, np.nan + 0j)
    gx = np.full(shape, np.nan + 0j)
    gin = np.full(kL.size, np.nan)
    gin_err = np.zeros(kL.size)
    how = np.full(shape, 2, dtype=np.int8)
    rows = np.nonzero(near)[0]
    jobs = [pool.submit(couplings, kL[i]) for i in rows]
    if far.any():
        jobs += [pool.submit(couplings, kL_T), pool.submit(couplings, kL_T / 3.0)]
    results = []
    for job in jobs:  # in order: the numbers do not depend on the threads
        results.append(job.result())
        tick()
    pool.shutdown()
    for i, res in zip(rows, results):
        c[i], gx[i], gin[i] = res
        how[i] = 0
    if far.any():
        (cT, gxT, _), (c3, gx3, _) = results[-2:]
        for i in np.nonzero(far)[0]:
            intra = rates(Geometry(float(kL[i]), p_hat=p), "planewave", rel_err=1e-3,
                          seed=row_seed(seed, int(i), kL.size))
            gI = intra.gamma_bar.real
            gin[i] = bridge(intra)[1]
            gin_err[i] = abs(gin[i]) * np.hypot(intra.g_bar_err.real / intra.g_bar.real,
                                                 intra.gamma_bar_err.real / gI)
            apart = u * kL[i] >= separated   # R/L = u k_L L
            c[i, apart], gx[i, apart] = cT[apart], gxT[apart]
            how[i, apart] = 1
            tick()

    ok = how < 2
    G = np.broadcast_to(gin[:, None], shape)
    mag = np.abs(c)
    rounding = ok & (mag > 1.0) & (mag < 1.0 + 1e-9)   # c = 1 − O(u²) computed to rounding
    c = np.where(rounding, c / np.where(mag > 0, mag, 1.0), c)

    def model(cc, gg, gi, Zs):
        out = steady_state_batch(d, Zs, cc[ok], gi[ok], gg[ok], gamma_add, x)
        res = {}
        for k in ("xi", "xi_best", "log_negativity"):
            a = np.full(shape, np.nan)
            a[ok] = out[k]
            res[k] = a
        return res

    if optimize_Z:
        Zmap = np.full(shape, np.nan)
        Zmap[ok], _ = optimize_Z_batch(d, c[ok], G[ok], gx[ok], gamma_add, x)
        Zs = Zmap[ok]
    else:
        Zmap = np.where(ok, Z, np.nan)
        Zs = Z
    central = model(c, gx, G, Zs)
    # error of the transferred points: the outputs at the couplings of kL_T/3 instead of kL_T,
    # divided by 8 (the (k_L L)⁻² convergence from kL_T to infinity), and g_in's standard error
    err = {k: np.zeros(shape) for k in central}
    if far.any():
        c3m, gx3m = c.copy(), gx.copy()
        c3m[how == 1] = np.broadcast_to(c3, shape)[how == 1]
        gx3m[how == 1] = np.broadcast_to(gx3, shape)[how == 1]
        m3 = np.abs(c3m)
        c3m = np.where(ok & (m3 > 1.0) & (m3 < 1.0 + 1e-9), c3m / np.where(m3 > 0, m3, 1.0), c3m)
        third = model(c3m, gx3m, G, Zs)
        noisy = model(c, gx, G + gin_err[:, None], Zs)
        err = {k: np.hypot((third[k] - central[k]) / 8.0, noisy[k] - central[k]) for k in central}
    Zp = steady_state_batch(d, Zmap[ok] if optimize_Z else Z, 1.0, 0.0, 0.0, gamma_add, x)
    paper = np.full(shape, np.nan)
    paper[ok] = Zp["xi"]
    return {"kL": kL, "u": u, "d": d, "gamma_add": gamma_add, "x": x, "Z": Zmap,
            "xi_inf": central["xi"], "xi_inf_err": err["xi"],
            "xi_inf_best": central["xi_best"], "xi_inf_best_err": err["xi_best"],
            "log_negativity": central["log_negativity"],
            "log_negativity_err": err["log_negativity"],
            "xi_paper": paper, "c": c, "g_x": gx, "g_in": gin, "g_in_err": gin_err, "how": how,
            "kL_transfer": kL_T, "separated": separated, "p_hat": p}


def geometry_map(geometry, axes: dict, *, Z=1.5, gamma_add=0.0, x=0.0, optimize_Z=False,
                 keep="volume", method="auto", rel_err=None, seed=0, progress=None) -> dict:
    """ξ_∞, ξ_best and E_N of the two-cloud Gaussian model over one or two geometry axes.

    At each point the geometry is ``geometry.varied(**point)``; its rates (I, I), (I, II) and,
    when cloud II differs, (II, II) come from :func:`lehmberg.rates` (``method``, ``rel_err``;
    each point's seed spawned from ``seed``), and :func:`lehmberg.entanglement.models_from_rates`
    makes the model of clouds that differ (SPEC §9) with the atom numbers N of the geometry's
    clouds, so the optical depths d_I = N_I Γ̄_I,I, d_II change along the axes as the clouds do.
    Every output carries the error propagated from the rates.

    Parameters
    ----------
    geometry : lehmberg.Geometry
        Two clouds of their own with N given on each (SPEC §9; e.g. a ``--geometry`` file).
    axes : dict
        One or two of :data:`GEOMETRY_AXES` → 1-D arrays of values (``waist``: None allowed).
    Z, gamma_add, x : float
        Sideband weight (> 1; ignored with ``optimize_Z``), Γ_d^add and pump parameter.
    optimize_Z : bool
        At each point the common Z minimising ξ_best (:func:`lehmberg.entanglement.optimize_Z`).
    keep : {"volume", "area"}
        What an ``aspect`` axis keeps fixed.
    method, rel_err : as for :func:`lehmberg.rates` (default: auto, each method's default).
    seed : int
        Master seed; point i draws with child i of ``SeedSequence(seed)`` (:func:`row_seed`).
    progress : callable, optional
        ``progress(done, total)`` after each point.

    Returns
    -------
    dict
        ``axes`` (names in order), each axis's values, and arrays over them: ``xi_inf``,
        ``xi_best``, ``log_negativity``, ``d``, ``d_II``, ``Z`` and their ``_err``, the
        complex ``c``, ``g_x`` and the real ``g_in``, ``g_in_II``; ``methods`` (what computed
        each pair, per point).

    Examples
    --------
    >>> from lehmberg import Cloud, Geometry
    >>> from lehmberg.entanglement_map import geometry_map
    >>> g = Geometry.of(Cloud(kL=(6, 6, 24), N=2e3), Cloud(kL=(6, 6, 24), centre=(0, 0, 200),
    ...                 N=2e3))
    >>> m = geometry_map(g, {"aspect": [1.0, 4.0]}, gamma_add=2.0, method="reference")
    >>> bool(m["d"][1] > m["d"][0]), bool(m["xi_inf"][1] < m["xi_inf"][0])
    (True, True)
    """
    from .entanglement import entangle, models_from_rates
    from .entanglement import optimize_Z as best_Z
    from .estimators import METHODS, rates
    from .geometry import Geometry

    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a lehmberg.Geometry, got {type(geometry).__name__}")
    if geometry.II is None:
        raise ValueError("geometry: needs two clouds (cloud II is missing)")
    for name, c in (("I", geometry.I), ("II", geometry.II)):
        if c.N is None:
            raise ValueError(f"geometry: [{name}].N is needed (atoms in each cloud give d)")
    if not isinstance(axes, dict) or not 1 <= len(axes) <= 2:
        raise ValueError("axes: give one or two geometry axes")
    names = list(axes)
    values = {}
    for name in names:
        if name not in GEOMETRY_AXES:
            raise ValueError(f"axes: unknown axis {name!r} (known: {', '.join(GEOMETRY_AXES)})")
        v = list(axes[name]) if np.ndim(axes[name]) else [axes[name]]
        if not v:
            raise ValueError(f"{name}: needs at least one value")
        values[name] = v
    shape = tuple(len(values[n]) for n in names)
    if int(np.prod(shape)) > GEOMETRY_POINTS_MAX:
        raise ValueError(f"axes: {int(np.prod(shape))} points exceed the limit "
                         f"{GEOMETRY_POINTS_MAX}")
    _checks.choice(method, "method", METHODS)
    seed = _checks.integer(seed, "seed", 0, _checks.SEED_MAX)
    gamma_add = _checks.dephasing(gamma_add)
    x = _checks.pump(x)
    if not optimize_Z:
        Z = _checks.squeezing(Z)
    # every point's geometry first: a bad value fails before any work
    points = []
    for idx in np.ndindex(*shape):
        kw = {n: values[n][i] for n, i in zip(names, idx)}
        if "aspect" in kw:
            kw["keep"] = keep
        points.append((idx, geometry.varied(**kw)))
    keys = ("xi_inf", "xi_best", "log_negativity", "d", "d_II", "Z")
    out = {k: np.full(shape, np.nan) for k in keys}
    out.update({k + "_err": np.full(shape, np.nan) for k in keys})
    out.update(c=np.full(shape, np.nan + 0j), g_x=np.full(shape, np.nan + 0j),
               g_in=np.full(shape, np.nan), g_in_II=np.full(shape, np.nan),
               methods=np.full(shape, "", dtype=object))
    n_pts = len(points)
    for k, (idx, g) in enumerate(points):
        s = row_seed(seed, k, n_pts)
        kw = dict(rel_err=rel_err, seed=s)
        intra = rates(g.single(), method, **kw)
        inter = rates(g, method, **kw)
        intra_II = intra if g.identical else rates(g.single("II"), method, **kw)
        N = (g.I.N, g.II.N)
        params = dict(gamma_add=gamma_add, x=x)
        if optimize_Z:
            z = best_Z(models_from_rates((intra, intra_II), inter, N, Z=1.5, **params))[0]
        else:
            z = Z
        e = entangle(models_from_rates((intra, intra_II), inter, N, Z=z, **params))
        m = e.model
        two = getattr(m, "d_II", None) is not None  # clouds that differ
        row = {"xi_inf": e.xi_inf, "xi_best": e.xi_best, "log_negativity": e.log_negativity,
               "d": e.d, "d_II": m.d_II if two else e.d, "Z": z}
        for key, v in row.items():
            out[key][idx] = v
            out[key + "_err"][idx] = e.errors.get(key, 0.0)
        out["d_err"][idx] = e.d_err
        out["d_II_err"][idx] = e.errors.get("d_II", 0.0) if two else e.d_err
        out["c"][idx], out["g_x"][idx] = m.c, m.g_x
        out["g_in"][idx] = m.g_in
        out["g_in_II"][idx] = m.g_in_II if two else m.g_in
        out["methods"][idx] = ", ".join(dict.fromkeys((intra.method, inter.method,
                                                       intra_II.method)))
        if progress is not None:
            progress(k + 1, n_pts)
    out["axes"] = tuple(names)
    out.update({n: np.array([np.nan if v is None else v for v in values[n]], dtype=float)
                for n in names})
    return out
