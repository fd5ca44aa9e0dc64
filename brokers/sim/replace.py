"""Moving a working stop in the simulator (the StopMover capability of SimBroker).

One write transaction replaces the stop: a new row under the new client id, the same order
(symbol, side, what is left of its quantity, time in force, role) at the new trigger price, in
the same parent group, so it is the one-cancels-other sibling of the target from then on
(`protective.sibling` picks the working child of the other role); the old row is closed as
cancelled, reason "replaced by <new id>", without setting off its sibling. An OCO group's and a
bracket entry's stop-loss follow, so the group's own view shows the stop that works now.

The venue refuses, as it refuses a stop that would trigger at once: a sell stop at or above
the last price, a buy stop at or below it. A repeated new client id returns the replacement
made the first time; nothing changes.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from brokers.base import MarketData, OrderRejectedError, UnknownSymbolError
from brokers.sim import protective
from models.domain import BrokerOrder, OrderStatus, OrderType, Quote, Side
from models.sim_tables import SimAccount, SimOrder
from models.store import Store


def replace_problem(old: SimOrder, stop_price: float, q: Quote) -> str | None:
    """Why the venue refuses to move `old` to `stop_price` with the market at `q`, or None."""
    cid = old.client_order_id
    if old.oco:
        return f"{cid} is an OCO pair; move its stop, {cid}-sl"
    if old.status not in protective.OPEN:
        why = f" ({old.reason})" if old.reason else ""
        return f"stop {cid} is {old.status}{why}, not working: there is nothing to move"
    if old.order_type != OrderType.STOP.value:
        return f"order {cid} is a {old.order_type} order, not a stop"
    if not (math.isfinite(stop_price) and stop_price > 0):
        return "a stop order needs a positive stop price"
    sell = old.side == Side.SELL.value
    if (stop_price >= q.last) if sell else (stop_price <= q.last):
        way = "below" if sell else "above"
        return (
            f"a {old.side} stop must be {way} the last price of {old.symbol} "
            f"({q.last:,.2f}); at {stop_price:,.2f} it would trigger at once"
        )
    return None


def replacement(old: SimOrder, stop_price: float, new_cid: str, now: datetime) -> SimOrder:
    """The row of the replacement: `old` at `stop_price` for what is left of it."""
    return SimOrder(
        broker_order_id=uuid.uuid4().hex,
        account_id=old.account_id,
        client_order_id=new_cid,
        symbol=old.symbol,
        side=old.side,
        quantity=old.quantity - old.filled_quantity,
        order_type=OrderType.STOP.value,
        stop_price=round(stop_price, 2),
        time_in_force=old.time_in_force,
        role=old.role,
        parent_client_id=old.parent_client_id,
        status=OrderStatus.NEW.value,
        submitted_at=now,
        updated_at=now,
    )


class SimStopMover:
    """SimBroker's `replace_stop` (a mixin: the store, market and account are the broker's)."""

    _store: Store
    _market: MarketData
    account_id: str

    async def _existing(self, cid: str) -> BrokerOrder | None:
        with self._store.session() as s:
            row = protective.by_client_id(s, cid)
            return protective.view(s, row) if row else None

    async def replace_stop(
        self, client_order_id: str, stop_price: float, new_client_order_id: str
    ) -> BrokerOrder:
        """Move our working stop `client_order_id` to `stop_price` under
        `new_client_order_id` (see the module docstring); a repeated new id returns the
        replacement already made."""
        if new_client_order_id == client_order_id:
            raise OrderRejectedError("the moved stop needs a client id of its own")
        done = await self._existing(new_client_order_id)
        if done is not None:
            return done
        old = await self._existing(client_order_id)
        if old is None:
            raise OrderRejectedError(f"no order with client id {client_order_id}")
        try:  # the quote before the write lock, never under it
            quote = await self._market.quote(old.symbol)
        except UnknownSymbolError as e:
            raise OrderRejectedError(str(e)) from e
        with self._store.session(write=True) as s:
            # the account first, as refresh and cancel take it: one lock order, no deadlock
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            dup = protective.by_client_id(s, new_client_order_id)
            if dup is not None:
                return protective.view(s, dup)
            row = s.exec(
                select(SimOrder)
                .where(SimOrder.client_order_id == client_order_id)
                .with_for_update()
            ).one()
            why = replace_problem(row, stop_price, quote)
            if why:
                raise OrderRejectedError(why)
            now = self._market.now()
            new = replacement(row, stop_price, new_client_order_id, now)
            s.add(new)
            protective.close(row, protective.REPLACED + new_client_order_id, now)
            s.add(row)
            parent = protective.by_client_id(s, row.parent_client_id or "")
            if parent is not None:  # the pair's stop-loss is the new one from now on
                parent.stop_loss = new.stop_price
                if parent.oco:
                    parent.stop_price = new.stop_price
                parent.updated_at = now
                s.add(parent)
            try:
                s.flush()
            except IntegrityError:  # another instance made it first
                s.rollback()
                again = await self._existing(new_client_order_id)
                if again is None:
                    raise
                return again
            view = protective.view(s, new)
            s.commit()
            return view
