"""The entanglement face: one call from a model to every number it predicts (SPEC §5, §6, §8).

Rates in units of Γ, times in units of 1/Γ.  Numerics only: nothing here prints or writes
files.  The front door::

    import lehmberg
    from lehmberg.entanglement import models_from_rates

    intra = lehmberg.rates(lehmberg.Geometry(kL=10))
    inter = lehmberg.rates(lehmberg.Geometry(kL=10, kR=30))
    ent = lehmberg.entangle(models_from_rates(intra, inter, N=4e3, Z=1.5, gamma_add=5.0),
                            t=[0.1, 1.0])
    ent.xi_inf, ent.err("xi_inf"), ent.to_xarray()

:func:`entangle` dispatches on the model's type, as QuTiP's ``mesolve`` does on its
arguments:

* :class:`lehmberg.moments.TwoLevel` (:func:`two_level`): the moment equations of SPEC §5,
  ξ_∞ of Eq. (15), ξ(t) integrated, Eq. (14) beside it;
* :class:`lehmberg.moments.ThreeLevel` (:func:`three_level`, the Cs-133 preset
  :func:`cs133_model`): SPEC §6, ξ_exp,∞ of Eq. (23), ξ_exp(t) integrated, Eq. (23) in time;
* :class:`lehmberg.gaussian.GaussianModel` (:func:`gaussian_model`,
  :func:`models_from_rates`): the two-mode Gaussian model of SPEC §8, with ξ_best, θ_best,
  E_N and the purity.

Every model may carry the errors of its inputs (``d_err``, or the averaged rates of
:func:`models_from_rates`); :func:`entangle` propagates them linearly into every output.
:func:`models_from_rates` is the one bridge from :class:`lehmberg.Rates` to a model (d, and
the couplings c, g_in, g_x of SPEC §8); :func:`figure_data` computes Figs. 3, 4, 7, 8.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from . import _checks
from . import gaussian as _gaussian
from . import moments as _moments
from .cs133 import SOURCE as CS133_SOURCE
from .gaussian import GaussianModel, gaussian_model
from .moments import ThreeLevel, TwoLevel, three_level, two_level

__all__ = ["entangle", "Entanglement", "models_from_rates", "couplings", "optimize_Z",
           "curve", "figure_data", "two_level", "three_level", "gaussian_model", "cs133_model",
           "cs133_pump", "CS133_SOURCE", "GA_FIG3", "GA_FIG4", "GA_FIG78", "SOLVERS"]

#: The solvers :func:`entangle` dispatches to, by model type.
SOLVERS = {TwoLevel: "two-level", ThreeLevel: "three-level", GaussianModel: "gaussian"}

#: Γ_d^add of the curves of Fig. 3, Fig. 4 and Figs. 7, 8 (units of Γ).
GA_FIG3 = (0.0, 2.0, 5.0, 10.0, 20.0)
GA_FIG4 = (15.0, 20.0, 25.0, 30.0, 35.0)
GA_FIG78 = (0.0, 2.0, 5.0, 10.0, 20.0)

_REL_STEP = 1e-6      # finite-difference step of the moment models' d, relative to d


def _solver(model):
    for cls, name in SOLVERS.items():
        if type(model) is cls:
            return name
    raise TypeError(f"model must be a TwoLevel, ThreeLevel or GaussianModel (from two_level, "
                    f"three_level, cs133_model, gaussian_model or models_from_rates), got "
                    f"{type(model).__name__}")


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------

_UNITS = {"theta_best": "rad"}
_LONG = {"xi_inf": "steady-state entanglement parameter xi (Eq. 3; three-level: xi_exp, Eq. 23)",
         "P_inf": "steady-state polarisation P_2", "d": "optical depth of one ensemble",
         "xi_best": "steady-state xi minimised over a local rotation of cloud II's quadratures",
         "theta_best": "rotation angle of cloud II's quadratures for xi_best",
         "log_negativity": "logarithmic negativity of the two-mode Gaussian state (natural log)",
         "d_II": "optical depth N_II Gamma_II,II of cloud II",
         "purity": "purity of the two-mode Gaussian state",
         "up_fraction_inf": "steady-state N_up/N_2", "up_fraction_min": "min over t of N_up/N_2",
         "xi_t": "xi(t)", "P_t": "P_2(t)", "N2_t": "N_2(t)/N", "xi_t_approx": "xi(t), analytic"}


@dataclasses.dataclass(frozen=True)
class Entanglement:
    """What :func:`entangle` found for one model.  Rates in units of Γ, times in 1/Γ.

    Attributes
    ----------
    model : TwoLevel, ThreeLevel or GaussianModel
        The model solved (the central one when errors were propagated).
    solver : {"two-level", "three-level", "gaussian"}
    d, d_err : float
        Optical depth of one ensemble (of cloud I when the clouds differ; cloud II's is
        ``extra["d_II"]``) and its standard error.
    xi_inf, P_inf : float
        Steady-state ξ (Eq. 15; three-level: ξ_exp of Eq. 23; Gaussian: Eq. 3) and P₂,∞.
    xi_best, theta_best, log_negativity, purity : float or None
        Gaussian model: ξ_∞ at the best rotation θ_best (radians) of cloud II's quadratures,
        E_N (nats) and Tr ρ²; None for the moment models.
    errors : mapping
        Standard error of every scalar output above (0 where the inputs are exact), by
        linear propagation of the model's input errors (treated as independent).
    t : ndarray or None
        The requested times, in the order given.
    xi_t, xi_t_err, P_t : ndarray or None
        ξ(t) (three-level: ξ_exp(t)), its propagated standard error, P₂(t).
    xi_t_integration_err : ndarray or None
        Integration error estimate of ξ(t): its change when rtol/atol are tightened 100-fold.
    xi_t_approx : ndarray or None
        The analytic approximation at the times: Eq. (14) (two-level), Eq. (23) (three-level).
    N2_t : ndarray or None
        Three-level: N₂(t)/N.
    extra : mapping
        Model-specific outputs: ``up_fraction_inf``, ``up_fraction_min`` (three-level); the
        couplings ``c``, ``g_in``, ``g_x`` and their errors (Gaussian; for clouds that differ,
        SPEC §9, also ``d_II``, ``g_in_II`` with errors, ``P_I``, ``P_II`` and ``N_ratio`` =
        N_II/N_I, and c, g_x are normalised by √(Γ̄_I,I Γ̄_II,II)); ``xi_ideal`` (two-level).
    stats : mapping
        ``rtol``, ``atol``, ``ode_method`` when times were given; ``propagation``; ``inputs``
        (names of the inputs whose errors were propagated).
    """

    model: object
    solver: str
    d: float
    d_err: float
    xi_inf: float
    P_inf: float
    xi_best: float | None = None
    theta_best: float | None = None
    log_negativity: float | None = None
    purity: float | None = None
    errors: Mapping = dataclasses.field(default_factory=dict)
    t: np.ndarray | None = None
    xi_t: np.ndarray | None = None
    xi_t_err: np.ndarray | None = None
    P_t: np.ndarray | None = None
    xi_t_integration_err: np.ndarray | None = None
    xi_t_approx: np.ndarray | None = None
    N2_t: np.ndarray | None = None
    extra: Mapping = dataclasses.field(default_factory=dict)
    stats: Mapping = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for name in ("errors", "extra", "stats"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in ("t", "xi_t", "xi_t_err", "P_t", "xi_t_integration_err", "xi_t_approx",
                     "N2_t"):
            v = getattr(self, name)
            if v is not None:
                v = np.array(v, dtype=float)
                v.flags.writeable = False
                object.__setattr__(self, name, v)

    @property
    def approx_label(self) -> str | None:
        """The equation of :attr:`xi_t_approx`: "Eq. (14)", "Eq. (23)" or None."""
        return {"two-level": "Eq. (14)", "three-level": "Eq. (23)"}.get(self.solver)

    def err(self, name: str) -> float:
        """The standard error of the scalar output ``name`` (0.0 where it is exact)."""
        if name not in self.errors:
            raise ValueError(f"name must be one of {', '.join(self.errors)}; got {name!r}")
        return self.errors[name]

    def scalars(self) -> dict:
        """The scalar outputs that this model defines, as {name: value}."""
        out = {"xi_inf": self.xi_inf, "P_inf": self.P_inf, "d": self.d}
        for k in ("xi_best", "theta_best", "log_negativity", "purity"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        for k in ("d_II", "up_fraction_inf", "up_fraction_min"):
            if k in self.extra:
                out[k] = self.extra[k]
        return out

    def to_xarray(self):
        """An :class:`xarray.Dataset`: every scalar output with its ``_err``, the time series on
        the dimension ``t``; units and long names on each variable, the model in ``attrs``."""
        import xarray as xr

        data, coords = {}, {}
        for k, v in self.scalars().items():
            attrs = {"long_name": _LONG.get(k, k), "units": _UNITS.get(k, "1")}
            if k in self.errors:
                attrs["ancillary_variables"] = f"{k}_err"
                data[f"{k}_err"] = ((), float(self.errors[k]),
                                    {"long_name": f"standard error of {attrs['long_name']}",
                                     "units": attrs["units"]})
            data[k] = ((), float(v), attrs)
        if self.t is not None:
            coords["t"] = ("t", self.t, {"long_name": "time in units of 1/Gamma", "units": "1"})
            for k in ("xi_t", "P_t", "N2_t", "xi_t_approx"):
                v = getattr(self, k)
                if v is None:
                    continue
                attrs = {"long_name": _LONG[k] + (f", {self.approx_label}"
                                                   if k == "xi_t_approx" else ""), "units": "1"}
                if k == "xi_t":
                    attrs["ancillary_variables"] = "xi_t_err xi_t_integration_err"
                    data["xi_t_err"] = ("t", self.xi_t_err, {"long_name": "standard error of "
                                                                          "xi(t)", "units": "1"})
                    data["xi_t_integration_err"] = ("t", self.xi_t_integration_err, {
                        "long_name": "integration error estimate of xi(t)", "units": "1"})
                data[k] = ("t", v, attrs)
        attrs = {"solver": self.solver, "rates_units": "Gamma", "time_units": "1/Gamma"}
        for k, v in self.model.as_dict().items():
            if v is not None:
                attrs[f"model_{k}"] = v
        attrs.update({f"stats_{k}": (", ".join(v) if isinstance(v, tuple) else v)
                      for k, v in self.stats.items()})
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def __repr__(self):
        def pm(k, v):
            e = self.errors.get(k, 0.0)
            return f"{k}={v:.6g}" + (f"±{e:.2g}" if e else "")

        parts = [pm(k, v) for k, v in self.scalars().items()]
        if self.t is not None:
            parts.append(f"xi_t at {self.t.size} times in [{self.t.min():g}, {self.t.max():g}]/Γ")
        if self.stats.get("inputs"):
            parts.append("errors from " + ", ".join(self.stats["inputs"]))
        return f"Entanglement({self.solver}: " + ", ".join(parts) + ")"


# --------------------------------------------------------------------------------------------
# The face
# --------------------------------------------------------------------------------------------

def entangle(model, t=None, *, rtol: float = 1e-8, atol: float = 1e-11) -> Entanglement:
    """Every number a model predicts: ξ_∞, P₂,∞ (and ξ_best, θ_best, E_N, purity for the
    Gaussian model), ξ(t) and P₂(t) at the times ``t``, each with its propagated error.

    Parameters
    ----------
    model : TwoLevel, ThreeLevel or GaussianModel
        From :func:`two_level`, :func:`three_level`, :func:`cs133_model`,
        :func:`gaussian_model` or :func:`models_from_rates`.  Its input errors (``d_err``, or
        the rates it came from) are propagated linearly (central differences).
    t : array_like, optional
        Times ≥ 0 in units of 1/Γ, any order (the outputs follow it).
    rtol, atol : float
        Tolerances of the ODE integration (the Gaussian model uses 1e-8 and 1e-11 always).

    Returns
    -------
    Entanglement

    Raises
    ------
    TypeError
        For anything that is not one of the three models.
    ValueError
        Naming the parameter, for bad times or tolerances; the Gaussian model's
        :class:`lehmberg.gaussian.NoSteadyState` when there is no steady state.

    Examples
    --------
    >>> from lehmberg.entanglement import entangle, gaussian_model, two_level
    >>> a = entangle(two_level(30.0, Z=1.5, gamma_add=5.0), t=[0.3, 0.01])
    >>> b = entangle(gaussian_model(30.0, Z=1.5, gamma_add=5.0), t=[0.3, 0.01])
    >>> print(f"{a.xi_inf:.8f} {b.xi_inf:.8f}")         # paper limit: SPEC §8 = SPEC §5
    0.70515003 0.70515003
    >>> print([f"{v:.6f}" for v in a.xi_t], [f"{v:.6f}" for v in b.xi_t])
    ['0.606962', '0.865006'] ['0.606962', '0.865006']
    """
    solver = _solver(model)
    rtol = _checks.real(rtol, "rtol", 0.0, 1e-3, lo_open=True)
    atol = _checks.real(atol, "atol", 0.0, 1e-3, lo_open=True)
    times = None if t is None else _checks.times(t)
    if solver == "gaussian":
        return _gaussian_entangle(model, times)
    return _moment_entangle(model, solver, times, rtol, atol)


def _as_given(times):
    """Index that puts values computed on the sorted times back in the order given."""
    order = np.argsort(times, kind="stable")
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return back


def _moment_entangle(p, solver, times, rtol, atol):
    two = solver == "two-level"
    steady = _moments.xi_steady if two else _moments.xi_exp_steady
    integrate = _moments.integrate_two_level if two else _moments.integrate_three_level
    out = steady(p)
    xi_inf, P_inf = out[0], out[1]
    extra = {"xi_ideal": (p.mu - p.nu) ** 2} if two else {
        "up_fraction_inf": out[2], "up_fraction_min": _up_fraction_min(p)}
    errors = {"xi_inf": 0.0, "P_inf": 0.0, "d": p.d_err}
    h = _REL_STEP * p.d
    shifted = [dataclasses.replace(p, d=p.d + s * h) for s in (1, -1)] if p.d_err > 0 else []
    if shifted:
        up, dn = (steady(q) for q in shifted)
        errors["xi_inf"] = abs((up[0] - dn[0]) / (2 * h)) * p.d_err
        errors["P_inf"] = abs((up[1] - dn[1]) / (2 * h)) * p.d_err
    if not two:
        errors.update(up_fraction_inf=0.0, up_fraction_min=0.0)   # the populations ignore d
    kw = {}
    stats = {"propagation": "linear in d_err" if shifted else "none (exact inputs)",
             "inputs": ("d",) if shifted else ()}
    if times is not None:
        back = _as_given(times)
        sol = integrate(p, times, rtol=rtol, atol=atol)
        xi_err = np.zeros(times.size)
        if shifted:
            up, dn = (integrate(q, times, rtol=rtol, atol=atol).xi for q in shifted)
            xi_err = np.abs((up - dn) / (2 * h))[back] * p.d_err
        approx = (_moments.xi_adiabatic(p, times) if two else
                  _moments.xi_exp_longtime(p, times))
        kw = dict(t=times, xi_t=sol.xi[back], xi_t_err=xi_err, P_t=sol.P2[back],
                  xi_t_integration_err=sol.xi_err[back], xi_t_approx=approx,
                  N2_t=None if two else sol.arrays["N2"][back])
        stats.update(rtol=rtol, atol=atol, ode_method=sol.method)
    return Entanglement(model=p, solver=solver, d=p.d, d_err=p.d_err, xi_inf=xi_inf,
                        P_inf=P_inf, errors=errors, extra=extra, stats=stats, **kw)


def _up_fraction_min(p):
    """min_t N↑/N₂ (:func:`lehmberg.cs133.up_fraction_min`); NaN where the populations do not
    relax (no rates between ↑ and ↓)."""
    from .cs133 import up_fraction_min

    try:
        with np.errstate(all="raise"):
            return up_fraction_min(p)
    except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError):
        return math.nan


def _gaussian_entangle(model, times):
    out = _gaussian.propagate(model, times)
    v, e = out.value, out.error
    names = {"xi_inf": "xi_inf", "xi_best": "xi_inf_best", "theta_best": "theta_best",
             "log_negativity": "log_negativity", "purity": "purity", "P_inf": "P_inf"}
    scalars = {k: float(v[src]) for k, src in names.items()}
    errors = {k: float(e[src]) for k, src in names.items()}
    errors["d"] = float(e["d"])
    extra = {"c": complex(v["c_re"], v["c_im"]), "c_err": complex(e["c_re"], e["c_im"]),
             "g_in": float(v["g_in"]), "g_in_err": float(e["g_in"]),
             "g_x": complex(v["g_x_re"], v["g_x_im"]), "g_x_err": complex(e["g_x_re"], e["g_x_im"])}
    if model.differs:       # SPEC §9: cloud II's own depth and Lamb shift, each cloud's P
        errors["d_II"] = float(e["d_II"])
        extra.update(d_II=float(v["d_II"]), d_II_err=errors["d_II"], g_in_II=float(v["g_in_II"]),
                     g_in_II_err=float(e["g_in_II"]), P_I=float(v["P_I"]),
                     P_II=float(v["P_II"]), N_ratio=float(model.N_ratio))
    stats = {"propagation": "linear, inputs treated as independent", "inputs": out.inputs}
    kw = {}
    if times is not None:
        back = _as_given(times)
        kw = dict(t=times, xi_t=v["xi_t"][back], xi_t_err=e["xi_t"][back], P_t=v["P_t"][back],
                  xi_t_integration_err=out.xi_t_integration_err[back])
        stats.update(rtol=1e-8, atol=1e-11, ode_method="LSODA")
    return Entanglement(model=out.model, solver="gaussian", d=float(v["d"]), d_err=errors["d"],
                        errors=errors, extra=extra, stats=stats, **scalars, **kw)


# --------------------------------------------------------------------------------------------
# Models: from rates, the Cs-133 preset, the optimal Z
# --------------------------------------------------------------------------------------------

def _pair(value, name):
    """(cloud I, cloud II) of one value or of a pair (I, II)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one value or a pair (cloud I, cloud II)")
        return tuple(value)
    return value, value


