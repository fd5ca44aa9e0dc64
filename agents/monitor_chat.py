"""The monitor in words: the Replies of /monitor, /alert, /alerts and /movestop (terminal,
and the same kinds from plain language), and the dispatch of the monitor's intents.

Kinds: `monitor` (a pass), `alert` (one alert set, removed or re-armed), `alerts` (the
list), `proposal` (a stop-move card, which needs its own click like every card).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.errors import BadInput
from agents.llm.offline_monitor import stop_readback
from agents.monitor_views import AlertsView, AlertView, Finding, MonitorView
from agents.results import Card, Reply
from models.domain import Actor
from models.intents import Intent, IntentKind

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

K = IntentKind
MONITOR_KINDS = frozenset(
    {K.ALERT_ADD, K.ALERT_LIST, K.ALERT_REMOVE, K.ALERT_REARM, K.MONITOR, K.STOP_MOVE}
)
_ACTION = {"exit": "exit card", "stop_move": "stop card", "alert": "alert"}


def finding_line(f: Finding) -> str:
    """One finding: '• NVDA stop hit at 101.20: <reason> → exit card p-…' (or why no card)."""
    rule = f"alert {f.alert_id}" if f.alert_id else f.rule.replace("_", " ")
    if f.proposal_id:
        tail = f" → {_ACTION.get(f.action, f.action)} {f.proposal_id}"
    else:
        tail = f" ({f.note})" if f.note else ""
    return f"• {f.symbol} {rule} at {f.price:,.2f}: {f.reason}{tail}"


def monitor_reply(view: MonitorView) -> Reply:
    """A pass: its summary, then a line per finding."""
    lines = [view.summary, *(finding_line(f) for f in view.findings)]
    return Reply(kind="monitor", text="\n".join(lines), payload=view)


def alert_reply(view: AlertView, done: str, note: str = "") -> Reply:
    """One alert that was set, removed or re-armed (`done` says which)."""
    note = f" ({note})" if note else ""
    match done:
        case "set":
            text = f"Alert {view.id} set: {view.text}{note}. It fires once; /alerts lists them."
        case "re-armed":
            text = f"Alert {view.id} re-armed: {view.text}. It fires once more."
        case _:
            text = f"Alert {view.id} removed ({view.text})."
    return Reply(kind="alert", text=text, payload=view)


def alerts_reply(view: AlertsView) -> Reply:
    """Every armed or fired alert; the text is a count (front ends draw the table)."""
    n = len(view.alerts)
    if not n:
        text = "No alerts. e.g. /alert NVDA below 110 or 'alert me when TSLA moves 5%'."
    else:
        fired = n - view.armed
        text = (
            f"{n} alert{'s' if n != 1 else ''}: {view.armed} armed, {fired} fired "
            f"(at most {view.limit:,})."
        )
    return Reply(kind="alerts", text=text, payload=view)


def stop_reply(card: Card, asked: str, understood: bool = False) -> Reply:
    """A stop-move card: proposed, waiting for its click."""
    head = f"Understood: {asked}. " if understood else ""
    tail = "" if understood else f" (asked: {asked})"
    return Reply(
        kind="proposal",
        text=f"{head}Stop proposal {card.id}{tail} awaits approval; approved, it replaces "
        "the working stop.",
        payload=card,
    )


async def dispatch(orch: Orchestrator, i: Intent, actor: Actor) -> Reply:
    """Carry out one of the monitor's intents (MONITOR_KINDS)."""
    sym = i.symbols[0] if i.symbols else None
    match i.kind:
        case K.MONITOR:
            return monitor_reply(await orch.monitor(actor))
        case K.ALERT_LIST:
            return alerts_reply(orch.alerts())
        case K.ALERT_REMOVE | K.ALERT_REARM if not i.alert_id:
            return Reply(kind="clarify", text="Which alert? /alerts lists them, e.g. 'A3'.")
        case K.ALERT_REMOVE:
            return alert_reply(orch.remove_alert(str(i.alert_id), actor), "removed")
        case K.ALERT_REARM:
            return alert_reply(orch.rearm_alert(str(i.alert_id), actor), "re-armed")
        case K.ALERT_ADD:
            if sym is None or i.alert_condition is None or i.alert_level is None:
                return Reply(
                    kind="clarify",
                    text="Which symbol, and when? e.g. 'alert me if NVDA drops below 110' or "
                    "'alert me if my NVDA position loses 5%'.",
                )
            # "cross": the orchestrator reads it as above or below the current quote
            view = await orch.add_alert(sym, i.alert_condition, i.alert_level, actor)
            return alert_reply(view, "set")
        case K.STOP_MOVE:
            return await _stop(orch, i, sym, actor)
    raise BadInput(f"Not a monitor request: {i.kind.value}.")  # pragma: no cover


async def _stop(orch: Orchestrator, i: Intent, sym: str | None, actor: Actor) -> Reply:
    ways = [i.stop_price, i.trail_pct, i.trail_atr, i.breakeven or None]
    if sym is None:
        return Reply(kind="clarify", text="Which position? e.g. 'move my stop on NVDA to 110'.")
    if sum(w is not None for w in ways) != 1:
        return Reply(
            kind="clarify",
            text=f"Where should the {sym} stop go? e.g. 'move my stop on {sym} to 110', "
            f"'trail {sym} 5%', 'trail {sym} by 2 ATR' or 'breakeven {sym}'.",
        )
    card = await orch.move_stop(
        sym,
        actor,
        price=i.stop_price,
        trail_pct=i.trail_pct,
        trail_atr=i.trail_atr,
        breakeven=i.breakeven,
        source="chat",
    )
    asked = i.readback or stop_readback(sym, i.stop_price, i.trail_pct, i.trail_atr, i.breakeven)
    return stop_reply(card, asked, understood=True)
