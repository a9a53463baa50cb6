"""The Gaussian model's Lyapunov steady state against QuTiP's steady state of the same
two-mode Lindbladian in a truncated Fock space (both sidebands, complex couplings,
individual thermal noise).

The Lindbladian is built here from operators, independently of lehmberg.gaussian's
A and D: for each sideband (A: s_I = μ_I a, s_II = ν_II b†; B: s_I = ν_I a†,
s_II = μ_II b)

    Σ_XY k_XY (s_Y ρ s_X† − ½{s_X† s_Y, ρ}) − i[½ Σ_XY h_XY s_X† s_Y, ρ]

with spre/spost (QuTiP's two-operator ``lindblad_dissipator(a, b)`` puts a†b in the
anticommutator, not b†a, so it is not used), plus Γ̃(n̄+1)D[a] + Γ̃n̄D[a†] per mode with
2n̄ + 1 = 1/P.  Only μ, ν, Γ̃ and P are taken from the package (lehmberg.moments).

Truncation: cutoffs n = 7 and 9 per mode.  The covariance converges geometrically in n
(about a factor 100 per two levels at these d, Z: measured |V_n − V_Lyapunov| ≈ 3e-7…2e-6 at
n = 7, 2e-9…2e-8 at n = 9, 2e-11 at n = 12), so |V₇ − V₉| bounds the error of V₉ from above;
the allowed difference between QuTiP (n = 9) and the Lyapunov solution is that bound (and at
most 1e-6 in any element of V, whose entries are ~0.5–1).
"""

import numpy as np
import pytest

from lehmberg import gaussian as g

qt = pytest.importorskip("qutip")


def covariance_qutip(model, n, conj_c=False):
    a = qt.tensor(qt.destroy(n), qt.qeye(n))
    b = qt.tensor(qt.qeye(n), qt.destroy(n))
    cI, cII = model.clouds
    PI, PII = model.P_inf
    q = np.sqrt(PI * PII)
    c = np.conj(model.c) if conj_c else model.c
    k = model.d * np.array([[PI, np.conj(c) * q], [c * q, PII]])
    h = model.d * np.array([[model.g_in * PI, np.conj(model.g_x) * q],
                            [model.g_x * q, model.g_in * PII]])
    L = 0
    H = 0
    for s in ((cI.mu * a, cII.nu * b.dag()), (cI.nu * a.dag(), cII.mu * b)):
        for X in range(2):
            for Y in range(2):
                sxsy = s[X].dag() * s[Y]
                L = L + k[X, Y] * (qt.spre(s[Y]) * qt.spost(s[X].dag())
                                   - 0.5 * qt.spre(sxsy) - 0.5 * qt.spost(sxsy))
                H = H + 0.5 * h[X, Y] * sxsy
    assert (H - H.dag()).norm() < 1e-12
    for op, G, P in ((a, cI.G_tilde, PI), (b, cII.G_tilde, PII)):
        nbar = 0.5 * (1.0 / P - 1.0)
        L = L + G * (nbar + 1) * qt.lindblad_dissipator(op) + G * nbar * qt.lindblad_dissipator(op.dag())
    L = L + qt.liouvillian(H)
    rho = qt.steadystate(L)
    s2 = 1 / np.sqrt(2)
    r = [s2 * (a + a.dag()), 1j * s2 * (a.dag() - a), s2 * (b + b.dag()), 1j * s2 * (b.dag() - b)]
    mean = np.array([qt.expect(x, rho) for x in r])
    V = np.array([[0.5 * qt.expect(r[i] * r[j] + r[j] * r[i], rho) for j in range(4)]
                  for i in range(4)]).real - np.outer(mean.real, mean.real)
    return V, np.abs(mean).max()


CASES = [
    dict(d=4.0, Z=1.3, P=0.9, c=0.8 - 0.3j, g_in=-0.2, g_x=-0.3 - 0.8j),
    dict(d=4.0, Z_I=1.3, Z_II=1.4, P=0.9, c=0.5 + 0.6j, g_in=0.3, g_x=0.4 + 0.2j, x=0.5),
    dict(d=5.0, Z_I=1.25, Z_II=1.35, c=1 / (1 + 0.5j), g_in=-0.1, g_x=-1j / (1 + 0.5j),
         gamma_add=1.0),
]


@pytest.mark.parametrize("case", CASES)
def test_lyapunov_equals_qutip_steady_state(case):
    model = g.gaussian_model(**case)
    st = g.steady_state(model)
    V7, m7 = covariance_qutip(model, 7)
    V9, m9 = covariance_qutip(model, 9)
    assert max(m7, m9) < 1e-12                        # no coherent amplitude
    trunc = np.abs(V7 - V9).max()                     # bound on the error of V9
    assert trunc < 1e-5                               # the cutoff is adequate
    assert np.abs(V9 - st.V).max() <= min(trunc, 1e-6)
    assert g.xi_of(V9, st.P_I, st.P_II) == pytest.approx(st.xi, abs=1e-6)
    assert g.log_negativity(V9) == pytest.approx(st.log_negativity, abs=1e-5)


