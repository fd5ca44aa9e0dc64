"""/risk, /reconcile and /resume on Discord, and the start-up reconciliation alert when the
bot trades a (loopback) Alpaca account that disagrees with its books."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from models.domain import Actor
from tests.conftest import Clock
from tests.e2e.discord.world import ALERT_CHANNEL, TRADER_ID, running
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.discord import FakeDiscord

ALICE = Actor(id=f"discord:{TRADER_ID}", name="alice", can_approve=True)


async def test_risk_shows_state_limits_var_and_a_what_if(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        await w.app.orchestrator.approve(
            (await w.app.orchestrator.propose("AAPL", "buy", 20, ALICE)).id,
            ALICE,
        )
        h = await fake.slash(
            "risk", {"symbol": "msft", "side": "buy", "quantity": 10}, user=TRADER_ID
        )
        msg = await h.response()
        e = msg["embeds"][0]
        assert "risk · Desk ACTIVE" in e["title"] and "SIMULATED" in e["title"]
        text = e["description"]
        for part in ("daily_loss", "heat", "1-day VaR 95%", "1-day VaR 99%", "What if"):
            assert part in text, text
        assert "of MSFT" in text


async def test_reconcile_on_the_simulator_agrees_and_changes_nothing(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        before = w.app.store.ledger.positions()
        h = await fake.slash("reconcile", {}, user=TRADER_ID)
        e = (await h.response())["embeds"][0]
        assert "books agree" in e["title"]
        assert w.app.store.ledger.positions() == before


async def test_resume_after_the_kill_switch_says_the_new_state(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        o = w.app.orchestrator
        await o.kill(ALICE)
        h = await fake.slash("resume", {"reason": "all clear"}, user=TRADER_ID)
        msg = await h.response()
        assert "Desk ACTIVE" in msg["content"] and "all clear" in msg["content"]
        assert o.risk.engine_state()[0].value == "active"


async def test_a_venue_that_disagrees_at_start_up_is_alerted(
    alpaca_env: None,
    alpaca: FakeAlpacaTrading,
    fake: FakeDiscord,
    make_app: Callable[..., App],
    clock: Clock,
) -> None:
    alpaca.add_position("MSFT", 7, 400.0)  # bought by hand at the venue
    async with running(fake, make_app, clock) as w:
        assert w.app.orchestrator.broker.name == "alpaca"
        await fake.wait_until(
            lambda: any(
                "Reconciliation" in str(m.get("embeds"))
                for m in fake.channel_messages(ALERT_CHANNEL)
            ),
            what="start-up reconciliation alert",
        )
        alert = next(
            m for m in fake.channel_messages(ALERT_CHANNEL) if "Reconciliation" in str(m["embeds"])
        )
        text = alert["embeds"][0]["description"]
        assert "PAPER" in text and "MSFT: broker holds 7" in text and "Nothing was changed" in text
        assert w.app.store.ledger.positions() == []
