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
