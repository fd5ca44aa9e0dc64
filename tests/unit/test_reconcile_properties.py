"""Reconciliation properties over random books: identical views agree, one changed
quantity is exactly one discrepancy, counts and order hold and inputs are never mutated."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain import BrokerOrder, BrokerPosition, OrderStatus, Side
from services.reconcile import BookOrder, BookPosition, Kind, reconcile
from tests.unit.reconcile_helpers import HIGH, bord, bpos, kord, kpos

# ----------------------------------------------------------------------------- properties

TICKERS = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5)
BOOK_STATUSES = [s.value for s in OrderStatus]


@st.composite
def books(draw: st.DrawFn) -> tuple[list[BookPosition], list[BookOrder]]:
    held = draw(
        st.dictionaries(
            TICKERS,
            st.tuples(st.integers(-5_000, 5_000), st.floats(0.01, 5_000, allow_nan=False)),
            max_size=25,
        )
    )
    positions = [kpos(s, q, px) for s, (q, px) in held.items()]
    n = draw(st.integers(0, 25))
    orders = []
    for i in range(n):
        qty = draw(st.integers(1, 1_000))
        status = draw(st.sampled_from(BOOK_STATUSES))
        filled = {"new": 0, "filled": qty}.get(status, draw(st.integers(0, qty)))
        sym, side = draw(TICKERS), draw(st.sampled_from(Side))
        orders.append(kord(f"p-{i}", sym, status, filled, qty, side))
    return positions, orders


def mirror(
    positions: list[BookPosition], orders: list[BookOrder], data: st.DataObject
) -> tuple[list[BrokerPosition], list[BrokerOrder]]:
    """The broker's identical view: flat positions left out or kept at zero, symbols in
    either case, every open order, and a sample of the finished ones (as looked up)."""
    bps = [
        bpos(p.symbol.lower() if data.draw(st.booleans()) else p.symbol, p.quantity, p.avg_price)
        for p in positions
        if p.quantity or data.draw(st.booleans())
    ]
    bos = [
        bord(
            o.client_order_id,
            o.symbol,
            OrderStatus(o.status),
            o.filled_quantity,
            o.quantity,
            o.side,
        )
        for o in orders
        if o.is_open or data.draw(st.booleans())
    ]
    return bps, bos


@settings(max_examples=150, deadline=None)
@given(books(), st.data())
def test_identical_views_agree(book: tuple[list[BookPosition], list[BookOrder]], data: Any) -> None:
    positions, orders = book
    bps, bos = mirror(positions, orders, data)
    report = reconcile("sim", bps, bos, positions, orders)
    assert report.ok, report.summary()


@settings(max_examples=150, deadline=None)
@given(books(), st.data())
def test_one_changed_quantity_is_one_discrepancy(
    book: tuple[list[BookPosition], list[BookOrder]], data: Any
) -> None:
    positions, orders = book
    if not positions:
        positions = [kpos("ONLY", 0)]
    i = data.draw(st.integers(0, len(positions) - 1))
    old = positions[i].quantity
    new = data.draw(st.integers(-5_000, 5_000).filter(lambda q: q != old))
    bps, bos = mirror(positions, orders, data)
    bps = [p for p in bps if p.symbol.upper() != positions[i].symbol]
    bps.append(bpos(positions[i].symbol, new, positions[i].avg_price))
    (d,) = reconcile("sim", bps, bos, positions, orders).discrepancies
    if old == 0:
        kind = Kind.POSITION_NOT_IN_BOOK
    elif new == 0:
        kind = Kind.POSITION_MISSING_AT_BROKER
    elif (old > 0) != (new > 0):
        kind = Kind.SIDE_MISMATCH
    else:
        kind = Kind.QUANTITY_MISMATCH
    assert (d.kind, d.symbol, d.severity) == (kind, positions[i].symbol, HIGH)
    assert d.detail.startswith(f"{positions[i].symbol}: ")


@settings(max_examples=150, deadline=None)
@given(books(), books(), st.data())
def test_counts_order_and_no_mutation(
    book: tuple[list[BookPosition], list[BookOrder]],
    other: tuple[list[BookPosition], list[BookOrder]],
    data: Any,
) -> None:
    """Against an unrelated broker view (many discrepancies): inputs untouched, counts equal
    the input sizes, high before low and by symbol within each, every detail names its
    symbol."""
    positions, orders = book
    bps, bos = mirror(*other, data)
    inputs = (bps, bos, positions, orders)
    before = [[x.model_dump() for x in xs] for xs in inputs]
    report = reconcile("sim", *inputs)
    assert [[x.model_dump() for x in xs] for xs in inputs] == before
    assert (
        report.broker_positions,
        report.broker_orders,
        report.book_positions,
        report.book_orders,
    ) == (len(bps), len(bos), len(positions), len(orders))
    keys = [(d.severity is not HIGH, d.symbol) for d in report.discrepancies]
    assert keys == sorted(keys)
    assert all(d.detail.startswith(f"{d.symbol}: ") for d in report.discrepancies)
    assert report.ok is (not report.discrepancies)
