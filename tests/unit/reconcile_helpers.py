"""Builders for the reconciliation tests: broker and book positions and orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from models.domain import BrokerOrder, BrokerPosition, OrderStatus, OrderType, Side
from services.reconcile import (
    BookOrder,
    BookPosition,
    Kind,
    ReconcileReport,
    Severity,
    reconcile,
)

T = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
HIGH, LOW = Severity.HIGH, Severity.LOW


def bpos(sym: str, qty: int, px: float = 100.0) -> BrokerPosition:
    return BrokerPosition(symbol=sym, quantity=qty, avg_price=px)


def kpos(sym: str, qty: int, px: float = 100.0) -> BookPosition:
    return BookPosition(symbol=sym, quantity=qty, avg_price=px)


def bord(
    cid: str,
    sym: str = "NVDA",
    status: OrderStatus = OrderStatus.NEW,
    filled: int = 0,
    qty: int = 100,
    side: Side = Side.BUY,
) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=f"b-{cid}",
        client_order_id=cid,
        symbol=sym,
        side=side,
        quantity=qty,
        order_type=OrderType.MARKET,
        limit_price=None,
        stop_price=None,
        status=status,
        filled_quantity=filled,
        avg_fill_price=100.0 if filled else None,
        submitted_at=T,
    )


def kord(
    cid: str,
    sym: str = "NVDA",
    status: str = "new",
    filled: int = 0,
    qty: int = 100,
    side: Side = Side.BUY,
) -> BookOrder:
    return BookOrder(
        client_order_id=cid,
        symbol=sym,
        side=side,
        quantity=qty,
        status=status,
        filled_quantity=filled,
    )


def run(
    brk_pos: Sequence[BrokerPosition] = (),
    brk_ord: Sequence[BrokerOrder] = (),
    book_pos: Sequence[BookPosition] = (),
    book_ord: Sequence[BookOrder] = (),
    **kw: Any,
) -> ReconcileReport:
    return reconcile("sim", brk_pos, brk_ord, book_pos, book_ord, **kw)


def found(report: ReconcileReport) -> list[tuple[Kind, str, Severity]]:
    return [(d.kind, d.symbol, d.severity) for d in report.discrepancies]
