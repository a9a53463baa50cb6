"""Independent pairs and realised clouds of every geometry (SPEC §9), through the face.

Each estimate is compared with an independent computation: the deterministic direction-integral
reference of Gaussian clouds (``lehmberg.anisotropic``), the plane waves of boxes and cylinders
(``lehmberg.planewave.general_rates``, Γ̄), the paper's symmetrised pairs (Ḡ of a cube), the
pairs themselves where nothing else gives Ḡ (realised clouds of boxes), a NumPy brute force of
one snapshot, and the exact identities (complex dipole, rotations).  Error bars are tested by
z-scores over seeds.
"""

import math

import numpy as np
import pytest

import lehmberg
from lehmberg import Cloud, Geometry, clouds
from lehmberg.average import general_pair, mc_rates, pair_rates
from lehmberg.estimators import execute, plan_cost
from lehmberg.planewave import general_rates
from sampling import STREAMS, make_rng

from _stats import agree, z_scores_std


def _rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


SIGMA_PLUS = (-1 / math.sqrt(2), -1j / math.sqrt(2), 0.0)

GAUSSIAN = {
    "cigar along the probe": Geometry.of(Cloud(kL=(2.0, 2.0, 6.0))),
    "cigar across the probe": Geometry.of(Cloud(kL=(2.0, 2.0, 6.0)), probe=(1, 0, 0), p_hat=(0, 1, 0)),
    "tilted, sigma+": Geometry.of(Cloud(kL=(2.0, 3.0, 5.0), axes=_rotation(1)), p_hat=SIGMA_PLUS),
    "inter with an offset": Geometry.of(
        Cloud(kL=(2.0, 3.0, 4.0), axes=_rotation(2)),
        Cloud(kL=(3.0, 2.0, 2.5), axes=_rotation(3), centre=(1.0, -0.5, 4.0)),
        probe=_rotation(4)[:, 0], p_hat=SIGMA_PLUS),
    "waist": Geometry.of(Cloud(kL=(2.0, 3.0, 4.0), axes=_rotation(5), waist=2.5), p_hat=(0, 1, 1j)),
    "inter with waists": Geometry.of(
        Cloud(kL=(2.0, 3.0, 4.0), axes=_rotation(6), waist=2.5),
        Cloud(kL=(3.0, 2.0, 2.0), axes=_rotation(7), centre=(0.5, 0.5, 2.0), waist=3.0),
        p_hat=SIGMA_PLUS),
}

UNIFORM = {
    "box, rotated": Geometry.of(Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=_rotation(11))),
    "cylinder, tilted probe": Geometry.of(Cloud(shape="cylinder", kL=(3.0, 3.0, 2.0), axes=_rotation(12)),
                                          probe=_rotation(13)[:, 1], p_hat=SIGMA_PLUS),
    "boxes with common axes": Geometry.of(
        Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=_rotation(14)),
        Cloud(shape="box", kL=(3.0, 2.0, 3.0), axes=_rotation(14), centre=(0.5, 0.3, 1.5))),
    "coaxial cylinders": Geometry.of(
        Cloud(shape="cylinder", kL=(3.0, 3.0, 2.0), axes=_rotation(15)),
        Cloud(shape="cylinder", kL=(2.0, 2.0, 4.0), axes=_rotation(15), centre=(0.4, 0.3, 1.5)),
        p_hat=SIGMA_PLUS),
    "box and cylinder apart": Geometry.of(
        Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=_rotation(16)),
        Cloud(shape="cylinder", kL=(2.0, 2.0, 3.0), axes=_rotation(17), centre=(1.0, 0.0, 8.0))),
}


def _agree(est, ref, q):
    """One complex quantity of an estimate against a reference: both parts, combined errors;
    a part the estimator makes exactly zero (inside one cloud) must be zero in the reference."""
    v, e = getattr(est, q), getattr(est, q + "_err")
    r, re_ = getattr(ref, q), getattr(ref, q + "_err")
    agree(v.real, e.real, r.real, re_.real)
    if e.imag > 0:
        agree(v.imag, e.imag, r.imag, re_.imag)
    else:
        assert v.imag == 0.0 and abs(r.imag) <= 4.0 * re_.imag + 1e-15, (q, v, r)


