"""Plane-wave estimator against the quadrature reference, the paper's closed form, the
independent-pairs estimator and exact pair sums, within 4 standard errors."""

import math
import time

import numba
import numpy as np
import pytest

from lehmberg.average import mc_rates
from lehmberg import Geometry
from lehmberg.clouds import cloud_rates
from lehmberg.pairsum import fast_pair_sum
from lehmberg.planewave import planewave_rates, snapshot_pair_mean
from lehmberg.reference import reference_rates
from sampling import TwoClouds, make_rng

from _stats import K


def _agree(v, e, r, r_err=0.0):
    assert e > 0, (v, e)
    assert abs(v - r) <= K * math.hypot(e, r_err) + 1e-9 * abs(r_err), (v, e, r)


def _agree_complex(v, e, r, r_err=0j):
    _agree(v.real, e.real, r.real, r_err.real)
    if e.imag == 0.0 and r_err.imag == 0.0:  # inside one cloud: exactly real
        assert v.imag == 0.0 and abs(r.imag) <= 1e-12 * abs(r.real)
    else:
        _agree(v.imag, e.imag, r.imag, r_err.imag)


@pytest.mark.parametrize("kL", [0.5, 3.0, 30.0, 1e3])
@pytest.mark.parametrize("p_hat", [(1, 0, 0), (0, 0, 1), (1, 1, 1)])
def test_intra_gaussian_matches_reference(kL, p_hat):
    est = planewave_rates(kL, p_hat=p_hat, rel_err=0.003, seed=1)
    ref = reference_rates(kL, p_hat=p_hat)
    assert est.target_met
    _agree(est.gamma_bar.real, est.gamma_bar_err.real, ref.gamma_bar.real)
    _agree(est.g_bar.real, est.g_bar_err.real, ref.g_bar.real)
    _agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)
    _agree(est.G_ij, est.G_ij_err, ref.G_ij)
    # inside one cloud both are real (to rounding)
    assert abs(est.gamma_bar.imag) <= 1e-12 * abs(est.gamma_bar.real)
    assert abs(est.g_bar.imag) <= 1e-12 * abs(est.gamma_bar.real)


@pytest.mark.parametrize("kL", [1e4, 1e5, 1e6])
def test_intra_large_kL_matches_asymptote(kL):
    """Γ̄ = 3/(4(k_L L)²) (1 + O((k_L L)^−2)) for p̂ ⊥ k_L (after Eq. B7); the reference's cost grows like k_L L."""
    est = planewave_rates(kL, rel_err=0.002, seed=13)
    _agree(est.Gamma_ij, est.Gamma_ij_err, 0.75 / kL**2)


@pytest.mark.parametrize("kL, kR, R_dir, p_hat", [
    (1.0, 2.0, (0, 0, 1), (1, 0, 0)),
    (3.0, 10.0, (0, 0, 1), (1, 0, 0)),
    (3.0, 5.0, (0, 0, 1), (1, 1, 0)),
    (2.0, 3.0, (1, 0, 1), (0, 1, 0)),
    (30.0, 100.0, (0, 0, 1), (1, 0, 0)),
    (1e4, 1e4, (0, 0, 1), (1, 0, 0)),
    (3e3, 1e4, (0, 0, 1), (0, 1, 0)),
])
def test_inter_gaussian_matches_reference_including_off_shell_G(kL, kR, R_dir, p_hat):
    est = planewave_rates(kL, kR, R_dir=R_dir, p_hat=p_hat, rel_err=0.003, seed=2)
    ref = reference_rates(kL, kR, R_dir=R_dir, p_hat=p_hat)
    _agree_complex(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar)
    _agree_complex(est.g_bar, est.g_bar_err, ref.g_bar)
    _agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)
    _agree(est.G_ij, est.G_ij_err, ref.G_ij)


@pytest.mark.parametrize("kL, kR", [(1.0, 2.0), (3.0, 10.0), (10.0, 300.0), (1e5, 3e5), (1e6, 1e6)])
def test_inter_no_dipole_matches_paper_formula(kL, kR):
    est = planewave_rates(kL, kR, p_hat=None, rel_err=0.004, seed=3)
    z = kL**2 + 1j * kR
    ref = 3.0 / (4.0 * z) * (1.0 - np.exp(-2.0 * z))
    _agree_complex(est.gamma_bar, est.gamma_bar_err, ref)


def test_inter_ground_truth_G_against_pairs():
    """The off-shell Ḡ against the independent-pairs Monte Carlo (T_h symmetrised)."""
    est = planewave_rates(3.0, 10.0, rel_err=0.002, seed=4)
    mc = mc_rates(3.0, 10.0, samples=1_000_000, seed=4)
    _agree_complex(est.g_bar, est.g_bar_err, mc.g_bar, mc.g_bar_err)
    _agree(est.Gamma_ij, est.Gamma_ij_err, mc.Gamma_ij, mc.Gamma_ij_err)


