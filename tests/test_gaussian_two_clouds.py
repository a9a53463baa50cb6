"""The Gaussian model of clouds that differ (SPEC §9) without QuTiP: identical clouds are SPEC §8
to rounding, relabelling the clouds changes nothing, the couplings of real geometries, the fast
paths and the propagated errors.  (The Fock-space check is in test_gaussian_qutip.py.)"""

import dataclasses
import math

import numpy as np
import pytest

import lehmberg
from lehmberg import entanglement as en
from lehmberg import gaussian as g

A = 3 / (4 * 10.0 ** 2)
C = 1 / (1 + 0.3j)
ERR = dict(gamma_intra_err=1e-3 * A, g_intra_err=2e-3 * A, gamma_inter_err=1e-3 * A * (1 + 1j),
           g_inter_err=1e-3 * A * (1 + 1j))
PAR = dict(Z_I=1.5, Z_II=1.4, gamma_add=2.0)
T = [0.05, 0.3, 2.0]


def _today():
    return g.model_from_rates(4000, A, -0.1 * A, A * C, -1j * A * C, **ERR, **PAR)


def _as_two(**kw):
    return g.model_from_rates(4000, A, -0.1 * A, A * C, -1j * A * C, N_II=4000, **ERR, **PAR, **kw)


def test_identical_clouds_through_the_two_cloud_path_are_spec8_to_rounding():
    m0 = _today()
    m1 = _as_two(gamma_intra_II=A, g_intra_II=-0.1 * A, gamma_intra_II_err=1e-3 * A,
                 g_intra_II_err=1e-3 * A)
    assert not m0.differs and m1.differs
    p0, p1 = g.propagate(m0, T), g.propagate(m1, T)
    for k in g.OUTPUTS:
        assert p1.value[k] == pytest.approx(p0.value[k], rel=1e-13, abs=1e-15), k
    np.testing.assert_allclose(p1.value["xi_t"], p0.value["xi_t"], rtol=1e-12)
    assert (p1.value["d_II"], p1.value["g_in_II"]) == (p0.value["d"], p0.value["g_in"])
    assert p1.value["P_I"] == pytest.approx(m0.P_inf[0]) and p1.value["P_II"] == m0.P_inf[1]
    # one input Γ̄_I,I for both clouds = two inputs moved together (chain rule); steady outputs
    assert p1.inputs == g.RATE_INPUTS + g.RATE_INPUTS_II
    for k in g.OUTPUTS:
        J0, J1 = p0.jacobian[k], p1.jacobian[k]
        scale = max(np.abs(J0).max(), 1.0)
        np.testing.assert_allclose(J1[[0, 1]] + J1[[6, 7]], J0[[0, 1]], atol=1e-6 * scale)
        np.testing.assert_allclose(J1[2:6], J0[2:6], atol=1e-6 * scale)


def test_identical_clouds_with_only_N_given_keep_six_inputs():
    m0, m1 = _today(), _as_two()
    assert m1.differs and m1.rates.names() == g.RATE_INPUTS
    p0, p1 = g.propagate(m0), g.propagate(m1)
    for k in g.OUTPUTS:
        assert p1.value[k] == pytest.approx(p0.value[k], rel=1e-13, abs=1e-15), k
        assert p1.error[k] == pytest.approx(p0.error[k], rel=1e-6, abs=1e-15), k


def test_gaussian_model_with_cloud_II_equal_to_cloud_I():
    kw = dict(Z_I=1.3, Z_II=1.45, c=0.8 - 0.3j, g_in=-0.2, g_x=-0.3 - 0.8j, gamma_add=1.0)
    s0 = g.steady_state(g.gaussian_model(30.0, **kw))
    s1 = g.steady_state(g.gaussian_model(30.0, d_II=30.0, **kw))
    np.testing.assert_allclose(s1.V, s0.V, rtol=1e-13, atol=1e-15)
    for k in ("xi", "xi_best", "theta_best", "log_negativity", "purity", "P_inf"):
        assert getattr(s1, k) == pytest.approx(getattr(s0, k), rel=1e-13), k


def _swapped(N, gI, GI, gII, GII, gX, GX, ZI, ZII, **kw):
    a = g.model_from_rates(N[0], gI, GI, gX, GX, N_II=N[1], gamma_intra_II=gII, g_intra_II=GII,
                           Z_I=ZI, Z_II=ZII, **kw)
    b = g.model_from_rates(N[1], gII, GII, np.conj(gX), np.conj(GX), N_II=N[0],
                           gamma_intra_II=gI, g_intra_II=GI, Z_I=ZII, Z_II=ZI, **kw)
    return a, b


@pytest.mark.parametrize("P", [0.9, None])
def test_relabelling_the_clouds_changes_nothing(P):
    # cloud I ↔ II with Γ̄_I,II → Γ̄_II,I = Γ̄_I,II* maps sideband A onto B: the same physics
    a, b = _swapped((2000.0, 1000.0), 0.002, -0.0004, 0.003, 0.0006, 0.0012 - 0.0015j,
                    0.0005 + 0.0009j, 1.3, 1.4, P=P, gamma_add=0.5)
    sa, sb = g.steady_state(a), g.steady_state(b)
    perm = [2, 3, 0, 1]
    np.testing.assert_allclose(sb.V, sa.V[np.ix_(perm, perm)], rtol=1e-10, atol=1e-13)
    for k in ("xi", "xi_best", "log_negativity", "purity", "P_inf"):
        assert getattr(sb, k) == pytest.approx(getattr(sa, k), rel=1e-10), k
    ta, tb = g.integrate(a, T), g.integrate(b, T)
    np.testing.assert_allclose(tb.xi, ta.xi, rtol=1e-6)
    np.testing.assert_allclose(tb.P, ta.P, rtol=1e-12)


