"""Two-mode Gaussian (Holstein–Primakoff) model fed by the averaged rates (SPEC §8).

Rates in units of Γ, times in units of 1/Γ.  Numerics only: nothing here prints
or writes files, and nothing takes the package's ``Rates`` objects — plain
numbers in, plain numbers and arrays out.

The model
---------
Quadratures r = (x_a, p_a, x_b, p_b) of the Holstein–Primakoff modes a (cloud I)
and b (cloud II), x = (a + a†)/√2, p = i(a† − a)/√2, so [r_j, r_l] = iΩ_jl with
Ω = ⊕ [[0, 1], [−1, 0]] and the vacuum variance is ½.  Per sideband
(A: s_I = μ_I a, s_II = ν_II b†;  B: s_I = ν_I a†, s_II = μ_II b) the collective
Kossakowski and Hamiltonian matrices (row X, column Y ∈ {I, II}) are::

    k = d [[P_I, c* q], [c q, P_II]],   h = d [[g_in P_I, g_x* q], [g_x q, g_in P_II]],   q = √(P_I P_II)
    c = Γ̄_I,II/Γ̄_I,I,  g_in = Ḡ_I,I/Γ̄_I,I,  g_x = Ḡ_I,II/Γ̄_I,I,  d = N Γ̄_I,I

with ρ̇ = Σ_XY k_XY (s_Y ρ s_X† − ½{s_X† s_Y, ρ}) − i[½ Σ_XY h_XY s_X† s_Y, ρ] for each
sideband, plus thermal damping of each mode at Γ̃_X towards variance 1/(2P_X).
Writing s_X = Σ_j w_Xj r_j, M = Σ_sidebands w^H k w and H = Σ_sidebands w^H h w
(4 × 4, Hermitian), the covariance V_jl = ½⟨{Δr_j, Δr_l}⟩ obeys::

    dV/dt = A V + V Aᵀ + D,
    A = Ω (Re H + Im M) − ½ diag(Γ̃_I, Γ̃_I, Γ̃_II, Γ̃_II),
    D = Ω (Re M) Ωᵀ + ½ diag(Γ̃_I/P_I, Γ̃_I/P_I, Γ̃_II/P_II, Γ̃_II/P_II).

``docs/entanglement.md`` derives this and writes A and D out element by element.

Clouds that differ (SPEC §9; ``d_II``, ``g_in_II``, ``N_ratio`` of :class:`GaussianModel`)::

    k_XY = √(N_X N_Y P_X P_Y) Γ̄_YX,   h_XY = √(N_X N_Y P_X P_Y) Ḡ_YX,   d_X = N_X Γ̄_XX
    k = [[d_I P_I, √(d_I d_II P_I P_II) c*], [√(d_I d_II P_I P_II) c, d_II P_II]],  c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II)

(h likewise with g_in,X = Ḡ_XX/Γ̄_XX and g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II)); identical clouds are the
matrices above.  ξ weighs each cloud's spin by its N (J_y,X = √(N_X P_X/2) x_X).

Spin units and ξ
----------------
J_y,X = √(N P_X/2) x_X and J_z,X = √(N P_X/2) p_X, so the spin covariance
normalised by N/2 is Σ = Q V Q, Q = diag(√P_I, √P_I, √P_II, √P_II) (½ for
uncorrelated atoms at any polarisation).  The paper's Eq. (3) is::

    ξ = [Σ(y_I + y_II) + Σ(z_I − z_II)] / (P_I + P_II)
      = [var(x_a + x_b) + var(p_a − p_b)] / 2           (P_I = P_II)

which is 1 for a coherent spin state.  Time evolution integrates Σ as SPEC §5
integrates the spin variances: dΣ/dt = A_Σ Σ + Σ A_Σᵀ + D_Σ with A_Σ = Q A Q⁻¹,
D_Σ = Q D Q evaluated at P_X(t) of :func:`lehmberg.moments.P2_exact`.

Other outputs: the best ξ over a rotation of cloud II's quadratures
(x_b → x_b cos θ + p_b sin θ, p_b → −x_b sin θ + p_b cos θ), the logarithmic
negativity E_N = max(0, −ln 2ν̃₋) (natural logarithm; ν̃₋ the smallest symplectic
eigenvalue of the partial transpose p_b → −p_b of V), and the purity
Tr ρ² = 1/(2² √det V) (vacuum variance ½, so the vacuum has purity 1).
"""

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp
from scipy.linalg import solve_continuous_lyapunov

from . import _checks
from .moments import P2_exact, TwoLevel

__all__ = ["OMEGA", "NoSteadyState", "GaussianModel", "gaussian_model", "GaussianState",
           "steady_state", "GaussianSolution", "integrate", "steady_state_batch", "optimize_Z",
           "optimize_Z_batch",
           "xi_of", "xi_best_of", "log_negativity", "purity", "physical_margin",
           "RateInputs", "RATE_INPUTS", "RATE_INPUTS_II", "OUTPUTS_II", "model_from_rates", "Propagated", "propagate",
           "propagate_rates", "propagate_d", "OUTPUTS"]

#: Symplectic form of (x_a, p_a, x_b, p_b): [r_j, r_l] = i OMEGA[j, l].
OMEGA = np.array([[0.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, -1.0, 0.0]])

#: Names of the scalar outputs of :func:`propagate_rates` and :func:`propagate_d`.
OUTPUTS = ("xi_inf", "xi_inf_best", "theta_best", "log_negativity", "purity", "P_inf", "d",
           "c_re", "c_im", "g_in", "g_x_re", "g_x_im")

#: The further outputs of clouds that differ (SPEC §9): cloud II's d and g_in, each cloud's P.
OUTPUTS_II = ("d_II", "g_in_II", "P_I", "P_II")


class NoSteadyState(ValueError):
    """The drift matrix A has an eigenvalue with real part ≥ 0: the linearised dynamics
    grows (or does not decay) and there is no steady state."""


# --------------------------------------------------------------------------------------------
# Validation (the checks themselves are lehmberg._checks')
# --------------------------------------------------------------------------------------------

def _check_c(c, name="c"):
    # Kossakowski matrix d P [[1, c*], [c, 1]] ≥ 0  ⟺  |c| ≤ 1 (for d P > 0)
    if np.any(np.abs(c) > 1.0):
        worst = float(np.max(np.abs(c)))
        raise ValueError(f"{name}: |c| = {worst:.12g} > 1 makes the Kossakowski matrix "
                         "dP[[1, c*], [c, 1]] indefinite (not a valid Lindblad generator)")


# --------------------------------------------------------------------------------------------
# Core (vectorised, unvalidated)
# --------------------------------------------------------------------------------------------

def _matrices(d, c, g_in, g_x, mu_I, nu_I, mu_II, nu_II, Gt_I, Gt_II, P_I, P_II, d_II=None,
              g_in_II=None):
    """A and D in bosonic units (vacuum variance ½), shape (..., 4, 4); inputs broadcast.

    The element-by-element form of A = Ω(Re H + Im M) − ½ diag Γ̃ and
    D = Ω Re M Ωᵀ + ½ diag(Γ̃/P) derived in docs/entanglement.md (tests rebuild it
    from the emitter vectors and check it against QuTiP).  Clouds that differ (SPEC §9):
    ``d`` and ``g_in`` are cloud I's, ``d_II`` and ``g_in_II`` cloud II's (None: cloud I's),
    and the cross terms carry √(d_I d_II) in place of d (c, g_x normalised by √(Γ̄_I,I Γ̄_II,II)).
    """
    scalar = not any(isinstance(v, (np.ndarray, list, tuple))
                     for v in (d, c, g_in, g_x, mu_I, nu_I, mu_II, nu_II, Gt_I, Gt_II, P_I, P_II,
                               d_II, g_in_II))
    sqrt = math.sqrt if scalar else np.sqrt
    if scalar:      # plain Python arithmetic: a few µs instead of numpy's per-element overhead
        c, g_x = complex(c), complex(g_x)
        d, g_in, mu_I, nu_I, mu_II, nu_II, Gt_I, Gt_II, P_I, P_II = (
            float(v) for v in (d, g_in, mu_I, nu_I, mu_II, nu_II, Gt_I, Gt_II, P_I, P_II))
        d_II = None if d_II is None else float(d_II)
        g_in_II = None if g_in_II is None else float(g_in_II)
    else:
        c = np.asarray(c, dtype=complex)
        g_x = np.asarray(g_x, dtype=complex)
    cr, ci, gr, gi = c.real, c.imag, g_x.real, g_x.imag
    g_in_I = g_in
    if g_in_II is None:
        g_in_II = g_in
    if d_II is None:        # identical clouds: SPEC §8 as written
        dI, dII = d * P_I, d * P_II
        dq2 = 0.5 * d * sqrt(P_I * P_II)
    else:                   # SPEC §9: k_XY = √(N_X N_Y P_X P_Y) Γ̄_YX
        dI, dII = d * P_I, d_II * P_II
        dq2 = 0.5 * sqrt(d * d_II) * sqrt(P_I * P_II)
    sig = dq2 * (mu_I * nu_II + mu_II * nu_I)         # (d q/2)(μ_I ν_II + μ_II ν_I)
    dlt = dq2 * (mu_I * nu_II - mu_II * nu_I)         # (d q/2)(μ_I ν_II − μ_II ν_I)
    aI = -0.5 * (Gt_I + dI * (mu_I ** 2 - nu_I ** 2))
    aII = -0.5 * (Gt_II + dII * (mu_II ** 2 - nu_II ** 2))
    wI = 0.5 * dI * g_in_I * (mu_I ** 2 + nu_I ** 2)
    wII = 0.5 * dII * g_in_II * (mu_II ** 2 + nu_II ** 2)
    nI = 0.5 * Gt_I / P_I + 0.5 * dI * (mu_I ** 2 + nu_I ** 2)
    nII = 0.5 * Gt_II / P_II + 0.5 * dII * (mu_II ** 2 + nu_II ** 2)
    rows_A = [[aI, wI, -dlt * (cr + gi), sig * (ci - gr)],
              [-wI, aI, sig * (ci - gr), dlt * (cr + gi)],
              [dlt * (cr - gi), -sig * (ci + gr), aII, wII],
              [-sig * (ci + gr), -dlt * (cr - gi), -wII, aII]]
    zero = 0.0 * aI
    rows_D = [[nI, zero, -sig * cr, dlt * ci],
              [zero, nI, dlt * ci, sig * cr],
              [-sig * cr, dlt * ci, nII, zero],
              [dlt * ci, sig * cr, zero, nII]]
    if scalar:
        return np.array(rows_A, dtype=float), np.array(rows_D, dtype=float)
    shape = np.broadcast(*(np.asarray(v) for row in rows_A + rows_D for v in row)).shape
    A = np.empty(shape + (4, 4))
    D = np.empty(shape + (4, 4))
    for i in range(4):
        for j in range(4):
            A[..., i, j] = rows_A[i][j]
            D[..., i, j] = rows_D[i][j]
    return A, D


