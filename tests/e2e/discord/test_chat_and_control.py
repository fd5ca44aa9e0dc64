"""Discord chat, the kill switch, adjusting size, scheduled jobs and bad input, end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import text

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import (
    ALERT_CHANNEL,
    CHAT_CHANNEL,
    TOKEN,
    TRADER_ID,
    VIEWER_ID,
    buttons,
    card_message,
    field,
    running,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.interactions import InteractionHandle

EPHEMERAL = 1 << 6


async def slash_propose(fake: FakeDiscord, symbol: str, qty: int) -> InteractionHandle:
    return await fake.slash(
        "propose", {"symbol": symbol, "side": "buy", "size": str(qty)}, user=TRADER_ID
    )


def bot_messages(fake: FakeDiscord, channel: int) -> list[dict]:
    return [m for m in fake.channel_messages(channel) if m["author"]["id"] == str(p.BOT_ID)]


async def test_plain_language_buy_yields_a_card_and_never_an_order(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        n = len(bot_messages(fake, CHAT_CHANNEL))
        await fake.say("buy 10 shares of AAPL", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: len(bot_messages(fake, CHAT_CHANNEL)) > n, what="reply")
        reply = bot_messages(fake, CHAT_CHANNEL)[-1]
        assert "Understood: buy 10 AAPL" in reply["content"]
        assert "BUY 10 AAPL" in reply["embeds"][0]["title"]
        pid = buttons(reply)["Approve"]["custom_id"].split(":")[-1]
        assert w.orch.proposal(pid).status == "pending"
        assert w.orch.orders().orders == ()
        # approving cannot be said in chat
        await fake.say(f"approve {pid}", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: len(bot_messages(fake, CHAT_CHANNEL)) > n + 1, what="reply")
        assert "button" in bot_messages(fake, CHAT_CHANNEL)[-1]["content"].lower()
        assert w.orch.proposal(pid).status == "pending" and w.orch.orders().orders == ()


async def test_small_talk_and_dms_get_useful_answers(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        await fake.say("hello there", user=VIEWER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: bool(bot_messages(fake, CHAT_CHANNEL)), what="reply")
        assert "scan" in bot_messages(fake, CHAT_CHANNEL)[-1]["content"].lower()
        await fake.dm("what's my pnl this week", user=TRADER_ID)
        dm = fake.dm_channel_id(TRADER_ID)
        await fake.wait_until(lambda: bool(bot_messages(fake, dm)), what="dm reply")
        assert "P&L (week)" in bot_messages(fake, dm)[-1]["embeds"][0]["title"]


async def test_without_the_message_content_intent_mentions_still_work(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock, discord_message_content=False):
        assert not fake.identifies[-1]["intents"] & (1 << 15)
        await fake.say("status please", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.say(f"<@{p.BOT_ID}> status", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: bool(bot_messages(fake, CHAT_CHANNEL)), what="reply")
        replies = bot_messages(fake, CHAT_CHANNEL)
        assert len(replies) == 1 and "status" in replies[0]["embeds"][0]["title"]


async def test_kill_asks_for_confirmation_then_halts_once(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        h = await fake.slash(
            "propose", {"symbol": "AAPL", "side": "buy", "size": "5"}, user=TRADER_ID
        )
        pid = buttons(await h.response())["Approve"]["custom_id"].split(":")[-1]
        for cmd in ("pause", "resume"):
            no = await fake.slash(cmd, user=VIEWER_ID)
            assert "Only approvers" in (await no.response())["content"] and no.ephemeral
        assert not w.orch.store.state.get().paused
        refused = await fake.slash("kill", user=VIEWER_ID)
        assert "Only approvers" in (await refused.response())["content"] and refused.ephemeral
        ask = await fake.slash("kill", {"flatten": True}, user=TRADER_ID)
        question = await ask.response()
        assert ask.ephemeral and "HALT" in question["content"]
        assert not w.orch.store.state.get().halted  # nothing yet: it needs the second click
        confirm = buttons(question)["Confirm: cancel all, halt, flatten"]["custom_id"]
        other = await fake.click(question["id"], confirm, user=VIEWER_ID)
        assert "Only the person who asked" in (await other.response())["content"]
        assert not w.orch.store.state.get().halted
        done = await fake.click(question["id"], confirm, user=TRADER_ID)
        await done.ack()
        await fake.wait_until(lambda: w.orch.store.state.get().halted, what="halted")
        await fake.wait_until(
            lambda: "HALTED" in str(fake.message(question["id"])["embeds"]), what="report"
        )
        assert pid in field(fake.message(question["id"])["embeds"][0], "Proposals expired")
        await fake.wait_until(
            lambda: "EXPIRED" in str(card_message(fake, pid)["embeds"]), what="card expired"
        )
        again = await fake.click(question["id"], confirm, user=TRADER_ID, as_seen=question)
        assert "already confirmed" in (await again.response())["content"]
        kills = [e for e in w.orch.store.events.recent(200) if e.type == "kill"]
        assert len(kills) == 1
        assert any(
            "KILL" in m["embeds"][0]["description"] for m in fake.channel_messages(ALERT_CHANNEL)
        )


async def test_adjust_size_makes_a_rechecked_replacement_and_supersedes_the_card(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        h = await fake.slash(
            "propose", {"symbol": "MSFT", "side": "buy", "size": "5"}, user=TRADER_ID
        )
        msg = await h.response()
        old = buttons(msg)["Approve"]["custom_id"].split(":")[-1]
        click = await fake.click(msg["id"], f"cot:resize:{old}", user=TRADER_ID)
        await click.ack()
        assert click.callback_type == 9 and click.modal["custom_id"] == f"cot:resize-form:{old}"
        bad = await fake.submit_modal(
            f"cot:resize-form:{old}", {"quantity": "lots"}, user=TRADER_ID, message_id=msg["id"]
        )
        assert "whole number" in (await bad.response())["content"].lower()
        assert w.orch.proposal(old).status == "pending"
        sub = await fake.submit_modal(
            f"cot:resize-form:{old}", {"quantity": "7"}, user=TRADER_ID, message_id=msg["id"]
        )
        new_msg = await sub.response()
        new = buttons(new_msg)["Approve"]["custom_id"].split(":")[-1]
        assert new != old and "BUY 7 MSFT" in new_msg["embeds"][0]["title"]
        assert w.orch.proposal(old).status == "superseded"
        await fake.wait_until(
            lambda: "Superseded" in str(fake.message(msg["id"])["embeds"]), what="old card"
        )
        assert all(b.get("disabled") for b in buttons(fake.message(msg["id"])).values())


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        h = await fake.slash(
            "propose", {"symbol": "AAPL", "side": "buy", "size": "3"}, user=TRADER_ID
        )
        msg = await h.response()
        pid = buttons(msg)["Approve"]["custom_id"].split(":")[-1]
        answers = []
        for cid in ("cot:approve:not-an-id", "something-else", "cot:approve:p-aaaaaaaa"):
            x = await fake.click(msg["id"], cid, user=TRADER_ID, forged=True)
            answers.append((await x.response())["content"])
            assert x.ephemeral
        assert all("not one I recognise" in a for a in answers)
        # a card whose proposal was deleted from the database
        other = await fake.slash(
            "propose", {"symbol": "MSFT", "side": "buy", "size": "2"}, user=TRADER_ID
        )
        omsg = await other.response()
        gone = buttons(omsg)["Approve"]["custom_id"].split(":")[-1]
        with w.orch.store.session(write=True) as s:
            s.execute(text("DELETE FROM proposal_legs WHERE proposal_id = :p"), {"p": gone})
            s.execute(text("DELETE FROM proposals WHERE id = :p"), {"p": gone})
            s.commit()
        x = await fake.click(omsg["id"], f"cot:approve:{gone}", user=TRADER_ID)
        assert "No proposal with id" in (await x.response())["content"] and x.ephemeral
        for name, options in (
            ("propose", {"symbol": "ZZZZZZ"}),
            ("propose", {"symbol": "A" * 90}),
            ("why", {"id": "'; DROP TABLE proposals; --"}),
            ("analyze", {"symbol": "$$$"}),
            ("watchlist", {"symbols": "AAPL NOPE1"}),
        ):
            sub = None
            if name == "watchlist":
                sub = "add"
            r = await fake.slash(name, options, sub=sub, user=TRADER_ID)
            said = (await r.response())["content"]
            assert said and ("Unknown symbol" in said or "No proposal" in said), said
        assert w.orch.watchlist() == []  # all or nothing: AAPL was not half-added
        assert w.orch.proposal(pid).status == "pending"
        assert w.orch.orders().orders == ()
        ok = await fake.slash("status", user=TRADER_ID)  # still up
        assert "status" in (await ok.response())["embeds"][0]["title"]


async def test_scheduled_scan_posts_cards_to_the_alert_channel_once(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        sched = w.orch.jobs
        day = date(2026, 11, 20)
        assert await sched.fire("scan_open", day) is True
        posted = bot_messages(fake, ALERT_CHANNEL)
        assert "scan of" in posted[0]["embeds"][0]["title"]
        cards = [m for m in posted if buttons(m)]
        assert cards and all("SIMULATED" in m["embeds"][0]["title"] for m in cards)
        assert await sched.fire("scan_open", day) is False  # a retry does not post twice
        assert len(bot_messages(fake, ALERT_CHANNEL)) == len(posted)
    async with running(fake, make_app, clock) as w2:  # nor does a restart
        sched2 = w2.orch.jobs
        assert await sched2.fire("scan_open", day) is False
        assert await sched2.fire("eod_summary", day) is True
        assert "P&L (day)" in str(bot_messages(fake, ALERT_CHANNEL)[-1]["embeds"])


async def test_account_answers_are_private_unless_asked_and_why_attaches_long_history(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        pos = await fake.slash("positions", user=TRADER_ID)
        await pos.response()
        assert pos.ephemeral
        pub = await fake.slash("pnl", {"period": "week", "public": True}, user=TRADER_ID)
        assert "P&L (week)" in (await pub.response())["embeds"][0]["title"] and not pub.ephemeral
        h = await fake.slash(
            "propose", {"symbol": "AAPL", "side": "buy", "size": "3"}, user=TRADER_ID
        )
        pid = buttons(await h.response())["Approve"]["custom_id"].split(":")[-1]
        why = await fake.slash("why", {"id": pid}, user=TRADER_ID)
        w = await why.response()
        assert "Chain of events" in str(w["embeds"]) and why.ephemeral
        assert w["attachments"] and w["attachments"][0]["filename"] == f"why-{pid}.txt"
        choices = await fake.autocomplete("analyze", "symbol", {"symbol": "AA"}, user=TRADER_ID)
        assert choices and all(c["value"].startswith("AA") for c in choices)


async def test_the_token_never_leaves_the_process(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock, tmp_path: Path
) -> None:
    async with running(fake, make_app, clock):
        await fake.say("status", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: bool(bot_messages(fake, CHAT_CHANNEL)), what="reply")
    assert fake.identifies[-1]["token"] == TOKEN  # it is used only where Discord wants it
    for r in fake.requests:
        assert TOKEN not in str(r.json) and TOKEN not in str(r.query)
    for m in fake.messages.values():
        assert TOKEN not in str(m)
    home = tmp_path / "home"
    for f in home.rglob("*"):
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f


async def test_a_bot_without_the_content_intent_falls_back_to_mentions_and_dms(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    fake.allowed_privileged_intents = 0  # not enabled in the Developer Portal
    async with running(fake, make_app, clock) as w:
        assert [bool(i["intents"] & (1 << 15)) for i in fake.identifies] == [True, False]
        assert w.bot.hears_all_messages is False
        await fake.say(f"<@{p.BOT_ID}> positions", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: bool(bot_messages(fake, CHAT_CHANNEL)), what="reply")
        assert "positions" in bot_messages(fake, CHAT_CHANNEL)[-1]["embeds"][0]["title"]


async def test_admin_sync_is_for_the_owner_and_a_rate_limit_only_slows_posting(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        puts = lambda: [r for r in fake.requests if r.method == "PUT" and "/commands" in r.path]  # noqa: E731
        refused = await fake.slash("admin", sub="sync", user=TRADER_ID)
        assert "Only the bot's owner" in (await refused.response())["content"]
        assert len(puts()) == 1
        ok = await fake.slash("admin", sub="sync", user=p.OWNER_ID)
        assert "commands registered" in (await ok.response())["content"] and ok.ephemeral
        assert len(puts()) == 2
        # Discord says "slow down" while the scheduled scan posts: every card still arrives
        fake.fail_next("POST", rf"^/channels/{ALERT_CHANNEL}/messages$", 429, retry_after=0.2)
        sched = w.orch.jobs
        assert await sched.fire("scan_midday", date(2026, 11, 20))
        cards = [m for m in bot_messages(fake, ALERT_CHANNEL) if buttons(m)]
        assert cards and len(cards) == len(w.orch.pending())


async def test_analyze_and_questions_in_chat_make_no_card(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        n = len(bot_messages(fake, CHAT_CHANNEL))
        await fake.say("analyze NVDA", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: len(bot_messages(fake, CHAT_CHANNEL)) > n, what="reply")
        reply = bot_messages(fake, CHAT_CHANNEL)[-1]
        assert "NVDA" in reply["embeds"][0]["title"] and reply["attachments"]
        assert not reply.get("components")  # the analysis, not a card to approve
        await fake.say("any news on TSLA?", user=TRADER_ID, channel_id=CHAT_CHANNEL)
        await fake.wait_until(lambda: len(bot_messages(fake, CHAT_CHANNEL)) > n + 1, what="reply")
        news = bot_messages(fake, CHAT_CHANNEL)[-1]
        assert "News" in str(news) and "TSLA" in str(news), news  # the digest, no buttons
        assert not news.get("components")
        assert w.orch.pending() == []
