"""A deterministic market simulator: synthetic daily history, an always-open session, live tape.

Daily values depend only on (seed, symbol, history_days); dates are attached afterwards. The
simulated session is open whenever the program runs: each real day (America/New_York) is
squeezed linearly onto the 390-minute 09:30–16:00 session of the sim date.

Shocks (`/sim shock`) move a symbol from a moment on. With a store attached they are rows of
`sim_shocks` (each with its `sim.shock` event, in one transaction), so every process on the
database prices the same market: a quote re-reads them when the table changed (one cheap
query at most every `shock_poll_s`).
"""

from __future__ import annotations

import bisect
import math
import time as _time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import col, select

from brokers.base import UnknownSymbolError
from brokers.sim.universe import DEFAULT_UNIVERSE, SimSpec
from models.audit import event_row
from models.domain import Bars, Instrument, Quote
from models.sim_tables import SimShock
from models.store import Store

NY = ZoneInfo("America/New_York")
SESSION_MINUTES = 390
_OPEN = time(9, 30)
_CLOSE = time(16, 0)
_DAY_SECONDS = 86_400.0
_YEAR = 252

# Markov volatility regimes (calm / normal / turbulent), rescaled so E[mult^2] = 1.
_REGIME_P = np.array([[0.975, 0.025, 0.0], [0.02, 0.965, 0.015], [0.0, 0.08, 0.92]])
_REGIME_PI = np.linalg.matrix_power(_REGIME_P, 4096)[0]  # the stationary distribution
_RAW_MULT = np.array([0.65, 1.0, 1.8])
_REGIME_MULT = _RAW_MULT / math.sqrt(float(_REGIME_PI @ _RAW_MULT**2))
_JUMP_P, _JUMP_MEAN, _JUMP_SD = 0.01, -0.5, 3.0  # jump sizes in daily-sigma units
_DIFFUSION = math.sqrt(1.0 - _JUMP_P * (_JUMP_MEAN**2 + _JUMP_SD**2))

# Intraday shape: U-shaped variance and volume over the session (weights sum to 1).
_X = (np.arange(SESSION_MINUTES) + 0.5) / SESSION_MINUTES
_VAR_PROFILE = 1.0 + 1.5 * (2 * _X - 1) ** 2
_MINUTE_SD = np.sqrt(_VAR_PROFILE / _VAR_PROFILE.sum())
_VOL_PROFILE = 0.5 + 2.0 * (2 * _X - 1) ** 2
_VOL_PROFILE /= _VOL_PROFILE.sum()


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def session_position(real: datetime) -> tuple[date, float]:
    """Map a real moment to (sim date, session minute in [0, 390))."""
    if real.tzinfo is None:
        real = real.replace(tzinfo=UTC)
    et = real.astimezone(NY)
    day = et.date()
    if day.weekday() >= 5:
        day -= timedelta(days=day.weekday() - 4)
    secs = et.hour * 3600 + et.minute * 60 + et.second + et.microsecond / 1e6
    return day, secs / _DAY_SECONDS * SESSION_MINUTES


def sim_datetime(day: date, minute: float) -> datetime:
    """The aware UTC moment `minute` minutes after 09:30 ET on `day`."""
    start = datetime.combine(day, _OPEN, tzinfo=NY).astimezone(UTC)
    return start + timedelta(minutes=minute)


def _regimes(rng: np.random.Generator, n: int) -> np.ndarray:
    """A persistent 3-state Markov chain, simulated sojourn by sojourn (not day by day)."""
    u = rng.random((2, n + 1)).tolist()
    log_stay = np.log(np.diag(_REGIME_P)).tolist()
    cum_pi = np.cumsum(_REGIME_PI).tolist()
    out = np.empty(n, dtype=np.intp)
    state, i, j = sum(u[0][n] > c for c in cum_pi[:-1]), 0, 0
    while i < n:
        stay = 1 + int(math.log(1.0 - u[0][j]) / log_stay[state])  # geometric sojourn
        out[i : i + stay] = state
        i += stay
        a, b = [s for s in range(3) if s != state]
        p_a = _REGIME_P[state, a] / (1.0 - _REGIME_P[state, state])
        state, j = (a if u[1][j] < p_a else b), j + 1
    return out


