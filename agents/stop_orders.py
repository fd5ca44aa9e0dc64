"""How an approved stop move reaches the venue: the working stop is replaced in place where
the venue can (its one-cancels-other link to the target kept); else the working protective
orders come off first and a new stop goes in. Either way the new stop's client id is the
stop card's id, so a resend after a crash is the same order and is looked up first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from agents.stop_moves import working_stop
from brokers.base import OrderRejectedError, StopMover
from models.domain import BrokerOrder, OrderRequest, OrderRole
from models.tables import Order

if TYPE_CHECKING:
    from agents.execution import ExecutionAgent

ACTOR = "agent:execution"
Send = Callable[[OrderRequest], Awaitable[BrokerOrder]]


def owns_card(row: Order) -> bool:
    """Whether an order row is its proposal's own order (its status is the card's): an
    entry's or exit's order, or a stop move's new stop; not an entry's protective legs."""
    own = row.proposal_id is not None and row.client_order_id == row.proposal_id
    return row.role == OrderRole.MAIN.value or own


async def stop_sender(ex: ExecutionAgent, req: OrderRequest) -> Send:
    """The send of a stop move's stop (see the module docstring)."""
    broker = ex.broker
    old = working_stop(ex.store, req.symbol, exclude=req.client_order_id)
    if old is not None and isinstance(broker, StopMover):
        mover: StopMover = broker

        async def replace(r: OrderRequest) -> BrokerOrder:
            assert r.stop_price is not None
            bo = await mover.replace_stop(old.client_order_id, r.stop_price, r.client_order_id)
            prev = await ex._lookup(old.client_order_id)
            if prev is not None:
                ex.apply(prev, ACTOR)  # the replaced stop ends canceled in our books too
            return bo

        return replace

    async def fresh(r: OrderRequest) -> BrokerOrder:
        found = await broker.order_by_client_id(r.client_order_id)
        if found is not None:  # sent before a crash: never a second stop
            return found
        for row in ex.store.ledger.protective(r.symbol):
            if row.client_order_id == r.client_order_id:
                continue
            bo = await ex.cancel_at_venue(row.client_order_id)
            if bo is None:
                raise OrderRejectedError(
                    f"the working {row.role} {row.client_order_id} could not be cancelled; "
                    "the stop was not moved"
                )
            ex.apply(bo, ACTOR)
        return await broker.submit(r)

    return fresh
