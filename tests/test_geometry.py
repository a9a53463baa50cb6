"""The geometry of a request: the paper's shorthand and clouds of their own (SPEC §9)."""

import math

import numpy as np
import pytest

import lehmberg
from lehmberg import Cloud, Geometry


def test_the_paper_set_up_described_by_clouds_is_the_shorthand():
    assert Geometry.of(Cloud(kL=10), Cloud(kL=10, centre=(0, 0, 30))) == Geometry(10, 30)
    assert Geometry.of(Cloud(kL=10), Cloud(kL=10, centre=(30, 0, 0))) == Geometry(10, 30, R_dir=(1, 0, 0))
    assert Geometry.of(Cloud(shape="box", kL=3)) == Geometry(3, shape="cube")
    assert Geometry.of(Cloud(kL=10), p_hat=["1j", 0, 0]) == Geometry(10)  # a global phase
    # and the estimators see the same numbers
    a = lehmberg.rates(Geometry.of(Cloud(kL=3), Cloud(kL=3, centre=(0, 0, 9))))
    assert a == lehmberg.rates(Geometry(3, 9))


@pytest.mark.parametrize("cloud, paper", [
    (Cloud(kL=(5, 5, 20)), False), (Cloud(kL=5, centre=(1, 0, 0)), False),
    (Cloud(kL=5, waist=3.0), False), (Cloud(kL=5, N=100), False),
    (Cloud(kL=5, axes=[[0, 1, 0], [1, 0, 0], [0, 0, 1]]), True),   # an isotropic Gaussian
    (Cloud(shape="box", kL=5, axes=[[0, 1, 0], [1, 0, 0], [0, 0, 1]]), False),
    (Cloud(shape="cylinder", kL=(4, 4, 9)), False),
])
def test_what_is_the_paper_set_up(cloud, paper):
    assert Geometry.of(cloud).paper is paper


def test_complex_dipole_and_probe_are_kept():
    g = Geometry.of(Cloud(kL=5), probe=(1, 0, 0), p_hat=[1, "1j", 0])
    assert not g.paper and g.probe == (1.0, 0.0, 0.0)
    assert np.allclose(np.abs(g.p_hat), [2**-0.5, 2**-0.5, 0.0])
    assert isinstance(g.p_hat[1], complex) and abs(g.p_hat[1].imag) > 0.7
    assert Geometry.of(Cloud(kL=5), p_hat=np.array([1, 1j, 0])).p_hat == g.p_hat  # an ndarray too


def test_pairs_of_a_geometry_of_two_different_clouds():
    g = Geometry.of(Cloud(kL=5), Cloud(kL=8, centre=(0, 0, 100)))
    assert g.pair == "inter" and not g.identical
    assert g.single().pair == "intra" and g.single().I == Cloud(kL=5)
    assert g.single("II") == Geometry(8.0)   # inside cloud II, wherever it is
    assert Geometry(5, 30).identical and Geometry(5, 30).single("II") == Geometry(5)
    with pytest.raises(ValueError, match="^which"):
        Geometry(5).single("II")


