"""Alpaca trading JSON checks: status mapping, fill synthesis, refusal of bad data."""

from __future__ import annotations

from typing import Any

import pytest

from brokers.alpaca.trading_convert import (
    BrokerDataError,
    FillBook,
    order_from_json,
    position_from_json,
)
from models.domain import OrderStatus


def wire(**kw: Any) -> dict[str, Any]:
    base = {
        "id": "6f0c1d1e-0000-4000-8000-000000000001",
        "client_order_id": "p-1",
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "qty": "10",
        "filled_qty": "0",
        "filled_avg_price": None,
        "limit_price": "101.5",
        "stop_price": None,
        "status": "new",
        "submitted_at": "2026-01-05T15:00:00.123456789Z",
        "updated_at": "2026-01-05T15:00:01Z",
    }
    return base | kw


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("new", "0", OrderStatus.NEW),
        ("accepted", "0", OrderStatus.NEW),
        ("pending_new", "0", OrderStatus.NEW),
        ("pending_cancel", "3", OrderStatus.PARTIALLY_FILLED),
        ("partially_filled", "3", OrderStatus.PARTIALLY_FILLED),
        ("filled", "10", OrderStatus.FILLED),
        ("canceled", "3", OrderStatus.CANCELED),
        ("expired", "0", OrderStatus.CANCELED),
        ("rejected", "0", OrderStatus.REJECTED),
    ],
)
def test_status_mapping(status: str, filled: str, expected: OrderStatus) -> None:
    price = "100" if filled != "0" else None
    snap = order_from_json(wire(status=status, filled_qty=filled, filled_avg_price=price))
    assert snap.order.status is expected and snap.order.limit_price == 101.5


def test_fills_synthesised_once_per_rise_with_stable_ids() -> None:
    book = FillBook()
    a = book.apply(
        order_from_json(wire(status="partially_filled", filled_qty="4", filled_avg_price="100"))
    )
    b = book.apply(order_from_json(wire(status="filled", filled_qty="10", filled_avg_price="103")))
    again = book.apply(
        order_from_json(wire(status="filled", filled_qty="10", filled_avg_price="103"))
    )
    assert [(f.quantity, f.price) for f in b.fills] == [(4, 100.0), (6, 105.0)]
    assert again.fills == b.fills and a.fills == b.fills[:1]
    assert b.fills[1].fill_id.endswith("-10")
    with pytest.raises(BrokerDataError, match="went back"):
        book.apply(
            order_from_json(wire(status="partially_filled", filled_qty="2", filled_avg_price="100"))
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "teleported"},
        {"filled_qty": "11"},
        {"filled_qty": "2", "filled_avg_price": None},
        {"qty": "abc"},
        {"qty": "1.5"},
        {"submitted_at": "yesterday"},
        {"type": "trailing_stop"},
        {"id": None},
    ],
)
def test_bad_orders_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(BrokerDataError):
        order_from_json(wire(**bad))


def test_positions_sign_and_side() -> None:
    pos = {
        "symbol": "AAPL",
        "qty": "-5",
        "side": "short",
        "avg_entry_price": "10",
        "asset_class": "us_equity",
    }
    assert position_from_json(pos).quantity == -5
    for bad in ({"side": "long"}, {"qty": "nan"}, {"avg_entry_price": "-1"}, {"qty": "0"}):
        with pytest.raises(BrokerDataError):
            position_from_json(pos | bad)
