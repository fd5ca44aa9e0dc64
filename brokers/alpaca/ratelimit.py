"""A thread-safe token bucket shared by every call to one Alpaca account.

Alpaca allows 200 requests a minute per account (free plan). A bucket of `burst` tokens that
refills at `per_minute` a minute lets through at most ``burst + per_minute * w / 60`` requests in
any window of ``w`` seconds, so the defaults (190/min, burst 10) never exceed 200 in any minute.

Callers *reserve* a slot (the bucket may go negative; the caller is told how long to wait
before sending), which keeps the arithmetic pure: tests drive it with an injected clock and
never sleep. `pause()` holds every caller back after a 429 until the venue's reset time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Reservations against a token bucket; `reserve()` says how long to wait before sending.

    Implemented as GCRA (the virtual-scheduling form of a token bucket): each grant moves a
    theoretical arrival time on by one interval, and a request may go at most `burst - 1`
    intervals ahead of it. Grants are spaced even when many callers queue at once.
    """

    def __init__(
        self,
        per_minute: float = 190.0,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self._interval = 60.0 / per_minute
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = clock()  # theoretical arrival time of the next conforming request
        self._not_before = self._tat
        self.granted = 0
        self.waited = 0.0  # total seconds callers were told to wait (for benchmarks)

    def reserve(self) -> float:
        """Take one slot; return the seconds to wait before using it (0.0 when free now)."""
        with self._lock:
            now = self._clock()
            at = max(now, self._not_before, self._tat - self._tolerance)
            self._tat = max(self._tat, at) + self._interval
            self.granted += 1
            self.waited += at - now
            return at - now

    def pause(self, seconds: float) -> None:
        """Hold every caller back for `seconds` from now (the venue said it is rate limiting)."""
        if seconds <= 0:
            return
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Reserve a slot and block the calling thread until it is due; returns the wait."""
        delay = self.reserve()
        if delay > 0:
            sleep(delay)
        return delay
