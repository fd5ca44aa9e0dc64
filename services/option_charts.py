"""Option charts as PNG bytes: the implied-volatility smile of /chain (IV % against strike,
one line per expiry, the spot marked, moneyness under each strike) and the payoff at
expiry of a multi-leg position (what an option card attaches).

Pure: it takes plain numbers (no views, no Discord) and draws with the same matplotlib
setup and render lock as services.charts (Agg, no pyplot, nothing global left behind).
A chart with no usable point at all still renders: a "no usable quotes" figure, so a
caller always has an image to show beside its table.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from services.charts import RENDER_LOCK, matplotlib_agg
from services.options.payoff import LegSpec, payoff, profile

_PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}  # fast; Discord re-encodes
_RC = {"axes.facecolor": "white", "figure.facecolor": "white"}
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


@dataclass(frozen=True, slots=True)
class SmileLine:
    """One expiry's curve: its legend label, strikes and IVs as decimals (0.25 is 25%)."""

    label: str
    strikes: Sequence[float]
    ivs: Sequence[float]


def _points(line: SmileLine) -> tuple[list[float], list[float]]:
    """The finite (strike > 0, iv > 0) points of a curve, sorted by strike, IV in %."""
    if len(line.strikes) != len(line.ivs):
        raise ValueError(
            f"curve {line.label!r}: {len(line.strikes)} strikes but {len(line.ivs)} IVs"
        )
    pts = sorted(
        (float(k), float(v) * 100.0)
        for k, v in zip(line.strikes, line.ivs, strict=True)
        if math.isfinite(k) and math.isfinite(v) and k > 0 and v > 0
    )
    return [k for k, _ in pts], [v for _, v in pts]


def smile_title(symbol: str, simulated: bool) -> str:
    return f"{symbol} implied-vol smile" + (" · SIMULATED" if simulated else "")


