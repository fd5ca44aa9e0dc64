"""Loopback Tastytrade REST API that the real tastytrade SDK (v13, OAuth) talks to over HTTP."""

from .server import REDACTED, FakeTastytrade, Fault, Recorded

__all__ = ["REDACTED", "FakeTastytrade", "Fault", "Recorded"]