def _lyap_batch(A, D):
    """Solve A V + V Aᵀ + D = 0 for stacks of 4 × 4 matrices (Kronecker form, batched)."""
    eye = np.eye(4)
    K = (np.einsum("...ik,jl->...ijkl", A, eye) + np.einsum("ik,...jl->...ijkl", eye, A))
    K = K.reshape(A.shape[:-2] + (16, 16))
    v = np.linalg.solve(K, -D.reshape(D.shape[:-2] + (16, 1)))[..., 0]
    V = v.reshape(A.shape)
    return 0.5 * (V + np.swapaxes(V, -1, -2))


def _sigma(V, P_I, P_II):
    q = np.sqrt(np.stack([P_I, P_I, P_II, P_II], axis=-1))
    return V * q[..., :, None] * q[..., None, :]


def _xi_sigma(S, P_I, P_II, w=None):
    """ξ of Eq. (3) from Σ; ``w`` = N_II/N_I weighs cloud II's spin (None: equal clouds)."""
    if w is not None:
        rw = np.sqrt(w)
        num = (S[..., 0, 0] + S[..., 1, 1] + w * (S[..., 2, 2] + S[..., 3, 3])
               + 2 * rw * (S[..., 0, 2] - S[..., 1, 3]))
        return num / (P_I + w * P_II)
    num = (S[..., 0, 0] + S[..., 2, 2] + 2 * S[..., 0, 2]
           + S[..., 1, 1] + S[..., 3, 3] - 2 * S[..., 1, 3])
    return num / (P_I + P_II)


def _xi_best_sigma(S, P_I, P_II, w=None):
    a = S[..., 0, 2] - S[..., 1, 3]          # C_xx − C_pp
    b = S[..., 0, 3] + S[..., 1, 2]          # C_xp + C_px
    if w is not None:
        tr = S[..., 0, 0] + S[..., 1, 1] + w * (S[..., 2, 2] + S[..., 3, 3])
        return ((tr - 2.0 * np.sqrt(w) * np.hypot(a, b)) / (P_I + w * P_II),
                np.arctan2(-b, -a))
    tr = S[..., 0, 0] + S[..., 1, 1] + S[..., 2, 2] + S[..., 3, 3]
    return (tr - 2.0 * np.hypot(a, b)) / (P_I + P_II), np.arctan2(-b, -a)


def _mean_P(P_I, P_II, w=None):
    """The mean polarisation (N_I P_I + N_II P_II)/(N_I + N_II) = 2(|⟨J_x,I⟩| + |⟨J_x,II⟩|)/(N_I + N_II)."""
    if w is None:
        return 0.5 * (P_I + P_II)
    return (P_I + w * P_II) / (1.0 + w)


def _det2(X):
    return X[..., 0, 0] * X[..., 1, 1] - X[..., 0, 1] * X[..., 1, 0]


def _nu_minus_pt(V):
    """Smallest symplectic eigenvalue of the partial transpose (p_b → −p_b) of V."""
    a, b, cc = V[..., 0:2, 0:2], V[..., 2:4, 2:4], V[..., 0:2, 2:4]
    delta = _det2(a) + _det2(b) - 2.0 * _det2(cc)     # det C changes sign under p_b → −p_b
    det = np.linalg.det(V)
    disc = np.sqrt(np.maximum(delta * delta - 4.0 * det, 0.0))
    return np.sqrt(np.maximum(0.5 * (delta - disc), 0.0))


def _log_negativity(V):
    return np.maximum(0.0, -np.log(2.0 * _nu_minus_pt(V)))


def _purity(V):
    return 1.0 / (4.0 * np.sqrt(np.linalg.det(V)))


# --------------------------------------------------------------------------------------------
# Public helpers on covariance matrices
# --------------------------------------------------------------------------------------------

def xi_of(V: np.ndarray, P_I: float = 1.0, P_II: float | None = None, *,
          N_ratio: float | None = None) -> float:
    """The paper's ξ (Eq. 3) of a bosonic covariance matrix V.

    Parameters
    ----------
    V : (4, 4) array or stack (..., 4, 4)
        Covariance of (x_a, p_a, x_b, p_b), vacuum variance ½.
    P_I, P_II : float
        Polarisations of the clouds (P_II defaults to P_I); only their ratio matters
        when they differ.
    N_ratio : float, optional
        N_II/N_I for clouds of different atom numbers (SPEC §9; None: equal).  Each cloud's
        spin is √(N_X P_X/2) times its quadratures, so ξ = [Σ_aa + w Σ_bb + 2√w (C_xx − C_pp)]
        /(P_I + w P_II), w = N_II/N_I (Σ_aa, Σ_bb the traces of the diagonal blocks of Σ).

    Returns
    -------
    float or array
        ξ = [var(J_y,I + J_y,II) + var(J_z,I − J_z,II)]/(|⟨J_x,I⟩| + |⟨J_x,II⟩|) (Eq. 3), which
        for equal clouds is [Σ(y_I + y_II) + Σ(z_I − z_II)]/(P_I + P_II) with Σ = Q V Q, and
        for P_I = P_II is [var(x_a + x_b) + var(p_a − p_b)]/2.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import xi_of
    >>> print(f"{xi_of(0.5 * np.eye(4)):.6f}")   # vacuum (coherent spin state)
    1.000000
    """
    P_II = P_I if P_II is None else P_II
    V = np.asarray(V, dtype=float)
    w = _ratio(N_ratio)
    out = _xi_sigma(_sigma(V, np.asarray(P_I), np.asarray(P_II)), P_I, P_II, w)
    return float(out) if np.ndim(out) == 0 else out


def _ratio(N_ratio):
    return None if N_ratio is None else _checks.real(N_ratio, "N_ratio", 0.0, _checks.N_MAX,
                                                     lo_open=True)


def xi_best_of(V: np.ndarray, P_I: float = 1.0, P_II: float | None = None, *,
               N_ratio: float | None = None) -> tuple:
    """ξ minimised over a rotation θ of cloud II's quadratures, in closed form.

    With x_b → x_b cos θ + p_b sin θ, p_b → −x_b sin θ + p_b cos θ the cross term of
    ξ is 2[(C_xx − C_pp) cos θ + (C_xp + C_px) sin θ] (C = cov(r_a, r_b) in spin units)
    and the rest is rotation invariant, so

        ξ_best = [tr Σ − 2 √((C_xx − C_pp)² + (C_xp + C_px)²)]/(P_I + P_II),
        θ_best = atan2(−(C_xp + C_px), −(C_xx − C_pp))   (radians, in (−π, π]).

    Parameters
    ----------
    V : (4, 4) array or stack
        Covariance of (x_a, p_a, x_b, p_b), vacuum variance ½.
    P_I, P_II : float
        Polarisations (P_II defaults to P_I).
    N_ratio : float, optional
        N_II/N_I (as :func:`xi_of`; the cross term then carries √(N_II/N_I)).

    Returns
    -------
    (xi_best, theta_best)

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import xi_best_of
    >>> r = 0.5                                  # two-mode squeezed vacuum, squeezing r
    >>> ch, sh = np.cosh(2 * r) / 2, np.sinh(2 * r) / 2
    >>> V = np.block([[ch * np.eye(2), sh * np.diag([1, -1])], [sh * np.diag([1, -1]), ch * np.eye(2)]])
    >>> xb, th = xi_best_of(V)                   # its EPR pair is x_a − x_b, p_a + p_b: θ = π
    >>> print(f"{xb:.6f} {np.exp(-2 * r):.6f} {abs(th):.6f}")
    0.367879 0.367879 3.141593
    """
    P_II = P_I if P_II is None else P_II
    V = np.asarray(V, dtype=float)
    xb, th = _xi_best_sigma(_sigma(V, np.asarray(P_I), np.asarray(P_II)), P_I, P_II,
                            _ratio(N_ratio))
    if np.ndim(xb) == 0:
        return float(xb), float(th)
    return xb, th


