"""Figures a reader can read: labelled axes, rendered mathematics, legends off the data, error bars.

Each figure function of :mod:`lehmberg.figures` is called with small synthetic inputs of the
right shape (no physics is computed here).  The checks are independent of the placement
code in ``lehmberg.figures``: every plotted line is sampled densely in display coordinates
(about every pixel), and no sample, marker or error bar may fall inside a legend's box.
"""

import re
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from lehmberg import figures

GA = (0.0, 2.0, 5.0, 10.0, 20.0)


# ---------------------------------------------------------------------------------------------
# synthetic inputs, shaped like the data the commands pass

def _fig3():
    Z = np.linspace(1.01, 4.0, 120)
    # minima near Z = 1.5 rising steeply off the top, as ξ_∞(Z) does
    return figures.fig3(Z, {ga: 0.58 + 0.05 * ga / 5 + 0.9 * (Z - 1.5) ** 2 / (1 + ga / 10) for ga in GA}, 30)


def _fig4():
    x = np.linspace(0.0, 10.0, 41)
    # curves that rise towards x = 10, into the lower right corner the old legend covered
    curves = {ga: 0.76 + 0.02 * (ga - 15) / 5 + 0.0012 * (x - 2.5) ** 2
              for ga in (15.0, 20.0, 25.0, 30.0, 35.0)}
    Z = np.linspace(1.01, 4.0, 60)
    return figures.fig4(x, curves, 30, Z, {0.0: 1 / Z**1.5, 5.0: 0.75 + 0.25 / Z})


def _fig7():
    xr = np.geomspace(0.01, 10.0, 25)
    return figures.fig7(xr, {ga: 0.76 + 0.004 * ga + 0.3 / (1 + 20 * xr) for ga in GA}, 30, 2.357)


def _t8():
    return np.concatenate([np.linspace(0, 0.1, 101), np.linspace(0.1, 3.0, 60)[1:]])


def _xi8(t, ga):
    # a dip to ≈ 0.81 at t ≈ 0.03 / Γ, then a rise to 1.09 on a time scale 1/Γ
    return 1.09 - 0.3 * (1 - 0.1 * ga / 20) * np.exp(-3 * t) + 0.21 * np.exp(-40 * t)


def _fig8():
    t = _t8()
    return figures.fig8(t, {ga: _xi8(t, ga) for ga in GA}, 30,
                        {ga: 1.09 - 0.37 * np.exp(-3 * t) for ga in GA})


def _entangle_fast():
    t = np.linspace(0.0, 3.7, 400)
    xi = 0.637 + 0.363 * np.exp(-30 * t) - 0.08 * (np.exp(-t) - np.exp(-30 * t))
    return figures.entangle_figure(t, xi, 0.74 + 0.26 * np.exp(-1.35 * t), 0.637, xi + 0.002,
                                   "Eq. (14)", r"two-level, $d = 30$")


def _entangle_slow():
    t = np.linspace(0.0, 0.1, 400)
    xi = 1.0 - 0.19 * (1 - np.exp(-t / 0.01)) + 0.4 * t
    return figures.entangle_figure(t, xi, 0.958 + 0.042 * np.exp(-t / 0.02), 1.094, 0.72 + t,
                                   "Eq. (23)", r"three-level, $d = 30$")


def _appendix_data():
    kL = np.logspace(-2, 4, 25)
    a = 0.75 / (kL**2 + 0.75)
    G = -0.7 / (kL**3 + 0.27)
    intra = {"kL": kL, "Gamma_ij": a, "Gamma_ij_err": 1e-12 * a, "G_ij": G, "G_ij_err": 1e-12 * abs(G),
             "asymptote": 0.75 / kL**2, "scaled_correction": (a - 0.75 / kL**2) * kL**4,
             "G_kL3": G * kL**3}
    kLm = np.logspace(np.log10(0.3), np.log10(300.0), 9)
    am = 0.75 / (kLm**2 + 0.75)
    Gm = -0.7 / (kLm**3 + 0.27)
    mc_intra = {"kL": kLm, "Gamma_ij": am * 1.001, "Gamma_ij_err": 2e-3 * am, "G_ij": Gm * 0.99,
                "G_ij_err": 2e-2 * abs(Gm), "n_samples": np.full(9, 10**6)}
    kLi = np.array([10.0, 100.0, 1000.0])
    q = np.logspace(-3, 1, 21)
    kR = q[None, :] * kLi[:, None] ** 2
    paper = 3 / (4 * (kLi[:, None] ** 2 + 1j * kR)) * (1 - np.exp(-2 * kLi[:, None] ** 2 - 2j * kR))
    gb = paper * (1 - 0.01 / kLi[:, None])
    intra_same = {"gamma_bar": gb[:, 0] / (1 + 1j * q[0]), "Gamma_ij": gb[:, 0].real}
    inter = {"kL": kLi, "ratio": q, "kR": kR, "paper": paper,
             "dipole": {"gamma_bar": gb, "Gamma_ij": gb.real * (1 + 0.5 * np.exp(-1 / q[None, :]))},
             "nodipole": {"gamma_bar": paper, "Gamma_ij": paper.real},
             "intra": intra_same}
    qm = np.logspace(-3, 1, 9)
    pm = 3 / (4 * (100 + 1j * qm * 100)) * (1 - np.exp(-200 - 2j * qm * 100))
    mc_inter = {"kL": 10.0, "ratio": qm, "kR": qm * 100, "gamma_bar": pm,
                "gamma_bar_err": 0.002 * abs(pm) * (1 + 1j), "n_samples": np.full(9, 10**6)}
    par = {"kL": kL[kL <= 1e3], "Gamma_ij": (a / (1 + kL**2))[kL <= 1e3]}
    return {"intra": intra, "intra_p_parallel": par, "inter": inter, "mc_intra": mc_intra,
            "mc_inter": mc_inter}