@pytest.mark.parametrize("kL", [2.0, 10.0])
def test_cube_intra_against_pairs(kL):
    est = planewave_rates(kL, shape="cube", rel_err=0.002, seed=5)
    mc = mc_rates(kL, shape="cube", samples=1_000_000, seed=5)
    _agree(est.Gamma_ij, est.Gamma_ij_err, mc.Gamma_ij, mc.Gamma_ij_err)
    assert math.isnan(est.g_bar.real) and math.isnan(est.G_ij)


def test_cube_inter_gamma_bar_only():
    with pytest.raises(ValueError, match="Ḡ"):
        planewave_rates(5.0, 12.0, shape="cube")
    est = planewave_rates(5.0, 12.0, shape="cube", need_Gamma_ij=False, rel_err=0.003, seed=6)
    mc = mc_rates(5.0, 12.0, shape="cube", samples=1_000_000, seed=6)
    _agree_complex(est.gamma_bar, est.gamma_bar_err, mc.gamma_bar, mc.gamma_bar_err)
    assert math.isnan(est.Gamma_ij) and math.isnan(est.g_bar.imag)


@pytest.mark.parametrize("shape, kR", [("gaussian", None), ("cube", None), ("gaussian", 6.0),
                                       pytest.param("cube", 6.0, marks=pytest.mark.slow)])  # 10 s
def test_drawn_positions_against_closed_form(shape, kR):
    """Shapes without a closed form are served by drawn positions; check them where one exists."""
    drawn = planewave_rates(3.0, kR, shape=shape, average="drawn", rel_err=None,
                            max_directions=2**15, seed=7, need_Gamma_ij=False)
    closed = planewave_rates(3.0, kR, shape=shape, rel_err=0.002, seed=8, need_Gamma_ij=False)
    _agree_complex(drawn.gamma_bar, drawn.gamma_bar_err, closed.gamma_bar, closed.gamma_bar_err)


@pytest.mark.parametrize("kR", [None, 25.0])
def test_snapshot_structure_factor_sum_equals_exact_pair_sum(kR):
    """For fixed positions the direction integral of S_a S_b* reproduces the exact pair sum."""
    clouds = TwoClouds("gaussian", 10.0, kR or 0.0)
    a, b = clouds.realise(400, make_rng(9))
    b = None if kR is None else b
    sg, _, n = fast_pair_sum(a.T, None if b is None else b.T)
    v, e = snapshot_pair_mean(a, b, np.array([1.0, 0.0, 0.0]), 10.0, "gaussian", 2**16,
                              make_rng(10), batches=16)
    _agree(v[0], e[0], sg.real / n)
    if b is not None:
        _agree(v[1], e[1], sg.imag / n)


def test_realised_planewave_against_cloud_rates():
    """Same snapshots (same seed): the replica means differ only by direction noise."""
    pw = planewave_rates(5.0, atoms=300, replicas=16, max_directions=2**13, seed=11)
    cl = cloud_rates(Geometry(5.0), atoms=300, replicas=16, seed=11)
    assert pw.method == "planewave" and cl.method == "clouds"
    _agree(pw.Gamma_ij, pw.Gamma_ij_err, cl.Gamma_ij)


@pytest.mark.slow
def test_one_percent_within_ten_seconds_up_to_1e6():
    for kL, kR in [(1e5, None), (1e6, None), (1e5, 2e5), (1e6, 1e6), (10.0, None), (10.0, 30.0)]:
        t0 = time.perf_counter()
        est = planewave_rates(kL, kR, rel_err=0.01, seed=12)
        assert time.perf_counter() - t0 < 10.0
        assert est.target_met and est.rel_err() <= 0.01


def test_thread_count_independent_drawn():
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = planewave_rates(3.0, average="drawn", rel_err=None, max_directions=2**12, seed=1)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = planewave_rates(3.0, average="drawn", rel_err=None, max_directions=2**12, seed=1)
    finally:
        numba.set_num_threads(old)
    assert (one.gamma_bar, one.gamma_bar_err, one.Gamma_ij) == (two.gamma_bar, two.gamma_bar_err,
                                                                two.Gamma_ij)


def test_validation():
    with pytest.raises(ValueError, match="kL"):
        planewave_rates(-1.0)
    with pytest.raises(ValueError, match="max_directions"):
        planewave_rates(1.0, max_directions=10)
    with pytest.raises(ValueError, match="replicas"):
        planewave_rates(1.0, atoms=10, replicas=1)

