"""Calls into the synchronous alpaca-py client, off the event loop, paced, timed out, retried.

Retry policy (one layer only). alpaca-py 0.44's RESTClient retries 429 and 504 by itself: three
more attempts, a fixed 3 s apart, ignoring the venue's reset time. It reads no environment
variables for this (the ALPACA_RETRY_* / APCA_RETRY_* knobs belong to the older
alpaca-trade-api), and StockHistoricalDataClient does not expose the retry arguments, so
`PacedClient` sets the SDK's retry count to 0 and this module retries instead, with tenacity:
429 waits for Retry-After or X-RateLimit-Reset when the reply carries them (and pauses the
shared rate limiter so every other call waits too), 5xx, timeouts and dropped connections back
off exponentially with jitter; any other 4xx fails at once. Every HTTP request the SDK makes,
each page of a paginated answer included, first takes a slot from the shared RateLimiter.

The SDK runs on a small dedicated thread pool (not asyncio.to_thread's default executor): a
worker may block for its rate-limit slot, and that must not starve other users of the default
executor (DNS look-ups by aiohttp and discord.py run there).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from loguru import logger
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from brokers.alpaca.ratelimit import RateLimiter
from brokers.base import BrokerError, UnknownSymbolError


class HttpFailure(Exception):
    """The data API answered with an HTTP error (after any retries)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.attempts = 1

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500


class TransportFailure(Exception):
    """No usable answer: a timeout, a dropped connection or a malformed body."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.attempts = 1


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, HttpFailure | TransportFailure) and exc.transient


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the venue asked us to wait: Retry-After (seconds or HTTP date), else
    X-RateLimit-Reset (Unix seconds, Alpaca's header); None when neither is usable."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
                return max(0.0, (when.astimezone(UTC) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - now.timestamp())
        except ValueError:
            return None
    return None


def _body_message(text: str) -> str:
    """The `message` of an Alpaca JSON error body, else the (short) raw text."""
    try:
        body = json.loads(text)
        if isinstance(body, dict) and body.get("message"):
            text = str(body["message"])
    except (TypeError, ValueError):
        pass
    text = " ".join(str(text).split())
    return text[:200] or "no message"


class Paced:
    """Mixin for an alpaca-py REST client: its own retry off, a timeout on every request,
    every request (pages included) paced by the shared limiter, and failures turned into
    HttpFailure / TransportFailure. Subclasses may refine `_failure`."""

    _pacer: RateLimiter
    _timeout: float
    _clock: Callable[[], datetime]
    _thread_sleep: Callable[[float], None]
    _retry: int

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        limiter: RateLimiter,
        timeout: float,
        clock: Callable[[], datetime],
        thread_sleep: Callable[[float], None] = time.sleep,
        **sdk: Any,
    ) -> None:
        """The SDK client built with the keys and `sdk` (url_override, paper, raw_data...),
        then paced."""
        super().__init__(api_key=api_key, secret_key=secret_key, **sdk)  # type: ignore[call-arg]
        self._retry = 0  # one retry layer: ours (see the module docstring)
        self._pacer = limiter
        self._timeout = timeout
        self._clock = clock
        self._thread_sleep = thread_sleep

    def _one_request(self, method: str, url: str, opts: dict, retry: int) -> dict:
        self._pacer.wait(self._thread_sleep)
        try:
            sdk = super()._one_request  # type: ignore[misc]
            return sdk(method, url, {**opts, "timeout": self._timeout}, retry)  # type: ignore[no-any-return]
        except APIError as e:
            raise self._failure(e) from None
        except requests.exceptions.JSONDecodeError:
            raise TransportFailure("malformed reply (not JSON)", transient=False) from None
        except requests.Timeout:
            raise TransportFailure(f"no reply within {self._timeout:g}s", transient=True) from None
        except requests.ConnectionError:
            raise TransportFailure("connection failed", transient=True) from None

    def _status_and_wait(self, e: APIError) -> tuple[int, float | None]:
        """The HTTP status, and for a 429 the wait (which also pauses the shared limiter)."""
        response = e.response
        status = int(response.status_code) if response is not None else 0
        wait = None
        if status == 429 and response is not None:
            wait = retry_after_seconds(response.headers, self._clock())
            if wait is not None:
                self._pacer.pause(wait)
        return status, wait

    def _scrub(self, text: str) -> str:
        """`text` without the keys this client sends (a careless venue may echo them back):
        no error raised from here carries a secret, whoever logs or stores it."""
        for secret in (getattr(self, "_api_key", None), getattr(self, "_secret_key", None)):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _failure(self, e: APIError) -> HttpFailure:
        status, wait = self._status_and_wait(e)
        return HttpFailure(status, _body_message(self._scrub(str(e))), wait)


class PacedClient(Paced, StockHistoricalDataClient):
    """alpaca-py's stock data client, paced (see `Paced`)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry transient failures."""

    attempts: int = 4  # in all, the first included
    base_delay: float = 0.5  # exponential backoff: base * 2**(n-1), plus up to 25 % jitter
    max_delay: float = 20.0
    max_retry_after: float = 65.0  # a longer Retry-After is not waited for: fail instead

    def delay(self, exc: BaseException | None, attempt: int) -> float:
        if isinstance(exc, HttpFailure) and exc.retry_after is not None:
            return exc.retry_after
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff * (1 + 0.25 * random.random())