def log_negativity(V: np.ndarray) -> float:
    """Logarithmic negativity E_N = max(0, −ln 2ν̃₋) of a two-mode Gaussian state.

    ν̃₋² = [Δ̃ − √(Δ̃² − 4 det V)]/2 with Δ̃ = det V_a + det V_b − 2 det C (the partial
    transpose p_b → −p_b flips the sign of det C).  Natural logarithm; vacuum variance ½.

    Parameters
    ----------
    V : (4, 4) array or stack (..., 4, 4)

    Returns
    -------
    float or array (nats)

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import log_negativity
    >>> r = 0.5
    >>> ch, sh = np.cosh(2 * r) / 2, np.sinh(2 * r) / 2
    >>> V = np.block([[ch * np.eye(2), sh * np.diag([1, -1])], [sh * np.diag([1, -1]), ch * np.eye(2)]])
    >>> print(f"{log_negativity(V):.6f}")        # two-mode squeezed vacuum: E_N = 2r
    1.000000
    """
    out = _log_negativity(np.asarray(V, dtype=float))
    return float(out) if np.ndim(out) == 0 else out


def purity(V: np.ndarray) -> float:
    """Purity Tr ρ² = 1/(2ⁿ √det V) of an n = 2 mode Gaussian state (vacuum variance ½).

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import purity
    >>> print(f"{purity(0.5 * np.eye(4)):.6f} {purity(1.5 * np.eye(4)):.6f}")
    1.000000 0.111111
    """
    out = _purity(np.asarray(V, dtype=float))
    return float(out) if np.ndim(out) == 0 else out


def physical_margin(V: np.ndarray) -> float:
    """Smallest eigenvalue of V + iΩ/2: ≥ 0 (to rounding) for a physical Gaussian state.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import physical_margin
    >>> print(f"{physical_margin(0.5 * np.eye(4)):.6f} {physical_margin(0.4 * np.eye(4)):.6f}")
    0.000000 -0.100000
    """
    V = np.asarray(V, dtype=float)
    w = np.linalg.eigvalsh(V + 0.5j * OMEGA)
    out = w[..., 0]
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GaussianModel:
    """Validated parameters of the Gaussian model (SPEC §8); build with :func:`gaussian_model`.

    Attributes
    ----------
    d : float
        Optical depth N Γ̄_I,I of one ensemble.
    c, g_in, g_x : complex, float, complex
        Γ̄_I,II/Γ̄_I,I, Ḡ_I,I/Γ̄_I,I, Ḡ_I,II/Γ̄_I,I.
    Z_I, Z_II : float
        Sideband weights of the two clouds (μ_X + ν_X = Z_X, μ_X − ν_X = 1/Z_X).
    gamma_add, x, P0 : float
        Γ_d^add (units of Γ), pump parameter, initial polarisation (SPEC §5).
    P : float or None
        A fixed polarisation of both clouds; None follows SPEC §5 (P₂(t), P₂,∞).
    d_err : float
        Standard error of d (used when ``rates`` is None).
    rates : RateInputs or None
        The averaged rates the model was built from (:func:`model_from_rates`), with their
        errors: :func:`propagate` and :func:`lehmberg.entangle` propagate them.
    d_II, g_in_II, N_ratio : float or None
        Clouds that differ (SPEC §9): cloud II's optical depth N_II Γ̄_II,II, its Ḡ_II,II/Γ̄_II,II
        and N_II/N_I.  None (all three) for identical clouds, SPEC §8 as written; otherwise
        ``d``, ``g_in`` are cloud I's and c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II),
        g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II), so that k_XY = √(N_X N_Y P_X P_Y) Γ̄_YX.

    The two clouds (:class:`lehmberg.moments.TwoLevel`, attribute ``clouds``) are built
    without validation: :func:`gaussian_model` validated every input once, and
    ``dataclasses.replace`` (the finite differences of :func:`propagate`) does not repeat it.
    """

    d: float
    c: complex
    g_in: float
    g_x: complex
    Z_I: float
    Z_II: float
    gamma_add: float = 0.0
    x: float = 0.0
    P0: float = 1.0
    P: float | None = None
    d_err: float = dataclasses.field(default=0.0, compare=False)
    rates: "RateInputs | None" = dataclasses.field(default=None, repr=False, compare=False)
    d_II: float | None = None
    g_in_II: float | None = None
    N_ratio: float | None = None
    clouds: tuple = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # the two-level parameters (lehmberg.moments.TwoLevel) of clouds I and II, unvalidated
        object.__setattr__(self, "clouds", tuple(
            TwoLevel.unchecked(d, z, self.gamma_add, self.x, self.P0)
            for d, z in ((self.d, self.Z_I), (self.d if self.d_II is None else self.d_II,
                                               self.Z_II))))

    @property
    def differs(self) -> bool:
        """Whether the clouds differ (SPEC §9: ``d_II``, ``g_in_II``, ``N_ratio`` set)."""
        return self.d_II is not None

    @property
    def P_mean(self) -> float:
        """The atom-weighted mean steady polarisation (N_I P_I + N_II P_II)/(N_I + N_II)."""
        return float(_mean_P(*self.P_inf, self.N_ratio))

    @property
    def P_inf(self):
        """Steady polarisations (P_I, P_II): P if fixed, else P₂,∞ of Eq. (15) per cloud."""
        if self.P is not None:
            return (self.P, self.P)
        return (self.clouds[0].P_inf, self.clouds[1].P_inf)

    def polarisation(self, t):
        """(P_I(t), P_II(t)) as arrays: P if fixed, else :func:`lehmberg.moments.P2_exact`."""
        t = np.asarray(t, dtype=float)
        if self.P is not None:
            return np.full_like(t, self.P), np.full_like(t, self.P)
        return tuple(P2_exact(cl, t) for cl in self.clouds)

    def _args(self):
        cI, cII = self.clouds
        return (self.d, self.c, self.g_in, self.g_x, cI.mu, cI.nu, cII.mu, cII.nu,
                cI.G_tilde, cII.G_tilde)

    def _kw(self):
        return {"d_II": self.d_II, "g_in_II": self.g_in_II}

    def matrices(self, P_I=None, P_II=None):
        """Drift A and diffusion D (bosonic units, vacuum ½) at polarisations P_I, P_II.

        Defaults: the steady polarisations :attr:`P_inf`.  Returns (A, D), each 4 × 4.
        """
        if P_I is None:
            P_I, P_II = self.P_inf
        elif P_II is None:
            P_II = P_I
        return _matrices(*self._args(), P_I, P_II, **self._kw())

    def as_dict(self):
        """Plain numbers (complex as [re, im]) for JSON/HDF5; clouds that differ add ``d_II``,
        ``g_in_II`` and ``N_ratio``."""
        out = {"d": self.d, "c": [self.c.real, self.c.imag], "g_in": self.g_in,
               "g_x": [self.g_x.real, self.g_x.imag], "Z_I": self.Z_I, "Z_II": self.Z_II,
               "gamma_add": self.gamma_add, "x": self.x, "P0": self.P0, "P": self.P}
        if self.differs:
            out.update(d_II=self.d_II, g_in_II=self.g_in_II, N_ratio=self.N_ratio)
        return out


def gaussian_model(d: float, Z: float | None = None, *, Z_I: float | None = None,
                   Z_II: float | None = None, c: complex = 1.0, g_in: float = 0.0,
                   g_x: complex = 0.0, gamma_add: float = 0.0, x: float = 0.0, P0: float = 1.0,
                   P: float | None = None, d_err: float = 0.0, d_II: float | None = None,
                   g_in_II: float | None = None, N_ratio: float | None = None) -> GaussianModel:
    """Validated :class:`GaussianModel` (the ranges of :mod:`lehmberg._checks`).

    Parameters
    ----------
    d : float
        Optical depth N Γ̄_I,I/Γ of one ensemble (of cloud I when the clouds differ), > 0.
    Z : float, optional
        Common sideband weight Z = 1/(|μ| − |ν|) > 1 of both clouds; or give ``Z_I`` and
        ``Z_II`` (sideband A uses μ_I, ν_II, sideband B uses ν_I, μ_II).
    c : complex
        Γ̄_I,II/Γ̄_I,I, |c| ≤ 1 (default 1, the paper's assumption).
    g_in : float
        Ḡ_I,I/Γ̄_I,I (real; default 0).
    g_x : complex
        Ḡ_I,II/Γ̄_I,I (default 0; the cascaded value of separated clouds is −i c).
    gamma_add : float
        Γ_d^add in units of Γ, ≥ 0.
    x : float
        Pump parameter ≥ 0 (SPEC §5).
    P0 : float
        Initial polarisation in (0, 1] for :func:`integrate`.
    P : float, optional
        Hold both polarisations fixed at P ∈ (0, 1] (e.g. P = 1, the idealisation of
        the physics review's numbers); default: P₂(t) and P₂,∞ of SPEC §5.
    d_err : float
        Standard error of d, ≥ 0 (propagated by :func:`propagate` and :func:`lehmberg.entangle`).
    d_II, g_in_II, N_ratio : float, optional
        Clouds that differ (SPEC §9): cloud II's optical depth N_II Γ̄_II,II (default d), its
        Ḡ_II,II/Γ̄_II,II (default g_in) and N_II/N_I (default 1); giving any of them makes the
        model one of differing clouds, in which c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II) and
        g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II) (|c| ≤ 1 is still positivity).  With the defaults the
        numbers are those of identical clouds to rounding.

    Returns
    -------
    GaussianModel

    Raises
    ------
    ValueError
        Naming the parameter: non-finite values, d outside (0, 1e8], Z outside (1, 1e6],
        |c| > 1, complex g_in, Γ_d^add outside [0, 1e8], x outside [0, 1e6], P0 or P outside
        (0, 1].

    Examples
    --------
    >>> from lehmberg.gaussian import gaussian_model
    >>> m = gaussian_model(30, Z=1.5, c=1 / (1 + 0.1j), g_x=-1j / (1 + 0.1j))
    >>> print(f"{m.c:.4f} {m.P_inf[0]:.4f}")
    0.9901-0.0990j 0.7423
    """
    return _model(d, Z, Z_I, Z_II, c, g_in, g_x, gamma_add, x, P0, P, d_err, None, d_II,
                  g_in_II, N_ratio)


