"""Figures: data in, :class:`matplotlib.figure.Figure` out.

Figs. 3, 4, 7, 8 of the paper, the Appendix B validation figure, ``entangle --plot`` and the
Ḡ-variance benchmark.

Nothing here computes physics: :mod:`lehmberg.commands.figures`,
:mod:`lehmberg.commands.entangle` and :mod:`lehmberg.commands.validate` pass
arrays from :func:`lehmberg.entanglement.figure_data`, :func:`lehmberg.entanglement.curve`
and :mod:`lehmberg.validate`; the paper's constants come from :mod:`lehmberg.reference`.  Nothing here writes files: the commands hand the
returned figure to :mod:`lehmberg.io`, which writes it (PDF without a creation
date, so that the same data give the same bytes).

The figures are built with the stateless :class:`matplotlib.figure.Figure`
API: importing this module selects no backend, and no figure enters pyplot's
global registry, so nothing needs ``plt.close`` (calling it is harmless).
Rates are in units of Γ, times in units of 1/Γ, lengths in units of 1/k_L.
Every legend is placed where it covers no plotted data (lines, markers, error
bars, filled bands, inset axes): the first free corner or edge of the axes,
otherwise beside the axes (the engine is :mod:`lehmberg._legends`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from . import _checks
from ._legends import legend as _legend
from ._legends import place_legends as _place_legends
from .reference import C4, G_LIMIT

__all__ = ["entangle_figure", "fig3", "fig4", "fig7", "fig8", "appendix_b", "g_variance",
           "entanglement_map"]

COLOURS = ["tab:purple", "tab:blue", "tab:green", "tab:red", "tab:orange", "tab:brown", "tab:pink",
           "yellowgreen", "grey"]


# ---------------------------------------------------------------------------------------------
# input checks

def _curves(x: np.ndarray, curves, name: str) -> dict[float, np.ndarray]:
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(f"{name} must be a non-empty mapping {{gamma_add: array}}")
    out = {}
    for key, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"{name}[{key!r}] must have the shape {x.shape} of the abscissa, got {y.shape}")
        out[float(key)] = y
    return out


# ---------------------------------------------------------------------------------------------
# a figure of its own (legends that cover no data: lehmberg._legends)

def _new_figure(figsize) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # a canvas for this figure only: no backend is selected, pyplot is not involved
    return fig


def _ga_label(ga: float) -> str:
    return rf"$\Gamma_d^{{\mathrm{{add}}}} = {ga:g}\,\Gamma$"


def _pow10(n: float) -> str:
    """``n`` as mathtext: ``$10^{7}$`` for an exact power of ten, else ``$1.5\\times10^{6}$``."""
    if n <= 0:
        return f"${n:g}$"
    k = math.floor(math.log10(n) + 1e-12)
    m = n / 10.0**k
    if abs(m - 1.0) < 1e-9:
        return rf"$10^{{{k}}}$"
    return rf"${m:#.3g}\times10^{{{k}}}$"


# ---------------------------------------------------------------------------------------------
# the figures

def entangle_figure(t, xi, P2, xi_inf: float | None = None, xi_approx=None,
                    approx_label: str = "Eq. (14)", title: str = "",
                    log_time: bool | None = None) -> Figure:
    r"""ξ(t) with an analytic approximation (dashed) and P₂(t), for ``lehmberg entangle --plot``.

    Parameters
    ----------
    t : array_like, shape (n,)
        Times in units of 1/Γ, increasing, ``t >= 0``.
    xi : array_like, shape (n,)
        Squeezing parameter ξ(t) (dimensionless) from the integrated moment equations.
    P2 : array_like, shape (n,)
        Polarisation P₂(t) (dimensionless).
    xi_inf : float, optional
        Steady state ξ_∞, drawn as a dotted line (omitted when None or not finite).
    xi_approx : array_like, shape (n,), optional
        An analytic approximation of ξ(t) (Eq. 14 or Eq. 23), dashed.
    approx_label : str
        Legend text of ``xi_approx``.
    title : str
        Figure title (mathtext allowed).
    log_time : bool, optional
        Logarithmic time axis from the first positive time.  None (default) chooses it when
        more than half of the total variation of ξ happens within the first 5% of the time range
        (a fast initial dip that a linear axis would squeeze into a spike).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis :math:`t\,\Gamma`.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 5.0, 200)
    >>> fig = entangle_figure(t, 0.6 + 0.4 * np.exp(-t), 0.7 + 0.3 * np.exp(-t), xi_inf=0.6)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['$\\xi$', '$P_2$']
    """
    t = _checks.array(t, "t", ndim=1, min_size=2)
    xi = _curves(t, {0: xi}, "xi")[0.0]
    P2 = _curves(t, {0: P2}, "P2")[0.0]
    if xi_approx is not None:
        xi_approx = _curves(t, {0: xi_approx}, "xi_approx")[0.0]
    if np.any(np.diff(t) <= 0) or t[0] < 0:
        raise ValueError("t must be increasing and >= 0")
    if log_time is None:
        var = np.abs(np.diff(xi))
        early = t[1:] <= t[0] + 0.05 * (t[-1] - t[0])
        log_time = bool(var.sum() > 0 and var[early].sum() > 0.5 * var.sum() and np.any(t > 0))
    fig = _new_figure((5.5, 5.5))
    a1, a2 = fig.subplots(2, 1, sharex=True)
    m = t > 0 if log_time else np.ones(t.shape, bool)
    a1.plot(t[m], xi[m], label="integrated moment equations")
    if xi_approx is not None:
        a1.plot(t[m], xi_approx[m], "--", label=approx_label)
    if xi_inf is not None and math.isfinite(float(xi_inf)):
        a1.axhline(float(xi_inf), color="grey", lw=0.8, ls=":", label=r"$\xi_\infty$")
    a1.axhline(1.0, color="k", lw=0.8)
    a1.set_ylabel(r"$\xi$")
    a1.set_title(title, fontsize=9)
    a2.plot(t[m], P2[m])
    a2.set_ylabel(r"$P_2$")
    tl = r"$t\,\Gamma$" + (" (log scale)" if log_time else "")
    for a in (a1, a2):
        a.set_xlabel(tl)
    a1.tick_params(labelbottom=True)  # the shared time axis is labelled under both panels
    if log_time:
        a2.set_xscale("log")
        a2.set_xlim(t[m][0], t[-1])
    else:
        a2.set_xlim(t[0], t[-1])
    _place_legends(fig, [_legend(a1, fontsize=8)])
    return fig


def fig3(Z, curves, d: float) -> Figure:
    r"""Fig. 3: ξ_∞ versus Z for each Γ_d^add (two-level model, probe only).

    Parameters
    ----------
    Z : array_like, shape (n,)
        Squeezing parameter Z = (|μ| − |ν|)⁻¹ > 1 (dimensionless).
    curves : mapping of float to array_like, shape (n,)
        ``{Γ_d^add: ξ_∞(Z)}``, Γ_d^add in units of Γ, ξ_∞ of Eq. (15) (dimensionless).
    d : float
        Optical depth of one ensemble (dimensionless), for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.linspace(1.01, 4.0, 50)
    >>> fig = fig3(Z, {0.0: 0.6 + 0.2 * (Z - 1.5) ** 2}, d=30)
    >>> fig.axes[0].get_ylabel()
    '$\\xi_\\infty$'
    """
    Z = _checks.array(Z, "Z", ndim=1, min_size=2)
    curves = _curves(Z, curves, "curves")
    d = _checks.real(d, "d")
    fig = _new_figure((5.6, 3.8))
    ax = fig.subplots()
    for (ga, xi), col in zip(curves.items(), COLOURS):
        ax.plot(Z, xi, color=col, label=_ga_label(ga))
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel(r"$Z = (|\mu| - |\nu|)^{-1}$")
    ax.set_ylabel(r"$\xi_\infty$")
    ax.set_title(rf"two-level model, probe only, $d = {d:g}$", fontsize=9)
    lo = min(np.nanmin(np.concatenate(list(curves.values()))), 0.55)
    ax.set_ylim(math.floor(20 * lo - 1) / 20, 1.2)
    ax.set_xlim(Z[0], Z[-1])
    _place_legends(fig, [_legend(ax)])
    return fig


def fig4(x, curves, d: float, Z_inset, P_inset) -> Figure:
    r"""Fig. 4: min_Z ξ_∞ versus the pump parameter x, and P₂,∞(Z) beside it.

    The paper's inset is drawn as panel (b), so that it cannot hide curves of panel (a).

    Parameters
    ----------
    x : array_like, shape (n,)
        Pump parameter x ≥ 0 (Γ_cool = (1 + x) μ² Γ; dimensionless).
    curves : mapping of float to array_like, shape (n,)
        ``{Γ_d^add: min_Z ξ_∞(x)}``, Γ_d^add in units of Γ.
    d : float
        Optical depth of one ensemble, for the title.
    Z_inset : array_like, shape (m,)
        Z grid of panel (b).
    P_inset : mapping of float to array_like, shape (m,)
        ``{x: P₂,∞(Z)}`` (dimensionless), one or two values of x.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.0, 10.0, 21)
    >>> Z = np.linspace(1.01, 4.0, 40)
    >>> fig = fig4(x, {15.0: 0.8 + 0.002 * (x - 3) ** 2}, 30, Z, {0.0: 1 / Z, 5.0: 1 / np.sqrt(Z)})
    >>> len(fig.axes)
    2
    """
    x = _checks.array(x, "x", ndim=1, min_size=2)
    curves = _curves(x, curves, "curves")
    d = _checks.real(d, "d")
    Z_inset = _checks.array(Z_inset, "Z_inset", ndim=1, min_size=2)
    P_inset = _curves(Z_inset, P_inset, "P_inset")
    fig = _new_figure((8.6, 3.6))
    ax, ins = fig.subplots(1, 2, width_ratios=[1.5, 1])
    for (ga, xi), col in zip(curves.items(), COLOURS[4:] + COLOURS):
        ax.plot(x, xi, color=col, label=_ga_label(ga))
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel(r"pump parameter $x$  ($\Gamma_{\mathrm{cool}} = (1+x)\,\mu^2\Gamma$)")
    ax.set_ylabel(r"$\min_Z\,\xi_\infty$")
    ax.set_title(rf"(a) two-level model, optimal $Z$, $d = {d:g}$", fontsize=9)
    ax.set_xlim(x[0], x[-1])
    for (xv, P), ls in zip(P_inset.items(), ["--", "-", ":", "-."]):
        ins.plot(Z_inset, P, "k" + ls, lw=1, label=rf"$x = {xv:g}$")
    ins.set_xlabel(r"$Z = (|\mu| - |\nu|)^{-1}$")
    ins.set_ylabel(r"$P_{2,\infty}$")
    ins.set_title(rf"(b) steady-state polarisation, $d = {d:g}$", fontsize=9)
    ins.set_xlim(Z_inset[0], Z_inset[-1])
    _place_legends(fig, [_legend(ax), _legend(ins, fontsize=8)])
    return fig


def fig7(x_repump, curves, d: float, Z: float) -> Figure:
    r"""Fig. 7-style: ξ_exp,∞ (Eq. 23) versus repump strength for each Γ_d^add (Cs-133 preset).

    Parameters
    ----------
    x_repump : array_like, shape (n,)
        Repump strength x_repump = Ω²_repump/Ω²_pump,opt > 0 (dimensionless; log axis).
    curves : mapping of float to array_like, shape (n,)
        ``{Γ_d^add: ξ_exp,∞(x_repump)}``, Γ_d^add in units of Γ.
    d : float
        Optical depth of one ensemble, for the title.
    Z : float
        Squeezing parameter of the preset, for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> xr = np.geomspace(0.01, 10.0, 25)
    >>> fig = fig7(xr, {0.0: 0.76 + 0.3 / (1 + 20 * xr)}, 30, 2.36)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    x_repump = _checks.array(x_repump, "x_repump", ndim=1, min_size=2)
    if np.any(x_repump <= 0):
        raise ValueError("x_repump must be > 0 (it is drawn on a log axis)")
    curves = _curves(x_repump, curves, "curves")
    d = _checks.real(d, "d")
    Z = _checks.real(Z, "Z")
    fig = _new_figure((5.6, 3.8))
    ax = fig.subplots()
    for (ga, xi), col in zip(curves.items(), COLOURS):
        ax.plot(x_repump, xi, color=col, label=_ga_label(ga))
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(x_repump[0], x_repump[-1])
    ax.set_xlabel(r"$x_{\mathrm{repump}} = \Omega_{\mathrm{repump}}^2/\Omega_{\mathrm{pump,opt}}^2$")
    ax.set_ylabel(r"$\xi_{\mathrm{exp},\infty}$  (Eq. 23)")
    ax.set_title(rf"Cs-133 preset, $+700$ MHz, $Z = {Z:.3g}$, $d = {d:g}$", fontsize=9)
    _place_legends(fig, [_legend(ax)])
    return fig


