"""Plain-language options requests: a chain ("show me the AAPL option chain", "NVDA puts
45 days delta 0.3") or IV rank ("what's the IV rank of TSLA"). A request to trade options
shows the chain to choose from and says plainly that nothing was proposed: option orders
are not cards yet, and a share order is never made of one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.chain_views import chain_text
from agents.results import Reply
from models.intents import Intent, IntentKind

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

NOT_YET = (
    "Option orders can't be proposed here yet, so nothing was proposed (and no share "
    "order was made of it). The chain to choose from:"
)


async def options_reply(o: Orchestrator, i: Intent) -> Reply:
    """The reply to a CHAIN or IV_RANK intent (kinds `chain` and `iv_rank`)."""
    symbol = i.symbols[0]
    if i.kind is IntentKind.IV_RANK:
        view = await o.iv_rank(symbol)
        return Reply(kind="iv_rank", text=f"{view.symbol}: {view.text}", payload=view)
    chain = await o.option_chain(symbol, dte=i.dte, side=i.option_side, delta=i.delta)
    text = chain_text(chain, o.mode.label)
    return Reply(kind="chain", text=f"{NOT_YET}\n{text}" if i.option_trade else text, payload=chain)
