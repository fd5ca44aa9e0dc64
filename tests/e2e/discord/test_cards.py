"""Proposal cards on Discord: posted by commands, decided by buttons, exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import (
    SECOND_TRADER_ID,
    TRADER_ID,
    VIEWER_ID,
    World,
    buttons,
    card_message,
    field,
    running,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p

EPHEMERAL = 1 << 6


async def propose(w: World, symbol: str = "AAPL", qty: int = 10, side: str = "buy") -> str:
    h = await w.fake.slash(
        "propose", {"symbol": symbol, "side": side, "size": str(qty)}, user=TRADER_ID
    )
    msg = await h.response()
    assert h.callback_type == 5  # deferred first: the card needs data and risk checks
    pid = buttons(msg)["Approve"]["custom_id"].split(":")[-1]
    await w.fake.wait_until(lambda: bool(w.orch.store.frontend.posts(pid)), what="card recorded")
    return pid


async def test_login_syncs_commands_once_and_declares_its_intents(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        names = {c["name"] for c in fake.commands(p.GUILD_ID)}
        assert {"scan", "analyze", "propose", "positions", "orders", "pnl", "watchlist"} <= names
        assert {"pause", "resume", "kill", "status", "why", "help", "admin"} <= names
        assert fake.commands(None) == []  # no global sync when a guild is configured
        ident = fake.identifies[-1]
        assert ident["intents"] & (1 << 15)  # message content, declared for chat
        assert not ident["intents"] & (1 << 1)  # no members intent: not used
    puts = [r for r in fake.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(puts) == 1
    async with running(fake, make_app, clock):  # a restart does not sync again
        pass
    assert len([r for r in fake.requests if r.method == "PUT" and "/commands" in r.path]) == 1


async def test_propose_posts_a_card_with_every_fact_and_the_mode(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w, "MSFT", 5)
        msg = card_message(fake, pid)
        e = msg["embeds"][0]
        assert "SIMULATED" in e["title"] and "BUY 5 MSFT" in e["title"]
        assert "SIMULATED" in e["author"]["name"]
        for name in ("Entry", "Stop", "Target", "Risk", "Reward:risk", "Strategy", "Expires"):
            assert field(e, name)
        assert "% of equity" in field(e, "Risk")
        checks = field(e, "Risk checks")
        assert "✅" in checks and "buying power" in checks.lower()
        assert e["description"]  # the rationale
        b = buttons(msg)
        assert set(b) == {"Approve", "Reject", "Adjust size"}
        assert b["Approve"]["custom_id"] == f"cot:approve:{pid}"
        assert not any(x.get("disabled") for x in b.values())
        assert w.orch.store.frontend.posts(pid)[0].message_id == msg["id"]


async def test_approve_by_an_approver_fills_and_edits_the_card(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w, "AAPL", 10)
        msg = card_message(fake, pid)
        h = await fake.click(msg["id"], f"cot:approve:{pid}", user=TRADER_ID)
        await h.ack()
        assert h.callback_type == 6  # deferred update: the re-check reads a fresh quote
        await fake.wait_until(
            lambda: "Outcome" in str(fake.message(msg["id"])["embeds"]), what="card edited"
        )
        edited = fake.message(msg["id"])
        outcome = field(edited["embeds"][0], "Outcome")
        assert "Approved by trader" in outcome and pid in outcome and "10/10 filled" in outcome
        assert all(b.get("disabled") for b in buttons(edited).values())
        pos = w.orch.store.ledger.position("AAPL")
        assert pos is not None and pos.quantity == 10
        order = w.orch.store.ledger.order(pid)
        assert order is not None and order.client_order_id == pid
        alerts = fake.channel_messages(1_300_000_000_000_000_302)
        assert any("fill" in m["embeds"][0]["title"] for m in alerts)


async def test_reject_edits_the_card_and_sends_nothing(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w)
        msg = card_message(fake, pid)
        h = await fake.click(msg["id"], f"cot:reject:{pid}", user=TRADER_ID)
        await h.ack()
        assert h.callback_type == 7
        edited = fake.message(msg["id"])
        assert "Rejected by trader" in field(edited["embeds"][0], "Outcome")
        assert all(b.get("disabled") for b in buttons(edited).values())
        assert w.orch.proposal(pid).status == "rejected"
        assert w.orch.store.ledger.order(pid) is None


async def test_a_non_approver_is_refused_privately_and_nothing_changes(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w)
        msg = card_message(fake, pid)
        before = fake.message(msg["id"])
        for verb in ("approve", "reject", "resize"):
            h = await fake.click(msg["id"], f"cot:{verb}:{pid}", user=VIEWER_ID)
            reply = await h.response()
            assert h.callback_type == 4 and h.ephemeral
            assert "Only approvers" in reply["content"]
        assert w.orch.proposal(pid).status == "pending"
        assert w.orch.store.ledger.order(pid) is None
        assert fake.message(msg["id"])["embeds"] == before["embeds"]
        kinds = [e.type for e in w.orch.store.events.for_proposal(pid)]
        assert {"approve.unauthorized", "reject.unauthorized", "resize.unauthorized"} <= set(kinds)


async def test_the_guild_owner_decides_when_no_approvers_are_configured(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock, approver_role_ids="") as w:
        pid = await propose(w)
        msg = card_message(fake, pid)
        refused = await fake.click(msg["id"], f"cot:approve:{pid}", user=TRADER_ID)
        assert "server owner" in (await refused.response())["content"] and refused.ephemeral
        ok = await fake.click(msg["id"], f"cot:approve:{pid}", user=p.OWNER_ID)
        await ok.ack()
        await fake.wait_until(lambda: w.orch.proposal(pid).status == "filled", what="filled")


async def test_double_click_and_two_approvers_at_once_make_one_order(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w, "NVDA", 4)
        msg = card_message(fake, pid)
        cid = f"cot:approve:{pid}"
        hs = await asyncio.gather(
            fake.click(msg["id"], cid, user=TRADER_ID),
            fake.click(msg["id"], cid, user=TRADER_ID),
            fake.click(msg["id"], cid, user=SECOND_TRADER_ID),
        )
        for h in hs:
            await h.ack()
        await fake.wait_until(lambda: w.orch.proposal(pid).status == "filled", what="filled")
        await fake.wait_until(lambda: sum(len(h.followups) for h in hs) == 2, what="refusals")
        assert len([o for o in w.orch.orders().orders if o.client_order_id == pid]) == 1
        assert w.orch.store.ledger.position("NVDA").quantity == 4
        refusals = [f for h in hs for f in h.followups]
        assert all(f["flags"] & EPHEMERAL for f in refusals)
        assert all("cannot be approved" in f["content"] for f in refusals)
        # the card's buttons are disabled now; a client still showing the old card gets a
        # clear answer and still no second order
        assert buttons(fake.message(msg["id"]))["Approve"].get("disabled")
        late = await fake.click(msg["id"], cid, user=SECOND_TRADER_ID, as_seen=msg)
        assert "cannot be approved" in (await late.response())["content"] and late.ephemeral
        assert len([o for o in w.orch.orders().orders if o.client_order_id == pid]) == 1


async def test_an_old_card_still_works_once_after_a_restart(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        pid = await propose(w, "AMD", 3)
        seen = card_message(fake, pid)
        mid = seen["id"]
    async with running(fake, make_app, clock) as w2:
        h = await fake.click(mid, f"cot:approve:{pid}", user=TRADER_ID)
        await h.ack()
        await fake.wait_until(lambda: w2.orch.proposal(pid).status == "filled", what="filled")
        # a stale copy of the old buttons (e.g. another client) gets a clear answer
        again = await fake.click(mid, f"cot:approve:{pid}", user=TRADER_ID, as_seen=seen)
        assert "cannot be approved" in (await again.response())["content"]
        assert len([o for o in w2.orch.orders().orders if o.client_order_id == pid]) == 1


async def test_an_expired_card_is_refused_and_edited_to_expired(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        first = await propose(w, "AAPL", 2)
        second = await propose(w, "MSFT", 2)
        clock.advance(seconds=901)
        mid = card_message(fake, first)["id"]
        h = await fake.click(mid, f"cot:approve:{first}", user=TRADER_ID)
        reply = await h.response()
        assert "expired" in reply["content"] and h.followups[0]["flags"] & EPHEMERAL
        await fake.wait_until(
            lambda: "EXPIRED" in str(card_message(fake, first)["embeds"]), what="card expired"
        )
        # the desk loop expires the card nobody clicked, and the bot edits it
        await w.orch.housekeeping()
        card = card_message(fake, second)
        assert "EXPIRED" in field(card["embeds"][0], "Outcome")
        assert all(b.get("disabled") for b in buttons(card).values())
        assert w.orch.store.ledger.order(first) is None
        assert w.orch.store.ledger.order(second) is None
