"""Monte-Carlo averages against independent closed forms and quadratures, within 4 standard errors."""

import math

import numba
import numpy as np
import pytest
from scipy import integrate, special

from lehmberg.average import estimate_pairs, mc_rates, symmetrised_samples
from lehmberg.kernels import g as g_kernel
from lehmberg.kernels import gamma as gamma_kernel
from lehmberg.result import asymptote
from sampling import TwoClouds, make_rng

from _stats import K
from _stats import agree as _agree


def paper_inter_no_dipole(kL, kR):
    """App. B 2, end: Γ̄_I,II for the kernel without the dipole factor, R ∥ k_L (with erratum 1)."""
    z = kL**2 + 1j * kR
    return 3.0 / (4.0 * z) * (1.0 - np.exp(-2.0 * z))


def radial_intra(kL, pz):
    """Γ̄ and Ḡ inside one Gaussian cloud as 1D radial integrals (angular part done analytically).

    ∫dΩ e^{ix cosθ}(1 − c²) = (8π/3)(j0 + j2 P2(p_z)),  ∫dΩ e^{ix cosθ}(1 − 3c²) = 8π j2 P2(p_z).
    """
    P2 = 0.5 * (3 * pz * pz - 1)
    L = kL

    def rho(r):
        return np.exp(-r * r / (2 * L * L)) / ((2 * np.pi) ** 1.5 * L**3)

    def parts(r):
        j0, j2 = special.spherical_jn(0, r), special.spherical_jn(2, r)
        return (8 * np.pi / 3) * (j0 + j2 * P2), 8 * np.pi * j2 * P2

    def f_gamma(r):
        a, b = parts(r)
        return r * r * rho(r) * 1.5 * (a * np.sin(r) / r + b * (np.cos(r) / r**2 - np.sin(r) / r**3))

    def f_g(r):
        a, b = parts(r)
        return r * r * rho(r) * 1.5 * (-a * np.cos(r) / r + b * (np.sin(r) / r**2 + np.cos(r) / r**3))

    top = 14 * L
    ga = integrate.quad(f_gamma, 0.0, top, limit=400, epsabs=1e-13)[0]
    gg = integrate.quad(f_g, 0.0, top, limit=400, epsabs=1e-13)[0]
    return ga, gg


@pytest.mark.parametrize("kL, kR", [(1.0, 2.0), (2.0, 10.0), (0.5, 0.3), (3.0, 0.0)])
def test_inter_cloud_no_dipole_matches_paper_formula(kL, kR):
    est = mc_rates(kL, kR, p_hat=None, samples=1_000_000, seed=11)
    ref = paper_inter_no_dipole(kL, kR)
    _agree(est.gamma_bar.real, est.gamma_bar_err.real, ref.real)
    _agree(est.gamma_bar.imag, est.gamma_bar_err.imag, ref.imag)