def _same(a, b):
    return a is b or a == b


def couplings(intra, inter=None) -> tuple[complex, float, complex]:
    """The couplings (c, g_in, g_x) of SPEC §8 from averaged rates: c = Γ̄_I,II/Γ̄_I,I,
    g_in = Ḡ_I,I/Γ̄_I,I, g_x = Ḡ_I,II/Γ̄_I,I (without ``inter``: the paper's c = 1, g_x = 0).

    Parameters
    ----------
    intra, inter : lehmberg.Rates
        Rates inside cloud I and between clouds I and II.

    Returns
    -------
    (c, g_in, g_x) : complex, float, complex

    Examples
    --------
    >>> import lehmberg
    >>> from lehmberg.entanglement import couplings
    >>> c, g_in, g_x = couplings(lehmberg.rates(lehmberg.Geometry(10.0)),
    ...                          lehmberg.rates(lehmberg.Geometry(10.0, 30.0)))
    >>> print(f"{abs(c):.3f} {g_in:.4f}")
    0.959 -0.0929
    """
    src = _inputs(1.0, intra, inter)
    return src.couplings()[1:]


def _inputs(N, intra, inter):
    gX = None if inter is None else inter.gamma_bar
    GX = None if inter is None else inter.g_bar
    return _gaussian.RateInputs(N, intra.gamma_bar.real, intra.g_bar.real, gX, GX,
                                intra.gamma_bar_err.real, intra.g_bar_err.real,
                                0j if inter is None else inter.gamma_bar_err,
                                0j if inter is None else inter.g_bar_err)


