"""Reports and learning on Discord: /report answers privately (or publicly when asked) with
the headline figures, the equity chart and every file attached; a scheduled report lands in
the alert channel; a suggestion is a card whose Apply only an approver may click, and
/settings revert puts the setting back."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from agents import events as ev
from agents.report_views import SuggestionView
from bot.app import App
from models.domain import Actor
from models.learning_tables import SuggestionRow
from services.reports.markdown import money
from tests.conftest import Clock
from tests.e2e.discord.world import (
    ALERT_CHANNEL,
    TRADER_ID,
    VIEWER_ID,
    World,
    buttons,
    field,
    running,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p

TRADER = Actor(id=f"discord:{TRADER_ID}", name="trader", can_approve=True)
KEY = "scanner.min_score"


def private(msg: dict[str, Any]) -> bool:
    return bool(int(msg["flags"]) & p.EPHEMERAL)


def names(msg: dict[str, Any]) -> list[str]:
    return [a["filename"] for a in msg.get("attachments", [])]


def expected_files(stem_day: str) -> set[str]:
    return {
        f"equity-{stem_day}.png",
        f"strategies-{stem_day}.png",
        f"report-{stem_day}.md",
        f"trades-{stem_day}.csv",
        f"equity-{stem_day}.csv",
    }


async def round_trip(w: World) -> None:
    """Buy 10 AAPL and sell them again: a realised P&L today."""
    card = await w.orch.propose("AAPL", "buy", 10, TRADER)
    await w.orch.approve(card.id, TRADER)
    out = await w.orch.close("AAPL", None, TRADER)
    await w.orch.approve(out.id, TRADER)


async def test_report_private_by_default_with_files_and_public_on_request(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        await round_trip(w)
        h = await fake.slash("report", {"period": "day"}, user=TRADER_ID)
        msg = await h.response(timeout=30)
        assert h.ephemeral
        e = msg["embeds"][0]
        assert "SIMULATED" in e["title"] and "day report" in e["title"]
        pnl = await w.orch.pnl("day")
        assert field(e, "Realised") == money(pnl.realized) != "$0.00"
        view = await w.orch.report("day")
        assert field(e, "Realised") in view.text  # the summary's own string
        files = names(msg)
        stems = {n.removeprefix("report-").removesuffix(".md") for n in files if n.endswith(".md")}
        (stem,) = stems
        assert set(files) == expected_files(stem)
        assert e["image"]["url"] == f"attachment://equity-{stem}.png"
        assert "Cards" in [f["name"] for f in e["fields"]]

        h = await fake.slash("report", {"period": "week", "public": True}, user=VIEWER_ID)
        msg = await h.response(timeout=30)
        assert not h.ephemeral and "week report" in msg["embeds"][0]["title"]
        assert len(names(msg)) == 5

        for public in (False, True):
            h = await fake.slash("report", {"period": "fortnight", "public": public})
            msg = await h.response(timeout=15)
            assert private(msg) and "fortnight" in msg["content"], msg
            assert not msg.get("embeds") and not msg.get("attachments")
            if public:  # the public "thinking" message is withdrawn, not left behind
                assert h.original is None


async def test_scheduled_report_lands_in_the_alert_channel_with_its_files(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        await round_trip(w)
        view = await w.orch.report("day")
        await w.orch.publish(
            ev.ReportReady(
                mode_label=view.mode_label, job="report_day", day=date.today(), view=view
            )
        )

        def posted() -> list[dict[str, Any]]:
            return [
                m
                for m in fake.channel_messages(ALERT_CHANNEL)
                if m.get("embeds") and "report" in m["embeds"][0].get("title", "")
            ]

        await fake.wait_until(lambda: bool(posted()), what="report in the alert channel")
        (msg,) = posted()
        assert len(names(msg)) == 5 and any(n.endswith(".md") for n in names(msg))
        e = msg["embeds"][0]
        assert field(e, "Realised") == money(view.figures["realised"])
        assert e["image"]["url"].startswith("attachment://equity-")


async def test_suggestion_card_apply_is_for_approvers_and_settings_revert_restores(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock) as w:
        o = w.orch
        before = o.tunables.value(KEY)
        row = SuggestionRow(
            id=f"s-{secrets.token_hex(4)}",
            created_at=clock(),
            key=KEY,
            value=60.0,
            current=float(before),
            title="Raise the scanner's minimum score",
            evidence="Low-score entries lost 7 of 9 times.",
            confidence=0.7,
        )
        stored = w.app.store.learning.add_suggestion(row, "test")
        assert stored is not None
        sid = stored.id
        await o.publish(
            ev.SuggestionsReady(mode_label=o.mode.label, suggestions=(SuggestionView.of(stored),))
        )

        def cards() -> list[dict[str, Any]]:
            return [
                m
                for m in fake.channel_messages(ALERT_CHANNEL)
                if m.get("embeds") and sid in m["embeds"][0].get("title", "")
            ]

        await fake.wait_until(lambda: bool(cards()), what="suggestion card")
        (card,) = cards()
        assert f"{before:g} → 60" in field(card["embeds"][0], "Setting")
        assert set(buttons(card)) == {"Apply", "Dismiss"}
        assert buttons(card)["Apply"]["custom_id"] == f"sugg:apply:{sid}"

        # /suggestions lists it privately, with its buttons
        h = await fake.slash("suggestions", user=VIEWER_ID)
        await fake.wait_until(lambda: bool(h.followups), what="/suggestions cards")
        assert h.ephemeral and sid in h.followups[0]["embeds"][0]["title"]
        assert set(buttons(h.followups[0])) == {"Apply", "Dismiss"}

        # a viewer's Apply: refused privately, nothing changed
        h = await fake.click(card["id"], f"sugg:apply:{sid}", user=VIEWER_ID)
        refusal = await h.response()
        assert h.ephemeral and "approver" in refusal["content"].lower()
        assert o.tunables.value(KEY) == before and o.settings_view().changes == ()
        assert buttons(fake.message(card["id"]))["Apply"].get("disabled") is not True

        # the trader's Apply: changed, the card says by whom and how to revert
        h = await fake.click(card["id"], f"sugg:apply:{sid}", user=TRADER_ID)
        await h.ack()
        await fake.wait_until(lambda: "Applied" in fake.message(card["id"])["content"])
        after = fake.message(card["id"])
        (change,) = o.settings_view().changes
        assert o.tunables.value(KEY) == 60
        assert f"Applied by trader as change #{change.id}" in after["content"]
        assert f"/settings revert {change.id}" in after["content"]
        assert not after.get("components")
        assert [s.status for s in o.suggestions() if s.id == sid] == ["applied"]

        # /settings shows it privately; a viewer's revert is refused; the trader's restores
        h = await fake.slash("settings", user=VIEWER_ID)
        msg = await h.response()
        assert h.ephemeral and f"#{change.id} {KEY}" in msg["content"]
        h = await fake.slash("settings", {"revert": str(change.id)}, user=VIEWER_ID)
        msg = await h.response()
        assert h.ephemeral and o.tunables.value(KEY) == 60
        h = await fake.slash("settings", {"revert": str(change.id)}, user=TRADER_ID)
        msg = await h.response()
        assert "Reverted change" in msg["content"]
        assert o.tunables.value(KEY) == before
        assert o.settings_view().changes[0].reverted_at is not None
        h = await fake.slash("settings", {"revert": "nope"}, user=TRADER_ID)
        msg = await h.response()
        assert h.ephemeral and "not a change id" in msg["content"]
