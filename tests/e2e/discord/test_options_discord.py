"""/chain and /ivrank on Discord: the chain answers publicly with its table (the contract
nearest the asked delta marked) and the IV smile as a PNG attachment; /ivrank gives rank
and percentile; bad input is refused privately with one sentence and nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from agents.errors import DataUnavailable
from bot.app import App
from bot.discord_app.chain_embeds import NEAREST_MARK
from tests.conftest import Clock
from tests.e2e.discord.world import TRADER_ID, VIEWER_ID, field, running
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p

PNG = b"\x89PNG\r\n\x1a\n"
TITLE = re.compile(r"^AAPL (\d{4}-\d{2}-\d{2}) \((\d+) DTE\) puts$")


def table_rows(embed: dict[str, Any]) -> list[str]:
    body = embed["description"].split("```")[1]
    return [ln for ln in body.strip("\n").split("\n")[1:] if not ln.startswith("…")]


def private(msg: dict[str, Any]) -> bool:
    return bool(int(msg["flags"]) & p.EPHEMERAL)


async def test_chain_posts_the_table_and_the_smile_chart(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash(
            "chain",
            {"symbol": "aapl", "expiry": "30", "side": "puts", "delta": 0.2},
            user=VIEWER_ID,
        )
        msg = await h.response(timeout=15)
        assert h.callback_type == 5 and not h.ephemeral  # deferred, then public
        e = msg["embeds"][0]
        m = TITLE.match(e["title"])
        assert m, e["title"]
        expiry, dte = date.fromisoformat(m.group(1)), int(m.group(2))
        assert 20 <= dte <= 40
        desc = e["description"]
        assert "SIMULATED" in desc and "Spot **" in desc and "ATM IV **" in desc
        assert "percentile" in desc  # the simulator has a year of IV: rank and percentile
        assert f"nearest 0.20 delta: AAPL{expiry:%y%m%d}P" in desc
        rows = table_rows(e)
        marked = [r for r in rows if r.startswith(NEAREST_MARK)]
        assert len(marked) == 1 and " P " in marked[0]
        assert all(" P " in r for r in rows) and len(rows) == 10
        assert f"**{expiry.isoformat()}**" in field(e, "Expiries")
        assert "European" in e["footer"]["text"] and "Rate " in e["footer"]["text"]
        # the smile chart went up in the multipart upload and the embed shows it
        att = msg["attachments"][0]
        assert att["filename"] == "smile-AAPL.png"
        assert e["image"]["url"] == "attachment://smile-AAPL.png"
        assert fake.files[int(att["id"])].startswith(PNG)
        uploads = [f for r in fake.requests for f in r.files if f.filename == "smile-AAPL.png"]
        assert uploads and uploads[-1].data.startswith(PNG)

        # 20 means 0.20 too; both sides by default, strikes per side as asked
        both = await fake.slash("chain", {"symbol": "AAPL", "delta": 20, "strikes": 3})
        e = (await both.response(timeout=15))["embeds"][0]
        assert e["title"].endswith("calls & puts") and "nearest 0.20 delta" in e["description"]
        rows = table_rows(e)
        assert len(rows) == 6 and sum(r.startswith(NEAREST_MARK) for r in rows) == 2


async def test_without_a_smile_the_table_is_still_posted(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:

        async def no_smile(symbol: str) -> Any:
            raise DataUnavailable(f"No option chain for {symbol}: the venue timed out")

        w.orch.option_smile = no_smile
        h = await fake.slash("chain", {"symbol": "MSFT", "side": "calls"}, user=VIEWER_ID)
        msg = await h.response(timeout=15)
        assert not h.ephemeral and msg["embeds"][0]["title"].startswith("MSFT ")
        assert "image" not in msg["embeds"][0] and not msg.get("attachments")
        assert msg["content"] == (
            "Smile chart unavailable: No option chain for MSFT: the venue timed out"
        )


async def test_ivrank_shows_rank_and_percentile(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash("ivrank", {"symbol": "TSLA"}, user=VIEWER_ID)
        msg = await h.response(timeout=15)
        assert not h.ephemeral
        e = msg["embeds"][0]
        assert "TSLA IV rank" in e["title"] and "SIMULATED" in e["title"]
        assert "rank" in e["description"] and "percentile" in e["description"]
        rank = float(field(e, "IV rank").strip("`"))
        pct = float(field(e, "IV percentile").strip("`"))
        assert 0 <= rank <= 100 and 0 <= pct <= 100
        assert "–" in field(e, "52-week range")
        assert "52-week low" in e["footer"]["text"]


async def test_unknown_symbol_gets_did_you_mean_privately(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        for name in ("chain", "ivrank"):
            h = await fake.slash(name, {"symbol": "APPL"}, user=TRADER_ID)
            msg = await h.response()
            assert h.ephemeral and not msg.get("embeds") and not msg.get("attachments")
            assert msg["content"] == "Unknown symbol APPL. Did you mean AAPL?"


BAD: list[tuple[dict[str, Any], str]] = [
    ({"expiry": "abc"}, "expiry must be days to expiry like 30 or a date like 2027-01-15"),
    ({"expiry": "2027-13-45"}, "not '2027-13-45'"),
    ({"expiry": "9999"}, "Days to expiry must be between 0 and 1500"),
    ({"delta": 150}, "delta must be between 0 and 1"),
    ({"delta": 0}, "delta must be between 0 and 1"),
    ({"strikes": 0}, "strikes must be between 1 and 60"),
    ({"strikes": 500}, "strikes must be between 1 and 60"),
]


async def test_bad_input_is_refused_privately_and_nothing_else(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        for options, said in BAD:
            before = len(fake.files)
            h = await fake.slash("chain", {"symbol": "AAPL", **options}, user=VIEWER_ID)
            msg = await h.response()
            assert h.callback_type == 4 and h.ephemeral, options  # refused before any defer
            assert not msg.get("embeds") and not msg.get("attachments"), options
            assert said in msg["content"] and "\n" not in msg["content"], (options, msg)
            assert len(fake.files) == before


async def test_an_unlisted_expiry_date_is_refused_privately_after_the_defer(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        h = await fake.slash("chain", {"symbol": "AAPL", "expiry": "2099-01-02"}, user=VIEWER_ID)
        msg = await h.response(timeout=15)
        assert h.callback_type == 5 and h.original is None  # the "thinking" message is gone
        assert private(msg) and not msg.get("embeds") and not msg.get("attachments")
        assert "no options expire on 2099-01-02; the nearest are" in msg["content"]


async def test_the_synced_commands_include_chain_and_ivrank(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        cmds = {c["name"]: c for c in fake.commands(p.GUILD_ID)}
        assert {"chain", "ivrank"} <= set(cmds)
        opts = {o["name"]: o for o in cmds["chain"]["options"]}
        assert list(opts) == ["symbol", "expiry", "side", "delta", "strikes"]
        assert opts["symbol"]["required"] and opts["symbol"]["autocomplete"]
        assert [c["value"] for c in opts["side"]["choices"]] == ["calls", "puts"]
        assert (opts["strikes"]["min_value"], opts["strikes"]["max_value"]) == (1, 60)
        choices = await fake.autocomplete("chain", "symbol", {"symbol": "AA"})
        assert "AAPL" in [c["value"] for c in choices]
