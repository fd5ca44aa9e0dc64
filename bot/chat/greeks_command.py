"""The terminal chat's /greeks: `/greeks call spot=100 strike=105 days=30 vol=0.25
[rate=0.04] [dividend=0]`, with price= instead of vol= to solve the implied vol and
years= or expiry=YYYY-MM-DD instead of days=. The parts come in any order; the numbers
go to agents.options_calc (the same calculator as `cotrader greeks`), and the answer is a
Reply of kind `greeks` whose payload is the GreeksView (its fields are the JSON's)."""

from __future__ import annotations

from datetime import datetime

from agents.errors import BadInput
from agents.options_calc import greeks_view
from agents.results import Reply
from bot.chat.help import usage

KEYS: dict[str, str] = {
    "spot": "spot",
    "s": "spot",
    "strike": "strike",
    "k": "strike",
    "days": "days",
    "dte": "days",
    "years": "years",
    "t": "years",
    "expiry": "expiry",
    "exp": "expiry",
    "vol": "vol",
    "iv": "vol",
    "sigma": "vol",
    "price": "price",
    "rate": "rate",
    "r": "rate",
    "dividend": "dividend",
    "div": "dividend",
    "q": "dividend",
}


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:20] + "…")


def parse(args: list[str]) -> tuple[str | None, dict[str, str]]:
    """The option type (the one bare word) and the KEY=VALUE parts by their full name.
    BadInput with the usage for an unknown or repeated key or a second bare word."""
    kind: str | None = None
    parts: dict[str, str] = {}
    for arg in args:
        key, eq, value = arg.partition("=")
        if not eq:
            if kind is not None:
                raise BadInput(
                    f"One option type only (got {_shown(kind)} and {_shown(arg)}). "
                    f"Usage: {usage('greeks')}"
                )
            kind = arg
            continue
        name = KEYS.get(key.strip().lower())
        if name is None:
            raise BadInput(f"Unknown part {_shown(arg)}. Usage: {usage('greeks')}")
        if name in parts:
            raise BadInput(f"{name}= is given twice. Usage: {usage('greeks')}")
        if not value.strip():
            raise BadInput(f"{name}= needs a value. Usage: {usage('greeks')}")
        parts[name] = value.strip()
    return kind, parts


def greeks_reply(args: list[str], now: datetime, default_rate: float) -> Reply:
    """/greeks: the price and greeks (or the implied vol and the greeks there) as a Reply
    of kind `greeks`. The rate defaults to `default_rate` (COTRADER_RISK_FREE_RATE)."""
    if not args:
        raise BadInput(f"Usage: {usage('greeks')}")
    kind, parts = parse(args)
    rate = parts.pop("rate", None)
    try:
        view = greeks_view(
            kind,
            parts.pop("spot", None),
            parts.pop("strike", None),
            rate=rate if rate is not None else default_rate,
            dividend=parts.pop("dividend", "0"),
            now=now,
            **parts,
        )
    except BadInput as e:
        if str(e).startswith(("Give", "Which")):  # something missing: show the syntax
            raise BadInput(f"{e} Usage: {usage('greeks')}") from None
        raise
    return Reply(kind="greeks", text=view.text(), payload=view)
