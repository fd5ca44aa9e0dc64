"""News on Discord: /news answers with an embed of headlines (sentiment, source, time); a
material headline on a holding is posted once in the alert channel with the position's P&L
and a Review exit button, and is never an order or a card."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from models.domain import Actor
from tests.conftest import Clock
from tests.e2e.discord.world import ALERT_CHANNEL, TRADER_ID, field, running
from tests.fakes.discord import FakeDiscord


async def test_news_embed_and_one_alert_with_a_review_button(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        o = w.orch
        trader = Actor(id="user:1", name="trader", can_approve=True)
        card = await o.propose("AAPL", "buy", 10, trader)
        await o.approve(card.id, trader)
        await o.sim_shock("NVDA", -9, trader)
        h = await fake.slash("news", {"symbols": "NVDA", "hours": 48}, user=TRADER_ID)
        msg = await h.response(timeout=15)
        e = msg["embeds"][0]
        assert "news" in e["title"] and "SIMULATED" in e["title"]
        assert "NVDA" in e["description"] and "NVIDIA" in field(e, "Headlines")

        await o.sim_shock("AAPL", -15, trader)
        await o.poll_news()
        await o.poll_news()  # a refresh tells nothing again

        def news_alerts() -> list[dict]:
            return [
                m
                for m in fake.channel_messages(ALERT_CHANNEL)
                if m.get("embeds") and "NEWS ON A HOLDING" in str(m["embeds"][0])
            ]

        await fake.wait_until(lambda: bool(news_alerts()), what="news alert")
        (alert,) = news_alerts()
        a = alert["embeds"][0]
        assert "AAPL" in a["title"] and field(a, "Position") == "+10"
        assert field(a, "Position P&L").startswith("$-")
        button = alert["components"][0]["components"][0]
        assert button["custom_id"] == "cot:exit-review:AAPL"
        assert [c.id for c in o.pending()] == []  # an alert, never a card on its own
        assert {x.proposal_id for x in o.orders().orders} == {card.id}
