"""A report as trader-friendly markdown: summary, trade statistics, risk-adjusted figures,
P&L by strategy and symbol, risk events, proposals, LLM usage and the ideas passed on.

It only formats a `Report` (every figure is rounded already); `money`, `usd` and `pct`
are the one way a figure is written, so the same figure reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.reports.types import GroupLine, Report

NA = "n/a"
TOP_SYMBOLS = 20
MAX_EVENTS = 50
_PERIOD_TITLE = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def usd(x: float | None) -> str:
    """Dollars without a plus sign (levels and costs): '$1,234.56', '-$20.91', 'n/a'."""
    if x is None:
        return NA
    c = round(x, 2) + 0.0
    return f"-${-c:,.2f}" if c < 0 else f"${c:,.2f}"


def money(x: float | None) -> str:
    """A signed P&L in dollars: '+$1,234.56', '-$20.91', '$0.00'; None is 'n/a'."""
    if x is None:
        return NA
    c = round(x, 2) + 0.0
    return f"+${c:,.2f}" if c > 0 else usd(c)


def pct(x: float | None) -> str:
    """A signed percent: '+1.23%', '-4.50%', '0.00%'; None is 'n/a'."""
    if x is None:
        return NA
    c = round(x, 2) + 0.0
    return f"{c:+.2f}%" if c else "0.00%"


def num(x: float | None) -> str:
    """A ratio with 2 decimals ('1.85'); None is 'n/a'."""
    return NA if x is None else f"{round(x, 2) + 0.0:.2f}"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell or a list line."""
    return " ".join(text.split()).replace("|", "\\|")


def _utc(t: datetime) -> str:
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _title(r: Report) -> list[str]:
    mode = r.mode_label.strip().strip("[]") or "UNKNOWN"
    period = _PERIOD_TITLE.get(r.window.period, "Performance")
    lines = [f"# [{mode}] {period} report: {r.window.label}", ""]
    span = f"{_utc(r.window.start)} to {_utc(r.window.end)}"
    if r.window.sessions:
        n = len(r.window.sessions)
        span += f", {n} session{'s' if n != 1 else ''}"
    if r.generated_at is not None:
        span += f"; generated {_utc(r.generated_at)}"
    return [*lines, f"_{span}_", ""]


def _summary(r: Report) -> list[str]:
    bench = f"{r.benchmark_symbol} {pct(r.benchmark_return_pct)}"
    rows = [
        ("Equity at start", usd(r.start_equity)),
        ("Equity at end", usd(r.end_equity)),
        ("Return", f"{pct(r.return_pct)} (vs {_cell(bench)})"),
        ("Realised P&L", money(r.realised)),
        ("Unrealised P&L", money(r.unrealised)),
        ("Total P&L", money(r.total_pnl)),
        ("Fees", usd(r.fees)),
        ("Slippage", usd(r.slippage)),
    ]
    out = ["## Summary", "", "| | |", "|---|---:|"]
    out += [f"| {k} | {v} |" for k, v in rows]
    if r.closed_trades_pnl != r.realised:
        out += [
            "",
            f"The closed trades add up to {money(r.closed_trades_pnl)}, the realised P&L is "
            f"{money(r.realised)}: the realised figure also counts the fees and partial "
            "closes of positions still open (the trades CSV lists those opened in the period) "
            "and the closes of positions opened before it.",
        ]
    return [*out, ""]


def _trade_stats(r: Report) -> list[str]:
    rows = [
        ("Trades opened", f"{r.trades_opened:,}"),
        ("Trades closed", f"{r.trades_closed:,}"),
        ("Wins / losses", f"{r.wins:,} / {r.losses:,}"),
        ("Win rate", NA if r.win_rate is None else f"{r.win_rate:.2f}%"),
        ("Profit factor", num(r.profit_factor)),
        ("Expectancy (per trade)", money(r.expectancy)),
        ("Average win", money(r.avg_win)),
        ("Average loss", money(r.avg_loss)),
        ("Largest win", money(r.largest_win)),
        ("Largest loss", money(r.largest_loss)),
    ]
    out = ["## Trades", "", "| | |", "|---|---:|"]
    return [*out, *(f"| {k} | {v} |" for k, v in rows), ""]