def _bars(symbol: str, ts: list[datetime], cols: Sequence[np.ndarray]) -> Bars:
    fields = ("open", "high", "low", "close", "volume")
    return Bars(symbol=symbol, ts=ts, **{f: c.tolist() for f, c in zip(fields, cols, strict=True)})


@dataclass(frozen=True, slots=True)
class _History:
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    sigma_mult: float  # the volatility multiplier of the last (current) regime
    mult_path: np.ndarray  # the volatility multiplier of each day's regime


@dataclass(frozen=True, slots=True)
class _Tape:
    prices: list[float]  # 391 points: the open, then the close of each minute
    array: np.ndarray
    cumvol: np.ndarray  # cumulative volume at each point (391)
    bid_sizes: list[int]
    ask_sizes: list[int]


class SimMarket:
    """Simulated MarketData: deterministic for a seed, always open, prices move continuously."""

    name = "sim"
    simulated = True

    def __init__(
        self,
        seed: int = 42,
        clock: Callable[[], datetime] | None = None,
        history_days: int = 756,
        specs: Sequence[SimSpec] = DEFAULT_UNIVERSE,
        store: Store | None = None,
        shock_poll_s: float = 0.2,
    ) -> None:
        if history_days < 2:
            raise ValueError("history_days must be at least 2")
        self.seed = seed
        self.history_days = history_days
        self._clock = clock or (lambda: datetime.now(UTC))
        self._specs = {s.symbol.upper(): replace(s, symbol=s.symbol.upper()) for s in specs}
        self._instruments = {
            key: Instrument(symbol=key, name=s.name, sector=s.sector, is_etf=s.is_etf)
            for key, s in self._specs.items()
        }
        self._market: tuple[np.ndarray, np.ndarray] | None = None
        self._histories: dict[str, _History] = {}
        self._tapes: dict[str, _Tape] = {}
        self._tape_day: date | None = None
        self._daily_ts: tuple[date, list[datetime]] | None = None
        self._shocks: dict[str, list[tuple[datetime, float]]] = {}
        self._store = store
        self.shock_poll_s = shock_poll_s
        self._shocks_seen: tuple[int, int] | None = None  # (max id, count) last loaded
        self._shocks_checked = -math.inf  # monotonic time of the last look at the table

    # ------------------------------------------------------------------ clock and universe

    def _real(self) -> datetime:
        real = self._clock()
        return real.replace(tzinfo=UTC) if real.tzinfo is None else real

    def real_now(self) -> datetime:
        """The desk's own clock (UTC), which the simulated session maps onto."""
        return self._real()

    def now(self) -> datetime:
        """The simulated time (aware UTC), always inside the 09:30–16:00 ET session."""
        return sim_datetime(*session_position(self._real()))

    def sim_date(self) -> date:
        """The simulated trading date (a weekday)."""
        return session_position(self._real())[0]

    def session_minute(self) -> float:
        """Minutes since the simulated 09:30 open, in [0, 390)."""
        return session_position(self._real())[1]

    def is_open(self, ts: datetime | None = None) -> bool:
        """The simulated session is always open."""
        return True

    def universe(self) -> list[Instrument]:
        """Every simulated instrument."""
        return list(self._instruments.values())

    def has(self, symbol: str) -> bool:
        return symbol.upper() in self._specs

    def instrument(self, symbol: str) -> Instrument:
        """The instrument for `symbol`; raises UnknownSymbolError."""
        return self._instruments[self._spec(symbol).symbol]

    def _spec(self, symbol: str) -> SimSpec:
        spec = self._specs.get(symbol.upper())
        if spec is None:
            raise UnknownSymbolError(symbol)
        return spec

    def spec(self, symbol: str) -> SimSpec:
        """The parameters of `symbol`; raises UnknownSymbolError."""
        return self._spec(symbol)

    def regime_path(self, symbol: str) -> tuple[list[date], np.ndarray]:
        """The dates of the daily history and the volatility multiplier of each day's regime
        (1 = the symbol's long-run vol): what the simulated option surface is built from."""
        spec = self._spec(symbol)
        days = [t.astimezone(NY).date() for t in self._timestamps(self.sim_date())]
        return days, self._history(spec).mult_path

    # ------------------------------------------------------------------ daily history

    def _market_factor(self) -> tuple[np.ndarray, np.ndarray]:
        """Common market shocks (unit variance on average) and their regime multipliers."""
        if self._market is None:
            rng = np.random.default_rng([_crc(f"{self.seed}:__market__"), 0])
            mult = _REGIME_MULT[_regimes(rng, self.history_days)]
            self._market = (mult * rng.standard_normal(self.history_days), mult)
        return self._market

    def _history(self, spec: SimSpec) -> _History:
        if spec.symbol not in self._histories:
            self._histories[spec.symbol] = self._generate(spec)
        return self._histories[spec.symbol]

    def _generate(self, spec: SimSpec) -> _History:
        n, sd = self.history_days, spec.vol / math.sqrt(_YEAR)
        mkt_shock, mkt_mult = self._market_factor()
        rng = np.random.default_rng([_crc(f"{self.seed}:{spec.symbol}"), 0])
        mult = _REGIME_MULT[_regimes(rng, n)]
        rho = spec.market_corr
        idio = math.sqrt(max(0.0, 1.0 - rho * rho))
        m_eff = np.sqrt((rho * mkt_mult) ** 2 + (idio * mult) ** 2)
        shock = rho * mkt_shock + idio * mult * rng.standard_normal(n)
        jumps = (rng.random(n) < _JUMP_P) * rng.normal(_JUMP_MEAN, _JUMP_SD, n)
        jumps = (jumps - _JUMP_P * _JUMP_MEAN) * m_eff
        r = (spec.drift - 0.5 * spec.vol**2) / _YEAR + sd * (_DIFFUSION * shock + jumps)
        log_close = math.log(spec.price) + np.cumsum(r) - r.sum()  # anchor the last close
        gap = 0.35 * r + 0.2 * sd * m_eff * rng.standard_normal(n)
        close, open_ = np.exp(log_close), np.exp(log_close - r + gap)
        wick = 0.5 * sd * m_eff * np.abs(rng.standard_normal((2, n)))
        high = np.maximum(open_, close) * np.exp(wick[0])
        low = np.minimum(open_, close) * np.exp(-wick[1])
        noise = np.exp(0.3 * rng.standard_normal(n) - 0.045)
        volume = np.round(spec.avg_volume * noise * (0.6 + 0.5 * np.abs(r) / sd))
        cents = [np.maximum(np.round(a, 2), 0.01) for a in (open_, high, low, close)]
        return _History(*cents, volume=volume, sigma_mult=float(m_eff[-1]), mult_path=m_eff)

    def _timestamps(self, day: date) -> list[datetime]:
        """16:00 ET of each of the `history_days` weekdays strictly before `day`, in UTC."""
        if self._daily_ts is None or self._daily_ts[0] != day:
            last = np.busday_offset(np.datetime64(day, "D"), -1, roll="backward")
            days = np.busday_offset(last, np.arange(1 - self.history_days, 1))
            stamps = [
                datetime.combine(d, _CLOSE, tzinfo=NY).astimezone(UTC) for d in days.astype(object)
            ]
            self._daily_ts = (day, stamps)
        return self._daily_ts[1]

    # ------------------------------------------------------------------ intraday tape

    def _tape(self, spec: SimSpec, day: date) -> _Tape:
        if self._tape_day != day:
            self._tapes, self._tape_day = {}, day
        if spec.symbol not in self._tapes:
            self._tapes[spec.symbol] = self._make_tape(spec, day)
        return self._tapes[spec.symbol]

    def _make_tape(self, spec: SimSpec, day: date) -> _Tape:
        hist, ordinal = self._history(spec), day.toordinal()
        rng = np.random.default_rng([_crc(f"{self.seed}:{spec.symbol}"), 1, ordinal])
        mrng = np.random.default_rng([_crc(f"{self.seed}:__market__"), 1, ordinal])
        rho = spec.market_corr
        idio = math.sqrt(max(0.0, 1.0 - rho * rho))
        points = SESSION_MINUTES + 1
        e = rho * mrng.standard_normal(points) + idio * rng.standard_normal(points)
        sd_day = spec.vol / math.sqrt(_YEAR) * hist.sigma_mult
        drift = (spec.drift - 0.5 * spec.vol**2) / _YEAR / SESSION_MINUTES
        steps = sd_day * _MINUTE_SD * e[1:] + drift
        gap = 0.3 * sd_day * e[0]
        path = math.log(float(hist.close[-1])) + gap + np.concatenate(([0.0], np.cumsum(steps)))
        prices = np.exp(path)
        noise = np.exp(0.4 * rng.standard_normal(SESSION_MINUTES) - 0.08)
        minute_vol = spec.avg_volume * _VOL_PROFILE * noise * (0.7 + 0.375 * np.abs(e[1:]))
        sizes = rng.integers(1, 31, size=(2, SESSION_MINUTES)) * 100
        return _Tape(
            prices=prices.tolist(),
            array=prices,
            cumvol=np.concatenate(([0.0], np.cumsum(minute_vol))),
            bid_sizes=sizes[0].tolist(),
            ask_sizes=sizes[1].tolist(),
        )

    # ------------------------------------------------------------------ shocks

    def shock(
        self,
        symbol: str,
        pct: float,
        actor: str = "system:sim",
        context: dict[str, Any] | None = None,
    ) -> datetime:
        """From now on, multiply every price of `symbol` by (1 + pct/100) (cumulative); the
        moment it applies from. With a store the shock is stored, with its `sim.shock` event
        (by `actor`, with `context`), in one transaction."""
        spec = self._spec(symbol)
        factor = 1.0 + pct / 100.0
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError("a shock cannot take the price to zero or below")
        at = self._real()
        if self._store is None:
            self._shocks.setdefault(spec.symbol, []).append((at, factor))
            return at
        ctx = {"symbol": spec.symbol, "pct": pct, **(context or {})}
        with self._store.session(write=True) as s:
            s.add(SimShock(symbol=spec.symbol, pct=pct, at=at, by=actor))
            s.add(event_row("sim.shock", actor, context=ctx))
            s.commit()
        self._sync_shocks(force=True)
        return at

    def clear_shocks(self) -> None:
        """Undo every shock (stored ones too)."""
        self._shocks.clear()
        if self._store is not None:
            with self._store.session(write=True) as s:
                s.exec(delete(SimShock))  # type: ignore[call-overload]
                s.add(event_row("sim.shocks_cleared", "system:sim"))
                s.commit()
            self._sync_shocks(force=True)

    def _sync_shocks(self, force: bool = False) -> None:
        """Re-read the stored shocks when the table changed (any process may have written
        one); the check is one aggregate query, at most every `shock_poll_s`."""
        if self._store is None:
            return
        now = _time.monotonic()
        if not force and now - self._shocks_checked < self.shock_poll_s:
            return
        self._shocks_checked = now
        with self._store.session() as s:
            top, n = s.exec(select(func.max(SimShock.id), func.count(col(SimShock.id)))).one()
            seen = (int(top or 0), int(n))
            if seen == self._shocks_seen:
                return
            rows = s.exec(select(SimShock).order_by(col(SimShock.id))).all()
        shocks: dict[str, list[tuple[datetime, float]]] = {}
        for r in rows:
            shocks.setdefault(r.symbol, []).append((r.at, 1.0 + r.pct / 100.0))
        self._shocks, self._shocks_seen = shocks, seen

    def shocks_of(self, symbol: str) -> list[tuple[datetime, float]]:
        """The shocks applied to `symbol` so far: (when, percent), oldest first."""
        self._sync_shocks()
        spec = self._spec(symbol)
        return [(t, (f - 1.0) * 100.0) for t, f in self._shocks.get(spec.symbol, [])]

    def _factor(self, key: str, real: datetime) -> float:
        shocks = self._shocks.get(key)
        if not shocks:
            return 1.0
        return math.prod(f for t, f in shocks if t <= real)

    def _point_factors(self, key: str, real: datetime, count: int) -> np.ndarray:
        """Shock multipliers for today's first `count` tape points (by their real times)."""
        out = np.ones(count)
        today = real.astimezone(NY).date()
        point_secs = np.arange(count) * (_DAY_SECONDS / SESSION_MINUTES)
        for t, f in self._shocks.get(key, ()):
            et = t.astimezone(NY)
            if et.date() < today:
                out *= f
            elif et.date() == today:
                secs = et.hour * 3600 + et.minute * 60 + et.second + et.microsecond / 1e6
                out[point_secs >= secs] *= f
        return out

    # ------------------------------------------------------------------ MarketData

    def _quote(self, spec: SimSpec, real: datetime, day: date, minute: float) -> Quote:
        tape, key = self._tape(spec, day), spec.symbol
        k = int(minute)
        p0, p1 = tape.prices[k], tape.prices[k + 1]
        price = (p0 + (p1 - p0) * (minute - k)) * self._factor(key, real)
        last = max(1, round(price * 100))
        spread = max(1, round(price * spec.spread_bps / 100))
        bid = max(1, last - spread // 2)
        return Quote(
            symbol=key,
            bid=bid / 100,
            ask=(bid + spread) / 100,
            last=last / 100,
            bid_size=tape.bid_sizes[k],
            ask_size=tape.ask_sizes[k],
            ts=sim_datetime(day, minute),
            simulated=True,
        )

    async def quote(self, symbol: str) -> Quote:
        """The current simulated quote; raises UnknownSymbolError."""
        spec = self._spec(symbol)
        self._sync_shocks()
        real = self._real()
        return self._quote(spec, real, *session_position(real))

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quotes keyed by upper-case symbol; unknown symbols are left out."""
        self._sync_shocks()
        real = self._real()
        day, minute = session_position(real)
        out: dict[str, Quote] = {}
        for symbol in symbols:
            spec = self._specs.get(symbol.upper())
            if spec is not None:
                out[spec.symbol] = self._quote(spec, real, day, minute)
        return out

    def close_on(self, symbol: str, day: date) -> float | None:
        """The price of `symbol` at the 16:00 ET close of `day` as the market shows it now:
        the sim date's tape at its close (shocks so far included), or a past day's daily bar
        (the last one on or before `day`); None for a later day or one before the history."""
        spec, today = self._spec(symbol), self.sim_date()
        if day > today:
            return None
        if day == today:
            self._sync_shocks()
            close = self._tape(spec, today).prices[-1] * self._factor(spec.symbol, self._real())
            return max(0.01, round(close, 2))
        days = [t.astimezone(NY).date() for t in self._timestamps(today)]
        i = bisect.bisect_right(days, day) - 1
        return float(self._history(spec).close[i]) if i >= 0 else None

    async def daily_bars(self, symbol: str, limit: int = 300) -> Bars:
        """The last `limit` completed daily bars (ending the weekday before the sim date)."""
        if limit < 1:
            raise ValueError("limit must be positive")
        spec = self._spec(symbol)
        hist, n = self._history(spec), min(limit, self.history_days)
        stamps = self._timestamps(self.sim_date())
        cols = (hist.open, hist.high, hist.low, hist.close, hist.volume)
        return _bars(spec.symbol, stamps[-n:], [c[-n:] for c in cols])

    async def intraday_bars(self, symbol: str, minutes: int = 5, limit: int = 78) -> Bars:
        """Today's bars so far at `minutes` resolution; the last one is partial up to now."""
        if minutes < 1 or limit < 1:
            raise ValueError("minutes and limit must be positive")
        spec = self._spec(symbol)
        self._sync_shocks()
        real = self._real()
        key, (day, m) = spec.symbol, session_position(real)
        tape, k = self._tape(spec, day), int(m)
        now_price = float(np.interp(m, (k, k + 1), tape.array[k : k + 2]))
        pts = np.append(tape.array[: k + 1], now_price) * np.append(
            self._point_factors(key, real, k + 1), self._factor(key, real)
        )
        nbars = max(1, math.ceil(m / minutes))
        starts = np.arange(nbars) * minutes
        ends = np.minimum(starts + minutes, k + 1)
        closes = pts[ends]
        highs = np.maximum(np.maximum.reduceat(pts, starts), closes)
        lows = np.minimum(np.minimum.reduceat(pts, starts), closes)
        grid = np.arange(SESSION_MINUTES + 1)
        cum_end = np.interp(np.minimum(starts + minutes, m), grid, tape.cumvol)
        volume = np.round(cum_end - tape.cumvol[starts])
        first = sim_datetime(day, 0.0)
        sl = slice(-limit, None)
        ohlc = [np.round(a[sl], 2) for a in (pts[starts], highs, lows, closes)]
        stamps = [first + timedelta(minutes=int(s)) for s in starts[sl]]
        return _bars(key, stamps, [*ohlc, volume[sl]])
