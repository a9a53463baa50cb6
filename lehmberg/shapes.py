"""The shape dependence cold-atom groups measure: a cigar probed along and across its axis.

Two identical Gaussian cigars of fixed volume (that of the paper's cloud of size k_L L) and
aspect ratio a = L₃/L⊥, in series along the probe (cloud II at k_L R along k̂), probed either
along the cigars' axis (``along``: L₁ = L₂ = L⊥ across the probe) or across it (``across``: the
long axis along x̂, the probe sees L⊥ × L₃), with a linear dipole along x̂ or ŷ or a σ+ dipole
(−(x̂ + iŷ)/√2, quantisation axis the probe).  Per point: the rates of :func:`lehmberg.rates`
with their errors; Γ_ij against the leading law 3/(4 A) (A = the product of the two sizes
across the probe, SPEC §9); the optical depth d = N Γ_ij; and the two-mode Gaussian model's
ξ_∞, ξ_best and E_N (:func:`lehmberg.entanglement_map.geometry_map`, errors propagated).

:func:`shape_dependence` returns a CF :class:`xarray.Dataset`; ``lehmberg shapes`` writes it
and its figure (:func:`lehmberg.figures.shapes`); the shipped ones are ``data/shapes.nc`` and
``data/shapes.png``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _checks

__all__ = ["ORIENTATIONS", "DIPOLES", "shape_dependence"]

#: The cigar's axes (rows: axes 1, 2, 3 in lab coordinates) for each orientation; probe ẑ.
ORIENTATIONS = {"along": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
                "across": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))}
_S = 1.0 / math.sqrt(2.0)
#: The dipoles compared: linear along x̂ and ŷ, and σ+ about the probe.
DIPOLES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "sigma+": (-_S, -_S * 1j, 0.0)}


def shape_dependence(kL: float = 30.0, aspects=None, N: float = 3.6e4, kR: float = 400.0, *,
                     Z: float = 1.5, gamma_add: float = 1.0, keep: str = "volume",
                     method: str = "auto", progress=None):
    """Rates, optical depth and entanglement of two cigars against their aspect ratio.

    Parameters
    ----------
    kL : float
        k_L L of the round cloud of the same volume (a = 1 is the paper's cloud), in [1, 1e4].
    aspects : 1-D array, optional
        Aspect ratios L₃/L⊥ in [0.1, 100] (default 12 values from 1 to 20, geometric).
    N : float
        Atoms per cloud.
    kR : float
        k_L R, distance of the clouds' centres along the probe (> 0).
    Z, gamma_add : float
        Sideband weight and Γ_d^add of the Gaussian model.
    keep : {"volume", "area"}
        What the aspect ratio keeps fixed (:meth:`lehmberg.Geometry.varied`).
    method : str
        Estimator of the rates (default auto: the deterministic reference for Gaussians).
    progress : callable, optional
        ``progress(done, total)`` per (orientation, dipole) curve.

    Returns
    -------
    xarray.Dataset
        Dimensions ``orientation`` (along, across), ``dipole`` (x, y, sigma+) and ``aspect``;
        variables ``Gamma_ij`` (inside one cloud), ``leading_law_ratio`` = Γ_ij · 4A/3,
        ``d``, ``xi_inf``, ``xi_best``, ``log_negativity``, each with ``_err``, and the
        couplings ``c`` (magnitude), ``g_in``.

    Examples
    --------
    >>> from lehmberg.shapes import shape_dependence
    >>> ds = shape_dependence(kL=20.0, aspects=[1.0, 5.0], N=1e4, kR=300.0)
    >>> r = ds["Gamma_ij"].sel(dipole="x")
    >>> bool(r.sel(orientation="along", aspect=5.0) > r.sel(orientation="across", aspect=5.0))
    True
    """
    from .entanglement_map import geometry_map
    from .geometry import Cloud, Geometry
    from .io import new_dataset, put

    kL = _checks.number(kL, "kL", 1.0, 1e4)
    N = _checks.number(N, "N", 1.0, _checks.N_MAX)
    kR = _checks.number(kR, "kR", 0.0, _checks.KR_MAX, lo_open=True)
    a = np.geomspace(1.0, 20.0, 12) if aspects is None else np.asarray(aspects, dtype=float)
    if a.ndim != 1 or a.size < 1:
        raise ValueError("aspects must be a non-empty 1-D array")
    for v in a:
        _checks.number(v, "aspects", 0.1, 100.0)
    shape = (len(ORIENTATIONS), len(DIPOLES), a.size)
    keys = ("Gamma_ij", "leading_law_ratio", "d", "xi_inf", "xi_best", "log_negativity")
    out = {k: np.full(shape, np.nan) for k in keys}
    err = {k: np.full(shape, np.nan) for k in keys}
    c_abs = np.full(shape, np.nan)
    g_in = np.full(shape, np.nan)
    done, total = 0, len(ORIENTATIONS) * len(DIPOLES)
    for i, axes in enumerate(ORIENTATIONS.values()):
        base = Geometry.of(Cloud(kL=kL, axes=axes, N=N),
                           Cloud(kL=kL, axes=axes, centre=(0.0, 0.0, kR), N=N))
        for j, p in enumerate(DIPOLES.values()):
            geo = Geometry.of(base.I, base.II, probe=base.probe, p_hat=p)
            m = geometry_map(geo, {"aspect": a}, Z=Z, gamma_add=gamma_add, keep=keep,
                             method=method)
            # inside one cloud Γ_ij = Re Γ̄ (Ḡ is real there), and the map's d is N Re Γ̄_I,I
            out["Gamma_ij"][i, j], err["Gamma_ij"][i, j] = m["d"] / N, m["d_err"] / N
            for k, av in enumerate(a):
                g = geo.varied(aspect=float(av), keep=keep)
                L = np.asarray(g.I.kL)
                ax3 = np.abs(np.asarray(g.I.axes) @ np.asarray(g.probe))
                ratio = 4.0 * np.prod(L[ax3 < 0.5]) / 3.0  # A: the two sizes across the probe
                out["leading_law_ratio"][i, j, k] = out["Gamma_ij"][i, j, k] * ratio
                err["leading_law_ratio"][i, j, k] = err["Gamma_ij"][i, j, k] * ratio
            for key in ("d", "xi_inf", "xi_best", "log_negativity"):
                out[key][i, j] = m[key]
                err[key][i, j] = m[key + "_err"]
            c_abs[i, j], g_in[i, j] = np.abs(m["c"]), m["g_in"]
            done += 1
            if progress is not None:
                progress(done, total)
    attrs = {"kL_round": kL, "N": N, "kR": kR, "Z": Z, "gamma_add": gamma_add,
             "aspect_at_fixed": keep, "method": method, "probe": "z (k_L along z)",
             "orientations": "along: the cigars' long axis along the probe; across: along x",
             "dipoles": "x, y linear; sigma+ = -(x + i y)/sqrt(2)"}
    coords = {"aspect": (a, "aspect ratio L3/L_perp of each cigar", "1")}
    ds = new_dataset("Shape dependence of the collective rates and the entanglement of two "
                     "Gaussian cigars", "", attrs, coords)
    ds = ds.assign_coords(orientation=("orientation", np.array(list(ORIENTATIONS), dtype=object),
                                       {"long_name": "orientation of the cigars to the probe"}),
                          dipole=("dipole", np.array(list(DIPOLES), dtype=object),
                                  {"long_name": "dipole of the transition"}))
    dims = ("orientation", "dipole", "aspect")
    kind = "error (quadrature error estimate of the rates, propagated)"
    for key, long in (("Gamma_ij", "Gamma_ij inside one cloud in units of Gamma"),
                      ("leading_law_ratio", "Gamma_ij * 4 A / 3, A = product of the two sizes "
                                            "across the probe (1: the leading law)"),
                      ("d", "optical depth d = N Gamma_bar"),
                      ("xi_inf", "steady-state xi (Gaussian model, Eq. 3 quadratures)"),
                      ("xi_best", "steady-state xi at the best local rotation of cloud II"),
                      ("log_negativity", "logarithmic negativity E_N (natural log)")):
        put(ds, key, out[key], dims, long, "1", err[key], kind)
    put(ds, "c_abs", c_abs, dims, "|c| = |Gamma_bar_I,II| / Gamma_bar_I,I", "1")
    put(ds, "g_in", g_in, dims, "g_in = G_bar_I,I / Gamma_bar_I,I", "1")
    return ds