def _model(d, Z, Z_I, Z_II, c, g_in, g_x, gamma_add, x, P0, P, d_err, rates, d_II=None,
           g_in_II=None, N_ratio=None):
    d = _checks.optical_depth(d)
    if Z is not None:
        if Z_I is not None or Z_II is not None:
            raise ValueError("give Z or (Z_I, Z_II), not both")
        Z_I = Z_II = Z
    elif Z_I is None or Z_II is None:
        raise ValueError("give Z or both Z_I and Z_II")
    Z_I = _checks.squeezing(Z_I, "Z_I" if Z is None else "Z")
    Z_II = _checks.squeezing(Z_II, "Z_II" if Z is None else "Z")
    c = _checks.complex_number(c, "c")
    _check_c(c)
    g_in = _checks.real(g_in, "g_in")
    g_x = _checks.complex_number(g_x, "g_x")
    gamma_add = _checks.dephasing(gamma_add)
    x = _checks.pump(x)
    P0 = _checks.polarisation(P0, "P0")
    if P is not None:
        P = _checks.polarisation(P, "P")
    d_err = _checks.real(d_err, "d_err", 0.0)
    if d_II is not None or g_in_II is not None or N_ratio is not None:
        d_II = d if d_II is None else _checks.optical_depth(d_II, "d_II")
        g_in_II = g_in if g_in_II is None else _checks.real(g_in_II, "g_in_II")
        N_ratio = 1.0 if N_ratio is None else _ratio(N_ratio)
    return GaussianModel(d, c, g_in, g_x, Z_I, Z_II, gamma_add, x, P0, P, d_err, rates, d_II,
                         g_in_II, N_ratio)


# --------------------------------------------------------------------------------------------
# Steady state
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GaussianState:
    """Steady state of the Gaussian model.

    Attributes
    ----------
    V : (4, 4) array
        Covariance of (x_a, p_a, x_b, p_b), vacuum variance ½.
    Sigma : (4, 4) array
        Spin covariance of (J_y,I, J_z,I, J_y,II, J_z,II) divided by N/2 (= Q V Q).
    xi, xi_best, theta_best : float
        ξ_∞ (Eq. 3), its minimum over a rotation of cloud II and the angle (radians).
    log_negativity, purity : float
        E_N (nats) and Tr ρ² of the two-mode state V.
    P_I, P_II, P_inf : float
        Polarisations of the clouds and their mean (|⟨J_x,I⟩| + |⟨J_x,II⟩|)/N (clouds of
        different N: 2(|⟨J_x,I⟩| + |⟨J_x,II⟩|)/(N_I + N_II)).
    growth_rate : float
        Largest real part of the eigenvalues of A (< 0: the state is reached at this rate).
    A, D : (4, 4) arrays
        Drift and diffusion matrices (bosonic units).
    """

    V: np.ndarray
    Sigma: np.ndarray
    xi: float
    xi_best: float
    theta_best: float
    log_negativity: float
    purity: float
    P_I: float
    P_II: float
    P_inf: float
    growth_rate: float
    A: np.ndarray
    D: np.ndarray


def _growth(A):
    return float(np.max(np.linalg.eigvals(A).real))


def _state_from(A, D, P_I, P_II, w=None):
    g = _growth(A)
    if not g < 0:
        raise NoSteadyState(f"no steady state: the drift matrix has an eigenvalue with real part "
                            f"{g:.6g} >= 0 (the coherent inter-cloud coupling outgrows the damping)")
    V = solve_continuous_lyapunov(A, -D)
    V = 0.5 * (V + V.T)
    S = _sigma(V, np.asarray(P_I), np.asarray(P_II))
    xb, th = _xi_best_sigma(S, P_I, P_II, w)
    return GaussianState(V=V, Sigma=S, xi=float(_xi_sigma(S, P_I, P_II, w)), xi_best=float(xb),
                         theta_best=float(th), log_negativity=float(_log_negativity(V)),
                         purity=float(_purity(V)), P_I=float(P_I), P_II=float(P_II),
                         P_inf=float(_mean_P(float(P_I), float(P_II), w)), growth_rate=g, A=A,
                         D=D)


def steady_state(model: GaussianModel) -> GaussianState:
    """Steady state of dV/dt = A V + V Aᵀ + D by ``scipy.linalg.solve_continuous_lyapunov``.

    Parameters
    ----------
    model : GaussianModel
        From :func:`gaussian_model`.  The polarisations are P₂,∞ of Eq. (15) per cloud,
        or the fixed ``model.P``.

    Returns
    -------
    GaussianState

    Raises
    ------
    NoSteadyState
        (a ValueError) when A has an eigenvalue with real part ≥ 0.

    Examples
    --------
    >>> from lehmberg.gaussian import gaussian_model, steady_state
    >>> from lehmberg.moments import two_level, xi_steady
    >>> st = steady_state(gaussian_model(30, Z=1.5))      # paper: c = 1, g = 0 → Eq. (15)
    >>> print(f"{st.xi:.10f} {xi_steady(two_level(30, Z=1.5))[0]:.10f}")
    0.5831281146 0.5831281146
    """
    P_I, P_II = model.P_inf
    A, D = model.matrices(P_I, P_II)
    return _state_from(A, D, P_I, P_II, model.N_ratio)


# --------------------------------------------------------------------------------------------
# Time evolution
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GaussianSolution:
    """The Gaussian model integrated on the requested times (sorted).

    ``xi`` is ξ(t) of Eq. (3) with the instantaneous polarisations; ``xi_err`` the
    largest change of ξ when rtol/atol are tightened 100-fold (integration error);
    ``P`` the mean polarisation (P_I + P_II)/2 (clouds of different N: weighted by N_X);
    ``Sigma`` the spin covariance / (N/2) (each cloud's spin divided by √(N_X/2))
    and ``V`` = Q⁻¹ Σ Q⁻¹ the bosonic covariance at each time (shape (n, 4, 4)).
    """

    t: np.ndarray
    xi: np.ndarray
    xi_err: np.ndarray
    xi_best: np.ndarray
    theta_best: np.ndarray
    log_negativity: np.ndarray
    P: np.ndarray
    P_I: np.ndarray
    P_II: np.ndarray
    Sigma: np.ndarray
    V: np.ndarray
    method: str
    rtol: float
    atol: float


def _sigma_ode(model):
    args, kw = model._args(), model._kw()
    eye = np.eye(4)

    def mats(t):
        P_I, P_II = (float(p) for p in model.polarisation(t))
        A, D = _matrices(*args, P_I, P_II, **kw)
        q = np.sqrt(np.array([P_I, P_I, P_II, P_II]))
        return A * q[:, None] / q[None, :], D * q[:, None] * q[None, :]

    def rhs(t, y):
        A_s, D_s = mats(t)
        S = y.reshape(4, 4)
        AS = A_s @ S
        return (AS + AS.T + D_s).ravel()     # Σ symmetric: Σ A_Σᵀ = (A_Σ Σ)ᵀ

    def jac(t, _y):
        A_s = mats(t)[0]
        return np.kron(A_s, eye) + np.kron(eye, A_s)

    return rhs, jac


def _integrate_sigma(model, t, method, rtol, atol):
    y0 = (0.5 * np.eye(4)).ravel()      # uncorrelated atoms: var(J) = N/4 for any P0
    t_end = float(t[-1])
    if t_end == 0.0:
        return np.repeat(y0[:, None], t.size, axis=1)
    rhs, jac = _sigma_ode(model)
    sol = solve_ivp(rhs, (0.0, t_end), y0, method=method, t_eval=t, rtol=rtol, atol=atol,
                    jac=jac if method in ("LSODA", "BDF", "Radau") else None)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y


