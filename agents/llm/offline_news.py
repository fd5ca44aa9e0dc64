"""Offline parsing of news questions: "any news on TSLA?", "TSLA headlines from the last 48
hours" (NEWS), and "why is NVDA down today?" (WHY_MOVE). They are answered, never carded:
a question about a move is never read as a trade."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.llm import offline_patterns as pt
from models.intents import Intent, IntentKind

K = IntentKind

MARKET = "SPY"
_HAPPENING = re.compile(r"\bwhat'?s (?:going on|happening) with\b")
_HOURS = re.compile(r"\b(?:last|past)\s+(\d{1,3})\s*(?:h|hours?)\b|\b(\d{1,3})\s*h(?:ours?)?\b")
_DAYS = re.compile(r"\b(?:last|past)\s+(\d{1,2})\s*days?\b|\b(?:last|past)\s+week\b")


def _hours(low: str) -> int | None:
    if m := _HOURS.search(low):
        h = int(m.group(1) or m.group(2))
        return h if 1 <= h <= 336 else None
    if m := _DAYS.search(low):
        d = int(m.group(1)) if m.group(1) else 7
        return min(336, max(1, d * 24))
    if "today" in low:
        return 24
    return None


def parse_news(low: str, symbols: Sequence[str]) -> Intent | None:
    """A news question in `low` (lower-cased), or None."""
    syms = tuple(symbols)
    if pt.WHY_MOVE_RE.search(low) and not re.search(r"\bp-[a-z2-7]{8}\b", low):
        if not syms and "market" in low:
            syms = (MARKET,)  # the market's move: its broad index fund's
        if not syms:
            return Intent(
                kind=K.CLARIFY, question="Which symbol's move should I explain?",
                readback="explain a move",
            )  # fmt: skip
        return Intent(kind=K.WHY_MOVE, symbols=syms[:1], readback=f"why {syms[0]} moved today")
    if pt.NEWS_Q_RE.search(low) or _HAPPENING.search(low):
        hours = _hours(low)
        what = ", ".join(syms) if syms else "held and watched symbols"
        return Intent(kind=K.NEWS, symbols=syms, hours=hours, readback=f"news on {what}")
    return None


__all__ = ["parse_news"]
