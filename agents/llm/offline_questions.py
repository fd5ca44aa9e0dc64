"""Questions the offline parser answers instead of routing: an ANSWER, never a card.

News, why a stock moved and how the market is doing cannot be answered from chat yet (implied
vol and IV rank can: offline_options routes them): the reply says so and what to do
meanwhile. Buying power can: the desk fills the number in (reply None).
"""

from __future__ import annotations

from agents.llm import offline_patterns as pt
from models.intents import Intent, IntentKind

_NOT_YET = (
    (pt.NEWS_Q_RE, pt.NEWS_REPLY, "news"),
    (pt.WHY_MOVE_RE, pt.WHY_MOVE_REPLY, "why it moved"),
)


def answer(clow: str, syms: tuple[str, ...]) -> Intent | None:
    """The ANSWER for a question in canonical lower-case text `clow`, or None."""
    if pt.BUYING_POWER_RE.search(clow):
        return Intent(kind=IntentKind.ANSWER, readback="buying power")
    sym = syms[0] if syms else "SPY" if "market" in clow else "NVDA"
    for rx, reply, what in _NOT_YET:
        if rx.search(clow):
            on = f" on {', '.join(syms)}" if syms else ""
            return Intent(
                kind=IntentKind.ANSWER,
                symbols=syms,
                reply=reply.format(sym=sym),
                readback=f"{what}{on} (not yet)",
            )
    if pt.MARKET_Q_RE.search(clow):
        return Intent(
            kind=IntentKind.ANSWER, reply=pt.MARKET_REPLY, readback="market overview (not yet)"
        )
    return None
