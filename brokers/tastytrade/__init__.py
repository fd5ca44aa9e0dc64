"""Tastytrade adapter (equities, equity options of 1-4 legs) over the official tastytrade SDK."""

from brokers.tastytrade.broker import TastytradeBroker
from brokers.tastytrade.convert import BrokerDataError, DryRunResult
from brokers.tastytrade.transport import RetryPolicy

__all__ = ["BrokerDataError", "DryRunResult", "RetryPolicy", "TastytradeBroker"]
