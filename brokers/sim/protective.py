"""The simulator's protective orders: a bracket's stop and target, one-cancels-other pairs.

A bracket entry keeps its take-profit and stop-loss on its row; once it has filled (or is
cancelled after a partial fill) its two children are placed for the filled quantity: the
parent's client id plus "-sl" (a stop) and "-tp" (a limit), on the other side, GTC. An OCO
request places the same pair at once under a group row (`oco`), which is never worked: its
state is its legs'. The two children of one parent are siblings: a fill of one reduces the
other by as much (cancelled when nothing is left), a cancel of one cancels the other. A
protective child never trades more than the position holds.

The rules are pure functions; the helpers after them read and write rows of one session,
and `view` is the venue's view of a row (an entry's or a group's with its `legs`, an options
order's with its `option_legs`: brokers/sim/legs.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from brokers.sim.legs import executions
from models.domain import (
    BrokerOrder,
    FillReport,
    OrderRequest,
    OrderRole,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    TimeInForce,
    child_client_id,
    split_client_id,
)
from models.sim_tables import SimFill, SimOrder

OPEN = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)
CANCELED = OrderStatus.CANCELED.value
REPLACED = "replaced by "  # the reason of a stop moved by brokers/sim/replace.py


# ----------------------------------------------------------------------------- pure rules


def entry_price(r: OrderRequest, q: Quote) -> float:
    """The price a bracket's stop and target are judged against: the limit, else the quote."""
    return r.limit_price if r.limit_price else q.price_for(r.side)


def _sides(side: Side, target: float, stop: float, ref: float | None, what: str) -> str | None:
    """Why `target`/`stop` are on the wrong sides of the entry price `ref` (None: of each
    other) for a position opened by `side`, or None."""
    lo, hi = (stop, target) if side is Side.BUY else (target, stop)
    if (lo < ref < hi) if ref is not None else lo < hi:
        return None
    whose, way, other = (
        ("a long's", "below", "above") if side is Side.BUY else ("a short's", "above", "below")
    )
    head = f"{what}: {whose} stop-loss ({stop:,.2f}) must be {way}"
    if ref is None:
        return f"{head} its take-profit ({target:,.2f})"
    return f"{head} {ref:,.2f} and its take-profit ({target:,.2f}) {other} it"


def order_problem(r: OrderRequest, q: Quote, held: int) -> str | None:
    """Why the venue refuses `r` (held: the position in its symbol), or None."""
    if r.order_type is OrderType.LIMIT and not (r.limit_price and r.limit_price > 0):
        return "a limit order needs a positive limit price"
    if r.order_type is OrderType.STOP and not (r.stop_price and r.stop_price > 0):
        return "a stop order needs a positive stop price"
    if split_client_id(r.client_order_id)[1] is not OrderRole.MAIN:
        return "client ids ending in -sl or -tp are kept for the venue's protective orders"
    has_tp, has_sl = r.take_profit is not None, r.stop_loss is not None
    if r.oco:
        if not (has_tp and has_sl):
            return "an OCO pair needs both a take-profit and a stop-loss price"
        assert r.take_profit is not None and r.stop_loss is not None
        # the pair closes a position opened on the other side
        opened_by = Side.SELL if r.side is Side.BUY else Side.BUY
        if protective_cap(r.side, held) <= 0:
            verb = "sell" if r.side is Side.SELL else "buy back"
            return f"an OCO pair protects a position: nothing held in {r.symbol} to {verb}"
        # no check against the quote: a leg the price is already through trades at once
        return _sides(opened_by, r.take_profit, r.stop_loss, None, "OCO pair")
    if has_tp != has_sl:
        return "a bracket needs both a take-profit and a stop-loss price"
    if not r.bracket:
        return None
    assert r.take_profit is not None and r.stop_loss is not None
    if r.order_type is OrderType.STOP:
        return "a bracket's entry must be a market or limit order"
    return _sides(r.side, r.take_profit, r.stop_loss, entry_price(r, q), "bracket")