def _appendix():
    return figures.appendix_b(_appendix_data())


def _g_variance_rows():
    rng = np.random.default_rng(7)
    rows = []
    for k in range(12, 24):
        n = 2**k
        se = 0.13 / np.sqrt(n)
        rows.append({"n": n, "sym_mean": -0.02268 + se * rng.standard_normal(), "sym_se": se,
                     "sym_se_err": 0.08 * se, "naive_mean": -0.02268 + 0.03 * rng.standard_normal(),
                     "naive_se": 0.03 * (1 + rng.random()), "naive_se_err": 0.01})
    rows[8]["naive_mean"] = -0.3  # off scale
    return rows


def _g_variance():
    return figures.g_variance(3.0, -0.02268, _g_variance_rows())


BUILDERS = {"fig3": _fig3, "fig4": _fig4, "fig7": _fig7, "fig8": _fig8,
            "entangle_fast": _entangle_fast, "entangle_slow": _entangle_slow,
            "appendix_b": _appendix, "g_variance": _g_variance}


@pytest.fixture(scope="module")
def built():
    out = {}
    for name, build in BUILDERS.items():
        fig = build()
        fig.draw_without_rendering()  # the final layout and positions, as savefig will draw them
        out[name] = fig
    return out


# ---------------------------------------------------------------------------------------------
# independent geometry: dense samples of everything drawn, in display coordinates

def _segments_samples(xy, step=1.0):
    """Points about every ``step`` pixels along the polyline ``xy`` (NaNs break it)."""
    pts = [xy[np.all(np.isfinite(xy), axis=1)]]
    for p, q in zip(xy[:-1], xy[1:]):
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
            continue
        n = int(min(max(np.hypot(*(q - p)) / step, 1), 20000))
        s = np.linspace(0.0, 1.0, n + 1)[:, None]
        pts.append(p + s * (q - p))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def _drawn_points(ax):
    """(points, radius) groups: line samples, marker centres with their radius, error bars."""
    groups = []
    dpi = ax.figure.dpi
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        if line.get_linestyle() not in ("None", "none", "", " "):
            groups.append((_segments_samples(xy), 0.5 * line.get_linewidth() * dpi / 72))
        if line.get_marker() not in (None, "None", "none", "", " "):
            groups.append((xy[np.all(np.isfinite(xy), axis=1)], 0.5 * line.get_markersize() * dpi / 72))
    for coll in ax.collections:
        tr = coll.get_transform()
        for path in coll.get_paths():
            groups.append((_segments_samples(tr.transform(np.asarray(path.vertices, float))), 0.5))
    return groups


def _inside(points, box, r):
    x0, y0, x1, y1 = box.x0 + 0.5, box.y0 + 0.5, box.x1 - 0.5, box.y1 - 0.5  # half a pixel of slack
    p = points
    return (p[:, 0] + r > x0) & (p[:, 0] - r < x1) & (p[:, 1] + r > y0) & (p[:, 1] - r < y1)


def _all_axes(fig):
    return list(fig.axes)


def _texts(fig):
    out = [fig.get_suptitle()]
    for ax in _all_axes(fig):
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return out


# ---------------------------------------------------------------------------------------------
# the tests