def models_from_rates(intra, inter=None, N=None, *, model: str = "gaussian", **params):
    """The one bridge from :class:`lehmberg.Rates` to a model, carrying the rates' errors.

    * ``model="gaussian"`` (SPEC §8): d = N Γ̄_I,I, c = Γ̄_I,II/Γ̄_I,I, g_in = Ḡ_I,I/Γ̄_I,I,
      g_x = Ḡ_I,II/Γ̄_I,I; the six real rate inputs and their errors travel with the model
      (:func:`lehmberg.gaussian.model_from_rates`), so :func:`entangle` propagates them.
    * clouds that differ (``intra`` or ``N`` a pair of unequal entries; Gaussian model only,
      SPEC §9): k_XY = √(N_X N_Y P_X P_Y) Γ̄_YX and h_XY = √(N_X N_Y P_X P_Y) Ḡ_YX (row X,
      column Y), d_X = N_X Γ̄_XX; so d and g_in are cloud I's, ``d_II`` = N_II Γ̄_II,II and
      ``g_in_II`` = Ḡ_II,II/Γ̄_II,II cloud II's, c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II) and
      g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II).  Cloud II's own rates add two inputs to the errors
      propagated.  Equal pairs give the model of identical clouds (SPEC §8) exactly.
    * ``model="two-level"`` / ``"three-level"``: d = N Γ_ij with its error
      (:meth:`lehmberg.Rates.d`); ``inter`` must be None (the moment equations take one d).

    Parameters
    ----------
    intra : lehmberg.Rates, or a pair (cloud I, cloud II)
        Rates inside one cloud, or the pair ((I, I) rates, (II, II) rates), e.g.
        ``(lehmberg.rates(geo.single()), lehmberg.rates(geo.single("II")))``.
    inter : lehmberg.Rates, optional
        Rates between the clouds (i in I, j in II; ``lehmberg.rates(geo)``); Gaussian model
        only.  None: the paper's c = 1 (clouds that differ: Γ̄_I,II = √(Γ̄_I,I Γ̄_II,II)), g_x = 0.
    N : float, or a pair (N_I, N_II)
        Atoms per ensemble, each in (0, 1e15].
    model : {"gaussian", "two-level", "three-level"}
    **params
        The rest of the model: ``Z`` (or ``Z_I``, ``Z_II``), ``gamma_add``, ``x``, ``P0``, ``P``
        (:func:`gaussian_model`); ``Z``, ``gamma_add``, ``x``, ``P0`` (:func:`two_level`);
        the rates and ``Z``, or ``preset="cs133"`` with the arguments of :func:`cs133_model`
        (three-level).

    Returns
    -------
    GaussianModel, TwoLevel or ThreeLevel

    Examples
    --------
    >>> import lehmberg
    >>> from lehmberg.entanglement import entangle, models_from_rates
    >>> intra = lehmberg.rates(lehmberg.Geometry(10.0))
    >>> inter = lehmberg.rates(lehmberg.Geometry(10.0, 30.0))
    >>> m = models_from_rates(intra, inter, N=4e3, Z=1.5, gamma_add=5.0)
    >>> print(f"d = {m.d:.3f}, |c| = {abs(m.c):.3f}")
    d = 29.703, |c| = 0.959
    >>> e = entangle(models_from_rates(intra, None, N=4e3, model="two-level", Z=1.5))
    >>> print(f"{e.d:.3f} {e.xi_inf:.4f}")
    29.703 0.5843
    """
    _checks.choice(model, "model", ("gaussian", "two-level", "three-level"))
    intra, intra_II = _pair(intra, "intra")
    if N is None:
        raise ValueError("N must be given (atoms per ensemble)")
    N, N_II = _pair(N, "N")
    N = _checks.real(N, "N", 0.0, _checks.N_MAX, lo_open=True)
    N_II = _checks.real(N_II, "N_II", 0.0, _checks.N_MAX, lo_open=True)
    same_rates, same_N = _same(intra, intra_II), N == N_II
    if model != "gaussian" and not (same_rates and same_N):
        raise ValueError(f"{'intra' if not same_rates else 'N'}: clouds that differ (SPEC §9) "
                         f"only with model='gaussian' (the {model} moment equations take one "
                         "optical depth)")
    if model == "gaussian":
        src = _inputs(N, intra, inter)
        two = {}
        if not (same_rates and same_N):
            two = dict(N_II=N_II)
            if not same_rates:
                two.update(gamma_intra_II=intra_II.gamma_bar.real, g_intra_II=intra_II.g_bar.real,
                           gamma_intra_II_err=intra_II.gamma_bar_err.real,
                           g_intra_II_err=intra_II.g_bar_err.real)
        return _gaussian.model_from_rates(
            N, src.gamma_intra, src.g_intra, src.gamma_inter, src.g_inter,
            gamma_intra_err=src.gamma_intra_err, g_intra_err=src.g_intra_err,
            gamma_inter_err=src.gamma_inter_err, g_inter_err=src.g_inter_err, **params, **two)
    if inter is not None:
        raise ValueError(f"inter: only with model='gaussian' (the {model} moment equations take "
                         "one optical depth)")
    d, d_err = intra.d(N)
    if model == "two-level":
        return two_level(d, d_err=d_err, **params)
    if params.get("preset") is not None:
        params = dict(params)
        _checks.choice(params.pop("preset"), "preset", ("cs133",))
        return cs133_model(d, d_err=d_err, **params)
    params.pop("preset", None)
    return three_level(d, d_err=d_err, **params)