def _agree_rates(est, ref, g=True):
    """Γ̄ (and Ḡ) of an estimate against a reference."""
    for q in ("gamma_bar", "g_bar") if g else ("gamma_bar",):
        _agree(est, ref, q)


# ----------------------------------------------------------------------------- independent pairs

@pytest.mark.parametrize("name", list(GAUSSIAN))
def test_pairs_of_gaussian_clouds_agree_with_the_reference(name):
    geo = GAUSSIAN[name]
    est = lehmberg.rates(geo, "pairs", samples=2**18, seed=1)
    ref = lehmberg.rates(geo, "reference")
    assert est.methods["Gamma_ij"] == "pairs" and est.notes[0].startswith("Ḡ: pairs closer")
    _agree_rates(est, ref)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij, ref.Gamma_ij_err)
    if geo.II is None:  # inside one cloud r and −r are equally likely: real, exactly
        assert est.gamma_bar.imag == est.g_bar.imag == 0.0
    if ref.eta is not None:
        assert est.eta == pytest.approx(ref.eta, rel=1e-12)


@pytest.mark.parametrize("name", list(UNIFORM))
def test_pairs_of_boxes_and_cylinders_agree_with_the_plane_waves(name):
    geo = UNIFORM[name]
    est = lehmberg.rates(geo, "pairs", samples=2**18, seed=2)
    pw = general_rates(geo.I, geo.II, k_hat=geo.probe, p_hat=geo.p_hat, rel_err=0.003, seed=2)
    _agree_rates(est, pw, g=False)
    assert math.isfinite(est.g_bar.real) and est.g_bar_err.real > 0


@pytest.mark.parametrize("kR", [None, 1.5])
def test_g_bar_of_a_cube_by_the_general_pairs_agrees_with_the_symmetrised_pairs(kR):
    """Ḡ of the paper's cube by two different estimators: near pairs by their exact expectation
    (the general path) and the paper's T_h symmetrisation of every sample."""
    kL = 2.0
    geo = Geometry(kL, kR, R_dir=(0.6, 0.0, 0.8), shape="cube")
    general = pair_rates(geo, samples=2**18, seed=3)
    paper = mc_rates(kL, kR, (0.6, 0.0, 0.8), shape="cube", samples=2**18, seed=4)
    _agree_rates(general, paper)


def test_complex_dipole_identity_on_the_same_pairs():
    """p̂ = a + ib: rates(p̂) = |a|² rates(â) + |b|² rates(b̂) (every kernel is linear in
    Re(p̂p̂†)); the pairs use the same separations for every dipole, so it holds to rounding."""
    a, b = np.array([0.8, 0.0, 0.0]), np.array([0.0, 0.36, 0.48])
    p = a + 1j * b
    base = dict(I=Cloud(kL=(2.0, 3.0, 4.0), axes=_rotation(21)),
                II=Cloud(kL=(2.0, 2.0, 3.0), centre=(0.5, 0.0, 3.0)))
    out = {}
    for key, dip in (("p", p), ("a", a), ("b", b)):
        out[key] = pair_rates(Geometry.of(base["I"], base["II"], probe=(0, 0.6, 0.8), p_hat=dip),
                              samples=2**15, seed=5)
    for q in ("gamma_bar", "g_bar"):
        want = 0.64 * getattr(out["a"], q) + 0.36 * getattr(out["b"], q)
        assert abs(getattr(out["p"], q) - want) <= 1e-12 * abs(want)


