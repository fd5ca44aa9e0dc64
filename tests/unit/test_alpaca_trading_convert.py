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
from models.domain import BrokerOrder, OrderStatus


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
    # the legs take the entry's time in force at Alpaca: a market bracket goes gtc so the
    # stop and target do not expire at the close; a limit entry keeps what was asked
    assert body["time_in_force"] == "gtc"
    limit = req.model_copy(update={"order_type": "limit", "limit_price": 200.0})
    assert b._sdk_request(limit).to_request_fields()["time_in_force"] == "day"  # type: ignore[attr-defined]
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
    assert [leg["position_intent"] for leg in body["legs"]] == ["buy_to_open", "sell_to_open"]
    assert float(body["limit_price"]) == 1.25  # a debit: positive at Alpaca
    credit = spread.model_copy(update={"side": Side.SELL})
    assert float(b._sdk_request(credit).to_request_fields()["limit_price"]) == -1.25  # type: ignore[attr-defined]
    one = b._sdk_request(spread.model_copy(update={"legs": spread.legs[:1]}))  # type: ignore[attr-defined]
    single = one.to_request_fields()
    assert single["symbol"] == "AAPL261218C00200000" and "order_class" not in single
    five = tuple(OrderLeg(symbol=f"AAPL261218C00{200 + 5 * i}000", side=Side.BUY) for i in range(5))
    with pytest.raises(OrderRejectedError, match="4 legs"):
        b._sdk_request(spread.model_copy(update={"legs": five}))  # type: ignore[attr-defined]
    b.close()  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- time in force


@pytest.mark.parametrize(("tif", "wire_tif"), [("day", "day"), ("gtc", "gtc"), ("opg", "opg")])
def test_time_in_force_goes_on_the_wire(tif: str, wire_tif: str) -> None:
    from brokers.alpaca.order_requests import sdk_request
    from models.domain import OrderRequest, Side, TimeInForce

    req = OrderRequest(
        client_order_id="p-t",
        symbol="AAPL",
        side=Side.BUY,
        quantity=1,
        time_in_force=TimeInForce(tif),
    )
    assert sdk_request(req).to_request_fields()["time_in_force"] == wire_tif


def test_at_the_open_no_bracket_no_oco_no_stop() -> None:
    from brokers.alpaca.order_requests import BRACKET_AT_OPEN, sdk_request
    from brokers.base import OrderRejectedError
    from models.domain import OrderRequest, OrderType, Side, TimeInForce

    opg = OrderRequest(
        client_order_id="p-o",
        symbol="AAPL",
        side=Side.BUY,
        quantity=1,
        time_in_force=TimeInForce.OPG,
        take_profit=210.0,
        stop_loss=180.0,
    )
    with pytest.raises(OrderRejectedError) as e:
        sdk_request(opg)
    assert str(e.value) == BRACKET_AT_OPEN
    assert "use tif=day before the open" in BRACKET_AT_OPEN
    with pytest.raises(OrderRejectedError, match="opg"):
        sdk_request(opg.model_copy(update={"oco": True, "side": Side.SELL}))
    stop = opg.model_copy(
        update={"take_profit": None, "stop_loss": None, "order_type": OrderType.STOP}
    )
    with pytest.raises(OrderRejectedError, match="market or limit"):
        sdk_request(stop.model_copy(update={"stop_price": 200.0}))


# ----------------------------------------------------------------------------- OCO


def test_an_oco_request_is_a_limit_at_the_target_and_a_stop() -> None:
    from brokers.alpaca.order_requests import sdk_request
    from brokers.base import OrderRejectedError
    from models.domain import OrderRequest, Side, TimeInForce

    req = OrderRequest(
        client_order_id="x-1",
        symbol="AAPL",
        side=Side.SELL,
        quantity=5,
        take_profit=210.123,
        stop_loss=180.0,
        oco=True,
        time_in_force=TimeInForce.GTC,
    )
    body = sdk_request(req).to_request_fields()
    assert (body["order_class"], body["type"], body["side"]) == ("oco", "limit", "sell")
    assert body["take_profit"] == {"limit_price": 210.12}
    assert body["stop_loss"] == {"stop_price": 180.0}
    assert "limit_price" not in body and body["client_order_id"] == "x-1"
    with pytest.raises(OrderRejectedError, match="above it for a sell"):
        sdk_request(req.model_copy(update={"take_profit": 170.0}))
    with pytest.raises(OrderRejectedError, match="both"):
        sdk_request(req.model_copy(update={"stop_loss": None}))
    cover = req.model_copy(update={"side": Side.BUY, "take_profit": 170.0, "stop_loss": 190.0})
    assert sdk_request(cover).to_request_fields()["side"] == "buy"
    with pytest.raises(OrderRejectedError, match="kept for the venue's protective orders"):
        sdk_request(req.model_copy(update={"client_order_id": "x-1-sl"}))