def test_relabelling_with_the_same_N_is_not_the_same_model():
    # a check on the check: swapping the rates but not N is different physics
    a, _ = _swapped((2000.0, 1000.0), 0.002, -0.0004, 0.003, 0.0006, 0.0012 - 0.0015j,
                    0.0005 + 0.0009j, 1.3, 1.4, P=0.9)
    _, b = _swapped((1000.0, 2000.0), 0.002, -0.0004, 0.003, 0.0006, 0.0012 - 0.0015j,
                    0.0005 + 0.0009j, 1.3, 1.4, P=0.9)
    assert abs(g.steady_state(a).xi - g.steady_state(b).xi) > 1e-3


def test_batch_and_optimize_Z_of_clouds_that_differ():
    kw = dict(c=0.7 + 0.2j, g_in=-0.1, g_x=0.1 - 0.6j, gamma_add=3.0, d_II=12.0, g_in_II=0.2,
              N_ratio=0.4)
    Z = np.array([1.2, 1.5, 2.5])
    out = g.steady_state_batch(30.0, Z, **kw)
    for i, z in enumerate(Z):
        st = g.steady_state(g.gaussian_model(30.0, Z=z, **kw))
        for k in ("xi", "xi_best", "theta_best", "log_negativity", "purity", "P_inf"):
            assert out[k][i] == pytest.approx(getattr(st, k), rel=1e-9), k
    m = g.gaussian_model(30.0, Z=2.0, **kw)
    z, v = en.optimize_Z(m)
    grid = np.exp(np.linspace(np.log(1.0001), np.log(50.0), 3000))
    vals = [g.steady_state(dataclasses.replace(m, Z_I=q, Z_II=q)).xi_best for q in grid]
    i = int(np.argmin(vals))
    assert v <= vals[i] + 1e-12 and v == pytest.approx(vals[i], abs=1e-5)
    assert z == pytest.approx(grid[i], rel=0.01)
    # the identical-cloud optimum is another number
    assert abs(en.optimize_Z(g.gaussian_model(30.0, Z=2.0, c=0.7 + 0.2j, g_in=-0.1,
                                              g_x=0.1 - 0.6j, gamma_add=3.0))[1] - v) > 1e-3


@pytest.fixture(scope="module")
def two_clouds():
    I = lehmberg.Cloud(kL=(4.0, 5.0, 8.0), N=300.0)
    II = lehmberg.Cloud(kL=(3.0, 3.0, 6.0), centre=(0.0, 0.0, 20.0), N=150.0)
    geo = lehmberg.Geometry.of(I, II, p_hat=(1.0, 0.0, 0.0))
    return geo, lehmberg.rates(geo.single()), lehmberg.rates(geo), lehmberg.rates(geo.single("II"))


def test_models_from_rates_of_clouds_that_differ(two_clouds):
    geo, rI, rX, rII = two_clouds
    m = en.models_from_rates((rI, rII), rX, (300.0, 150.0), Z_I=1.3, Z_II=1.5, gamma_add=1.0)
    gI, gII = rI.gamma_bar.real, rII.gamma_bar.real
    assert m.differs and m.rates.names() == g.RATE_INPUTS + g.RATE_INPUTS_II
    assert m.d == 300.0 * gI and m.d_II == 150.0 * gII and m.N_ratio == 0.5
    assert m.g_in == rI.g_bar.real / gI and m.g_in_II == rII.g_bar.real / gII
    assert m.c == pytest.approx(rX.gamma_bar / math.sqrt(gI * gII), rel=1e-14)
    assert m.g_x == pytest.approx(rX.g_bar / math.sqrt(gI * gII), rel=1e-14)
    # k_II,I = √(N_I N_II P_I P_II) Γ̄_I,II, the cross element of SPEC §9 (row II, column I)
    P_I, P_II = m.P_inf
    assert math.sqrt(m.d * m.d_II * P_I * P_II) * m.c == pytest.approx(
        math.sqrt(300.0 * 150.0 * P_I * P_II) * rX.gamma_bar, rel=1e-14)
    e = en.entangle(m, t=[0.5, 0.1])
    assert e.extra["d_II"] == m.d_II and e.err("d_II") > 0 and e.scalars()["d_II"] == m.d_II
    assert (e.extra["P_I"], e.extra["P_II"]) == m.P_inf and e.extra["N_ratio"] == 0.5
    assert set(e.stats["inputs"]) >= {"gamma_intra_II", "g_intra_II"}
    st = g.steady_state(m)
    assert (e.xi_inf, e.xi_best, e.log_negativity) == (st.xi, st.xi_best, st.log_negativity)
    assert e.P_inf == pytest.approx((300.0 * P_I + 150.0 * P_II) / 450.0, rel=1e-14)
    ds = e.to_xarray()
    assert float(ds["d_II"]) == m.d_II and ds.attrs["model_N_ratio"] == 0.5


def test_models_from_rates_pairs(two_clouds):
    geo, rI, rX, rII = two_clouds
    one = en.models_from_rates(rI, rX, 300.0, Z=1.3)
    assert en.models_from_rates((rI, rI), rX, (300.0, 300.0), Z=1.3) == one
    m = en.models_from_rates(rI, rX, (300.0, 150.0), Z=1.3)      # only N differs
    assert m.differs and m.d_II == 150.0 * rI.gamma_bar.real and m.c == one.c
    assert m.rates.names() == g.RATE_INPUTS
    with pytest.raises(ValueError, match="^intra"):
        en.models_from_rates((rI, rII), None, 300.0, model="two-level", Z=1.3)