def cs133_model(d: float, x_pump: float = 0.0, x_repump: float = 0.0, gamma_add: float = 0.0,
                delta_MHz: float = 700.0, polarisation: str = "y", dephasing: str = "amplitude",
                d_err: float = 0.0) -> ThreeLevel:
    """The three-level model of the Cs-133 preset (App. E): :func:`lehmberg.cs133.model`.

    Examples
    --------
    >>> from lehmberg.entanglement import cs133_model
    >>> cs133_model(30.0, x_pump=1.0).F
    4.0
    """
    from .cs133 import model

    return model(d, x_pump, x_repump, gamma_add, delta_MHz, polarisation, dephasing, d_err)


def cs133_pump(x_repump: float = 0.0, fraction: float = 0.95, delta_MHz: float = 700.0,
               polarisation: str = "y", dephasing: str = "amplitude") -> float:
    """The smallest pump keeping N↑/N₂ ≥ ``fraction`` (App. E): :func:`lehmberg.cs133.optimal_pump`,
    with a ValueError naming ``x`` when no pump reaches it.

    Examples
    --------
    >>> from lehmberg.entanglement import cs133_pump
    >>> 0.0 < cs133_pump(1.0) < 10.0
    True
    """
    from .cs133 import optimal_pump

    x = optimal_pump(x_repump, fraction, delta_MHz, polarisation, dephasing)
    if not math.isfinite(x):
        raise ValueError(f"x: no pump reaches N↑/N₂ ≥ {fraction:g}")
    return x


