"""lehmberg.planewave.general_rates: Γ̄ (and Ḡ of Gaussians) of any cloud by direction
integrals, against the quadrature references, the paper-set-up plane-wave estimator,
brute-force independent pairs and large-k_L L limits, within K standard errors."""

import math

import numpy as np
import pytest
from _stats import K, agree, agree_complex, z_scores_std

from lehmberg import Cloud
from lehmberg.anisotropic import rates as aniso_rates
from lehmberg.planewave import general_rates, planewave_rates
from lehmberg.reference import reference_rates
from sampling import make_rng


def _rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _unit(v):
    v = np.asarray(v, dtype=complex)
    return v / math.sqrt(float(np.sum(np.abs(v) ** 2)))


def _agree_c(est, err, ref, ref_err=0j):
    """agree_complex, where an exactly real estimate (imaginary error 0) needs a real reference."""
    agree(est.real, err.real, ref.real, ref_err.real)
    if err.imag == 0.0:  # inside one cloud: exactly real, and so must the reference be
        assert est.imag == 0.0
        assert abs(ref.imag) <= max(1e-12 * abs(ref.real), K * ref_err.imag)
    else:
        agree(est.imag, err.imag, ref.imag, ref_err.imag)


def _gamma_kernel(r, p):
    """γ(r) of SPEC §9 with |p̂·r̂|² (complex p̂), series below x = 0.05, for test pairs."""
    x = np.linalg.norm(r, axis=-1)
    xs = np.where(x > 0, x, 1.0)
    pr = (r @ p.real) / xs
    pi = (r @ p.imag) / xs
    c2 = pr * pr + pi * pi
    small = x < 0.05
    x2 = x * x
    f1 = np.where(small, 1 - x2 / 6 + x2 * x2 / 120, np.sin(xs) / xs)
    f2 = np.where(small, -1 / 3 + x2 / 30 - x2 * x2 / 840,
                  np.cos(xs) / xs ** 2 - np.sin(xs) / xs ** 3)
    return 1.5 * ((1 - c2) * f1 + (1 - 3 * c2) * f2)


def _draw(cloud, n, rng):
    """n uniform positions in a box or cylinder Cloud (lab frame)."""
    L = np.asarray(cloud.kL)
    ax = np.asarray(cloud.axes)  # rows
    if cloud.shape == "box":
        local = (rng.random((n, 3)) - 0.5) * L
    else:
        rad = 0.5 * L[0] * np.sqrt(rng.random(n))
        ph = 2 * math.pi * rng.random(n)
        local = np.stack([rad * np.cos(ph), rad * np.sin(ph), (rng.random(n) - 0.5) * L[2]], axis=1)
    return local @ ax + np.asarray(cloud.centre)


def _pairs(a, b, k, p, n=2**15, batches=32, seed=0):
    """Brute-force i.i.d. pairs of E[e^{ik̂·r} γ(r)] (γ is bounded: honest batch errors)."""
    vals = []
    for bi in range(batches):
        rng = make_rng(seed, 99, bi)
        ri = _draw(a, n, rng)
        rj = _draw(a if b is None else b, n, rng)
        r = ri - rj
        vals.append(np.mean(np.exp(1j * (r @ k)) * _gamma_kernel(r, p)))
    vals = np.array(vals)
    err = complex(vals.real.std(ddof=1), vals.imag.std(ddof=1)) / math.sqrt(batches)
    return complex(vals.mean()), err


# --------------------------------------------------------------------- the paper's set-ups

@pytest.mark.parametrize("kL", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("p_hat", [(1, 0, 0), None])
def test_isotropic_gaussian_equals_reference(kL, p_hat):
    est = general_rates(Cloud(kL=kL), p_hat=p_hat, rel_err=0.01, seed=3)
    ref = reference_rates(kL, p_hat=p_hat)
    assert est.target_met and est.method == "planewave"
    _agree_c(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err)
    _agree_c(est.g_bar, est.g_bar_err, ref.g_bar, ref.g_bar_err)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij, ref.Gamma_ij_err)


@pytest.mark.parametrize("kL, kR, R_dir", [(10.0, 60.0, (0, 0, 1)), (3.0, 5.0, (1, 0, 1))])
def test_isotropic_gaussian_inter_equals_reference(kL, kR, R_dir):
    d = np.asarray(R_dir, float) / np.linalg.norm(R_dir)
    est = general_rates(Cloud(kL=kL), Cloud(kL=kL, centre=tuple(kR * d)), rel_err=0.01, seed=4)
    ref = reference_rates(kL, kR, R_dir)
    assert est.target_met
    agree_complex(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err)
    agree_complex(est.g_bar, est.g_bar_err, ref.g_bar, ref.g_bar_err)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij, ref.Gamma_ij_err)


