"""Rendering replies: one JSON object per line for scripts, rich tables for people.

Both pass the reply through the log's redactor first: no configured secret or
credential-shaped string reaches a terminal or a script, whatever a venue's error echoed.
"""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from agents.news_views import MoveAnswer, NewsView
from agents.results import (
    Card,
    KillReport,
    OrdersView,
    OrderView,
    PnlView,
    PositionsView,
    Reply,
    ScanReport,
    StatusView,
    WhyView,
)
from bot.chat.cards import card_json, pending_line, render_card, render_full_card
from bot.chat.monitor_render import MonitorPayload, render_monitor
from bot.chat.trade_commands import Charted
from bot.logs import redact_data
from bot.text_views import (
    breakdown,
    greeks_lines,
    option_position_lines,
    order_price,
    side_word,
)
from models.domain import RiskDecision

__all__ = ["card_json", "render", "render_card", "reply_json"]


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
        out["filtered"] = [x.model_dump(mode="json") for x in p.filtered]
        out["notes"] = list(p.notes)
    elif isinstance(p, WhyView):
        out["proposal"] = card_json(p.card)
        out["events"] = [e.model_dump(mode="json") for e in p.events]
    elif isinstance(p, OrderView):
        out["order"] = p.model_dump(mode="json")
    elif isinstance(p, Charted):
        out.update(p.view.model_dump(mode="json", exclude={"chart_png"}))
        out["chart"], out["chart_problem"] = p.chart, p.problem
    elif isinstance(p, list):
        out["items"] = [card_json(x) if isinstance(x, Card) else x for x in p]
    elif isinstance(p, dict):
        out.update(p)
    elif isinstance(p, RiskDecision):
        out["checks"] = [c.model_dump() for c in p.checks]
    elif p is not None and hasattr(p, "model_dump"):
        out.update(p.model_dump(mode="json"))
    return json.dumps(redact_data(out), default=str, ensure_ascii=False)


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def _scan_table(p: ScanReport) -> Table:
    t = Table(
        title=f"[{p.mode_label}] scan of {p.scanned} symbols",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    t.add_column("symbol", no_wrap=True)
    for col in ("score", "last", "chg %"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("side", no_wrap=True)
    t.add_column("breakdown (points)")
    for x in p.ranked:
        t.add_row(
            x.symbol,
            f"{x.score:.0f}",
            _money(x.last),
            "-" if x.change_pct is None else f"{x.change_pct:+.2f}",
            side_word(x.side),
            breakdown(x.components),
        )
    return t


def _orders_table(p: OrdersView) -> Table:
    """Orders, protective stop/target rows included, in 80 columns; the client id (what
    /cancel takes) is never cut."""
    t = Table(title=f"[{p.mode_label}] orders", box=None, padding=(0, 1), pad_edge=False)
    for col in ("client id", "sym", "side", "role"):
        t.add_column(col, no_wrap=True)
    t.add_column("filled", justify="right", no_wrap=True)
    t.add_column("price", no_wrap=True)
    t.add_column("tif", no_wrap=True)
    t.add_column("status")
    for o in p.orders:
        avg = f" @ {o.avg_fill_price:,.2f}" if o.filled_quantity and o.avg_fill_price else ""
        t.add_row(
            o.client_order_id,
            o.symbol,
            o.side,
            o.role,
            f"{o.filled_quantity:,}/{o.quantity:,}",
            order_price(o),
            o.time_in_force,
            o.status.replace("_", " ") + avg,
        )
    return t


def render(r: Reply, con: Console) -> None:
    """The reply for a person at a terminal (redacted)."""
    r = redact_data(r)
    p = r.payload
    if isinstance(p, Card):
        con.print(r.text)
        con.print(render_full_card(p) if r.kind == "card" else render_card(p))
    elif isinstance(p, ScanReport):
        con.print(_scan_table(p))
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
        if p.positions or not p.options:
            con.print(t)
        for line in option_position_lines(p) + greeks_lines(p.greeks):
            con.print(line)
        con.print(
            f"cash {_money(p.cash)}  equity {_money(p.equity)}  "
            f"buying power {_money(p.buying_power)}"
        )
    elif isinstance(p, OrdersView):
        con.print(_orders_table(p) if p.orders else f"[{p.mode_label}] No orders.")
    elif isinstance(p, PnlView):
        chg = f"{p.equity_change_pct:+.2f}%" if p.equity_change_pct is not None else "-"
        con.print(
            f"[{p.mode_label}] P&L ({p.period.value}): realised {_money(p.realized)}, "
            f"unrealised {_money(p.unrealized)}, total {_money(p.total)}; "
            f"{p.trades_closed} trades closed; equity {_money(p.equity)} ({chg})"
        )
    elif isinstance(p, WhyView):
        con.print(render_full_card(p.card))
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
        for line in greeks_lines(p.greeks):
            con.print(line)
        for n in p.notes:
            con.print(f"Note: {n}")
    elif r.kind == "pending":
        lines = [pending_line(c) for c in p if isinstance(c, Card)]
        con.print("\n".join(lines) if lines else "Nothing pending.")
        if lines:
            con.print("/card ID shows a whole card; /approve ID or /reject ID decides (UTC).")
    elif isinstance(p, RiskDecision):
        con.print(r.text, style="red")
        for ck in p.checks:
            con.print(f"  {'✓' if ck.passed else '✗'} {ck.name}: {ck.detail}")
    elif isinstance(p, MonitorPayload):
        render_monitor(r, con)
    elif isinstance(p, NewsView | MoveAnswer):
        con.print(p.text)
        for i in p.items[:15]:
            s = i.sentiment
            con.print(
                f"  {i.created_at:%m-%d %H:%M} {i.source} [{s['label']} {float(s['score']):+.2f}]"
                f" {i.headline}" + (f" <{i.url}>" if i.url else "")
            )
    elif r.kind == "error":
        con.print(r.text, style="red")
    else:
        con.print(r.text)
