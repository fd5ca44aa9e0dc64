"""alpaca-py's TradingClient with its own retry off, a timeout, pacing and typed failures.

The same arrangement as `transport.PacedClient` for the data API: the SDK's fixed 3 s retry
of 429/504 is switched off (this package's `Transport` retries reads instead, honouring the
venue's reset time), every request takes a slot from the shared `RateLimiter`, and SDK or
`requests` exceptions become `TradingHttpFailure` / `TransportFailure`, whose messages carry
the venue's error text only (never a header, so never a key). Answers are raw JSON
(``raw_data=True``): `trading_convert` checks them entry by entry.
"""

from __future__ import annotations

import json
from typing import Any

from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient

from brokers.alpaca.transport import HttpFailure, Paced


class TradingHttpFailure(HttpFailure):
    """An HTTP error from the trading API, with Alpaca's numeric error code when given."""

    def __init__(
        self, status: int, message: str, code: int | None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, message, retry_after)
        self.code = code

    @property
    def duplicate_client_id(self) -> bool:
        """422 "client_order_id must be unique": an order with this id already exists."""
        text = self.message.lower()
        return self.status == 422 and "client_order_id" in text and "unique" in text


def _parse_error(text: str) -> tuple[str, int | None]:
    code: int | None = None
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            if isinstance(body.get("code"), int):
                code = body["code"]
            if body.get("message"):
                text = str(body["message"])
    except (TypeError, ValueError):
        pass
    text = " ".join(str(text).split())
    return (text[:200] or "no message"), code


class PacedTradingClient(Paced, TradingClient):
    """TradingClient: raw JSON, no SDK retry, a per-request timeout, shared pacing."""

    def __init__(self, api_key: str, secret_key: str, *, paper: bool, **kw: Any) -> None:
        """`kw`: url_override and Paced's pacing arguments."""
        super().__init__(api_key, secret_key, paper=paper, raw_data=True, **kw)

    def _failure(self, e: APIError) -> TradingHttpFailure:
        status, wait = self._status_and_wait(e)
        message, code = _parse_error(self._scrub(str(e)))
        return TradingHttpFailure(status, message, code, wait)

    def get_order_by_client_id_nested(self, client_id: str) -> Any:
        """GET /v2/orders:by_client_order_id with ``nested=true`` (the SDK's own method
        cannot ask for a bracket's or an OCO's legs)."""
        query = {"client_order_id": client_id, "nested": True}
        return self.get("/orders:by_client_order_id", query)
