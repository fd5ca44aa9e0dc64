"""The terminal chat's /chain and /ivrank.

`/chain SYMBOL [DTE|EXPIRY] [calls|puts] [delta=0.2] [strikes=N]`: one expiry of the
chain (the one nearest DTE days, or on EXPIRY, else nearest 30 days), calls, puts or both,
the strikes near the money or near a delta, with our IV and greeks. Reply kind `chain`,
payload the ChainView. `/ivrank SYMBOL`: kind `iv_rank`, payload the IVRankView.
"""

from __future__ import annotations

import re

from agents.chain_views import chain_text
from agents.errors import BadInput
from agents.options_api import delta_arg, expiry_arg
from agents.orchestrator import Orchestrator
from agents.results import Reply
from bot.chat.help import usage

_DATE_OR_DAYS = re.compile(r"^(\d{1,4}\s*(d|dte|days?)?|\d{4}-\d{2}-\d{2})$", re.IGNORECASE)
SIDES = {
    "calls": "calls",
    "call": "calls",
    "c": "calls",
    "puts": "puts",
    "put": "puts",
    "p": "puts",
}


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:20] + "…")


def parse_chain(args: list[str]) -> dict[str, object]:
    """The /chain arguments as keywords of Orchestrator.option_chain (symbol included).
    BadInput with the usage for anything it cannot place."""
    if not args:
        raise BadInput(f"Usage: {usage('chain')}")
    out: dict[str, object] = {"symbol": args[0]}
    for arg in args[1:]:
        low = arg.strip().lower()
        key, eq, value = low.partition("=")
        if eq:
            if key in ("delta", "d"):
                _once(out, "delta", delta_arg(value))
            elif key in ("strikes", "n"):
                if not value.isdigit():
                    raise BadInput(f"strikes= takes a whole number, not {_shown(value)}.")
                _once(out, "strikes", int(value))
            elif key in ("dte", "days", "expiry", "exp"):
                _expiry_part(out, value)
            else:
                raise BadInput(f"Unknown part {_shown(arg)}. Usage: {usage('chain')}")
        elif low in SIDES:
            _once(out, "side", SIDES[low])
        elif _DATE_OR_DAYS.match(low):
            _expiry_part(out, low)
        else:
            raise BadInput(f"Unknown part {_shown(arg)}. Usage: {usage('chain')}")
    if "dte" in out and "expiry" in out:
        raise BadInput("Give days to expiry or an expiry date, not both.")
    return out


def _expiry_part(out: dict[str, object], raw: str) -> None:
    days, on = expiry_arg(raw)
    if days is not None:
        _once(out, "dte", days)
    else:
        _once(out, "expiry", on)


def _once(out: dict[str, object], key: str, value: object) -> None:
    if key in out:
        raise BadInput(f"{key} is given twice. Usage: {usage('chain')}")
    out[key] = value


async def chain_reply(o: Orchestrator, args: list[str]) -> Reply:
    """/chain: Reply kind `chain` with the ChainView."""
    kw = parse_chain(args)
    view = await o.option_chain(**kw)  # type: ignore[arg-type]
    return Reply(kind="chain", text=chain_text(view, o.mode.label), payload=view)


async def ivrank_reply(o: Orchestrator, args: list[str]) -> Reply:
    """/ivrank SYMBOL: Reply kind `iv_rank`."""
    if len(args) != 1:
        raise BadInput(f"Usage: {usage('ivrank')}")
    view = await o.iv_rank(args[0])
    return Reply(kind="iv_rank", text=f"{view.symbol}: {view.text}", payload=view)


__all__ = ["chain_reply", "ivrank_reply", "parse_chain"]