def trade_price(row: SimOrder, q: Quote, slip: float) -> float | None:
    """The price `row` would trade at against `q` now (slippage `slip`), or None: a stop
    once the last price crossed it, at the quote (so a gap fills at the gapped price, not
    at the stop); a limit at its price or better; a market order at the quote."""
    side = Side(row.side)
    if row.order_type == OrderType.STOP.value and row.stop_price is not None:
        triggered = q.last >= row.stop_price if side is Side.BUY else q.last <= row.stop_price
        if not triggered:
            return None
    base = q.price_for(side)
    px = base * (1 + slip) if side is Side.BUY else base * (1 - slip)
    if row.order_type == OrderType.LIMIT.value and row.limit_price is not None:
        if side is Side.BUY:
            return None if base > row.limit_price else min(px, row.limit_price)
        return None if base < row.limit_price else max(px, row.limit_price)
    return px


def protective_cap(side: Side, held: int) -> int:
    """How many shares a protective order on `side` may trade against a position of `held`
    (a sell only what is long, a buy only what is short)."""
    return max(0, held) if side is Side.SELL else max(0, -held)


def group_state(
    quantity: int, legs: Sequence[SimOrder]
) -> tuple[OrderStatus, int, float | None, str]:
    """(status, filled, average price, reason) of an OCO group from its legs: working while a
    leg works; then filled when the legs filled the pair's quantity, else cancelled."""
    filled = sum(x.filled_quantity for x in legs)
    paid = sum((x.avg_fill_price or 0.0) * x.filled_quantity for x in legs)
    avg = paid / filled if filled else None
    if any(x.status in OPEN for x in legs):
        return (OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW), filled, avg, ""
    if filled >= quantity:
        return OrderStatus.FILLED, filled, avg, ""
    why = [x.reason for x in legs if x.reason]
    own = [w for w in why if not w.startswith(("one-cancels-other", REPLACED))]
    return OrderStatus.CANCELED, filled, avg, (own or why or [""])[0]


def oco_reason(row: SimOrder) -> str:
    """The reason a sibling of `row` is cancelled."""
    did = "filled" if row.filled_quantity else "cancelled"
    return f"one-cancels-other: {row.client_order_id} {did}"


def order_row(account_id: str, r: OrderRequest, now: datetime) -> SimOrder:
    """The venue's row for a request: an order, or an OCO pair's group (shown as a limit at
    the take-profit with the stop-loss as its stop price)."""
    return SimOrder(
        broker_order_id=uuid.uuid4().hex,
        account_id=account_id,
        client_order_id=r.client_order_id,
        symbol=r.symbol,
        side=r.side.value,
        quantity=r.quantity,
        order_type=(OrderType.LIMIT if r.oco else r.order_type).value,
        limit_price=r.take_profit if r.oco else r.limit_price,
        stop_price=r.stop_loss if r.oco else r.stop_price,
        time_in_force=r.time_in_force.value,
        take_profit=r.take_profit,
        stop_loss=r.stop_loss,
        oco=r.oco,
        status=OrderStatus.NEW.value,
        submitted_at=now,
        updated_at=now,
    )


def new_children(
    parent: SimOrder, side: Side, quantity: int, tif: TimeInForce, now: datetime
) -> list[SimOrder]:
    """The stop (-sl) and target (-tp) of `parent` on `side` for `quantity` shares."""
    assert parent.stop_loss is not None and parent.take_profit is not None
    legs = (
        (OrderRole.STOP, OrderType.STOP, None, parent.stop_loss),
        (OrderRole.TARGET, OrderType.LIMIT, parent.take_profit, None),
    )
    return [
        SimOrder(
            broker_order_id=uuid.uuid4().hex,
            account_id=parent.account_id,
            client_order_id=child_client_id(parent.client_order_id, role),
            symbol=parent.symbol,
            side=side.value,
            quantity=quantity,
            order_type=kind.value,
            limit_price=limit,
            stop_price=stop,
            time_in_force=tif.value,
            role=role.value,
            parent_client_id=parent.client_order_id,
            status=OrderStatus.NEW.value,
            submitted_at=now,
            updated_at=now,
        )
        for role, kind, limit, stop in legs
    ]


def bracket_due(row: SimOrder) -> bool:
    """A bracket entry whose children are due: it filled, or was closed after a fill."""
    return (
        row.role == OrderRole.MAIN.value
        and not row.oco
        and row.take_profit is not None
        and row.stop_loss is not None
        and row.filled_quantity > 0
        and row.status not in OPEN
    )


def close(row: SimOrder, reason: str, now: datetime) -> None:
    """Cancel what is left of `row`."""
    row.status = CANCELED
    row.reason = reason
    row.updated_at = now


