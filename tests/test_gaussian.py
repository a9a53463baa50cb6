"""Gaussian (Holstein–Primakoff) model of SPEC §8: reductions, cancellations, physicality,
error propagation, input checks.

Independent constructions here: the drift/diffusion matrices rebuilt from the emitter
vectors (w^H k w) rather than the module's element formulas; the two-level model from
lehmberg.moments (its own equations); Eq. (15) and its derivative written out by hand;
ξ_best by a brute-force angle scan; E_N from a numerical symplectic spectrum; errors by
Monte Carlo over the inputs.  Numbers of the physics review (an independent party)
are compared with the rounding tolerance of their quoted digits.
"""

import doctest
import math

import numpy as np
import pytest

from lehmberg import gaussian as g
from lehmberg import moments as m

OM = np.array([[0, 1, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 1], [0, 0, -1, 0]], dtype=float)


def mu_nu(Z):
    return (Z + 1 / Z) / 2, (Z - 1 / Z) / 2


def emitter_matrices(d, c, g_in, g_x, ZI, ZII, GtI, GtII, PI, PII):
    """A, D from the collective sideband form, built from emitter vectors (not the module's)."""
    s = 1 / math.sqrt(2)
    a, ad = np.array([s, 1j * s, 0, 0]), np.array([s, -1j * s, 0, 0])
    b, bd = np.array([0, 0, s, 1j * s]), np.array([0, 0, s, -1j * s])
    muI, nuI = mu_nu(ZI)
    muII, nuII = mu_nu(ZII)
    q = math.sqrt(PI * PII)
    k = d * np.array([[PI, np.conj(c) * q], [c * q, PII]])
    h = d * np.array([[g_in * PI, np.conj(g_x) * q], [g_x * q, g_in * PII]])
    M = np.zeros((4, 4), complex)
    H = np.zeros((4, 4), complex)
    for w in (np.array([muI * a, nuII * bd]), np.array([nuI * ad, muII * b])):
        M += w.conj().T @ k @ w
        H += w.conj().T @ h @ w
    assert np.allclose(H, H.conj().T) and np.allclose(M, M.conj().T)
    A = OM @ (H.real + M.imag) - 0.5 * np.diag([GtI, GtI, GtII, GtII])
    D = OM @ M.real @ OM.T + 0.5 * np.diag([GtI / PI, GtI / PI, GtII / PII, GtII / PII])
    return A, D


def gt(Z, ga=0.0, x=0.0):
    mu, nu = mu_nu(Z)
    return (1 + x) * mu ** 2 + nu ** 2 + 2 * ((1 + x) * mu ** 2 + nu ** 2) + ga


def xi15(d, Z, ga=0.0, x=0.0, P=None):
    """Eq. (15) written out again (P = P₂,∞ unless given)."""
    mu, nu = mu_nu(Z)
    gc, gh = (1 + x) * mu ** 2, nu ** 2
    P = (gc - gh) / (gc + gh) if P is None else P
    G = gt(Z, ga, x)
    return (G + d * P * P / Z ** 2) / (G + d * P) / P


rng0 = np.random.default_rng(20261201)
RANDOM_POINTS = [dict(d=float(rng0.uniform(1, 200)), Z_I=float(rng0.uniform(1.05, 3)),
                      Z_II=float(rng0.uniform(1.05, 3)),
                      c=complex(*(rng0.uniform(-1, 1, 2) / math.sqrt(2))),
                      g_in=float(rng0.normal(0, 0.3)), g_x=complex(*rng0.normal(0, 0.7, 2)),
                      gamma_add=float(rng0.uniform(0, 20)), x=float(rng0.uniform(0, 3)))
                 for _ in range(40)]


# ---------------------------------------------------------------------------------- matrices

