"""The monitor on the loopback Discord: an alert set with /alert add fires once in the alert
channel when /sim shock moves the price through it; an adverse move on a position posts an
exit signal whose "Review exit" button opens an exit card (a proposal, never an order);
/alert list, remove, rearm, autocomplete, /monitor and /movestop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import (
    ALERT_CHANNEL,
    CHAT_CHANNEL,
    TRADER_ID,
    VIEWER_ID,
    World,
    buttons,
    card_message,
    field,
    running,
)
from tests.fakes.discord import FakeDiscord, Recorded

ALERTS_PATH = rf"^/channels/{ALERT_CHANNEL}/messages$"


def _embeds(r: Recorded) -> list[dict[str, Any]]:
    return list((r.json or {}).get("embeds") or [])


def _author(r: Recorded) -> str:
    return " ".join((e.get("author") or {}).get("name", "") for e in _embeds(r))


def alert_posts(fake: FakeDiscord, marker: str) -> list[Recorded]:
    """Messages the bot posted to the alert channel whose embed author names `marker`."""
    return [
        r
        for r in fake.requests
        if r.method == "POST"
        and r.path == f"/channels/{ALERT_CHANNEL}/messages"
        and marker in _author(r)
    ]


def generic_posts(fake: FakeDiscord, kind: str) -> list[Recorded]:
    """The generic alert embed (title '<icon> <mode> · <kind>') for `kind`."""
    return [
        r
        for r in fake.requests
        if r.method == "POST"
        and r.path == f"/channels/{ALERT_CHANNEL}/messages"
        and any(str(e.get("title", "")).endswith(f"· {kind}") for e in _embeds(r))
    ]


async def _last(w: World, symbol: str) -> float:
    return float((await w.orch.market.quote(symbol)).last)


async def _shock(w: World, symbol: str, pct: float) -> None:
    h = await w.fake.slash("sim", {"symbol": symbol, "pct": pct}, sub="shock", user=TRADER_ID)
    await h.response()
    assert not h.ephemeral


async def _hold(w: World, symbol: str, qty: int = 5) -> str:
    """A filled long position (its stop far below, so only the monitor's alerts fire)."""
    stop = round(await _last(w, symbol) * 0.5, 2)
    h = await w.fake.slash(
        "propose",
        {"symbol": symbol, "side": "buy", "size": str(qty), "stop": stop},
        user=TRADER_ID,
    )
    msg = await h.response(timeout=10)
    pid = buttons(msg)["Approve"]["custom_id"].split(":")[-1]
    await w.fake.wait_until(lambda: bool(w.orch.posts(pid)), what="card recorded")
    click = await w.fake.click(msg["id"], f"cot:approve:{pid}", user=TRADER_ID)
    await click.ack()
    await w.fake.wait_until(
        lambda: w.orch.proposal(pid).status == "filled", timeout=10, what="entry filled"
    )
    return pid


async def test_an_alert_fires_once_in_the_alert_channel(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        last = await _last(w, "NVDA")
        level = round(last * 0.95, 2)
        choices = await fake.autocomplete(
            "alert", "symbol", {"symbol": "NV"}, sub="add", user=TRADER_ID
        )
        assert "NVDA" in [c["value"] for c in choices]

        bad = await fake.slash(
            "alert",
            {"symbol": "APPL", "condition": "below", "level": level},
            sub="add",
            user=TRADER_ID,
        )
        assert "AAPL" in (await bad.response())["content"] and bad.ephemeral
        assert w.orch.alerts().alerts == ()

        h = await fake.slash(
            "alert",
            {"symbol": "NVDA", "condition": "below", "level": level},
            sub="add",
            user=TRADER_ID,
        )
        set_msg = await h.response()
        assert not h.ephemeral
        assert "alert set" in set_msg["embeds"][0]["title"]
        assert "NVDA below" in set_msg["embeds"][0]["title"]
        (a,) = w.orch.alerts().alerts
        assert a.status == "armed" and a.level == pytest.approx(level)

        mark = fake.mark()
        await _shock(w, "NVDA", -10)
        posted = await fake.wait_for(
            "POST",
            ALERTS_PATH,
            predicate=lambda r: f"PRICE ALERT {a.id}" in _author(r),
            after=mark,
            timeout=10,
        )
        (e,) = _embeds(posted)
        assert "SIMULATED" in e["title"] and "NVDA below" in e["title"]
        assert "SIMULATED" in e["author"]["name"]
        assert float(field(e, "Level").replace(",", "")) == pytest.approx(level, abs=0.006)
        seen = float(field(e, "Observed").replace(",", ""))
        assert seen == pytest.approx(last * 0.9, abs=0.02) and seen <= level
        assert field(e, "Position") == "flat"
        assert e["description"]  # the reason, in words
        assert not (posted.json or {}).get("components")  # nothing held: nothing to review

        # a second shock and a pass now: the alert fired once and stays quiet
        await _shock(w, "NVDA", -5)
        mon = await fake.slash("monitor", user=TRADER_ID)
        view = (await mon.response(timeout=10))["embeds"][0]
        assert "monitor" in view["title"] and "Checked" in view["description"]
        await fake.wait_until(lambda: w.orch.alerts().alerts[0].status == "fired", what="fired")
        assert len(alert_posts(fake, f"PRICE ALERT {a.id}")) == 1
        assert generic_posts(fake, "price") == []

        listed = await fake.slash("alert", sub="list", user=TRADER_ID)
        desc = (await listed.response())["embeds"][0]["description"]
        assert a.id in desc and "NVDA below" in desc and "fired" in desc

        ids = await fake.autocomplete("alert", "id", {"id": ""}, sub="remove", user=TRADER_ID)
        assert [c["value"] for c in ids] == [a.id]
        rearm = await fake.slash("alert", {"id": a.id}, sub="rearm", user=TRADER_ID)
        assert "re-armed" in (await rearm.response())["embeds"][0]["title"]
        # re-armed while the price is still below: it fires again, once
        await fake.wait_until(
            lambda: len(alert_posts(fake, f"PRICE ALERT {a.id}")) == 2, what="fired again"
        )

        gone = await fake.slash("alert", {"id": a.id}, sub="remove", user=TRADER_ID)
        assert "removed" in (await gone.response())["embeds"][0]["title"]
        assert w.orch.alerts().alerts == ()
        again = await fake.slash("alert", {"id": a.id}, sub="remove", user=TRADER_ID)
        await again.response()
        assert again.ephemeral  # an unknown id is refused privately
        empty = await fake.slash("alert", sub="list", user=TRADER_ID)
        assert "No alerts" in (await empty.response())["embeds"][0]["description"]


async def test_an_adverse_move_offers_an_exit_card_never_an_order(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        entry = await _hold(w, "AAPL", 5)
        mark = fake.mark()
        await _shock(w, "AAPL", -12)
        posted = await fake.wait_for(
            "POST",
            ALERTS_PATH,
            predicate=lambda r: "EXIT SIGNAL" in _author(r),
            after=mark,
            timeout=10,
        )
        (e,) = _embeds(posted)
        assert "SIMULATED" in e["title"] and "AAPL" in e["title"]
        assert "adverse" in e["title"]
        assert float(field(e, "Position P&L").rstrip("%")) < -10
        assert field(e, "Position") == "long 5"
        assert field(e, "Proposal") == "none"
        assert generic_posts(fake, "exit") == []
        msg = fake.message(posted.response["id"])
        review = buttons(msg)["Review exit"]
        assert review["custom_id"] == "cot:exit-review:AAPL"

        # anyone may open the card; it is a proposal, and only approvers can approve it
        before = {o.client_order_id for o in w.app.store.ledger.orders(limit=None)}
        h = await fake.click(msg["id"], review["custom_id"], user=VIEWER_ID)
        reply = await h.response(timeout=10)
        assert h.ephemeral and "Exit card" in reply["content"]
        exits = [c for c in w.orch.pending() if c.kind == "exit" and c.symbol == "AAPL"]
        assert len(exits) == 1
        card = card_message(fake, exits[0].id)
        assert card["channel_id"] == str(ALERT_CHANNEL)
        assert "EXIT PROPOSAL" in card["embeds"][0]["author"]["name"]
        assert set(buttons(card)) >= {"Approve", "Reject"}
        assert w.app.store.ledger.order(exits[0].id) is None
        after = {o.client_order_id for o in w.app.store.ledger.orders(limit=None)}
        assert after == before and all(x.startswith(entry) for x in after)

        no = await fake.click(card["id"], f"cot:approve:{exits[0].id}", user=VIEWER_ID)
        assert "Only approvers" in (await no.response())["content"] and no.ephemeral
        assert w.orch.proposal(exits[0].id).status == "pending"

        # a second click points at the open card instead of posting another
        again = await fake.click(msg["id"], review["custom_id"], user=TRADER_ID)
        assert "already open" in (await again.response(timeout=10))["content"]
        assert again.ephemeral
        cards = [
            m
            for m in fake.channel_messages(ALERT_CHANNEL)
            if exits[0].id in str(m.get("embeds")) and "EXIT PROPOSAL" in str(m.get("embeds"))
        ]
        assert len(cards) == 1


async def test_movestop_posts_a_stop_card_and_refusals_stay_private(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        flat = await fake.slash("movestop", {"symbol": "MSFT", "breakeven": True}, user=TRADER_ID)
        await flat.response(timeout=10)
        assert flat.ephemeral
        await _hold(w, "MSFT", 5)
        none = await fake.slash("movestop", {"symbol": "MSFT"}, user=TRADER_ID)
        assert "exactly one" in (await none.response())["content"] and none.ephemeral
        stop = round(await _last(w, "MSFT") * 0.9, 2)
        h = await fake.slash("movestop", {"symbol": "MSFT", "price": stop}, user=TRADER_ID)
        reply = await h.response(timeout=10)
        assert h.ephemeral and "Stop card" in reply["content"]
        (card,) = [c for c in w.orch.pending() if c.kind == "stop"]
        msg = card_message(fake, card.id)
        assert msg["channel_id"] == str(CHAT_CHANNEL)
        assert "SIMULATED" in msg["embeds"][0]["title"]
        assert set(buttons(msg)) >= {"Approve", "Reject"}
        assert w.app.store.ledger.order(card.id) is None


async def test_an_exit_rule_posts_its_card_to_the_alert_channel_once(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        await _hold(w, "MSFT", 5)
        clock.advance(days=30)  # past the time stop (max holding days)
        mark = fake.mark()
        h = await fake.slash("monitor", user=TRADER_ID)
        await h.response(timeout=10)
        posted = await fake.wait_for(
            "POST",
            ALERTS_PATH,
            predicate=lambda r: "EXIT SIGNAL" in _author(r),
            after=mark,
            timeout=10,
        )
        (e,) = _embeds(posted)
        pid = field(e, "Proposal").split("`")[1]
        assert "time stop" in e["title"] and "MSFT" in e["title"]
        assert not (posted.json or {}).get("components")  # the card itself follows
        card = card_message(fake, pid)
        assert card["channel_id"] == str(ALERT_CHANNEL)
        assert w.orch.proposal(pid).kind == "exit"
        assert w.app.store.ledger.order(pid) is None

        again = await fake.slash("monitor", user=TRADER_ID)
        await again.response(timeout=10)
        assert len(alert_posts(fake, "EXIT SIGNAL")) == 1
        cards = [
            m
            for m in fake.channel_messages(ALERT_CHANNEL)
            if pid in str(m) and "EXIT PROPOSAL" in str(m)
        ]
        assert len(cards) == 1
