"""The kill switch's flatten for option positions: one order per strategy position closing
every leg at the natural price (a person's command; it only reduces risk)."""

from __future__ import annotations

import math
import secrets

from loguru import logger

from agents.chains import ChainAgent
from agents.option_book import OptionBook
from models.domain import KILL_PREFIX, OrderLeg, OrderRequest, OrderType, Side


async def closing_orders(book: OptionBook, chains: ChainAgent) -> list[OrderRequest]:
    """The kill switch's flatten: one order per strategy position closing every leg at
    the natural price (buying back at the asks, selling at the bids), client id
    "kill-<position>"; a position without a quote on every leg is left (logged)."""
    out = []
    for g in book.groups():
        expiries = sorted({leg.expiry for leg in g.legs})
        quotes = await chains.contract_quotes(
            g.underlying, [leg.symbol for leg in g.legs], expiries
        )
        if any(leg.symbol not in quotes for leg in g.legs):
            logger.error("flatten: no quote for every leg of {}", g.key)
            continue
        net = 0.0
        legs = []
        for leg in g.legs:
            bid, ask = quotes[leg.symbol]
            side = Side.SELL if leg.quantity > 0 else Side.BUY
            ratio = abs(leg.quantity) // g.contracts
            net += (bid if side is Side.SELL else -ask) * ratio
            legs.append(OrderLeg(symbol=leg.symbol, side=side, ratio=ratio, opens=False))
        if not math.isfinite(net):
            continue
        out.append(
            OrderRequest(
                client_order_id=f"{KILL_PREFIX}{g.key}-{secrets.token_hex(3)}",
                symbol=g.underlying,
                side=Side.SELL if net > 0 else Side.BUY,
                quantity=g.contracts,
                order_type=OrderType.LIMIT,
                limit_price=max(0.01, round(abs(net), 2)),
                legs=tuple(legs),
            )
        )
    return out


__all__ = ["closing_orders"]
