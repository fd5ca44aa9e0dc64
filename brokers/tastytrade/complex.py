"""Tastytrade complex orders: a bracket as an OTOCO, a protective pair as an OCO.

A bracket request (take_profit and stop_loss) goes out as one OTOCO complex order. The entry is
the trigger (external identifier = the client id); once it has filled, the venue works a
one-cancels-other pair on the other side, good till cancelled: a limit at take_profit (client
id + "-tp") and a stop at stop_loss (client id + "-sl"). An `oco` request is that pair alone,
for `quantity` on `side`, also good till cancelled. Each child is an ordinary Tastytrade order
with its own external identifier, so it is found, listed, streamed and cancelled like any other.

Views. An OTOCO's entry is the parent BrokerOrder, its children in `legs` (target, then stop).
An OCO has no order of its own at the venue; its parent view (client id P, broker order id
"complex-<id>") mirrors the pair: working while a child works, then filled once the children
filled the pair's quantity, else cancelled; its filled quantity and average price are the
children's, its fills stay on them (booked under their own ids, never twice).

At the venue, cancelling one order of a complex order cancels the whole complex order: the OCO
sibling, and an OTOCO's entry while it still waits (its children are contingent until then).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from tastytrade.order import (
    InstrumentType,
    Leg,
    LimitOrder,
    OCOOrder,
    OrderAction,
    OrderTimeInForce,
    OTOCOOrder,
    PlacedComplexOrder,
    PlacedOrder,
    StopOrder,
)

from brokers.base import OrderRejectedError
from brokers.tastytrade.convert import to_sdk_order, to_tif
from models.domain import (
    BrokerOrder,
    OrderRequest,
    OrderRole,
    OrderStatus,
    OrderType,
    Side,
    child_client_id,
    split_client_id,
)

COMPLEX_PREFIX = "complex-"  # the broker order id of an OCO's parent view
Convert = Callable[[PlacedOrder], BrokerOrder]


def is_complex(req: OrderRequest) -> bool:
    """Whether `req` goes out as a complex order; refuses what cannot be sent at all."""
    to_tif(req.time_in_force)  # opg first: nothing is looked up or sent for it
    if req.oco:
        if req.take_profit is None or req.stop_loss is None:
            raise OrderRejectedError("an OCO needs both a take-profit and a stop-loss price")
        return True
    if (req.take_profit is None) != (req.stop_loss is None):
        raise OrderRejectedError("a bracket needs both a take-profit and a stop-loss price")
    return req.bracket


def _exit_orders(req: OrderRequest, side: Side, act: OrderAction) -> tuple[LimitOrder, StopOrder]:
    """The protective pair on `side`: a limit at take_profit and a stop at stop_loss, GTC."""
    assert req.take_profit is not None and req.stop_loss is not None
    leg = Leg(
        instrument_type=InstrumentType.EQUITY,
        symbol=req.symbol.upper(),
        action=act,
        quantity=req.quantity,
    )
    tp = Decimal(str(round(req.take_profit, 2)))
    cid = req.client_order_id
    target = LimitOrder(
        legs=[leg],
        price=-tp if side is Side.BUY else tp,  # negative = debit: a buy pays
        time_in_force=OrderTimeInForce.GTC,
        external_identifier=child_client_id(cid, OrderRole.TARGET),
    )
    stop = StopOrder(
        legs=[leg],
        stop_trigger=Decimal(str(round(req.stop_loss, 2))),
        time_in_force=OrderTimeInForce.GTC,
        external_identifier=child_client_id(cid, OrderRole.STOP),
    )
    return target, stop


def _check_pair(req: OrderRequest, long: bool, what: str) -> None:
    """The target above and the stop below for a long (the other way round for a short)."""
    assert req.take_profit is not None and req.stop_loss is not None
    up, down = (req.take_profit, req.stop_loss) if long else (req.stop_loss, req.take_profit)
    if not down < up:
        raise OrderRejectedError(
            f"{what}'s take-profit must be beyond the entry and its stop-loss behind it"
        )
    limit = req.limit_price if req.order_type is OrderType.LIMIT and not req.oco else None
    if limit and not down < limit < up:
        raise OrderRejectedError(
            f"{what}'s entry limit must lie between its stop-loss and its take-profit"
        )


def to_otoco(req: OrderRequest, act: OrderAction) -> OTOCOOrder:
    """The bracket: the entry triggers the target/stop pair on the other side."""
    if not act.value.endswith("Open"):
        raise OrderRejectedError(
            "a bracket protects a new position, and this order closes one; "
            "send the exit without a stop and target"
        )
    _check_pair(req, req.side is Side.BUY, "a bracket")
    exit_side = Side.SELL if req.side is Side.BUY else Side.BUY
    exit_act = OrderAction.SELL_TO_CLOSE if req.side is Side.BUY else OrderAction.BUY_TO_CLOSE
    target, stop = _exit_orders(req, exit_side, exit_act)
    return OTOCOOrder(trigger_order=to_sdk_order(req, act), take_profit=target, stop_loss=stop)


def to_oco(req: OrderRequest, act: OrderAction) -> OCOOrder:
    """The protective pair alone, closing what is held on the other side."""
    if not act.value.endswith("Close"):
        raise OrderRejectedError(
            f"an OCO protects a position: nothing in {req.symbol.upper()} is held to "
            f"{req.side.value} back"
        )
    _check_pair(req, req.side is Side.SELL, "an OCO")
    target, stop = _exit_orders(req, req.side, act)
    return OCOOrder(take_profit=target, stop_loss=stop)


def to_complex(req: OrderRequest, act: OrderAction) -> OTOCOOrder | OCOOrder:
    return to_oco(req, act) if req.oco else to_otoco(req, act)


# ---------------------------------------------------------------------------- views


def members(c: PlacedComplexOrder) -> list[PlacedOrder]:
    """Every order of a complex order, the trigger first."""
    return ([c.trigger_order] if c.trigger_order is not None else []) + list(c.orders)


def parent_id(c: PlacedComplexOrder) -> str | None:
    """Our client id for the complex order: the trigger's, else the children's parent."""
    if c.trigger_order is not None:
        return c.trigger_order.external_identifier
    for o in c.orders:
        if o.external_identifier:
            parent, role = split_client_id(o.external_identifier)
            if role is not OrderRole.MAIN:
                return parent
    return None


def _children(parent: str | None, group: Sequence[PlacedOrder]) -> list[PlacedOrder]:
    """The protective children of `parent` in `group`: the target first, then the stop."""
    kids = [
        o
        for o in group
        if parent
        and o.external_identifier
        in (
            child_client_id(parent, OrderRole.TARGET),
            child_client_id(parent, OrderRole.STOP),
        )
    ]
    return sorted(kids, key=lambda o: (o.external_identifier or "").endswith(OrderRole.STOP.suffix))


def _with_legs(parent: PlacedOrder, group: Sequence[PlacedOrder], convert: Convert) -> BrokerOrder:
    view = convert(parent)
    legs = tuple(convert(o) for o in _children(parent.external_identifier, group))
    return view.model_copy(update={"legs": legs}) if legs else view


def oco_parent(c: PlacedComplexOrder, cid: str, legs: tuple[BrokerOrder, ...]) -> BrokerOrder:
    """The parent view of an OCO (see the module docstring): working while a leg works, then
    filled when the legs filled the pair's quantity, else cancelled (rejected when both were).
    Its filled quantity and average price are the legs'; its fills stay theirs."""
    target = next((x for x in legs if x.order_type is OrderType.LIMIT), legs[0])
    stop = next((x for x in legs if x.order_type is OrderType.STOP), legs[-1])
    filled = sum(x.filled_quantity for x in legs)
    paid = sum((x.avg_fill_price or 0.0) * x.filled_quantity for x in legs)
    if any(x.status.is_open for x in legs):
        status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
    elif filled >= target.quantity:
        status = OrderStatus.FILLED
    elif not filled and all(x.status is OrderStatus.REJECTED for x in legs):
        status = OrderStatus.REJECTED
    else:
        status = OrderStatus.CANCELED
    return BrokerOrder(
        broker_order_id=f"{COMPLEX_PREFIX}{c.id}",
        client_order_id=cid,
        symbol=target.symbol,
        side=target.side,
        quantity=target.quantity,
        order_type=OrderType.LIMIT,
        limit_price=target.limit_price,
        stop_price=stop.stop_price,
        status=status,
        filled_quantity=min(filled, target.quantity),
        avg_fill_price=round(paid / filled, 6) if filled else None,
        reason="; ".join(x.reason for x in legs if x.reason),
        submitted_at=min(x.submitted_at for x in legs),
        legs=legs,
    )


def complex_view(c: PlacedComplexOrder, cid: str, convert: Convert) -> BrokerOrder | None:
    """The view of `cid` in complex order `c`: the entry with its children as legs, one
    child alone, or an OCO's parent; None when `cid` is not part of it."""
    group = members(c)
    for o in group:
        if o.external_identifier == cid:
            return _with_legs(o, group, convert) if o is c.trigger_order else convert(o)
    if c.trigger_order is None and parent_id(c) == cid:
        legs = tuple(convert(o) for o in _children(cid, group))
        if legs:
            return oco_parent(c, cid, legs)
    return None


def order_views(orders: Sequence[PlacedOrder], convert: Convert) -> list[BrokerOrder]:
    """Each order's view; an OTOCO entry carries its children (same complex order) as legs."""
    groups: dict[str, list[PlacedOrder]] = {}
    for o in orders:
        if o.complex_order_id is not None:
            groups.setdefault(str(o.complex_order_id), []).append(o)
    out = []
    for o in orders:
        group = groups.get(str(o.complex_order_id)) if o.complex_order_id is not None else None
        out.append(_with_legs(o, group, convert) if group else convert(o))
    return out
