"""Appendix B checked numerically: scans with the quadrature reference and Monte Carlo, and the figure.

Pure functions: arrays and dicts in, arrays and dicts out (the figure is
:func:`lehmberg.figures.appendix_b`).
Nothing here prints or writes files (``lehmberg validate`` does that).  Lengths
in units of 1/k_L, rates in units of Γ; probe along ẑ, dipole p̂ = x̂, R ∥ ẑ
(the paper's geometry) unless stated.

What is computed
----------------
- inside one cloud, over k_L L: Γ_ij, G_ij (reference), the scaled correction
  (Γ_ij − 3/(4(k_L L)²))(k_L L)⁴ and G_ij (k_L L)³ (SPEC §3, after Eq. B7);
- between clouds, over k_L R at fixed k_L L with k_L R/(k_L L)² from 1e-3 to 10:
  Γ̄_I,II and Ḡ_I,II with and without the dipole factor, against the paper's
  3/(4((k_L L)² + i k_L R))(1 − e^{−2(k_L L)² − 2ik_L R});
- Monte-Carlo points (plane waves through lehmberg.rates) at a subset of both scans.

Closed forms used for comparison (derived in docs/appendix-b.md):
Γ_ij(intra) = 3/(4(k_L L)²) − 3/(4(k_L L)⁴) + 3/(4(k_L L)⁶) + O(e^{−2(k_L L)²}) for p̂ ⊥ k_L,
G_ij(intra) (k_L L)³ → (5P₂(p̂·k̂_L) − 1)/(2√(2π)) = −7/(4√(2π)) for p̂ ⊥ k_L.
"""

import math

import numpy as np

from .reference import C4, G_LIMIT, paper_inter, reference_rates
from .result import asymptote

__all__ = ["G_LIMIT", "C4", "intra_scan", "inter_scan", "mc_intra", "mc_inter", "summary",
           "run_validation", "grids", "paper_inter"]

# G_LIMIT, C4 and paper_inter live in lehmberg.reference (the figures use them too) and are
# re-exported here.

_FIELDS = ("Gamma_ij", "Gamma_ij_err", "G_ij", "G_ij_err")
_COMPLEX = ("gamma_bar", "gamma_bar_err", "g_bar", "g_bar_err")


def grids(quick=False):
    """The scan grids: k_L L (reference), k_L L (Monte Carlo), k_L L and k_L R/(k_L L)² between clouds."""
    if quick:
        return {"kL": np.logspace(-1, 3, 9), "kL_mc": np.array([0.5, 3.0, 10.0]),
                "kL_inter": np.array([10.0]), "ratio": np.logspace(-3, 1, 5),
                "ratio_mc": np.array([1e-2, 1.0])}
    return {"kL": np.logspace(-2, 4, 97), "kL_mc": np.logspace(math.log10(0.3), 4, 10),
            "kL_inter": np.array([10.0, 100.0, 1000.0]), "ratio": np.logspace(-3, 1, 41),
            "ratio_mc": np.logspace(-3, 1, 9)}


def _collect(estimates):
    out = {k: np.array([getattr(e, k) for e in estimates]) for k in _FIELDS}
    for k in _COMPLEX:
        out[k] = np.array([complex(getattr(e, k)) for e in estimates])
    out["n_samples"] = np.array([e.n_samples for e in estimates], dtype=np.int64)
    return out


def _tick(progress, label):
    if progress is not None:
        progress(label)


def intra_scan(kL, p_hat=(1.0, 0.0, 0.0), progress=None):
    """Reference rates inside one cloud over the k_L L grid, with the derived quantities."""
    est = []
    for x in kL:
        est.append(reference_rates(float(x), None, (0, 0, 1), p_hat))
        _tick(progress, "reference, one cloud")
    out = _collect(est)
    kL = np.asarray(kL, float)
    out["kL"] = kL
    out["asymptote"] = asymptote(kL)
    out["scaled_correction"] = (out["Gamma_ij"] - out["asymptote"]) * kL**4
    out["scaled_correction_err"] = out["Gamma_ij_err"] * kL**4
    out["G_kL3"] = out["G_ij"] * kL**3
    out["G_kL3_err"] = out["G_ij_err"] * kL**3
    return out


def inter_scan(kL_values, ratio, progress=None):
    """Reference rates between clouds, R ∥ k_L, over k_L R = ratio·(k_L L)² for each k_L L.

    Returns arrays of shape (len(kL_values), len(ratio)) for the dipole and no-dipole
    kernels, the paper's formula, and the intra-cloud values at the same k_L L.
    """
    kL_values = np.asarray(kL_values, float)
    ratio = np.asarray(ratio, float)
    dip, nod = [], []
    intra = []
    for kL in kL_values:
        intra.append(reference_rates(kL))
        for q in ratio:
            dip.append(reference_rates(kL, q * kL * kL))
            nod.append(reference_rates(kL, q * kL * kL, p_hat=None))
            _tick(progress, "reference, two clouds")
    shape = (len(kL_values), len(ratio))
    out = {"kL": kL_values, "ratio": ratio, "kR": ratio[None, :] * kL_values[:, None] ** 2}
    for name, lst in (("dipole", dip), ("nodipole", nod)):
        d = _collect(lst)
        out[name] = {k: v.reshape(shape) for k, v in d.items()}
    out["paper"] = paper_inter(kL_values[:, None], out["kR"])
    out["intra"] = _collect(intra)
    return out