def test_covariance_of_a_rotated_cigar():
    c = Cloud(kL=(2, 3, 6), axes=[[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    cov = c.covariance()
    assert np.allclose(cov, np.diag([3**2, 6**2, 2**2]) / 2.0)
    with pytest.raises(ValueError, match="^shape"):
        Cloud(shape="box").covariance()


@pytest.mark.parametrize("kw, message", [
    (dict(axes=[[1, 0, 0], [0, 1, 0], [0, 1, 1]]), "^axes: rows are not orthonormal"),
    (dict(axes=[[1, 0], [0, 1]]), "^axes"),
    (dict(kL=0.0), "^kL"), (dict(kL=(1, 2)), "^kL"), (dict(kL=(1, float("nan"), 2)), "^kL"),
    (dict(waist=0.0), "^waist"), (dict(waist=-1.0), "^waist"), (dict(N=0.5), "^N"),
    (dict(centre=(0, 0)), "^centre"), (dict(centre=(0, 0, math.inf)), "^centre"),
    (dict(shape="sphere"), "^shape"), (dict(shape="cylinder", kL=(1, 2, 3)), "^kL"),
])
def test_bad_cloud_fields_are_named(kw, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Cloud(**kw)


@pytest.mark.parametrize("kw, message", [
    (dict(p_hat=[0, 0, 0]), "^p_hat"), (dict(p_hat=[1, "x", 0]), "^p_hat"),
    (dict(p_hat=[1, complex("nan"), 0]), "^p_hat"), (dict(probe=(0, 0, 0)), "^probe"),
])
def test_bad_geometry_fields_are_named(kw, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Geometry.of(Cloud(), **kw)


def test_shorthand_and_clouds_are_not_mixed():
    with pytest.raises(ValueError, match="^kL"):
        Geometry(kL=3, cloud_pair=(Cloud(),))
    with pytest.raises(ValueError, match="^p_hat"):
        Geometry(3, p_hat=[1, "1j", 0])
    with pytest.raises(TypeError, match="^cloud_pair"):
        Geometry(cloud_pair=("gaussian",))


# --- geometry files ------------------------------------------------------------------------

PAPER = """
[I]
kL = 10
[II]
kL = 10
centre = [0, 0, 30]
"""


def _file(tmp_path, text, name="g.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_geometry_file_of_the_paper_set_up_gives_the_shorthand_numbers(cli, tmp_path):
    import json

    status, out, err = cli("rates", "--geometry", _file(tmp_path, PAPER), "--json")
    assert status == 0, err
    status2, out2, _ = cli("rates", "--kL", "10", "--kR", "30", "--json")
    a, b = json.loads(out), json.loads(out2)
    assert a.keys() == b.keys() == {"intra", "inter"}
    for key in a:
        assert a[key]["Gamma_ij"] == b[key]["Gamma_ij"] and a[key]["g_bar"] == b[key]["g_bar"]


def test_file_in_metres_and_complex_dipole(tmp_path):
    from lehmberg.geometry import read_geometry

    g = read_geometry(_file(tmp_path, 'dipole = ["1", "1j", "0"]\nwavelength = 1e-6\n'
                                      '[I]\nL = [1e-6, 1e-6, 2e-6]\nwaist = 1e-6\n'))
    assert g.I.kL == pytest.approx((2 * math.pi, 2 * math.pi, 4 * math.pi))
    assert g.I.waist == pytest.approx(2 * math.pi)
    assert isinstance(g.p_hat[1], complex)
    assert read_geometry(_file(tmp_path, 'dipole = "none"\n[I]\nkL = 3\n', "n.toml")) == \
        Geometry(3.0, p_hat=None)


@pytest.mark.parametrize("text, message", [
    (PAPER.replace("centre = [0, 0, 30]", "axes = [[1,0,0],[0,1,0],[0,1,1]]"),
     "[II].axes: rows are not orthonormal"),
    (PAPER.replace("kL = 10\n[II]", "kL = -1\n[II]"), "[I].kL must be >= 0.001"),
    (PAPER + "colour = 1\n", "[II].colour: unknown key"),
    ("shape = 1\n" + PAPER, "shape: unknown key"),
    ("[II]\nkL = 3\n", "[I]: the file needs a section [I]"),
    ("[I]\nkL = 3\nL = 1e-6\n", "[I].kL: give the sizes as kL"),
    ('dipole = [0, 0, 0]\n[I]\nkL = 3\n', "p_hat must not be the zero vector"),
    ('probe = [0, 0, "z"]\n[I]\nkL = 3\n', "probe must be a 3-vector"),
    ("[I]\nkL = 3\nwaist = 0\n", "[I].waist must be > 0"),
    ("[I\nkL = 3\n", "malformed TOML"),
])
def test_bad_geometry_file_one_line_exit_2_nothing_written(cli, tmp_path, text, message):
    out = tmp_path / "out.nc"
    status, stdout, err = cli("rates", "--geometry", _file(tmp_path, text), "--out", str(out))
    assert status == 2 and stdout == "" and not out.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("lehmberg rates: error: argument --geometry: ") and message in lines[0]


def test_geometry_file_excludes_the_shorthand_options(cli, tmp_path):
    status, _, err = cli("rates", "--geometry", _file(tmp_path, PAPER), "--p-hat", "0", "1", "0")
    assert status == 2 and "not with --p-hat" in err
    status, _, err = cli("rates", "--geometry", _file(tmp_path, PAPER), "--kL", "3")
    assert status == 2 and "not allowed with argument" in err


# --- Gaussian clouds of their own through the face --------------------------------------------

def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * K @ K


CIGARS = Geometry.of(Cloud(kL=(6, 6, 20), waist=9.0),
                     Cloud(kL=(5, 7, 12), axes=[[0, 1, 0], [0, 0, 1], [1, 0, 0]], centre=(3, 0, 60)),
                     p_hat=[1, "1j", 0])


def test_gaussian_clouds_of_their_own_by_the_direction_integral_reference():
    from lehmberg import anisotropic

    est = lehmberg.rates(CIGARS)
    assert est.methods["Gamma_ij"] == "reference" and est.geometry == CIGARS
    direct = anisotropic.rates(CIGARS.I.covariance(), CIGARS.II.covariance(), CIGARS.I.centre,
                               CIGARS.II.centre, waist_a=9.0, p_hat=CIGARS.p_hat)
    assert est.gamma_bar == direct.gamma_bar and est.g_bar == direct.g_bar
    assert est.eta == (direct.eta_a, direct.eta_b) and 0 < est.eta[0] < 1 == est.eta[1]
    assert est.Gamma_ij_err < 1e-8 * abs(est.Gamma_ij)


def test_a_rotation_of_the_whole_set_up_through_the_geometry_changes_no_rate():
    Q = _rotation((1, 2, 3), 0.7)

    def turn(c):
        return Cloud(kL=c.kL, axes=(np.asarray(c.axes) @ Q.T).tolist(), centre=Q @ c.centre,
                     waist=c.waist)

    p = np.array(CIGARS.p_hat)
    turned = Geometry.of(turn(CIGARS.I), turn(CIGARS.II), probe=Q @ CIGARS.probe, p_hat=Q @ p)
    for a, b in ((CIGARS, turned), (CIGARS.single(), turned.single())):
        x, y = lehmberg.rates(a), lehmberg.rates(b)
        for q in ("gamma_bar", "g_bar"):
            assert abs(getattr(x, q) - getattr(y, q)) <= 1e-9 * abs(getattr(x, q)) + 1e-15
        assert x.eta == pytest.approx(y.eta, rel=1e-12)


def test_the_reference_refuses_boxes_before_any_work():
    box = Geometry.of(Cloud(shape="box", kL=(3, 3, 9)))
    with pytest.raises(ValueError, match="^method 'reference' covers Gaussian"):
        lehmberg.rates(box, "reference")


def test_g_bar_of_boxes_through_the_face_agrees_with_independent_pairs():
    """auto takes q-space plane waves for Ḡ of boxes (lehmberg.uniform_g); the r-space pairs
    with their exact near-pair expectation are an independent estimate (fixed seeds)."""
    from _stats import agree, agree_complex

    a = Cloud(shape="box", kL=(3, 3, 9))
    for geo in (Geometry.of(a), Geometry.of(a, a.moved((0.0, 0.0, 11.0)))):
        q = lehmberg.rates(geo, rel_err=0.01, seed=3)
        assert q.methods["g_bar"] == "planewave" and "uniform_g" in q.notes[-1]
        pr = lehmberg.rates(geo, "pairs", rel_err=0.01, seed=4)
        if geo.pair == "intra":  # Ḡ is real inside one cloud, for both estimators exactly
            assert q.g_bar.imag == pr.g_bar.imag == 0.0
            agree(q.g_bar.real, q.g_bar_err.real, pr.g_bar.real, pr.g_bar_err.real)
        else:
            agree_complex(q.g_bar, q.g_bar_err, pr.g_bar, pr.g_bar_err)
        agree(q.Gamma_ij, q.Gamma_ij_err, pr.Gamma_ij, pr.Gamma_ij_err)
    assert math.isnan(lehmberg.rates(Geometry.of(a, a.moved((0, 0, 11.0))), rel_err=0.05,
                                     with_g=False).Gamma_ij)


def test_plane_waves_of_clouds_of_their_own_agree_with_the_reference():
    """Monte Carlo over directions (planewave.general_rates) against the deterministic
    direction-integral reference, through the face."""
    from _stats import agree, agree_complex

    ref = lehmberg.rates(CIGARS)
    pw = lehmberg.rates(CIGARS, "planewave", rel_err=3e-3, seed=4)
    assert pw.methods["Gamma_ij"] == "planewave"
    agree_complex(pw.gamma_bar, pw.gamma_bar_err, ref.gamma_bar)
    agree_complex(pw.g_bar, pw.g_bar_err, ref.g_bar)
    agree(pw.Gamma_ij, pw.Gamma_ij_err, ref.Gamma_ij)


def test_a_vapour_cell_box_by_auto_approaches_the_large_size_law():
    """Inside a uniform box of sides L₁, L₂ across the probe, Γ_ij → (3π/2)/(L₁L₂) (motional
    averaging limit, no waist); auto takes the plane waves and says so."""
    box = Geometry.of(Cloud(shape="box", kL=(1e5, 2e5, 3e5)))
    est = lehmberg.rates(box, rel_err=0.01, seed=1)
    assert est.methods["Gamma_ij"] == "planewave" and est.rel_err() <= 0.01
    from _stats import agree

    agree(est.Gamma_ij, est.Gamma_ij_err, 1.5 * math.pi / (1e5 * 2e5))  # corrections ~1e-5


def test_geometry_file_of_different_clouds_reports_three_pairs_with_eta_and_d(cli, tmp_path):
    import json

    text = ('dipole = ["1", "1j", "0"]\n[I]\nkL = [6, 6, 20]\nwaist = 9.0\nN = 1e4\n'
            '[II]\nkL = [5, 7, 12]\naxes = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]\n'
            'centre = [3, 0, 60]\nN = 2e4\n')
    status, out, err = cli("rates", "--geometry", _file(tmp_path, text), "--json")
    assert status == 0, err
    res = json.loads(out)
    assert set(res) == {"intra", "inter", "intra_II"}
    assert res["intra"]["eta"][0] == res["intra"]["eta"][1] < 1 and "eta" not in res["intra_II"]
    assert res["intra"]["d"] == pytest.approx(1e4 * res["intra"]["Gamma_ij"], rel=1e-15)
    assert res["intra_II"]["d"] == pytest.approx(2e4 * res["intra_II"]["Gamma_ij"], rel=1e-15)
    single = lehmberg.rates(CIGARS.single("II"))
    assert res["intra_II"]["Gamma_ij"] == single.Gamma_ij


@pytest.mark.parametrize("target, message", [("missing.toml", "no such file"), (".", "is a directory")])
def test_geometry_file_that_cannot_be_read(cli, tmp_path, target, message):
    out = tmp_path / "out.nc"
    status, stdout, err = cli("rates", "--geometry", str(tmp_path / target), "--out", str(out))
    assert status == 2 and stdout == "" and not out.exists()
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
