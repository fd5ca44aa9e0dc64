"""The read side of AlpacaBroker's orders: look-ups, open orders, pushed updates, and the
bracket/OCO legs under our child ids (see `legs`). Option orders (multi-leg or on one
contract) are shown in the options view, their fills under `option_legs` (option_orders.py).

Orders are read with ``nested=true`` so a bracket's or an OCO's legs come with their parent
and `LegBook` learns them. A protective order that arrives without its parent (a leg listed
or pushed on its own, or after a restart) makes the adapter read recent orders with their
legs, newest first, until it is placed; one looked for in vain is not looked for again.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from alpaca.common.enums import Sort
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrderByIdRequest, GetOrdersRequest
from loguru import logger

from brokers.alpaca.legs import PROTECTIVE, LegBook, nested, views
from brokers.alpaca.option_orders import is_option_order, option_order
from brokers.alpaca.trading_client import PacedTradingClient
from brokers.alpaca.trading_convert import (
    BrokerDataError,
    DataProblem,
    FillBook,
    order_from_json,
    stamp,
)
from brokers.alpaca.transport import HttpFailure, Transport, TransportFailure
from brokers.base import BrokerError
from models.domain import BrokerOrder, OrderRole, split_client_id

PAGE = 500  # the most orders Alpaca returns in one list
LEARN_PAGES = 10  # how far back (pages of recent orders) a leg's parent is looked for


def why(e: HttpFailure | TransportFailure) -> str:
    return f"HTTP {e.status}: {e.message}" if isinstance(e, HttpFailure) else e.message


class AlpacaOrderReads:
    """Order reads, with data checks and the legs book (a base of AlpacaBroker)."""

    def __init__(self, client: PacedTradingClient, reads: Transport, max_problems: int) -> None:
        self._client = client
        self.reads = reads
        self.problems: deque[DataProblem] = deque(maxlen=max_problems)
        self._fills = FillBook()
        self.legs = LegBook()

    async def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return await self.reads.call(what, fn)
        except (HttpFailure, TransportFailure) as e:
            raise BrokerError(f"Alpaca {what} failed: {why(e)}") from None

    def bad_data(self) -> list[str]:
        return [" ".join(filter(None, (p.what, p.key))) + f": {p.reason}" for p in self.problems]

    def _problem(self, what: str, key: str, reason: str) -> None:
        self.problems.append(DataProblem(what, key, reason))
        logger.warning("alpaca: skipped {} {}: {}", what, key or "?", reason)

    def _order(self, raw: Any, late_ok: bool = False) -> BrokerOrder:
        """Convert and synthesise fills; BrokerDataError (recorded) when unusable. `late_ok`:
        a pushed snapshot older than a read already seen is returned as it was (the consumer
        ignores it), not reported as bad data."""
        try:
            if is_option_order(raw):  # the options view: fills under option_legs
                return option_order(raw, self._fills, late_ok=late_ok)
            return self._fills.apply(order_from_json(raw), late_ok=late_ok)
        except BrokerDataError as e:
            key = str(raw.get("id", "")) if isinstance(raw, dict) else ""
            self._problem("order", key, str(e))
            raise

    def _views(self, raw: Any, late_ok: bool = False, pairs: bool = True) -> list[BrokerOrder]:
        """Every order of our books this Alpaca order (with its legs) stands for."""
        if not isinstance(raw, dict):
            return [self._order(raw)]  # raises, recorded
        return views(self.legs, raw, partial(self._order, late_ok=late_ok), pairs=pairs)

    def _orders(self, raw: list[Any]) -> list[BrokerOrder]:
        """The orders of a list, legs under our child ids; no OCO containers (a pair is
        its legs in our books); bad entries skipped (recorded)."""
        out: list[BrokerOrder] = []
        for entry in raw:
            try:
                out.extend(self._views(entry, pairs=False))
            except BrokerDataError:
                continue
        return out

    # ------------------------------------------------------------------ look-ups
    async def _raw_by_client_id(self, cid: str) -> dict[str, Any] | None:
        """Alpaca's order with this client id, with its legs; None when there is none."""
        try:
            raw = await self.reads.call(
                "order lookup", lambda: self._client.get_order_by_client_id_nested(cid)
            )
            if (
                isinstance(raw, dict)
                and raw.get("order_class") in (*PROTECTIVE, "mleg")
                and not nested(raw)
                and raw.get("id")
                and self.legs.child_id(str(raw["id"])) is None
            ):  # the venue did not nest the legs here: ask by id, as documented
                oid, query = str(raw["id"]), GetOrderByIdRequest(nested=True)
                raw = await self.reads.call(
                    "order lookup", lambda: self._client.get_order_by_id(oid, query)
                )
        except HttpFailure as e:
            if e.status == 404:
                return None
            raise BrokerError(f"Alpaca order lookup failed: {why(e)}") from None
        except TransportFailure as e:
            raise BrokerError(f"Alpaca order lookup failed: {why(e)}") from None
        if not isinstance(raw, dict):
            self._problem("order", cid, "order reply is not an object")
            raise BrokerDataError(f"Alpaca order {cid}: reply is not an object")
        return raw

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Our order by its client id; a protective child ("P-sl", "P-tp") is found through
        its parent P, read with its legs."""
        parent, role = split_client_id(client_order_id)
        if role is not OrderRole.MAIN:
            raw = await self._raw_by_client_id(parent)
            if raw is not None:
                found = [v for v in self._views(raw) if v.client_order_id == client_order_id]
                if found:
                    return found[0]
        raw = await self._raw_by_client_id(client_order_id)
        if raw is None:
            return None
        await self._place([raw])
        got = self._views(raw)
        return next((v for v in got if v.client_order_id == client_order_id), got[0])

    async def open_orders(self) -> list[BrokerOrder]:
        """Every working order, newest first, page by page (the API returns at most 500),
        with working protective legs under our child ids (held legs wait in their parent)."""
        seen: dict[str, BrokerOrder] = {}
        until: datetime | None = None
        while True:
            query = GetOrdersRequest(
                status=QueryOrderStatus.OPEN,
                limit=PAGE,
                direction=Sort.DESC,
                until=until,
                nested=True,
            )
            raw = await self._read("open orders", lambda q=query: self._client.get_orders(q))
            if not isinstance(raw, list):
                raise BrokerDataError("Alpaca orders reply is not a list")
            await self._place(raw)
            page = self._orders(raw)
            fresh = [o for o in page if o.client_order_id not in seen]
            seen.update((o.client_order_id, o) for o in page)
            if len(raw) < PAGE or not fresh or not page:
                if len(raw) >= PAGE and page and not fresh:
                    self._problem("orders", "", f"over {PAGE} open orders share one timestamp")
                break
            # `until` is exclusive: step back to just after the oldest seen, dedupe the overlap
            until = min(o.submitted_at for o in page) + timedelta(microseconds=1)
        return [o for o in seen.values() if o.status.is_open and o.reason != "held"]

    # ------------------------------------------------------------------ legs
    async def _place(self, raws: list[Any]) -> None:
        """Learn the parents of protective orders read without them (best effort)."""
        unknown = {str(r["id"]) for r in raws if self.legs.unknown(r)}
        if not unknown:
            return
        try:
            await self._learn(unknown)
        except BrokerError as e:
            logger.warning("alpaca: could not place {} protective orders: {}", len(unknown), e)

    async def _learn(self, ids: set[str]) -> None:
        """Read recent orders with their legs, newest first, until every id is placed."""
        until: datetime | None = None
        for _ in range(LEARN_PAGES):
            query = GetOrdersRequest(
                status=QueryOrderStatus.ALL,
                limit=PAGE,
                direction=Sort.DESC,
                until=until,
                nested=True,
            )
            raw = await self._read("orders", lambda q=query: self._client.get_orders(q))
            if not isinstance(raw, list):
                raise BrokerDataError("Alpaca orders reply is not a list")
            stamps: list[datetime] = []
            for entry in raw:
                if isinstance(entry, dict):
                    self.legs.learn(entry)
                    with contextlib.suppress(BrokerDataError):
                        stamps.append(stamp(entry, "submitted_at"))
            ids = {i for i in ids if not self.legs.placed(i)}
            if not ids or len(raw) < PAGE or not stamps:
                break
            until = min(stamps) + timedelta(microseconds=1)
        if ids:
            logger.info("alpaca: {} protective orders have no parent among recent orders", ids)
            self.legs.strangers(ids)

    async def pushed(self, raw: Any) -> list[BrokerOrder]:
        """The order one trade update is about (a leg under our child id, an OCO's limit
        order as its -tp), its parent looked up first when the book cannot place it."""
        if not isinstance(raw, dict):
            raise BrokerDataError("trade update order is not an object")
        await self._place([raw])
        return self._views(raw, late_ok=True)[:1]
