"""Plain-text views shared by the terminal and Discord: a card's parts in words, an
order's price, the venue's dry run, `/risk`, `/reconcile`, `/analyze` and `/backtest`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agents.results import (
    AnalysisView,
    BacktestView,
    Card,
    OrderView,
    PositionsView,
    ReconcileView,
)
from models.domain import ScoreComponent, Side, TimeInForce
from services.risk import RiskReport


def _usd(x: float) -> str:
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def money(x: float | None) -> str:
    """Dollars, signed in front: '$1,234.50', '-$12.00', '-' for nothing."""
    return "-" if x is None else _usd(x)


def tif_text(tif: str) -> str:
    """'for the day', 'good till cancelled', 'at the next open'."""
    try:
        return TimeInForce(tif).text
    except ValueError:
        return tif


def entry_text(c: Card) -> str:
    """'market, about 182.40, for the day' / 'limit 180.00 (quote 182.40), good till
    cancelled'."""
    tif = tif_text(c.time_in_force)
    if c.limit_price is None:
        return f"{c.order_type}, about {c.entry:,.2f}, {tif}"
    quote = f" (quote {c.entry:,.2f})" if abs(c.entry - c.limit_price) > 1e-9 else ""
    return f"{c.order_type} {c.limit_price:,.2f}{quote}, {tif}"


def protection_text(c: Card) -> str | None:
    """'stop 178.10 · target 190.00 (at the venue)'; None for a card with neither."""
    parts = [f"{n} {x:,.2f}" for n, x in (("stop", c.stop), ("target", c.target)) if x]
    if not parts:
        return None
    venue = " (at the venue)" if c.protective else ""
    rr = f" · reward:risk {c.reward_risk:.2f}" if c.reward_risk is not None else ""
    return " · ".join(parts) + venue + rr


def risk_text(c: Card) -> str:
    """An entry's risk in $ and % of equity; an exit's realised P&L at the card's price."""
    if c.kind == "exit":
        return f"realises {_usd(c.realizes)}" if c.realizes is not None else "closes risk"
    return f"risk {_usd(c.risk_amount)} ({c.risk_pct:.2f}% of equity)"


def size_text(c: Card) -> str:
    if c.option is not None:  # an option card: contracts, and the capital they tie up
        unit = "contract" if c.quantity == 1 else "contracts"
        return f"{c.quantity:,} {unit}, capital {_usd(c.notional)}"
    return f"{c.quantity:,} shares, {_usd(c.notional)}"


def order_price(o: OrderView) -> str:
    """'mkt', 'lmt 182.00', 'stp 178.10', 'stp 178.10 lmt 177.90'."""
    parts = [f"stp {o.stop_price:,.2f}"] if o.stop_price is not None else []
    if o.limit_price is not None:
        parts.append(f"lmt {o.limit_price:,.2f}")
    return " ".join(parts) or ("mkt" if o.order_type == "market" else o.order_type)


SHORT_NAMES = {  # score components in a scan table
    "trend": "trnd",
    "momentum": "mom",
    "relative_strength": "rs",
    "volatility": "vol",
    "volume": "volu",
    "liquidity": "liq",
}


def breakdown(components: Iterable[ScoreComponent]) -> str:
    """A score's parts in short: 'trnd17 mom14 rs15 vol7 volu8 liq15'."""
    return " ".join(f"{SHORT_NAMES.get(c.name, c.name[:5])}{c.points:.0f}" for c in components)


def side_word(side: Side | None) -> str:
    """A scan row's direction: long, short or '-'."""
    return {Side.BUY: "long", Side.SELL: "short"}.get(side, "-") if side else "-"