def fig8(t, curves, d: float, lt=None) -> Figure:
    r"""Fig. 8-style: ξ_exp(t) without repump (integrated; Eq. 23 dotted) on a log time axis.

    The dip of ξ_exp happens within a few hundredths of 1/Γ and the approach to the steady
    state takes about 1/Γ, so time is drawn logarithmically from the first positive time
    (ξ_exp(0) = 1 at t = 0 lies off the log axis).

    Parameters
    ----------
    t : array_like, shape (n,)
        Times in units of 1/Γ, increasing, ``t >= 0`` with at least two positive times.
    curves : mapping of float to array_like, shape (n,)
        ``{Γ_d^add: ξ_exp(t)}`` from the integrated moment equations, Γ_d^add in units of Γ.
    d : float
        Optical depth of one ensemble, for the title.
    lt : mapping of float to array_like, shape (n,), optional
        ``{Γ_d^add: ξ_exp(t)}`` of the long-time approximation Eq. (23), dotted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> t = np.concatenate([np.linspace(0, 0.1, 101), np.linspace(0.1, 3.0, 30)[1:]])
    >>> xi = 1.09 - 0.3 * np.exp(-3 * t) + 0.21 * np.exp(-40 * t)
    >>> fig = fig8(t, {0.0: xi}, 30)
    >>> fig.axes[0].get_xscale(), float(fig.axes[0].get_xlim()[0])
    ('log', 0.001)
    """
    t = _checks.array(t, "t", ndim=1, min_size=2)
    if np.any(np.diff(t) <= 0) or t[0] < 0 or np.count_nonzero(t > 0) < 2:
        raise ValueError("t must be increasing, >= 0, with at least two positive times")
    curves = _curves(t, curves, "curves")
    if lt is not None:
        lt = _curves(t, lt, "lt")
        missing = set(curves) - set(lt)
        if missing:
            raise ValueError(f"lt has no curve for gamma_add {sorted(missing)}")
    d = _checks.real(d, "d")
    m = t > 0
    fig = _new_figure((5.6, 3.8))
    ax = fig.subplots()
    handles = []
    for (ga, xi), col in zip(curves.items(), COLOURS):
        (h,) = ax.plot(t[m], xi[m], color=col, label=_ga_label(ga))
        handles.append(h)
        if lt is not None:
            ax.plot(t[m], lt[ga][m], color=col, ls=":", lw=1)
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(t[m][0], t[-1])
    ax.set_xlabel(r"$t\,\Gamma$  (log scale; at $t = 0$, $\xi_{\mathrm{exp}} = 1$)")
    ax.set_ylabel(r"$\xi_{\mathrm{exp}}(t)$")
    ax.set_title(rf"Cs-133 preset, no repump, $d = {d:g}$", fontsize=9)
    labels = [h.get_label() for h in handles]
    handles.append(Line2D([], [], color="k", lw=1.5))
    labels.append("integrated moment equations")
    if lt is not None:
        handles.append(Line2D([], [], color="k", ls=":", lw=1))
        labels.append("long-time approximation, Eq. (23)")
    _place_legends(fig, [_legend(ax, handles, labels)])
    return fig


