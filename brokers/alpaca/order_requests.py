"""cotrader OrderRequest -> alpaca-py order request: simple, bracket, OCO and options `mleg`.

Everything Alpaca would refuse for a reason we can see is refused here first, with a clear
message, before anything is sent: half a bracket, legs on the wrong side of the entry, a stop
entry with a bracket, and a bracket or OCO at the open (Alpaca takes advanced orders only
for the day or until cancelled, and an `opg` entry without its bracket would drop the stop).
"""

from __future__ import annotations

from typing import Any

from alpaca.trading.enums import OrderClass, OrderSide
from alpaca.trading.enums import TimeInForce as SdkTimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    OptionLegRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)
from alpaca.trading.requests import OrderRequest as SdkOrderRequest

from brokers.base import OrderRejectedError
from models.domain import (
    OrderRequest,
    OrderRole,
    OrderType,
    Side,
    TimeInForce,
    split_client_id,
)

TIF = {
    TimeInForce.DAY: SdkTimeInForce.DAY,
    TimeInForce.GTC: SdkTimeInForce.GTC,
    TimeInForce.OPG: SdkTimeInForce.OPG,
}
BRACKET_AT_OPEN = "Alpaca does not take a bracket at the open (opg); use tif=day before the open"
OCO_AT_OPEN = "Alpaca does not take an OCO pair at the open (opg); use tif=day or gtc"


def _side(side: Side) -> OrderSide:
    return OrderSide.BUY if side is Side.BUY else OrderSide.SELL


def _exit_prices(r: OrderRequest) -> tuple[float, float]:
    """(take-profit, stop-loss), both given."""
    if (r.take_profit is None) != (r.stop_loss is None):
        raise OrderRejectedError("a bracket needs both a take-profit and a stop-loss price")
    assert r.take_profit is not None and r.stop_loss is not None
    return r.take_profit, r.stop_loss


def _exits(take_profit: float, stop_loss: float) -> dict[str, Any]:
    return {
        "take_profit": TakeProfitRequest(limit_price=round(take_profit, 2)),
        "stop_loss": StopLossRequest(stop_price=round(stop_loss, 2)),
    }


def sdk_request(r: OrderRequest) -> SdkOrderRequest:
    """The alpaca-py request for `r`; OrderRejectedError (nothing sent) when it cannot be."""
    if split_client_id(r.client_order_id)[1] is not OrderRole.MAIN:
        raise OrderRejectedError(
            "client ids ending in -sl or -tp are kept for the venue's protective orders"
        )
    if r.oco and not r.legs:
        return _oco(r)
    if r.order_type is OrderType.LIMIT and not (r.limit_price and r.limit_price > 0):
        raise OrderRejectedError("a limit order needs a positive limit price")
    if r.order_type is OrderType.STOP and not (r.stop_price and r.stop_price > 0):
        raise OrderRejectedError("a stop order needs a positive stop price")
    if r.time_in_force is TimeInForce.OPG and r.order_type is OrderType.STOP:
        raise OrderRejectedError("an at-the-open (opg) order must be a market or limit order")
    if r.legs:
        return _multi_leg(r)
    common: dict[str, Any] = {
        "symbol": r.symbol,
        "qty": r.quantity,
        "side": _side(r.side),
        "time_in_force": TIF[r.time_in_force],
        "client_order_id": r.client_order_id,
    }
    if r.take_profit is not None or r.stop_loss is not None:
        tp, sl = _exit_prices(r)
        up, down = (tp, sl) if r.side is Side.BUY else (sl, tp)
        if not down < up:
            raise OrderRejectedError(
                "a bracket's take-profit must be beyond the entry and its stop-loss behind it"
            )
        if r.order_type is OrderType.STOP:
            raise OrderRejectedError("a bracket's entry must be a market or limit order")
        if r.time_in_force is TimeInForce.OPG:
            raise OrderRejectedError(BRACKET_AT_OPEN)
        common |= {"order_class": OrderClass.BRACKET, **_exits(tp, sl)}
        if r.order_type is OrderType.MARKET:
            # Alpaca gives a bracket's legs the entry's time in force: a day bracket's stop
            # and target would expire at the close. A market entry fills at once (or at the
            # next open either way), so gtc keeps the protection without changing the entry.
            common["time_in_force"] = SdkTimeInForce.GTC
    if r.order_type is OrderType.LIMIT:
        return LimitOrderRequest(**common, limit_price=r.limit_price)
    if r.order_type is OrderType.STOP:
        return StopOrderRequest(**common, stop_price=r.stop_price)
    return MarketOrderRequest(**common)


def _oco(r: OrderRequest) -> SdkOrderRequest:
    """Alpaca's `oco` class: a limit at take_profit and a stop at stop_loss, both for the
    quantity on the request's side, one cancelling the other (an exit pair)."""
    if r.take_profit is None or r.stop_loss is None:
        raise OrderRejectedError("an OCO pair needs both a take-profit and a stop-loss price")
    # selling out of a long: the target is above the stop; buying back a short: below it
    up, down = (r.take_profit, r.stop_loss) if r.side is Side.SELL else (r.stop_loss, r.take_profit)
    if not down < up:
        raise OrderRejectedError(
            "an OCO pair's take-profit must be on the profit side of its stop-loss"
            f" ({'above' if r.side is Side.SELL else 'below'} it for a {r.side.value})"
        )
    if r.time_in_force is TimeInForce.OPG:
        raise OrderRejectedError(OCO_AT_OPEN)
    return LimitOrderRequest(
        symbol=r.symbol,
        qty=r.quantity,
        side=_side(r.side),
        time_in_force=TIF[r.time_in_force],
        client_order_id=r.client_order_id,
        order_class=OrderClass.OCO,
        **_exits(r.take_profit, r.stop_loss),
    )


def _multi_leg(r: OrderRequest) -> SdkOrderRequest:
    """Alpaca's `mleg` order class: 2-4 option legs at a net price (or market)."""
    if not 2 <= len(r.legs) <= 4:
        raise OrderRejectedError("a multi-leg order needs 2 to 4 legs")
    if r.bracket or r.oco or r.order_type is OrderType.STOP:
        raise OrderRejectedError("a multi-leg order is a market or limit order, no bracket")
    legs = [
        OptionLegRequest(symbol=leg.symbol, ratio_qty=leg.ratio, side=_side(leg.side))
        for leg in r.legs
    ]
    common: dict[str, Any] = {
        "qty": r.quantity,
        "time_in_force": TIF[r.time_in_force],
        "client_order_id": r.client_order_id,
        "order_class": OrderClass.MLEG,
        "legs": legs,
    }
    if r.order_type is OrderType.LIMIT:
        if r.limit_price is None:
            raise OrderRejectedError("a limit order needs a limit price")
        return LimitOrderRequest(**common, limit_price=r.limit_price)
    return MarketOrderRequest(**common)
