"""`/news [SYMBOL…] [HOURS]` in the terminal: headlines with sentiment and a digest per
symbol (kind `news`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from agents.errors import BadInput
from agents.results import Reply

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

_HOURS = re.compile(r"^(\d{1,4})\s*h?$", re.IGNORECASE)
MAX_SYMBOLS = 20


def news_args(args: list[str]) -> tuple[list[str], int | None]:
    """(symbols, hours) from what was typed: a number (or '48h') is the hours, the rest
    symbols."""
    syms, hours = [], None
    for a in args:
        m = _HOURS.match(a)
        if m:
            if hours is not None:
                raise BadInput("Give the hours once, e.g. /news AAPL 48.")
            hours = int(m.group(1))
        else:
            syms.append(a)
    if len(syms) > MAX_SYMBOLS:
        raise BadInput(f"At most {MAX_SYMBOLS} symbols at once.")
    return syms, hours


async def news_reply(o: Orchestrator, args: list[str]) -> Reply:
    syms, hours = news_args(args)
    view = await o.news(syms or None, hours)
    return Reply(kind="news", text=view.text, payload=view)