@pytest.mark.parametrize("p", RANDOM_POINTS[:12])
def test_element_formulas_equal_emitter_construction(p):
    model = g.gaussian_model(**p)
    PI, PII = 0.37, 0.81
    A, D = model.matrices(PI, PII)
    GI, GII = (cl.G_tilde for cl in model.clouds)
    assert GI == pytest.approx(gt(p["Z_I"], p["gamma_add"], p["x"]), rel=1e-14)
    A2, D2 = emitter_matrices(p["d"], p["c"], p["g_in"], p["g_x"], p["Z_I"], p["Z_II"], GI, GII,
                              PI, PII)
    scale = np.abs(A2).max() + np.abs(D2).max()
    assert np.abs(A - A2).max() < 1e-13 * scale
    assert np.abs(D - D2).max() < 1e-13 * scale
    assert np.all(np.linalg.eigvalsh(D) > -1e-12 * scale)   # |c| ≤ 1: D ≥ 0


# ---------------------------------------------------------------------------- paper limit

@pytest.mark.parametrize("d,Z,ga,x", [(30, 1.5, 0, 0), (30, 1.29, 20, 0), (3000, 2.5, 1, 0),
                                      (30, 1.8, 37, 5), (2, 1.1, 0, 0.5)])
def test_paper_limit_steady_state_is_eq15(d, Z, ga, x):
    st = g.steady_state(g.gaussian_model(d, Z=Z, gamma_add=ga, x=x))
    xi_m, P_m = m.xi_steady(m.two_level(d, Z=Z, gamma_add=ga, x=x))
    assert st.xi == pytest.approx(xi_m, abs=1e-10)
    assert st.xi == pytest.approx(xi15(d, Z, ga, x), abs=1e-10)
    assert st.P_inf == pytest.approx(P_m, abs=1e-15)
    # every ± variance is the steady state of the SPEC §5 equation for it (per N: var/N)
    P, G = P_m, gt(Z, ga, x)
    mu, nu = mu_nu(Z)
    S = st.Sigma
    up, um = np.array([1, 0, 1, 0]) / math.sqrt(2), np.array([1, 0, -1, 0]) / math.sqrt(2)
    vp, vm = np.array([0, 1, 0, 1]) / math.sqrt(2), np.array([0, 1, 0, -1]) / math.sqrt(2)
    for u, s in ((up, mu - nu), (vm, mu - nu), (um, mu + nu), (vp, mu + nu)):
        var_per_N = 0.5 * u @ S @ u       # Σ = var(J)/(N/2)
        assert var_per_N == pytest.approx(0.25 * (G + d * P * P * s * s) / (G + d * P), rel=1e-10)
    assert st.xi_best == pytest.approx(st.xi, abs=1e-12)
    assert abs(math.sin(st.theta_best)) < 1e-12 and math.cos(st.theta_best) > 0


def test_paper_limit_at_fixed_polarisation_review_number():
    # physics review: d = 30, Z = 1.5, probe only, P₂ = 1 → ξ = 0.5104039 (7 digits quoted)
    st = g.steady_state(g.gaussian_model(30, Z=1.5, P=1.0))
    assert st.xi == pytest.approx(xi15(30, 1.5, P=1.0), abs=1e-12)
    assert st.xi == pytest.approx(0.5104039, abs=5e-8)


@pytest.mark.parametrize("d,Z,ga,x,P0", [(30, 1.5, 0, 0, 1.0), (30, 1.3, 5, 2, 0.6),
                                         (300, 2.2, 1, 0, 1.0)])
def test_paper_limit_time_evolution_is_spec5(d, Z, ga, x, P0):
    t = np.concatenate([[0.0], np.logspace(-3, 1.3, 25)])
    sol = g.integrate(g.gaussian_model(d, Z=Z, gamma_add=ga, x=x, P0=P0), t, rtol=1e-11,
                      atol=1e-13)
    p = m.two_level(d, Z=Z, gamma_add=ga, x=x, P0=P0)
    ref = m.integrate_two_level(p, t, rtol=1e-11, atol=1e-13)
    assert np.abs(sol.P - m.P2_exact(p, t)).max() < 1e-14
    assert np.abs(sol.xi - ref.xi).max() < 1e-8
    assert sol.xi_err.max() < 1e-8
    # and the long-time end is the Lyapunov steady state
    assert sol.xi[-1] == pytest.approx(g.steady_state(g.gaussian_model(d, Z=Z, gamma_add=ga,
                                                                       x=x)).xi, abs=1e-7)


