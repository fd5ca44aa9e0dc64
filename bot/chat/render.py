"""Rendering replies: one JSON object per line for scripts, rich tables for people.

Both pass the reply through the log's redactor first: no configured secret or
credential-shaped string reaches a terminal or a script, whatever a venue's error echoed.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agents.results import (
    Card,
    KillReport,
    OrdersView,
    PnlView,
    PositionsView,
    Reply,
    ScanReport,
    StatusView,
    WhyView,
)
from bot.logs import redact_data
from bot.text_views import preview_line
from models.domain import RiskDecision


def card_json(c: Card) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "symbol": c.symbol,
        "side": c.side,
        "quantity": c.quantity,
        "order_type": c.order_type,
        "entry": c.entry,
        "stop": c.stop,
        "target": c.target,
        "risk_amount": c.risk_amount,
        "risk_pct": c.risk_pct,
        "reward_risk": c.reward_risk,
        "strategy": c.strategy,
        "score": c.score,
        "status": c.status,
        "status_reason": c.status_reason,
        "mode": c.mode_label,
        "expires_at": c.expires_at.isoformat(),
        "checks": [ck.model_dump() for ck in c.checks],
        "rationale": c.rationale,
        "order": c.order.model_dump(mode="json") if c.order else None,
        "broker": c.broker,
        "preview": c.preview,
    }


def reply_json(r: Reply) -> str:
    """The reply as one line of JSON: kind, ok, text and the structured parts (redacted)."""
    out: dict[str, Any] = {"kind": r.kind, "ok": r.kind != "error", "text": r.text}
    p = r.payload
    if isinstance(p, Card):
        out["proposal"] = card_json(p)
        out["proposals"] = [out["proposal"]]
        if p.order:
            out["order"] = p.order.model_dump(mode="json")
    elif isinstance(p, ScanReport):
        out["mode"] = p.mode_label
        out["proposals"] = [card_json(c) for c in p.cards]
        out["ranked"] = [x.model_dump(mode="json") for x in p.ranked]
        out["filtered"] = [
            {"symbol": x.symbol, "reasons": list(x.reasons), "score": x.score} for x in p.filtered
        ]
        out["notes"] = list(p.notes)
    elif isinstance(p, WhyView):
        out["proposal"] = card_json(p.card)
        out["events"] = [e.model_dump(mode="json") for e in p.events]
    elif isinstance(p, list):
        out["items"] = [card_json(x) if isinstance(x, Card) else x for x in p]
    elif isinstance(p, RiskDecision):
        out["checks"] = [c.model_dump() for c in p.checks]
    elif p is not None and hasattr(p, "model_dump"):
        out.update(p.model_dump(mode="json"))
    return json.dumps(redact_data(out), default=str, ensure_ascii=False)


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def render_card(c: Card) -> Panel:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("Trade", f"{c.side.upper()} {c.quantity} {c.symbol} ({c.kind}, {c.order_type})")
    t.add_row("Entry / stop / target", f"{_money(c.entry)} / {_money(c.stop)} / {_money(c.target)}")
    t.add_row(
        "Risk",
        f"${c.risk_amount:,.2f} ({c.risk_pct:.2f}% of equity); reward:risk "
        f"{c.reward_risk if c.reward_risk is not None else '-'}",
    )
    t.add_row("Strategy", f"{c.strategy}, score {c.score:.0f}, confidence {c.confidence:.2f}")
    for ck in c.checks:
        t.add_row(("✓ " if ck.passed else "✗ ") + ck.name, ck.detail)
    if line := preview_line(c.preview, c.broker):
        t.add_row("Venue", line)
    t.add_row("Rationale", c.rationale)
    t.add_row("Status", c.status + (f" — {c.status_reason}" if c.status_reason else ""))
    if c.order:
        t.add_row(
            "Order",
            f"{c.order.status_text}: {c.order.filled_quantity}/{c.order.quantity} "
            f"@ {_money(c.order.avg_fill_price)}",
        )
    t.add_row("Expires", f"{c.expires_at:%Y-%m-%d %H:%M:%S} UTC")
    title = f"[{c.mode_label}] proposal {c.id}"
    style = "red" if c.mode_label == "LIVE" else "cyan"
    return Panel(
        t,
        title=title,
        border_style=style,
        subtitle=f"/approve {c.id}   /reject {c.id}" if c.status == "pending" else None,
    )


def render(r: Reply, con: Console) -> None:
    """The reply for a person at a terminal (redacted)."""
    r = redact_data(r)
    p = r.payload
    if isinstance(p, Card):
        con.print(r.text)
        con.print(render_card(p))
    elif isinstance(p, ScanReport):
        t = Table(title=f"[{p.mode_label}] scan of {p.scanned} symbols")
        for col in ("symbol", "score", "last", "breakdown"):
            t.add_column(col)
        for x in p.ranked:
            t.add_row(
                x.symbol,
                f"{x.score:.0f}",
                _money(x.last),
                ", ".join(f"{c.name} {c.points:g}/{c.max_points:g}" for c in x.components),
            )
        con.print(t)
        for c in p.cards:
            con.print(render_card(c))
        for n in p.notes:
            con.print(f"• {n}")
    elif isinstance(p, PositionsView):
        t = Table(title=f"[{p.mode_label}] positions")
        for col in ("symbol", "qty", "avg", "last", "value", "P&L", "P&L %"):
            t.add_column(col, justify="right")
        for x in p.positions:
            t.add_row(
                x.symbol,
                str(x.quantity),
                _money(x.avg_price),
                _money(x.price),
                _money(x.market_value),
                _money(x.unrealized_pnl),
                f"{x.unrealized_pct:+.2f}",
            )
        con.print(t)
        con.print(
            f"cash {_money(p.cash)}  equity {_money(p.equity)}  "
            f"buying power {_money(p.buying_power)}"
        )
    elif isinstance(p, OrdersView):
        t = Table(title=f"[{p.mode_label}] orders")
        for col in ("client id", "symbol", "side", "qty", "filled", "avg", "status"):
            t.add_column(col)
        for o in p.orders:
            t.add_row(
                o.client_order_id,
                o.symbol,
                o.side,
                str(o.quantity),
                str(o.filled_quantity),
                _money(o.avg_fill_price),
                o.status,
            )
        con.print(t)
    elif isinstance(p, PnlView):
        chg = f"{p.equity_change_pct:+.2f}%" if p.equity_change_pct is not None else "-"
        con.print(
            f"[{p.mode_label}] P&L ({p.period.value}): realised {_money(p.realized)}, "
            f"unrealised {_money(p.unrealized)}, total {_money(p.total)}; "
            f"{p.trades_closed} trades closed; equity {_money(p.equity)} ({chg})"
        )
    elif isinstance(p, WhyView):
        con.print(render_card(p.card))
        for e in p.events:
            ctx = json.dumps(e.context, default=str)
            con.print(
                f"{e.ts:%H:%M:%S} {e.type:<20} {e.actor:<24} "
                f"{ctx[:160]}{'…' if len(ctx) > 160 else ''}"
            )
    elif isinstance(p, KillReport):
        con.print(
            f"Kill switch: {len(p.canceled_orders)} orders canceled, "
            f"{len(p.expired_proposals)} proposals expired, desk HALTED."
        )
        if p.flattened:
            con.print(f"Flatten: {len(p.flatten_orders)} closing orders sent.")
        elif p.open_positions:
            con.print(
                f"Open positions: {', '.join(p.open_positions)}. "
                "Send /kill flatten to close them at market."
            )
    elif isinstance(p, StatusView):
        con.print(
            f"[{p.mode_label}] broker {p.broker}, data {p.data}, LLM {p.llm}; "
            f"{p.state.upper() if p.state in ('halted', 'reducing') else p.state}"
            f"{' (' + p.reason + ')' if p.reason else ''}; {p.pending} pending, "
            f"{p.open_orders} open orders, {p.positions} positions; equity "
            f"{_money(p.equity)}; market {'open' if p.market_open else 'closed'}"
        )
        con.print(f"LLM spend: {p.llm_spend}")
        for n in p.notes:
            con.print(f"Note: {n}")
    elif isinstance(p, list) and p and isinstance(p[0], Card):
        for c in p:
            con.print(render_card(c))
    elif isinstance(p, RiskDecision):
        con.print(r.text, style="red")
        for ck in p.checks:
            con.print(f"  {'✓' if ck.passed else '✗'} {ck.name}: {ck.detail}")
    elif r.kind == "error":
        con.print(r.text, style="red")
    else:
        con.print(r.text)
