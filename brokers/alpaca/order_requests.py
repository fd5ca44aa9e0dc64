"""cotrader OrderRequest -> alpaca-py order request: simple, bracket, OCO and options (2-4
legs: Alpaca's `mleg` class with a signed net price; one leg: a simple order on the contract).

Everything Alpaca would refuse for a reason we can see is refused here first, with a clear
message, before anything is sent: half a bracket, legs on the wrong side of the entry, a stop
entry with a bracket, and a bracket or OCO at the open (Alpaca takes advanced orders only
for the day or until cancelled, and an `opg` entry without its bracket would drop the stop).
"""

from __future__ import annotations

import math
from typing import Any

from alpaca.trading.enums import OrderClass, OrderSide, PositionIntent
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

from brokers.alpaca.option_orders import position_intent
from brokers.base import OrderRejectedError
from models.domain import (
    OrderRequest,
    OrderRole,
    OrderType,
    Side,
    TimeInForce,
    split_client_id,
)
from models.options import is_occ, normal_occ

TIF = {
    TimeInForce.DAY: SdkTimeInForce.DAY,
    TimeInForce.GTC: SdkTimeInForce.GTC,
    TimeInForce.OPG: SdkTimeInForce.OPG,
}
BRACKET_AT_OPEN = "Alpaca does not take a bracket at the open (opg); use tif=day before the open"
OCO_AT_OPEN = "Alpaca does not take an OCO pair at the open (opg); use tif=day or gtc"
OPTIONS_AT_OPEN = "Alpaca takes option orders for the day or until cancelled, not at the open (opg)"
MAX_LEGS = 4  # the most legs Alpaca takes in one multi-leg (mleg) order


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
        return _options(r)
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


def _options(r: OrderRequest) -> SdkOrderRequest:
    """An options order: 2-4 legs as Alpaca's ``mleg`` class (its net limit price signed the
    venue's way: negative for a credit), one leg as a simple order on the contract (limit
    price positive). Every leg carries its ``position_intent``."""
    n = len(r.legs)
    if n > MAX_LEGS:
        raise OrderRejectedError(
            f"Alpaca takes at most {MAX_LEGS} legs in a multi-leg order; this one has {n}"
        )
    if r.take_profit is not None or r.stop_loss is not None or r.oco:
        raise OrderRejectedError("an options order is a market or limit order, no bracket or OCO")
    if r.order_type is OrderType.STOP:
        raise OrderRejectedError("an options order is a market or limit order, not a stop")
    if r.time_in_force is TimeInForce.OPG:
        raise OrderRejectedError(OPTIONS_AT_OPEN)
    symbols = []
    for leg in r.legs:
        if not is_occ(leg.symbol):
            raise OrderRejectedError(f"leg {leg.symbol!r} is not an OCC option symbol")
        symbols.append(normal_occ(leg.symbol))
    if len(set(symbols)) != n:
        raise OrderRejectedError("a multi-leg order names each contract once")
    price = _cents(r.limit_price) if r.order_type is OrderType.LIMIT else None
    common: dict[str, Any] = {
        "qty": r.quantity,
        "time_in_force": TIF[r.time_in_force],
        "client_order_id": r.client_order_id,
    }
    if n == 1:
        leg = r.legs[0]
        if leg.ratio != 1:
            raise OrderRejectedError(
                "a one-leg option order has ratio 1: put the contracts in quantity"
            )
        if leg.side is not r.side:
            raise OrderRejectedError("a one-leg option order is on its leg's side")
        common |= {
            "symbol": symbols[0],
            "side": _side(leg.side),
            "position_intent": PositionIntent(position_intent(leg.side, leg.opens)),
        }
    else:
        ratios = [leg.ratio for leg in r.legs]
        if math.gcd(*ratios) != 1:
            raise OrderRejectedError(
                f"Alpaca needs leg ratios without a common factor (got {ratios}):"
                " divide them and multiply the quantity"
            )
        common |= {"order_class": OrderClass.MLEG, "legs": _legs(r, symbols)}
        if price is not None and r.side is Side.SELL:
            price = -price  # Alpaca: a negative net limit price is a credit
    if price is not None:
        return LimitOrderRequest(**common, limit_price=price)
    return MarketOrderRequest(**common)


def _legs(r: OrderRequest, symbols: list[str]) -> list[OptionLegRequest]:
    return [
        OptionLegRequest(
            symbol=symbol,
            ratio_qty=leg.ratio,
            side=_side(leg.side),
            position_intent=PositionIntent(position_intent(leg.side, leg.opens)),
        )
        for leg, symbol in zip(r.legs, symbols, strict=True)
    ]


def _cents(price: float | None) -> float:
    """A positive price in whole cents (float noise below a millionth of a cent is dropped)."""
    if price is None or not price > 0:
        raise OrderRejectedError("an options limit order needs a positive net limit price")
    cents = round(price, 2)
    if abs(price - cents) > 1e-8:
        raise OrderRejectedError(f"Alpaca takes option prices in whole cents, not {price:g}")
    return cents
