"""Broker-vs-book reconciliation: one table row per kind of discrepancy (with the trader's
wording for a few), and the report's order and summary."""

from __future__ import annotations

from typing import Any

import pytest

from models.domain import OrderStatus, Side
from models.tables import Order, Position
from services.reconcile import (
    Discrepancy,
    Kind,
    Severity,
    book_orders,
    book_positions,
)
from tests.unit.reconcile_helpers import HIGH, LOW, T, bord, bpos, found, kord, kpos, run

# ----------------------------------------------------------------------------- table

CASES: list[tuple[str, dict[str, list[Any]], list[tuple[Kind, str, Severity]]]] = [
    ("agree", {"brk_pos": [bpos("NVDA", 40)], "book_pos": [kpos("NVDA", 40)]}, []),
    (
        "missing at broker",
        {"book_pos": [kpos("NVDA", 40)]},
        [(Kind.POSITION_MISSING_AT_BROKER, "NVDA", HIGH)],
    ),
    (
        "missing at broker (broker reports zero)",
        {"brk_pos": [bpos("NVDA", 0)], "book_pos": [kpos("NVDA", -5)]},
        [(Kind.POSITION_MISSING_AT_BROKER, "NVDA", HIGH)],
    ),
    ("not in book", {"brk_pos": [bpos("AMD", 7)]}, [(Kind.POSITION_NOT_IN_BOOK, "AMD", HIGH)]),
    (
        "not in book (book row at zero)",
        {"brk_pos": [bpos("AMD", -7)], "book_pos": [kpos("AMD", 0)]},
        [(Kind.POSITION_NOT_IN_BOOK, "AMD", HIGH)],
    ),
    ("zero on both sides is flat", {"brk_pos": [bpos("X", 0)], "book_pos": [kpos("X", 0)]}, []),
    ("zero in book, none at broker", {"book_pos": [kpos("X", 0)]}, []),
    (
        "symbols compared upper-case",
        {"brk_pos": [bpos("nvda", 4)], "book_pos": [kpos("NVDA", 4)]},
        [],
    ),
    (
        "quantity",
        {"brk_pos": [bpos("NVDA", 50)], "book_pos": [kpos("NVDA", 40)]},
        [(Kind.QUANTITY_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "side",
        {"brk_pos": [bpos("NVDA", -50)], "book_pos": [kpos("NVDA", 40)]},
        [(Kind.SIDE_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "avg price beyond tolerance",
        {"brk_pos": [bpos("NVDA", 40, 101.2)], "book_pos": [kpos("NVDA", 40, 100.0)]},
        [(Kind.AVG_PRICE_MISMATCH, "NVDA", LOW)],
    ),
    (
        "avg price within tolerance",
        {"brk_pos": [bpos("NVDA", 40, 100.4)], "book_pos": [kpos("NVDA", 40, 100.0)]},
        [],
    ),
    (
        "avg price within half a cent on a cheap stock",
        {"brk_pos": [bpos("PENNY", 900, 0.304)], "book_pos": [kpos("PENNY", 900, 0.300)]},
        [],
    ),
    (
        "avg price not compared when the shares differ",
        {"brk_pos": [bpos("NVDA", 41, 150.0)], "book_pos": [kpos("NVDA", 40, 100.0)]},
        [(Kind.QUANTITY_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "duplicate at broker",
        {"brk_pos": [bpos("NVDA", 50), bpos("nvda", -10)], "book_pos": [kpos("NVDA", 40)]},
        [(Kind.DUPLICATE_AT_BROKER, "NVDA", HIGH)],
    ),
    (
        "duplicate in book (case variants)",
        {"brk_pos": [bpos("NVDA", 40)], "book_pos": [kpos("NVDA", 40), kpos("nvda", 1)]},
        [(Kind.DUPLICATE_IN_BOOK, "NVDA", HIGH)],
    ),
    # orders
    ("open orders agree", {"brk_ord": [bord("p1")], "book_ord": [kord("p1")]}, []),
    (
        "finished in book, not in broker's open list",
        {"book_ord": [kord("p1", status="filled", filled=100)]},
        [],
    ),
    (
        "open order missing at broker",
        {"book_ord": [kord("p1")]},
        [(Kind.ORDER_MISSING_AT_BROKER, "NVDA", HIGH)],
    ),
    (
        "pending_submit missing at broker",
        {"book_ord": [kord("p1", status="pending_submit")]},
        [(Kind.ORDER_MISSING_AT_BROKER, "NVDA", HIGH)],
    ),
    (
        "open broker order never sent",
        {"brk_ord": [bord("zz", "AMD")]},
        [(Kind.ORDER_NOT_IN_BOOK, "AMD", HIGH)],
    ),
    (
        "finished unknown order with no fills",
        {"brk_ord": [bord("zz", "AMD", OrderStatus.CANCELED)]},
        [(Kind.ORDER_NOT_IN_BOOK, "AMD", LOW)],
    ),
    (
        "finished unknown order with fills",
        {"brk_ord": [bord("zz", "AMD", OrderStatus.FILLED, filled=100)]},
        [(Kind.ORDER_NOT_IN_BOOK, "AMD", HIGH)],
    ),
    (
        "fills not booked",
        {
            "brk_ord": [bord("p1", status=OrderStatus.PARTIALLY_FILLED, filled=60)],
            "book_ord": [kord("p1", status="partially_filled", filled=40)],
        },
        [(Kind.ORDER_FILL_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "filled at broker, still new in book",
        {
            "brk_ord": [bord("p1", status=OrderStatus.FILLED, filled=100)],
            "book_ord": [kord("p1")],
        },
        [(Kind.ORDER_FILL_MISMATCH, "NVDA", HIGH), (Kind.ORDER_STATUS_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "canceled at broker, new in book",
        {"brk_ord": [bord("p1", status=OrderStatus.CANCELED)], "book_ord": [kord("p1")]},
        [(Kind.ORDER_STATUS_MISMATCH, "NVDA", LOW)],
    ),
    (
        "working at broker, canceled in book",
        {"brk_ord": [bord("p1")], "book_ord": [kord("p1", status="canceled")]},
        [(Kind.ORDER_STATUS_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "submit acknowledged at broker, pending_submit in book",
        {"brk_ord": [bord("p1")], "book_ord": [kord("p1", status="pending_submit")]},
        [(Kind.ORDER_STATUS_MISMATCH, "NVDA", LOW)],
    ),
    (
        "terms differ",
        {"brk_ord": [bord("p1", qty=200)], "book_ord": [kord("p1", qty=100)]},
        [(Kind.ORDER_TERMS_MISMATCH, "NVDA", HIGH)],
    ),
    (
        "a later entry for a client id wins (look-up after the open list)",
        {
            "brk_ord": [bord("p1"), bord("p1", status=OrderStatus.FILLED, filled=100)],
            "book_ord": [kord("p1", status="filled", filled=100)],
        },
        [],
    ),
]


@pytest.mark.parametrize(("inputs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_table(inputs: dict[str, list[Any]], expected: list[tuple[Kind, str, Severity]]) -> None:
    report = run(**inputs)
    assert found(report) == expected
    assert report.ok is (not expected)


def test_every_kind_appears_in_the_table() -> None:
    kinds = {k for _, _, exp in CASES for k, _, _ in exp}
    assert kinds == set(Kind)


DETAILS = [
    (
        {"brk_pos": [bpos("NVDA", 50)], "book_pos": [kpos("NVDA", 40)]},
        "NVDA: broker holds 50, our book 40 (10 shares more at the broker)",
    ),
    (
        {"brk_pos": [bpos("TSLA", -30)], "book_pos": [kpos("TSLA", -40)]},
        "TSLA: broker is short 30, our book short 40 (10 shares fewer short at the broker)",
    ),
    (
        {"brk_pos": [bpos("NVDA", -50)], "book_pos": [kpos("NVDA", 40)]},
        "NVDA: broker is short 50, our book is long 40",
    ),
    ({"book_pos": [kpos("NVDA", 1_500)]}, "NVDA: our book holds 1,500, the broker holds none"),
    ({"brk_pos": [bpos("amd", -7)]}, "AMD: broker is short 7, our book has none"),
    (
        {"brk_pos": [bpos("NVDA", 40, 101.2)], "book_pos": [kpos("NVDA", 40, 100.0)]},
        "NVDA: broker avg price 101.20, our book 100.00 (1.20 a share higher at the broker, "
        "+1.20%; 48.00 of cost basis on 40 shares)",
    ),
    (
        {"brk_pos": [bpos("NVDA", 50), bpos("NVDA", -10)]},
        "NVDA: the broker lists 2 positions (50, -10); not compared",
    ),
    (
        {"book_ord": [kord("p-1", status="pending_submit")]},
        "NVDA: our book has order p-1 (buy 100 NVDA) open as pending_submit; the broker does "
        "not have it open and did not report it finished",
    ),
    (
        {"brk_ord": [bord("zz", "AMD", side=Side.SELL, qty=5)]},
        "AMD: the broker has open order zz (sell 5 AMD, 0 filled) that our book never sent",
    ),
    (
        {
            "brk_ord": [bord("p-1", status=OrderStatus.PARTIALLY_FILLED, filled=60)],
            "book_ord": [kord("p-1", status="partially_filled", filled=40)],
        },
        "NVDA: order p-1 (buy 100 NVDA): broker filled 60, our book 40 (20 shares not booked)",
    ),
    (
        {"brk_ord": [bord("p-1", status=OrderStatus.CANCELED)], "book_ord": [kord("p-1")]},
        "NVDA: order p-1 is canceled at the broker, new in our book",
    ),
    (
        {"brk_ord": [bord("p-1", qty=200)], "book_ord": [kord("p-1")]},
        "NVDA: order p-1 is buy 200 NVDA at the broker, buy 100 NVDA in our book",
    ),
]


@pytest.mark.parametrize(("inputs", "detail"), DETAILS)
def test_detail_text(inputs: dict[str, list[Any]], detail: str) -> None:
    (d,) = run(**inputs).discrepancies
    assert d.detail == detail


def test_values_shown_to_the_trader() -> None:
    (d,) = run(brk_pos=[bpos("NVDA", -50)], book_pos=[kpos("NVDA", 40)]).discrepancies
    assert (d.book, d.broker, d.client_order_id) == (40, -50, None)
    (d,) = run(
        brk_ord=[bord("p1", status=OrderStatus.CANCELED)], book_ord=[kord("p1")]
    ).discrepancies
    assert (d.book, d.broker, d.client_order_id) == ("new", "canceled", "p1")


def test_tolerance_is_a_parameter() -> None:
    args = {"brk_pos": [bpos("NVDA", 40, 100.4)], "book_pos": [kpos("NVDA", 40, 100.0)]}
    assert run(**args).ok
    assert found(run(**args, price_tolerance_pct=0.1)) == [(Kind.AVG_PRICE_MISMATCH, "NVDA", LOW)]


# ----------------------------------------------------------------------------- the report


def test_report_sorts_high_first_then_symbol_and_summarises() -> None:
    report = run(
        brk_pos=[bpos("ZZZ", 10, 120.0), bpos("MMM", 3), bpos("BBB", 1)],
        book_pos=[kpos("ZZZ", 10, 100.0), kpos("AAA", 2), kpos("BBB", 2)],
        book_ord=[kord("p1", "CCC")],
    )
    assert found(report) == [
        (Kind.POSITION_MISSING_AT_BROKER, "AAA", HIGH),
        (Kind.QUANTITY_MISMATCH, "BBB", HIGH),
        (Kind.ORDER_MISSING_AT_BROKER, "CCC", HIGH),
        (Kind.POSITION_NOT_IN_BOOK, "MMM", HIGH),
        (Kind.AVG_PRICE_MISMATCH, "ZZZ", LOW),
    ]
    assert not report.ok and len(report.high) == 4
    assert report.summary() == (
        "sim: 5 discrepancies (4 high, 1 low) in 3 broker / 3 book positions, 0 broker / "
        "1 book orders; first: AAA: our book holds 2, the broker holds none"
    )


def test_summary_when_books_agree() -> None:
    report = run(brk_pos=[bpos("NVDA", 4)], book_pos=[kpos("NVDA", 4)])
    assert report.summary() == (
        "sim: books agree (1 broker / 1 book positions, 0 broker / 0 book orders)"
    )


def test_inputs_from_table_rows() -> None:
    pos = Position(symbol="NVDA", quantity=-3, avg_price=12.5, opened_at=T, updated_at=T)
    rows = [
        Order(
            client_order_id=f"p{i}",
            broker=b,
            symbol="NVDA",
            side="sell",
            quantity=3,
            order_type="market",
            status="pending_submit",
            submitted_at=T,
            updated_at=T,
        )
        for i, b in enumerate(("sim", "alpaca"))
    ]
    assert book_positions([pos]) == [kpos("NVDA", -3, 12.5)]
    want = kord("p0", status="pending_submit", qty=3, side=Side.SELL)
    assert book_orders(rows, broker="sim") == [want]
    assert len(book_orders(rows)) == 2
    assert want.is_open and not kord("x", status="failed").is_open


def test_discrepancy_is_frozen() -> None:
    d = run(book_pos=[kpos("NVDA", 1)]).discrepancies[0]
    assert isinstance(d, Discrepancy)
    with pytest.raises(ValueError):
        d.detail = "changed"  # type: ignore[misc]
