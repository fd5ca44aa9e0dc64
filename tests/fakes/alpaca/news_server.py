"""A loopback Alpaca news API (``/v1beta1/news``) that an unmodified alpaca-py talks to.

Usage::

    fake = FakeAlpacaNews(wall=lambda: clock().timestamp())
    fake.add_article("Apple beats", symbols=["AAPL"], created_at=t)
    await fake.start()
    client = NewsClient(fake.key_id, fake.secret_key, url_override=fake.base_url)

REST: ``GET /v1beta1/news`` with Alpaca's query (``symbols`` comma-separated, ``start`` and
``end`` inclusive on created_at as RFC 3339 or YYYY-MM-DD, ``limit`` 1-50 (default 10),
``sort`` desc (default) or asc, ``include_content``, ``exclude_contentless``,
``page_token``) answers ``{"news": [...], "next_page_token": ...}``; items carry ``id``,
``headline``, ``author``, ``created_at``, ``updated_at``, ``summary``, ``content`` (empty
unless include_content=true), ``url``, ``images``, ``symbols`` and ``source``. Auth headers,
recording and scripted faults (429 with Retry-After, 500, malformed bodies) come from the
base; ``corrupt()`` breaks one stored item's wire fields (its place in the order stays).

The websocket is served on the same path (news_stream.py): a websocket upgrade on
``/v1beta1/news`` authenticates in-band, so it skips the header check and REST faults.
Alpaca streams from another host; here one port serves both, which is what
``news_stream_url()`` derives for a non-Alpaca data URL.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from aiohttp import web

from .base import ApiError, FakeAlpacaServer, Handler, Recorded
from .data_server import rfc3339
from .news_stream import FakeNewsStream

NEWS_PATH = "/v1beta1/news"
MAX_LIMIT = 50
DEFAULT_LIMIT = 10


@dataclass
class Article:
    """One stored item: where it sorts and filters (``at``, ``symbols``) and its wire form."""

    at: datetime
    id: int
    symbols: tuple[str, ...]
    wire: dict[str, Any]


def _parse_time(value: str, name: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"invalid {name}: {value}") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _flag(q: Any, name: str) -> bool:
    value = q.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ApiError(400, f"invalid {name}: {q.get(name)}")
    return value == "true"


class FakeAlpacaNews(FakeAlpacaServer):
    """Alpaca's news API and news websocket on 127.0.0.1. World state: ``articles``;
    ``page_size`` caps a page below ``limit`` to force paging."""

    def __init__(self, *, page_size: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.articles: list[Article] = []
        self.page_size = page_size
        self.stream = FakeNewsStream(lambda: (self.key_id, self.secret_key))
        self._next_id = 24_843_171

    # ---- world ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def item(
        self,
        headline: str,
        *,
        symbols: list[str] | tuple[str, ...] = (),
        created_at: datetime | None = None,
        news_id: int | None = None,
        source: str = "benzinga",
        author: str = "Benzinga Newsdesk",
        summary: str = "",
        content: str = "",
        url: str | None = None,
    ) -> dict[str, Any]:
        """A wire item as Alpaca sends it (not stored; see ``add_article``/``publish``)."""
        if news_id is None:
            news_id = self._next_id
            self._next_id += 1
        at = rfc3339(created_at or self.now()).replace(".000000000Z", "Z")
        return {
            "id": news_id,
            "headline": headline,
            "author": author,
            "created_at": at,
            "updated_at": at,
            "summary": summary,
            "content": content,
            "url": url if url is not None else f"https://www.benzinga.com/news/{news_id}",
            "images": [
                {"size": "large", "url": f"https://cdn.benzinga.com/{news_id}-large.jpeg"},
                {"size": "thumb", "url": f"https://cdn.benzinga.com/{news_id}-thumb.jpeg"},
            ],
            "symbols": list(symbols),
            "source": source,
        }

    def add_article(self, headline: str, **kw: Any) -> dict[str, Any]:
        """Store one item (``item()``'s arguments) and return its wire form."""
        wire = self.item(headline, **kw)
        at = datetime.fromisoformat(wire["created_at"].replace("Z", "+00:00"))
        self.articles.append(Article(at, wire["id"], tuple(wire["symbols"]), wire))
        return wire

    def corrupt(self, news_id: int, *, drop: tuple[str, ...] = (), **fields: Any) -> dict:
        """Break a stored item's wire form: remove the ``drop`` fields, set ``fields``."""
        art = next(a for a in self.articles if a.id == news_id)
        for name in drop:
            art.wire.pop(name, None)
        art.wire.update(fields)
        return art.wire

    def publish(self, item: dict[str, Any]) -> int:
        """Push ``item`` to the websocket subscribers it concerns (see news_stream.py)."""
        return self.stream.publish(item)

    def drop_stream(self) -> int:
        return self.stream.drop()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{NEWS_PATH}"

    # ---- routing --------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("GET", NEWS_PATH, self._news)]

    async def _answer(
        self, request: web.Request, handler: Handler, rec: Recorded
    ) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.stream.handle(request)  # auth is in-band
        return await super()._answer(request, handler, rec)

    # ---- the REST endpoint ----------------------------------------------------------------
    def _matching(self, q: Any) -> list[Article]:
        syms: set[str] = set()
        if q.get("symbols"):
            syms = {s.strip().upper() for s in q["symbols"].split(",") if s.strip()}
        start = _parse_time(q["start"], "start") if q.get("start") else None
        end = _parse_time(q["end"], "end") if q.get("end") else self.now()
        if start is not None and end < start:
            raise ApiError(422, "end should not be before start")
        sort = q.get("sort", "desc")
        if sort not in ("asc", "desc"):
            raise ApiError(400, f"invalid sort: {sort}")
        hits = [
            a
            for a in self.articles
            if (not syms or syms & set(a.symbols))
            and (start is None or a.at >= start)
            and a.at <= end
            and (not _flag(q, "exclude_contentless") or a.wire.get("content"))
        ]
        return sorted(hits, key=lambda a: (a.at, a.id), reverse=sort == "desc")

    def _page(self, items: list[Article], q: Any) -> tuple[list[Article], str | None]:
        try:
            limit = int(q.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise ApiError(400, "invalid limit") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(400, f"invalid limit: must be between 1 and {MAX_LIMIT}")
        size = min(limit, self.page_size or limit)
        offset = 0
        if q.get("page_token"):
            try:
                wanted = json.loads(base64.urlsafe_b64decode(q["page_token"]))
                offset = next(i for i, a in enumerate(items) if a.id == wanted)
            except (ValueError, StopIteration):
                raise ApiError(400, "invalid page_token") from None
        page = items[offset : offset + size]
        rest = items[offset + size : offset + size + 1]
        token = base64.urlsafe_b64encode(json.dumps(rest[0].id).encode()).decode() if rest else None
        return page, token

    async def _news(self, request: web.Request) -> web.Response:
        q = request.query
        content = _flag(q, "include_content")
        page, token = self._page(self._matching(q), q)
        news = [a.wire if content else {**a.wire, "content": ""} for a in page]
        return web.json_response({"news": news, "next_page_token": token})
