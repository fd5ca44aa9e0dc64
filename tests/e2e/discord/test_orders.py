"""Orders as the trader meant them, on Discord: /propose with its size, limit, stop, target
and tif options, a SHORT card, /close by percent, /cancel (approvers only), the scan
table's change and side, and /help command:NAME."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import App
from models.domain import Actor, Side, TimeInForce
from models.order_spec import OrderSpec
from tests.conftest import Clock
from tests.e2e.discord.world import TRADER_ID, VIEWER_ID, World, buttons, field, running
from tests.fakes.discord import FakeDiscord

ALICE = Actor(id=f"discord:{TRADER_ID}", name="alice", can_approve=True)


async def last(w: World, symbol: str) -> float:
    return float((await w.orch.analyze(symbol)).indicators["last"])


async def card_of(w: World, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """/propose by the trader: the reply message and the proposal id on its buttons."""
    h = await w.fake.slash("propose", options, user=TRADER_ID)
    msg = await h.response()
    return msg, buttons(msg)["Approve"]["custom_id"].split(":")[-1]


async def test_propose_takes_size_limit_stop_target_and_tif(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        px = await last(w, "AAPL")
        limit, stop, target = round(px * 0.98, 2), round(px * 0.94, 2), round(px * 1.1, 2)
        msg, pid = await card_of(
            w,
            {
                "symbol": "AAPL",
                "side": "buy",
                "size": "$2000",
                "limit": limit,
                "stop": stop,
                "target": target,
                "tif": "gtc",
            },
        )
        card = w.orch.proposal(pid)
        assert (card.limit_price, card.stop, card.target) == (limit, stop, target)
        assert card.time_in_force == "gtc" and card.quantity == int(2000 // limit)
        e = msg["embeds"][0]
        assert e["title"].endswith(f"BUY {card.quantity} AAPL")
        assert f"limit {limit:,.2f}" in field(e, "Entry") and "good till" in field(e, "Entry")
        assert "at the venue" in field(e, "Stop") and "at the venue" in field(e, "Target")
        assert "$2,000.00" in field(e, "Notes")
        assert msg["content"].startswith("Asked: buy $2,000.00 of AAPL, limit")

        short, spid = await card_of(w, {"symbol": "TSLA", "side": "short", "size": "3"})
        assert short["embeds"][0]["title"].endswith("SHORT 3 TSLA")
        assert "SHORT PROPOSAL" in short["embeds"][0]["author"]["name"]
        assert w.orch.proposal(spid).short


async def test_a_bad_option_is_refused_privately_by_name_and_creates_nothing(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        for options, named in (
            ({"symbol": "AAPL", "size": "lots"}, "lots"),
            ({"symbol": "AAPL", "size": "150%"}, "150%"),
            ({"symbol": "AAPL", "side": "short", "size": "5", "stop": 0.5}, "stop"),
        ):
            h = await fake.slash("propose", options, user=TRADER_ID)
            said = (await h.response())["content"]
            assert named in said, (options, said)
        bad = await fake.slash("propose", {"symbol": "AAPL", "size": "lots"}, user=TRADER_ID)
        await bad.response()
        assert bad.ephemeral  # a syntax refusal is private: nothing was deferred in public
        assert w.orch.pending() == [] and w.orch.orders().orders == ()


async def test_close_by_percent_is_an_exit_card_that_says_what_it_realises(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        await w.orch.approve((await w.orch.propose("NVDA", "buy", 10, ALICE)).id, ALICE)
        h = await fake.slash("close", {"symbol": "NVDA", "size": "50%"}, user=TRADER_ID)
        msg = await h.response()
        e = msg["embeds"][0]
        assert e["title"].endswith("EXIT: SELL 5 NVDA") and "EXIT PROPOSAL" in e["author"]["name"]
        assert field(e, "Realises").replace("-", "").startswith("$")
        assert "50%" in field(e, "Notes")
        no = await fake.slash("close", {"symbol": "NVDA", "size": "$100"}, user=TRADER_ID)
        assert "$100" in (await no.response())["content"] and no.ephemeral


async def test_cancel_is_for_approvers_and_cancels_a_working_order(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        px = await last(w, "MSFT")
        p = await w.orch.propose_order(
            OrderSpec(
                symbol="MSFT",
                side=Side.BUY,
                quantity=5,
                limit=round(px * 0.9, 2),
                tif=TimeInForce.GTC,
            ),
            ALICE,
        )
        await w.orch.approve(p.id, ALICE)
        assert [o.status for o in w.orch.orders(open_only=True).orders if o.client_order_id == p.id]

        refused = await fake.slash("cancel", {"order_id": p.id}, user=VIEWER_ID)
        assert "Only approvers" in (await refused.response())["content"] and refused.ephemeral
        assert p.id in {o.client_order_id for o in w.orch.orders(open_only=True).orders}

        ok = await fake.slash("cancel", {"order_id": p.id}, user=TRADER_ID)
        said = (await ok.response())["content"]
        assert p.id in said and "cancel" in said.lower() and ok.ephemeral
        assert p.id not in {o.client_order_id for o in w.orch.orders(open_only=True).orders}
        unknown = await fake.slash("cancel", {"order_id": "p-zzzzzzzz"}, user=TRADER_ID)
        assert "No order" in (await unknown.response())["content"]

        orders = await fake.slash("orders", {}, user=TRADER_ID)
        table = (await orders.response())["embeds"][0]["description"]
        assert "role" in table and "tif" in table and p.id in table


async def test_scan_shows_change_and_side_and_help_explains_one_command(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        scan = await fake.slash("scan", {"symbols": "AAPL MSFT NVDA"}, user=TRADER_ID)
        table = (await scan.response())["embeds"][0]["description"]
        assert "chg%" in table and "side" in table
        h = await fake.slash("help", {"command": "propose"}, user=TRADER_ID)
        e = (await h.response())["embeds"][0]
        assert e["title"] == "/propose"
        opts = field(e, "Options")
        for name in ("size", "limit", "stop", "target", "tif"):
            assert f"`{name}` (optional)" in opts, opts
        assert "/propose NVDA $5000 limit=120.50" in field(e, "In the terminal")
        choices = await fake.autocomplete("help", "command", {"command": "ca"}, user=TRADER_ID)
        assert [c["value"] for c in choices] == ["cancel"]
        nope = await fake.slash("help", {"command": "card"}, user=TRADER_ID)
        assert "terminal command" in (await nope.response())["content"]
        every = (await (await fake.slash("help", {}, user=TRADER_ID)).response())["embeds"][0]
        listed = "\n".join(f["value"] for f in every["fields"])
        assert "more not shown" not in listed and "`/report`" in listed
        for name in ("scan", "propose", "news", "suggestions", "settings", "watchlist"):
            assert f"`/{name}" in listed, name
