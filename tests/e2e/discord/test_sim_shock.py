"""/sim shock on Discord: an approver moves the simulated market and the channel sees an
embed labelled SIMULATED with the price before and after; a viewer and bad input are
refused privately and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from bot.app import App
from models.sim_tables import SimShock
from tests.conftest import Clock
from tests.e2e.discord.world import TRADER_ID, VIEWER_ID, field, running
from tests.fakes.discord import FakeDiscord


async def test_sim_shock_moves_the_market_for_approvers_only(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        base = (await w.orch.market.quote("NVDA")).last

        no = await fake.slash("sim", {"symbol": "NVDA", "pct": -15}, sub="shock", user=VIEWER_ID)
        assert "Only approvers may move the simulated market" in (await no.response())["content"]
        assert no.ephemeral
        bad = await fake.slash("sim", {"symbol": "APPL", "pct": -15}, sub="shock", user=TRADER_ID)
        assert "Did you mean AAPL?" in (await bad.response())["content"] and bad.ephemeral
        deep = await fake.slash("sim", {"symbol": "NVDA", "pct": -95}, sub="shock", user=TRADER_ID)
        assert "at most 90%" in (await deep.response())["content"] and deep.ephemeral
        with w.app.store.session() as s:
            assert s.exec(select(SimShock)).all() == []

        ok = await fake.slash("sim", {"symbol": "NVDA", "pct": -15}, sub="shock", user=TRADER_ID)
        msg = await ok.response()
        assert not ok.ephemeral
        e = msg["embeds"][0]
        assert "SIMULATED" in e["title"] and "NVDA" in e["title"] and "-15%" in e["title"]
        assert "SIMULATED" in e["author"]["name"]
        before = float(field(e, "Before").replace(",", ""))
        after = float(field(e, "After").replace(",", ""))
        assert before == pytest.approx(base, abs=0.011)
        assert after == pytest.approx(before * 0.85, abs=0.011)
        assert (await w.orch.market.quote("NVDA")).last == pytest.approx(after, abs=0.011)
        with w.app.store.session() as s:
            rows = s.exec(select(SimShock)).all()
        assert [(r.symbol, r.pct, r.by) for r in rows] == [("NVDA", -15.0, f"discord:{TRADER_ID}")]
        shocks = w.app.store.events.recent(10, type_prefix="sim.shock")
        assert [(x.actor, x.context["symbol"]) for x in shocks] == [
            (f"discord:{TRADER_ID}", "NVDA")
        ]