def appendix_b(data: Mapping) -> Figure:
    r"""The six-panel Appendix B figure of docs/appendix-b.md: reference curves and Monte-Carlo points.

    Parameters
    ----------
    data : mapping
        As returned by :func:`lehmberg.validate.run_validation` (lengths in units of 1/k_L,
        rates in units of Γ):

        - ``"intra"``: ``kL``, ``Gamma_ij``, ``G_ij``, ``asymptote``, ``scaled_correction``,
          ``G_kL3`` (arrays over k_L L; :func:`lehmberg.validate.intra_scan`), optionally
          ``Gamma_ij_err`` and ``G_ij_err`` (quadrature error estimates);
        - ``"intra_p_parallel"`` (optional): ``kL``, ``Gamma_ij`` for p̂ ∥ k_L;
        - ``"inter"``: ``kL`` (m,), ``ratio`` (n,) = k_L R/(k_L L)², ``dipole`` and
          ``nodipole`` with complex ``gamma_bar`` and real ``Gamma_ij`` of shape (m, n),
          ``paper`` (m, n) complex, ``intra`` with ``gamma_bar`` and ``Gamma_ij`` of shape (m,)
          (:func:`lehmberg.validate.inter_scan`);
        - ``"mc_intra"`` (optional): ``kL``, ``Gamma_ij``, ``Gamma_ij_err``, ``G_ij``,
          ``G_ij_err``, optionally ``n_samples`` and ``method`` (a short description such as
          "independent pairs", shown in the title) (:func:`lehmberg.validate.mc_intra`);
        - ``"mc_inter"`` (optional): ``kL`` (float), ``ratio``, complex ``gamma_bar`` and
          ``gamma_bar_err`` (standard errors of the real and imaginary parts),
          ``n_samples`` (:func:`lehmberg.validate.mc_inter`).

    Returns
    -------
    matplotlib.figure.Figure
        Panels (a) Γ_ij against k_L L with 3/(4(k_L L)²); (b) (Γ_ij − 3/(4(k_L L)²))(k_L L)⁴;
        (c) |G_ij/Γ_ij|; (d) G_ij (k_L L)³ with the paper's log law; (e) Γ̄_I,II (k_L L)²
        against the paper's formula 3/(4((k_L L)² + i k_L R))(1 − e^{−2(k_L L)² − 2ik_L R});
        (f) the condition k_L ≫ R/L².  Monte-Carlo points carry ±1 standard error.

    Examples
    --------
    >>> from lehmberg.validate import grids, inter_scan, intra_scan
    >>> g = grids(quick=True)
    >>> fig = appendix_b({"intra": intra_scan(g["kL"]), "inter": inter_scan([10.0], g["ratio"])})
    >>> len(fig.axes)
    6
    """
    if not isinstance(data, Mapping) or "intra" not in data or "inter" not in data:
        raise ValueError("data must be a mapping with the keys 'intra' and 'inter' (see lehmberg.validate)")
    intra = data["intra"]
    kL = _checks.array(intra["kL"], "data['intra']['kL']", ndim=1, min_size=2)
    for k in ("Gamma_ij", "G_ij", "asymptote", "scaled_correction", "G_kL3"):
        _curves(kL, {0: intra[k]}, f"data['intra'][{k!r}]")
    inter = data["inter"]
    q = _checks.array(inter["ratio"], "data['inter']['ratio']", ndim=1, min_size=2)
    kL_inter = np.atleast_1d(np.asarray(inter["kL"], dtype=float))
    if np.shape(inter["dipole"]["gamma_bar"]) != (kL_inter.size, q.size):
        raise ValueError("data['inter']['dipole']['gamma_bar'] must have shape (len(kL), len(ratio))")
    mc = data.get("mc_intra")
    mci = data.get("mc_inter")

    fig = _new_figure((15, 9.6))
    ax = fig.subplots(2, 3)
    legends = []
    mc_n = []
    for m_ in (mc, mci):
        if m_ is not None and "n_samples" in m_:
            mc_n.extend(np.atleast_1d(m_["n_samples"]).tolist())
    n_text = ""
    if mc_n:
        n_text = (_pow10(min(mc_n)) if min(mc_n) == max(mc_n)
                  else f"{_pow10(min(mc_n))}–{_pow10(max(mc_n))}") + " samples per point, "
    mc_label = "Monte Carlo"
    mc_kw = dict(fmt="o", ms=4, capsize=2, color="C3", ecolor="C3", elinewidth=1, zorder=3)

    # (a) Γ_ij inside one cloud
    a = ax[0, 0]
    a.loglog(kL, intra["Gamma_ij"], "C0-", label=r"reference, $\hat p = \hat x$")
    par = data.get("intra_p_parallel")
    if par is not None:
        a.loglog(par["kL"], par["Gamma_ij"], "C2-", lw=1, label=r"reference, $\hat p \parallel \mathbf{k}_L$")
    a.loglog(kL, intra["asymptote"], "k--", lw=1, label=r"$3/(4(k_L L)^2)$")
    if mc is not None:
        a.errorbar(mc["kL"], mc["Gamma_ij"], mc["Gamma_ij_err"], label=mc_label, **mc_kw)
    a.set(xlabel=r"$k_L L$", ylabel=r"$\Gamma_{ij}/\Gamma$", ylim=(1e-9, 3))
    a.set_title(r"(a) $\Gamma_{ij}$ inside one cloud", fontsize=11)
    legends.append(_legend(a))

    # (b) scaled leading correction
    a = ax[0, 1]
    sel = kL >= 0.3
    a.semilogx(kL[sel], intra["scaled_correction"][sel], "C0-", label="reference")
    a.axhline(C4, color="k", ls="--", lw=1, label=r"$-3/4$")
    x = kL[sel]
    a.semilogx(x, -0.75 + 0.75 / x**2, "C1:", lw=1.5, label=r"$-3/4 + 3/(4(k_L L)^2)$")
    if mc is not None:
        m = np.asarray(mc["kL"]) <= 30
        mk = np.asarray(mc["kL"])[m]
        a.errorbar(mk, (np.asarray(mc["Gamma_ij"])[m] - 0.75 / mk**2) * mk**4,
                   np.asarray(mc["Gamma_ij_err"])[m] * mk**4, label=mc_label, **mc_kw)
    a.set(xlabel=r"$k_L L$", ylabel=r"$\left(\Gamma_{ij}/\Gamma - \frac{3}{4(k_L L)^2}\right)(k_L L)^4$",
          ylim=(-1.5, 0.5))
    a.set_title("(b) scaled leading correction", fontsize=11)
    legends.append(_legend(a))

    # (c) G_ij / Γ_ij
    a = ax[0, 2]
    a.loglog(kL, np.abs(intra["G_ij"] / intra["Gamma_ij"]), "C0-", label=r"reference")
    a.loglog(kL, abs(G_LIMIT) / (0.75 * kL), "k--", lw=1, label=r"$7/(3\sqrt{2\pi}\,k_L L)$")
    if mc is not None:
        a.errorbar(mc["kL"], np.abs(np.asarray(mc["G_ij"]) / mc["Gamma_ij"]),
                   np.abs(np.asarray(mc["G_ij_err"]) / mc["Gamma_ij"]), label=mc_label, **mc_kw)
    a.set(xlabel=r"$k_L L$", ylabel=r"$|G_{ij}/\Gamma_{ij}|$", ylim=(1e-5, 1e3))
    a.set_title(r"(c) $|G_{ij}/\Gamma_{ij}|$ inside one cloud ($G_{ij} < 0$)", fontsize=11)
    legends.append(_legend(a))

    # (d) G_ij (k_L L)^3: no log
    a = ax[1, 0]
    a.semilogx(kL[sel], intra["G_kL3"][sel], "C0-", label="reference")
    a.axhline(G_LIMIT, color="k", ls="--", lw=1, label=r"$-7/(4\sqrt{2\pi})$")
    i10 = int(np.argmin(np.abs(kL - 10.0)))
    if kL[i10] > 1.0:
        c = intra["G_kL3"][i10] / math.log(kL[i10])
        big = sel & (kL > 1.5)
        a.semilogx(kL[big], c * np.log(kL[big]), "C1:", lw=1.5,
                   label=rf"paper: $\propto \log(k_L L)$ (matched at {kL[i10]:.3g})")
    if mc is not None:
        m = np.asarray(mc["kL"]) <= 30
        mk = np.asarray(mc["kL"])[m]
        a.errorbar(mk, np.asarray(mc["G_ij"])[m] * mk**3, np.asarray(mc["G_ij_err"])[m] * mk**3,
                   label=mc_label, **mc_kw)
    a.set(xlabel=r"$k_L L$", ylabel=r"$G_{ij}\,(k_L L)^3/\Gamma$", ylim=(-4, 0.5))
    a.set_title(r"(d) $G_{ij}(k_L L)^3$: no $\log(k_L L)$ growth", fontsize=11)
    legends.append(_legend(a))

    # (e) Γ̄ between clouds
    a = ax[1, 1]
    h_e, l_e = [], []
    for n, kLi in enumerate(kL_inter):
        gb = np.asarray(inter["dipole"]["gamma_bar"][n]) * kLi**2
        (h,) = a.semilogx(q, gb.real, f"C{n}-", lw=1.2)
        a.semilogx(q, gb.imag, f"C{n}--", lw=1.2)
        nd = np.asarray(inter["nodipole"]["gamma_bar"][n]) * kLi**2
        a.semilogx(q, nd.real, f"C{n}+", ms=5)
        a.semilogx(q, nd.imag, f"C{n}x", ms=5)
        h_e.append(h)
        l_e.append(rf"$k_L L = {kLi:g}$")
    pp = np.asarray(inter["paper"][0]) * kL_inter[0] ** 2
    a.semilogx(q, pp.real, "k:", lw=1.5)
    a.semilogx(q, pp.imag, "k:", lw=1.5)
    h_e += [Line2D([], [], color="k", lw=1.2), Line2D([], [], color="k", ls="--", lw=1.2),
            (Line2D([], [], color="k", marker="+", ls="none", ms=5),
             Line2D([], [], color="k", marker="x", ls="none", ms=5)),
            Line2D([], [], color="k", ls=":", lw=1.5)]
    l_e += [r"$\mathrm{Re}$, reference", r"$\mathrm{Im}$, reference",
            r"no dipole factor: $+$ Re, $\times$ Im", "paper's formula (no dipole factor)"]
    if mci is not None:
        s = float(mci["kL"]) ** 2
        gb, ge = np.asarray(mci["gamma_bar"]), np.asarray(mci["gamma_bar_err"])
        e1 = a.errorbar(mci["ratio"], gb.real * s, ge.real * s, **mc_kw)
        kw = dict(mc_kw, fmt="s")
        e2 = a.errorbar(mci["ratio"], gb.imag * s, ge.imag * s, **kw)
        h_e.append((e1, e2))
        l_e.append(rf"Monte Carlo, $k_L L = {float(mci['kL']):g}$: ● Re, ■ Im")
    a.set(xlabel=r"$k_L R/(k_L L)^2$", ylabel=r"$\bar\Gamma_{I,II}\,(k_L L)^2/\Gamma$")
    a.set_title(r"(e) between clouds, $\mathbf{R} \parallel \mathbf{k}_L$", fontsize=11)
    legends.append(_legend(a, h_e, l_e, handler_map={tuple: HandlerTuple(ndivide=None)}))

    # (f) the condition k_L >> R/L^2
    a = ax[1, 2]
    h_f, l_f = [], []
    for n, kLi in enumerate(kL_inter):
        dev = np.abs(np.asarray(inter["dipole"]["gamma_bar"][n]) / inter["intra"]["gamma_bar"][n] - 1.0)
        (h,) = a.loglog(q, dev, f"C{n}-")
        rj = np.asarray(inter["dipole"]["Gamma_ij"][n]) / inter["intra"]["Gamma_ij"][n]
        a.loglog(q, rj, f"C{n}--", lw=1)
        h_f.append(h)
        l_f.append(rf"$k_L L = {kLi:g}$")
    a.loglog(q, q, "k:", lw=1)
    h_f += [Line2D([], [], color="k"), Line2D([], [], color="k", ls="--", lw=1),
            Line2D([], [], color="k", ls=":", lw=1)]
    l_f += [r"$|\bar\Gamma_{I,II}/\bar\Gamma_{I,I} - 1|$", r"$\Gamma_{ij}^{I,II}/\Gamma_{ij}^{I,I}$",
            r"$k_L R/(k_L L)^2$"]
    a.set(xlabel=r"$k_L R/(k_L L)^2$",
          ylabel=r"$|\bar\Gamma_{I,II}/\bar\Gamma_{I,I} - 1|$,  $\Gamma_{ij}^{I,II}/\Gamma_{ij}^{I,I}$")
    lo, hi = a.get_ylim()
    a.set_ylim(min(lo, 1e-4), max(hi, 20.0))
    a.set_title(r"(f) the condition $k_L \gg R/L^2$", fontsize=11)
    legends.append(_legend(a, h_f, l_f))

    for a in ax.flat:
        a.grid(True, which="major", alpha=0.3)
    rel = []
    for k, e in (("Gamma_ij", "Gamma_ij_err"), ("G_ij", "G_ij_err")):
        if e in intra:
            v = np.abs(np.asarray(intra[k]))
            ok = v > 0
            rel.append(float(np.max(np.asarray(intra[e])[ok] / v[ok])))
    notes = []
    if mc is not None or mci is not None:
        method = next((str(m_["method"]) for m_ in (mc, mci) if m_ is not None and m_.get("method")), "")
        notes.append(f"Monte Carlo (red{', ' + method if method else ''}): {n_text}error bars ±1 standard error")
    if rel:
        e = math.ceil(math.log10(max(max(rel), 1e-300)))
        notes.append(rf"reference curves: quadrature, relative error $< 10^{{{e}}}$ (within the line width)")
    fig.suptitle("Appendix B checked: position-averaged Lehmberg rates of Gaussian clouds "
                 r"(probe $\parallel \hat z$, $\hat p = \hat x$; rates in units of $\Gamma$, "
                 r"lengths in units of $1/k_L$)" + ("\n" + "; ".join(notes) if notes else ""), fontsize=11)
    _place_legends(fig, legends)
    return fig