# ----------------------------------------------------------------------------- legs


def _bracket_wire(**kw: Any) -> dict[str, Any]:
    tp = wire(id="leg-tp", client_order_id="alpaca-made-1", side="sell", status="held")
    sl = wire(
        id="leg-sl",
        client_order_id="alpaca-made-2",
        side="sell",
        type="stop",
        limit_price=None,
        stop_price="95",
        status="held",
    )
    for leg in (tp, sl):
        leg["order_class"] = "bracket"
    return wire(order_class="bracket", legs=[tp, sl]) | kw


def test_a_brackets_legs_get_our_child_ids() -> None:
    from brokers.alpaca.legs import LegBook, views
    from models.domain import OrderType

    book, fills = LegBook(), FillBook()

    def convert(raw: dict[str, Any]) -> BrokerOrder:
        return fills.apply(order_from_json(raw))

    parent, sl, tp = views(book, _bracket_wire(), convert)
    assert parent.client_order_id == "p-1" and parent.legs == (sl, tp)
    assert (sl.client_order_id, sl.order_type, sl.broker_order_id) == (
        "p-1-sl",
        OrderType.STOP,
        "leg-sl",
    )
    assert (tp.client_order_id, tp.reason, tp.status) == ("p-1-tp", "held", OrderStatus.NEW)
    # the leg on its own (a stream update, a flat list) is shown under our child id
    alone = _bracket_wire()["legs"][1]
    filled = {"status": "filled", "filled_qty": "10", "filled_avg_price": "94.5"}
    [leg] = views(book, alone | filled, convert)
    assert (leg.client_order_id, leg.status, leg.fills[0].price) == (
        "p-1-sl",
        OrderStatus.FILLED,
        94.5,
    )
    assert not book.unknown(alone)  # placed: no look-up needed
    stranger = alone | {"id": "leg-of-someone-else"}
    assert book.unknown(stranger) and not book.unknown(wire())  # a simple order is no leg
    book.strangers({"leg-of-someone-else"})
    assert not book.unknown(stranger)  # looked for in vain once: not again
    assert views(book, stranger, convert)[0].client_order_id == "alpaca-made-2"


def test_an_oco_pair_is_a_container_of_its_two_legs() -> None:
    from brokers.alpaca.legs import LegBook, views

    book, fills = LegBook(), FillBook()

    def convert(raw: dict[str, Any]) -> BrokerOrder:
        return fills.apply(order_from_json(raw))

    stop = wire(
        id="oco-sl",
        client_order_id="alpaca-made",
        side="sell",
        type="stop",
        limit_price=None,
        stop_price="95",
        order_class="oco",
        status="canceled",
    )
    limit = wire(
        id="oco-tp",
        client_order_id="x-1",
        side="sell",
        limit_price="110",
        order_class="oco",
        status="filled",
        filled_qty="10",
        filled_avg_price="110",
        legs=[stop],
    )
    tp, sl, box = views(book, limit, convert)
    assert (tp.client_order_id, tp.broker_order_id, tp.status) == (
        "x-1-tp",
        "oco-tp",
        OrderStatus.FILLED,
    )
    assert (sl.client_order_id, sl.status) == ("x-1-sl", OrderStatus.CANCELED)
    assert (box.client_order_id, box.status, box.filled_quantity, box.fills) == (
        "x-1",
        OrderStatus.FILLED,
        10,
        (),
    )
    assert (box.limit_price, box.stop_price, box.legs) == (110.0, 95.0, (sl, tp))
    assert [v.client_order_id for v in views(book, limit, convert, pairs=False)] == [
        "x-1-tp",
        "x-1-sl",
    ]
    assert book.oco_of(stop) == "x-1" and book.oco_of(limit | {"legs": None}) == "x-1"