def mc_intra(kL, samples, seed, progress=None, rel_err=1e-4):
    """Monte-Carlo (plane-wave) rates inside one cloud at the given k_L L (p̂ = x̂)."""
    from .estimators import rates
    from .geometry import Geometry

    est = []
    for x in kL:
        est.append(rates(Geometry(float(x)), "planewave", samples=samples, rel_err=rel_err,
                         seed=seed))
        _tick(progress, "Monte Carlo, one cloud")
    out = _collect(est)
    out["kL"] = np.asarray(kL, float)
    return out


def mc_inter(kL, ratio, samples, seed, progress=None, rel_err=1e-4):
    """Monte-Carlo (plane-wave) rates between clouds (R ∥ k_L) at k_L R = ratio·(k_L L)²."""
    from .estimators import rates
    from .geometry import Geometry

    est = []
    for q in ratio:
        est.append(rates(Geometry(float(kL), float(q * kL * kL)), "planewave", samples=samples,
                         rel_err=rel_err, seed=seed))
        _tick(progress, "Monte Carlo, two clouds")
    out = _collect(est)
    out["kL"] = float(kL)
    out["ratio"] = np.asarray(ratio, float)
    out["kR"] = out["ratio"] * kL * kL
    return out


def summary(intra, inter):
    """The numbers docs/appendix-b.md quotes, from the scans."""
    kL = intra["kL"]
    big = kL >= 100.0
    out = {}
    if np.any(big):
        i = int(np.argmax(kL))
        out["kL_max"] = float(kL[i])
        out["scaled_correction_at_kL_max"] = float(intra["scaled_correction"][i])
        out["G_kL3_at_kL_max"] = float(intra["G_kL3"][i])
        # G_ij (k_L L)³ = a + b log(k_L L) fitted over k_L L ≥ 100: the paper's law needs b ≠ 0
        b, a = np.polyfit(np.log(kL[big]), intra["G_kL3"][big], 1)
        out["G_kL3_log_slope"] = float(b)
        out["G_kL3_intercept"] = float(a)
    # first k_L L (from above) where Γ_ij departs from 3/(4(k_L L)²) by more than 1% and 10%
    rel = np.abs(intra["Gamma_ij"] / intra["asymptote"] - 1.0)
    for tol in (0.01, 0.1):
        ok = rel <= tol
        bad = np.nonzero(~ok)[0]
        out[f"kL_where_asymptote_within_{int(tol * 100)}pct"] = (
            float(kL[bad[-1] + 1]) if bad.size and bad[-1] + 1 < kL.size else float(kL[0]))
    # between clouds: deviation of Γ̄_I,II from Γ̄_I,I, against k_L R/(k_L L)²
    dev = np.abs(inter["dipole"]["gamma_bar"] / inter["intra"]["gamma_bar"][:, None] - 1.0)
    keep = [j for j, q in enumerate(inter["ratio"]) if np.any(np.isclose(q, [1e-3, 1e-2, 0.1, 1.0, 10.0]))]
    out["inter_deviation_at_ratio"] = {f"{inter['ratio'][j]:.3g}": [float(v) for v in dev[:, j]]
                                       for j in keep}
    nd = inter["nodipole"]["gamma_bar"]
    out["paper_formula_max_rel_diff"] = float(np.max(np.abs(nd / inter["paper"] - 1.0)))
    ratio_J = inter["dipole"]["Gamma_ij"] / inter["intra"]["Gamma_ij"][:, None]
    out["Gamma_ij_inter_over_intra_at_smallest_ratio"] = [float(v) for v in ratio_J[:, 0]]
    return out


def run_validation(quick=False, mc_samples=10**7, seed=0, progress=None, with_mc=True,
                   mc_rel_err=1e-4):
    """All scans; ``progress(done, total)`` (the package's one progress signature) after each
    computed point.  Returns a dict.

    The Monte-Carlo points use the plane-wave estimator through :func:`lehmberg.rates`,
    each to ``mc_rel_err`` or ``mc_samples`` directions.
    """
    if progress is not None:
        total, done, report = n_points(quick, with_mc), [0], progress

        def progress(label):  # the scans tick once per point
            done[0] += 1
            report(done[0], total)
    g = grids(quick)
    data = {"grids": g}
    data["intra"] = intra_scan(g["kL"], progress=progress)
    data["intra_p_parallel"] = intra_scan(g["kL"][g["kL"] <= 1e3], p_hat=(0.0, 0.0, 1.0),
                                          progress=progress)
    data["inter"] = inter_scan(g["kL_inter"], g["ratio"], progress=progress)
    if with_mc:
        data["mc_intra"] = mc_intra(g["kL_mc"], mc_samples, seed, progress, mc_rel_err)
        data["mc_inter"] = mc_inter(g["kL_inter"][0], g["ratio_mc"], mc_samples, seed, progress,
                                    mc_rel_err)
    data["summary"] = summary(data["intra"], data["inter"])
    return data


def n_points(quick=False, with_mc=True):
    """Number of progress ticks :func:`run_validation` makes."""
    g = grids(quick)
    n = len(g["kL"]) + int(np.sum(g["kL"] <= 1e3)) + len(g["kL_inter"]) * len(g["ratio"])
    if with_mc:
        n += len(g["kL_mc"]) + len(g["ratio_mc"])
    return n
