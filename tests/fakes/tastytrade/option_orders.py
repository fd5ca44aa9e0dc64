"""The fake's option orders as Tastytrade's wire format has them: checks, records, fills,
positions and the buying-power effect, as plain functions over the order JSON.

An option order is one order with 1-4 legs of instrument type "Equity Option": each leg the
OCC symbol with its root padded to six characters ("SPY   261218P00500000"), an action
("Buy to Open", "Sell to Close"...) and a whole quantity. Its price is unsigned with a
"price-effect" ("Credit": money in, "Debit": money out); its "size" is the gcd of the legs'
quantities (the units). A quote is (bid, ask) per share; the natural net price of an order is
what it trades at against the quotes: sells at the bid, buys at the ask, + a credit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import payloads as P

OPTION = "Equity Option"
ACTIONS = ("Buy to Open", "Buy to Close", "Sell to Open", "Sell to Close")
PADDED_OCC = re.compile(r"^[A-Z][A-Z0-9.]{0,5} *\d{6}[CP]\d{8}$")
MULTIPLIER = 100
Quote = tuple[float, float]
QuoteOf = Callable[[str], Quote | None]


def is_option_body(body: dict[str, Any]) -> bool:
    legs = body.get("legs")
    return isinstance(legs, list) and any(
        isinstance(leg, dict) and leg.get("instrument-type") == OPTION for leg in legs
    )


def unpadded(symbol: str) -> str:
    return symbol.replace(" ", "")


def sign(leg: dict[str, Any]) -> int:
    """+1 for a buy, -1 for a sell."""
    return 1 if str(leg["action"]).startswith("Buy") else -1


def bad(status: int, code: str, message: str) -> web.Response:
    return web.json_response(P.error(code, message), status=status)


def signed_limit(order: dict[str, Any]) -> float:
    """The order's limit per unit: + a credit, - a debit."""
    price = float(order["price"])
    return price if order.get("price-effect") == "Credit" else -price


def units(order: dict[str, Any]) -> int:
    return int(order["size"])


def ratio(order: dict[str, Any], leg: dict[str, Any]) -> int:
    return int(leg["quantity"]) // units(order)


def problem(
    body: dict[str, Any],
    known: Callable[[str], bool],
    quote_of: QuoteOf,
    held: Callable[[str], int],
) -> web.Response | None:
    """Why the venue refuses an option order body (400 malformed, 422 not acceptable)."""
    legs = body.get("legs")
    if not isinstance(legs, list) or not 1 <= len(legs) <= 4:
        return bad(400, "invalid_order", "an option order has 1 to 4 legs")
    seen = set()
    for leg in legs:
        if leg.get("instrument-type") != OPTION:
            return bad(400, "invalid_order", "every leg of an option order is an Equity Option")
        symbol = str(leg.get("symbol"))
        if len(symbol) != 21 or not PADDED_OCC.match(symbol):
            return bad(422, "invalid_symbol", f"Symbol {symbol} not found")
        if not known(symbol):
            return bad(422, "invalid_symbol", f"Symbol {symbol} not found")
        if symbol in seen:
            return bad(400, "invalid_order", f"{symbol} is in two legs")
        seen.add(symbol)
        if leg.get("action") not in ACTIONS:
            return bad(400, "invalid_action", f"action {leg.get('action')!r} is not for options")
        qty = leg.get("quantity")
        if not isinstance(qty, int | str) or not str(qty).isdigit() or int(qty) <= 0:
            return bad(400, "invalid_quantity", "a leg needs a positive whole quantity")
        closing = int(qty) * -sign(leg)  # what must be held: a buy to close needs a short
        if str(leg["action"]).endswith("Close") and not _covers(held(symbol), closing):
            return bad(422, "position_effect_invalid", f"no position in {symbol} to close")
    if body.get("time-in-force") not in ("Day", "GTC"):
        return bad(400, "invalid_time_in_force", "options trade Day or GTC")
    kind = body.get("order-type")
    if kind == "Market" and len(legs) == 1:
        return None
    if kind != "Limit":
        return bad(400, "invalid_order_type", "a multi-leg option order is a Limit order")
    return _price_problem(body, legs, quote_of)


def _covers(held: int, needed: int) -> bool:
    """Whether `held` (signed) has at least `needed` (signed, same direction)."""
    return held * needed > 0 and abs(held) >= abs(needed)


