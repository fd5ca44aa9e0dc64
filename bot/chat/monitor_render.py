"""The monitor's replies for a person at a terminal: a pass (/monitor), the alert list
(/alerts) and one alert (/alert). JSON lines come from render.reply_json like every reply."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from agents.monitor_views import AlertsView, AlertView, MonitorView
from agents.results import Reply

MonitorPayload = MonitorView | AlertsView | AlertView


def level_text(a: AlertView) -> str:
    """The level as the condition reads it: a price, or a percentage."""
    return f"{a.level:,.2f}" if a.condition in ("above", "below") else f"{a.level:g}%"


def status_text(a: AlertView) -> str:
    """'armed', or 'fired 14:32 UTC at 201.30'."""
    if a.status != "fired":
        return a.status
    when = f" {a.fired_at:%d %b %H:%M} UTC" if a.fired_at else ""
    seen = ""
    if a.observed is not None:
        seen = (
            f" at {a.observed:,.2f}"
            if a.condition in ("above", "below")
            else (f" at {a.observed:+.2f}%")
        )
    return f"fired{when}{seen}"


def alerts_table(view: AlertsView) -> Table:
    """id, symbol, condition, level, status: one row per alert, ids never cut."""
    t = Table(
        title=f"alerts ({view.armed} armed, at most {view.limit:,})",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    t.add_column("id", no_wrap=True)
    t.add_column("symbol", no_wrap=True)
    t.add_column("condition", no_wrap=True)
    t.add_column("level", justify="right", no_wrap=True)
    t.add_column("status")
    for a in view.alerts:
        t.add_row(a.id, a.symbol, a.condition, level_text(a), status_text(a))
    return t


def findings_table(view: MonitorView) -> Table:
    """What a pass found: symbol, rule, price, P&L %, the card it raised (or why not)."""
    t = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    t.add_column("symbol", no_wrap=True)
    t.add_column("rule", no_wrap=True)
    t.add_column("price", justify="right", no_wrap=True)
    t.add_column("P&L %", justify="right", no_wrap=True)
    t.add_column("card", no_wrap=True)
    t.add_column("why")
    for f in view.findings:
        rule = f"alert {f.alert_id}" if f.alert_id else f.rule.replace("_", " ")
        pnl = "-" if f.pnl_pct is None else f"{f.pnl_pct:+.2f}"
        card = f.proposal_id or ("-" if f.action == "alert" else "none")
        why = f.reason + (f" ({f.note})" if f.note else "")
        if f.new_stop is not None:
            why += f"; new stop {f.new_stop:,.2f}"
        t.add_row(f.symbol, rule, f"{f.price:,.2f}", pnl, card, why)
    return t


def render_monitor(r: Reply, con: Console) -> None:
    """A monitor, alerts or alert reply (already redacted by render)."""
    p = r.payload
    if isinstance(p, MonitorView):
        con.print(p.summary)
        if p.findings:
            con.print(findings_table(p))
            if any(f.proposal_id for f in p.findings):
                con.print("/card ID shows a card; /approve ID or /reject ID decides.")
    elif isinstance(p, AlertsView):
        con.print(alerts_table(p) if p.alerts else r.text)
    else:
        con.print(r.text)
