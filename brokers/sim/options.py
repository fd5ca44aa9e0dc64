"""Simulated option chains (labelled SIMULATED): every symbol of the simulated market has
listed options priced off its own volatility regime.

- Expiries: Fridays for the next `weeklies` weeks and the third Friday of each of the next
  `months` months, out to about a year (today's when today is one: it trades until 16:00).
- Strikes: the usual increments around the price, wider for far expiries, spanning about
  2.5 standard deviations (at least ±15%).
- Quotes: bid and ask around the surface price (vol_surface), moving with the stock's
  simulated tape; open interest and the day's volume are seeded per contract and grow
  with nearness to the money.
- History: the 30-day at-the-money IV of every past day, from the same surface and that
  day's regime, for IV rank.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np

from brokers.base import NoOptionsError, UnknownSymbolError
from brokers.sim.market import NY, SESSION_MINUTES, SimMarket
from brokers.sim.universe import SimSpec
from brokers.sim.vol_surface import (
    atm_vol,
    bs_price,
    quote_prices,
    standardised,
    strike_step,
    surface_vol,
)
from models.options import OptionChain, OptionRow, normal_occ, occ_symbol, parse_occ

_CLOSE = time(16, 0)
_FAR_DAYS = 120  # expiries past this list every other strike
_MAX_PARTS = 4096  # expiry builds kept (per minute and spot) before the cache starts over
_MAX_STRIKES = 120
IV30_YEARS = 30 / 365
_ALPHA = 1 - 0.5 ** (1 / 5)  # the implied vol's average of regime variance: 5-day half-life


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _exchange_day(friday: date) -> date:
    """The Friday, or the Thursday before when the exchange is shut that Friday (New Year,
    Juneteenth, Independence Day, Christmas, Good Friday)."""
    fixed = (friday.month, friday.day) in ((1, 1), (6, 19), (7, 4), (12, 25))
    if fixed or friday == _easter(friday.year) - timedelta(days=2):
        return friday - timedelta(days=1)
    return friday


def listed_expiries(today: date, weeklies: int = 8, months: int = 12) -> list[date]:
    """Weekly Fridays for `weeklies` weeks and monthly third Fridays for `months` months,
    from `today` (inclusive), soonest first; a holiday Friday's expiry is the Thursday."""
    return list(_listed(today, weeklies, months))


