"""Tastytrade option orders: 1-4 equity-option legs at one net limit price, and their views.

Sending. An OrderRequest with `legs` goes out as one Limit order (the request's time in force:
Day by default) whose legs are "Equity Option" legs: the OCC symbol with its root padded to
six characters ("SPY   261218P00500000", as Tastytrade lists it), the action from the leg's
side and `opens` ("Sell to Open", "Buy to Close"...) and the quantity units × ratio. The
proposal id is the order's `external-identifier`, as for an equity order, so the broker's
exactly-once look-ups find it the same way. More than four legs, no price, a stop, a bracket
or an OCO: OrderRejectedError before anything is sent.

Price sign. Our `limit_price` is the net price per share, always positive (sent in whole
cents: `net_price`), and `side` says which way the money goes (SELL: a net credit, BUY: a net
debit). The SDK's `LimitOrder.price` is signed the other way round from Alpaca's mleg
`limit_price`: positive = credit (money in), negative = debit. On the wire the SDK
(BaseOrder's JSON serializer) writes it unsigned with its effect: a credit of 1.05 goes out as
{"price": "1.05", "price-effect": "Credit"}, a debit of 0.40 as {"price": "0.40",
"price-effect": "Debit"} (the fake refuses an effect the legs contradict); reading an order
back, the SDK turns a "Debit" price negative again.

Reading. A venue order with an equity-option leg becomes the options BrokerOrder: `symbol` the
underlying, `quantity` the units (the order's `size` when it divides every leg, else the gcd
of the legs' quantities), each leg a LegExecution (unpadded OCC, its ratio, its own fills in
contracts at the premium per share), the order's own `fills` empty. Filled units are the
least of each leg's filled // ratio; the average price is |Σ ±ratio × leg average| (sells +,
buys −), set once a unit has filled; an order with leg fills but no whole unit yet reads as
partially filled (0 units). A fill id seen twice in one order is refused
(BrokerDataError): every fill is booked once, under its venue id.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tastytrade.order import (
    InstrumentType,
    Leg,
    LimitOrder,
    OrderAction,
    PlacedOrder,
)

from brokers.base import OrderRejectedError
from brokers.tastytrade.convert import (
    BrokerDataError,
    order_type_of,
    status_of,
    submitted_at,
    to_fill,
    to_order,
    to_tif,
    whole,
)
from models.domain import (
    BrokerOrder,
    LegExecution,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from models.options import normal_occ, occ_symbol, parse_occ

MAX_LEGS = 4
CENT = Decimal("0.01")
OPTION = InstrumentType.EQUITY_OPTION


def leg_action(side: Side, opens: bool) -> OrderAction:
    """Tastytrade's action for an option leg."""
    if side is Side.BUY:
        return OrderAction.BUY_TO_OPEN if opens else OrderAction.BUY_TO_CLOSE
    return OrderAction.SELL_TO_OPEN if opens else OrderAction.SELL_TO_CLOSE


def venue_symbol(symbol: str) -> str:
    """The OCC symbol with its root padded to six characters (either form in)."""
    try:
        p = parse_occ(symbol)
    except ValueError:
        raise OrderRejectedError(f"{symbol!r} is not an OCC option symbol") from None
    return occ_symbol(p.root, p.expiry, p.type, p.strike, padded=True)


def net_price(req: OrderRequest) -> Decimal:
    """The SDK's signed price: + a credit (side SELL), − a debit (side BUY). A price between
    cents is rounded to the cent in our favour (a credit up, a debit down): never worse than
    asked."""
    limit = req.limit_price
    if limit is None or not math.isfinite(limit) or limit <= 0:
        raise OrderRejectedError("an options order needs a positive net limit price")
    exact = Decimal(str(round(limit, 6)))  # without float noise (0.30000000000000004)
    credit = req.side is Side.SELL
    price = exact.quantize(CENT, rounding=ROUND_CEILING if credit else ROUND_FLOOR)
    if price <= 0:
        raise OrderRejectedError(f"net debit {limit:g} is less than a cent")
    return price if credit else -price


def to_option_order(req: OrderRequest) -> LimitOrder:
    """The SDK order for an options request (see the module docstring); refuses with
    OrderRejectedError what cannot be sent, before anything is."""
    n = len(req.legs)
    if not 1 <= n <= MAX_LEGS:
        raise OrderRejectedError(f"an options order has 1 to {MAX_LEGS} legs, not {n}")
    if req.order_type is not OrderType.LIMIT or req.stop_price is not None:
        raise OrderRejectedError("an options order is a limit order at a net price")
    if req.take_profit is not None or req.stop_loss is not None or req.oco:
        raise OrderRejectedError("an options order takes no bracket or OCO exits")
    symbols = [venue_symbol(leg.symbol) for leg in req.legs]
    if len(set(symbols)) != n:
        raise OrderRejectedError("an options order names each contract once")
    sides = {leg.side for leg in req.legs}
    if len(sides) == 1 and sides != {req.side}:
        money = "credit" if req.side is Side.SELL else "debit"
        raise OrderRejectedError(
            f"every leg {next(iter(sides)).value}s, so the order cannot be a net {money}"
        )
    legs = [
        Leg(
            instrument_type=OPTION,
            symbol=sym,
            action=leg_action(leg.side, leg.opens),
            quantity=req.quantity * leg.ratio,
        )
        for sym, leg in zip(symbols, req.legs, strict=True)
    ]
    return LimitOrder(
        legs=legs,
        price=net_price(req),
        time_in_force=to_tif(req.time_in_force),
        external_identifier=req.client_order_id,
    )