@pytest.mark.parametrize("kL", [3.0, 100.0, 1e5])
def test_box_with_equal_sides_is_the_cube(kL):
    est = general_rates(Cloud(shape="box", kL=kL), rel_err=0.005, seed=5)
    ref = planewave_rates(kL, shape="cube", rel_err=0.005, seed=6)
    assert est.target_met and ref.target_met
    _agree_c(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err)
    assert math.isnan(est.g_bar.real) and est.Gamma_ij == est.gamma_bar.real


def test_box_inter_is_the_cube_inter():
    kL, kR = 20.0, 150.0
    est = general_rates(Cloud(shape="box", kL=kL), Cloud(shape="box", kL=kL, centre=(0, 0, kR)),
                        rel_err=0.01, seed=7)
    ref = planewave_rates(kL, kR, shape="cube", rel_err=0.01, seed=8, need_Gamma_ij=False)
    agree_complex(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar, ref.gamma_bar_err)
    assert math.isnan(est.Gamma_ij) and math.isnan(est.g_bar.imag)  # Γ_ij needs Ḡ


# --------------------------------------------------------------------- anisotropic Gaussians

_P = _unit([1.0, 0.7j, 0.3 - 0.2j])
_K = np.array([0.3, -0.4, 1.0]) / math.sqrt(1.25)
_GAUSS = [
    dict(cloud_a=Cloud(kL=(8, 12, 40), axes=_rotation(1).T)),
    dict(cloud_a=Cloud(kL=(300, 200, 900), axes=_rotation(2).T)),
    dict(cloud_a=Cloud(kL=(6, 9, 20), axes=_rotation(3).T, waist=8.0)),
    dict(cloud_a=Cloud(kL=(8, 12, 30), axes=_rotation(4).T),
         cloud_b=Cloud(kL=(10, 9, 20), axes=_rotation(5).T, centre=(5, -3, 60))),
    dict(cloud_a=Cloud(kL=(2, 3, 4), axes=_rotation(6).T, centre=(1, 1, 1), waist=3.0),
         cloud_b=Cloud(kL=(3, 2, 5), axes=_rotation(7).T, centre=(-2, 4, 9), waist=4.0)),
]


def _aniso(a, b=None, k=_K, p=_P):
    kw = dict(k_hat=k, p_hat=p, waist_a=a.waist, centre_a=a.centre)
    if b is not None:
        kw.update(cov_b=b.covariance(), centre_b=b.centre, waist_b=b.waist)
    return aniso_rates(a.covariance(), **kw)


@pytest.mark.parametrize("case", range(len(_GAUSS)))
def test_anisotropic_gaussian_equals_quadrature(case):
    kw = _GAUSS[case]
    est = general_rates(k_hat=_K, p_hat=_P, max_directions=2**17, seed=10 + case, **kw)
    ref = _aniso(kw["cloud_a"], kw.get("cloud_b"))
    assert ref.target_met and est.gamma_bar_err.real < 0.05 * abs(est.gamma_bar)
    _agree_c(est.gamma_bar, est.gamma_bar_err, ref.gamma_bar)
    _agree_c(est.g_bar, est.g_bar_err, ref.g_bar)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij)
    if kw["cloud_a"].waist is not None:
        assert est.eta[0] == pytest.approx(ref.eta_a, rel=1e-12)


# --------------------------------------------------------------------- boxes and cylinders

_BC = [
    dict(cloud_a=Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=_rotation(11).T)),
    dict(cloud_a=Cloud(shape="cylinder", kL=(3.0, 3.0, 2.0), axes=_rotation(12).T)),
    dict(cloud_a=Cloud(shape="box", kL=(2.0, 2.5, 3.0), axes=_rotation(13).T),
         cloud_b=Cloud(shape="cylinder", kL=(2.0, 2.0, 3.0), axes=_rotation(14).T,
                       centre=(1.0, -0.5, 4.0))),
    dict(cloud_a=Cloud(shape="cylinder", kL=(4.0, 4.0, 2.0)),      # probe along the axis
         cloud_b=Cloud(shape="cylinder", kL=(4.0, 4.0, 2.0), centre=(0.0, 0.0, 3.0))),
]