def test_evolution_with_couplings_reaches_steady_state():
    model = g.gaussian_model(40, Z_I=1.4, Z_II=1.7, c=0.8 - 0.3j, g_in=-0.1, g_x=-0.3 - 0.75j,
                             gamma_add=2, P0=0.9)
    sol = g.integrate(model, [0.0, 1.0, 60.0])
    st = g.steady_state(model)
    assert sol.xi[0] == pytest.approx(1 / 0.9, abs=1e-14)   # uncorrelated atoms: ξ = 1/P0
    assert sol.xi[-1] == pytest.approx(st.xi, abs=1e-7)
    assert np.abs(sol.V[-1] - st.V).max() < 1e-6
    assert sol.log_negativity[-1] == pytest.approx(st.log_negativity, abs=1e-6)


# -------------------------------------------------------------- cascaded cancellation

@pytest.mark.parametrize("c", [1.0, 0.83, 0.4])
@pytest.mark.parametrize("p", RANDOM_POINTS[:4])
def test_cascaded_hamiltonians_cancel_for_real_c_and_equal_weights(c, p):
    base = dict(d=p["d"], Z=p["Z_I"], g_in=p["g_in"], gamma_add=p["gamma_add"], x=p["x"])
    casc = g.gaussian_model(c=c, g_x=-1j * c, **base)
    sym = g.gaussian_model(c=c, g_x=0.0, **base)
    Ac, Dc = casc.matrices()
    As, Ds = sym.matrices()
    assert np.abs(Ac - As).max() < 1e-13 * np.abs(As).max()
    assert np.abs(Dc - Ds).max() < 1e-13 * np.abs(Ds).max()
    assert np.abs(g.steady_state(casc).V - g.steady_state(sym).V).max() < 1e-12


def test_cascaded_coupling_leaves_the_upstream_cloud_alone():
    # Ḡ_I,II = −iΓ̄_I,II is the cascaded coupling I → II (the probe meets I first): cloud I's own
    # state cannot depend on cloud II's coupling or weight; with g_x = +ic the roles swap.
    ref_a = g.steady_state(g.gaussian_model(30, Z_I=1.5, Z_II=1.5, c=0.0, g_x=0.0)).V[:2, :2]
    ref_b = g.steady_state(g.gaussian_model(30, Z_I=1.5, Z_II=1.7, c=0.0, g_x=0.0)).V[2:, 2:]
    for u in (0.1, 1.0, 3.0):
        c = 1 / (1 + 1j * u)
        for Z_II in (1.5, 1.7):
            V = g.steady_state(g.gaussian_model(30, Z_I=1.5, Z_II=Z_II, c=c, g_x=-1j * c)).V
            assert np.abs(V[:2, :2] - ref_a).max() < 1e-12
            assert np.abs(V[:2, 2:]).max() > 1e-2                   # but correlated with II
        for Z_I in (1.5, 1.7):
            Vr = g.steady_state(g.gaussian_model(30, Z_I=Z_I, Z_II=1.7, c=c, g_x=1j * c)).V
            assert np.abs(Vr[2:, 2:] - ref_b).max() < 1e-12
            # and the downstream cloud does feel the coupling
            V = g.steady_state(g.gaussian_model(30, Z_I=1.5, Z_II=1.7, c=c, g_x=-1j * c)).V
            assert np.abs(V[2:, 2:] - ref_b).max() > 1e-3


@pytest.mark.parametrize("variant", ["complex c", "unequal weights", "not cascaded"])
def test_no_cancellation_otherwise(variant):
    # the same comparison must fail when one condition is dropped (the test above can fail)
    c = {"complex c": 1 / (1 + 0.3j)}.get(variant, 1.0)
    gx = {"not cascaded": 0.3 - 1j}.get(variant, -1j * c)
    Z = dict(Z_I=1.5, Z_II=1.6) if variant == "unequal weights" else dict(Z=1.5)
    casc = g.steady_state(g.gaussian_model(30, c=c, g_x=gx, **Z))
    sym = g.steady_state(g.gaussian_model(30, c=c, g_x=0.0, **Z))
    assert abs(casc.xi - sym.xi) > 1e-3


