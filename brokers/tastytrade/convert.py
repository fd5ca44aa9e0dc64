"""Between the tastytrade SDK's types and cotrader's domain types. SDK types stay in here.

Tastytrade sends unsigned numbers plus an "-effect" (the SDK turns debits negative), quantities
as decimals, and an action per leg ("Buy to Open", "Sell to Close"...). Anything that would not
make a sound domain value (a negative or fractional share count, a fill without a price) raises
`BrokerDataError` instead of being passed on as truth.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from tastytrade.account import AccountBalance, CurrentPosition
from tastytrade.order import (
    FillInfo,
    InstrumentType,
    Leg,
    LimitOrder,
    MarketOrder,
    OrderAction,
    OrderTimeInForce,
    PlacedComplexOrderResponse,
    PlacedOrder,
    PlacedOrderResponse,
    StopOrder,
)
from tastytrade.order import OrderStatus as TTStatus
from tastytrade.order import OrderType as TTType

from brokers.base import BrokerError, OrderRejectedError, UnknownSymbolError
from models.domain import (
    Account,
    BrokerOrder,
    BrokerPosition,
    FillReport,
    OrderPreview,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from models.options import normal_occ


class BrokerDataError(BrokerError):
    """Tastytrade answered, but with data that cannot be trusted (missing or absurd fields)."""


DryRunResult = OrderPreview  # the venue-neutral name lives in models.domain


OPEN = {
    TTStatus.RECEIVED,
    TTStatus.ROUTED,
    TTStatus.IN_FLIGHT,
    TTStatus.LIVE,
    TTStatus.CONTINGENT,
    TTStatus.CANCEL_REQUESTED,
    TTStatus.REPLACE_REQUESTED,
}
CLOSED = {TTStatus.CANCELLED, TTStatus.EXPIRED, TTStatus.REMOVED, TTStatus.PARTIALLY_REMOVED}
TYPES = {
    TTType.MARKET: OrderType.MARKET,
    TTType.NOTIONAL_MARKET: OrderType.MARKET,
    TTType.LIMIT: OrderType.LIMIT,
    TTType.MARKETABLE_LIMIT: OrderType.LIMIT,
    TTType.STOP: OrderType.STOP,
    TTType.STOP_LIMIT: OrderType.STOP,
}


def describe(e: ValidationError) -> str:
    """Which fields were wrong, without echoing any values."""
    fields = sorted({".".join(str(p) for p in err["loc"]) or "?" for err in e.errors()})
    return ", ".join(fields[:6]) + (" ..." if len(fields) > 6 else "")


def whole(value: Decimal | int | None, what: str) -> int:
    """A share count: present, whole and not negative."""
    if value is None or value < 0 or value != int(value):
        raise BrokerDataError(f"Tastytrade sent a bad {what}: {value!r}")
    return int(value)


def action(side: Side, held: int, quantity: int) -> OrderAction:
    """The equity action: close what is held on the other side first, else open.
    An order that would flip a position through zero is refused (send two orders)."""
    closing = (side is Side.SELL and held > 0) or (side is Side.BUY and held < 0)
    if not closing:
        return OrderAction.BUY_TO_OPEN if side is Side.BUY else OrderAction.SELL_TO_OPEN
    if quantity > abs(held):
        raise OrderRejectedError(
            f"{side.value} {quantity} would cross zero (holding {held}); close first, then open"
        )
    return OrderAction.BUY_TO_CLOSE if side is Side.BUY else OrderAction.SELL_TO_CLOSE


OPG_REFUSED = "Tastytrade has no at-the-open order (tif=opg); use tif=day before the open"


def to_tif(tif: TimeInForce) -> OrderTimeInForce:
    """Tastytrade's time in force; it has no at-the-open order, so `opg` is refused."""
    if tif is TimeInForce.OPG:
        raise OrderRejectedError(OPG_REFUSED)
    return OrderTimeInForce.GTC if tif is TimeInForce.GTC else OrderTimeInForce.DAY


def to_sdk_order(req: OrderRequest, act: OrderAction) -> MarketOrder | LimitOrder | StopOrder:
    """An equity order (the request's time in force) carrying the proposal id as
    `external_identifier`. A bracket's or an OCO's prices are not read here (complex.py)."""
    leg = Leg(
        instrument_type=InstrumentType.EQUITY,
        symbol=req.symbol.upper(),
        action=act,
        quantity=req.quantity,
    )
    common: dict[str, Any] = {
        "legs": [leg],
        "external_identifier": req.client_order_id,
        "time_in_force": to_tif(req.time_in_force),
    }
    if req.order_type is OrderType.MARKET:
        return MarketOrder(**common)
    if req.order_type is OrderType.LIMIT:
        if req.limit_price is None or req.limit_price <= 0:
            raise OrderRejectedError("a limit order needs a positive limit price")
        price = Decimal(str(req.limit_price))
        # negative = debit: a buy pays, a sell receives
        return LimitOrder(price=-price if req.side is Side.BUY else price, **common)
    if req.stop_price is None or req.stop_price <= 0:
        raise OrderRejectedError("a stop order needs a positive stop price")
    return StopOrder(stop_trigger=Decimal(str(req.stop_price)), **common)


def rejection(req: OrderRequest, e: BrokerError) -> BrokerError:
    """The venue's 400/422 to an order as what it means: an unknown symbol or a refusal (an
    options order's unknown contract is a refusal: the underlying may well be known)."""
    text = str(e)
    unknown = "not found" in text.lower() and "symbol" in text.lower()
    if "HTTP 422" in text and unknown and not req.legs:
        return UnknownSymbolError(req.symbol)
    if "HTTP 400" in text or "HTTP 422" in text:
        return OrderRejectedError(text.replace("failed: HTTP", "rejected: HTTP"))
    return e