def test_a_rotation_of_the_whole_set_up_changes_nothing():
    """Boxes, probe, dipole and centres turned together: the same random offsets turn with them,
    so the estimate agrees to rounding."""
    Q = _rotation(30)
    A = _rotation(31)
    I = Cloud(shape="box", kL=(2.0, 3.0, 4.0), axes=A)
    II = Cloud(shape="box", kL=(3.0, 2.0, 2.0), axes=A, centre=(0.5, 0.2, 2.0))
    k, p = np.array([0.0, 0.6, 0.8]), np.array([1.0, 0.5j, 0.0])

    def turned(c):
        return Cloud(shape=c.shape, kL=c.kL, axes=np.asarray(c.axes) @ Q.T, centre=Q @ c.centre)

    one = pair_rates(Geometry.of(I, II, probe=k, p_hat=p), samples=2**15, seed=6)
    two = pair_rates(Geometry.of(turned(I), turned(II), probe=Q @ k, p_hat=Q @ p), samples=2**15,
                     seed=6)
    for q in ("gamma_bar", "g_bar"):
        assert abs(getattr(one, q) - getattr(two, q)) <= 1e-9 * abs(getattr(one, q))


def test_pairs_error_bars_are_honest_over_seeds():
    """z-scores of 16 seeds against the reference: mean near 0, spread near 1 (for 16 values
    the sample standard deviation of honest z-scores is 1 ± 0.18; bounds ±2.5 of that)."""
    geo = GAUSSIAN["inter with waists"]
    ref = lehmberg.rates(geo, "reference")
    z = {q: [] for q in ("Gr", "Gi", "gr", "gi")}
    for s in range(16):
        e = pair_rates(geo, samples=2**13, seed=100 + s, batch_size=256)
        z["Gr"].append((e.gamma_bar.real - ref.gamma_bar.real) / e.gamma_bar_err.real)
        z["Gi"].append((e.gamma_bar.imag - ref.gamma_bar.imag) / e.gamma_bar_err.imag)
        z["gr"].append((e.g_bar.real - ref.g_bar.real) / e.g_bar_err.real)
        z["gi"].append((e.g_bar.imag - ref.g_bar.imag) / e.g_bar_err.imag)
    for q, zs in z.items():
        assert 0.55 <= z_scores_std(zs) <= 1.45, (q, zs)
        assert abs(np.mean(zs)) <= 4.0 / math.sqrt(16), (q, zs)


def _honest(values, errors, ref, ref_err, lo, hi):
    """Error bars of runs over seeds against a reference that has its own error: the spread of
    the z-scores (v − ref)/err (the reference's error shifts them all alike, which leaves the
    spread alone) within [lo, hi], and the mean of the runs agrees with the reference within
    their combined standard errors."""
    v, e = np.asarray(values), np.asarray(errors)
    assert lo <= z_scores_std(list((v - ref) / e)) <= hi
    agree(float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), ref, ref_err)


def _box_runs(n_seeds, samples, batch, first):
    """Γ̄ of two boxes (against the plane waves) and Ḡ of an offset cube (a box law with kinks
    in the near ball, against the paper's symmetrised pairs): values and errors per seed."""
    boxes = UNIFORM["boxes with common axes"]
    cube = Geometry(2.0, 1.5, R_dir=(0.6, 0.0, 0.8), shape="cube")
    out = {"G": ([], []), "g": ([], [])}
    for s in range(n_seeds):
        e = pair_rates(boxes, samples=samples, seed=first + s, batch_size=batch, with_g=False)
        out["G"][0].append(e.gamma_bar.real)
        out["G"][1].append(e.gamma_bar_err.real)
        c = pair_rates(cube, samples=samples, seed=first + 1000 + s, batch_size=batch)
        out["g"][0].append(c.g_bar.real)
        out["g"][1].append(c.g_bar_err.real)
    return boxes, out


def test_pairs_error_bars_of_boxes_are_honest_over_seeds():
    """Boxes, 16 seeds: spread bounds as above."""
    boxes, runs = _box_runs(16, 2**13, 256, 300)
    pw = general_rates(boxes.I, boxes.II, k_hat=boxes.probe, p_hat=boxes.p_hat, rel_err=0.001,
                       seed=7)
    sym = mc_rates(2.0, 1.5, (0.6, 0.0, 0.8), shape="cube", samples=2**21, seed=8)
    _honest(*runs["G"], pw.gamma_bar.real, pw.gamma_bar_err.real, 0.55, 1.45)
    _honest(*runs["g"], sym.g_bar.real, sym.g_bar_err.real, 0.55, 1.45)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tilted, sigma+", "inter with waists"])
