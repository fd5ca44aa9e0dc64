"""Terminal commands of the monitor: /monitor, /alert, /alerts and /movestop. Each parses
its arguments, calls one orchestrator method and returns a Reply (kinds monitor, alert,
alerts, proposal); a bad line is refused with the usage and changes nothing."""

from __future__ import annotations

import math
import re

from agents.errors import BadInput
from agents.llm.offline_monitor import stop_readback
from agents.monitor_chat import alert_reply, alerts_reply, monitor_reply, stop_reply
from agents.orchestrator import Orchestrator
from agents.results import Reply
from bot.chat.help import usage
from models.domain import Actor

PRICE_CONDITIONS = ("above", "below")
PCT_CONDITIONS = ("move", "loss", "gain")
REMOVE = ("remove", "rm", "delete", "del")
REARM = ("rearm", "re-arm", "reset")
BREAKEVEN = ("breakeven", "break-even", "be")
_ID_RE = re.compile(r"#?a?(\d{1,9})", re.IGNORECASE)
_NUM_RE = re.compile(r"[+-]?\$?(?:\d+(?:\.\d*)?|\.\d+)%?")


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:20] + "…")


def number(raw: str, what: str, cmd: str, pct: bool) -> float:
    """'5%', '+5', '-5', '$200', '1,200.50' as a float (signed); a percentage for `pct`,
    else a price. BadInput with the usage for anything else."""
    text = raw.strip().replace(",", "").replace("_", "")
    if not _NUM_RE.fullmatch(text):
        raise BadInput(f"{what} must be a number, not {_shown(raw)}. Usage: {usage(cmd)}")
    if pct and "$" in text:
        raise BadInput(f"{what} is a percentage, not dollars ({_shown(raw)}). Usage: {usage(cmd)}")
    if not pct and text.endswith("%"):
        raise BadInput(f"{what} is a price, not a percentage ({_shown(raw)}). Usage: {usage(cmd)}")
    value = float(text.replace("$", "").rstrip("%"))
    if not math.isfinite(value):
        raise BadInput(f"{what} must be a number, not {_shown(raw)}. Usage: {usage(cmd)}")
    return value


def alert_id(raw: str) -> str:
    """'A3', 'a3', '#3' or '3' as the id /alerts shows (A3)."""
    m = _ID_RE.fullmatch(raw.strip())
    if m is None:
        raise BadInput(f"Alert ids look like A3 (/alerts lists them), not {_shown(raw)}.")
    return f"A{int(m[1])}"


async def monitor(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    """/monitor: a pass now."""
    if args:
        raise BadInput(f"/monitor takes no arguments. Usage: {usage('monitor')}")
    return monitor_reply(await o.monitor(me))


def alerts(o: Orchestrator, args: list[str]) -> Reply:
    """/alerts: every armed or fired alert."""
    if args:
        raise BadInput(f"/alerts takes no arguments. Usage: {usage('alerts')}")
    return alerts_reply(o.alerts())


async def alert(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    """/alert SYMBOL above|below PRICE, SYMBOL move PCT, position SYMBOL loss|gain PCT,
    remove ID, rearm ID (and /alert list, as /alerts)."""
    sub = args[0].lower() if args else ""
    if sub in REMOVE or sub in REARM:
        if len(args) != 2:
            raise BadInput(f"Which alert? Usage: {usage('alert')}")
        aid = alert_id(args[1])
        if sub in REMOVE:
            return alert_reply(o.remove_alert(aid, me), "removed")
        return alert_reply(o.rearm_alert(aid, me), "re-armed")
    if sub == "list" and len(args) == 1:
        return alerts(o, [])
    if sub == "position":
        args = args[1:]
        if len(args) != 3 or args[1].lower() not in ("loss", "gain"):
            raise BadInput(f"Usage: {usage('alert')}")
    if len(args) != 3:
        raise BadInput(f"Usage: {usage('alert')}")
    symbol, cond, raw = args[0], args[1].lower(), args[2]
    if cond not in PRICE_CONDITIONS + PCT_CONDITIONS:
        raise BadInput(
            f"Condition {_shown(args[1])} is not one of above, below, move, loss, gain. "
            f"Usage: {usage('alert')}"
        )
    return alert_reply(await o.add_alert(symbol, cond, _level(cond, raw), me), "set")


def _level(cond: str, raw: str) -> float:
    """The alert's level: a price above 0, or a percentage (its sign may only agree with
    the condition: loss -5 is a 5% loss, gain -5 is refused)."""
    if cond in PRICE_CONDITIONS:
        price = number(raw, "PRICE", "alert", pct=False)
        if price <= 0:
            raise BadInput(f"PRICE must be above 0, not {_shown(raw)}. Usage: {usage('alert')}")
        return price
    value = number(raw, "PCT", "alert", pct=True)
    sign = raw.strip()[:1]
    if (cond == "loss" and sign == "+") or (cond == "gain" and sign == "-"):
        raise BadInput(
            f"A {cond} of {raw.strip()}? Give its size, e.g. /alert position NVDA {cond} 5. "
            f"Usage: {usage('alert')}"
        )
    if value == 0:
        raise BadInput(f"PCT must not be zero. Usage: {usage('alert')}")
    return abs(value)


async def movestop(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    """/movestop SYMBOL PRICE | trail PCT% | trail N atr | breakeven: a stop-move card."""
    if len(args) < 2:
        raise BadInput(f"Usage: {usage('movestop')}")
    symbol, rest = args[0], [a.lower() for a in args[1:]]
    if rest[0] == "to" and len(rest) == 2:
        rest = rest[1:]
    price = trail_pct = trail_atr = None
    breakeven = len(rest) == 1 and rest[0] in BREAKEVEN
    if rest[0] == "trail":
        trail_pct, trail_atr = _trail(rest[1:])
    elif len(rest) == 1 and not breakeven:
        price = number(rest[0], "PRICE", "movestop", pct=False)
        if price <= 0:
            raise BadInput(f"PRICE must be above 0. Usage: {usage('movestop')}")
    elif not breakeven:
        raise BadInput(f"Usage: {usage('movestop')}")
    card = await o.move_stop(
        symbol,
        me,
        price=price,
        trail_pct=trail_pct,
        trail_atr=trail_atr,
        breakeven=breakeven,
        source="command",
    )
    return stop_reply(card, stop_readback(card.symbol, price, trail_pct, trail_atr, breakeven))


def _trail(rest: list[str]) -> tuple[float | None, float | None]:
    """(percent, ATR multiple) of `trail 5%` (also `5 %`, `5 pct`) or `trail 2 atr` (also
    `2atr`, `2x atr`)."""
    joined = "".join(rest)
    if m := re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)x?atrs?", joined):
        return None, _positive(m[1], "N")
    if m := re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)(?:%|pct|percent)", joined):
        pct = _positive(m[1], "PCT")
        if pct >= 100:
            raise BadInput(f"PCT must be below 100. Usage: {usage('movestop')}")
        return pct, None
    if re.fullmatch(r"\d+(?:\.\d+)?", joined):
        raise BadInput(f"trail {joined}: {joined}% or {joined} atr? Usage: {usage('movestop')}")
    raise BadInput(f"Usage: {usage('movestop')}")


def _positive(raw: str, what: str) -> float:
    value = float(raw)
    if not value > 0:
        raise BadInput(f"{what} must be above 0. Usage: {usage('movestop')}")
    return value