def optimize_Z(model, *, Z_max: float = 50.0, objective: str = "xi_best") -> tuple[float, float]:
    """The Z that minimises the steady-state entanglement of ``model`` (its own Z ignored).

    The one spelling for every model: :func:`lehmberg.moments.optimize_Z` (ξ_∞ of Eq. 15) for
    a :class:`TwoLevel`, :func:`lehmberg.gaussian.optimize_Z` (``objective``: ξ_best or ξ, one
    common Z for both clouds) for a :class:`GaussianModel`.

    Parameters
    ----------
    model : TwoLevel or GaussianModel
    Z_max : float
        Upper end of the search, in (1, 1e6].
    objective : {"xi_best", "xi"}
        Gaussian model only.

    Returns
    -------
    (Z_opt, value) : tuple of float

    Examples
    --------
    >>> from lehmberg.entanglement import gaussian_model, optimize_Z, two_level
    >>> z1, v1 = optimize_Z(two_level(30.0, Z=2.0, gamma_add=20.0))
    >>> z2, v2 = optimize_Z(gaussian_model(30.0, Z=2.0, gamma_add=20.0))
    >>> print(f"{z1:.4f} {v1:.6f} {z2:.4f} {v2:.6f}")
    1.2893 0.850243 1.2893 0.850243
    """
    solver = _solver(model)
    if solver == "two-level":
        return _moments.optimize_Z(model.d, model.gamma_add, model.x, Z_max)
    if solver == "gaussian":
        two = ({"d_II": model.d_II, "g_in_II": model.g_in_II, "N_ratio": model.N_ratio}
               if model.differs else {})
        return _gaussian.optimize_Z(model.d, model.gamma_add, model.x, Z_max, c=model.c,
                                    g_in=model.g_in, g_x=model.g_x, P=model.P,
                                    objective=objective, **two)
    raise TypeError("model: the three-level model's Z is the probe's (a preset or the user's); "
                    "optimize_Z takes a TwoLevel or a GaussianModel")