# ----------------------------------------------------------------- physicality, monotonicity

def test_every_steady_state_is_physical():
    n_stable = 0
    for p in RANDOM_POINTS:
        for P in (None, 1.0, 0.3):
            try:
                st = g.steady_state(g.gaussian_model(P=P, **p))
            except g.NoSteadyState:
                continue
            n_stable += 1
            scale = np.abs(st.V).max()
            assert g.physical_margin(st.V) > -1e-12 * scale
            assert np.linalg.eigvalsh(st.V).min() > 0
            assert 0 < st.purity <= 1 + 1e-12
            assert st.xi_best <= st.xi + 1e-12
    assert n_stable >= 60


def test_physicality_check_detects_an_invalid_generator():
    # |c| > 1 (e.g. the "2Γ̄" reading of Re⟨J⟩_I,II) is refused at the boundary; built
    # anyway, its "steady state" violates V + iΩ/2 ≥ 0: the check above is not vacuous.
    mu, nu = mu_nu(1.5)
    G = gt(1.5)
    for c in (1.2, 2.0):
        A, D = g._matrices(30.0, c, 0.0, 0.0, mu, nu, mu, nu, G, G, 1.0, 1.0)
        from scipy.linalg import solve_continuous_lyapunov
        V = solve_continuous_lyapunov(A, -D)
        assert g.physical_margin(V) < -0.01


def test_real_c_below_one_lowers_the_entanglement():
    cs = [1.0, 0.95, 0.8, 0.6, 0.3]
    sts = [g.steady_state(g.gaussian_model(30, Z=1.5, c=c, g_x=-1j * c)) for c in cs]
    xi = [s.xi for s in sts]
    xb = [s.xi_best for s in sts]
    en = [s.log_negativity for s in sts]
    assert all(a < b for a, b in zip(xi, xi[1:]))
    assert all(a < b + 1e-15 for a, b in zip(xb, xb[1:]))
    assert all(a > b for a, b in zip(en, en[1:]))


# ------------------------------------------------------------- outputs against brute force

def test_xi_best_against_angle_scan():
    for p in RANDOM_POINTS[:10]:
        try:
            st = g.steady_state(g.gaussian_model(**p))
        except g.NoSteadyState:
            continue
        th = np.linspace(-math.pi, math.pi, 20001)
        R = np.zeros((th.size, 4, 4))
        R[:, 0, 0] = R[:, 1, 1] = 1.0
        R[:, 2, 2] = R[:, 3, 3] = np.cos(th)
        R[:, 2, 3], R[:, 3, 2] = np.sin(th), -np.sin(th)
        Sr = R @ st.Sigma @ np.swapaxes(R, 1, 2)
        u, v = np.array([1, 0, 1, 0]), np.array([0, 1, 0, -1])
        vals = (np.einsum("i,nij,j->n", u, Sr, u) + np.einsum("i,nij,j->n", v, Sr, v)) \
            / (st.P_I + st.P_II)
        k = int(np.argmin(vals))
        assert st.xi_best <= vals.min() + 1e-12
        assert st.xi_best == pytest.approx(vals.min(), abs=1e-6)
        assert math.remainder(st.theta_best - th[k], 2 * math.pi) == pytest.approx(0, abs=1e-3)
        assert vals[np.argmin(np.abs(th))] == pytest.approx(st.xi, abs=1e-12)


def test_log_negativity_and_purity_against_symplectic_spectrum():
    T = np.diag([1.0, 1.0, 1.0, -1.0])
    for p in RANDOM_POINTS[:10]:
        try:
            st = g.steady_state(g.gaussian_model(**p))
        except g.NoSteadyState:
            continue
        nus = np.sort(np.abs(np.linalg.eigvals(1j * OM @ (T @ st.V @ T)).real))[::2]
        en = sum(max(0.0, -math.log(2 * n)) for n in nus)
        assert st.log_negativity == pytest.approx(en, abs=1e-9)
        nus0 = np.sort(np.abs(np.linalg.eigvals(1j * OM @ st.V).real))[::2]
        assert st.purity == pytest.approx(1 / np.prod(2 * nus0), rel=1e-9)


