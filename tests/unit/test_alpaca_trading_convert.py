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


# ----------------------------------------------------------------------------- requests


def _broker() -> object:
    from brokers.alpaca.broker import AlpacaBroker

    return AlpacaBroker("unit-key", "unit-secret", url_override="http://127.0.0.1:9")


def test_a_bracket_request_carries_both_exit_legs() -> None:
    from models.domain import OrderRequest, Side

    b = _broker()
    req = OrderRequest(
        client_order_id="p-1",
        symbol="AAPL",
        side=Side.BUY,
        quantity=5,
        take_profit=210.123,
        stop_loss=180.0,
    )
    body = b._sdk_request(req).to_request_fields()  # type: ignore[attr-defined]
    assert body["order_class"] == "bracket"
    assert body["take_profit"] == {"limit_price": 210.12}
    assert body["stop_loss"] == {"stop_price": 180.0}
    b.close()  # type: ignore[attr-defined]


def test_a_bracket_on_the_wrong_side_or_half_a_bracket_is_refused() -> None:
    from brokers.base import OrderRejectedError
    from models.domain import OrderRequest, Side

    b = _broker()
    wrong = OrderRequest(
        client_order_id="p-2",
        symbol="AAPL",
        side=Side.BUY,
        quantity=5,
        take_profit=170.0,
        stop_loss=180.0,
    )
    with pytest.raises(OrderRejectedError, match="beyond the entry"):
        b._sdk_request(wrong)  # type: ignore[attr-defined]
    with pytest.raises(OrderRejectedError, match="both"):
        b._sdk_request(wrong.model_copy(update={"stop_loss": None}))  # type: ignore[attr-defined]
    b.close()  # type: ignore[attr-defined]


def test_options_legs_become_an_mleg_order() -> None:
    from brokers.base import OrderRejectedError
    from models.domain import OrderLeg, OrderRequest, OrderType, Side

    b = _broker()
    spread = OrderRequest(
        client_order_id="p-3",
        symbol="AAPL",
        side=Side.BUY,
        quantity=2,
        order_type=OrderType.LIMIT,
        limit_price=1.25,
        legs=(
            OrderLeg(symbol="AAPL261218C00200000", side=Side.BUY),
            OrderLeg(symbol="AAPL261218C00210000", side=Side.SELL),
        ),
    )
    body = b._sdk_request(spread).to_request_fields()  # type: ignore[attr-defined]
    assert body["order_class"] == "mleg" and "symbol" not in body
    assert [(leg["symbol"], leg["side"], leg["ratio_qty"]) for leg in body["legs"]] == [
        ("AAPL261218C00200000", "buy", 1),
        ("AAPL261218C00210000", "sell", 1),
    ]
    with pytest.raises(OrderRejectedError, match="2 to 4 legs"):
        b._sdk_request(spread.model_copy(update={"legs": spread.legs[:1]}))  # type: ignore[attr-defined]
    b.close()  # type: ignore[attr-defined]