def preview_line(preview: dict[str, Any] | None, broker: str) -> str | None:
    """The venue's dry run as one line ("buying power -$4,012.50 → $95,987.50, fees $1.12")."""
    if not preview:
        return None
    if "error" in preview:
        return f"{broker} dry run: {preview['error']}"
    change, after = float(preview["change_in_buying_power"]), float(preview["new_buying_power"])
    fees = abs(float(preview["total_fees"]))  # the venue signs money out negative
    text = f"{broker} dry run: buying power {_usd(change)} → {_usd(after)}, fees {_usd(fees)}"
    warnings = preview.get("warnings") or []
    return text + (f" (warning: {'; '.join(map(str, warnings))})" if warnings else "")


def option_position_lines(p: PositionsView) -> list[str]:
    """/positions' option part: each strategy position with its legs, P&L, DTE, greeks."""
    out = []
    for o in p.options:
        strikes = "/".join(f"{leg.strike:g}" for leg in sorted(o.legs, key=lambda x: x.strike))
        pnl = "-" if o.unrealized_pnl is None else f"{o.unrealized_pnl:+,.2f}"
        greeks = (
            f"Δ {o.delta:+.1f} θ {o.theta:+.2f}/day ν {o.vega:+.2f}"
            if o.delta is not None and o.theta is not None and o.vega is not None
            else "no greeks"
        )
        out.append(
            f"{o.underlying} {o.strategy.replace('_', ' ')} {strikes} {o.expiry} x{o.contracts}"
            f" ({o.dte if o.dte is not None else '?'} DTE): credit {o.credit:.2f}, close "
            f"{'-' if o.close_cost is None else f'{o.close_cost:.2f}'}, P&L {pnl}, {greeks}"
            + (f" [{o.note}]" if o.note else "")
        )
        for leg in o.legs:
            out.append(f"    {leg.quantity:+d} {leg.symbol} @ {leg.avg_price:.2f}")
    return out


def greeks_lines(greeks: dict[str, dict[str, float]]) -> list[str]:
    """The book's greeks: one line per underlying and the total theta and vega."""
    out = []
    for sym, g in greeks.items():
        if sym == "total":
            continue
        out.append(
            f"Greeks {sym}: delta {g['delta']:+,.1f} sh, gamma {g['gamma']:+,.2f}, "
            f"theta {g['theta']:+,.2f}/day, vega {g['vega']:+,.2f}/vol pt"
        )
    if "total" in greeks:
        t = greeks["total"]
        out.append(f"Greeks total: theta {t['theta']:+,.2f}/day, vega {t['vega']:+,.2f}/vol pt")
    return out


def risk_lines(r: RiskReport) -> list[str]:
    """`/risk`: the desk state, every limit's use, 1-day VaR, correlation, the what-if."""
    head = f"Desk {r.state.value.upper()}" + (f": {r.reason}" if r.reason else "")
    if r.paused and r.state.value == "active":
        head += " (paused by a person)"
    lines = [head, f"Equity {_usd(r.equity)}, peak {_usd(r.peak_equity)}"]
    for u in r.limits:
        bar = "!!" if u.used >= 1 else ("! " if u.used >= 2 / 3 else "  ")
        lines.append(f"{bar} {u.name}: {u.detail} ({u.used:.0%} of limit)")
    if r.breaches:
        lines.append("Crossed: " + "; ".join(r.breaches))
    book = r.portfolio
    if book is not None and book.var:
        for v in book.var:
            pct = f" ({v.historical_pct:.2f}% of equity)" if v.historical_pct is not None else ""
            lines.append(
                f"1-day VaR {v.confidence:.0%}: historical {_usd(v.historical)}{pct}, "
                f"parametric {_usd(v.parametric)}"
            )
        if book.avg_correlation is not None:
            line = f"Average correlation of holdings {book.avg_correlation:+.2f}"
            if book.most_correlated:
                a, b, c = book.most_correlated
                line += f"; most correlated {a}/{b} {c:+.2f}"
            lines.append(line)
        if book.missing:
            lines.append("No return history (left out): " + ", ".join(book.missing))
    elif book is not None:
        lines.append("No holdings with history: VaR is zero.")
    lines += greeks_lines(r.greeks)
    w = r.what_if
    if w is not None:
        d95, d99 = w.delta(0.95), w.delta(0.99)
        lines.append(
            f"What if {_usd(w.value)} of {w.symbol}: 95% VaR "
            f"{'n/a' if d95 is None else f'{d95:+,.2f}'}, 99% VaR "
            f"{'n/a' if d99 is None else f'{d99:+,.2f}'}"
        )
    return lines