def g_variance(kL: float, reference: float, rows: Sequence[Mapping], batches: int = 64) -> Figure:
    r"""Standard error of Re Ḡ against the number of samples: symmetrised against naive estimator.

    The figure of ``benchmarks/g_variance.py`` (data/g_variance.png): (a) the batch standard
    error of both estimators with its own ±1 s.d. (from the batch means' kurtosis) and the
    1/√n law; (b) estimate minus the quadrature reference with ±1 s.e.; naive estimates beyond
    ±20 s.e. of the first symmetrised point are drawn as triangles at the edge.

    Parameters
    ----------
    kL : float
        k_L L of the cloud (dimensionless).
    reference : float
        Re Ḡ from the quadrature reference, in units of Γ.
    rows : sequence of mappings
        One per sample size, with ``n`` and, in units of Γ, ``sym_mean``, ``sym_se``,
        ``sym_se_err``, ``naive_mean``, ``naive_se``, ``naive_se_err``.
    batches : int
        Number of batch means behind each standard error (for the title).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"n": 2**k, "sym_mean": -0.0227, "sym_se": 0.1 / 2**(k / 2), "sym_se_err": 0.01 / 2**(k / 2),
    ...          "naive_mean": -0.03, "naive_se": 0.02, "naive_se_err": 0.01} for k in range(12, 16)]
    >>> fig = g_variance(3.0, -0.02268, rows)
    >>> [ax.get_xscale() for ax in fig.axes]
    ['log', 'log']
    """
    kL = _checks.real(kL, "kL")
    reference = _checks.real(reference, "reference")
    keys = ("n", "sym_mean", "sym_se", "sym_se_err", "naive_mean", "naive_se", "naive_se_err")
    if len(rows) < 2 or any(k not in r_ for r_ in rows for k in keys):
        raise ValueError(f"rows must hold at least 2 mappings with the keys {keys}")
    col = {k: np.array([float(r_[k]) for r_ in rows]) for k in keys}
    n = col["n"]
    if np.any(n <= 0):
        raise ValueError("rows: n must be > 0")
    fig = _new_figure((11, 4.2))
    ax = fig.subplots(1, 2)
    a = ax[0]
    a.errorbar(n, col["sym_se"], col["sym_se_err"], fmt="o-", ms=5, capsize=2,
               label=r"symmetrised ($T_h$)")
    a.errorbar(n, col["naive_se"], col["naive_se_err"], fmt="s-", ms=5, capsize=2,
               label=r"naive $e^{i\mathbf{k}_L\cdot\mathbf{r}}\,g(\mathbf{r})$")
    a.plot(n, col["sym_se"][0] * np.sqrt(n[0] / n), "k--", lw=0.8, label=r"$\propto 1/\sqrt{n}$")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel(r"samples $n$")
    a.set_ylabel(r"standard error of $\mathrm{Re}\,\bar G$ / $\Gamma$")
    a.set_title(rf"(a) $k_L L = {kL:g}$, $\hat p = \hat x$, {batches} batch means; "
                r"error bars $\pm1$ s.d. of the s.e.", fontsize=9)
    legends = [_legend(a, fontsize=8)]

    a = ax[1]
    lim = 20.0 * col["sym_se"][0]
    a.errorbar(n, col["sym_mean"] - reference, col["sym_se"], fmt="o-", ms=5, capsize=2,
               label=r"symmetrised, $\pm1$ s.e.", zorder=3)
    dn = col["naive_mean"] - reference
    on = np.abs(dn) <= lim
    a.plot(n, np.clip(dn, -lim, lim), "-", color="C1", lw=1)
    a.errorbar(n[on], dn[on], col["naive_se"][on], fmt="s", ms=5, capsize=2, color="C1",
               label=r"naive, $\pm1$ batch s.e.")
    for j, k in enumerate(np.nonzero(~on)[0]):  # off scale: a triangle at the edge
        a.plot([n[k]], [np.sign(dn[k]) * lim * 0.97], ls="none", color="C1",
               marker="^" if dn[k] > 0 else "v", ms=7,
               label="naive, off scale (at the edge)" if j == 0 else None)
    a.axhline(0.0, color="k", lw=0.5)
    a.set_xscale("log")
    a.set_ylim(-lim, lim)
    a.set_xlabel(r"samples $n$")
    a.set_ylabel(r"$\mathrm{Re}\,\bar G$ estimate $-$ reference  / $\Gamma$")
    a.set_title(rf"(b) against the quadrature reference $\mathrm{{Re}}\,\bar G = {reference:.6g}\,\Gamma$",
                fontsize=9)
    legends.append(_legend(a, fontsize=8))
    _place_legends(fig, legends)
    return fig