# --------------------------------------------------------------------------------------------
# Curves for plots, and the paper's figures
# --------------------------------------------------------------------------------------------

def curve(model, t_end: float | None = None, n: int = 400, *, rtol: float = 1e-8,
          atol: float = 1e-11):
    """ξ(t) and P₂(t) of ``model`` on a dense grid from 0 to ``t_end``, for plots.

    Parameters
    ----------
    model : TwoLevel, ThreeLevel or GaussianModel
    t_end : float, optional
        Last time (units of 1/Γ); default five polarisation times, 5/(Γ_cool + Γ_heat)
        (three-level: 5/(Γ↑↓ + Γ↓↑ + Γ↑h + Γ↓h)).
    n : int
        Grid points (≥ 2).
    rtol, atol : float
        ODE tolerances of the moment models.

    Returns
    -------
    xarray.Dataset
        ``xi``, ``P`` and (moment models) ``xi_approx`` on the dimension ``t``; attributes
        ``xi_inf``, ``approx_label``, ``solver``.

    Examples
    --------
    >>> from lehmberg.entanglement import curve, two_level
    >>> c = curve(two_level(30.0, Z=1.5), n=50)
    >>> c.sizes["t"], c.attrs["approx_label"], float(c["xi"][0])
    (50, 'Eq. (14)', 1.0)
    """
    import xarray as xr

    solver = _solver(model)
    n = _checks.integer(n, "n", 2)
    if t_end is None:
        if solver == "three-level":
            t_end = 5.0 / max(model.ud + model.du + model.uh + model.dh, 1e-12)
        else:
            cl = model if solver == "two-level" else model.clouds[0]
            t_end = 5.0 / (cl.G_cool + cl.G_heat)
    t_end = _checks.real(t_end, "t_end", 0.0)
    grid = np.linspace(0.0, t_end if t_end > 0 else 1.0, n)
    data = {}
    if solver == "gaussian":
        sol = _gaussian.integrate(model, grid)
        xi_inf = _gaussian.steady_state(model).xi
        data.update(xi=sol.xi, P=sol.P)
    else:
        two = solver == "two-level"
        sol = (_moments.integrate_two_level if two else _moments.integrate_three_level)(
            model, grid, rtol=rtol, atol=atol)
        xi_inf = (_moments.xi_steady if two else _moments.xi_exp_steady)(model)[0]
        data.update(xi=sol.xi, P=sol.P2, xi_approx=(
            _moments.xi_adiabatic(model, grid) if two else _moments.xi_exp_longtime(model, grid)))
    label = {"two-level": "Eq. (14)", "three-level": "Eq. (23)"}.get(solver, "")
    long = {"xi": "xi(t)", "P": "P_2(t)", "xi_approx": f"xi(t), {label}"}
    return xr.Dataset({k: ("t", v, {"long_name": long[k], "units": "1"}) for k, v in data.items()},
                      coords={"t": ("t", grid, {"long_name": "time in units of 1/Gamma",
                                                "units": "1"})},
                      attrs={"xi_inf": float(xi_inf), "approx_label": label, "solver": solver})


