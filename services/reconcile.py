"""Broker-vs-book reconciliation: every difference between the broker's view and our books,
reported in words a trader reads, never fixed silently. Pure: the caller fetches both sides.

`broker_orders` should be the broker's open orders followed by any the caller looked up by
client id (our open orders the open list lacked); a later entry for a client id wins. Zero
quantity positions count as flat on both sides; symbols are compared upper-case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any

from models.domain import BOOK_OPEN_STATUSES, BrokerOrder, BrokerPosition, Frozen, OrderStatus, Side


class Kind(StrEnum):
    DUPLICATE_AT_BROKER = "duplicate_at_broker"
    DUPLICATE_IN_BOOK = "duplicate_in_book"
    POSITION_MISSING_AT_BROKER = "position_missing_at_broker"
    POSITION_NOT_IN_BOOK = "position_not_in_book"
    SIDE_MISMATCH = "side_mismatch"
    QUANTITY_MISMATCH = "quantity_mismatch"
    AVG_PRICE_MISMATCH = "avg_price_mismatch"
    ORDER_MISSING_AT_BROKER = "order_missing_at_broker"
    ORDER_NOT_IN_BOOK = "order_not_in_book"
    ORDER_TERMS_MISMATCH = "order_terms_mismatch"
    ORDER_FILL_MISMATCH = "order_fill_mismatch"
    ORDER_STATUS_MISMATCH = "order_status_mismatch"


class Severity(StrEnum):
    HIGH = "high"  # shares or orders could be wrong: act before trading
    LOW = "low"  # bookkeeping drift (cost basis, a stale status): fix when convenient


_KIND_ORDER = {k: i for i, k in enumerate(Kind)}
Value = int | float | str | None


class Discrepancy(Frozen):
    kind: Kind
    symbol: str
    client_order_id: str | None = None
    book: Value = None
    broker: Value = None
    severity: Severity
    detail: str


class BookPosition(Frozen):
    symbol: str
    quantity: int  # signed: negative is short
    avg_price: float

    @classmethod
    def of(cls, row: Any) -> BookPosition:
        """From a `models.tables.Position` row (or anything with those attributes)."""
        return cls(**{f: getattr(row, f) for f in cls.model_fields})


class BookOrder(Frozen):
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    status: str  # a book status: pending_submit, unknown, an OrderStatus value, or failed
    filled_quantity: int = 0

    @classmethod
    def of(cls, row: Any) -> BookOrder:
        """From a `models.tables.Order` row (or anything with those attributes)."""
        return cls(**{f: getattr(row, f) for f in cls.model_fields})

    @property
    def is_open(self) -> bool:
        return self.status in BOOK_OPEN_STATUSES


def book_positions(rows: Iterable[Any]) -> list[BookPosition]:
    return [BookPosition.of(r) for r in rows]


def book_orders(rows: Iterable[Any], broker: str | None = None) -> list[BookOrder]:
    """Book orders from table rows; with `broker`, only the rows sent to that broker."""
    return [BookOrder.of(r) for r in rows if broker is None or r.broker == broker]


class ReconcileReport(Frozen):
    broker: str
    book_positions: int
    broker_positions: int
    book_orders: int
    broker_orders: int
    discrepancies: tuple[Discrepancy, ...] = ()  # high first, then by symbol

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    @property
    def high(self) -> tuple[Discrepancy, ...]:
        return tuple(d for d in self.discrepancies if d.severity is Severity.HIGH)

    def summary(self) -> str:
        seen = (
            f"{self.broker_positions:,} broker / {self.book_positions:,} book positions, "
            f"{self.broker_orders:,} broker / {self.book_orders:,} book orders"
        )
        if self.ok:
            return f"{self.broker}: books agree ({seen})"
        n, hi = len(self.discrepancies), len(self.high)
        return (
            f"{self.broker}: {n} discrepanc{'y' if n == 1 else 'ies'} ({hi} high, {n - hi} low)"
            f" in {seen}; first: {self.discrepancies[0].detail}"
        )


# ----------------------------------------------------------------------------- wording


def _shares(n: int) -> str:
    return f"{n:,} share{'' if n == 1 else 's'}"


def _held(q: int) -> str:
    return f"holds {q:,}" if q > 0 else f"is short {-q:,}"


def _px(p: float) -> str:
    return f"{p:,.2f}" if abs(p) >= 1 else f"{p:.4f}"


def _terms(side: Side | str, qty: int, symbol: str) -> str:
    return f"{Side(side).value} {qty:,} {symbol}"


# ----------------------------------------------------------------------------- positions


def _d(
    kind: Kind, sym: str, sev: Severity, detail: str, cid: str | None, book: Value, broker: Value
) -> Discrepancy:
    kw = {"client_order_id": cid, "book": book, "broker": broker}
    return Discrepancy(kind=kind, symbol=sym, severity=sev, detail=detail, **kw)


def _index(rows: Iterable[BookPosition | BrokerPosition]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in rows:
        if r.quantity != 0:
            out.setdefault(r.symbol.strip().upper(), []).append(r)
    return out


def _positions(
    book: dict[str, list[Any]], brk: dict[str, list[Any]], tol_pct: float
) -> Iterator[Discrepancy]:
    for sym in book.keys() | brk.keys():
        ks, bs = book.get(sym, []), brk.get(sym, [])
        if len(ks) > 1 or len(bs) > 1:  # a data problem: report it, compare nothing else
            for rows, kind, where in (
                (bs, Kind.DUPLICATE_AT_BROKER, "the broker"),
                (ks, Kind.DUPLICATE_IN_BOOK, "our book"),
            ):
                if len(rows) > 1:
                    qs = ", ".join(f"{r.quantity:,}" for r in rows)
                    text = f"{sym}: {where} lists {len(rows)} positions ({qs}); not compared"
                    book_v, brk_v = (None, qs) if rows is bs else (qs, None)
                    yield _d(kind, sym, Severity.HIGH, text, None, book_v, brk_v)
            continue
        kq = ks[0].quantity if ks else None
        bq = bs[0].quantity if bs else None
        if bq is None:
            text = f"{sym}: our book {_held(kq)}, the broker holds none"
            yield _d(Kind.POSITION_MISSING_AT_BROKER, sym, Severity.HIGH, text, None, kq, None)
        elif kq is None:
            text = f"{sym}: broker {_held(bq)}, our book has none"
            yield _d(Kind.POSITION_NOT_IN_BOOK, sym, Severity.HIGH, text, None, None, bq)
        elif (kq > 0) != (bq > 0):
            bs_, ks_ = ("long" if q > 0 else "short" for q in (bq, kq))
            text = f"{sym}: broker is {bs_} {abs(bq):,}, our book is {ks_} {abs(kq):,}"
            yield _d(Kind.SIDE_MISMATCH, sym, Severity.HIGH, text, None, kq, bq)
        elif kq != bq:
            d = abs(bq) - abs(kq)
            short = " short" if bq < 0 else ""
            word = "more" if d > 0 else "fewer"
            text = (
                f"{sym}: broker {_held(bq)}, our book{short} {abs(kq):,} "
                f"({_shares(abs(d))} {word}{short} at the broker)"
            )
            yield _d(Kind.QUANTITY_MISMATCH, sym, Severity.HIGH, text, None, kq, bq)
        else:
            kp, bp = ks[0].avg_price, bs[0].avg_price
            diff = bp - kp
            if abs(diff) > 0.005 and abs(diff) > abs(kp) * tol_pct / 100:
                pct = f", {diff / kp * 100:+.2f}%" if kp else ""
                text = (
                    f"{sym}: broker avg price {_px(bp)}, our book {_px(kp)} ({_px(abs(diff))} "
                    f"a share {'higher' if diff > 0 else 'lower'} at the broker{pct}; "
                    f"{_px(abs(diff * kq))} of cost basis on {_shares(abs(kq))})"
                )
                yield _d(Kind.AVG_PRICE_MISMATCH, sym, Severity.LOW, text, None, kp, bp)


# ----------------------------------------------------------------------------- orders


def _orders(book: dict[str, BookOrder], brk: dict[str, BrokerOrder]) -> Iterator[Discrepancy]:
    high, filled = Severity.HIGH, OrderStatus.FILLED
    for cid, k in book.items():
        b = brk.get(cid)
        if b is None:
            if k.is_open:
                sym = k.symbol.strip().upper()
                text = (
                    f"{sym}: our book has order {cid} ({_terms(k.side, k.quantity, sym)}) open "
                    f"as {k.status}; the broker does not have it open and did not report it "
                    "finished"
                )
                yield _d(Kind.ORDER_MISSING_AT_BROKER, sym, high, text, cid, k.status, None)
            continue
        if (
            b.filled_quantity == k.filled_quantity
            and b.status == k.status
            and (b.symbol, b.side, b.quantity) == (k.symbol, k.side, k.quantity)
        ):
            continue  # the common case: all agree (symbols already in the same case)
        sym, bsym = k.symbol.strip().upper(), b.symbol.strip().upper()
        kt = _terms(k.side, k.quantity, sym)
        if (bsym, b.side, b.quantity) != (sym, k.side, k.quantity):
            bt = _terms(b.side, b.quantity, bsym)
            text = f"{sym}: order {cid} is {bt} at the broker, {kt} in our book"
            yield _d(Kind.ORDER_TERMS_MISMATCH, sym, high, text, cid, kt, bt)
        if b.filled_quantity != k.filled_quantity:
            kf, bf = k.filled_quantity, b.filled_quantity
            more = "not booked" if bf > kf else "more in our book than the broker filled"
            text = (
                f"{sym}: order {cid} ({kt}): broker filled {bf:,}, "
                f"our book {kf:,} ({_shares(abs(bf - kf))} {more})"
            )
            yield _d(Kind.ORDER_FILL_MISMATCH, sym, high, text, cid, kf, bf)
        if b.status != k.status:
            # high: a live order we are not watching, or the two disagree on "filled"
            unwatched = b.status.is_open and not k.is_open
            hi = unwatched or (b.status == filled) != (k.status == filled)
            bst = b.status.value
            text = f"{sym}: order {cid} is {bst} at the broker, {k.status} in our book"
            sev = high if hi else Severity.LOW
            yield _d(Kind.ORDER_STATUS_MISMATCH, sym, sev, text, cid, k.status, bst)
    for cid, b in brk.items():
        if cid in book:
            continue
        sym = b.symbol.strip().upper()
        state = "open" if b.status.is_open else b.status.value
        text = (
            f"{sym}: the broker has {state} order {cid} ({_terms(b.side, b.quantity, sym)}, "
            f"{b.filled_quantity:,} filled) that our book never sent"
        )
        sev = high if b.status.is_open or b.filled_quantity else Severity.LOW
        yield _d(Kind.ORDER_NOT_IN_BOOK, sym, sev, text, cid, None, b.status.value)


def _sort_key(d: Discrepancy) -> tuple[int, str, int, str]:
    return (d.severity is not Severity.HIGH, d.symbol, _KIND_ORDER[d.kind], d.client_order_id or "")


def reconcile(
    broker_name: str,
    broker_positions: Sequence[BrokerPosition],
    broker_orders: Sequence[BrokerOrder],
    book_positions: Sequence[BookPosition],
    book_orders: Sequence[BookOrder],
    *,
    price_tolerance_pct: float = 0.5,
) -> ReconcileReport:
    """Compare the broker's positions and orders with our books; O(n) in all inputs.

    Positions: missing on either side, long vs short, share counts, then (only when the
    shares agree) the average price beyond `price_tolerance_pct` % and half a cent
    (low severity: the shares are right, only the cost basis drifted). Orders, by
    client id: our open orders the broker lacks, broker orders we never sent, and for every
    order on both sides its terms, filled quantity and status.
    """
    found = list(_positions(_index(book_positions), _index(broker_positions), price_tolerance_pct))
    brk = {o.client_order_id: o for o in broker_orders}
    found += _orders({o.client_order_id: o for o in book_orders}, brk)
    return ReconcileReport(
        broker=broker_name,
        book_positions=len(book_positions),
        broker_positions=len(broker_positions),
        book_orders=len(book_orders),
        broker_orders=len(broker_orders),
        discrepancies=tuple(sorted(found, key=_sort_key)),
    )