# ----------------------------------------------------------------------------- rows


def children(s: Session, parent_cid: str) -> list[SimOrder]:
    """The protective children of `parent_cid` (-sl before -tp)."""
    return list(
        s.exec(
            select(SimOrder)
            .where(SimOrder.parent_client_id == parent_cid)
            .order_by(col(SimOrder.client_order_id))
        ).all()
    )


def by_client_id(s: Session, cid: str) -> SimOrder | None:
    """The row of a client id (an order, a child or an OCO group), or None."""
    return s.exec(select(SimOrder).where(SimOrder.client_order_id == cid)).first()


def place_bracket(s: Session, parent: SimOrder, now: datetime) -> list[SimOrder]:
    """Place a filled bracket entry's children (once: none if they exist already)."""
    if not bracket_due(parent) or children(s, parent.client_order_id):
        return []
    side = Side.SELL if parent.side == Side.BUY.value else Side.BUY
    made = new_children(parent, side, parent.filled_quantity, TimeInForce.GTC, now)
    s.add_all(made)
    s.flush()
    return made


def sibling(s: Session, row: SimOrder) -> SimOrder | None:
    """The other protective child of `row`'s parent (of the other role; the working one
    when a stop was replaced: brokers/sim/replace.py)."""
    if row.parent_client_id is None:
        return None
    others = [x for x in children(s, row.parent_client_id) if x.role != row.role]
    return next((x for x in others if x.status in OPEN), others[0] if others else None)


def after_child(s: Session, row: SimOrder, filled: int, now: datetime) -> list[SimOrder]:
    """A child filled `filled` shares and/or was cancelled: reduce its sibling by as much,
    cancel the sibling when nothing is left or when `row` was cancelled, and settle an OCO
    group. Returns the rows changed besides `row`."""
    changed: list[SimOrder] = []
    sib = sibling(s, row)
    if sib is not None and sib.status in OPEN:
        if filled:
            sib.quantity = max(sib.filled_quantity, sib.quantity - filled)
            sib.updated_at = now
        if sib.quantity <= sib.filled_quantity or row.status == CANCELED:
            close(sib, oco_reason(row), now)
        s.add(sib)
        changed.append(sib)
    group = settle_group(s, row.parent_client_id, now)
    return [*changed, *([group] if group else [])]


def settle_group(s: Session, parent_cid: str | None, now: datetime) -> SimOrder | None:
    """Bring an OCO group row up to date with its legs; None if `parent_cid` is no group."""
    group = by_client_id(s, parent_cid) if parent_cid else None
    if group is None or not group.oco:
        return None
    s.flush()
    status, filled, avg, reason = group_state(group.quantity, children(s, parent_cid or ""))
    group.status, group.filled_quantity = status.value, filled
    group.avg_fill_price, group.reason, group.updated_at = avg, reason, now
    s.add(group)
    return group


def view(s: Session, row: SimOrder, options: bool = False) -> BrokerOrder:
    """The venue's view of a row with its fills; an entry's or a group's with its children
    as `legs` (a child's own view has none). `options`: the row is an options order (its
    fills are its legs', and it has no children: neither is looked for)."""
    fills = (
        ()
        if options
        else s.exec(
            select(SimFill)
            .where(SimFill.broker_order_id == row.broker_order_id)
            .order_by(col(SimFill.ts), col(SimFill.fill_id))
        ).all()
    )
    return BrokerOrder(
        broker_order_id=row.broker_order_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        quantity=row.quantity,
        order_type=OrderType(row.order_type),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        status=OrderStatus(row.status),
        filled_quantity=row.filled_quantity,
        avg_fill_price=(
            round(row.avg_fill_price, 4)
            if row.avg_fill_price is not None and math.isfinite(row.avg_fill_price)
            else None
        ),
        fills=tuple(
            FillReport(
                fill_id=f.fill_id,
                quantity=f.quantity,
                price=f.price,
                commission=f.commission,
                ts=f.ts,
            )
            for f in fills
        ),
        reason=row.reason,
        submitted_at=row.submitted_at,
        legs=tuple(view(s, c) for c in children(s, row.client_order_id))
        if row.role == OrderRole.MAIN.value and not options
        else (),
        option_legs=executions(s, row),  # an options order's legs, each with its fills
    )