@pytest.mark.parametrize("kL", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("p", [(1, 0, 0), (0, 0, 1), (1, 1, 1)])
def test_intra_cloud_gamma_and_g_match_radial_quadrature(kL, p):
    p = np.array(p, float) / np.linalg.norm(p)
    est = mc_rates(kL, p_hat=p, samples=500_000, seed=5)
    ga, gg = radial_intra(kL, p[2])
    _agree(est.gamma_bar.real, est.gamma_bar_err.real, ga)
    _agree(est.g_bar.real, est.g_bar_err.real, gg)
    _agree(est.Gamma_ij, est.Gamma_ij_err, ga)
    _agree(est.G_ij, est.G_ij_err, gg)
    # inside one cloud r → −r makes both real
    assert abs(est.gamma_bar.imag) < 1e-12 and abs(est.g_bar.imag) < 1e-12


def test_asymptote_at_kL_30():
    est = mc_rates(30.0, samples=4_000_000, seed=2)
    _agree(est.Gamma_ij, est.Gamma_ij_err, asymptote(30.0))
    assert est.rel_err() < 0.05  # the comparison means something


def test_symmetrised_samples_are_unbiased_against_naive_samples():
    """For γ the naive sample e^{iz}γ(r) has finite variance: its mean must agree with F̂'s."""
    tc = TwoClouds("gaussian", 1.7, 2.5, (0.3, 0.0, 1.0))
    r = tc.sample_pairs(400_000, make_rng(9), "inter")
    p = (0.0, 1.0, 0.2)
    naive = np.exp(1j * r[:, 2]) * gamma_kernel(r, p)
    sym = symmetrised_samples(r, tc, "inter", p)
    for got, ref in ((sym[:, 0], naive.real), (sym[:, 1], naive.imag)):
        diff = got - ref  # paired differences: one standard error for both estimators at once
        assert abs(diff.mean()) <= K * diff.std() / math.sqrt(diff.size)


def test_symmetrised_g_has_no_near_field_divergence():
    """The 1/r³ and 1/r² parts cancel in F̂: its Ḡ sample grows like 1/r (finite variance with the
    r² of the volume element), the naive one like 1/r³."""
    tc = TwoClouds("gaussian", 2.0)
    p = (0.2, 0.9, 0.4)
    u = np.array([[1.0, 2.0, -0.5]])
    scales = np.array([1e-2, 1e-3, 1e-4, 1e-5])
    sym = np.array([symmetrised_samples(s * u, tc, "intra", p)[0, 2] for s in scales])
    naive = np.array([g_kernel(s * u, p)[0] for s in scales])
    np.testing.assert_allclose(sym[1:] / sym[:-1], 10.0, rtol=2e-2)
    np.testing.assert_allclose(naive[1:] / naive[:-1], 1000.0, rtol=2e-2)


def test_cube_intra_matches_naive_estimate():
    """Cube clouds: the symmetrised estimator against the plain mean of e^{iz}γ(r) from other draws."""
    est = mc_rates(1.5, shape="cube", samples=500_000, seed=4)
    tc = TwoClouds("cube", 1.5)
    r = tc.sample_pairs(1_000_000, make_rng(123), "intra")
    naive = np.cos(r[:, 2]) * gamma_kernel(r)
    err = math.hypot(est.gamma_bar_err.real, naive.std() / math.sqrt(naive.size))
    _agree(est.gamma_bar.real, err, naive.mean())


@pytest.mark.parametrize("kR, R_dir", [(0.8, (0, 0, 1)), (1.2, (1, 1, 0)), (5.0, (0, 0, 1))])
def test_cube_inter_matches_naive_estimate(kR, R_dir):
    """Overlapping and separate cubes: the weighted symmetrisation stays unbiased for Γ̄."""
    est = mc_rates(2.0, kR, R_dir, shape="cube", samples=500_000, seed=6)
    tc = TwoClouds("cube", 2.0, kR, R_dir)
    r = tc.sample_pairs(1_000_000, make_rng(321), "inter")
    naive = np.exp(1j * r[:, 2]) * gamma_kernel(r)
    for got, err, ref in ((est.gamma_bar.real, est.gamma_bar_err.real, naive.real),
                          (est.gamma_bar.imag, est.gamma_bar_err.imag, naive.imag)):
        _agree(got, math.hypot(err, ref.std() / math.sqrt(ref.size)), ref.mean())


def test_reproducible_by_seed_and_independent_of_thread_count():
    a = mc_rates(2.0, 5.0, samples=100_000, seed=3)
    b = mc_rates(2.0, 5.0, samples=100_000, seed=3)
    c = mc_rates(2.0, 5.0, samples=100_000, seed=4)
    assert a == b
    assert a.Gamma_ij != c.Gamma_ij
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = mc_rates(2.0, 5.0, samples=100_000, seed=3)
    finally:
        numba.set_num_threads(old)
    assert one == a


def test_relative_error_target_stops_early_or_says_it_did_not():
    met = mc_rates(1.0, samples=10**7, rel_err=0.01, seed=1)
    assert met.target_met and met.rel_err() <= 0.01 and met.n_samples < 10**7
    missed = mc_rates(30.0, samples=100_000, rel_err=1e-4, seed=1)
    assert missed.target_met is False and missed.n_samples >= 100_000


def test_standard_error_is_honest():
    """The batch standard error predicts the scatter of independent estimates (chi-square check)."""
    vals = [mc_rates(1.0, samples=20_000, seed=s) for s in range(40)]
    x = np.array([v.Gamma_ij for v in vals])
    e = np.array([v.Gamma_ij_err for v in vals])
    # sample variance of 40 estimates vs the mean squared reported error: ratio ~ 1 ± 0.23 (1σ)
    ratio = x.var(ddof=1) / np.mean(e**2)
    assert 0.4 < ratio < 1.8


@pytest.mark.parametrize("kwargs, match", [
    (dict(samples=10), "samples"), (dict(rel_err=-0.1), "rel_err"), (dict(p_hat=(0, 0, 0)), "p_hat"),
])
def test_bad_arguments(kwargs, match):
    args = dict(kL=1.0, samples=10_000)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mc_rates(**args)


@pytest.mark.slow
def test_asymptote_correction_resolved_at_kL_10():
    """Long run: at k_L L = 10 the O((k_L L)^-4) correction is resolved by the Monte Carlo."""
    est = estimate_pairs(TwoClouds("gaussian", 10.0), samples=2 * 10**8, seed=8)
    ga, _ = radial_intra(10.0, 0.0)
    _agree(est.Gamma_ij, est.Gamma_ij_err, ga)


def test_one_thread_and_the_threads_give_the_same_numbers():
    """Small batches run on one thread: the same fixed chunks, so the same numbers bit for bit."""
    from lehmberg.average import (_chunk_sums, _chunk_sums_serial, _general_sums,
                                  _general_sums_serial)

    r = np.random.default_rng(3).normal(size=(3000, 3)) * 2.0
    for args in [(1.0, 0.0, 0.0, 0, 0.0, 0.0, 0.0, 2.0, 0.0, 64),
                 (0.0, 0.6, 0.8, 1, 0.3, 0.0, 1.0, 6.0, 0.2, 64)]:
        assert np.array_equal(_chunk_sums(r, *args), _chunk_sums_serial(r, *args))
    for args in [(0.6, 0.0, 0.0, 0.0, 0.8, 0.0, 1, False, 1.0, 64),
                 (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, True, 0.0, 64)]:
        assert np.array_equal(_general_sums(r, *args), _general_sums_serial(r, *args))