# ---------------------------------------------------------------------------------------------
# entanglement map (lehmberg entangle-map)

def entanglement_map(data: Mapping, experiments: Sequence = ()) -> Figure:
    """ξ_∞, ξ_best and E_N over k_L L and k_L R/(k_L L)², with the paper's assumptions' failure.

    Parameters
    ----------
    data : mapping
        The dict of :func:`lehmberg.entanglement_map.entanglement_map`.
    experiments : sequence of (label, kL, u)
        Setups marked on every panel.

    Returns
    -------
    Figure
        Three panels; the dashed contours mark where ξ_∞ departs from the paper's value
        (c = 1, no collective Lamb shifts) by 1 % and 10 %, the solid black one ξ = 1 (no
        entanglement detected) or E_N = 0; hatched cells were not computed.
    """
    kL = _checks.array(data["kL"], "data['kL']", ndim=1, min_size=2)
    u = _checks.array(data["u"], "data['u']", ndim=1, min_size=2)
    fig = _new_figure((13.0, 4.4))
    axes = fig.subplots(1, 3, sharey=True)
    X, Y = np.meshgrid(kL, u, indexing="ij")
    rel = np.abs(np.asarray(data["xi_inf"]) / np.asarray(data["xi_paper"]) - 1.0)
    panels = (("xi_inf", r"$\xi_\infty$ (the paper's quadratures, Eq. 3)", 1.0),
              ("xi_inf_best", r"$\xi_\infty$ at the best rotation of cloud II", 1.0),
              ("log_negativity", r"logarithmic negativity $E_N$", 0.0))
    markers = ("*", "D", "o", "s")
    for ax, (key, title, edge) in zip(axes, panels):
        Zv = np.ma.masked_invalid(np.asarray(data[key], dtype=float))
        cmap = "viridis_r" if key != "log_negativity" else "viridis"
        mesh = ax.pcolormesh(X, Y, Zv, shading="nearest", cmap=cmap)
        fig.colorbar(mesh, ax=ax, shrink=0.85)
        missing = np.ma.getmaskarray(Zv)
        if missing.any():
            ax.contourf(X, Y, missing.astype(float), levels=[0.5, 1.5], colors="none",
                        hatches=["////"])
        level = edge if key != "log_negativity" else 1e-9   # E_N is 0 (not negative) when separable
        if np.nanmin(Zv) < level < np.nanmax(Zv):
            ax.contour(X, Y, Zv.filled(np.nan), levels=[level], colors="k", linewidths=1.5)
        if key == "xi_inf" and np.isfinite(rel).any():
            ax.contour(X, Y, np.where(np.isfinite(rel), rel, np.nan), levels=[0.01, 0.1],
                       colors="w", linestyles=["--", ":"], linewidths=1.2)
        for (label, ekL, eu), m in zip(experiments, markers):
            ax.plot([ekL], [eu], m, color="tab:red", ms=13 if m == "*" else 9, mec="w", label=label,
                    clip_on=False, zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        eus = [e[2] for e in experiments] or [u.min()]
        ax.set_ylim(min(u.min(), min(eus)) / 1.5, max(u.max(), max(eus)) * 1.5)
        ax.set_xlabel(r"$k_L L$")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel(r"Fresnel parameter $u = k_L R/(k_L L)^2$")
    handles = [Line2D([], [], color="k", lw=1.5, label=r"$\xi = 1$ or $E_N = 0$"),
               Line2D([], [], color="grey", ls="--", label=r"$\xi_\infty$ 1 % from the paper's"),
               Line2D([], [], color="grey", ls=":", label=r"$\xi_\infty$ 10 % from the paper's")]
    handles += [Line2D([], [], ls="", marker=m, color="tab:red", mec="w", ms=12 if m == "*" else 8,
                       label=label)
                for (label, _, _), m in zip(experiments, markers)]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8,
               frameon=False)
    Z = np.asarray(data["Z"], dtype=float)
    zlabel = (f"$Z = {np.nanmin(Z):.3g}$" if np.nanmin(Z) == np.nanmax(Z)
              else "$Z$ optimised for $\\xi_{\\mathrm{best}}$")
    fig.suptitle(rf"Gaussian model at $d = {float(data['d']):g}$, {zlabel}, "
                 rf"$\Gamma_d^{{\mathrm{{add}}}} = {float(data['gamma_add']):g}\,\Gamma$; "
                 r"hatched: not computed (overlapping clouds beyond the reference's range)",
                 fontsize=10)
    return fig