def reconcile_lines(v: ReconcileView, limit: int = 25) -> list[str]:
    """`/reconcile`: the summary, then each discrepancy and refused venue datum."""
    lines = [v.report.summary()]
    for d in v.report.discrepancies[:limit]:
        lines.append(f"[{d.severity.value}] {d.detail}")
    if len(v.report.discrepancies) > limit:
        lines.append(f"… and {len(v.report.discrepancies) - limit} more")
    lines += [f"[bad data] {b}" for b in v.bad_data]
    if not v.ok:
        lines.append("Nothing was changed: our books stay as booked until a person corrects them.")
    return lines


def analysis_lines(a: AnalysisView) -> list[str]:
    """`/analyze` in words: the verdict, the score's parts, indicators, strategy signals."""
    lines = [f"[{a.mode_label}] {a.symbol}: {a.verdict}", f"Score {a.scan.score:.0f}/100"]
    lines += [f"  {c.name}: {c.points:g}/{c.max_points:g} ({c.detail})" for c in a.scan.components]
    lines += [f"  {k}: {v:,.4g}" for k, v in a.indicators.items()]
    for n, (sig, since) in a.signals.items():
        mark = "FIRES" if n in a.firing else ""
        lines.append(f"  {n}: signal {sig:+.0f}, {since} bars since it turned {mark}".rstrip())
    if a.iv_rank is not None:
        lines.append(f"Options: {a.iv_rank.text}")
    lines += [f"News: {h}" for h in a.headlines]
    return lines


def write_chart(path: Path, png: bytes) -> str | None:
    """Write a chart; None when written, else why not (one line, for the user)."""
    try:
        path.write_bytes(png)
    except OSError as e:
        why = f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else "")
        return f"cannot write the chart to {path}: {why}"
    return None


BACKTEST_ROWS = (
    ("Trades", "trades", "{:.0f}"),
    ("Return", "return_pct", "{:+.2f}%"),
    ("Buy & hold", "buy_hold_return_pct", "{:+.2f}%"),
    ("CAGR", "cagr_pct", "{:+.2f}%"),
    ("Max drawdown", "max_drawdown_pct", "{:.2f}%"),
    ("Win rate", "win_rate_pct", "{:.1f}%"),
    ("Profit factor", "profit_factor", "{:.2f}"),
    ("Expectancy", "expectancy_pct", "{:+.2f}%"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("Sortino", "sortino", "{:.2f}"),
    ("Calmar", "calmar", "{:.2f}"),
    ("Exposure", "exposure_pct", "{:.1f}%"),
    ("Kelly", "kelly", "{:.3f}"),
    ("Final equity", "equity_final", "${:,.2f}"),
)


def _metric(value: object, pattern: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return pattern.format(value)


def backtest_title(b: BacktestView) -> str:
    params = ", ".join(f"{k}={v}" for k, v in b.params.items())
    return f"backtest {b.strategy}({params}) on {b.symbol}"


def backtest_span(b: BacktestView) -> str:
    s = b.summary
    return (
        f"{str(s.get('start', ''))[:10]} → {str(s.get('end', ''))[:10]}, {s.get('bars', 0)} "
        "daily bars. Signals at the close, fills at the next open, whole shares, all equity, "
        "open trade closed at the end."
    )


def backtest_table(b: BacktestView) -> str:
    """The metrics as an aligned table (Discord's embed and the terminal)."""
    s = b.summary
    rows = [(n, _metric(s.get(k), pat)) for n, k, pat in BACKTEST_ROWS if k in s]
    return "\n".join(f"{name:<14}{value:>14}" for name, value in rows)