def _risk_adjusted(r: Report) -> list[str]:
    rows = [
        ("Sharpe (annualised)", num(r.sharpe)),
        ("Sortino (annualised)", num(r.sortino)),
        ("Max drawdown", pct(r.max_drawdown_pct)),
        ("Exposure (time in market)", NA if r.exposure_pct is None else f"{r.exposure_pct:.2f}%"),
    ]
    out = ["## Risk-adjusted", "", "| | |", "|---|---:|"]
    return [*out, *(f"| {k} | {v} |" for k, v in rows), ""]


def _groups(heading: str, what: str, lines: Sequence[GroupLine], top: int | None) -> list[str]:
    out = [f"## {heading}", ""]
    if not lines:
        return [*out, "_No closed trades._", ""]
    shown = lines if top is None else lines[:top]
    out += [f"| {what} | Trades | Wins | P&L | Fees |", "|---|---:|---:|---:|---:|"]
    out += [
        f"| {_cell(g.name)} | {g.trades} | {g.wins} | {money(g.pnl)} | {usd(g.fees)} |"
        for g in shown
    ]
    if len(lines) > len(shown):
        out += ["", f"… and {len(lines) - len(shown)} more"]
    return [*out, ""]


def _risk_events(r: Report) -> list[str]:
    out = ["## Risk events", ""]
    if not r.risk_events:
        return [*out, "_None._", ""]
    out += [f"- {_utc(e.ts)} `{_cell(e.type)}` {_cell(e.text)}" for e in r.risk_events[:MAX_EVENTS]]
    if len(r.risk_events) > MAX_EVENTS:
        out.append(f"- … and {len(r.risk_events) - MAX_EVENTS} more")
    return [*out, ""]


def passed_sentence(r: Report) -> str:
    """'Ideas you passed on: 6, they would have made +$420.00 / lost $130.00'."""
    p = r.passed
    if not p.count:
        return "Ideas you passed on: none."
    text = (
        f"Ideas you passed on: {p.count}, they would have made {money(p.would_make)} "
        f"/ lost {usd(p.would_lose)}"
    )
    if p.pending:
        text += f" ({p.pending} without an outcome yet)"
    return text + "."


def _activity(r: Report) -> list[str]:
    p, llm = r.proposals, r.llm
    rate = NA if r.approval_rate is None else f"{r.approval_rate:.2f}%"
    calls = f"{llm.calls:,} call{'s' if llm.calls != 1 else ''}"
    return [
        "## Proposals and LLM",
        "",
        f"- Proposals: {p.made} made, {p.approved} approved, {p.rejected} rejected, "
        f"{p.expired} expired, {p.superseded} superseded, {p.pending} pending; "
        f"approval rate {rate}",
        f"- LLM: {calls} ({llm.cached:,} cached, {llm.failed:,} failed), "
        f"{llm.input_tokens:,} input / {llm.output_tokens:,} output tokens, "
        f"cost {usd(llm.cost_usd)}",
        f"- {passed_sentence(r)}",
        "",
    ]


def render_markdown(report: Report) -> str:
    """The whole report as markdown (ends with a newline)."""
    r = report
    parts = [
        *_title(r),
        *_summary(r),
        *_trade_stats(r),
        *_risk_adjusted(r),
        *_groups("P&L by strategy", "Strategy", r.by_strategy, None),
        *_groups("P&L by symbol", "Symbol", r.by_symbol, TOP_SYMBOLS),
        *_risk_events(r),
        *_activity(r),
    ]
    return "\n".join(parts).rstrip("\n") + "\n"