def test_pairs_error_bars_over_many_seeds(name):
    geo = GAUSSIAN[name]
    ref = lehmberg.rates(geo, "reference")
    z = {"G": [], "g": []}
    for s in range(200):
        e = pair_rates(geo, samples=2**14, seed=1000 + s, batch_size=512)
        z["G"].append((e.gamma_bar.real - ref.gamma_bar.real) / e.gamma_bar_err.real)
        z["g"].append((e.g_bar.real - ref.g_bar.real) / e.g_bar_err.real)
    for q, zs in z.items():
        assert 0.85 <= z_scores_std(zs) <= 1.15, (q, z_scores_std(zs))
        assert abs(np.mean(zs)) <= 4.0 / math.sqrt(200)


@pytest.mark.slow
def test_pairs_error_bars_of_boxes_over_many_seeds():
    boxes, runs = _box_runs(200, 2**14, 512, 3000)
    pw = general_rates(boxes.I, boxes.II, k_hat=boxes.probe, p_hat=boxes.p_hat, rel_err=3e-4,
                       seed=7)
    sym = mc_rates(2.0, 1.5, (0.6, 0.0, 0.8), shape="cube", samples=2**24, seed=8)
    _honest(*runs["G"], pw.gamma_bar.real, pw.gamma_bar_err.real, 0.85, 1.15)
    _honest(*runs["g"], sym.g_bar.real, sym.g_bar_err.real, 0.85, 1.15)


# ----------------------------------------------------------------------------- realised clouds

@pytest.mark.parametrize("name", ["tilted, sigma+", "inter with an offset", "inter with waists"])
def test_realised_clouds_of_gaussians_agree_with_the_reference(name):
    geo = GAUSSIAN[name]
    est = lehmberg.rates(geo, atoms=200, replicas=24, seed=7)   # auto: realised clouds
    ref = lehmberg.rates(geo, "reference")
    assert est.method == "clouds" and est.notes[0].startswith("engine: ")
    _agree_rates(est, ref)
    agree(est.Gamma_ij, est.Gamma_ij_err, ref.Gamma_ij, ref.Gamma_ij_err)


@pytest.mark.parametrize("name", ["box, rotated", "coaxial cylinders", "box and cylinder apart"])
def test_realised_boxes_and_cylinders_agree_with_plane_waves_and_pairs(name):
    """Γ̄ against the plane waves, Ḡ against the independent pairs (no other Ḡ of these)."""
    geo = UNIFORM[name]
    est = lehmberg.rates(geo, "clouds", atoms=200, replicas=24, seed=8, with_g=True)
    pw = general_rates(geo.I, geo.II, k_hat=geo.probe, p_hat=geo.p_hat, rel_err=0.003, seed=8)
    pairs = pair_rates(geo, samples=2**18, seed=8)
    _agree_rates(est, pw, g=False)
    _agree(est, pairs, "g_bar")


def _snapshot_brute_force(geo, N, seed, replica):
    """One replica's (Γ̄, Ḡ) pair means from the documented stream, by NumPy and SPEC §9's
    kernels with s = |p̂·r̂|² (no engine, no frame, no dipole decomposition)."""
    from sampling import make_cloud, probe_weight

    gp = general_pair(geo)
    rng = make_rng(seed, STREAMS["clouds"][gp.which], 1, replica)
    cl = [make_cloud(c.shape, c.kL, c.centre, axes=c.axes) for c in
          ([geo.I] if geo.II is None else [geo.I, geo.II])]
    pos = [c.sample(N, rng) for c in cl]
    src = [geo.I] if geo.II is None else [geo.I, geo.II]
    u = [np.ones(N) if c.waist is None else probe_weight(x, c.centre, geo.probe, c.waist)
         for x, c in zip(pos, src)]
    a, b = pos[0], pos[-1]
    r = a[:, None, :] - b[None, :, :]
    w = u[0][:, None] * u[-1][None, :]
    keep = ~np.eye(N, dtype=bool) if geo.II is None else np.ones((N, N), dtype=bool)
    r, w = r[keep], w[keep]
    x = np.linalg.norm(r, axis=1)
    p = np.asarray(geo.p_hat, dtype=complex)
    s = np.abs((r / x[:, None]) @ p) ** 2
    gam = 1.5 * ((1 - s) * np.sin(x) / x + (1 - 3 * s) * (np.cos(x) / x**2 - np.sin(x) / x**3))
    g = 1.5 * (-(1 - s) * np.cos(x) / x + (1 - 3 * s) * (np.sin(x) / x**2 + np.cos(x) / x**3))
    ph = np.exp(1j * (r @ np.asarray(geo.probe))) * w / (r.shape[0] * gp.norm)
    return np.sum(ph * gam), np.sum(ph * g)


