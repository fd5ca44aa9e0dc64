"""Plain-text views shared by the terminal and Discord: the venue's dry run on a card,
`/risk` and `/reconcile`."""

from __future__ import annotations

from typing import Any

from agents.results import ReconcileView
from services.risk import RiskReport


def _usd(x: float) -> str:
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


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