def test_comparison_is_sensitive_to_the_phase_of_c():
    # c → c* in the Fock-space model (the other inter-cloud sign convention) must not pass
    model = g.gaussian_model(**CASES[0])
    V7, _ = covariance_qutip(model, 7, conj_c=True)
    assert np.abs(V7 - g.steady_state(model).V).max() > 1e-3


# --------------------------------------------------------------------------------------------
# Clouds that differ (SPEC §9), from the atom-level master equation of SPEC §8
# --------------------------------------------------------------------------------------------
#
# SPEC §8's atom-level form, Σ_{a≠b} K_ab (s_b ρ s_a† − ½{s_a† s_b, ρ}) − i[½ Σ_{a≠b} G_ab s_a† s_b, ρ],
# with the position-averaged K_ab = Γ̄ of the pair of clouds (a ∈ X, b ∈ Y: K_ab = Γ̄_Y,X, since
# "a ∈ II, b ∈ I gives K = Γ̄_I,II"), sums over the atoms of each cloud: Σ_{a∈X, b∈Y} K_ab s_b ρ s_a†
# = Γ̄_Y,X S_Y ρ S_X† with the collective emitter S_X = Σ_{a∈X} s_a (the excluded a = b terms are
# the single-atom ones, O(1/N) of the collective ones, carried by the individual noise).  In
# Holstein–Primakoff, Σ_{a∈X} σ_a⁻ = √(N_X P_X) a_X, so per sideband S_I = √(N_I P_I) μ_I a,
# S_II = √(N_II P_II) ν_II b† (A) and S_I = √(N_I P_I) ν_I a†, S_II = √(N_II P_II) μ_II b (B).
# The Liouvillian below is built from these operators, the raw rates Γ̄_XY, Ḡ_XY and the atom
# numbers N_X; nothing of lehmberg.gaussian's couplings (d_X, c, g_in, g_x) or matrices enters.
# μ, ν, Γ̃ and P of each cloud are SPEC §5's (lehmberg.moments.two_level).  ξ is Eq. (3) of the
# spin operators J_y,X = √(N_X P_X/2) x_X, J_z,X = √(N_X P_X/2) p_X themselves.
#
# Truncation: as above, |V₇ − V₉| bounds the error of V₉ (measured at the first case:
# |V_n − V_Lyapunov| = 5e-7, 4e-9, 3e-11 at n = 7, 9, 11).

def _fock_two_clouds(case, n, *, transpose=False, swap_intra=False, swap_N=False):
    from lehmberg.moments import two_level

    a = qt.tensor(qt.destroy(n), qt.qeye(n))
    b = qt.tensor(qt.qeye(n), qt.destroy(n))
    mode = {"I": a, "II": b}
    gI, gII, gX = case["gamma"]
    GI, GII, GX = case["G"]
    if swap_intra:          # negative control: each cloud given the other's rates
        gI, gII, GI, GII = gII, gI, GII, GI
    gam = {("I", "I"): gI, ("II", "II"): gII, ("I", "II"): gX, ("II", "I"): np.conj(gX)}
    lamb = {("I", "I"): GI, ("II", "II"): GII, ("I", "II"): GX, ("II", "I"): np.conj(GX)}
    N = dict(zip(("I", "II"), case["N"][::-1] if swap_N else case["N"]))
    Z = dict(zip(("I", "II"), case["Z"]))
    cl = {X: two_level(1.0, Z=Z[X], gamma_add=case["gamma_add"], x=case["x"]) for X in mode}
    P = {X: cl[X].P_inf if case["P"] is None else case["P"] for X in mode}

    def K(X, Y, table):     # a ∈ X, b ∈ Y  →  Γ̄_Y,X (negative control: Γ̄_X,Y)
        return table[(X, Y)] if transpose else table[(Y, X)]

    L, H = 0, 0
    for s in ({"I": cl["I"].mu * a, "II": cl["II"].nu * b.dag()},
              {"I": cl["I"].nu * a.dag(), "II": cl["II"].mu * b}):
        S = {X: np.sqrt(N[X] * P[X]) * s[X] for X in mode}
        for X in mode:
            for Y in mode:
                sxsy = S[X].dag() * S[Y]
                L = L + K(X, Y, gam) * (qt.spre(S[Y]) * qt.spost(S[X].dag())
                                        - 0.5 * qt.spre(sxsy) - 0.5 * qt.spost(sxsy))
                H = H + 0.5 * K(X, Y, lamb) * sxsy
    assert (H - H.dag()).norm() < 1e-12
    for X, op in mode.items():
        nbar = 0.5 * (1.0 / P[X] - 1.0)
        L = L + cl[X].G_tilde * ((nbar + 1) * qt.lindblad_dissipator(op)
                                 + nbar * qt.lindblad_dissipator(op.dag()))
    rho = qt.steadystate(L + qt.liouvillian(H))
    s2 = 1 / np.sqrt(2)
    r = [s2 * (a + a.dag()), 1j * s2 * (a.dag() - a), s2 * (b + b.dag()), 1j * s2 * (b.dag() - b)]
    V = np.array([[0.5 * qt.expect(r[i] * r[j] + r[j] * r[i], rho) for j in range(4)]
                  for i in range(4)]).real
    f = {X: np.sqrt(N[X] * P[X] / 2) for X in mode}

    def var(op):
        return qt.expect(op * op, rho).real - qt.expect(op, rho).real ** 2

    xi = ((var(f["I"] * r[0] + f["II"] * r[2]) + var(f["I"] * r[1] - f["II"] * r[3]))
          / (0.5 * (N["I"] * P["I"] + N["II"] * P["II"])))
    return V, xi, (rho * rho).tr().real