def test_batch_equals_scalar_path():
    pts = RANDOM_POINTS[:30]
    keys = ("d", "Z_I", "c", "g_in", "g_x", "gamma_add", "x", "Z_II")
    arr = {k: np.array([p[k] for p in pts]) for k in keys}
    out = g.steady_state_batch(arr["d"], arr["Z_I"], arr["c"], arr["g_in"], arr["g_x"],
                               arr["gamma_add"], arr["x"], Z_II=arr["Z_II"])
    n_stable = 0
    for i, p in enumerate(pts):
        try:
            st = g.steady_state(g.gaussian_model(**p))
        except g.NoSteadyState:
            assert not out["stable"][i] and np.isnan(out["xi"][i])
            continue
        n_stable += 1
        assert out["stable"][i]
        for k, v in (("xi", st.xi), ("xi_best", st.xi_best), ("log_negativity", st.log_negativity),
                     ("purity", st.purity), ("P_inf", st.P_inf)):
            assert out[k][i] == pytest.approx(v, rel=1e-9, abs=1e-12), k
        assert math.remainder(out["theta_best"][i] - st.theta_best, 2 * math.pi) == \
            pytest.approx(0, abs=1e-8)
    assert n_stable >= 15


def test_no_steady_state_is_reported():
    # a strong two-mode-squeezing Hamiltonian (Re g_x = 1) at large Z outgrows the damping
    model = g.gaussian_model(30, Z=3.0, g_x=1.0, P=1.0)
    with pytest.raises(g.NoSteadyState, match="no steady state"):
        g.steady_state(model)
    out = g.steady_state_batch(30, 3.0, g_x=1.0, P=1.0)
    assert not out["stable"] and out["growth_rate"] > 0 and np.isnan(out["xi_best"])


# -------------------------------------------------------------- the physics review's numbers

@pytest.mark.parametrize("u,quoted,digits", [(0.01, 0.5106, 4), (0.1, 0.5264, 4),
                                             (0.3, 0.6387, 4), (1.0, 1.115, 3), (3.0, 1.301, 3)])
def test_review_fresnel_numbers(u, quoted, digits):
    # review: c = 1/(1+iu), Ḡ_I,II = −iΓ̄_I,II, d = 30, Z = 1.5, probe only, P₂ = 1
    c = 1 / (1 + 1j * u)
    st = g.steady_state(g.gaussian_model(30, Z=1.5, c=c, g_x=-1j * c, P=1.0))
    assert st.xi == pytest.approx(quoted, abs=0.5 * 10.0 ** -digits)


@pytest.mark.parametrize("u,quoted", [(0.1, 0.5144), (1.0, 0.7434)])
def test_review_modulus_only_numbers(u, quoted):
    st = g.steady_state(g.gaussian_model(30, Z=1.5, c=abs(1 / (1 + 1j * u)), P=1.0))
    assert st.xi == pytest.approx(quoted, abs=5e-5)


@pytest.mark.parametrize("kL,quoted", [(10.0, 0.5200), (3.0, 0.6010)])
def test_review_intra_lamb_shift_numbers(kL, quoted):
    from lehmberg.reference import reference_rates

    est = reference_rates(kL)
    g_in = est.g_bar.real / est.gamma_bar.real
    st = g.steady_state(g.gaussian_model(30, Z=1.5, g_in=g_in, P=1.0))
    assert st.xi == pytest.approx(quoted, abs=5e-5)


# ------------------------------------------------------------------------ error propagation