def test_import_does_not_touch_the_backend():
    code = ("import sys, matplotlib; matplotlib.use('svg'); import lehmberg.figures; "
            "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_axes_is_labelled(built, name):
    fig = built[name]
    assert isinstance(fig, Figure)
    assert fig.axes
    for ax in _all_axes(fig):
        assert ax.get_xlabel().strip(), (name, "x label missing", ax.get_title())
        assert ax.get_ylabel().strip(), (name, "y label missing", ax.get_title())


@pytest.mark.parametrize("name", list(BUILDERS))
def test_mathematics_is_rendered(built, name):
    """No raw TeX-ish strings such as ``k_L L`` or ``e^{ik·r}`` outside $...$."""
    for text in _texts(built[name]):
        plain = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", text)
        assert not re.search(r"[_^\\{}]", plain), (name, text)
        assert text.count("$") % 2 == 0, (name, text)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_legends_cover_no_data(built, name):
    fig = built[name]
    n_legends = 0
    for ax in _all_axes(fig):
        leg = ax.get_legend()
        if leg is None:
            continue
        n_legends += 1
        box = leg.get_window_extent()
        for pts, r in _drawn_points(ax):
            bad = _inside(pts, box, r)
            assert not np.any(bad), (name, ax.get_title(), pts[bad][:3], box)
    assert n_legends >= 1


def test_the_legend_check_can_fail():
    """A legend put on a curve, or on an error bar alone, is caught by the check above."""
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    x = np.linspace(0.0, 1.0, 5)
    ax.plot(x, x, label="a line through the middle")
    ax.errorbar([0.9], [0.1], [0.08], fmt="none", label="an error bar, no marker")
    leg = ax.legend(loc="center")
    fig.draw_without_rendering()
    assert any(np.any(_inside(p, leg.get_window_extent(), r)) for p, r in _drawn_points(ax))
    ax.lines[0].remove()
    leg.set_loc((0.72, 0.02))  # lower right, over the error bar only
    fig.draw_without_rendering()
    assert any(np.any(_inside(p, leg.get_window_extent(), r)) for p, r in _drawn_points(ax))


def test_fig8_shows_the_early_dip(built):
    """The dip at t ≈ 0.03/Γ sits well inside the time axis, not squeezed against t = 0."""
    ax = built["fig8"].axes[0]
    assert ax.get_xscale() == "log"
    t = _t8()
    assert ax.get_xlim()[0] <= t[1] * 1.0001
    t_min = t[np.argmin(_xi8(t, 0.0))]
    x_disp = ax.transData.transform([[t_min, 1.0]])[0, 0]
    box = ax.get_window_extent()
    frac = (x_disp - box.x0) / box.width
    assert 0.2 < frac < 0.8, frac


def test_entangle_figure_chooses_the_time_axis(built):
    assert built["entangle_fast"].axes[1].get_xscale() == "log"
    assert built["entangle_slow"].axes[1].get_xscale() == "linear"


def _errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer) and c.has_yerr]


def test_appendix_b_monte_carlo_points_have_error_bars(built):
    fig = built["appendix_b"]
    d = _appendix_data()
    n_mc = len(d["mc_intra"]["kL"])
    counts = [sum(len(c.lines[0].get_xdata()) for c in _errorbars(ax)) for ax in fig.axes]
    # panels (a), (c) all intra points, (b), (d) those with k_L L <= 30, (e) Re and Im between clouds
    small = int(np.sum(d["mc_intra"]["kL"] <= 30))
    assert counts == [n_mc, small, n_mc, small, 2 * len(d["mc_inter"]["ratio"]), 0]
    for ax in fig.axes:
        for c in _errorbars(ax):
            segs = c.lines[2][0].get_segments()
            assert len(segs) == len(c.lines[0].get_xdata())


def test_g_variance_points_have_error_bars(built):
    a, b = built["g_variance"].axes
    assert sum(len(c.lines[0].get_xdata()) for c in _errorbars(a)) == 2 * 12
    # every symmetrised point, and every naive point that is on scale, has its error bar
    assert sum(len(c.lines[0].get_xdata()) for c in _errorbars(b)) == 12 + 11


@pytest.mark.slow
def test_appendix_b_without_monte_carlo():
    d = _appendix_data()
    del d["mc_intra"], d["mc_inter"]
    fig = figures.appendix_b(d)
    assert len(fig.axes) == 6
    assert not any(_errorbars(ax) for ax in fig.axes)


@pytest.mark.parametrize("call, name", [
    (lambda: figures.fig3(np.linspace(1.1, 4, 10), {0.0: np.ones(9)}, 30), "curves"),
    (lambda: figures.fig3(np.linspace(1.1, 4, 10), {0.0: np.ones(10)}, float("nan")), "d"),
    (lambda: figures.fig7(np.linspace(0, 1, 10), {0.0: np.ones(10)}, 30, 2.0), "x_repump"),
    (lambda: figures.fig8(np.array([0.0, 0.1]), {0.0: np.ones(2)}, 30), "t"),
    (lambda: figures.fig8(_t8(), {0.0: np.ones(_t8().size)}, 30, {2.0: np.ones(_t8().size)}), "lt"),
    (lambda: figures.appendix_b({"intra": {}}), "data"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_pyplot_close_still_works_on_the_returned_figure(built):
    """The commands call plt.close(fig) today; on a pyplot-free Figure it must be harmless."""
    import matplotlib.pyplot as plt

    plt.close(built["fig7"])
    assert plt.get_fignums() == []
