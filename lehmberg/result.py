"""The result object every rate estimator returns (Monte Carlo or quadrature).

Numerics never print and never write files: they return a :class:`Rates`,
which the command line, the HDF5 writer and the plots consume.
"""

import dataclasses
import math

__all__ = ["Rates", "asymptote"]


def asymptote(kL):
    """The paper's large-k_L L rate 3/(4 (k_L L)²), in units of Γ (after Eq. B7)."""
    return 3.0 / (4.0 * kL * kL)


@dataclasses.dataclass
class Rates:
    """Position-averaged rates of one pair of clouds (a, b), in units of Γ.

    Attributes
    ----------
    gamma_bar, g_bar : complex
        Γ̄_ab = E[e^{ik_L·r} γ(r)] and Ḡ_ab = E[e^{ik_L·r} g(r)] (SPEC §3).
    gamma_bar_err, g_bar_err : complex
        Standard errors of the real and imaginary parts, as ``err_re + 1j*err_im``.
    Gamma_ij, G_ij : float
        The paper's Re⟨J_ij⟩ = Re Γ̄ − Im Ḡ and Im⟨J_ij⟩ = Im Γ̄ + Re Ḡ.
    Gamma_ij_err, G_ij_err : float
        Their standard errors (correlations between Γ̄ and Ḡ included).
    n_samples : int
        Samples used (Monte Carlo) or function evaluations (quadrature).
    method : str
        Which estimator produced the numbers.
    error_kind : str
        ``"standard error"`` (Monte Carlo) or ``"quadrature error estimate"``.
    target_met : bool or None
        Whether a requested relative error on Gamma_ij was reached (None: none requested).
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

    def rel_err(self):
        """Relative standard error of Gamma_ij (inf when Gamma_ij is 0)."""
        return abs(self.Gamma_ij_err / self.Gamma_ij) if self.Gamma_ij != 0 else math.inf

    def d(self, N):
        """Optical depth d = N Γ_ij/Γ for N atoms, with its standard error."""
        return N * self.Gamma_ij, N * self.Gamma_ij_err

    def as_dict(self, N=None):
        """The JSON/HDF5 form: complex numbers as [re, im], rates in units of Γ."""
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
            "error_kind": self.error_kind,
        }
        if self.target_met is not None:
            out["target_met"] = bool(self.target_met)
        if N is not None:
            out["d"], out["d_err"] = self.d(N)
        return out
