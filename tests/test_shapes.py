"""The shape-dependence study (lehmberg.shapes, ``lehmberg shapes``) against independent
computations: the radial reference of the paper's cloud, the σ± identity, axial symmetry."""

import math

import numpy as np
import pytest

from lehmberg.reference import reference_rates
from lehmberg.shapes import shape_dependence

xr = pytest.importorskip("xarray")


@pytest.fixture(scope="module")
def ds():
    return shape_dependence(kL=12.0, aspects=[1.0, 3.0], N=5e3, kR=150.0)


def test_round_cloud_is_the_paper_cloud(ds):
    """At aspect 1 every orientation is the paper's cloud: the radial reference (another code)
    gives Γ_ij for the linear dipoles, and Γ_ij(σ+) = ½(Γ_ij(x̂) + Γ_ij(ŷ)) = Γ_ij(x̂)."""
    x = reference_rates(12.0, None, p_hat=(1.0, 0.0, 0.0)).Gamma_ij
    for o in ("along", "across"):
        for p in ("x", "y", "sigma+"):
            got = float(ds["Gamma_ij"].sel(orientation=o, dipole=p, aspect=1.0))
            assert abs(got - x) < 1e-9 * x, (o, p)


def test_symmetry_and_the_sigma_identity(ds):
    g = ds["Gamma_ij"].sel(aspect=3.0)
    along = g.sel(orientation="along")
    assert abs(float(along.sel(dipole="x")) - float(along.sel(dipole="y"))) < 1e-9 * float(
        along.sel(dipole="x"))  # the probe axis is the cigar's: x̂ and ŷ alike
    across = g.sel(orientation="across")
    half = 0.5 * (float(across.sel(dipole="x")) + float(across.sel(dipole="y")))
    assert abs(float(across.sel(dipole="sigma+")) - half) < 1e-9 * half
    assert abs(float(across.sel(dipole="x")) - float(across.sel(dipole="y"))) > 1e-6 * half


def test_leading_law_and_optical_depth(ds):
    """Γ_ij · 4A/3 → 1 for a cloud large against the wavelength (SPEC §9); d = N Γ_ij."""
    r = ds["leading_law_ratio"].sel(aspect=1.0)
    assert np.all(np.abs(r.values - 1.0) < 0.02)
    along, across = (float(ds["d"].sel(orientation=o, dipole="x", aspect=3.0))
                     for o in ("along", "across"))
    assert along > across  # the area across the probe is smaller along the cigar's axis
    assert math.isclose(float(ds["d"].sel(orientation="along", dipole="x", aspect=1.0)),
                        5e3 * reference_rates(12.0, None).gamma_bar.real, rel_tol=1e-9)


def test_command(tmp_path, cli):
    out, fig = tmp_path / "s.nc", tmp_path / "s.png"
    status, text, err = cli("shapes", "--kL", "10", "--aspect", "1:4:2", "--kR", "120",
                            "--out", str(out), "--fig", str(fig))
    assert status == 0, err
    got = xr.open_dataset(out)
    assert got["xi_inf"].dims == ("orientation", "dipole", "aspect") and fig.exists()
    assert "lehmberg shapes" in got.attrs["history"] and "git_commit" in got.attrs
    got.close()
    for extra, needle in ((["--aspect", "4:1:3"], "argument --aspect"),
                          (["--keep", "mass"], "argument --keep"),
                          (["--kL", "-3"], "argument --kL")):
        bad = tmp_path / "b.nc"
        status, _, err = cli("shapes", *extra, "--out", str(bad), "--fig", str(tmp_path / "b.png"))
        assert status == 2 and needle in err and len(err.strip().splitlines()) == 1, err
        assert not bad.exists()