def _price_problem(
    body: dict[str, Any], legs: list[dict[str, Any]], quote_of: QuoteOf
) -> web.Response | None:
    effect = body.get("price-effect")
    try:
        price = float(body.get("price"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return bad(400, "invalid_price", "a limit order needs a price")
    if effect not in ("Credit", "Debit") or not price > 0:
        return bad(400, "invalid_price", "the price is unsigned, with a Credit or Debit effect")
    signs = {sign(leg) for leg in legs}
    if (signs == {-1} and effect == "Debit") or (signs == {1} and effect == "Credit"):
        way = "sells" if signs == {-1} else "buys"
        return bad(422, "invalid_price_effect", f"every leg {way}: the price cannot be {effect}")
    mids = [quote_of(leg["symbol"]) for leg in legs]
    if all(q is not None for q in mids):
        g = math.gcd(*(int(leg["quantity"]) for leg in legs))
        mid = sum(
            -sign(leg) * (int(leg["quantity"]) // g) * (q[0] + q[1]) / 2
            for leg, q in zip(legs, mids, strict=True)
            if q is not None
        )
        if (mid >= 0.01 and effect == "Debit") or (mid <= -0.01 and effect == "Credit"):
            return bad(
                422,
                "invalid_price_effect",
                f"a {effect} price for an order worth {mid:+.2f} at the mid",
            )
    return None


def new_option_order(n: str, body: dict[str, Any], order_id: int | None) -> dict[str, Any]:
    """The order record for a POSTed option body (no id for a dry run)."""
    legs = body["legs"]
    size = math.gcd(*(int(leg["quantity"]) for leg in legs))
    now = P.stamp()
    order: dict[str, Any] = {
        "account-number": n,
        "time-in-force": body.get("time-in-force", "Day"),
        "order-type": body["order-type"],
        "size": str(size),
        "underlying-symbol": legs[0]["symbol"][:6].strip(),
        "underlying-instrument-type": "Equity",
        "status": "Received" if order_id is None else "Live",
        "cancellable": True,
        "editable": True,
        "edited": False,
        "updated-at": now,
        "received-at": now,
        "legs": [
            {
                "instrument-type": OPTION,
                "symbol": leg["symbol"],
                "quantity": str(leg["quantity"]),
                "remaining-quantity": str(leg["quantity"]),
                "action": leg["action"],
                "fills": [],
            }
            for leg in legs
        ],
        "external-identifier": body.get("external-identifier"),
        "source": body.get("source"),
    }
    for key in ("price", "price-effect"):
        if key in body:
            order[key] = body[key]
    if order_id is not None:
        order["id"] = order_id
    return order


def leg_prices(order: dict[str, Any], quote_of: QuoteOf) -> list[float] | None:
    """Each leg's natural price (sells at the bid, buys at the ask); None without quotes."""
    out = []
    for leg in order["legs"]:
        q = quote_of(leg["symbol"])
        if q is None:
            return None
        out.append(q[1] if sign(leg) > 0 else q[0])
    return out


def natural(order: dict[str, Any], prices: list[float]) -> float:
    """The net per unit at `prices`: + a credit."""
    pairs = zip(order["legs"], prices, strict=True)
    return sum(-sign(leg) * ratio(order, leg) * p for leg, p in pairs)


def marketable(order: dict[str, Any], prices: list[float] | None) -> bool:
    if prices is None:
        return False
    if order["order-type"] == "Market":
        return True
    return natural(order, prices) >= signed_limit(order) - 1e-9


def units_left(order: dict[str, Any]) -> int:
    return min(int(leg["remaining-quantity"]) // ratio(order, leg) for leg in order["legs"])


def add_leg_fill(order: dict[str, Any], i: int, fill_id: str, quantity: int, price: float) -> None:
    """Fill `quantity` contracts of leg `i` at `price` (premium per share)."""
    leg = order["legs"][i]
    left = int(leg["remaining-quantity"]) - quantity
    if quantity <= 0 or left < 0:
        raise ValueError(f"leg {i} of order {order['id']} cannot fill {quantity}")
    leg["fills"].append(
        {
            "fill-id": fill_id,
            "ext-exec-id": f"X{order['id']}-{i}",
            "quantity": str(quantity),
            "fill-price": P.money(price),
            "filled-at": P.stamp(),
            "destination-venue": "FAKE",
        }
    )
    leg["remaining-quantity"] = str(left)
    done = all(int(x["remaining-quantity"]) == 0 for x in order["legs"])
    order.update({"status": "Filled" if done else "Live", "updated-at": P.stamp()})
    if done:
        order.update({"terminal-at": P.stamp(), "cancellable": False, "editable": False})


def move_option_position(
    positions: list[dict[str, Any]], n: str, leg: dict[str, Any], qty: int, px: float
) -> None:
    """A leg's fill moves the account's option position (average premium on adds)."""
    sym = leg["symbol"]
    old = next((p for p in positions if p["symbol"] == sym), None)
    held, avg = 0, px
    if old is not None:
        held = int(old["quantity"]) * (1 if old["quantity-direction"] == "Long" else -1)
        avg = float(old["average-open-price"])
        positions.remove(old)
    new = held + sign(leg) * qty
    if new == 0:
        return
    if held == 0 or (held > 0) != (new > 0):
        avg = px
    elif (held > 0) == (sign(leg) > 0):
        avg = (abs(held) * avg + qty * px) / abs(new)
    row = P.position(n, sym, new, avg, px)
    row.update(
        {"instrument-type": OPTION, "underlying-symbol": sym[:6].strip(), "multiplier": MULTIPLIER}
    )
    positions.append(row)


def _payoff(legs: list[tuple[int, int, str, float]], limit: float, s: float) -> float:
    """Per share at expiry with the underlying at `s`: the legs' values plus the premium."""
    value = 0.0
    for sgn, r, kind, strike in legs:
        intrinsic = max(0.0, s - strike) if kind == "C" else max(0.0, strike - s)
        value += sgn * r * intrinsic
    return value + limit


def buying_power_cost(order: dict[str, Any], spot: float | None) -> float:
    """The buying power an option order uses (its most a unit can lose at expiry, × 100 ×
    units; a naked call adds 20% of the underlying per contract): what Tastytrade holds
    for a defined-risk spread or a cash-secured put, and the debit for a long option."""
    legs = []
    for leg in order["legs"]:
        sym = unpadded(leg["symbol"])
        kind, strike = sym[-9], int(sym[-8:]) / 1000
        legs.append((sign(leg), ratio(order, leg), kind, strike))
    limit = signed_limit(order) if order.get("price") is not None else 0.0
    strikes = [k for *_, k in legs]
    loss = max(0.0, -min(_payoff(legs, limit, s) for s in [0.0, *strikes]))
    slope = sum(sgn * r for sgn, r, kind, _ in legs if kind == "C")
    if slope < 0:  # uncovered calls: unbounded; a naked requirement on top
        loss += -slope * 0.2 * (spot or max(strikes))
    return round(loss * MULTIPLIER * units(order), 2)
