"""Options orders in the simulator: the pure rules over an order's legs, and the venue's
view of a stored order's legs.

An options order (OrderRequest with `legs`) names its underlying as `symbol`, its units as
`quantity`, SELL for a net credit or BUY for a net debit, and a positive net LIMIT price per
share. It is marketable when the legs' net mid (sells +mid, buys -mid, x ratio), moved
against us by the slippage, reaches the limit, and then fills at the limit exactly: the net
is split across the legs (`split_net`), each leg at its mid shifted by the same amount in
the direction that gives the net, in cents, the rounding on one leg of ratio 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.domain import (
    FillReport,
    LegExecution,
    OrderLeg,
    OrderRequest,
    OrderRole,
    OrderType,
    Side,
    TimeInForce,
    split_client_id,
)
from models.options import OptionRow, normal_occ, parse_occ
from models.sim_tables import SimLegFill, SimOrder, SimOrderLeg

NY = ZoneInfo("America/New_York")
MAX_LEGS = 4
_EPS = 1e-9


def premium_sign(side: Side) -> int:
    """+1 for a leg that sells (premium in), -1 for one that buys."""
    return 1 if side is Side.SELL else -1


def expiry_close(expiry: date) -> datetime:
    """The moment a contract expiring on `expiry` stops trading: 16:00 ET that day."""
    return datetime.combine(expiry, time(16, 0), tzinfo=NY).astimezone(UTC)


def expired(symbol: str, now: datetime) -> bool:
    """Whether the OCC contract `symbol` has stopped trading at `now`."""
    return expiry_close(parse_occ(symbol).expiry) <= now


def order_problem(r: OrderRequest, now: datetime) -> str | None:
    """Why the venue refuses the options order `r` at `now` whatever the account holds,
    or None."""
    if not 1 <= len(r.legs) <= MAX_LEGS:
        return f"an options order has 1 to {MAX_LEGS} legs, not {len(r.legs)}"
    if r.order_type is not OrderType.LIMIT:
        return "an options order must be a limit order at a net price"
    px = r.limit_price
    if px is None or not (math.isfinite(px) and px > 0):
        return "an options order needs a positive net limit price (per share)"
    if abs(px * 100 - round(px * 100)) > 1e-6:
        return f"the net limit price must be in whole cents, not {px}"
    if r.oco or r.take_profit is not None or r.stop_loss is not None or r.stop_price is not None:
        return "an options order cannot carry a stop price, a bracket or an OCO pair"
    if r.time_in_force is TimeInForce.OPG:
        return "an options order works for the day or until cancelled, not at the open"
    if split_client_id(r.client_order_id)[1] is not OrderRole.MAIN:
        return "client ids ending in -sl or -tp are kept for the venue's protective orders"
    root, seen = r.symbol.upper(), set()
    for leg in r.legs:
        try:
            p = parse_occ(leg.symbol)
        except ValueError:
            return f"{leg.symbol!r} is not an OCC option symbol"
        sym = normal_occ(leg.symbol)
        if p.root != root:
            return f"leg {sym} is not an option on {root}"
        if sym in seen:
            return f"contract {sym} is in two legs"
        seen.add(sym)
        if expired(sym, now):
            return f"contract {sym} has expired"
    if min(leg.ratio for leg in r.legs) != 1:
        return "leg ratios must be in lowest terms, one leg at ratio 1 (e.g. 1x2)"
    if not any(leg.side is r.side for leg in r.legs):
        what = "net credit (sell)" if r.side is Side.SELL else "net debit (buy)"
        return f"a {what} order needs a leg that {r.side.value}s"
    return None


def closing_problem(legs: Sequence[OrderLeg], units: int, held: dict[str, int]) -> str | None:
    """Why a leg that closes (opens=False) cannot: the account does not hold enough of
    that contract on the other side; or None."""
    for leg in legs:
        if leg.opens:
            continue
        sym, need = normal_occ(leg.symbol), leg.ratio * units
        have = held.get(sym, 0) * -leg.side.sign  # what this leg may close
        if have < need:
            way = "long" if leg.side is Side.SELL else "short"
            return (
                f"leg {sym} {leg.side.value}s to close {need} contracts, but "
                f"{max(have, 0)} are held {way}"
            )
    return None


def mid(q: OptionRow | None) -> float | None:
    """The mid of a two-sided quote (a zero bid counts), or None without one."""
    if q is None or q.bid is None or q.ask is None:
        return None
    if not (math.isfinite(q.bid) and math.isfinite(q.ask)) or q.bid < 0 or q.ask <= 0:
        return None
    return (q.bid + q.ask) / 2


def marketable(side: Side, limit: float, net_credit_mid: float, slip: float) -> bool:
    """A credit order (SELL) when the net mid less slippage is at least its limit; a debit
    order (BUY) when the net debit mid plus slippage is at most its limit."""
    if side is Side.SELL:
        return net_credit_mid - slip >= limit - _EPS
    return -net_credit_mid + slip <= limit + _EPS


def units_per_pass(ratios: Sequence[int], depth: int) -> int:
    """The units one pass can fill when each leg's quote shows `depth` contracts (one at
    least)."""
    return max(1, min(depth // r for r in ratios))


def split_net(legs: Sequence[tuple[int, int, float]], net_cents: int) -> list[int]:
    """Leg prices in cents for legs (premium sign, ratio, mid) such that Σ sign·ratio·price
    is `net_cents` exactly (credit positive), none negative: every leg at its mid shifted by
    one amount λ toward the net (a leg that would go below zero stays at zero), rounded to
    cents, the remainder on a leg of ratio 1. Needs a ratio-1 leg, and a selling leg for a
    positive net or a buying one for a negative net."""
    target = net_cents / 100

    def shifted(lam: float) -> list[float]:
        return [max(0.0, m + s * lam) for s, _, m in legs]

    def net(lam: float) -> float:  # non-decreasing in λ
        return sum(s * r * x for (s, r, _), x in zip(legs, shifted(lam), strict=True))

    lo = -(abs(target) + sum(r * abs(m) for _, r, m in legs) + 1)
    hi = -lo
    for _ in range(200):
        m = (lo + hi) / 2
        lo, hi = (m, hi) if net(m) < target else (lo, m)
        if hi - lo < 1e-12:
            break
    xs = shifted((lo + hi) / 2)
    ones = [i for i, (_, r, _) in enumerate(legs) if r == 1]
    slack = max(ones, key=lambda i: xs[i])
    sa = legs[slack][0]
    cents = []
    for i, ((s, _, _), x) in enumerate(zip(legs, xs, strict=True)):
        # round away from the slack leg's going negative: others' part of the net never
        # passes what the exact split gives them
        v = x * 100
        cents.append(
            0 if i == slack else math.floor(v + 1e-6) if s * sa > 0 else math.ceil(v - 1e-6)
        )
    rest = sum(
        s * r * c for i, ((s, r, _), c) in enumerate(zip(legs, cents, strict=True)) if i != slack
    )
    cents[slack] = sa * (net_cents - rest)
    return cents


def executions(s: Session, row: SimOrder) -> tuple[LegExecution, ...]:
    """The legs of an options order as the venue shows them, each with its own fills;
    empty for any other order."""
    legs = s.exec(
        select(SimOrderLeg)
        .where(SimOrderLeg.broker_order_id == row.broker_order_id)
        .order_by(col(SimOrderLeg.leg))
    ).all()
    if not legs:
        return ()
    fills = s.exec(
        select(SimLegFill)
        .where(SimLegFill.broker_order_id == row.broker_order_id)
        .order_by(col(SimLegFill.ts), col(SimLegFill.fill_id))
    ).all()
    return tuple(
        LegExecution(
            symbol=leg.symbol,
            side=Side(leg.side),
            ratio=leg.ratio,
            opens=leg.opens,
            filled_quantity=leg.filled_quantity,
            avg_fill_price=(
                round(leg.avg_fill_price, 4) if leg.avg_fill_price is not None else None
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
                if f.leg == leg.leg
            ),
        )
        for leg in legs
    )
