"""A symbol's daily numbers the monitor needs (the ATR and the previous close), read from
the cached daily bars once per bar date."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from agents.data import DataAgent
from agents.errors import CotraderError
from services.indicators import atr

ATR_N = 14
TTL_S = 300.0  # daily numbers change once a day: re-read the bars at most this often


@dataclass(frozen=True, slots=True)
class Stats:
    atr: float | None
    prev_close: float | None


NONE = Stats(None, None)


class SymbolStats:
    def __init__(self, data: DataAgent) -> None:
        self.data = data
        self._cache: dict[str, tuple[object, Stats]] = {}
        self._fresh: dict[str, tuple[float, Stats]] = {}

    async def get(self, symbol: str) -> Stats:
        """The last completed day's ATR(14) and close (None where the bars cannot say)."""
        hit = self._fresh.get(symbol)
        if hit is not None and time.monotonic() - hit[0] < TTL_S:
            return hit[1]
        st = await self._read(symbol)
        self._fresh[symbol] = (time.monotonic(), st)
        return st

    async def _read(self, symbol: str) -> Stats:
        try:
            bars = await self.data.daily_bars(symbol)
        except CotraderError:
            return NONE
        if len(bars.close) == 0:
            return NONE
        key = bars.ts[-1]
        hit = self._cache.get(symbol)
        if hit is not None and hit[0] == key:
            return hit[1]
        close = float(bars.close[-1])
        a = None
        if len(bars.close) > ATR_N:
            v = float(np.asarray(atr(bars.high, bars.low, bars.close, ATR_N))[-1])
            a = v if math.isfinite(v) and v > 0 else None
        st = Stats(a, close if math.isfinite(close) and close > 0 else None)
        self._cache[symbol] = (key, st)
        return st