def integrate(model: GaussianModel, t: ArrayLike, method: str = "LSODA", rtol: float = 1e-8,
              atol: float = 1e-11) -> GaussianSolution:
    """Integrate the spin covariance Σ(t) following P₂(t) as SPEC §5 does.

    dΣ/dt = A_Σ Σ + Σ A_Σᵀ + D_Σ with A_Σ = Q A Q⁻¹, D_Σ = Q D Q at P_X(t)
    (:func:`lehmberg.moments.P2_exact`, or the fixed ``model.P``), from Σ(0) = ½·1
    (uncorrelated atoms with polarisation P0).  For c = 1, g = 0 these are the
    moment equations of SPEC §5 exactly.

    Parameters
    ----------
    model : GaussianModel
    t : array of times ≥ 0, units of 1/Γ
    method, rtol, atol : passed to :func:`scipy.integrate.solve_ivp`

    Returns
    -------
    GaussianSolution

    Examples
    --------
    >>> from lehmberg.gaussian import gaussian_model, integrate
    >>> from lehmberg.moments import integrate_two_level, two_level
    >>> t = [0.0, 0.1, 10.0]
    >>> sol = integrate(gaussian_model(30, Z=1.5), t)           # paper limit: SPEC §5
    >>> ref = integrate_two_level(two_level(30, Z=1.5), t)
    >>> print(" ".join(f"{v:.6f}" for v in sol.xi), "|", " ".join(f"{v:.6f}" for v in ref.xi))
    1.000000 0.537224 0.583128 | 1.000000 0.537224 0.583128
    """
    t = np.sort(_checks.times(t))
    method = str(method)
    rtol = _checks.real(rtol, "rtol", 0.0, lo_open=True)
    atol = _checks.real(atol, "atol", 0.0, lo_open=True)
    y = _integrate_sigma(model, t, method, rtol, atol)
    y_fine = _integrate_sigma(model, t, method, rtol / 100.0, atol / 100.0)
    P_I, P_II = model.polarisation(t)
    S = np.moveaxis(y.reshape(4, 4, t.size), -1, 0)
    S = 0.5 * (S + np.swapaxes(S, -1, -2))
    S_fine = np.moveaxis(y_fine.reshape(4, 4, t.size), -1, 0)
    w = model.N_ratio
    xi = _xi_sigma(S, P_I, P_II, w)
    xi_err = np.abs(xi - _xi_sigma(S_fine, P_I, P_II, w))
    q = np.sqrt(np.stack([P_I, P_I, P_II, P_II], axis=-1))
    V = S / (q[:, :, None] * q[:, None, :])
    xb, th = _xi_best_sigma(S, P_I, P_II, w)
    return GaussianSolution(t=t, xi=xi, xi_err=xi_err, xi_best=xb, theta_best=th,
                            log_negativity=_log_negativity(V), P=_mean_P(P_I, P_II, w),
                            P_I=np.asarray(P_I), P_II=np.asarray(P_II), Sigma=S, V=V,
                            method=method, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------
# Fast path: many parameter points at once
# --------------------------------------------------------------------------------------------

def _cloud_params(Z, gamma_add, x, P):
    """μ, ν, Γ̃ and P of each point from lehmberg.moments.TwoLevel (once per distinct triple)."""
    Z, gamma_add, x = np.broadcast_arrays(Z, gamma_add, x)
    trip = np.stack([Z.ravel(), gamma_add.ravel(), x.ravel()], axis=1)
    uniq, inv = np.unique(trip, axis=0, return_inverse=True)
    tab = np.empty((uniq.shape[0], 4))
    for i, (z, ga, xx) in enumerate(uniq):
        cl = TwoLevel.unchecked(1.0, float(z), float(ga), float(xx))
        tab[i] = (cl.mu, cl.nu, cl.G_tilde, cl.P_inf)
    out = tab[inv.ravel()].reshape(Z.shape + (4,))
    mu, nu, Gt, Pinf = (out[..., i] for i in range(4))
    return mu, nu, Gt, (Pinf if P is None else np.broadcast_to(P, Z.shape).astype(float))


def steady_state_batch(d: ArrayLike, Z: ArrayLike, c: ArrayLike = 1.0, g_in: ArrayLike = 0.0,
                       g_x: ArrayLike = 0.0, gamma_add: ArrayLike = 0.0, x: ArrayLike = 0.0,
                       P: ArrayLike | None = None, Z_II: ArrayLike | None = None, *,
                       d_II: ArrayLike | None = None, g_in_II: ArrayLike | None = None,
                       N_ratio: ArrayLike | None = None) -> dict:
    """Steady-state outputs for many parameter points at once (arrays broadcast together).

    Same model and outputs as :func:`steady_state`; the Lyapunov equations are solved as
    batched 16 × 16 linear systems (Kronecker form) with ``numpy.linalg.solve``.

    Parameters
    ----------
    d, Z, c, g_in, g_x, gamma_add, x : array_like
        As in :func:`gaussian_model` (Z is Z_I when ``Z_II`` is given).
    P : float or array, optional
        Fixed polarisation; default P₂,∞ of Eq. (15) per cloud.
    Z_II : array_like, optional
        Sideband weight of cloud II (default Z).
    d_II, g_in_II, N_ratio : array_like, optional
        Clouds that differ, as in :func:`gaussian_model` (any given: defaults d, g_in, 1).

    Returns
    -------
    dict of arrays (the broadcast shape)
        ``xi``, ``xi_best``, ``theta_best``, ``log_negativity``, ``purity``, ``P_inf``,
        ``growth_rate`` and ``stable``; outputs are NaN where ``stable`` is False
        (no steady state).

    Raises
    ------
    ValueError
        Naming the parameter, for non-finite values, d ≤ 0, Z ≤ 1, |c| > 1, P outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import steady_state_batch
    >>> u = np.array([0.0, 0.1, 1.0])
    >>> c = 1 / (1 + 1j * u)
    >>> out = steady_state_batch(30.0, 1.5, c=c, g_x=-1j * c, P=1.0)
    >>> print(" ".join(f"{v:.4f}" for v in out["xi"]))
    0.5104 0.5264 1.1149
    """
    d = np.asarray(_checks.optical_depth(d))
    Z = np.asarray(_checks.squeezing(Z))
    Z_II = Z if Z_II is None else np.asarray(_checks.squeezing(Z_II, "Z_II"))
    c = _checks.array(c, "c", cplx=True)
    _check_c(c)
    g_in = _checks.array(g_in, "g_in")
    g_x = _checks.array(g_x, "g_x", cplx=True)
    gamma_add = np.asarray(_checks.dephasing(gamma_add))
    x = np.asarray(_checks.pump(x))
    if P is not None:
        P = np.asarray(_checks.polarisation(P, "P"))
    two = d_II is not None or g_in_II is not None or N_ratio is not None
    if two:
        d_II = d if d_II is None else np.asarray(_checks.optical_depth(d_II, "d_II"))
        g_in_II = g_in if g_in_II is None else _checks.array(g_in_II, "g_in_II")
        N_ratio = (np.ones(()) if N_ratio is None else
                   _checks.array(N_ratio, "N_ratio", 0.0, _checks.N_MAX, lo_open=True))
    else:
        d_II = g_in_II = N_ratio = np.zeros(())       # placeholders, not used
    (d, Z, Z_II, c, g_in, g_x, gamma_add, x, d_II, g_in_II,
     N_ratio) = np.broadcast_arrays(d, Z, Z_II, c, g_in, g_x, gamma_add, x, d_II, g_in_II, N_ratio)
    if P is not None:
        P = np.broadcast_to(P, d.shape)
    muI, nuI, GtI, PI = _cloud_params(Z, gamma_add, x, P)
    muII, nuII, GtII, PII = _cloud_params(Z_II, gamma_add, x, P)
    w = N_ratio if two else None
    A, D = _matrices(d, c, g_in, g_x, muI, nuI, muII, nuII, GtI, GtII, PI, PII,
                     d_II if two else None, g_in_II if two else None)
    growth = np.max(np.linalg.eigvals(A).real, axis=-1)
    stable = growth < 0
    A_ok = np.where(stable[..., None, None], A, -np.eye(4))      # placeholder keeps solve regular
    V = _lyap_batch(A_ok, D)
    S = _sigma(V, PI, PII)
    xb, th = _xi_best_sigma(S, PI, PII, w)
    out = {"xi": _xi_sigma(S, PI, PII, w), "xi_best": xb, "theta_best": th,
           "log_negativity": _log_negativity(V), "purity": _purity(V)}
    for k in out:
        out[k] = np.where(stable, out[k], np.nan)
    out["P_inf"] = _mean_P(PI, PII, w)
    out["growth_rate"] = growth
    out["stable"] = stable
    return out


def optimize_Z_batch(d: ArrayLike, c: ArrayLike = 1.0, g_in: ArrayLike = 0.0,
                     g_x: ArrayLike = 0.0, gamma_add: ArrayLike = 0.0, x: ArrayLike = 0.0,
                     P: ArrayLike | None = None, Z_max: float = 50.0,
                     objective: str = "xi_best", n_grid: int = 100,
                     xatol: float = 1e-7, *, d_II: ArrayLike | None = None,
                     g_in_II: ArrayLike | None = None,
                     N_ratio: ArrayLike | None = None) -> tuple:
    """Minimise ξ_best (or ξ) over a common Z ∈ (1, Z_max] at many parameter points at once.

    For every point: a log-spaced grid of ``n_grid`` values of Z brackets the minimum, then a
    golden-section search in ln Z narrows the bracket to ``xatol``; both stages evaluate all
    points together with :func:`steady_state_batch`.  Points without a steady state count as +inf.

    Parameters
    ----------
    d, c, g_in, g_x, gamma_add, x, P : array_like
        As in :func:`steady_state_batch` (broadcast together; equal weights Z_I = Z_II = Z).
    Z_max : float
        Upper end of the search, > 1.
    objective : {"xi_best", "xi"}
    n_grid : int
        Grid points (≥ 10) on ln Z ∈ [ln(1 + 10⁻⁶), ln Z_max].
    xatol : float
        Final bracket width in ln Z (ξ is quadratic at its minimum, so the value is
        accurate to ~ξ''·xatol², far below 1e-10 for the default).
    d_II, g_in_II, N_ratio : array_like, optional
        Clouds that differ (:func:`steady_state_batch`); one common Z for both clouds.

    Returns
    -------
    (Z_opt, value) : arrays of the broadcast shape
        value is inf (and Z_opt NaN) where no Z on the grid has a steady state.

    Examples
    --------
    >>> import numpy as np
    >>> from lehmberg.gaussian import optimize_Z_batch
    >>> from lehmberg.moments import optimize_Z as optimize_Z_two_level
    >>> z, v = optimize_Z_batch(30.0, c=np.array([1.0, 0.8]), gamma_add=5.0)
    >>> print(np.round(z, 4), np.round(v, 6))       # c = 1 is the paper: compare below
    [1.4356 1.3493] [0.699775 0.804836]
    >>> print(np.round(optimize_Z_two_level(30.0, 5.0), 4))
    [1.4356 0.6998]
    """
    Z_max = _checks.squeezing(Z_max, "Z_max")
    _checks.choice(objective, "objective", ("xi_best", "xi"))
    n_grid = _checks.integer(n_grid, "n_grid", 10)
    xatol = _checks.real(xatol, "xatol", 0.0, lo_open=True)
    # validate once (also P and |c|) at an admissible Z; the search below stays inside (1, Z_max]
    two = {k: v for k, v in (("d_II", d_II), ("g_in_II", g_in_II), ("N_ratio", N_ratio))
           if v is not None}
    first = steady_state_batch(d, 2.0, c, g_in, g_x, gamma_add, x, P, **two)
    shape = first["xi"].shape
    pars = [np.broadcast_to(np.asarray(v, dtype=complex if k in (1, 3) else float), shape).ravel()
            for k, v in enumerate((d, c, g_in, g_x, gamma_add, x))]
    Pf = None if P is None else np.broadcast_to(np.asarray(P, dtype=float), shape).ravel()
    two = {k: np.broadcast_to(np.asarray(v, dtype=float), shape).ravel() for k, v in two.items()}

    def F(logz, idx=slice(None)):
        sel = [p[idx] for p in pars]
        out = steady_state_batch(sel[0], np.exp(logz), *sel[1:],
                                 P=None if Pf is None else Pf[idx],
                                 **{k: v[idx] for k, v in two.items()})
        return np.where(out["stable"], out[objective], np.inf)

    grid = np.linspace(math.log(1.0 + 1e-6), math.log(Z_max), int(n_grid))
    n = pars[0].size
    flat_pt = np.repeat(np.arange(n), grid.size)       # all (point, grid) pairs, in chunks
    flat_lz = np.tile(grid, n)
    vals = np.empty(flat_pt.size)
    chunk = 8192
    for s in range(0, flat_pt.size, chunk):
        vals[s:s + chunk] = F(flat_lz[s:s + chunk], flat_pt[s:s + chunk])
    vals = vals.reshape(n, grid.size)
    i = np.argmin(vals, axis=1)
    best_lz, best_v = grid[i], vals[np.arange(n), i]
    a, b = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, grid.size - 1)]
    r = 0.5 * (math.sqrt(5.0) - 1.0)
    x1, x2 = b - r * (b - a), a + r * (b - a)
    f1, f2 = F(x1), F(x2)
    while np.max(b - a) > xatol:
        left = f1 < f2                         # minimum in [a, x2]
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        xn = np.where(left, b - r * (b - a), a + r * (b - a))
        fn = F(xn)
        x2, f2, x1, f1 = (np.where(left, x1, xn), np.where(left, f1, fn),
                          np.where(left, xn, x2), np.where(left, fn, f2))
    for xs, fs in ((x1, f1), (x2, f2)):
        better = fs < best_v
        best_lz, best_v = np.where(better, xs, best_lz), np.where(better, fs, best_v)
    Z_opt = np.where(np.isfinite(best_v), np.exp(best_lz), np.nan)
    return Z_opt.reshape(shape), best_v.reshape(shape)