@lru_cache(maxsize=64)
def _listed(today: date, weeklies: int, months: int) -> tuple[date, ...]:
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    out = {friday + timedelta(weeks=w) for w in range(weeklies)}
    y, m = today.year, today.month
    for _ in range(months + 1):
        d = _third_friday(y, m)
        if d >= today:
            out.add(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    horizon = today + timedelta(days=months * 31)
    return tuple(
        sorted({_exchange_day(d) for d in out if d <= horizon} - {today - timedelta(days=1)})
    )


def _num(x: float) -> float | None:
    """A chain's number as a row's (NaN: None)."""
    return float(x) if math.isfinite(x) else None


def _years(now: datetime, expiry: date) -> float:
    close = datetime.combine(expiry, _CLOSE, tzinfo=NY).astimezone(UTC)
    return (close - now).total_seconds() / (365.0 * 86400.0)


class SimOptionChains:
    """OptionChains (and OptionQuotes) for the simulated market (`rate` is the simulated
    market makers')."""

    option_source = "sim"

    def __init__(
        self, market: SimMarket, rate: float = 0.04, weeklies: int = 8, months: int = 12
    ) -> None:
        self.market = market
        self.rate = rate
        self.weeklies = weeklies
        self.months = months
        self._mult_cache: dict[str, tuple[date, tuple[list[date], np.ndarray, float]]] = {}
        self._parts: dict[tuple[object, ...], tuple[list[str], dict[str, np.ndarray]]] = {}

    async def option_expiries(self, underlying: str) -> list[date]:
        """The listed expiries; UnknownSymbolError for a symbol the simulator lacks."""
        self.market.spec(underlying)
        return listed_expiries(self.market.sim_date(), self.weeklies, self.months)

    async def option_chain(self, underlying: str, expiries: Sequence[date]) -> OptionChain:
        """The contracts of `expiries` with their current quotes."""
        spec = self.market.spec(underlying)
        listed = set(await self.option_expiries(spec.symbol))
        wanted = sorted({d for d in expiries if d in listed})
        if not wanted:
            raise NoOptionsError(f"no {spec.symbol} options are listed on those dates")
        quote = await self.market.quote(spec.symbol)
        spot = (quote.bid + quote.ask) / 2
        now = self.market.now()
        mult = self._perceived(spec.symbol)[2]
        bars = await self.market.daily_bars(spec.symbol, 1)
        ref = bars.close[-1]
        progress = self.market.session_minute() / SESSION_MINUTES
        parts = [self._cached(spec, e, spot, ref, now, mult, progress) for e in wanted]
        cat = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]}
        return OptionChain(
            underlying=spec.symbol,
            source=self.option_source,
            simulated=True,
            as_of=now,
            symbols=[s for p in parts for s in p[0]],
            is_call=cat["is_call"],
            strike=cat["strike"],
            expiry=cat["expiry"],
            bid=cat["bid"],
            ask=cat["ask"],
            last=cat["last"],
            open_interest=cat["open_interest"],
            volume=cat["volume"],
            venue_greeks={"iv": cat["iv"]},
            venue_note="the simulator's own surface vol, before bid and ask were rounded to ticks",
            dividend=spec.dividend,
        )

    async def option_quotes(self, symbols: Sequence[str]) -> dict[str, OptionRow]:
        """Rows of those contracts (OCC, either form) as `option_chain` quotes them now,
        keyed by the unpadded symbol; unknown, unlisted or malformed ones are absent."""
        wanted: dict[tuple[str, date], set[str]] = {}
        for sym in symbols:
            try:
                p = parse_occ(sym)
            except ValueError:
                continue
            wanted.setdefault((p.root, p.expiry), set()).add(normal_occ(sym))
        out: dict[str, OptionRow] = {}
        for (root, expiry), names in wanted.items():
            try:
                ch = await self.option_chain(root, [expiry])
            except (UnknownSymbolError, NoOptionsError):
                continue
            iv = ch.venue_greeks["iv"]
            for i, sym in enumerate(ch.symbols):
                if sym in names:
                    out[sym] = OptionRow(
                        symbol=sym,
                        type="call" if ch.is_call[i] else "put",
                        strike=float(ch.strike[i]),
                        expiry=expiry,
                        bid=_num(ch.bid[i]),
                        ask=_num(ch.ask[i]),
                        last=_num(ch.last[i]),
                        open_interest=_num(ch.open_interest[i]),
                        volume=_num(ch.volume[i]),
                        iv=_num(iv[i]),
                    )
        return out

    def _cached(
        self,
        spec: SimSpec,
        expiry: date,
        spot: float,
        ref: float,
        now: datetime,
        mult: float,
        progress: float,
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        """One expiry's contracts, built once per market minute and spot (a quote that
        moved, a shock, a new minute: built again)."""
        key = (spec.symbol, expiry, spot, ref, mult, now.replace(second=0, microsecond=0))
        hit = self._parts.get(key)
        if hit is None:
            if len(self._parts) >= _MAX_PARTS:
                self._parts.clear()
            hit = self._parts[key] = self._expiry(spec, expiry, spot, ref, now, mult, progress)
        return hit

    def _expiry(
        self,
        spec: SimSpec,
        expiry: date,
        spot: float,
        ref: float,
        now: datetime,
        mult: float,
        progress: float,
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        t = max(_years(now, expiry), 1e-6)
        far = (expiry - now.astimezone(NY).date()).days > _FAR_DAYS
        step = strike_step(ref, far)
        atm = float(atm_vol(spec.vol, mult, t))
        width = min(0.9, max(0.15, 2.5 * atm * math.sqrt(t)))
        lo, hi = min(ref, spot) * math.exp(-width), max(ref, spot) * math.exp(width)
        while (hi - lo) / step > _MAX_STRIKES:
            step *= 2
        strikes = np.arange(math.ceil(lo / step) * step, hi + step / 2, step)
        strikes = np.round(strikes[strikes > 0], 2)
        k = np.concatenate([strikes, strikes])
        is_call = np.repeat([True, False], strikes.size)
        years = np.full(k.size, t)
        fwd = spot * math.exp((self.rate - spec.dividend) * t)
        lm = np.log(k / fwd)
        vol = surface_vol(spec.vol, mult, years, lm, spec.is_etf)
        theo = bs_price(is_call, spot, k, years, vol, self.rate, spec.dividend)
        z = standardised(lm, np.full(k.size, atm), years)
        bid, ask = quote_prices(theo, min(4.0, max(0.3, spec.spread_bps / 1.5)), z)
        oi, volume, last = self._activity(
            spec.symbol, spec.avg_volume, expiry, z, t, theo, progress
        )
        head = occ_symbol(spec.symbol, expiry, "call", 1.0)[:-9]  # root + YYMMDD
        mills = np.rint(k * 1000).astype(np.int64).tolist()
        symbols = [
            f"{head}{'C' if c else 'P'}{m:08d}"
            for c, m in zip(is_call.tolist(), mills, strict=True)
        ]
        cols = {
            "is_call": is_call,
            "strike": k,
            "expiry": np.full(k.size, np.datetime64(expiry, "D")),
            "bid": bid,
            "ask": ask,
            "last": last,
            "open_interest": oi,
            "volume": volume,
            "iv": vol,
        }
        return symbols, cols

    def _activity(
        self,
        symbol: str,
        avg_volume: float,
        expiry: date,
        z: np.ndarray,
        years: float,
        theo: np.ndarray,
        progress: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Open interest (fixed per contract), today's volume so far and the last trade."""
        seed = zlib.crc32(f"{self.market.seed}:{symbol}:opt".encode())
        rng = np.random.default_rng([seed, expiry.toordinal()])
        bell = np.exp(-0.5 * z * z) * (1.0 + 0.3 * (z < 0))
        oi = np.round(avg_volume / 2_000 * bell / (1 + years * 4) * rng.lognormal(0, 0.8, z.size))
        day = self.market.sim_date().toordinal()
        vrng = np.random.default_rng([seed, expiry.toordinal(), day])
        volume = np.round(oi * 0.15 * progress * vrng.lognormal(0, 0.7, z.size))
        drift = 1 + 0.01 * vrng.standard_normal(z.size)
        last = np.where(volume > 0, np.maximum(np.round(theo * drift, 2), 0.01), np.nan)
        return oi, volume, last

    def _perceived(self, symbol: str) -> tuple[list[date], np.ndarray, float]:
        """The volatility multiplier the option market prices each past day and today: an
        exponential average of the regime's variance (5-day half-life, so implied vol
        lags a regime change as it does in a real market) times a little daily noise."""
        today = self.market.sim_date()
        hit = self._mult_cache.get(symbol)
        if hit is not None and hit[0] == today:
            return hit[1]
        dates, path = self.market.regime_path(symbol)
        seed = zlib.crc32(f"{self.market.seed}:{symbol}:iv".encode())
        noise = np.exp(0.04 * np.random.default_rng([seed, 0]).standard_normal(path.size) - 0.0008)
        var = path * path
        ewma = np.empty_like(var)
        acc = float(var[0])
        for i, v in enumerate(var.tolist()):
            acc += _ALPHA * (v - acc)
            ewma[i] = acc
        now_noise = float(
            np.exp(
                0.04 * np.random.default_rng([seed, today.toordinal()]).standard_normal() - 0.0008
            )
        )
        out = (
            dates,
            np.sqrt(ewma) * noise,
            math.sqrt(acc + _ALPHA * (float(var[-1]) - acc)) * now_noise,
        )
        self._mult_cache[symbol] = (today, out)
        return out

    async def iv30_history(self, underlying: str, days: int = 252) -> list[tuple[date, float]]:
        """The 30-day at-the-money implied vol of each of the last `days` trading days
        (the simulator's own history, priced from the same surface as the chain)."""
        spec = self.market.spec(underlying)
        dates, mult, _ = self._perceived(spec.symbol)
        iv = atm_vol(spec.vol, mult[-days:], IV30_YEARS)
        return list(zip(dates[-days:], iv.tolist(), strict=True))


__all__ = ["IV30_YEARS", "SimOptionChains", "listed_expiries"]