@pytest.mark.parametrize("case", range(len(_BC)))
def test_box_and_cylinder_equal_pairs(case):
    kw = _BC[case]
    k = _K if case < 3 else np.array([0.0, 0.0, 1.0])
    p = _P if case != 1 else _unit([0.2, 1.0, 0.5])
    est = general_rates(k_hat=k, p_hat=p, rel_err=0.003, seed=20 + case, **kw)
    ref, ref_err = _pairs(kw["cloud_a"], kw.get("cloud_b"), k, p, seed=case)
    assert est.target_met
    if "cloud_b" not in kw:
        assert est.gamma_bar.imag == 0.0
        agree(est.gamma_bar.real, est.gamma_bar_err.real, ref.real, ref_err.real)
    else:
        agree_complex(est.gamma_bar, est.gamma_bar_err, ref, ref_err)


@pytest.mark.parametrize("sizes, axis, expected", [
    ((1e5, 2e5, 3e5), 2, lambda L: 1.5 * math.pi / (L[0] * L[1])),        # box: (3π/2)/area
    ((1e5, 1e5, 3e5), 2, lambda L: 6.0 / L[0] ** 2),                       # cylinder along k̂
    ((1e5, 1e5, 3e5), 1, lambda L: 16.0 / (math.pi * L[0] * L[2])),        # cylinder across
])
def test_vapour_cell_reaches_the_large_kL_limit(sizes, axis, expected):
    """k_L L = 1e5: Γ̄ → (2π)²(3/8π)∫n⊥² d²x (Parseval), O(1/k_L L) corrections; 1% in few
    directions (bounded weights)."""
    shape = "box" if sizes[0] != sizes[1] else "cylinder"
    Q = _rotation(30 + axis)
    k = Q[:, axis]                                   # along the cloud's axis ``axis``
    p = Q[:, 0] if axis != 0 else Q[:, 1]            # ⊥ k̂: 1 − |p̂·q̂|² → 1 forward
    est = general_rates(Cloud(shape=shape, kL=sizes, axes=Q.T), k_hat=k, p_hat=p,
                        rel_err=0.01, seed=40 + axis)
    assert est.target_met and est.n_samples <= 2 * 32 * 1024
    agree(est.gamma_bar.real, est.gamma_bar_err.real, expected(sizes), 1e-4 * expected(sizes))


def test_rotation_of_the_whole_set_up_changes_nothing():
    a = Cloud(shape="box", kL=(30.0, 40.0, 60.0), axes=_rotation(50).T)
    b = Cloud(shape="cylinder", kL=(35.0, 35.0, 50.0), axes=_rotation(51).T, centre=(10, 0, 120))
    k, p = _K, _P
    est = general_rates(a, b, k_hat=k, p_hat=p, max_directions=2**17, seed=52)
    Q = _rotation(53)
    rot = lambda c: Cloud(shape=c.shape, kL=c.kL, axes=np.asarray(c.axes) @ Q.T,  # noqa: E731
                          centre=tuple(Q @ np.asarray(c.centre)))
    est2 = general_rates(rot(a), rot(b), k_hat=Q @ k, p_hat=Q @ p, max_directions=2**17,
                         seed=54)
    agree_complex(est.gamma_bar, est.gamma_bar_err, est2.gamma_bar, est2.gamma_bar_err)
    g = Cloud(kL=(20.0, 30.0, 50.0), axes=_rotation(55).T)
    e1 = general_rates(g, k_hat=k, p_hat=p, max_directions=2**17, seed=56)
    e2 = general_rates(rot(g), k_hat=Q @ k, p_hat=Q @ p, max_directions=2**17, seed=57)
    agree(e1.gamma_bar.real, e1.gamma_bar_err.real, e2.gamma_bar.real, e2.gamma_bar_err.real)
    agree(e1.g_bar.real, e1.g_bar_err.real, e2.g_bar.real, e2.g_bar_err.real)


# --------------------------------------------------------------------- honest error bars

def _z(kw, truth, seeds, part="gamma"):
    z = []
    for s in seeds:
        est = general_rates(max_directions=32 * 256, batch_size=256, seed=s, **kw)
        v, e = (est.gamma_bar, est.gamma_bar_err) if part == "gamma" else (est.g_bar, est.g_bar_err)
        z.append((v.real - truth.real) / e.real)
        if e.imag > 0:
            z.append((v.imag - truth.imag) / e.imag)
    return z