def smile_png(
    lines: Sequence[SmileLine | tuple[str, Sequence[float], Sequence[float]]],
    *,
    spot: float,
    symbol: str,
    simulated: bool = False,
    source: str = "",
    size: tuple[float, float] = (9.0, 5.0),
    dpi: int = 100,
) -> bytes:
    """The smile as PNG bytes. `lines` are SmileLine or (label, strikes, ivs) tuples; points
    that are not finite and positive are left out. ValueError for a spot that is not a
    positive number or a curve whose strikes and IVs differ in length. No usable point at
    all gives a figure that says so (not an error)."""
    if not (math.isfinite(spot) and spot > 0):
        raise ValueError(f"spot must be a positive number, not {spot!r}")
    curves = [ln if isinstance(ln, SmileLine) else SmileLine(*ln) for ln in lines]
    drawn = [(c.label, *_points(c)) for c in curves]
    drawn = [(label, ks, vs) for label, ks, vs in drawn if ks]
    mpl = matplotlib_agg()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with RENDER_LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=size)  # no pyplot: nothing global to leak
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.17)
        ax.set_title(smile_title(symbol, simulated), fontsize=12)
        for i, (label, ks, vs) in enumerate(drawn):
            colour = COLOURS[i % len(COLOURS)]
            ax.plot(ks, vs, color=colour, linewidth=1.5, marker="o", markersize=2.5, label=label)
        ax.axvline(spot, color="#555555", linestyle="--", linewidth=1.0)
        ax.annotate(
            f"spot {spot:,.2f}",
            (spot, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )
        if drawn:
            lo = min(min(ks) for _, ks, _ in drawn)
            hi = max(max(ks) for _, ks, _ in drawn)
            pad = max((hi - lo) * 0.03, spot * 0.005)
            ax.set_xlim(min(lo, spot) - pad, max(hi, spot) + pad)
            ax.legend(loc="upper right", fontsize=8, title="Expiry", title_fontsize=8)
        else:
            ax.set_xlim(spot * 0.8, spot * 1.2)
            ax.set_ylim(0, 100)
            ax.text(
                0.5,
                0.5,
                "no usable quotes: no implied vol to draw",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=12,
                color="#888888",
                bbox={"facecolor": "white", "edgecolor": "none"},
            )
        # moneyness under each strike: cheaper than a second (secondary) axis
        ax.xaxis.set_major_formatter(FuncFormatter(lambda k, _p: f"{k:g}\n{k / spot:.2f}x"))
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("Strike (moneyness strike / spot)", fontsize=9)
        ax.set_ylabel("Implied vol (%)")
        ax.grid(alpha=0.3)
        if source:
            fig.text(0.99, 0.01, f"source: {source}", ha="right", va="bottom", fontsize=7)
        fig.text(
            0.01,
            0.01,
            "our Black-Scholes-Merton IV from each mid; OTM side (puts below, calls above)",
            ha="left",
            va="bottom",
            fontsize=7,
            color="#666666",
        )
        buf = io.BytesIO()
        fig.savefig(buf, dpi=dpi, **_PNG)  # type: ignore[arg-type]
        return buf.getvalue()


def payoff_png(
    legs: Sequence[LegSpec],
    credit: float,
    *,
    spot: float,
    title: str,
    contracts: int = 1,
    simulated: bool = False,
    size: tuple[float, float] = (8.0, 4.5),
    dpi: int = 100,
) -> bytes:
    """The position's P&L at expiry in dollars (× 100 per contract × `contracts`) across the
    underlying's price: profit shaded green, loss red, the breakevens, the spot, and the max
    profit and loss marked. ValueError for no legs or a spot that is not positive."""
    if not legs:
        raise ValueError("a payoff needs at least one leg")
    if not (math.isfinite(spot) and spot > 0):
        raise ValueError(f"spot must be a positive number, not {spot!r}")
    import numpy as np

    strikes = [leg.strike for leg in legs]
    lo, hi = min(*strikes, spot) * 0.85, max(*strikes, spot) * 1.15
    xs = np.linspace(lo, hi, 600)
    scale = 100.0 * contracts
    ys = payoff(legs, credit, xs) * scale
    prof = profile(legs, credit)
    mpl = matplotlib_agg()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with RENDER_LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        fig.subplots_adjust(left=0.11, right=0.98, top=0.88, bottom=0.14)
        ax.set_title(title + (" · SIMULATED" if simulated else ""), fontsize=11)
        ax.plot(xs, ys, color="#222222", linewidth=1.6)
        ax.fill_between(xs, ys, 0, where=ys >= 0, color="#2ca02c", alpha=0.25, linewidth=0)
        ax.fill_between(xs, ys, 0, where=ys < 0, color="#d62728", alpha=0.25, linewidth=0)
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.axvline(spot, color="#1f77b4", linestyle="--", linewidth=1.0)
        ax.annotate(
            f"spot {spot:,.2f}", (spot, 1.0), xycoords=("data", "axes fraction"),
            xytext=(3, -10), textcoords="offset points", fontsize=8, color="#1f77b4",
        )  # fmt: skip
        for b in prof.breakevens:
            if lo <= b <= hi:
                ax.axvline(b, color="#888888", linestyle=":", linewidth=1.0)
                ax.annotate(
                    f"BE {b:,.2f}", (b, 0.0), xycoords=("data", "axes fraction"),
                    xytext=(3, 4), textcoords="offset points", fontsize=8, color="#555555",
                )  # fmt: skip
        best = "unlimited" if math.isinf(prof.max_profit) else f"${prof.max_profit * scale:,.0f}"
        worst = "unlimited" if math.isinf(prof.max_loss) else f"${prof.max_loss * scale:,.0f}"
        ax.text(
            0.01, 0.97, f"max profit {best}\nmax loss {worst}", transform=ax.transAxes,
            va="top", fontsize=8, bbox={"facecolor": "white", "edgecolor": "#cccccc"},
        )  # fmt: skip
        ax.set_xlabel("Underlying at expiry")
        ax.set_ylabel("P&L at expiry ($)")
        ax.grid(alpha=0.3)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=dpi, **_PNG)  # type: ignore[arg-type]
        return buf.getvalue()


__all__ = ["SmileLine", "payoff_png", "smile_png", "smile_title"]