def optimize_Z(d: float, gamma_add: float = 0.0, x: float = 0.0, Z_max: float = 50.0, *,
               c: complex = 1.0, g_in: float = 0.0, g_x: complex = 0.0, P: float | None = None,
               objective: str = "xi_best", d_II: float | None = None,
               g_in_II: float | None = None, N_ratio: float | None = None) -> tuple:
    """Minimise ξ_best (or ξ) of the steady state over a common Z ∈ (1, Z_max]: the Gaussian case
    of :func:`lehmberg.entanglement.optimize_Z`, which takes the model itself.

    The leading arguments ``(d, gamma_add, x, Z_max)`` are those of
    :func:`lehmberg.moments.optimize_Z`; the couplings are keywords.  A log grid brackets the
    minimum, then it is refined: one point of :func:`optimize_Z_batch` with a 400-point grid.
    Points without a steady state count as +inf.

    Parameters
    ----------
    d, gamma_add, x : as in :func:`gaussian_model`
    Z_max : float
        Upper end of the search, in (1, 1e6].
    c, g_in, g_x, P : as in :func:`gaussian_model` (keywords)
    objective : {"xi_best", "xi"}
    d_II, g_in_II, N_ratio : as in :func:`gaussian_model` (clouds that differ; one common Z)

    Returns
    -------
    (Z_opt, value) : tuple of float
        value is inf (Z_opt NaN) when no Z on the grid has a steady state.

    Examples
    --------
    >>> from lehmberg.gaussian import optimize_Z
    >>> from lehmberg.moments import optimize_Z as optimize_Z_two_level
    >>> z, v = optimize_Z(30, gamma_add=20)                     # paper limit
    >>> z2, v2 = optimize_Z_two_level(30, 20)
    >>> print(f"{z:.4f} {v:.6f} {z2:.4f} {v2:.6f}")
    1.2893 0.850243 1.2893 0.850243
    """
    m0 = gaussian_model(d, Z=2.0, c=c, g_in=g_in, g_x=g_x, gamma_add=gamma_add, x=x, P=P,
                        d_II=d_II, g_in_II=g_in_II, N_ratio=N_ratio)
    return _optimize_Z(m0, Z_max, objective)


def _optimize_Z(m0, Z_max, objective):
    two = ({"d_II": m0.d_II, "g_in_II": m0.g_in_II, "N_ratio": m0.N_ratio} if m0.differs
           else {})
    z, v = optimize_Z_batch(m0.d, m0.c, m0.g_in, m0.g_x, m0.gamma_add, m0.x, m0.P, Z_max=Z_max,
                            objective=objective, n_grid=400, xatol=1e-8, **two)
    return float(z), float(v)


# --------------------------------------------------------------------------------------------
# The model from averaged rates, and error propagation
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RateInputs:
    """The averaged rates a :class:`GaussianModel` was built from, with standard errors.

    Units of Γ; the convention of SPEC §3 (i in I, j in II).  Complex errors are
    ``err_re + 1j*err_im`` (as :class:`lehmberg.result.Rates`).  ``gamma_inter`` None: the
    paper's assumption c = 1; ``g_inter`` None: g_x = 0.  Clouds that differ (SPEC §9):
    ``N_II`` (None: N) and cloud II's own Γ̄_II,II, Ḡ_II,II (``gamma_intra_II`` None: cloud I's,
    one input for both); :attr:`differs` when either is given.
    """

    N: float
    gamma_intra: float
    g_intra: float
    gamma_inter: complex | None
    g_inter: complex | None
    gamma_intra_err: float = 0.0
    g_intra_err: float = 0.0
    gamma_inter_err: complex = 0j
    g_inter_err: complex = 0j
    N_II: float | None = None
    gamma_intra_II: float | None = None
    g_intra_II: float = 0.0
    gamma_intra_II_err: float = 0.0
    g_intra_II_err: float = 0.0

    @property
    def differs(self) -> bool:
        """Whether the clouds differ (their own N or their own intra-cloud rates)."""
        return self.N_II is not None or self.gamma_intra_II is not None

    def names(self):
        """The names of :meth:`vector`'s entries: :data:`RATE_INPUTS`, plus ``gamma_intra_II``,
        ``g_intra_II`` when cloud II has rates of its own."""
        return RATE_INPUTS + (RATE_INPUTS_II if self.gamma_intra_II is not None else ())

    def vector(self):
        """(Γ̄_I,I, Ḡ_I,I, Re Γ̄_I,II, Im Γ̄_I,II, Re Ḡ_I,II, Im Ḡ_I,II[, Γ̄_II,II, Ḡ_II,II])
        and their errors."""
        own = self.gamma_intra_II is not None
        if self.gamma_inter is not None:
            gX = self.gamma_inter
        elif own:
            gX = math.sqrt(self.gamma_intra * self.gamma_intra_II) + 0j
        else:
            gX = self.gamma_intra + 0j
        GX = 0j if self.g_inter is None else self.g_inter
        x0 = [self.gamma_intra, self.g_intra, gX.real, gX.imag, GX.real, GX.imag]
        err = [self.gamma_intra_err, self.g_intra_err, self.gamma_inter_err.real,
               self.gamma_inter_err.imag, self.g_inter_err.real, self.g_inter_err.imag]
        if own:
            x0 += [self.gamma_intra_II, self.g_intra_II]
            err += [self.gamma_intra_II_err, self.g_intra_II_err]
        return np.array(x0), np.array(err)

    def steps(self, rel_step):
        """Finite-difference steps of :meth:`vector`'s entries: ``rel_step`` times Γ̄_I,I for
        cloud I's rates, √(Γ̄_I,I Γ̄_II,II) for the inter-cloud ones, Γ̄_II,II for cloud II's."""
        gI = self.gamma_intra
        if self.gamma_intra_II is None:
            return np.full(6, rel_step * gI)
        gII = self.gamma_intra_II
        x = rel_step * math.sqrt(gI * gII)
        return np.array([rel_step * gI] * 2 + [x] * 4 + [rel_step * gII] * 2)

    def couplings(self, v=None):
        """(d, c, g_in, g_x) of SPEC §8 from the rates (or from the vector ``v`` of :meth:`vector`).

        Clouds that differ: d = N_I Γ̄_I,I and g_in = Ḡ_I,I/Γ̄_I,I are cloud I's, and
        c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II), g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II) (:meth:`fields` adds cloud II's).
        """
        v = self.vector()[0] if v is None else v
        if self.gamma_intra_II is None:
            s = v[0]
        else:
            s = math.sqrt(v[0] * v[6])
        c = 1.0 + 0j if self.gamma_inter is None else complex(v[2], v[3]) / s
        return self.N * v[0], c, v[1] / v[0], complex(v[4], v[5]) / s

    def fields(self, v=None):
        """The :class:`GaussianModel` fields the rates make ({d, c, g_in, g_x}, and for clouds
        that differ d_II = N_II Γ̄_II,II, g_in_II = Ḡ_II,II/Γ̄_II,II, N_ratio = N_II/N_I)."""
        v = self.vector()[0] if v is None else v
        d, c, g_in, g_x = self.couplings(v)
        out = {"d": d, "c": c, "g_in": g_in, "g_x": g_x}
        if self.differs:
            N_II = self.N if self.N_II is None else self.N_II
            gII, GII = (v[0], v[1]) if self.gamma_intra_II is None else (v[6], v[7])
            out.update(d_II=N_II * gII, g_in_II=GII / gII, N_ratio=N_II / self.N)
        return out


