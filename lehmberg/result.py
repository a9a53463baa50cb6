"""The result every rate estimator returns (Monte Carlo or quadrature), and its warnings.

Numerics never print and never write files: they return a :class:`Rates`, which the
command line, the file writer and the plots consume.  The paper's Γ_ij = Re Γ̄ − Im Ḡ
and G_ij = Im Γ̄ + Re Ḡ are formed here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["Rates", "RowStats", "LehmbergWarning", "TargetNotMetWarning", "QUANTITIES",
           "asymptote"]

#: The quantities of a :class:`Rates`, as named in its ``methods`` and in files.
QUANTITIES = ("gamma_bar", "g_bar", "Gamma_ij", "G_ij")

_NAN = float("nan")


def asymptote(kL):
    """The paper's large-k_L L rate 3/(4 (k_L L)²), in units of Γ (after Eq. B7)."""
    return 3.0 / (4.0 * kL * kL)


class RowStats:
    """Running mean and variance of independent rows (Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ) and of the
    Γ_ij = Re Γ̄ − Im Ḡ, G_ij = Im Γ̄ + Re Ḡ formed from them (Welford's update).

    A stopping rule asks :meth:`rel_err` after every batch in O(1), so a run of n batches
    costs O(n), not O(n²); the result itself is still made once by :meth:`Rates.from_rows`
    from all rows (the same numbers as without the accumulator).

    Examples
    --------
    >>> from lehmberg.result import RowStats
    >>> s = RowStats()
    >>> for row in ([1.0, 0, 0, 0], [3.0, 0, 0, 0]):
    ...     s.add(row)
    >>> s.n, s.rel_err(g=False)  # mean 2, standard error of the mean 1
    (2, 0.5)
    """

    def __init__(self):
        self.n = 0
        self._mean = np.zeros(6)
        self._m2 = np.zeros(6)

    def add(self, row):
        """Add one row (Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ)."""
        r = row
        x = np.array([r[0], r[1], r[2], r[3], r[0] - r[3], r[1] + r[2]], dtype=float)
        self.n += 1
        d = x - self._mean
        self._mean += d / self.n
        self._m2 += d * (x - self._mean)

    def rel_err(self, g=True) -> float:
        """Relative standard error of Γ_ij (``g``), or of Re Γ̄ where Ḡ is not estimated (as
        :meth:`Rates.rel_err`); inf with fewer than two rows or a zero mean."""
        k = 4 if g else 0
        v = float(self._mean[k])
        if self.n < 2 or v == 0.0:
            return math.inf
        return abs(math.sqrt(float(self._m2[k]) / (self.n - 1) / self.n) / v)


class _Methods(dict):
    """``Rates.methods``: a read-only dict (the ``Rates`` that holds it is frozen)."""

    def _read_only(self, *args, **kwargs):
        raise TypeError("Rates.methods is read-only; use Rates.replace(methods=...)")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self):  # pickles (Dask workers) and copies as a plain mapping
        return (type(self), (dict(self),))

    def __hash__(self):
        return hash(tuple(sorted(self.items(), key=repr)))


class LehmbergWarning(UserWarning):
    """Base class of the package's warnings."""


class TargetNotMetWarning(LehmbergWarning):
    """A requested relative error was not reached within the sample budget."""