def test_propagate_d_against_hand_derivative():
    d, derr, Z, ga = 30.0, 1.7, 1.5, 3.0
    out = g.propagate_d(d, derr, Z=Z, gamma_add=ga)
    mu, nu = mu_nu(Z)
    P, G, s = 1 / (mu ** 2 + nu ** 2), gt(Z, ga), 1 / Z ** 2
    dxi = (P * P * s * (G + d * P) - P * (G + d * P * P * s)) / (G + d * P) ** 2 / P
    assert out.value["xi_inf"] == pytest.approx(xi15(d, Z, ga), abs=1e-12)
    assert out.error["xi_inf"] == pytest.approx(abs(dxi) * derr, rel=1e-6)
    assert out.error["d"] == pytest.approx(derr, rel=1e-9)
    assert out.error["P_inf"] == 0 and out.error["c_re"] == 0


def test_propagate_rates_against_monte_carlo():
    N, a = 4000.0, 3 / (4 * 10.0 ** 2)
    c0 = 1 / (1 + 0.3j)
    gI, GI, gX, GX = a, -0.093 * a, a * c0, -1j * a * c0 + 0.01 * a
    rel = 0.005
    errs = dict(gamma_intra_err=rel * a, g_intra_err=rel * a,
                gamma_inter_err=complex(rel * a, 0.7 * rel * a),
                g_inter_err=complex(0.6 * rel * a, rel * a))
    out = g.propagate_rates(N, gI, GI, gX, GX, Z=1.5, gamma_add=2.0, **errs)
    assert set(g.OUTPUTS) <= set(out.value)
    assert out.value["d"] == pytest.approx(N * a)
    assert out.value["c_re"] == pytest.approx(c0.real) and out.value["c_im"] == pytest.approx(c0.imag)

    rng = np.random.default_rng(7)
    n = 2000
    sI = gI + rng.normal(0, errs["gamma_intra_err"], n)
    SI = GI + rng.normal(0, errs["g_intra_err"], n)
    sX = gX + rng.normal(0, errs["gamma_inter_err"].real, n) + 1j * rng.normal(0, errs["gamma_inter_err"].imag, n)
    SX = GX + rng.normal(0, errs["g_inter_err"].real, n) + 1j * rng.normal(0, errs["g_inter_err"].imag, n)
    b = g.steady_state_batch(N * sI, 1.5, sX / sI, SI / sI, SX / sI, 2.0)
    assert b["stable"].all()
    theta = b["theta_best"]
    theta = out.value["theta_best"] + np.remainder(theta - out.value["theta_best"] + np.pi,
                                                   2 * np.pi) - np.pi
    samples = {"xi_inf": b["xi"], "xi_inf_best": b["xi_best"], "theta_best": theta,
               "log_negativity": b["log_negativity"], "purity": b["purity"], "d": N * sI,
               "c_re": (sX / sI).real, "c_im": (sX / sI).imag, "g_in": SI / sI,
               "g_x_re": (SX / sI).real, "g_x_im": (SX / sI).imag}
    # a sample standard deviation of n normal draws has relative standard error 1/√(2(n−1))
    tol = 4.0 / math.sqrt(2 * (n - 1))
    for k, s in samples.items():
        sd = s.std(ddof=1)
        assert out.error[k] > 0, k
        assert abs(sd / out.error[k] - 1) < tol, (k, sd, out.error[k])
        assert abs(s.mean() - out.value[k]) < 5 * out.error[k] / math.sqrt(n) + 0.05 * out.error[k], k


def test_propagate_with_times():
    a = 3 / (4 * 30.0 ** 2)
    out = g.propagate_rates(3.6e4, a, gamma_intra_err=0.01 * a, Z=1.5, t=[0.0, 0.05, 5.0])
    sol = g.integrate(g.gaussian_model(3.6e4 * a, Z=1.5), [0.0, 0.05, 5.0])
    assert np.allclose(out.value["xi_t"], sol.xi, atol=1e-12)
    assert out.error["xi_t"][0] == 0 and out.error["xi_t"][1] > 0
    assert out.xi_t_integration_err.max() < 1e-7
    # the last time is near the steady state, so its error matches the steady state's
    assert out.error["xi_t"][2] == pytest.approx(out.error["xi_inf"], rel=1e-3)
    d = out.as_dict()
    assert d["xi_inf"][0] == out.value["xi_inf"] and len(d["xi_t"][1]) == 3


# ----------------------------------------------------------------------------- optimise Z

