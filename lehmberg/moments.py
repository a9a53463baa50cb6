"""Moment equations for the entanglement of two ensembles (Sec. III D, IV; Apps. C, D; SPEC §5, §6).

Rates in units of Γ, times in units of 1/Γ.  Every quantity is per atom
(variances divided by N): for N ≫ 1 the equations are linear in N and ξ does
not depend on it.  Numerics only: nothing here prints or writes files.

Two-level model (SPEC §5, errata 2 and 3 applied)::

    dP₂/dt          = (Γ_cool − Γ_heat) − (Γ_cool + Γ_heat) P₂          (⟨J_x⟩ = N P₂/2)
    d var(J_y,±)/dt = −(Γ̃ + dP₂) var(J_y,±) + (N/4)(Γ̃ + dP₂²(μ ∓ ν)²)
    d var(J_z,±)/dt = −(Γ̃ + dP₂) var(J_z,±) + (N/4)(Γ̃ + dP₂²(μ ± ν)²)
    ξ(t)            = 2[var(J_y,+) + var(J_z,−)] / (N |P₂|)

Three-level model (SPEC §6, errata 4, 5, 6 applied): populations
``d/dt (N↑, N↓, N_h) = M (N↑, N↓, N_h)`` and, with d(t) = d N₂/N,
``d⟨J²_y,+⟩₂/dt = −(Γ̄ + d(t)P₂)⟨J²_y,+⟩₂ + (N₂/4)(Γ̄ + d(t)P₂²(μ−ν)²)``
(⟨J²_z,−⟩₂ obeys the same equation), ``Σ_J,2 = 2⟨J²_y,+⟩₂ + 2⟨J²_z,−⟩₂``,
``ξ_exp = [2F Σ_J,2 + 2(2F−1) N↓] / [N₂ (P₂ + 2F − 1)]``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from . import _checks

__all__ = ["TwoLevel", "two_level", "mu_nu_from_Z", "P2_exact", "xi_steady", "xi_adiabatic",
           "integrate_two_level", "adiabatic_deviation", "optimize_Z", "max_gamma_add",
           "ThreeLevel", "three_level", "population_matrix", "populations", "population_steady",
           "integrate_three_level", "xi_exp_longtime", "xi_exp_steady",
           "MomentSolution", "bracket_root"]


def mu_nu_from_Z(Z: float) -> tuple[float, float]:
    """μ = (Z + 1/Z)/2, ν = (Z − 1/Z)/2: the μ, ν > 0 with μ² − ν² = 1 and Z = 1/(μ − ν).

    Parameters
    ----------
    Z : float
        Squeezing parameter Z = 1/(|μ| − |ν|) > 1 (dimensionless).

    Returns
    -------
    mu, nu : float

    Raises
    ------
    ValueError
        If Z is not a finite number in (1, 1e6].

    Examples
    --------
    >>> from lehmberg.moments import mu_nu_from_Z
    >>> mu, nu = mu_nu_from_Z(2.0)
    >>> mu, nu, mu**2 - nu**2
    (1.25, 0.75, 1.0)
    """
    return _mu_nu(_checks.squeezing(Z))


def _mu_nu(Z):
    return 0.5 * (Z + 1.0 / Z), 0.5 * (Z - 1.0 / Z)


# --------------------------------------------------------------------------------------------
# Two-level model
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TwoLevel:
    """Parameters of the two-level model (SPEC §5), rates in units of Γ.

    Build it with :func:`two_level`, which validates the input.  Probe only
    (x = 0): Γ_cool = μ², Γ_heat = ν², Γ_d = 2(μ²+ν²) + Γ_d^add.  With pump
    parameter x: Γ_cool = (1+x)μ², Γ_d^rad = 2((1+x)μ² + ν²) (Sec. III D).

    Attributes
    ----------
    d : float
        Optical depth of one ensemble, d = N Γ_ij/Γ.
    mu, nu : float
        Sideband weights, μ² − ν² = 1 (|μ| > |ν|).
    gamma_add : float
        Additional dephasing Γ_d^add, units of Γ.
    x : float
        Pump parameter (dimensionless).
    P0 : float
        Initial polarisation P₂(0) in (0, 1].
    d_err : float
        Standard error of d (0: exact); :func:`lehmberg.entangle` propagates it.

    Examples
    --------
    >>> from lehmberg.moments import two_level
    >>> p = two_level(30.0, Z=2.0)
    >>> p.G_cool, p.G_heat, p.G_tilde          # μ², ν², Γ_cool + Γ_heat + Γ_d (units of Γ)
    (1.5625, 0.5625, 6.375)
    """

    d: float
    mu: float
    nu: float
    gamma_add: float = 0.0
    x: float = 0.0
    P0: float = 1.0
    d_err: float = 0.0

    @classmethod
    def unchecked(cls, d, Z, gamma_add=0.0, x=0.0, P0=1.0):
        """The model at Z without validation, for callers that validated every input already
        (the Gaussian model builds its two clouds with it); :func:`two_level` validates."""
        return cls(d, *_mu_nu(Z), gamma_add, x, P0)

    @property
    def Z(self) -> float:
        """Z = 1/(|μ| − |ν|)."""
        return 1.0 / (abs(self.mu) - abs(self.nu))

    @property
    def G_cool(self) -> float:
        """Γ_cool = (1 + x) μ², units of Γ."""
        return (1.0 + self.x) * self.mu ** 2

    @property
    def G_heat(self) -> float:
        """Γ_heat = ν², units of Γ."""
        return self.nu ** 2

    @property
    def G_d(self) -> float:
        """Γ_d = 2(Γ_cool + Γ_heat) + Γ_d^add, units of Γ."""
        return 2.0 * (self.G_cool + self.G_heat) + self.gamma_add

    @property
    def G_tilde(self) -> float:
        """Γ̃ = Γ_cool + Γ_heat + Γ_d (Sec. III D), units of Γ."""
        return self.G_cool + self.G_heat + self.G_d

    @property
    def P_inf(self) -> float:
        """P₂,∞ = (Γ_cool − Γ_heat)/(Γ_cool + Γ_heat), Eq. (15)."""
        return (self.G_cool - self.G_heat) / (self.G_cool + self.G_heat)

    def as_dict(self) -> dict[str, float]:
        """The parameters and the derived rates (units of Γ) as a plain dict."""
        return {"d": self.d, "mu": self.mu, "nu": self.nu, "Z": self.Z, "gamma_add": self.gamma_add,
                "x": self.x, "P0": self.P0, "G_cool": self.G_cool, "G_heat": self.G_heat,
                "G_d": self.G_d, "G_tilde": self.G_tilde}


def two_level(d: float, Z: float | None = None, mu: float | None = None,
              nu: float | None = None, gamma_add: float = 0.0, x: float = 0.0,
              P0: float = 1.0, d_err: float = 0.0) -> TwoLevel:
    """Validated :class:`TwoLevel` from d and either Z (> 1) or μ, ν (|μ| > |ν|, μ² − ν² = 1).

    Parameters
    ----------
    d : float
        Optical depth d = N Γ_ij/Γ > 0 of one ensemble.
    Z : float, optional
        Squeezing parameter Z = 1/(|μ| − |ν|) > 1; μ, ν from :func:`mu_nu_from_Z`.
    mu, nu : float, optional
        The sideband weights instead of Z (only |μ|, |ν| matter).
    gamma_add : float
        Additional dephasing Γ_d^add ≥ 0, units of Γ.
    x : float
        Pump parameter ≥ 0 (Sec. III D).
    P0 : float
        Initial polarisation P₂(0) in (0, 1].
    d_err : float
        Standard error of d, ≥ 0 (propagated by :func:`lehmberg.entangle`).

    Returns
    -------
    TwoLevel

    Raises
    ------
    ValueError
        Naming the parameter, for non-finite values, d outside (0, 1e8], Z outside (1, 1e6],
        Γ_d^add outside [0, 1e8], x outside [0, 1e6], P0 outside (0, 1], μ² − ν² ≠ 1, or
        both Z and (μ, ν) given (the ranges of :mod:`lehmberg._checks`).

    Examples
    --------
    >>> from lehmberg.moments import two_level
    >>> two_level(30.0, Z=2.0).mu
    1.25
    >>> two_level(-30.0, Z=2.0)
    Traceback (most recent call last):
    ...
    ValueError: d must be > 0, got -30
    """
    d = _checks.optical_depth(d)
    d_err = _checks.real(d_err, "d_err", 0.0)
    gamma_add = _checks.dephasing(gamma_add)
    x = _checks.pump(x)
    P0 = _checks.polarisation(P0, "P0")
    if Z is not None:
        if mu is not None or nu is not None:
            raise ValueError("give Z or (mu, nu), not both")
        mu, nu = mu_nu_from_Z(Z)
    else:
        if mu is None or nu is None:
            raise ValueError("give Z or both mu and nu")
        mu, nu = _checks.real(mu, "mu"), _checks.real(nu, "nu")
        if abs(mu * mu - nu * nu - 1.0) > 1e-9:
            raise ValueError(f"mu² − nu² must be 1, got {mu * mu - nu * nu}")
        if abs(mu) <= abs(nu):
            raise ValueError("|mu| must exceed |nu|")
        # The unified notation of App. B absorbs relative signs: only |μ|, |ν| matter.
        mu, nu = abs(mu), abs(nu)
    return TwoLevel(d, mu, nu, gamma_add, x, P0, d_err)


def P2_exact(p: TwoLevel, t: ArrayLike) -> np.ndarray:
    """P₂(t) = P₂,∞ + (P₀ − P₂,∞) e^{−(Γ_cool+Γ_heat)t}: the exact solution of d⟨J_x⟩/dt (App. C).

    Parameters
    ----------
    p : TwoLevel
    t : array_like
        Times in units of 1/Γ.

    Returns
    -------
    numpy.ndarray
        P₂ at each time (dimensionless).

    Examples
    --------
    >>> from lehmberg.moments import P2_exact, two_level
    >>> p = two_level(30.0, Z=2.0)
    >>> float(P2_exact(p, 0.0)), round(float(P2_exact(p, 1e3)), 12) == round(p.P_inf, 12)
    (1.0, True)
    """
    t = np.asarray(t, dtype=float)
    return p.P_inf + (p.P0 - p.P_inf) * np.exp(-(p.G_cool + p.G_heat) * t)


def xi_steady(p: TwoLevel) -> tuple[float, float]:
    """ξ_∞ and P₂,∞ of Eq. (15) (= Eq. 5).

    ``ξ_∞ = (Γ̃ + d P²(|μ|−|ν|)²) / ((Γ̃ + d P) P)`` with P = P₂,∞.

    Parameters
    ----------
    p : TwoLevel

    Returns
    -------
    xi_inf : float
        Steady-state ξ (< 1: entangled); inf when P₂,∞ ≤ 0.
    P_inf : float
        Steady-state polarisation.

    Examples
    --------
    >>> from lehmberg.moments import two_level, xi_steady
    >>> xi, P = xi_steady(two_level(1e8, Z=2.0))      # d → ∞: the ideal (|μ|−|ν|)² = 1/Z²
    >>> round(xi, 6)
    0.25
    """
    P = p.P_inf
    if P <= 0:
        return math.inf, P
    s = (abs(p.mu) - abs(p.nu)) ** 2
    return (p.G_tilde + p.d * P * P * s) / (p.G_tilde + p.d * P) / P, P


def xi_adiabatic(p: TwoLevel, t: ArrayLike) -> np.ndarray:
    """Eq. (14): ξ(t) when the transverse variances follow P₂(t) adiabatically.

    ``ξ(t) = e^{−r t}/P + (Γ̃ + d P² (|μ|−|ν|)²)/r · (1 − e^{−r t})/P``, r = Γ̃ + d P,
    P = P₂(t) of :func:`P2_exact`.  Valid when the polarisation rate Γ_cool + Γ_heat
    is small against Γ̃ + dP₂ (see :func:`adiabatic_deviation`).  For P₀ < 1 the
    first term is the decaying initial value var = N/4.

    Parameters
    ----------
    p : TwoLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ.

    Returns
    -------
    numpy.ndarray
        ξ at each time.

    Examples
    --------
    >>> from lehmberg.moments import two_level, xi_adiabatic
    >>> float(xi_adiabatic(two_level(30.0, Z=2.0), [0.0])[0])   # the coherent spin state
    1.0
    """
    t = _checks.times(t)
    P = P2_exact(p, t)
    s = (abs(p.mu) - abs(p.nu)) ** 2
    rate = p.G_tilde + p.d * P
    e = np.exp(-rate * t)
    return e / P + (p.G_tilde + p.d * P * P * s) / rate * (1.0 - e) / P


@dataclasses.dataclass(frozen=True)
class MomentSolution:
    """Integrated moment equations on the requested times.

    ``xi`` is ξ(t) (two-level) or ξ_exp(t) (three-level); ``xi_err`` is the
    largest change of ξ when the tolerances are tightened 100-fold (an
    estimate of the integration error); ``arrays`` holds the other
    per-atom quantities (P2, variances / N, populations / N).

    Attributes
    ----------
    t : numpy.ndarray
        Times, units of 1/Γ (sorted).
    xi, xi_err : numpy.ndarray
        ξ(t) and its integration error estimate.
    P2 : numpy.ndarray
        Polarisation P₂(t).
    arrays : mapping
        The other integrated quantities (see the integrators), read-only.
    method : str
        The :func:`scipy.integrate.solve_ivp` method.
    rtol, atol : float
        Its tolerances.
    """

    t: np.ndarray
    xi: np.ndarray
    xi_err: np.ndarray
    P2: np.ndarray
    arrays: Mapping
    method: str
    rtol: float
    atol: float

    def __post_init__(self):
        object.__setattr__(self, "arrays", MappingProxyType(dict(self.arrays)))


def _solve(rhs, y0, t, method, rtol, atol, jac=None):
    t_end = float(t[-1])
    if t_end == 0.0:
        return np.repeat(np.asarray(y0, float)[:, None], t.size, axis=1)
    sol = solve_ivp(rhs, (0.0, t_end), y0, method=method, t_eval=t, rtol=rtol, atol=atol,
                    jac=jac)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y


def _two_level_rhs(p):
    gc, gh, gt, d = p.G_cool, p.G_heat, p.G_tilde, p.d
    sm, sp = (p.mu - p.nu) ** 2, (p.mu + p.nu) ** 2

    def rhs(_t, y):
        P, vyp, vzm, vym, vzp = y
        rate = gt + d * P
        return [(gc - gh) - (gc + gh) * P,
                -rate * vyp + 0.25 * (gt + d * P * P * sm),
                -rate * vzm + 0.25 * (gt + d * P * P * sm),
                -rate * vym + 0.25 * (gt + d * P * P * sp),
                -rate * vzp + 0.25 * (gt + d * P * P * sp)]

    def jac(_t, y):
        P, vyp, vzm, vym, vzp = y
        rate = gt + d * P
        J = np.zeros((5, 5))
        J[0, 0] = -(gc + gh)
        for i, (v, s) in enumerate(((vyp, sm), (vzm, sm), (vym, sp), (vzp, sp)), start=1):
            J[i, i] = -rate
            J[i, 0] = -d * v + 0.5 * d * P * s
        return J

    return rhs, jac


def integrate_two_level(p: TwoLevel, t: ArrayLike, method: str = "LSODA", rtol: float = 1e-8,
                        atol: float = 1e-11, N: float = 1.0) -> MomentSolution:
    """Integrate the two-level moment equations (SPEC §5; App. C Eqs. C1, C2 with erratum 2).

    The equations of the module docstring, per atom::

        dP₂/dt          = (Γ_cool − Γ_heat) − (Γ_cool + Γ_heat) P₂
        d var(J_y,±)/dt = −(Γ̃ + dP₂) var(J_y,±) + (1/4)(Γ̃ + dP₂²(μ ∓ ν)²)
        ξ(t)            = 2[var(J_y,+) + var(J_z,−)] / |P₂|

    Parameters
    ----------
    p : TwoLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ (sorted here).
    method, rtol, atol
        Passed to :func:`scipy.integrate.solve_ivp`.
    N : float
        Atoms per ensemble; only scales the returned variances.

    Returns
    -------
    MomentSolution
        ``xi``, ``xi_err``, ``P2`` and arrays ``var_y_plus``, ``var_z_minus``,
        ``var_y_minus``, ``var_z_plus``, ``Jx`` (scaled by N).  Initial state:
        uncorrelated atoms with polarisation P0 along x̂ (var = N/4).

    Examples
    --------
    >>> from lehmberg.moments import integrate_two_level, two_level, xi_steady
    >>> p = two_level(30.0, Z=2.0)
    >>> sol = integrate_two_level(p, [0.0, 50.0])
    >>> float(sol.xi[0]), bool(abs(sol.xi[-1] - xi_steady(p)[0]) < 1e-6)
    (1.0, True)
    """
    t = np.sort(_checks.times(t))
    rhs, jac = _two_level_rhs(p)
    y0 = [p.P0, 0.25, 0.25, 0.25, 0.25]

    def xi_of(y):
        return 2.0 * (y[1] + y[2]) / np.abs(y[0])

    y = _solve(rhs, y0, t, method, rtol, atol, jac)
    y_fine = _solve(rhs, y0, t, method, rtol / 100.0, atol / 100.0, jac)
    xi = xi_of(y)
    arrays = {"var_y_plus": N * y[1], "var_z_minus": N * y[2], "var_y_minus": N * y[3],
              "var_z_plus": N * y[4], "Jx": 0.5 * N * y[0]}
    return MomentSolution(t, xi, np.abs(xi - xi_of(y_fine)), y[0], arrays, method, rtol, atol)


def adiabatic_deviation(p: TwoLevel, t: ArrayLike, **kw) -> dict:
    """Where Eq. (14) departs from the integrated equations.

    Parameters
    ----------
    p : TwoLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ.
    **kw
        Passed to :func:`integrate_two_level`.

    Returns
    -------
    dict
        ``t``, ``xi_ode``, ``xi_eq14``, ``abs_dev`` = |ξ₁₄ − ξ_ode|, ``max_abs_dev``,
        ``xi_err`` (the integration error of ``xi_ode``) and ``adiabaticity`` =
        (Γ_cool + Γ_heat)/(Γ̃ + dP₂(t)), the ratio of the slow to the fast rate that
        Eq. (14) assumes small.

    Examples
    --------
    >>> from lehmberg.moments import adiabatic_deviation, two_level
    >>> out = adiabatic_deviation(two_level(30.0, Z=2.0), [0.0, 0.1, 1.0, 10.0])
    >>> out["max_abs_dev"] < 0.05
    True
    """
    sol = integrate_two_level(p, t, **kw)
    x14 = xi_adiabatic(p, sol.t)
    dev = np.abs(x14 - sol.xi)
    P = P2_exact(p, sol.t)
    return {"t": sol.t, "xi_ode": sol.xi, "xi_eq14": x14, "abs_dev": dev,
            "max_abs_dev": float(dev.max()), "xi_err": sol.xi_err,
            "adiabaticity": (p.G_cool + p.G_heat) / (p.G_tilde + p.d * P)}


def optimize_Z(d: float, gamma_add: float = 0.0, x: float = 0.0,
               Z_max: float = 50.0) -> tuple[float, float]:
    """ξ_∞ of Eq. (15) minimised over Z ∈ (1, Z_max]: the two-level case of
    :func:`lehmberg.entanglement.optimize_Z`, which takes the model itself.

    A log-spaced grid (400 points in log Z) brackets the minimum, then bounded
    Brent refines it (ξ_∞ is smooth and, over the paper's range, unimodal in Z).
    :func:`lehmberg.gaussian.optimize_Z` has the same leading arguments
    ``(d, gamma_add, x, Z_max)``.

    Parameters
    ----------
    d : float
        Optical depth > 0.
    gamma_add : float
        Γ_d^add ≥ 0, units of Γ.
    x : float
        Pump parameter ≥ 0.
    Z_max : float
        Upper end of the search, in (1, 1e6].

    Returns
    -------
    Z_opt, xi_opt : float

    Examples
    --------
    >>> from lehmberg.moments import optimize_Z
    >>> Z, xi = optimize_Z(30.0)
    >>> 1.0 < Z < 50.0 and 0.0 < xi < 1.0
    True
    """
    d = _checks.optical_depth(d)
    gamma_add = _checks.dephasing(gamma_add)
    x = _checks.pump(x)
    Z_max = _checks.squeezing(Z_max, "Z_max")

    def f(logz):     # every input validated above: the unchecked constructor
        return xi_steady(TwoLevel.unchecked(d, math.exp(logz), gamma_add, x))[0]

    grid = np.linspace(math.log(1.0 + 1e-6), math.log(Z_max), 400)
    vals = np.array([f(g) for g in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    if res.fun <= vals[i]:
        return math.exp(res.x), float(res.fun)
    return math.exp(grid[i]), float(vals[i])


def max_gamma_add(d: float, target: float = 0.85, x: float = 0.0,
                  upper: float = 1e4) -> float:
    """The largest Γ_d^add for which min_Z ξ_∞ ≤ ``target`` (paper: d = 30, target 0.85).

    ξ_∞ grows monotonically with Γ_d^add (Γ̃ grows; Eq. 15), so a root of
    ``min_Z ξ_∞(Γ_d^add) − target`` is unique (brentq, to 1e-8).

    Parameters
    ----------
    d : float
        Optical depth > 0.
    target : float
        The ξ_∞ to reach (0.85: a 15 % reduction).
    x : float
        Pump parameter ≥ 0.
    upper : float
        Give up (return inf) beyond this Γ_d^add.

    Returns
    -------
    float
        Γ_d^add in units of Γ; NaN when the target is not reached even at
        Γ_d^add = 0, inf when it is still reached at ``upper``.

    Examples
    --------
    >>> from lehmberg.moments import max_gamma_add
    >>> 15.0 < max_gamma_add(30.0) < 25.0            # the paper: about 20 Γ
    True
    """
    target = _checks.real(target, "target", 0.0, lo_open=True)

    def g(ga):
        return optimize_Z(d, ga, x)[1] - target

    if g(0.0) > 0:
        return math.nan
    root = bracket_root(g, 10.0, upper, xtol=1e-8)
    return math.inf if root is None else root


def bracket_root(g, hi: float, limit: float, xtol: float, rtol: float = 4 * np.finfo(float).eps):
    """The root in (0, hi'] of a function with g(0) < 0 that crosses zero once.

    ``hi`` is doubled until g(hi) ≥ 0, then :func:`scipy.optimize.brentq` finds the root on
    [0, hi] to ``xtol``/``rtol``.  Used by :func:`max_gamma_add` and
    :func:`lehmberg.cs133.optimal_pump`.

    Returns
    -------
    float or None
        The root; None when ``hi`` passes ``limit`` before g changes sign.

    Examples
    --------
    >>> from lehmberg.moments import bracket_root
    >>> round(bracket_root(lambda x: x * x - 50.0, 1.0, 1e3, xtol=1e-12), 9)
    7.071067812
    >>> bracket_root(lambda x: -1.0, 1.0, 1e3, xtol=1e-12) is None
    True
    """
    while g(hi) < 0:
        hi *= 2
        if hi > limit:
            return None
    return brentq(g, 0.0, hi, xtol=xtol, rtol=rtol)


# --------------------------------------------------------------------------------------------
# Three-level model
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ThreeLevel:
    """Parameters of the three-level model (SPEC §6), rates in units of Γ.

    ``ud`` is Γ↑↓ (rate ↑ → ↓), ``uh`` Γ↑h, …; ``deph`` is Γ↑↑ + Γ↓↓, the
    radiative processes that leave the state unchanged, summed as in Eq. (21);
    ``gamma_add`` is Γ_d^add.  ``F`` is the total angular momentum of the
    ground manifold that holds ↑, ↓ (Cs: 4); F = 1/2 with no h rates is the
    two-level model.  All rates in units of Γ; build it with :func:`three_level`
    (validated) or :func:`lehmberg.cs133.model`.

    Examples
    --------
    >>> from lehmberg.moments import three_level
    >>> p = three_level(30.0, ud=0.5, du=1.5, uh=0.1, Z=2.0)
    >>> p.G_bar                                  # Γ↑↓ + Γ↓↑ + Γ↑h + … (Eq. 21)
    2.1
    """

    d: float
    mu: float
    nu: float
    ud: float
    du: float
    uh: float = 0.0
    dh: float = 0.0
    hu: float = 0.0
    hd: float = 0.0
    deph: float = 0.0
    gamma_add: float = 0.0
    F: float = 4.0
    d_err: float = 0.0

    @property
    def Z(self) -> float:
        """Z = 1/(|μ| − |ν|)."""
        return 1.0 / (abs(self.mu) - abs(self.nu))

    @property
    def G_bar(self) -> float:
        """Γ̄ = Γ↑↓ + Γ↓↑ + Γ↑h + Γ↓h + Γ↑↑ + Γ↓↓ + Γ_d^add (Eq. 21, erratum 5), units of Γ."""
        return self.ud + self.du + self.uh + self.dh + self.deph + self.gamma_add

    def as_dict(self) -> dict[str, float]:
        """The parameters, Z and Γ̄ as a plain dict (without ``d_err``)."""
        out = dataclasses.asdict(self)
        del out["d_err"]
        out.update(Z=self.Z, G_bar=self.G_bar)
        return out


def three_level(d: float, ud: float, du: float, uh: float = 0.0, dh: float = 0.0,
                hu: float = 0.0, hd: float = 0.0, uu: float = 0.0, dd: float = 0.0,
                gamma_add: float = 0.0, Z: float | None = None, mu: float | None = None,
                nu: float | None = None, F: float = 4.0, d_err: float = 0.0) -> ThreeLevel:
    """Validated :class:`ThreeLevel`; rates ≥ 0 and finite, d > 0, Z > 1, F a half-integer ≥ 1/2.

    Parameters
    ----------
    d : float
        Optical depth > 0.
    ud, du, uh, dh, hu, hd : float
        Rates Γ↑↓, Γ↓↑, Γ↑h, Γ↓h, Γh↑, Γh↓ ≥ 0 (Γ_ab: a → b), units of Γ.
    uu, dd : float
        Γ↑↑, Γ↓↓ ≥ 0 (state-preserving radiative processes), summed into ``deph``.
    gamma_add : float
        Γ_d^add ≥ 0, units of Γ.
    Z, mu, nu : float, optional
        As :func:`two_level`.
    F : float
        Total angular momentum of the ground manifold (Cs: 4).
    d_err : float
        Standard error of d, ≥ 0 (propagated by :func:`lehmberg.entangle`).

    Returns
    -------
    ThreeLevel

    Raises
    ------
    ValueError
        Naming the parameter.

    Examples
    --------
    >>> from lehmberg.moments import three_level
    >>> three_level(30.0, ud=0.5, du=1.5, uu=0.2, dd=0.3, Z=2.0).deph
    0.5
    """
    d = _checks.optical_depth(d)
    d_err = _checks.real(d_err, "d_err", 0.0)
    names = dict(ud=ud, du=du, uh=uh, dh=dh, hu=hu, hd=hd, uu=uu, dd=dd)
    vals = {k: _checks.real(v, f"G_{k}", 0.0) for k, v in names.items()}
    gamma_add = _checks.dephasing(gamma_add)
    F = _checks.real(F, "F", 0.0, lo_open=True)
    if abs(2 * F - round(2 * F)) > 1e-12:
        raise ValueError(f"F must be a half-integer >= 1/2, got {F}")
    tl = two_level(d, Z=Z, mu=mu, nu=nu)
    return ThreeLevel(d, tl.mu, tl.nu, vals["ud"], vals["du"], vals["uh"], vals["dh"], vals["hu"],
                      vals["hd"], vals["uu"] + vals["dd"], gamma_add, F, d_err)


def population_matrix(p: ThreeLevel) -> np.ndarray:
    """M of Eq. (20) with erratum 4: columns sum to zero, so N↑ + N↓ + N_h is conserved.

    Parameters
    ----------
    p : ThreeLevel

    Returns
    -------
    numpy.ndarray, shape (3, 3)
        Rows and columns (↑, ↓, h), units of Γ.

    Examples
    --------
    >>> from lehmberg.moments import population_matrix, three_level
    >>> M = population_matrix(three_level(30.0, ud=0.5, du=1.5, uh=0.1, hu=0.2, Z=2.0))
    >>> [round(float(c), 12) for c in M.sum(axis=0)]
    [0.0, 0.0, 0.0]
    """
    return np.array([[-(p.ud + p.uh), p.du, p.hu],
                     [p.ud, -(p.du + p.dh), p.hd],
                     [p.uh, p.dh, -(p.hu + p.hd)]], dtype=float)


def populations(p: ThreeLevel, t: ArrayLike, n0: ArrayLike = (1.0, 0.0, 0.0)) -> np.ndarray:
    """(N↑, N↓, N_h)/N at times t: exp(M t) n₀, by the matrix exponential of M (exact).

    Parameters
    ----------
    p : ThreeLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ.
    n0 : 3-vector
        Initial populations / N.

    Returns
    -------
    numpy.ndarray, shape (3, len(t))

    Examples
    --------
    >>> from lehmberg.moments import populations, three_level
    >>> n = populations(three_level(30.0, ud=0.5, du=1.5, Z=2.0), [0.0, 100.0])
    >>> [round(float(v), 6) for v in n[:, -1]]       # detailed balance: N↑/N↓ = Γ↓↑/Γ↑↓
    [0.75, 0.25, 0.0]
    """
    from scipy.linalg import expm

    M = population_matrix(p)
    t = _checks.times(t)
    return np.stack([expm(M * ti) @ np.asarray(n0, float) for ti in t], axis=1)


def population_steady(p: ThreeLevel) -> np.ndarray:
    """The normalised null vector of M: steady (N↑, N↓, N_h)/N (unique when M is irreducible).

    Without repump (Γh↑ = Γh↓ = 0) and with losses to h, this is (0, 0, 1).

    Parameters
    ----------
    p : ThreeLevel

    Returns
    -------
    numpy.ndarray, shape (3,)
        Populations / N, summing to 1.

    Examples
    --------
    >>> from lehmberg.moments import population_steady, three_level
    >>> [round(float(v), 12) for v in population_steady(three_level(30.0, ud=0.5, du=1.5, Z=2.0))]
    [0.75, 0.25, 0.0]
    """
    M = population_matrix(p)
    w, v = np.linalg.eig(M)
    k = int(np.argmin(np.abs(w)))
    n = np.real(v[:, k])
    return n / n.sum()


def xi_exp_from(p: ThreeLevel, n_up: ArrayLike, n_dn: ArrayLike, sigma2: ArrayLike) -> np.ndarray:
    """ξ_exp = [2F Σ_J,2 + 2(2F−1) N↓] / [N₂ (P₂ + 2F − 1)] (Eqs. 17–19; all per atom).

    Parameters
    ----------
    p : ThreeLevel
        Supplies F.
    n_up, n_dn : array_like
        N↑/N, N↓/N.
    sigma2 : array_like
        Σ_J,2/N.

    Returns
    -------
    numpy.ndarray or float
        ξ_exp.

    Examples
    --------
    >>> from lehmberg.moments import three_level, xi_exp_from
    >>> p = three_level(30.0, ud=0.5, du=1.5, Z=2.0, F=0.5)
    >>> float(xi_exp_from(p, 1.0, 0.0, 1.0))          # F = 1/2, all in ↑, Σ = N: ξ = 1
    1.0
    """
    n2 = n_up + n_dn
    P2 = (n_up - n_dn) / n2
    F = p.F
    return (2 * F * sigma2 + 2 * (2 * F - 1) * n_dn) / (n2 * (P2 + 2 * F - 1))


def integrate_three_level(p: ThreeLevel, t: ArrayLike, method: str = "LSODA",
                          rtol: float = 1e-8, atol: float = 1e-11,
                          N: float = 1.0) -> MomentSolution:
    """Integrate Eq. (20) and the Σ_J,2 equations (D2, D3 with erratum 6; SPEC §6).

    ``d⟨J²_y,+⟩₂/dt = −(Γ̄ + d(t)P₂)⟨J²_y,+⟩₂ + (N₂/4)(Γ̄ + d(t)P₂²(μ−ν)²)`` with
    d(t) = d N₂/N, the populations from M, and ξ_exp of :func:`xi_exp_from`.

    Parameters
    ----------
    p : ThreeLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ (sorted here).
    method, rtol, atol
        Passed to :func:`scipy.integrate.solve_ivp`.
    N : float
        Atoms per ensemble; only scales the returned arrays.

    Returns
    -------
    MomentSolution
        ``xi`` = ξ_exp(t) and arrays ``N_up``, ``N_down``, ``N_h``, ``N2``,
        ``Sigma_J2``, ``d_t`` (= d N₂/N).  Initial state: all atoms in ↑,
        ⟨J²_y,+⟩₂ = ⟨J²_z,−⟩₂ = N/4.

    Examples
    --------
    >>> from lehmberg.moments import integrate_three_level, three_level
    >>> sol = integrate_three_level(three_level(30.0, ud=0.5, du=1.5, Z=2.0, F=0.5), [0.0, 1.0])
    >>> float(sol.xi[0])
    1.0
    """
    t = np.sort(_checks.times(t))
    M = population_matrix(p)
    Gb, d, s = p.G_bar, p.d, (p.mu - p.nu) ** 2

    def rhs(_t, y):
        n = y[:3]
        n2 = n[0] + n[1]
        P = (n[0] - n[1]) / n2 if n2 > 0 else 0.0
        rate = Gb + d * n2 * P
        src = 0.25 * n2 * (Gb + d * n2 * P * P * s)
        dn = M @ n
        return [dn[0], dn[1], dn[2], -rate * y[3] + src, -rate * y[4] + src]

    y0 = [1.0, 0.0, 0.0, 0.25, 0.25]
    y = _solve(rhs, y0, t, method, rtol, atol)
    y_fine = _solve(rhs, y0, t, method, rtol / 100.0, atol / 100.0)

    def xi_of(y):
        return xi_exp_from(p, y[0], y[1], 2 * y[3] + 2 * y[4])

    xi = xi_of(y)
    n2 = y[0] + y[1]
    arrays = {"N_up": N * y[0], "N_down": N * y[1], "N_h": N * y[2], "N2": N * n2,
              "Sigma_J2": N * (2 * y[3] + 2 * y[4]), "d_t": d * n2}
    return MomentSolution(t, xi, np.abs(xi - xi_of(y_fine)), (y[0] - y[1]) / n2, arrays, method,
                          rtol, atol)


def _lt(p, n_up, n_dn):
    n2 = n_up + n_dn
    P2 = (n_up - n_dn) / n2
    dt = p.d * n2
    s = (p.mu - p.nu) ** 2
    ratio = (p.G_bar + dt * P2 * P2 * s) / (p.G_bar + dt * P2)
    F = p.F
    return ratio * 2 * F / (P2 + 2 * F - 1) + (n_dn / n2) * 2 * (2 * F - 1) / (P2 + 2 * F - 1)


def xi_exp_longtime(p: ThreeLevel, t: ArrayLike) -> np.ndarray:
    """Eq. (23): the long-time ξ_exp(t), with the exact populations of Eq. (20).

    Parameters
    ----------
    p : ThreeLevel
    t : array_like
        Times ≥ 0 in units of 1/Γ.

    Returns
    -------
    numpy.ndarray
        ξ_exp at each time.

    Examples
    --------
    >>> from lehmberg.moments import three_level, xi_exp_longtime, xi_exp_steady
    >>> p = three_level(30.0, ud=0.5, du=1.5, Z=2.0)
    >>> abs(float(xi_exp_longtime(p, [200.0])[0]) - xi_exp_steady(p)[0]) < 1e-9
    True
    """
    n = populations(p, t)
    return _lt(p, n[0], n[1])


def xi_exp_steady(p: ThreeLevel) -> tuple[float, float, float]:
    """Eq. (23) at the steady state of M.

    Parameters
    ----------
    p : ThreeLevel

    Returns
    -------
    xi_exp_inf, P2_inf, up_fraction : float
        ξ_exp,∞, P₂,∞ and N↑/N₂ at the steady state; all NaN if N₂,∞ = 0 (every
        atom ends in h).

    Examples
    --------
    >>> from lehmberg.moments import three_level, xi_exp_steady
    >>> xi, P2, up = xi_exp_steady(three_level(30.0, ud=0.5, du=1.5, Z=2.0))
    >>> round(P2, 12), round(up, 12)
    (0.5, 0.75)
    """
    n = population_steady(p)
    n2 = n[0] + n[1]
    if n2 <= 1e-14:
        return math.nan, math.nan, math.nan
    return float(_lt(p, n[0], n[1])), float((n[0] - n[1]) / n2), float(n[0] / n2)
