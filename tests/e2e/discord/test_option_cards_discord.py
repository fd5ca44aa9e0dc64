"""Option strategy cards on Discord: /propose with a strategy posts the card (legs, credit,
max profit and loss, breakevens, POP, greeks, buying power) with its payoff chart attached;
Approve sends one multi-leg order and edits the card."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import TRADER_ID, buttons, field, running
from tests.fakes.discord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n"


async def test_propose_a_strategy_posts_the_card_and_its_payoff_then_approve_fills(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock, options_min_iv_rank=0) as w:
        h = await fake.slash(
            "propose",
            {"symbol": "AAPL", "strategy": "bull_put_spread", "contracts": 2},
            user=TRADER_ID,
        )
        msg = await h.response(timeout=20)
        assert h.callback_type == 5 and not h.ephemeral
        e = msg["embeds"][0]
        assert "SIMULATED" in e["title"] and "BULL PUT SPREAD" in e["title"]
        legs = field(e, "Legs")
        assert legs.count("AAPL") == 2 and "SELL" in legs and "BUY" in legs
        for name in ("Credit", "Max profit", "Max loss (the risk)", "Breakevens", "POP"):
            assert field(e, name), name
        pid = buttons(msg)["Approve"]["custom_id"].split(":")[-1]
        card = w.orch.proposal(pid)
        assert card.quantity == 2 and card.option is not None
        assert f"${card.option['max_loss']:,.2f}" == field(e, "Max loss (the risk)")
        att = msg["attachments"][0]
        assert att["filename"] == f"payoff-{pid}.png"
        assert e["image"]["url"] == f"attachment://payoff-{pid}.png"
        assert fake.files[int(att["id"])].startswith(PNG)

        click = await fake.click(msg["id"], f"cot:approve:{pid}", user=TRADER_ID)
        await click.ack()
        await fake.wait_until(
            lambda: "Outcome" in str(fake.message(msg["id"])["embeds"]), what="card edited"
        )
        outcome = field(fake.message(msg["id"])["embeds"][0], "Outcome")
        assert "Approved by trader" in outcome and "2/2 filled" in outcome, outcome
        order = w.orch.store.ledger.order(pid)
        assert order is not None and order.symbol == "AAPL" and order.status == "filled"
        held = {p.symbol: p.quantity for p in w.orch.store.ledger.positions()}
        assert sorted(held.values()) == [-2, 2] and all(s.startswith("AAPL2") for s in held)