@pytest.mark.parametrize("engine", clouds.ENGINES)
def test_one_snapshot_equals_the_brute_force_sum(engine):
    """Complex dipole, tilted probe, waists: the snapshot Γ̄ of both engines equals the NumPy
    brute-force pair mean of the same atoms (two replicas: the replica mean), and Ḡ's raw
    snapshot mean is the brute-force one (the near pairs moved to their expectation shift the
    reported Ḡ by a known amount)."""
    geo = Geometry.of(Cloud(kL=(2.0, 3.0, 4.0), axes=_rotation(40), waist=2.5),
                      Cloud(kL=(3.0, 2.0, 2.0), centre=(0.5, 0.5, 2.0), waist=3.0),
                      probe=(0.0, 0.6, 0.8), p_hat=SIGMA_PLUS)
    plan = clouds.plan(geo, 60, 2, engine=engine, with_g=True)
    est = clouds.cloud_rates(geo, plan, seed=9)
    bf = [_snapshot_brute_force(geo, 60, 9, r) for r in range(2)]
    gam = np.mean([x[0] for x in bf])
    assert abs(est.gamma_bar - gam) <= 1e-8 * abs(gam)
    raw = complex(est.notes[1].split("raw snapshot mean (")[1].split(")")[0])
    g = np.mean([x[1] for x in bf])
    assert abs(raw - g) <= 1e-5 * abs(g)   # the note's 6 digits


def test_the_two_engines_agree_on_the_same_atoms():
    geo = UNIFORM["boxes with common axes"]
    geo = Geometry.of(geo.I, geo.II, probe=(0.0, 0.6, 0.8), p_hat=SIGMA_PLUS)
    a = clouds.cloud_rates(geo, clouds.plan(geo, 300, 2, engine="pairs", with_g=True), seed=10)
    b = clouds.cloud_rates(geo, clouds.plan(geo, 300, 2, engine="structure", with_g=True), seed=10)
    for q in ("gamma_bar", "g_bar"):
        assert abs(getattr(a, q) - getattr(b, q)) <= 1e-7 * abs(getattr(a, q))


def test_realised_cloud_error_bars_are_honest_over_seeds():
    """12 seeds of 16 replicas against the reference (z-scores of a 15-dof t law: spread
    1.07 ± 0.23 for 12 values; honest bounds ±2.5 of that)."""
    geo = GAUSSIAN["tilted, sigma+"]
    ref = lehmberg.rates(geo, "reference")
    zg, zG = [], []
    for s in range(12):
        e = lehmberg.rates(geo, "clouds", atoms=60, replicas=16, seed=200 + s, with_g=True)
        zg.append((e.gamma_bar.real - ref.gamma_bar.real) / e.gamma_bar_err.real)
        zG.append((e.g_bar.real - ref.g_bar.real) / e.g_bar_err.real)
    for zs in (zg, zG):
        assert 0.5 <= z_scores_std(zs) <= 1.65, zs
        assert abs(np.mean(zs)) <= 4.0 / math.sqrt(12), zs


