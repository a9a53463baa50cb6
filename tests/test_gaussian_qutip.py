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

Truncation: cutoffs n = 8 and 10 per mode.  The covariance converges geometrically in n
(about a factor 100 per two levels at these d, Z), so |V₈ − V₁₀| bounds the error of
V₁₀ from above; the allowed difference between QuTiP (n = 10) and the Lyapunov solution
is that bound (and at most 1e-6 in any element of V, whose entries are ~0.5–1).
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
    V8, m8 = covariance_qutip(model, 8)
    V10, m10 = covariance_qutip(model, 10)
    assert max(m8, m10) < 1e-12                       # no coherent amplitude
    trunc = np.abs(V8 - V10).max()                    # bound on the error of V10
    assert trunc < 1e-5                               # the cutoff is adequate
    assert np.abs(V10 - st.V).max() <= min(trunc, 1e-6)
    assert g.xi_of(V10, st.P_I, st.P_II) == pytest.approx(st.xi, abs=1e-6)
    assert g.log_negativity(V10) == pytest.approx(st.log_negativity, abs=1e-5)


def test_comparison_is_sensitive_to_the_phase_of_c():
    # c → c* in the Fock-space model (the other inter-cloud sign convention) must not pass
    model = g.gaussian_model(**CASES[0])
    V8, _ = covariance_qutip(model, 8, conj_c=True)
    assert np.abs(V8 - g.steady_state(model).V).max() > 1e-3
