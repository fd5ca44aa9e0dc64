"""Moving a working stop at Tastytrade (the StopMover capability of TastytradeBroker).

A standalone stop is replaced in place: the SDK's `Account.replace_order(session, id, order)`
sends PUT /accounts/{n}/orders/{id} with the same order at the new trigger and our new client
id as its `external-identifier`; the venue answers with the new order (a new id) and ends the
old one Cancelled (the SDK's OrderStatus has no "Replaced").

A protective pair's stop (an OCO, or an OTOCO's once its entry filled) is not replaced in
place. The SDK (v13) has no complex-order replace, nor does the API document one: complex
orders are placed, read and cancelled as a whole. A component could be PUT like any order, but
nothing documents whether its successor keeps the one-cancels-other link, and a lost link
would let both exits trade (a second sell opens a short). So the nearest documented thing is
done, in this order: (1) a dry run of the new pair, so a price the venue refuses changes
nothing; (2) the complex order is cancelled (DELETE /complex-orders/{id}) and read back until
both orders of the pair have ended, refusing when one filled meanwhile; (3) a new OCO is placed
for what was left, the stop at the new trigger carrying the new client id and the target at its
old price carrying the new client id plus "-tp" (a target of the move, so our books file it
under the card that moved the stop). Between (2) and (3) the position
has no stop for one round trip; a refusal at (3) raises an error that says the position is
unprotected.

Exactly once: the new client id is looked up first (memory, today's orders, today's complex
orders) and returned when it exists; a placement whose outcome is unknown is looked up again
before it is sent once more (the broker's `_place`). A move interrupted between (2) and (3) is
not resumed: the old stop then reads as cancelled, and a retry is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from tastytrade.order import (
    Leg,
    LimitOrder,
    OCOOrder,
    PlacedComplexOrder,
    PlacedOrder,
    StopOrder,
)
from tastytrade.order import OrderStatus as TTStatus
from tastytrade.order import OrderType as TTType

from brokers.base import BrokerError, OrderRejectedError
from brokers.tastytrade.complex import members
from brokers.tastytrade.convert import OPEN, BrokerDataError
from brokers.tastytrade.option_orders import progress
from models.domain import (
    BrokerOrder,
    OrderRequest,
    OrderRole,
    OrderType,
    TimeInForce,
    child_client_id,
)

if TYPE_CHECKING:
    from brokers.tastytrade.broker import TastytradeBroker

SETTLE_READS = 5  # reads of a cancelled complex order while its orders are still ending


def not_movable(view: BrokerOrder, o: PlacedOrder) -> str | None:
    """Why our order (`view`, placed as `o`) cannot be moved as a stop, or None."""
    cid = view.client_order_id
    if not view.status.is_open:
        return f"stop {cid} is {view.status.value}, not working: there is nothing to move"
    if view.order_type is not OrderType.STOP:
        return f"order {cid} is a {view.order_type.value} order, not a stop"
    if o.status is TTStatus.CONTINGENT:
        return f"stop {cid} waits for its entry to fill: there is no position to protect yet"
    return None


def _leg(o: PlacedOrder, quantity: int) -> Leg:
    leg = o.legs[0]
    return Leg(
        instrument_type=leg.instrument_type, symbol=leg.symbol, action=leg.action, quantity=quantity
    )


def _left(o: PlacedOrder) -> int:
    leg = o.legs[0]
    return int(leg.remaining_quantity if leg.remaining_quantity is not None else leg.quantity or 0)


def moved_stop(o: PlacedOrder, stop_price: float, new_cid: str, quantity: int) -> StopOrder:
    """`o` as a stop at `stop_price` under `new_cid` (its time in force kept)."""
    return StopOrder(
        legs=[_leg(o, quantity)],
        stop_trigger=Decimal(str(round(stop_price, 2))),
        time_in_force=o.time_in_force,
        gtc_date=o.gtc_date,
        external_identifier=new_cid,
    )


def new_pair(stop: PlacedOrder, target: PlacedOrder, stop_price: float, new_cid: str) -> OCOOrder:
    """The OCO that replaces the pair of `stop` and `target`: the target as it was (under
    `new_cid` + "-tp"), the stop at `stop_price` under `new_cid`, for what is left of both."""
    qty = min(_left(stop), _left(target))
    assert target.price is not None
    tp_cid = child_client_id(new_cid, OrderRole.TARGET)
    return OCOOrder(
        take_profit=LimitOrder(
            legs=[_leg(target, qty)],
            price=target.price,  # signed as placed: negative = debit
            time_in_force=target.time_in_force,
            gtc_date=target.gtc_date,
            external_identifier=tp_cid,
        ),
        stop_loss=moved_stop(stop, stop_price, new_cid, qty),
    )


def _request(view: BrokerOrder, stop_price: float, new_cid: str) -> OrderRequest:
    """What `_place` reports refusals against: the moved stop as a request."""
    return OrderRequest(
        client_order_id=new_cid,
        symbol=view.symbol,
        side=view.side,
        quantity=max(1, view.quantity - view.filled_quantity),
        order_type=OrderType.STOP,
        stop_price=stop_price,
        time_in_force=TimeInForce.GTC,
    )


class TastytradeStopMover:
    """TastytradeBroker's `replace_stop` (a mixin over the broker's look-ups and writes)."""

    async def replace_stop(
        self: TastytradeBroker, client_order_id: str, stop_price: float, new_client_order_id: str
    ) -> BrokerOrder:
        """Move our working stop `client_order_id` to `stop_price` under
        `new_client_order_id` (see the module docstring)."""
        old_cid, new_cid = client_order_id, new_client_order_id
        if not (math.isfinite(stop_price) and stop_price > 0):
            raise OrderRejectedError("a stop order needs a positive stop price")
        if new_cid == old_cid:
            raise OrderRejectedError("the moved stop needs a client id of its own")
        async with self._locks.setdefault(new_cid, asyncio.Lock()):
            done = await self._find_view(new_cid)
            if done is not None:
                return done
            view = await self._find_view(old_cid)
            if view is not None and view.legs:
                raise OrderRejectedError(
                    f"{old_cid} is a bracket or an OCO pair; move its stop, {old_cid}-sl"
                )
            o = await self._find(old_cid) if view is not None else None
            if view is None or o is None:
                raise OrderRejectedError(f"no order with client id {old_cid}")
            problem = not_movable(view, o)
            if problem:
                raise OrderRejectedError(problem)
            req = _request(view, stop_price, new_cid)
            if o.complex_order_id is None:
                result = await self._move_alone(o, req)
            else:
                result = await self._move_pair(o, int(o.complex_order_id), req)
            for x in (result, *result.legs):
                self._seen[x.client_order_id] = progress(x)
            return result

    async def _move_alone(self: TastytradeBroker, o: PlacedOrder, req: OrderRequest) -> BrokerOrder:
        """PUT the standalone stop `o` at the new trigger under the new client id."""
        acct, s = await self._acct(), self._t.session
        order = moved_stop(o, req.stop_price or 0.0, req.client_order_id, _left(o))

        async def send() -> PlacedOrder:
            return await acct.replace_order(s, o.id, order)

        try:
            placed = await self._place(req, send, lambda: self._find(req.client_order_id))
        except OrderRejectedError as e:
            raise _refused(o, req, e) from None
        except BrokerError as e:
            raise BrokerError(f"stop {o.external_identifier} was not moved: {e}") from None
        return self._convert(placed)

    async def _move_pair(
        self: TastytradeBroker, o: PlacedOrder, group: int, req: OrderRequest
    ) -> BrokerOrder:
        """Dry-run the new pair, cancel the old complex order, place the new pair."""
        acct, s, new_cid = await self._acct(), self._t.session, req.client_order_id
        c = await self._read("complex order", lambda: acct.get_complex_order(s, group))
        target = next((x for x in c.orders if x.id != o.id and x.order_type is TTType.LIMIT), None)
        if target is None or target.price is None:
            raise OrderRejectedError(f"stop {o.external_identifier} has no target to pair with")
        pair = new_pair(o, target, req.stop_price or 0.0, new_cid)
        try:
            await self._read("dry run", lambda: acct.place_complex_order(s, pair, dry_run=True))
        except BrokerDataError:
            raise
        except BrokerError as e:
            raise _refused(o, req, e) from None
        await self._cancel_pair(c, o)

        async def send() -> PlacedComplexOrder:
            return (await acct.place_complex_order(s, pair, dry_run=False)).complex_order

        head = f"stop {o.external_identifier} was cancelled with its target, but the new pair"
        try:
            placed = await self._place(req, send, lambda: self._find_complex(new_cid))
        except OrderRejectedError as e:
            raise BrokerError(
                f"{head} was refused ({e}): {req.symbol} has no stop at Tastytrade now"
            ) from None
        except BrokerError as e:
            raise BrokerError(
                f"{head} is not confirmed ({e}): {req.symbol} may have no stop at Tastytrade "
                f"now; look up {new_cid}"
            ) from None
        view = self._view(placed, new_cid)
        if view is None:
            raise self._bad(BrokerDataError(f"complex order {placed.id} lacks {new_cid}"))
        for x in map(self._convert, members(placed)):  # refresh tells when the target changes
            self._seen[x.client_order_id] = progress(x)
        return view

    async def _cancel_pair(self: TastytradeBroker, c: PlacedComplexOrder, o: PlacedOrder) -> None:
        """Cancel complex order `c` and read it back until the orders of its pair have ended;
        refuse when one of them traded meanwhile (then nothing is placed)."""
        acct, s, cid = await self._acct(), self._t.session, o.external_identifier
        before = {x.id: _filled(x) for x in c.orders}
        with contextlib.suppress(BrokerError):  # ended meanwhile, or not: the reads tell
            await self._t.read("cancel", lambda: acct.delete_complex_order(s, c.id))
        for attempt in range(SETTLE_READS):
            now = await self._read("complex order", lambda: acct.get_complex_order(s, c.id))
            if any(_filled(x) > before.get(x.id, 0) for x in now.orders):
                raise OrderRejectedError(
                    f"stop {cid} or its target traded while it was being moved; "
                    "nothing new was placed"
                )
            if all(x.status not in OPEN for x in now.orders):
                return
            if attempt + 1 < SETTLE_READS:
                await self._t.sleep(self._t.policy.base_delay)
        raise BrokerError(f"stop {cid}: its cancel was not confirmed; nothing new was placed")


def _filled(o: PlacedOrder) -> int:
    return sum(int(f.quantity) for f in o.legs[0].fills or [])


def _refused(o: PlacedOrder, req: OrderRequest, e: BrokerError) -> OrderRejectedError:
    """The venue's refusal of a move, in its words."""
    text = str(e)
    words = text[text.index("HTTP") :] if "HTTP" in text else text
    return OrderRejectedError(
        f"Tastytrade refused to move stop {o.external_identifier} to {req.stop_price:.2f}: {words}"
    )
