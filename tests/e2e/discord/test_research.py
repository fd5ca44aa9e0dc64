"""/analyze with its chart and /backtest with its table and equity chart, on Discord."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import TRADER_ID, field, running
from tests.fakes.discord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n"


async def test_analyze_attaches_a_chart_and_lists_the_strategies(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash("analyze", {"symbol": "nvda"}, user=TRADER_ID)
        msg = await h.response()
        assert h.callback_type == 5  # deferred: data, indicators and a chart take a moment
        e = msg["embeds"][0]
        assert "NVDA analysis" in e["title"]
        assert e["image"]["url"] == "attachment://NVDA.png"
        att = msg["attachments"][0]
        assert att["filename"] == "NVDA.png"
        assert fake.files[int(att["id"])].startswith(PNG)
        strategies = field(e, "Strategies (signal, bars since it turned)")
        for name in ("sma_cross", "ema_cross", "breakout", "mean_reversion", "volume_spike"):
            assert name in strategies


async def test_backtest_replies_with_the_metrics_and_an_equity_chart(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash(
            "backtest",
            {"symbol": "AAPL", "strategy": "sma_cross", "params": "fast=10 slow=30"},
            user=TRADER_ID,
        )
        msg = await h.response()
        e = msg["embeds"][0]
        assert "backtest sma_cross(fast=10, slow=30) on AAPL" in e["title"]
        table = field(e, "Metrics")
        for row in ("Trades", "Return", "Max drawdown", "Win rate", "Sharpe", "Final equity"):
            assert row in table
        assert msg["attachments"][0]["filename"] == "backtest-AAPL.png"
        assert fake.files[int(msg["attachments"][0]["id"])].startswith(PNG)


async def test_backtest_bad_parameters_get_a_clear_answer(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash(
            "backtest",
            {"symbol": "AAPL", "strategy": "sma_cross", "params": "speed=3"},
            user=TRADER_ID,
        )
        msg = await h.response()
        assert "speed" in msg["content"] and not msg.get("attachments")
