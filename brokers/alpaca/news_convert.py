"""Alpaca news items (REST ``/v1beta1/news`` and the news websocket) as our Headlines.

Both carry the same fields: ``id`` (a number), ``headline``, ``summary``, ``author``,
``created_at`` / ``updated_at`` (RFC 3339), ``url``, ``symbols``, ``source`` and ``content``
(the REST answer adds ``images``). An item without an id or headline, with a time that is
no RFC 3339 instant, or with symbols that are no list is refused (`BadNewsItem`); texts
too long for a Headline are cut, never refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from alpaca.common.enums import BaseURL

from brokers.base import BrokerError
from models.news import Headline

NEWS_PATH = "/v1beta1/news"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{0,15}$")
_SOURCE = re.compile(r"^[A-Za-z0-9 ._-]{1,100}$")
_SPACE = re.compile(r"\s+")


class BadNewsItem(ValueError):
    """A news item we cannot use; the text names the field, never its (venue) content."""


def news_id(raw: dict[str, Any]) -> str:
    """The item's id as text ("24843171"); BadNewsItem when missing or not an id."""
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadNewsItem("missing or malformed field 'id'")
    text = str(value).strip()
    if not _ID.match(text):
        raise BadNewsItem("missing or malformed field 'id'")
    return text


def _text(raw: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise BadNewsItem(f"missing field {name!r}")
        return ""
    if not isinstance(value, str):
        raise BadNewsItem(f"field {name!r} is not text")
    text = _SPACE.sub(" ", value).strip()
    if required and not text:
        raise BadNewsItem(f"missing field {name!r}")
    return text[:limit]


def instant(value: Any, name: str = "created_at") -> datetime:
    """An RFC 3339 instant (date, time and offset) in UTC; BadNewsItem otherwise."""
    if not isinstance(value, str) or "T" not in value.upper():
        raise BadNewsItem(f"field {name!r} is not an RFC 3339 time")
    try:
        ts = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadNewsItem(f"field {name!r} is not an RFC 3339 time") from None
    if ts.tzinfo is None:
        raise BadNewsItem(f"field {name!r} has no UTC offset")
    return ts.astimezone(UTC)


def _symbols(raw: dict[str, Any]) -> tuple[str, ...]:
    value = raw.get("symbols")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadNewsItem("field 'symbols' is not a list")
    out = (s.strip().upper() for s in value if isinstance(s, str))
    return tuple(dict.fromkeys(s for s in out if _SYMBOL.match(s)))


def _url(raw: dict[str, Any]) -> str:
    url = _text(raw, "url", 4000)
    scheme = urlsplit(url).scheme.lower() if url else ""
    return url if scheme in ("http", "https") and len(url) <= 2000 else ""


def headline_from_wire(raw: Any) -> Headline:
    """One Alpaca news item as a Headline (id "alpaca:<id>"); BadNewsItem when unusable."""
    if not isinstance(raw, dict):
        raise BadNewsItem("not a JSON object")
    source = _text(raw, "source", 100)
    return Headline(
        id=f"alpaca:{news_id(raw)}",
        source=source.lower() if _SOURCE.match(source) else "alpaca",
        headline=_text(raw, "headline", 1000, required=True),
        summary=_text(raw, "summary", 4000),
        url=_url(raw),
        author=_text(raw, "author", 200),
        symbols=_symbols(raw),
        created_at=instant(raw.get("created_at")),
        simulated=False,
    )


def shown_id(raw: Any) -> str:
    """The item's id for a bad-data line ("" when it has no usable one)."""
    try:
        return news_id(raw) if isinstance(raw, dict) else ""
    except BadNewsItem:
        return ""


def news_stream_url(data_url: str | None = None) -> str:
    """The news websocket for a data REST base URL. Alpaca's own data hosts
    (data[.sandbox].alpaca.markets) stream from ``stream.`` + that host, as alpaca-py's
    default; any other host (a proxy, the loopback fake) serves it on the same host:
    http -> ws, https -> wss, path + ``/v1beta1/news``. A ws(s) URL is taken as it is."""
    default = BaseURL.MARKET_DATA_STREAM.value + NEWS_PATH
    if not data_url:
        return default
    parts = urlsplit(data_url.strip())
    if parts.scheme in ("ws", "wss"):
        return data_url.strip()
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    host = parts.hostname or ""
    if scheme is None or not host:
        raise BrokerError(f"Alpaca data URL needs http(s)://host, got scheme {parts.scheme!r}")
    domain = (urlsplit(BaseURL.DATA.value).hostname or "").removeprefix("data.")
    netloc = parts.netloc
    if host.startswith("data.") and host.endswith("." + domain):
        netloc = "stream." + netloc
    return urlunsplit((scheme, netloc, parts.path.rstrip("/") + NEWS_PATH, "", ""))
