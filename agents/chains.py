"""The options side of the data agent: chains from the venue (cached briefly), priced with
our own IV and greeks, the views /chain asks for, the smile across expiries, the 30-day
at-the-money IV and IV rank, and the after-close job that records the IV series.

Nothing is invented: a contract the venue quotes without a bid has no mid, no IV and no
greeks; a symbol the venue lists no options for is a clear refusal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

import numpy as np
from loguru import logger

from agents.chain_views import ChainView, ContractView, IVRankView, SmileCurve, SmileView, num
from agents.data import DataAgent
from agents.errors import BadInput, DataUnavailable
from brokers.base import (
    BrokerError,
    NoOptionsError,
    OptionChains,
    OptionQuotes,
    UnknownSymbolError,
)
from models.options import OptionChain
from models.store import Store
from services.options.bsm import ET
from services.options.chain import (
    PricedChain,
    atm_iv,
    bracketing,
    constant_maturity_iv,
    pick_expiry,
    price_chain,
    select,
)
from services.options.iv_rank import YEAR_DAYS, hv_series, iv_rank

IV30_DAYS = 30
SMILE_TARGETS = (7, 30, 60, 120)  # days to the expiries the smile chart shows
MAX_CACHED = 512
SMILE_MIN_MID = 0.05  # chains kept before stale ones are dropped


class ChainAgent:
    """Option chains for the orchestrator. `rate` is COTRADER_RISK_FREE_RATE."""

    def __init__(
        self,
        chains: OptionChains | None,
        data: DataAgent,
        store: Store,
        rate: float,
        clock: Callable[[], datetime],
        ttl_s: float = 15.0,
        expiries_ttl_s: float = 600.0,
    ) -> None:
        self.chains = chains
        self.data = data
        self.store = store
        self.rate = rate
        self.clock = clock
        self.ttl_s = ttl_s
        self.expiries_ttl_s = expiries_ttl_s
        self._expiries: dict[str, tuple[float, list[date]]] = {}
        self._raw: dict[tuple[str, tuple[date, ...]], tuple[float, OptionChain]] = {}

    # ------------------------------------------------------------------ venue reads
    def _venue(self) -> OptionChains:
        if self.chains is None:
            raise DataUnavailable("No option chains from this data source.")
        return self.chains

    def now(self) -> datetime:
        """The market's time (the simulator keeps its own)."""
        return self.data.market.now()

    async def expiries(self, symbol: str) -> list[date]:
        """The listed expiries (cached for a few minutes)."""
        sym = self.data.normalise(symbol)
        hit = self._expiries.get(sym)
        if hit and time.monotonic() - hit[0] < self.expiries_ttl_s:
            return hit[1]
        listed = await self._read(sym, self._venue().option_expiries(sym))
        self._expiries[sym] = (time.monotonic(), listed)
        return listed

    async def raw(self, symbol: str, expiries: Sequence[date]) -> OptionChain:
        """The venue's chain for `expiries` (cached for `ttl_s` seconds)."""
        key = (symbol, tuple(sorted(set(expiries))))
        hit = self._raw.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        chain = await self._read(symbol, self._venue().option_chain(symbol, key[1]))
        now = time.monotonic()
        if len(self._raw) >= MAX_CACHED:  # keep the cache small: drop what has gone stale
            self._raw = {k: v for k, v in self._raw.items() if now - v[0] < self.ttl_s}
        self._raw[key] = (now, chain)
        return chain

    async def contract_quotes(
        self, symbol: str, contracts: Sequence[str], expiries: Sequence[date]
    ) -> dict[str, tuple[float, float]]:
        """(bid, ask) of `contracts` now: by the venue's contract quotes where it has them
        (only those contracts are read), else from a fresh read of their expiries' chain."""
        venue = self._venue()
        if isinstance(venue, OptionQuotes):
            rows = await self._read(symbol, venue.option_quotes(contracts))
            return {k: (r.bid, r.ask) for k, r in rows.items()}
        self.drop_cached(symbol)
        ch = await self.raw(symbol, expiries)
        wanted = set(contracts)
        return {
            s: (float(ch.bid[i]), float(ch.ask[i])) for i, s in enumerate(ch.symbols) if s in wanted
        }

    def drop_cached(self, symbol: str) -> None:
        """Forget the cached chains of `symbol` (the next read asks the venue)."""
        self._raw = {k: v for k, v in self._raw.items() if k[0] != symbol}

    async def _read[R](self, symbol: str, call: Awaitable[R]) -> R:
        try:
            return await call
        except UnknownSymbolError as e:
            raise self.data.unknown(symbol) from e
        except NoOptionsError as e:
            raise BadInput(f"{symbol} has no listed options here ({e}).") from e
        except BrokerError as e:
            raise DataUnavailable(f"No option chain for {symbol}: {e}") from e

    async def priced(self, symbol: str, expiries: Sequence[date]) -> PricedChain:
        """The chain with our IV and greeks at the current spot."""
        chain = await self.raw(symbol, expiries)
        if chain.spot is not None:  # the venue that quoted the chain quoted its underlying
            spot = chain.spot
        else:
            q = await self.data.quote(symbol)
            spot = (q.bid + q.ask) / 2 if q.bid > 0 and q.ask >= q.bid else q.last
        dividend = chain.dividend if chain.dividend is not None else 0.0
        return price_chain(chain, spot, self.now(), self.rate, dividend)

    # ------------------------------------------------------------------ views
    async def chain_view(
        self,
        symbol: str,
        dte: int | None = None,
        expiry: date | None = None,
        side: str | None = None,
        delta: float | None = None,
        strikes: int = 10,
    ) -> ChainView:
        """One expiry (the one on `expiry`, nearest `dte` days, else nearest 30), calls,
        puts or both, `strikes` strikes near the money or near `delta`."""
        sym = self.data.normalise(symbol)
        listed = await self.expiries(sym)
        today = self.now().astimezone(ET).date()
        try:
            chosen = pick_expiry(listed, today, dte, expiry)
        except ValueError as e:
            raise BadInput(f"{sym}: {e}.") from None
        around = bracketing(listed, today, IV30_DAYS)
        priced = await self.priced(sym, sorted({chosen, *around}))
        rank = await self.rank_or_none(sym, iv30_of(priced, around))
        rows, nearest = select(priced, chosen, side, delta, strikes)
        near = set(nearest.tolist())
        contracts = [self._contract(priced, int(i), int(i) in near) for i in rows.tolist()]
        ch = priced.chain
        return ChainView(
            symbol=sym,
            source=ch.source,
            simulated=ch.simulated,
            as_of=ch.as_of,
            spot=round(priced.spot, 4),
            rate=self.rate,
            dividend=priced.dividend,
            dividend_known=ch.dividend is not None,
            expiry=chosen,
            dte=(chosen - today).days,
            side="both" if side is None else side,  # type: ignore[arg-type]
            delta=delta,
            contracts=contracts,
            expiries=listed,
            iv_rank=rank,
            atm_iv=num(atm_iv(priced, chosen)),
            venue_note=ch.venue_note,
            missing_quotes=sum(c.mid is None for c in contracts),
        )

    @staticmethod
    def _contract(p: PricedChain, i: int, nearest: bool) -> ContractView:
        ch = p.chain
        venue = ch.venue_greeks
        oi, vol = ch.open_interest[i], ch.volume[i]
        return ContractView(
            symbol=ch.symbols[i],
            type="call" if ch.is_call[i] else "put",
            strike=float(ch.strike[i]),
            expiry=ch.expiry[i].astype(object),
            dte=int(p.dte[i]),
            years=round(float(p.years[i]), 8),
            bid=num(ch.bid[i], 4),
            ask=num(ch.ask[i], 4),
            mid=num(p.mid[i], 4),
            iv=num(p.iv[i]),
            delta=num(p.delta[i]),
            gamma=num(p.gamma[i]),
            theta=num(p.theta[i]),
            vega=num(p.vega[i]),
            rho=num(p.rho[i]),
            open_interest=int(oi) if math.isfinite(oi) else None,
            volume=int(vol) if math.isfinite(vol) else None,
            iv_note=str(p.reason[i]) or None,
            **{f"venue_{k}": num(v[i]) for k, v in venue.items() if k != "rho"},
            nearest=nearest,
        )

    async def smile(self, symbol: str, targets: Sequence[int] = SMILE_TARGETS) -> SmileView:
        """IV across strikes of the expiries nearest each of `targets` days (OTM side)."""
        sym = self.data.normalise(symbol)
        listed = await self.expiries(sym)
        today = self.now().astimezone(ET).date()
        chosen = sorted({pick_expiry(listed, today, d) for d in targets})
        p = await self.priced(sym, chosen)
        ch, curves = p.chain, []
        for e in chosen:
            on = ch.expiry == np.datetime64(e, "D")
            if not on.any():
                continue
            t = float(p.years[on][0])
            fwd = p.spot * math.exp((p.rate - p.dividend) * t)
            otm = on & np.where(ch.is_call, ch.strike >= fwd, ch.strike < fwd)
            # a mid under a nickel is mostly tick rounding: its IV is noise on the chart
            ok = otm & np.isfinite(p.iv) & (p.iv > 0) & (p.mid >= SMILE_MIN_MID)
            order = np.argsort(ch.strike[ok])
            curves.append(
                SmileCurve(
                    expiry=e,
                    dte=(e - today).days,
                    strikes=ch.strike[ok][order].tolist(),
                    ivs=p.iv[ok][order].tolist(),
                )
            )
        return SmileView(
            symbol=sym, spot=p.spot, simulated=ch.simulated, source=ch.source, curves=curves
        )

    # ------------------------------------------------------------------ IV and IV rank
    async def iv30(self, symbol: str) -> float:
        """Today's 30-day at-the-money IV (total variance interpolated between the
        expiries either side of 30 days); NaN when the chain has no usable quotes."""
        sym = self.data.normalise(symbol)
        listed = await self.expiries(sym)
        today = self.now().astimezone(ET).date()
        around = bracketing(listed, today, IV30_DAYS)
        return iv30_of(await self.priced(sym, around), around)

    async def rank_or_none(self, symbol: str, today_iv: float | None = None) -> IVRankView | None:
        """IV rank, or None when there is none (no chain, no quotes, no history)."""
        try:
            return await self.iv_rank(symbol, today_iv)
        except (BadInput, DataUnavailable) as e:
            logger.debug("no IV rank for {}: {}", symbol, e)
            return None

    async def rank_value(self, symbol: str) -> float | None:
        """IV rank 0-100, or None (the scanner's filter)."""
        view = await self.rank_or_none(symbol)
        return None if view is None else view.rank

    async def iv_rank(self, symbol: str, today_iv: float | None = None) -> IVRankView | None:
        """IV rank and percentile of today's 30-day IV (`today_iv`, else measured now): the
        venue's own IV history where it has one (the simulator), else the recorded series
        with the HV proxy for missing days."""
        sym = self.data.normalise(symbol)
        if today_iv is None:
            today_iv = await self.iv30(sym)
        venue = self._venue()
        history = getattr(venue, "iv30_history", None)
        bars = await self.data.daily_bars(sym, YEAR_DAYS + 40)
        days = [t.astimezone(ET).date() for t in bars.ts]
        if history is not None:
            measured = dict(await history(sym, YEAR_DAYS))
            proxy: dict[date, float] = {}
        else:
            since = days[-YEAR_DAYS] if len(days) >= YEAR_DAYS else days[0]
            measured = dict(self.store.iv.series(sym, since))
            hv = hv_series(bars.close)
            proxy = {d: float(v) for d, v in zip(days, hv, strict=True) if math.isfinite(v)}
        today = self.now().astimezone(ET).date()
        past = [d for d in days if d < today][-YEAR_DAYS:]
        r = iv_rank(today_iv, measured, proxy, past)
        return IVRankView.of(sym, r) if r is not None else None

    async def record_close(self, symbols: Sequence[str], actor: str) -> int:
        """The after-close job: today's 30-day ATM IV of each symbol into the store (a
        symbol whose chain fails is skipped and logged); how many were stored."""
        day = self.now().astimezone(ET).date()
        rows: list[tuple[str, date, float, str]] = []
        source = getattr(self.chains, "option_source", "unknown")
        for sym in symbols:
            try:
                v = await self.iv30(sym)
            except (BadInput, DataUnavailable) as e:
                logger.info("IV not recorded for {}: {}", sym, e)
                continue
            if math.isfinite(v) and v > 0:
                rows.append((sym, day, v, source))
        return self.store.iv.record(rows, actor, self.clock())


def iv30_of(p: PricedChain, around: Sequence[date]) -> float:
    """The 30-day at-the-money IV from the priced expiries `around` 30 days (total
    variance interpolated between their ATM IVs); NaN when they have no usable quotes."""
    pts = []
    for e in around:
        on = p.chain.expiry == np.datetime64(e, "D")
        if on.any():
            pts.append((float(p.years[on][0]), atm_iv(p, e)))
    return constant_maturity_iv(pts, IV30_DAYS / 365)


__all__ = ["IV30_DAYS", "SMILE_TARGETS", "ChainAgent", "iv30_of"]