#: Names of the six rate inputs of :class:`RateInputs` (the Jacobian's columns).
RATE_INPUTS = ("gamma_intra", "g_intra", "gamma_inter_re", "gamma_inter_im", "g_inter_re",
               "g_inter_im")

#: The two further rate inputs of clouds that differ: Γ̄_II,II and Ḡ_II,II.
RATE_INPUTS_II = ("gamma_intra_II", "g_intra_II")


def model_from_rates(N: float, gamma_intra: float, g_intra: float = 0.0,
                     gamma_inter: complex | None = None, g_inter: complex | None = None, *,
                     gamma_intra_err: float = 0.0, g_intra_err: float = 0.0,
                     gamma_inter_err: complex = 0j, g_inter_err: complex = 0j,
                     Z: float | None = None, Z_I: float | None = None, Z_II: float | None = None,
                     gamma_add: float = 0.0, x: float = 0.0, P0: float = 1.0,
                     P: float | None = None, N_II: float | None = None,
                     gamma_intra_II: float | None = None, g_intra_II: float = 0.0,
                     gamma_intra_II_err: float = 0.0,
                     g_intra_II_err: float = 0.0) -> GaussianModel:
    """The validated :class:`GaussianModel` of averaged rates (plain numbers), carrying them.

    d = N Γ̄_I,I, c = Γ̄_I,II/Γ̄_I,I, g_in = Ḡ_I,I/Γ̄_I,I, g_x = Ḡ_I,II/Γ̄_I,I (SPEC §8); the
    rates and their errors are kept in ``model.rates`` (:class:`RateInputs`) for
    :func:`propagate`.  From :class:`lehmberg.result.Rates` objects use
    :func:`lehmberg.entanglement.models_from_rates`.

    Parameters
    ----------
    N : float
        Atoms per ensemble, in (0, 1e15].
    gamma_intra, g_intra : float
        Γ̄_I,I (> 0) and Ḡ_I,I (real), units of Γ.
    gamma_inter, g_inter : complex, optional
        Γ̄_I,II and Ḡ_I,II, units of Γ.  Without ``gamma_inter`` the paper's c = 1; without
        ``g_inter``, g_x = 0.
    gamma_intra_err, g_intra_err : float
        Standard errors, ≥ 0.
    gamma_inter_err, g_inter_err : complex
        Standard errors of the real and imaginary parts as ``err_re + 1j*err_im``.
    Z, Z_I, Z_II, gamma_add, x, P0, P : as in :func:`gaussian_model`.
    N_II, gamma_intra_II, g_intra_II, gamma_intra_II_err, g_intra_II_err
        Clouds that differ (SPEC §9): cloud II's atoms (default N) and its own Γ̄_II,II (> 0),
        Ḡ_II,II with errors (``gamma_intra_II`` None: cloud I's rates, one input for both).
        Giving ``N_II`` or ``gamma_intra_II`` builds the model of clouds that differ:
        k_XY = √(N_X N_Y P_X P_Y) Γ̄_YX, h_XY = √(N_X N_Y P_X P_Y) Ḡ_YX (row X, column Y),
        d_X = N_X Γ̄_XX, i.e. c = Γ̄_I,II/√(Γ̄_I,I Γ̄_II,II) and g_x = Ḡ_I,II/√(Γ̄_I,I Γ̄_II,II).

    Returns
    -------
    GaussianModel

    Examples
    --------
    >>> from lehmberg.gaussian import model_from_rates
    >>> a = 3 / (4 * 10.0**2)
    >>> m = model_from_rates(4000, a, gamma_inter=0.5 * a, Z=1.5)
    >>> print(f"{m.d:.1f} {m.c:.2f} {m.rates.N:g}")
    30.0 0.50+0.00j 4000
    """
    N = _checks.real(N, "N", 0.0, _checks.N_MAX, lo_open=True)
    gI = _checks.real(gamma_intra, "gamma_intra", 0.0, lo_open=True)
    GI = _checks.real(g_intra, "g_intra")
    gX = None if gamma_inter is None else _checks.complex_number(gamma_inter, "gamma_inter")
    GX = None if g_inter is None else _checks.complex_number(g_inter, "g_inter")
    rates = RateInputs(N, gI, GI, gX, GX,
                       _checks.real(gamma_intra_err, "gamma_intra_err", 0.0),
                       _checks.real(g_intra_err, "g_intra_err", 0.0),
                       _checks.complex_error(gamma_inter_err, "gamma_inter_err"),
                       _checks.complex_error(g_inter_err, "g_inter_err"))
    if gX is None and rates.gamma_inter_err:
        raise ValueError("gamma_inter_err given without gamma_inter")
    if GX is None and rates.g_inter_err:
        raise ValueError("g_inter_err given without g_inter")
    if gamma_intra_II is None and (g_intra_II or gamma_intra_II_err or g_intra_II_err):
        raise ValueError("g_intra_II/gamma_intra_II_err/g_intra_II_err given without "
                         "gamma_intra_II")
    if N_II is not None or gamma_intra_II is not None:
        rates = dataclasses.replace(
            rates, N_II=None if N_II is None else _checks.real(N_II, "N_II", 0.0, _checks.N_MAX,
                                                               lo_open=True),
            gamma_intra_II=None if gamma_intra_II is None else _checks.real(
                gamma_intra_II, "gamma_intra_II", 0.0, lo_open=True),
            g_intra_II=_checks.real(g_intra_II, "g_intra_II"),
            gamma_intra_II_err=_checks.real(gamma_intra_II_err, "gamma_intra_II_err", 0.0),
            g_intra_II_err=_checks.real(g_intra_II_err, "g_intra_II_err", 0.0))
        if gX is not None:
            gII = gI if rates.gamma_intra_II is None else rates.gamma_intra_II
            _check_c(gX / math.sqrt(gI * gII), "gamma_inter/sqrt(gamma_intra gamma_intra_II)")
        f = rates.fields()
        return _model(f["d"], Z, Z_I, Z_II, f["c"], f["g_in"], f["g_x"], gamma_add, x, P0, P,
                      0.0, rates, f["d_II"], f["g_in_II"], f["N_ratio"])
    if gX is not None:
        _check_c(gX / gI, "gamma_inter/gamma_intra")
    d, c, g_in, g_x = rates.couplings()
    return _model(d, Z, Z_I, Z_II, c, g_in, g_x, gamma_add, x, P0, P, 0.0, rates)


@dataclasses.dataclass(frozen=True)
class Propagated:
    """Outputs with standard errors by linear propagation of independent input errors.

    Attributes
    ----------
    value, error : dict
        Output name → value and standard error (floats; arrays for ``xi_t``, ``P_t``).
        Names: :data:`OUTPUTS`, plus ``xi_t``, ``P_t`` when times were given.
    xi_t_integration_err : ndarray or None
        The integration error estimate of ``xi_t`` (not included in ``error``).
    t : ndarray or None
    inputs : tuple of str
        Names of the inputs that carried an error (the Jacobian's columns).
    jacobian : dict
        Output name → ∂output/∂input (last axis over ``inputs``).
    model : GaussianModel
        The central model.
    """

    value: dict
    error: dict
    xi_t_integration_err: np.ndarray | None
    t: np.ndarray | None
    inputs: tuple
    jacobian: dict
    model: GaussianModel

    def as_dict(self):
        """JSON-ready {name: [value, error]} (arrays as lists)."""
        out = {}
        for k in self.value:
            v, e = self.value[k], self.error[k]
            if isinstance(v, np.ndarray):
                out[k] = [v.tolist(), e.tolist()]
            else:
                out[k] = [float(v), float(e)]
        return out


def _output_names(model):
    return OUTPUTS + (OUTPUTS_II if model.differs else ())