# ---------------------------------------------------------------------------- views


def is_option_order(o: PlacedOrder) -> bool:
    """Whether a venue order trades equity options (any leg)."""
    return any(leg.instrument_type is OPTION for leg in o.legs)


def _units(o: PlacedOrder, quantities: list[int]) -> int:
    size = o.size
    if size is not None and size > 0 and size == int(size):
        units = int(size)
        if all(q % units == 0 for q in quantities):
            return units
    return math.gcd(*quantities)


def _leg_view(o: PlacedOrder, leg: Leg, units: int) -> LegExecution:
    if leg.instrument_type is not OPTION:
        raise BrokerDataError(
            f"Tastytrade order {o.id} mixes {leg.instrument_type.value} with option legs"
        )
    try:
        symbol = normal_occ(leg.symbol)
    except ValueError:
        raise BrokerDataError(f"Tastytrade order {o.id} has leg {leg.symbol!r}") from None
    if leg.action not in (
        OrderAction.BUY_TO_OPEN,
        OrderAction.BUY_TO_CLOSE,
        OrderAction.SELL_TO_OPEN,
        OrderAction.SELL_TO_CLOSE,
    ):
        raise BrokerDataError(f"Tastytrade order {o.id} has action {leg.action.value!r}")
    quantity = whole(leg.quantity, "leg quantity")
    fills = tuple(to_fill(f, free_ok=True) for f in leg.fills or [])
    filled = sum(f.quantity for f in fills)
    if filled > quantity:
        raise BrokerDataError(f"Tastytrade order {o.id} leg {symbol} filled {filled}/{quantity}")
    avg = sum(f.quantity * f.price for f in fills) / filled if filled else None
    return LegExecution(
        symbol=symbol,
        side=Side.BUY if leg.action.value.startswith("Buy") else Side.SELL,
        ratio=quantity // units,
        opens=leg.action.value.endswith("Open"),
        filled_quantity=filled,
        avg_fill_price=round(avg, 6) if avg is not None else None,
        fills=fills,
    )


def net_fill(legs: tuple[LegExecution, ...]) -> float | None:
    """The signed net price per share of the legs' fills: + a credit, − a debit."""
    if any(leg.avg_fill_price is None for leg in legs):
        return None
    return sum(-leg.side.sign * leg.ratio * (leg.avg_fill_price or 0.0) for leg in legs)


def _side(o: PlacedOrder, legs: tuple[LegExecution, ...], net: float | None) -> Side:
    if o.price:
        return Side.SELL if o.price > 0 else Side.BUY
    if net:
        return Side.SELL if net > 0 else Side.BUY
    return Side.SELL if all(leg.side is Side.SELL for leg in legs) else Side.BUY


def to_option_view(o: PlacedOrder) -> BrokerOrder:
    """The options BrokerOrder of a venue order with option legs (the module docstring)."""
    if not 1 <= len(o.legs) <= MAX_LEGS:
        raise BrokerDataError(f"Tastytrade order {o.id} has {len(o.legs)} legs")
    quantities = [whole(leg.quantity, "leg quantity") for leg in o.legs]
    if 0 in quantities:
        raise BrokerDataError(f"Tastytrade order {o.id} has a leg without quantity")
    units = _units(o, quantities)
    legs = tuple(_leg_view(o, leg, units) for leg in o.legs)
    ids = [f.fill_id for leg in legs for f in leg.fills]
    if len(set(ids)) != len(ids):
        raise BrokerDataError(f"Tastytrade order {o.id} repeats a fill id across its legs")
    filled = min(leg.filled_quantity // leg.ratio for leg in legs)
    net = net_fill(legs)
    status = status_of(o, filled, units)
    if status is OrderStatus.NEW and any(leg.fills for leg in legs):
        status = OrderStatus.PARTIALLY_FILLED  # a leg traded, though no whole unit yet
    underlying = o.underlying_symbol or parse_occ(legs[0].symbol).root
    return BrokerOrder(
        broker_order_id=str(o.id),
        client_order_id=o.external_identifier or f"tastytrade:{o.id}",
        symbol=underlying.upper(),
        side=_side(o, legs, net),
        quantity=units,
        order_type=order_type_of(o),
        limit_price=abs(float(o.price)) if o.price is not None else None,
        stop_price=float(o.stop_trigger) if o.stop_trigger is not None else None,
        status=status,
        filled_quantity=filled,
        avg_fill_price=round(abs(net), 6) if filled and net is not None else None,
        reason=o.reject_reason or "",
        submitted_at=submitted_at(o),
        option_legs=legs,
    )


def to_view(o: PlacedOrder) -> BrokerOrder:
    """Any venue order as our view: an options order or an equity one."""
    return to_option_view(o) if is_option_order(o) else to_order(o)


def progress(o: BrokerOrder) -> tuple[str, int, tuple[int, ...]]:
    """What `refresh` compares: the status, the filled quantity and each option leg's fills
    (a fill of one leg alone is a change, though no whole unit filled)."""
    return o.status.value, o.filled_quantity, tuple(x.filled_quantity for x in o.option_legs)