@dataclasses.dataclass(frozen=True)
class Rates:
    """Position-averaged rates of one pair of clouds (a, b), in units of Γ.

    Attributes
    ----------
    gamma_bar, g_bar : complex
        Γ̄_ab = E[e^{ik_L·r} γ(r)] and Ḡ_ab = E[e^{ik_L·r} g(r)] (SPEC §3).
    gamma_bar_err, g_bar_err : complex
        Errors of the real and of the imaginary part, packed as ``err_re + 1j*err_im``
        (two real errors, not a complex quantity).  NaN where the estimator has no value.
    Gamma_ij, G_ij : float
        The paper's Re⟨J_ij⟩ = Re Γ̄ − Im Ḡ and Im⟨J_ij⟩ = Im Γ̄ + Re Ḡ.
    Gamma_ij_err, G_ij_err : float
        Their errors (correlations between Γ̄ and Ḡ included where one estimator gave both).
    n_samples : int
        Samples used (Monte Carlo) or function evaluations (quadrature).
    method : str
        The estimator, or ``"a+b"`` where quantities come from different ones.
    error_kind : str
        ``"standard error"`` (Monte Carlo) or ``"quadrature error estimate"``.
    target_met : bool or None
        Whether a requested relative error was reached (None: none requested).
    geometry : Geometry or None
        The request (set by :func:`lehmberg.rates`).
    methods : mapping
        Which estimator produced each of ``QUANTITIES`` (read-only).
    notes : tuple of str
        What the error bars do not cover, in words (for example a heavy-tailed Ḡ).
    eta : (float, float) or None
        With a probe waist: the fractions η_a, η_b = E[u]²/E[u²] of the two clouds in the
        probe mode (SPEC §9); None without one.
    """

    gamma_bar: complex
    gamma_bar_err: complex
    g_bar: complex
    g_bar_err: complex
    Gamma_ij: float
    Gamma_ij_err: float
    G_ij: float
    G_ij_err: float
    n_samples: int
    method: str
    error_kind: str = "standard error"
    target_met: bool | None = None
    geometry: object = None
    methods: dict = dataclasses.field(default_factory=dict)
    notes: tuple = ()
    eta: tuple | None = None

    def __post_init__(self):
        methods = self.methods or {q: self.method for q in QUANTITIES}
        object.__setattr__(self, "methods", _Methods(methods))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_rows(cls, rows, n_samples, method, error_kind="standard error", **kw) -> "Rates":
        """Rates from independent rows (Re Γ̄, Im Γ̄, Re Ḡ, Im Ḡ): mean and standard error.

        Γ_ij and G_ij are formed row by row, so their errors include the
        correlation of Γ̄ and Ḡ.  Fewer than two rows give infinite errors.
        """
        rows = np.asarray(rows, dtype=float).reshape(-1, 4)
        cols = np.column_stack([rows, rows[:, 0] - rows[:, 3], rows[:, 1] + rows[:, 2]])
        mean = cols.mean(axis=0)
        n = cols.shape[0]
        err = cols.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(6, math.inf)
        return cls(gamma_bar=complex(mean[0], mean[1]), gamma_bar_err=complex(err[0], err[1]),
                   g_bar=complex(mean[2], mean[3]), g_bar_err=complex(err[2], err[3]),
                   Gamma_ij=float(mean[4]), Gamma_ij_err=float(err[4]),
                   G_ij=float(mean[5]), G_ij_err=float(err[5]),
                   n_samples=int(n_samples), method=method, error_kind=error_kind, **kw)

    @classmethod
    def from_parts(cls, gamma_bar, gamma_bar_err, g_bar, g_bar_err, n_samples, method,
                   error_kind="standard error", bound=False, **kw) -> "Rates":
        """Rates from Γ̄ and Ḡ estimated independently (or bounded, ``bound=True``).

        Standard errors of independent estimates add in quadrature; error bounds
        (quadrature error estimates) add linearly.
        """
        gb, ge, Gb, Ge = complex(gamma_bar), complex(gamma_bar_err), complex(g_bar), complex(g_bar_err)
        add = (lambda a, b: a + b) if bound else math.hypot
        return cls(gamma_bar=gb, gamma_bar_err=ge, g_bar=Gb, g_bar_err=Ge,
                   Gamma_ij=gb.real - Gb.imag, Gamma_ij_err=add(ge.real, Ge.imag),
                   G_ij=gb.imag + Gb.real, G_ij_err=add(ge.imag, Ge.real),
                   n_samples=int(n_samples), method=method, error_kind=error_kind, **kw)

    def without_g(self, intra) -> "Rates":
        """The same Γ̄ with no Ḡ: inside one cloud (``intra``) Γ_ij = Re Γ̄ exactly (Ḡ is
        real there), between clouds Γ_ij and G_ij are unknown (NaN)."""
        nan_c = complex(_NAN, _NAN)
        methods = dict(self.methods, g_bar=None, G_ij=None)
        if not intra:
            methods["Gamma_ij"] = None
        return dataclasses.replace(
            self, g_bar=nan_c, g_bar_err=nan_c, G_ij=_NAN, G_ij_err=_NAN, methods=methods,
            Gamma_ij=self.gamma_bar.real if intra else _NAN,
            Gamma_ij_err=self.gamma_bar_err.real if intra else _NAN)

    def replace(self, **changes) -> "Rates":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived
    def rel_err(self) -> float:
        """Relative error of Γ_ij (of Re Γ̄ where Γ_ij is unknown; inf at 0)."""
        v, e = self.Gamma_ij, self.Gamma_ij_err
        if math.isnan(v):
            v, e = self.gamma_bar.real, self.gamma_bar_err.real
        return abs(e / v) if v != 0 else math.inf

    def d(self, N) -> tuple[float, float]:
        """Optical depth d = N Γ_ij/Γ of one ensemble of N atoms, with its error."""
        return N * self.Gamma_ij, N * self.Gamma_ij_err

    def as_dict(self, N=None) -> dict:
        """The JSON form: complex numbers as [re, im], rates in units of Γ."""
        out = {
            "Gamma_ij": self.Gamma_ij,
            "Gamma_ij_err": self.Gamma_ij_err,
            "G_ij": self.G_ij,
            "G_ij_err": self.G_ij_err,
            "gamma_bar": [self.gamma_bar.real, self.gamma_bar.imag],
            "gamma_bar_err": [self.gamma_bar_err.real, self.gamma_bar_err.imag],
            "g_bar": [self.g_bar.real, self.g_bar.imag],
            "g_bar_err": [self.g_bar_err.real, self.g_bar_err.imag],
            "n_samples": int(self.n_samples),
            "method": self.method,
            "methods": dict(self.methods),
            "error_kind": self.error_kind,
        }
        if self.target_met is not None:
            out["target_met"] = bool(self.target_met)
        if self.notes:
            out["notes"] = list(self.notes)
        if N is not None:
            out["d"], out["d_err"] = self.d(N)
        if self.eta is not None:
            out["eta"] = list(self.eta)
        return out
