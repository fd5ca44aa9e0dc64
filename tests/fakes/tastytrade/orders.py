"""The fake's order records: Tastytrade's order JSON, fills and when an order is marketable."""

from __future__ import annotations

from typing import Any

from . import payloads as P


def new_order(n: str, body: dict[str, Any], order_id: int | None) -> dict[str, Any]:
    """The order record for a POSTed body; a dry run (`order_id` None) gets no id."""
    leg = body["legs"][0]
    now = P.stamp()
    order: dict[str, Any] = {
        "account-number": n,
        "time-in-force": body.get("time-in-force", "Day"),
        "order-type": body["order-type"],
        "size": str(leg["quantity"]),
        "underlying-symbol": leg["symbol"],
        "underlying-instrument-type": "Equity",
        "status": "Received" if order_id is None else "Live",
        "cancellable": True,
        "editable": True,
        "edited": False,
        "updated-at": now,
        "received-at": now,
        "legs": [
            {
                "instrument-type": "Equity",
                "symbol": leg["symbol"],
                "quantity": str(leg["quantity"]),
                "remaining-quantity": str(leg["quantity"]),
                "action": leg["action"],
                "fills": [],
            }
        ],
        "external-identifier": body.get("external-identifier"),
        "source": body.get("source"),
    }
    for key in ("price", "price-effect", "stop-trigger"):
        if key in body:
            order[key] = body[key]
    if order_id is not None:
        order["id"] = order_id
    return order


def marketable(order: dict[str, Any], px: float) -> bool:
    """Whether the order would fill at `px` now (stops only fill when scripted)."""
    buy = order["legs"][0]["action"].startswith("Buy")
    kind = order["order-type"]
    if kind == "Market":
        return True
    if kind == "Limit":
        limit = float(order["price"])
        return px <= limit if buy else px >= limit
    return False  # stops wait for `fill`


def add_fill(order: dict[str, Any], fill_id: str, quantity: int, price: float) -> None:
    """Fill (part of) a working order now."""
    leg = order["legs"][0]
    leg.setdefault("fills", []).append(
        {
            "fill-id": fill_id,
            "ext-exec-id": f"X{order['id']}",
            "quantity": str(quantity),
            "fill-price": P.money(price),
            "filled-at": P.stamp(),
            "destination-venue": "FAKE",
        }
    )
    left = int(leg["remaining-quantity"]) - quantity
    leg["remaining-quantity"] = str(left)
    order["status"] = "Filled" if left <= 0 else "Live"
    order["updated-at"] = P.stamp()
    if left <= 0:
        order["terminal-at"] = P.stamp()
        order["cancellable"] = False


def reject(order: dict[str, Any], reason: str) -> None:
    """The venue rejects an order it had accepted (no fills are undone)."""
    now = P.stamp()
    order.update({"status": "Rejected", "reject-reason": reason, "updated-at": now})
    order.update({"terminal-at": now, "cancellable": False, "editable": False})


def move_position(
    positions: list[dict[str, Any]], order: dict[str, Any], qty: int, px: float
) -> None:
    """A fill moves the account's position as the venue would (average price on adds)."""
    leg = order["legs"][0]
    sym, sign = leg["symbol"], 1 if leg["action"].startswith("Buy") else -1
    old = next((p for p in positions if p["symbol"] == sym), None)
    held = 0
    avg = px
    if old is not None:
        held = int(old["quantity"]) * (1 if old["quantity-direction"] == "Long" else -1)
        avg = float(old["average-open-price"])
        positions.remove(old)
    new = held + sign * qty
    if new == 0:
        return
    if held == 0 or (held > 0) != (new > 0):
        avg = px
    elif (held > 0) == (sign > 0):
        avg = (abs(held) * avg + qty * px) / abs(new)
    positions.append(P.position(order["account-number"], sym, new, avg, px))


def triggered(order: dict[str, Any], px: float) -> bool:
    """Whether a stop order's trigger is crossed at `px` (a sell stop at or below, a buy stop
    at or above); it then fills at `px`, the gapped price, not at its trigger."""
    if order["order-type"] not in ("Stop", "Stop Limit"):
        return False
    buy = order["legs"][0]["action"].startswith("Buy")
    stop = float(order["stop-trigger"])
    return px >= stop if buy else px <= stop


def cancel(order: dict[str, Any], status: str = "Cancelled") -> None:
    """The venue cancels (or removes) a working order; its fills stay."""
    now = P.stamp()
    order.update({"status": status, "cancellable": False, "editable": False, "updated-at": now})
    order.update({"cancelled-at": now, "terminal-at": now})
