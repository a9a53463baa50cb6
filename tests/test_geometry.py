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


def test_estimators_refuse_what_they_do_not_cover_yet_before_any_work():
    with pytest.raises(ValueError, match="^geometry: "):
        lehmberg.rates(Geometry.of(Cloud(kL=(5, 5, 20))), "planewave")