def _z_cases():
    Q = _rotation(60)
    box = dict(cloud_a=Cloud(shape="box", kL=12.0, axes=Q.T), k_hat=Q[:, 1], p_hat=Q[:, 2])
    gauss = dict(cloud_a=Cloud(kL=(6, 9, 20), axes=_rotation(61).T),
                 cloud_b=Cloud(kL=(7, 6, 15), axes=_rotation(62).T, centre=(3, 2, 30)),
                 k_hat=_K, p_hat=_P)
    return box, gauss


def _check_z(z):
    z = np.asarray(z)
    s = z_scores_std(list(z))
    assert 0.85 <= s <= 1.15, s
    assert abs(z.mean()) <= K * s / math.sqrt(len(z)), z.mean()


def _z_all(seeds):
    box, gauss = _z_cases()
    # the cube's truth: the paper-set-up estimator (independent code) to 2e-4; in the cube's
    # frame k̂ = axis 2 and p̂ = axis 3, a cube symmetry away from k̂ = ẑ, p̂ = x̂; its error is
    # ~5% of one run's
    truth = planewave_rates(12.0, shape="cube", p_hat=(1, 0, 0), rel_err=2e-4, seed=63)
    ref = _aniso(gauss["cloud_a"], gauss["cloud_b"])
    return (_z(box, truth.gamma_bar, seeds), _z(gauss, ref.gamma_bar, seeds),
            _z(gauss, ref.g_bar, seeds, "g"))


def test_z_scores_over_seeds():
    for z in _z_all(range(100)):
        _check_z(z)


@pytest.mark.slow
def test_z_scores_over_many_seeds():
    for z in _z_all(range(1000, 2000)):
        _check_z(z)


# --------------------------------------------------------------------- input and outputs

def test_box_has_no_g_and_intra_is_real():
    est = general_rates(Cloud(shape="cylinder", kL=(5, 5, 8), axes=_rotation(70).T), k_hat=_K,
                        p_hat=_P, max_directions=2**15)
    assert est.gamma_bar.imag == 0.0 and est.gamma_bar_err.imag == 0.0
    assert math.isnan(est.g_bar.real) and est.Gamma_ij == est.gamma_bar.real
    assert est.methods["g_bar"] is None and est.n_samples == 2**15 and est.target_met is None
    g = general_rates(Cloud(kL=5), Cloud(shape="box", kL=5, centre=(0, 0, 10)), max_directions=2**15)
    assert math.isnan(g.g_bar.real) and math.isnan(g.Gamma_ij) and g.gamma_bar_err.imag > 0


def test_seeded_and_progress():
    calls = []
    a = general_rates(Cloud(shape="box", kL=(3, 4, 5)), max_directions=2**15, seed=9,
                      progress=lambda d, c: calls.append((d, c)))
    b = general_rates(Cloud(shape="box", kL=(3, 4, 5)), max_directions=2**15, seed=9)
    c = general_rates(Cloud(shape="box", kL=(3, 4, 5)), max_directions=2**15, seed=10)
    assert a.gamma_bar == b.gamma_bar != c.gamma_bar
    assert calls[-1] == (2**15, 2**15) and len(calls) == 32


@pytest.mark.parametrize("kw, exc, name", [
    (dict(cloud_a=Cloud(shape="box", kL=5, waist=3.0)), ValueError, "waist"),
    (dict(cloud_a=Cloud(kL=5), cloud_b=Cloud(shape="cylinder", kL=5, waist=2.0)), ValueError,
     "waist"),
    (dict(cloud_a=Cloud(kL=5), k_hat=(0, 0, 0)), ValueError, "k_hat"),
    (dict(cloud_a=Cloud(kL=5), p_hat=(1, 2)), (ValueError, TypeError), "p_hat"),
    (dict(cloud_a=Cloud(kL=5), rel_err=-0.1), ValueError, "rel_err"),
    (dict(cloud_a=Cloud(kL=5), rel_err=0.1, g_rel_err=0.0), ValueError, "g_rel_err"),
    (dict(cloud_a=Cloud(kL=5), max_directions=10), ValueError, "max_directions"),
    (dict(cloud_a=(5.0, 5.0, 5.0)), TypeError, "cloud_a"),
    (dict(cloud_a=Cloud(kL=5), cloud_b="box"), TypeError, "cloud_b"),
])
def test_bad_input_names_the_parameter(kw, exc, name):
    with pytest.raises(exc, match=name):
        general_rates(**kw)