@pytest.mark.slow
def test_realised_cloud_error_bars_over_many_seeds():
    geo = GAUSSIAN["inter with waists"]
    ref = lehmberg.rates(geo, "reference")
    z = {"G": [], "g": []}
    for s in range(200):
        e = lehmberg.rates(geo, "clouds", atoms=60, replicas=32, seed=5000 + s, with_g=True)
        z["G"].append((e.gamma_bar.real - ref.gamma_bar.real) / e.gamma_bar_err.real)
        z["g"].append((e.g_bar.real - ref.g_bar.real) / e.g_bar_err.real)
    for q, zs in z.items():  # 31-dof t law: spread √(31/29) = 1.03
        assert 0.85 <= z_scores_std(zs) <= 1.2, (q, z_scores_std(zs))
        assert abs(np.mean(zs)) <= 4.0 / math.sqrt(200)


# ----------------------------------------------------------------------------- the face

def test_the_paper_set_up_given_as_clouds_keeps_the_shorthand_numbers():
    """Geometry.of of the paper's clouds is the shorthand: the same paper estimators run."""
    of = Geometry.of(Cloud(kL=3.0), Cloud(kL=3.0, centre=(0.0, 0.0, 5.0)))
    short = Geometry(3.0, 5.0)
    for kw in (dict(method="pairs", samples=4096), dict(atoms=40, replicas=2, with_g=True)):
        a, b = lehmberg.rates(of, seed=3, **kw), lehmberg.rates(short, seed=3, **kw)
        assert (a.gamma_bar, a.g_bar, a.gamma_bar_err) == (b.gamma_bar, b.g_bar, b.gamma_bar_err)


def test_auto_takes_realised_clouds_for_clouds_of_their_own_when_asked_for_atoms():
    geo = GAUSSIAN["waist"]
    plan = plan_cost(geo, atoms=100, replicas=4)
    assert plan.gamma == plan.g == "clouds" and "cost of clouds of their own" in plan.reason
    assert plan_cost(geo).gamma == "reference"
    assert plan_cost(UNIFORM["box, rotated"]).gamma == "planewave"


def test_the_cost_model_of_clouds_of_their_own_is_conservative():
    """The same isotropic cloud described as a general geometry (probe along x̂) is priced at
    least as the paper's, and twice for a complex dipole (two real ones)."""
    paper = clouds.plan(Geometry(6.0), 2000, 4, engine="structure", with_g=True)
    turned = clouds.plan(Geometry.of(Cloud(kL=6.0), probe=(1, 0, 0), p_hat=(0, 0, 1)), 2000, 4,
                         engine="structure", with_g=True)
    sigma = clouds.plan(Geometry.of(Cloud(kL=6.0), probe=(1, 0, 0), p_hat=(0, 1, 1j)), 2000, 4,
                        engine="structure", with_g=True)
    assert turned.seconds >= paper.seconds and turned.nbytes >= paper.nbytes
    assert sigma.seconds == pytest.approx(2 * turned.seconds, rel=1e-12)


@pytest.mark.parametrize("method, kw", [("pairs", {}), ("clouds", dict(atoms=50, replicas=2))])
def test_bad_input_gives_one_clear_line(method, kw):
    box = Geometry.of(Cloud(shape="box", kL=(3.0, 3.0, 9.0), waist=2.0))
    with pytest.raises(ValueError, match="^waist: cloud I is a box") as info:
        plan_cost(box, method, **kw)
    assert "\n" not in str(info.value)
    overlap = Geometry.of(Cloud(shape="box", kL=3.0), Cloud(shape="cylinder", kL=3.0, centre=(0, 0, 1)))
    with pytest.raises(ValueError, match="^with_g: Ḡ needs the density"):
        plan_cost(overlap, method, with_g=True, **kw)
    plan = plan_cost(overlap, method, **kw)   # without with_g: Γ̄ alone, and the plan says so
    assert "Ḡ not computed" in plan.reason
    est = execute(plan)
    assert math.isnan(est.g_bar.real) and math.isnan(est.Gamma_ij) and est.gamma_bar_err.real > 0
    with pytest.raises(ValueError, match="^atoms"):
        plan_cost(UNIFORM["box, rotated"], "planewave", atoms=50)
