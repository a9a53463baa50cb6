"""Matplotlib figures (Agg backend): data in, figure out.  Figs. 3, 4, 7, 8 and ``entangle --plot``.

Nothing here computes physics; :mod:`lehmberg.commands.figures` and
:mod:`lehmberg.commands.entangle` pass arrays from :mod:`lehmberg.moments`.
Files are written by the commands through :func:`lehmberg.io.staged`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["entangle_figure", "fig3", "fig4", "fig7", "fig8"]

COLOURS = ["tab:purple", "tab:blue", "tab:green", "tab:red", "tab:orange", "tab:brown", "tab:pink",
           "yellowgreen", "grey"]


def entangle_figure(t, xi, P2, xi_inf=None, xi_approx=None, approx_label="Eq. (14)", title=""):
    """ξ(t) (with an analytic approximation, dashed) and P₂(t) versus t in 1/Γ."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(5.5, 5.5), sharex=True)
    a1.plot(t, xi, label="integrated moment equations")
    if xi_approx is not None:
        a1.plot(t, xi_approx, "--", label=approx_label)
    if xi_inf is not None and xi_inf == xi_inf:
        a1.axhline(xi_inf, color="grey", lw=0.8, ls=":", label=r"$\xi_\infty$")
    a1.axhline(1.0, color="k", lw=0.8)
    a1.set_ylabel(r"$\xi$")
    a1.legend(fontsize=8)
    a1.set_title(title, fontsize=9)
    a2.plot(t, P2)
    a2.set_ylabel(r"$P_2$")
    a2.set_xlabel(r"$t\ [1/\Gamma]$")
    fig.tight_layout()
    return fig


def fig3(Z, curves, d):
    """Fig. 3: ξ_∞ versus Z for each Γ_d^add (``curves``: {gamma_add: xi array})."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for (ga, xi), col in zip(curves.items(), COLOURS):
        ax.plot(Z, xi, color=col, label=rf"$\Gamma_d^{{add}}={ga:g}\Gamma$")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel(r"$Z=(|\mu|-|\nu|)^{-1}$")
    ax.set_ylabel(r"$\xi_\infty$")
    ax.set_title(f"two-level model, probe only, d = {d:g}", fontsize=9)
    ax.set_ylim(0.5, 1.2)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig4(x, curves, d, Z_inset, P_inset):
    """Fig. 4: min_Z ξ_∞ versus pump x for each Γ_d^add; inset P₂,∞(Z) for x in ``P_inset``."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for (ga, xi), col in zip(curves.items(), COLOURS[4:] + COLOURS):
        ax.plot(x, xi, color=col, label=rf"$\Gamma_d^{{add}}={ga:g}\Gamma$")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel("pump parameter x")
    ax.set_ylabel(r"$\xi_\infty^{opt}$")
    ax.set_title(f"two-level model, optimal Z, d = {d:g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ins = ax.inset_axes([0.55, 0.55, 0.4, 0.35])
    for (xv, P), ls in zip(P_inset.items(), ["--", "-"]):
        ins.plot(Z_inset, P, "k" + ls, lw=1, label=f"x = {xv:g}")
    ins.set_xlabel("Z", fontsize=7)
    ins.set_ylabel(r"$P_{2,\infty}$", fontsize=7)
    ins.tick_params(labelsize=6)
    ins.legend(fontsize=6)
    fig.tight_layout()
    return fig


def fig7(x_repump, curves, d, Z):
    """Fig. 7-style: ξ_exp,∞ (Eq. 23) versus repump strength for each Γ_d^add (Cs-133 preset)."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for (ga, xi), col in zip(curves.items(), COLOURS):
        ax.plot(x_repump, xi, color=col, label=rf"$\Gamma_d^{{add}}={ga:g}\Gamma$")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel(r"$x_{repump}=\Omega_{repump}^2/\Omega_{pump,opt}^2$")
    ax.set_ylabel(r"$\xi_{exp,\infty}$")
    ax.set_title(f"Cs-133 preset, +700 MHz, Z = {Z:.3g}, d = {d:g}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig8(t, curves, d, lt=None):
    """Fig. 8-style: ξ_exp(t) without repump (integrated; Eq. 23 dotted) for each Γ_d^add."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for (ga, xi), col in zip(curves.items(), COLOURS):
        ax.plot(t, xi, color=col, label=rf"$\Gamma_d^{{add}}={ga:g}\Gamma$")
        if lt is not None:
            ax.plot(t, lt[ga], color=col, ls=":", lw=1)
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xlabel(r"$t\ [1/\Gamma]$")
    ax.set_ylabel(r"$\xi_{exp}(t)$")
    ax.set_title(f"Cs-133 preset, no repump, d = {d:g} (dotted: Eq. 23)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