def to_order(o: PlacedOrder) -> BrokerOrder:
    """The domain view of a placed single-leg equity order, fills included."""
    if len(o.legs) != 1:
        raise BrokerDataError(f"Tastytrade order {o.id} has {len(o.legs)} legs (expected 1)")
    leg = o.legs[0]
    quantity = whole(leg.quantity if leg.quantity is not None else o.size, "order quantity")
    if quantity == 0:
        raise BrokerDataError(f"Tastytrade order {o.id} has no quantity")
    fills = [to_fill(f) for f in leg.fills or []]
    filled = sum(f.quantity for f in fills)
    if filled > quantity:
        raise BrokerDataError(f"Tastytrade order {o.id} filled {filled} of {quantity}")
    avg = sum(f.quantity * f.price for f in fills) / filled if filled else None
    return BrokerOrder(
        broker_order_id=str(o.id),
        client_order_id=o.external_identifier or f"tastytrade:{o.id}",
        symbol=leg.symbol,
        side=Side.BUY if leg.action.value.startswith("Buy") else Side.SELL,
        quantity=quantity,
        order_type=order_type_of(o),
        limit_price=abs(float(o.price)) if o.price is not None else None,
        stop_price=float(o.stop_trigger) if o.stop_trigger is not None else None,
        status=status_of(o, filled, quantity),
        filled_quantity=filled,
        avg_fill_price=round(avg, 6) if avg is not None else None,
        fills=tuple(fills),
        reason=o.reject_reason or "",
        submitted_at=submitted_at(o),
    )


def to_fill(f: FillInfo, *, free_ok: bool = False) -> FillReport:
    """One venue fill; its price must be positive (zero too when `free_ok`: an option)."""
    qty = whole(f.quantity, "fill quantity")
    if f.fill_price < 0 or (f.fill_price == 0 and not free_ok):
        raise BrokerDataError(f"Tastytrade fill {f.fill_id} has price {f.fill_price}")
    return FillReport(
        fill_id=f.fill_id,
        quantity=qty,
        price=float(f.fill_price),
        commission=0.0,  # fees are reported per transaction, not per fill
        ts=f.filled_at.astimezone(UTC),
    )


def status_of(o: PlacedOrder, filled: int, quantity: int) -> OrderStatus:
    """Our status for a venue order that filled `filled` of `quantity`."""
    if o.status is TTStatus.FILLED:
        return OrderStatus.FILLED if filled == quantity else OrderStatus.PARTIALLY_FILLED
    if o.status is TTStatus.REJECTED:
        return OrderStatus.REJECTED
    if o.status in CLOSED:
        return OrderStatus.CANCELED
    return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW


def order_type_of(o: PlacedOrder) -> OrderType:
    order_type = TYPES.get(o.order_type)
    if order_type is None:
        raise BrokerDataError(f"Tastytrade order {o.id} has unknown type {o.order_type}")
    return order_type


def submitted_at(o: PlacedOrder) -> datetime:
    return (o.received_at or o.updated_at or datetime.now(UTC)).astimezone(UTC)


def to_position(p: CurrentPosition) -> BrokerPosition:
    """An equity or equity-option position; Tastytrade sends the size unsigned with a
    Long/Short direction. An option's symbol comes out unpadded OCC, its quantity in
    contracts and its average price as the premium per share (as the venue sends it)."""
    qty = whole(p.quantity, f"position quantity for {p.symbol}")
    direction = p.quantity_direction.lower()
    if direction not in ("long", "short", "zero"):
        raise BrokerDataError(f"Tastytrade position {p.symbol} has direction {direction!r}")
    if p.average_open_price < 0:
        raise BrokerDataError(f"Tastytrade position {p.symbol} has a negative average price")
    signed = -qty if direction == "short" else qty
    symbol = p.symbol
    if p.instrument_type is InstrumentType.EQUITY_OPTION:
        try:
            symbol = normal_occ(p.symbol)
        except ValueError:
            bad = f"Tastytrade option position {p.symbol!r} has no OCC symbol"
            raise BrokerDataError(bad) from None
    return BrokerPosition(symbol=symbol, quantity=signed, avg_price=float(p.average_open_price))


def to_account(number: str, b: AccountBalance) -> Account:
    return Account(
        account_id=number,
        cash=float(b.cash_balance),
        equity=float(b.net_liquidating_value),
        buying_power=float(b.equity_buying_power),
    )


def to_dry_run(
    r: PlacedOrderResponse | PlacedComplexOrderResponse,  # type: ignore[type-arg]
) -> DryRunResult:
    """The venue's dry run (of one order or of a complex order) as the card shows it."""
    bp, fees = r.buying_power_effect, r.fee_calculation
    return DryRunResult(
        change_in_buying_power=float(bp.change_in_buying_power),
        current_buying_power=float(bp.current_buying_power),
        new_buying_power=float(bp.new_buying_power),
        margin_requirement=float(bp.change_in_margin_requirement),
        commission=float(fees.commission) if fees else 0.0,
        clearing_fees=float(fees.clearing_fees) if fees else 0.0,
        regulatory_fees=float(fees.regulatory_fees) if fees else 0.0,
        total_fees=float(fees.total_fees) if fees else 0.0,
        warnings=tuple(str(w) for w in r.warnings or ()),
    )
