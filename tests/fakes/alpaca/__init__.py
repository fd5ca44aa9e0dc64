"""Loopback Alpaca APIs that the real alpaca-py SDK talks to over HTTP.

``FakeAlpacaData`` serves the market data API v2 (stocks). The trading API (accounts, orders,
positions) is a separate host at Alpaca, so it belongs in its own server here too: subclass
``FakeAlpacaServer`` in ``trading_server.py``, list its routes in ``routes()``, and reuse the
auth check, recording (keys redacted), scripted faults and rate-limit headers of the base.
"""

from .base import ApiError, FakeAlpacaServer, Fault, Recorded, error_body
from .data_server import FakeAlpacaData, day_stamp, rfc3339

__all__ = [
    "ApiError",
    "FakeAlpacaData",
    "FakeAlpacaServer",
    "Fault",
    "Recorded",
    "day_stamp",
    "error_body",
    "rfc3339",
]
