"""IV rank for a venue that keeps no IV history: the after-close job records each symbol's
30-day at-the-money IV into the store, once a day, and IV rank stands on those days plus a
labelled historical-vol proxy for the rest of the year."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from agents.scheduler import JobScheduler
from bot.app import App
from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains
from models.options import OptionChain
from tests.conftest import Clock

T = datetime(2026, 12, 3, 21, 20, tzinfo=UTC)  # Thursday 16:20 ET, after the close


class NoHistory:
    """A venue with chains and no IV history of its own (the simulator's chains, the
    history method left out): what Alpaca and Tastytrade are to the desk."""

    option_source = "venue-without-history"

    def __init__(self, inner: SimOptionChains) -> None:
        self.inner = inner

    async def option_expiries(self, underlying: str) -> list[date]:
        return await self.inner.option_expiries(underlying)

    async def option_chain(self, underlying: str, expiries: Sequence[date]) -> OptionChain:
        return await self.inner.option_chain(underlying, expiries)


async def test_after_close_record_feeds_iv_rank(make_app: Callable[..., App]) -> None:
    clock = Clock(T)
    app = make_app(clock)
    o = app.orchestrator
    assert isinstance(o.market, SimMarket)
    o.options.chains = NoHistory(SimOptionChains(o.market))

    before = await o.iv_rank("KO")
    assert (before.basis, before.iv_days) == ("hv_proxy", 0) and before.proxy_days >= 200
    assert "proxy" in before.text

    sched = JobScheduler(o)
    day = date(2026, 12, 3)
    assert await sched.fire("iv_record", day) is True
    assert await sched.fire("iv_record", day) is False  # once a day, whatever the restarts
    universe = {i.symbol for i in o.market.universe()}
    stored = {s for s in universe if app.store.iv.series(s, day)}
    assert stored == universe
    [(d, iv)] = app.store.iv.series("KO", day)
    assert d == day and abs(iv - before.iv) < 0.02
    assert [e for e in app.store.events.recent(50) if e.type == "iv.recorded"]

    clock.advance(days=1)  # Friday, a new start: yesterday's record is one day of real IV
    o2 = make_app(clock).orchestrator
    assert isinstance(o2.market, SimMarket)
    o2.options.chains = NoHistory(SimOptionChains(o2.market))
    after = await o2.iv_rank("KO")
    assert (after.basis, after.iv_days) == ("iv+hv_proxy", 1)
    assert after.days == before.days and after.proxy_days == before.proxy_days - 1
    assert "1 days of IV" in after.text


async def test_a_symbol_whose_chain_fails_is_skipped(make_app: Callable[..., App]) -> None:
    app = make_app(Clock(T))
    o = app.orchestrator
    assert isinstance(o.market, SimMarket)
    o.options.chains = NoHistory(SimOptionChains(o.market))
    n = await o.options.record_close(["KO", "NOPE", "SPY"], "system:test")
    assert n == 2
    assert app.store.iv.series("NOPE", date(2026, 1, 1)) == []