def _model_two_clouds(case):
    (gI, gII, gX), (GI, GII, GX) = case["gamma"], case["G"]
    return g.model_from_rates(case["N"][0], gI, GI, gX, GX, N_II=case["N"][1],
                              gamma_intra_II=gII, g_intra_II=GII, Z_I=case["Z"][0],
                              Z_II=case["Z"][1], gamma_add=case["gamma_add"], x=case["x"],
                              P=case["P"])


_gX2 = 0.95 * np.sqrt(0.003 * 0.0012) * np.exp(0.4j)
CASES_TWO = [
    # different N, Γ̄_XX, Ḡ_XX and Z; complex Γ̄_I,II and a Ḡ_I,II that is not −iΓ̄_I,II; fixed P
    dict(N=(2000.0, 1000.0), gamma=(0.002, 0.003, 0.0012 - 0.0015j),
         G=(-0.0004, 0.0006, 0.0005 + 0.0009j), Z=(1.3, 1.4), P=0.9, gamma_add=0.0, x=0.0),
    # cascaded clouds (Ḡ_I,II = −iΓ̄_I,II), N_II > N_I but d_II < d_I, P of SPEC §5, noise, pump
    dict(N=(1500.0, 3000.0), gamma=(0.003, 0.0012, _gX2), G=(-0.0002, 0.0001, -1j * _gX2),
         Z=(1.25, 1.35), P=None, gamma_add=1.0, x=0.5),
]


@pytest.mark.parametrize("case", CASES_TWO)
def test_clouds_that_differ_equal_the_atom_level_master_equation(case):
    model = _model_two_clouds(case)
    assert model.differs and model.d_II != model.d and model.N_ratio != 1.0
    st = g.steady_state(model)
    V7, xi7, pur7 = _fock_two_clouds(case, 7)
    V9, xi9, pur9 = _fock_two_clouds(case, 9)
    trunc = np.abs(V7 - V9).max()                     # bound on the error of V9
    assert trunc < 1e-5
    assert np.abs(V9 - st.V).max() <= min(trunc, 1e-6)
    assert abs(xi9 - st.xi) <= min(max(abs(xi7 - xi9), 1e-9), 1e-6)
    assert abs(pur9 - st.purity) <= min(max(abs(pur7 - pur9), 1e-9), 1e-6)
    assert g.log_negativity(V9) == pytest.approx(st.log_negativity, abs=1e-5)


@pytest.mark.parametrize("control", ["transpose", "swap_intra", "swap_N"])
@pytest.mark.parametrize("case", CASES_TWO)
def test_clouds_that_differ_negative_controls(case, control):
    # k_XY ∝ Γ̄_XY instead of Γ̄_YX, each cloud given the other's rates, or the other's N:
    # each is a different physics, and the comparison must see it
    st = g.steady_state(_model_two_clouds(case))
    V7, xi7, _ = _fock_two_clouds(case, 7, **{control: True})
    assert np.abs(V7 - st.V).max() > 1e-3


def test_clouds_that_differ_xi_weighs_each_cloud_by_its_N():
    # the unweighted ξ (the formula of equal clouds) is not Eq. (3) of clouds of different N
    case = CASES_TWO[0]
    st = g.steady_state(_model_two_clouds(case))
    _, xi9, _ = _fock_two_clouds(case, 9)
    assert abs(g.xi_of(st.V, st.P_I, st.P_II) - xi9) > 1e-3
    assert g.xi_of(st.V, st.P_I, st.P_II, N_ratio=0.5) == pytest.approx(xi9, abs=1e-6)