def geometry_map(data: Mapping) -> Figure:
    """ξ_∞, ξ_best, E_N and the optical depths over one or two geometry axes.

    Parameters
    ----------
    data : mapping
        The dict of :func:`lehmberg.entanglement_map.geometry_map`.

    Returns
    -------
    Figure
        One axis: two panels of curves with their propagated error bars (ξ_∞, ξ_best and E_N;
        d_I and d_II). Two axes: three image panels (ξ_∞, ξ_best, E_N) with the contour ξ = 1
        (E_N = 0), the first axis across.
    """
    from .entanglement_map import GEOMETRY_AXES

    names = tuple(data["axes"])
    if not 1 <= len(names) <= 2:
        raise ValueError("data['axes']: one or two geometry axes")
    label = {n: f"{GEOMETRY_AXES[n][0]}" + (" (degrees)" if n == "probe_angle" else "")
             for n in names}
    if len(names) == 1:
        x = _checks.array(data[names[0]], f"data[{names[0]!r}]", ndim=1, min_size=1)
        fig = _new_figure((10.0, 4.0))
        a, b = fig.subplots(1, 2)
        for key, tex in (("xi_inf", r"$\xi_\infty$"), ("xi_best", r"$\xi_\infty$ best rotation"),
                         ("log_negativity", r"$E_N$")):
            a.errorbar(x, data[key], yerr=data[key + "_err"], marker="o", ms=3, capsize=2,
                       label=tex)
        a.axhline(1.0, color="k", lw=0.8, ls=":")
        a.set_xlabel(label[names[0]])
        a.set_ylabel("entanglement (Gaussian model)")
        a.legend(frameon=False)
        for key, tex in (("d", r"$d_I = N_I \bar\Gamma_{I,I}$"),
                         ("d_II", r"$d_{II} = N_{II} \bar\Gamma_{II,II}$")):
            b.errorbar(x, data[key], yerr=data[key + "_err"], marker="o", ms=3, capsize=2,
                       label=tex)
        b.set_xlabel(label[names[0]])
        b.set_ylabel("optical depth")
        b.legend(frameon=False)
        for ax in (a, b):
            if np.all(x > 0) and x.max() / x.min() > 20:
                ax.set_xscale("log")
        return fig
    x = _checks.array(data[names[0]], f"data[{names[0]!r}]", ndim=1, min_size=2)
    y = _checks.array(data[names[1]], f"data[{names[1]!r}]", ndim=1, min_size=2)
    fig = _new_figure((13.0, 4.2))
    axes = fig.subplots(1, 3, sharey=True)
    X, Y = np.meshgrid(x, y, indexing="ij")
    for ax, (key, title, edge) in zip(axes, (
            ("xi_inf", r"$\xi_\infty$", 1.0), ("xi_best", r"$\xi_\infty$ best rotation", 1.0),
            ("log_negativity", r"$E_N$", 0.0))):
        Zv = np.ma.masked_invalid(np.asarray(data[key], dtype=float))
        mesh = ax.pcolormesh(X, Y, Zv, shading="nearest",
                             cmap="viridis" if key == "log_negativity" else "viridis_r")
        fig.colorbar(mesh, ax=ax)
        if np.nanmin(Zv) < edge < np.nanmax(Zv):
            ax.contour(X, Y, Zv, [edge], colors="k", linewidths=1.0)
        ax.set_title(title)
        ax.set_xlabel(label[names[0]])
    axes[0].set_ylabel(label[names[1]])
    return fig


