"""Questions the offline parser answers instead of routing: an ANSWER, never a card.

How the market is doing cannot be answered from chat yet: the reply says so and what to do
meanwhile. Buying power can: the desk fills the number in (reply None). News and why a stock
moved are the news agent's (offline_news routes them), implied vol and IV rank the options'
(offline_options).
"""

from __future__ import annotations

from agents.llm import offline_patterns as pt
from models.intents import Intent, IntentKind


def answer(clow: str, syms: tuple[str, ...]) -> Intent | None:
    """The ANSWER for a question in canonical lower-case text `clow`, or None."""
    if pt.BUYING_POWER_RE.search(clow):
        return Intent(kind=IntentKind.ANSWER, readback="buying power")
    if pt.MARKET_Q_RE.search(clow):
        return Intent(
            kind=IntentKind.ANSWER, reply=pt.MARKET_REPLY, readback="market overview (not yet)"
        )
    return None
