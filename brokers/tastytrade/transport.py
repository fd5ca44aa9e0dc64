"""The HTTP side of the Tastytrade adapter: the SDK session, status capture and the retry policy.

The SDK (v13) turns every non-2xx reply into a bare `TastytradeError` without the status, and
never retries. So a response hook on its httpx client raises `HttpStatus` (status, the venue's
message, Retry-After) before the SDK looks, and `Transport.read` retries what is safe to retry:
429 waits for Retry-After (up to a cap), 5xx / timeouts / dropped connections back off
exponentially with jitter, a 401 forces one OAuth refresh; other 4xx fail at once. Writes are
not retried here: the broker decides, because a timed-out order may exist.

Secrets (provider secret, refresh token, access tokens) live only in the SDK session; every
message that leaves this module goes through `Transport.scrub`.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from loguru import logger
from pydantic import ValidationError
from tastytrade import Session
from tastytrade.utils import TastytradeError

from brokers.base import BrokerError
from brokers.tastytrade.convert import BrokerDataError, describe


class HttpStatus(Exception):
    """A non-2xx reply, seen before the SDK parses it."""

    def __init__(self, status: int, message: str, retry_after: float | None, path: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.path = path
        self.status = status
        self.message = message
        self.retry_after = retry_after

    @property
    def login(self) -> bool:
        return self.path.endswith("/oauth/token")

    @property
    def transient(self) -> bool:
        if self.login:
            return self.status == 429 or self.status >= 500
        return self.status in (401, 429) or self.status >= 500


def _message(text: str) -> str:
    """The venue's error message(s) from Tastytrade's {"error": {...}} body, else short text."""
    try:
        body = json.loads(text)
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            parts = [err.get("message") or err.get("code") or ""]
            parts += [e.get("message", "") for e in err.get("errors") or [] if isinstance(e, dict)]
            text = ": ".join(p for p in parts if p)
        elif isinstance(err, str):
            text = f"{err} {body.get('error_description', '')}"
    except (TypeError, ValueError, AttributeError):
        pass
    return " ".join(str(text).split())[:200] or "no message"


async def _raise_for_status(response: httpx2.Response) -> None:
    if response.status_code < 400:
        return
    await response.aread()
    wait = None
    if response.status_code == 429:
        try:
            wait = max(0.0, float(response.headers.get("Retry-After", "")))
        except ValueError:
            wait = None
    path = response.request.url.path
    raise HttpStatus(response.status_code, _message(response.text), wait, path)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # in all, the first included
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 65.0  # a longer Retry-After fails instead of waiting

    def backoff(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * (
            1 + 0.25 * random.random()
        )


# Failures after which a request may or may not have reached the venue.
UNSENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
UNKNOWN = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


class Transport:
    """Owns the SDK session (pointed at `api_base` when given) and the retry policy."""

    def __init__(
        self,
        provider_secret: str,
        refresh_token: str,
        *,
        api_base: str | None = None,
        is_test: bool = False,
        timeout: float = 10.0,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if not provider_secret or not refresh_token:
            raise BrokerError("Tastytrade needs TT_SECRET and TT_REFRESH")
        self.session = Session(
            provider_secret,
            refresh_token,
            is_test=is_test,
            timeout=timeout,
            event_hooks={"response": [_raise_for_status]},
        )
        if api_base:
            self.session._client.base_url = api_base.rstrip("/")
        self._secrets = (provider_secret, refresh_token)
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def scrub(self, text: str) -> str:
        """`text` with every secret and the current access token blanked out."""
        for s in (*self._secrets, self.session.session_token):
            if s and len(s) >= 6:
                text = text.replace(s, "***")
        return text

    def error(self, what: str, e: BaseException) -> BrokerError:
        """A user-safe BrokerError for a failure that is not retried further."""
        if isinstance(e, BrokerError):
            return BrokerError(self.scrub(str(e))) if not isinstance(e, BrokerDataError) else e
        if isinstance(e, HttpStatus):
            if e.login and e.status < 500:
                return BrokerError(
                    f"Tastytrade login failed (HTTP {e.status}); check TT_SECRET/TT_REFRESH"
                )
            return BrokerError(self.scrub(f"Tastytrade {what} failed: HTTP {e.status} {e.message}"))
        if isinstance(e, ValidationError):
            return BrokerDataError(f"Tastytrade {what}: malformed reply ({describe(e)})")
        if isinstance(e, TastytradeError | KeyError | TypeError | ValueError):
            return BrokerDataError(f"Tastytrade {what}: malformed reply ({type(e).__name__})")
        if isinstance(e, httpx2.TimeoutException):
            return BrokerError(f"Tastytrade {what}: no reply in time")
        if isinstance(e, httpx2.HTTPError):
            return BrokerError(f"Tastytrade {what}: connection failed ({type(e).__name__})")
        return BrokerError(f"Tastytrade {what} failed ({type(e).__name__})")

    async def reauth(self) -> None:
        """Force a fresh OAuth access token (after a 401)."""
        await self.session.refresh(force=True)

    def retry_delay(self, e: BaseException, attempt: int) -> float | None:
        """Seconds to wait before another attempt, or None when it must not be retried."""
        if isinstance(e, HttpStatus):
            if not e.transient:
                return None
            if e.status == 429 and e.retry_after is not None:
                return e.retry_after if e.retry_after <= self.policy.max_retry_after else None
            return 0.0 if e.status == 401 else self.policy.backoff(attempt)
        if isinstance(e, httpx2.TransportError):
            return self.policy.backoff(attempt)
        return None

    async def read[R](self, what: str, fn: Callable[[], Awaitable[R]]) -> R:
        """`await fn()` with retries; raises a user-safe BrokerError when it gives up."""
        reauthed = False
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return await fn()
            except (HttpStatus, httpx2.HTTPError, ValidationError, TastytradeError) as e:
                delay = self.retry_delay(e, attempt)
                if isinstance(e, HttpStatus) and e.status == 401 and not e.login:
                    if reauthed:
                        delay = None
                    reauthed = True
                if delay is None or attempt == self.policy.attempts:
                    raise self.error(what, e) from None
                logger.warning(
                    "tastytrade: {} failed ({}); retry {} in {:.1f}s",
                    what,
                    self.scrub(str(e)) or type(e).__name__,
                    attempt,
                    delay,
                )
                if isinstance(e, HttpStatus) and e.status == 401 and not e.login:
                    await self.read("login", self.reauth)
                await self.sleep(delay)
            except (KeyError, TypeError, ValueError) as e:
                raise self.error(what, e) from None
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.session._client.aclose()