class Transport:
    """Runs SDK calls on worker threads with a concurrency cap and the retry policy."""

    def __init__(
        self,
        *,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._sem = asyncio.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="alpaca-data")
        self.calls = 0

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.policy.delay(exc, state.attempt_number)

    def _retry_allowed(self, exc: BaseException) -> bool:
        if not _is_transient(exc):
            return False
        wait = getattr(exc, "retry_after", None)
        return wait is None or wait <= self.policy.max_retry_after

    @staticmethod
    def _log_retry(what: str) -> Callable[[RetryCallState], None]:
        def log(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.warning(
                "alpaca data: {} failed ({}); retry {} in {:.1f}s",
                what,
                exc,
                state.attempt_number,
                state.upcoming_sleep,
            )

        return log

    async def call[R](self, what: str, fn: Callable[[], R]) -> R:
        """`fn()` on a worker thread; raises HttpFailure or TransportFailure when it gives up."""
        loop = asyncio.get_running_loop()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._retry_allowed),
            sleep=self._sleep,
            before_sleep=self._log_retry(what),
            reraise=True,
        )
        attempt = 0
        try:
            async for state in retrying:
                with state:
                    attempt = state.retry_state.attempt_number
                    async with self._sem:
                        self.calls += 1
                        return await loop.run_in_executor(self._pool, _guarded, fn)
        except (HttpFailure, TransportFailure) as e:
            e.attempts = attempt
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _guarded[R](fn: Callable[[], R]) -> R:
    """Run `fn`; SDK parsing errors on a 200 reply become a non-retried TransportFailure."""
    try:
        return fn()
    except ValidationError:
        raise TransportFailure("malformed reply (fields missing or wrong)", False) from None
    except (KeyError, TypeError, ValueError) as e:
        raise TransportFailure(f"malformed reply ({type(e).__name__})", False) from None


_SYMBOL_IN_MESSAGE = re.compile(r"symbol", re.IGNORECASE)


def data_error(
    e: HttpFailure | TransportFailure, what: str, single: str | None, service: str, feed: str
) -> Exception:
    """A data request's final failure as the user reads it: `service` ("Alpaca market
    data", "Alpaca options") and what it was; UnknownSymbolError when the venue refused the
    one symbol asked (`single`); a hint to the keys and `feed` on 401/403."""
    tries = f" after {e.attempts} attempts" if e.attempts > 1 else ""
    if isinstance(e, TransportFailure):
        return BrokerError(f"{service}: {what}: {e.message}{tries}")
    if e.status in (401, 403):
        return BrokerError(
            f"{service} refused {what} (HTTP {e.status}: {e.message}); check "
            f"APCA_API_KEY_ID / APCA_API_SECRET_KEY and the feed ({feed})"
        )
    if single and e.status in (400, 404, 422) and _SYMBOL_IN_MESSAGE.search(e.message):
        return UnknownSymbolError(single)
    if e.status == 429:
        return BrokerError(f"{service} rate limit: {what} still refused{tries}")
    return BrokerError(f"{service}: {what} failed (HTTP {e.status}: {e.message}){tries}")
