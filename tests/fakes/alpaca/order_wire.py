"""Alpaca order objects as the trading API sends them (numbers as strings, RFC 3339 stamps)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from .accounts import num
from .base import ApiError

NULLS = ("filled_at", "expired_at", "canceled_at", "failed_at", "replaced_at", "replaced_by")
NULLS += ("replaces", "notional", "filled_avg_price", "legs", "hwm", "trail_percent")
NULLS += ("trail_price", "position_intent")


def opt(x: Any) -> str | None:
    return None if x is None else num(float(x))


def quantity(body: dict[str, Any], name: str = "qty", *, whole: bool = False) -> int:
    """A positive quantity from a request body (422 otherwise); `whole`: no fraction."""
    try:
        qty = int(float(body.get(name)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(422, f"{name} is required") from None
    if qty <= 0:
        raise ApiError(422, f"{name} must be > 0")
    if whole and qty != float(body[name]):
        raise ApiError(422, f"{name} must be a whole number")
    return qty


def stamps(now: str) -> dict[str, Any]:
    """A fresh order's stamps and empty fields."""
    return {**dict.fromkeys(NULLS), "created_at": now, "updated_at": now, "submitted_at": now}


def new_order(body: dict[str, Any], cid: str, now: str) -> dict[str, Any]:
    """A stock order from a POST body, checked as Alpaca checks it (422 otherwise)."""
    symbol = str(body.get("symbol") or "")
    if not re.fullmatch(r"[A-Z][A-Z0-9.]{0,9}", symbol):
        raise ApiError(422, f"asset {symbol!r} not found")
    kind = body.get("type")
    if kind not in ("market", "limit", "stop"):
        raise ApiError(422, f"invalid order type {kind!r}")
    if body.get("side") not in ("buy", "sell"):
        raise ApiError(422, "invalid side")
    qty = quantity(body)
    if kind == "limit" and body.get("limit_price") is None:
        raise ApiError(422, "limit orders require a limit_price")
    if kind == "stop" and body.get("stop_price") is None:
        raise ApiError(422, "stop orders require a stop_price")
    return {
        **stamps(now),
        "id": str(uuid.uuid4()),
        "client_order_id": cid,
        "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)),
        "symbol": symbol,
        "asset_class": "us_equity",
        "qty": str(qty),
        "filled_qty": "0",
        "order_class": body.get("order_class") or "simple",
        "order_type": kind,
        "type": kind,
        "side": body["side"],
        "time_in_force": body.get("time_in_force", "day"),
        "limit_price": opt(body.get("limit_price")),
        "stop_price": opt(body.get("stop_price")),
        "status": "accepted",
        "extended_hours": bool(body.get("extended_hours", False)),
        "take_profit": body.get("take_profit"),
        "stop_loss": body.get("stop_loss"),
    }