def _outputs_flat(model, t):
    """Scalar outputs (in :func:`_output_names` order) and ξ(t) of one model; NaN where
    undefined."""
    try:
        st = steady_state(model)
        vals = [st.xi, st.xi_best, st.theta_best, st.log_negativity, st.purity]
    except NoSteadyState:
        vals = [math.nan] * 5
    vals += [0.5 * sum(model.P_inf) if not model.differs else model.P_mean, model.d,
             model.c.real, model.c.imag, model.g_in, model.g_x.real, model.g_x.imag]
    if model.differs:
        vals += [model.d_II, model.g_in_II, *model.P_inf]
    xi_t = None
    if t is not None:       # one solve (integrate() adds a second one for its error estimate)
        y = _integrate_sigma(model, t, "LSODA", 1e-8, 1e-11)
        P_I, P_II = model.polarisation(t)
        xi_t = _xi_sigma(np.moveaxis(y.reshape(4, 4, t.size), -1, 0), P_I, P_II,
                         model.N_ratio)
    return np.array(vals), xi_t


def _propagate(make, x0, err, steps, names, t):
    """Central differences of the outputs of make(x) over the inputs with err > 0."""
    model = make(x0)
    outputs = _output_names(model)
    v0, xt0 = _outputs_flat(model, t)
    if not np.isfinite(v0[0]):
        steady_state(model)           # raises NoSteadyState with its message
    used = [i for i in range(x0.size) if err[i] > 0]
    J = np.zeros((v0.size, len(used)))
    Jt = None if t is None else np.zeros((xt0.size, len(used)))
    for col, i in enumerate(used):
        h = steps[i]
        xp, xm = x0.copy(), x0.copy()
        xp[i] += h
        xm[i] -= h
        vp, tp = _outputs_flat(make(xp), t)
        vm, tm = _outputs_flat(make(xm), t)
        diff = vp - vm
        k = outputs.index("theta_best")
        diff[k] = math.remainder(diff[k], 2 * math.pi) if np.isfinite(diff[k]) else diff[k]
        J[:, col] = diff / (2 * h)
        if t is not None:
            Jt[:, col] = (tp - tm) / (2 * h)
    e = err[used]
    val = dict(zip(outputs, (float(v) for v in v0)))
    errs = dict(zip(outputs, (float(s) for s in np.sqrt((J * e) ** 2 @ np.ones(len(used))))))
    jac = {name: J[j] for j, name in enumerate(outputs)}
    int_err = None
    if t is not None:
        sol = integrate(model, t)
        val["xi_t"], val["P_t"] = sol.xi, sol.P
        errs["xi_t"] = np.sqrt(((Jt * e) ** 2).sum(axis=1))
        errs["P_t"] = np.zeros_like(sol.P)
        jac["xi_t"] = Jt
        int_err = sol.xi_err
    return Propagated(value=val, error=errs, xi_t_integration_err=int_err,
                      t=None if t is None else np.asarray(t), inputs=tuple(names[i] for i in used),
                      jacobian=jac, model=model)


def propagate(model: GaussianModel, t: ArrayLike | None = None,
              rel_step: float = 1e-6) -> Propagated:
    """Every output of a Gaussian model with standard errors propagated from its inputs.

    A model built from rates (``model.rates``, :func:`model_from_rates`) propagates the errors of
    the six real rate inputs (Γ̄_I,I, Ḡ_I,I, Re/Im Γ̄_I,II, Re/Im Ḡ_I,II), **treated as
    independent**, with central differences of step ``rel_step`` · Γ̄_I,I for every input (all
    rates are of the size of Γ̄_I,I); any other model propagates ``model.d_err`` (step
    ``rel_step`` · d).  σ_f² = Σ_i (∂f/∂x_i)² σ_i² (linear propagation).  N, Z, Γ_d^add, x
    are exact.  Clouds that differ with rates of their own add Γ̄_II,II and Ḡ_II,II
    (:data:`RATE_INPUTS_II`, step ``rel_step`` · Γ̄_II,II; the inter-cloud steps are then
    ``rel_step`` · √(Γ̄_I,I Γ̄_II,II)), and the outputs :data:`OUTPUTS_II`.

    Parameters
    ----------
    model : GaussianModel
    t : array of times, optional
        Adds ``xi_t`` (with propagated error) and ``P_t``.
    rel_step : float
        Finite-difference step, relative to Γ̄_I,I (or d).

    Returns
    -------
    Propagated

    Raises
    ------
    NoSteadyState
        When the central point has no steady state.

    Examples
    --------
    >>> from lehmberg.gaussian import gaussian_model, propagate
    >>> out = propagate(gaussian_model(30.0, Z=1.5, d_err=1.0))
    >>> print(f"{out.value['xi_inf']:.5f} ± {out.error['xi_inf']:.5f}")
    0.58313 ± 0.00391
    """
    rel_step = _checks.real(rel_step, "rel_step", 0.0, lo_open=True)
    t = None if t is None else np.sort(_checks.times(t))
    src = model.rates
    if src is not None:
        x0, err = src.vector()

        def make(v):
            # unvalidated on purpose: a finite-difference step may cross |c| = 1 by ~rel_step
            return dataclasses.replace(model, **src.fields(v))

        return _propagate(make, x0, err, src.steps(rel_step), src.names(), t)

    def make_d(v):
        return dataclasses.replace(model, d=float(v[0]))

    return _propagate(make_d, np.array([model.d]), np.array([model.d_err]),
                      np.array([rel_step * model.d]), ("d",), t)


def propagate_rates(N: float, gamma_intra: float, g_intra: float = 0.0,
                    gamma_inter: complex | None = None, g_inter: complex | None = None, *,
                    gamma_intra_err: float = 0.0, g_intra_err: float = 0.0,
                    gamma_inter_err: complex = 0j, g_inter_err: complex = 0j,
                    Z: float | None = None, Z_I: float | None = None, Z_II: float | None = None,
                    gamma_add: float = 0.0, x: float = 0.0, P0: float = 1.0,
                    P: float | None = None, t: ArrayLike | None = None,
                    rel_step: float = 1e-6) -> Propagated:
    """Every output of the Gaussian model from the averaged rates, with standard errors:
    :func:`propagate` of :func:`model_from_rates`.

    Parameters
    ----------
    N, gamma_intra, g_intra, gamma_inter, g_inter, gamma_intra_err, g_intra_err, gamma_inter_err, g_inter_err
        As :func:`model_from_rates`.
    Z, Z_I, Z_II, gamma_add, x, P0, P : as in :func:`gaussian_model`.
    t : array of times, optional
        Adds ``xi_t`` (with propagated error) and ``P_t``.
    rel_step : float
        Finite-difference step relative to Γ̄_I,I.

    Returns
    -------
    Propagated
        ``value`` and ``error`` for :data:`OUTPUTS` (``xi_inf``, ``xi_inf_best``,
        ``theta_best`` [rad], ``log_negativity`` [nats], ``purity``, ``P_inf``, ``d``,
        ``c_re``, ``c_im``, ``g_in``, ``g_x_re``, ``g_x_im``).

    Raises
    ------
    ValueError
        Naming the parameter (non-finite, Γ̄_I,I ≤ 0, negative errors, |c| > 1, Z ≤ 1, ...);
        :class:`NoSteadyState` when the central point has no steady state.

    Examples
    --------
    >>> from lehmberg.gaussian import propagate_rates
    >>> a = 3 / (4 * 10.0**2)                      # k_L L = 10: Γ̄_I,I ≈ a
    >>> c = 1 / (1 + 0.3j)                         # k_L R/(k_L L)² = 0.3
    >>> out = propagate_rates(4000, a, gamma_inter=a * c, g_inter=-1j * a * c,
    ...                       gamma_intra_err=1e-3 * a, Z=1.5)
    >>> v, e = out.value["xi_inf"], out.error["xi_inf"]
    >>> print(f"d = {out.value['d']:.1f} ± {out.error['d']:.2f}, xi = {v:.4f} ± {e:.4f}")
    d = 30.0 ± 0.03, xi = 0.7058 ± 0.0005
    """
    model = model_from_rates(N, gamma_intra, g_intra, gamma_inter, g_inter,
                             gamma_intra_err=gamma_intra_err, g_intra_err=g_intra_err,
                             gamma_inter_err=gamma_inter_err, g_inter_err=g_inter_err, Z=Z,
                             Z_I=Z_I, Z_II=Z_II, gamma_add=gamma_add, x=x, P0=P0, P=P)
    return propagate(model, t, rel_step)


def propagate_d(d: float, d_err: float = 0.0, *, Z: float | None = None,
                Z_I: float | None = None, Z_II: float | None = None, c: complex = 1.0,
                g_in: float = 0.0, g_x: complex = 0.0, gamma_add: float = 0.0, x: float = 0.0,
                P0: float = 1.0, P: float | None = None, t: ArrayLike | None = None,
                rel_step: float = 1e-6) -> Propagated:
    """Every output from an optical depth d ± d_err with fixed couplings (default: the paper's
    c = 1, g_in = g_x = 0): :func:`propagate` of :func:`gaussian_model` with ``d_err``.

    Parameters
    ----------
    d, d_err : float
        Optical depth (> 0) and its standard error (≥ 0).
    Z, Z_I, Z_II, c, g_in, g_x, gamma_add, x, P0, P : as in :func:`gaussian_model`
    t : array of times, optional
    rel_step : float
        Finite-difference step relative to d.

    Returns
    -------
    Propagated

    Examples
    --------
    >>> from lehmberg.gaussian import propagate_d
    >>> out = propagate_d(30.0, 1.0, Z=1.5)
    >>> print(f"{out.value['xi_inf']:.5f} ± {out.error['xi_inf']:.5f}")
    0.58313 ± 0.00391
    """
    model = gaussian_model(d, Z, Z_I=Z_I, Z_II=Z_II, c=c, g_in=g_in, g_x=g_x,
                           gamma_add=gamma_add, x=x, P0=P0, P=P, d_err=d_err)
    return propagate(model, t, rel_step)