def shapes(ds) -> Figure:
    """The shape dependence of :func:`lehmberg.shapes.shape_dependence`: Γ_ij against the
    leading law 3/(4A), the optical depth and ξ_∞ over the aspect ratio, for the cigar along
    and across the probe and each dipole, with error bars.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset of :func:`lehmberg.shapes.shape_dependence`.

    Returns
    -------
    Figure
        Three panels sharing the aspect-ratio axis (logarithmic).
    """
    a = _checks.array(ds["aspect"].values, "ds['aspect']", ndim=1, min_size=1)
    fig = _new_figure((13.0, 4.2))
    axes = fig.subplots(1, 3, sharex=True)
    styles = {"along": "-", "across": "--"}
    colors = {"x": "C0", "y": "C1", "sigma+": "C2"}
    names = {"x": r"$\hat p = \hat x$", "y": r"$\hat p = \hat y$", "sigma+": r"$\sigma^+$"}
    panels = (("leading_law_ratio", r"$\Gamma_{ij} \cdot 4A/3$ (1: the leading law)"),
              ("d", r"optical depth $d = N\Gamma_{ij}$"),
              ("xi_inf", r"$\xi_\infty$ (Gaussian model)"))
    for ax, (key, title) in zip(axes, panels):
        for o in ds["orientation"].values:
            for p in ds["dipole"].values:
                v = ds[key].sel(orientation=o, dipole=p).values
                e = ds[key + "_err"].sel(orientation=o, dipole=p).values
                ax.errorbar(a, v, yerr=e, ls=styles[str(o)], color=colors[str(p)], marker="o",
                            ms=2.5, capsize=1.5, label=f"{o}, {names[str(p)]}")
        ax.set_title(title)
        ax.set_xlabel(r"aspect ratio $L_3/L_\perp$ at fixed volume"
                      if ds.attrs.get("aspect_at_fixed") == "volume"
                      else r"aspect ratio $L_3/L_\perp$ at fixed transverse area")
        ax.set_xscale("log")
    axes[0].axhline(1.0, color="k", lw=0.8, ls=":")
    axes[2].axhline(1.0, color="k", lw=0.8, ls=":")
    axes[0].legend(frameon=False, fontsize=7, ncol=2)
    return fig
