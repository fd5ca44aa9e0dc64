"""Plain-language options requests: a chain ("show me the AAPL option chain", "NVDA puts
45 days delta 0.3") or IV rank ("what's the IV rank of TSLA"). A request to trade options
makes a strategy card ("bull put spread on SPY"); any other shows the chain to choose from
and says plainly that nothing was proposed (a share order is never made of one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chain_views import chain_text
from agents.results import Reply
from models.domain import Actor
from models.intents import Intent, IntentKind

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

NOT_YET = (
    "Cards are made for bull put spreads, cash-secured puts and iron condors (say one, or "
    "/propose SYMBOL STRATEGY); nothing was proposed (and no share order was made of it). "
    "The chain to choose from:"
)


async def option_propose_reply(o: Orchestrator, i: Intent, actor: Actor) -> Reply:
    """An option strategy card from plain language ("bull put spread on SPY")."""
    assert i.option_strategy is not None
    card = await o.propose_option(i.symbols[0], i.option_strategy, i.quantity, actor, source="chat")
    return Reply(kind="proposal", text=f"Proposal {card.id}: {card.title}", payload=card)


async def options_reply(o: Orchestrator, i: Intent) -> Reply:
    """The reply to a CHAIN or IV_RANK intent (kinds `chain` and `iv_rank`)."""
    symbol = i.symbols[0]
    if i.kind is IntentKind.IV_RANK:
        view = await o.iv_rank(symbol)
        return Reply(kind="iv_rank", text=f"{view.symbol}: {view.text}", payload=view)
    chain = await o.option_chain(symbol, dte=i.dte, side=i.option_side, delta=i.delta)
    text = chain_text(chain, o.mode.label)
    return Reply(kind="chain", text=f"{NOT_YET}\n{text}" if i.option_trade else text, payload=chain)