_FIG_LONG = {"Z": "squeezing parameter Z", "gamma_add": "Gamma_d^add in units of Gamma",
             "xi_inf": "steady-state xi (Eq. 15)", "x": "pump parameter x",
             "xi_opt": "xi minimised over Z", "Z_opt": "optimal Z", "Z_inset": "Z of the inset",
             "x_inset": "x of the inset", "P_inf_inset": "steady-state P_2 of the inset",
             "x_repump": "repump strength", "x_pump": "pump strength",
             "xi_exp_inf": "steady-state xi_exp (Eq. 23)", "t": "time in units of 1/Gamma",
             "xi_exp": "xi_exp(t)", "xi_exp_eq23": "xi_exp(t), Eq. (23)", "N2": "N_2(t)/N"}


def figure_data(n, d: float = 30.0):
    """The data of Fig. 3, 4 (two-level model) or 7, 8 (three-level, Cs-133 preset) at depth d.

    * Fig. 3: ξ_∞ (Eq. 15) over Z for the Γ_d^add of :data:`GA_FIG3`, probe only.
    * Fig. 4: min_Z ξ_∞ and the optimal Z over the pump x for :data:`GA_FIG4`; inset P₂,∞
      over Z at x = 0 and 5.
    * Fig. 7: ξ_exp,∞ over the repump strength, with the pump of :func:`cs133_pump`
      (N↑/N₂ ≥ 0.95), for :data:`GA_FIG78`.
    * Fig. 8: ξ_exp(t) integrated and Eq. (23), without repump, for :data:`GA_FIG78`.

    Parameters
    ----------
    n : {3, 4, 7, 8}
        The figure (int or str).
    d : float
        Optical depth, in (0, 1e8].

    Returns
    -------
    xarray.Dataset
        Named dimensions (``gamma_add``, ``Z``, ``x``, ``x_repump``, ``t``, …), units and long
        names on every variable; scalars (Fig. 7's Z, Fig. 8's pump) and the Cs data source in
        ``attrs``.

    Examples
    --------
    >>> from lehmberg.entanglement import figure_data
    >>> ds = figure_data(3)
    >>> ds["xi_inf"].dims, ds.sizes["Z"]
    (('gamma_add', 'Z'), 300)
    """
    import xarray as xr

    n = _checks.choice(str(n), "n", ("3", "4", "7", "8"))
    d = _checks.optical_depth(d)
    attrs = {"figure": int(n), "d": d}
    if n == "3":
        Z = np.linspace(1.01, 4.0, 300)
        coords = {"Z": Z, "gamma_add": np.array(GA_FIG3)}
        data = {"xi_inf": (("gamma_add", "Z"), np.array(
            [[_moments.xi_steady(two_level(d, Z=z, gamma_add=ga))[0] for z in Z]
             for ga in GA_FIG3]))}
    elif n == "4":
        x = np.linspace(0.0, 10.0, 41)
        xi = np.empty((len(GA_FIG4), x.size))
        Zopt = np.empty_like(xi)
        for i, ga in enumerate(GA_FIG4):
            for j, xv in enumerate(x):
                Zopt[i, j], xi[i, j] = _moments.optimize_Z(d, ga, xv)
        Zin = np.linspace(1.01, 4.0, 200)
        P = np.array([[two_level(d, Z=z, x=xv).P_inf for z in Zin] for xv in (0.0, 5.0)])
        coords = {"x": x, "gamma_add": np.array(GA_FIG4), "Z_inset": Zin,
                  "x_inset": np.array([0.0, 5.0])}
        data = {"xi_opt": (("gamma_add", "x"), xi), "Z_opt": (("gamma_add", "x"), Zopt),
                "P_inf_inset": (("x_inset", "Z_inset"), P)}
    elif n == "7":
        xr_ = np.geomspace(0.01, 10.0, 25)
        xp = np.array([cs133_pump(v) for v in xr_])
        xi = np.array([[_moments.xi_exp_steady(cs133_model(d, p_, v, ga))[0]
                        for p_, v in zip(xp, xr_)] for ga in GA_FIG78])
        coords = {"x_repump": xr_, "gamma_add": np.array(GA_FIG78)}
        data = {"x_pump": (("x_repump",), xp), "xi_exp_inf": (("gamma_add", "x_repump"), xi)}
        attrs.update(Z=cs133_model(d).Z, cs133_data_source=CS133_SOURCE)
    else:
        xp = cs133_pump(0.0)
        t = np.concatenate([np.linspace(0, 0.1, 101), np.linspace(0.1, 3.0, 146)[1:]])
        xi, lt, n2 = [], [], None
        for ga in GA_FIG78:
            p = cs133_model(d, xp, 0.0, ga)
            sol = _moments.integrate_three_level(p, t)
            xi.append(sol.xi)
            lt.append(_moments.xi_exp_longtime(p, t))
            n2 = sol.arrays["N2"]
        coords = {"t": t, "gamma_add": np.array(GA_FIG78)}
        data = {"xi_exp": (("gamma_add", "t"), np.array(xi)),
                "xi_exp_eq23": (("gamma_add", "t"), np.array(lt)), "N2": (("t",), n2)}
        attrs.update(x_pump=xp, cs133_data_source=CS133_SOURCE)
    unit = {"long_name": "", "units": "1"}
    return xr.Dataset(
        {k: (dims, v, {**unit, "long_name": _FIG_LONG[k]}) for k, (dims, v) in data.items()},
        coords={k: (k, v, {**unit, "long_name": _FIG_LONG[k]}) for k, v in coords.items()},
        attrs=attrs)