def test_optimize_Z_paper_limit_and_grid():
    for ga, x in ((20.0, 0.0), (5.0, 2.0)):
        z, v = g.optimize_Z(30, gamma_add=ga, x=x)
        z2, v2 = m.optimize_Z(30, ga, x)
        assert v == pytest.approx(v2, abs=1e-9)
        assert z == pytest.approx(z2, rel=1e-4)
    c = 1 / (1 + 0.3j)
    z, v = g.optimize_Z(30, c=c, g_in=-0.09, g_x=-1j * c, gamma_add=2)
    Zs = np.linspace(1.001, 6, 5001)
    brute = g.steady_state_batch(30, Zs, c, -0.09, -1j * c, 2.0)["xi_best"]
    assert v <= np.nanmin(brute) + 1e-9
    assert v == pytest.approx(np.nanmin(brute), abs=1e-5)


def test_optimize_Z_batch_against_dense_grid():
    u = np.array([0.0, 0.3, 1.0])
    c = 1 / (1 + 1j * u)
    z, v = g.optimize_Z_batch(30.0, c, -0.05, -1j * c, 5.0)
    Zs = np.exp(np.linspace(math.log(1.0005), math.log(8.0), 8001))
    for k in range(u.size):
        dense = g.steady_state_batch(30.0, Zs, c[k], -0.05, -1j * c[k], 5.0)["xi_best"]
        j = int(np.nanargmin(dense))
        assert v[k] <= dense[j] + 1e-10
        assert v[k] == pytest.approx(dense[j], abs=1e-6)
        assert z[k] == pytest.approx(Zs[j], rel=2e-3)


# -------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw,name", [
    (dict(c=1.0001), "c"), (dict(c=0.8 + 0.7j), "c"), (dict(Z=1.0), "Z"), (dict(Z=0.5), "Z"),
    (dict(Z=float("nan")), "Z"), (dict(d=float("inf")), "d"), (dict(d=0.0), "d"),
    (dict(g_in=0.1j), "g_in"), (dict(g_x=complex(float("nan"), 0)), "g_x"),
    (dict(gamma_add=-1.0), "gamma_add"), (dict(x=float("inf")), "x"), (dict(P=0.0), "P"),
    (dict(P=1.5), "P"), (dict(P0=2.0), "P0"), (dict(c="one"), "c"),
])
def test_bad_model_input_refused(kw, name):
    args = dict(d=30.0, Z=1.5)
    args.update(kw)
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        g.gaussian_model(**args)


def test_bad_input_refused_elsewhere():
    with pytest.raises(ValueError, match="^Z_II"):
        g.gaussian_model(30, Z_I=1.5, Z_II=1.0)
    with pytest.raises(ValueError, match="^c"):
        g.steady_state_batch(30, 1.5, c=[0.5, 1.01])
    with pytest.raises(ValueError, match="^Z"):
        g.steady_state_batch(30, [1.5, 1.0])
    with pytest.raises(ValueError, match="^d"):
        g.steady_state_batch([30, np.nan], 1.5)
    a = 1e-3
    with pytest.raises(ValueError, match="^gamma_inter/gamma_intra"):
        g.propagate_rates(1e4, a, gamma_inter=1.2 * a)
    with pytest.raises(ValueError, match="^gamma_intra"):
        g.propagate_rates(1e4, -a)
    with pytest.raises(ValueError, match="^gamma_inter_err"):
        g.propagate_rates(1e4, a, gamma_inter=0.5 * a, gamma_inter_err=complex(-1e-5, 0))
    with pytest.raises(ValueError, match="^g_inter"):
        g.propagate_rates(1e4, a, g_inter=complex(math.inf, 0))
    with pytest.raises(ValueError, match="^N"):
        g.propagate_rates(float("nan"), a)
    with pytest.raises(ValueError, match="^d_err"):
        g.propagate_d(30, -1.0, Z=1.5)
    with pytest.raises(ValueError, match="^t"):
        g.integrate(g.gaussian_model(30, Z=1.5), [0.0, -1.0])


def test_docstring_examples_run():
    res = doctest.testmod(g, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 10 and res.failed == 0
