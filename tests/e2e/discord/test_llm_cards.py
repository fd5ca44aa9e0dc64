"""An LLM rationale that arrives after the card was posted is edited into the message."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.test_cards import propose
from tests.e2e.discord.world import card_message, running
from tests.e2e.llm_world import ANTHROPIC_KEY, OPENAI_KEY, rationale_reply
from tests.fakes.discord import FakeDiscord
from tests.fakes.llm import FakeOpenAI, Hang


async def test_a_late_rationale_edits_the_posted_card(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as oa:
        oa.set_default(Hang(0.8, then=rationale_reply("openai")))
        llm = {
            "openai_api_key": OPENAI_KEY,
            "openai_base_url": oa.base_url,
            "llm_rationale_wait_s": 0.1,
            "llm_timeout_s": 5.0,
            "llm_providers": "openai",
        }
        async with running(fake, make_app, clock, **llm) as w:
            pid = await propose(w, "MSFT", 5)
            first = card_message(fake, pid)["embeds"][0]["description"]
            assert first.startswith("Thesis: Buy 5 MSFT near") and "score" in first.lower()
            await fake.wait_until(
                lambda: w.orch.proposal(pid).revision == 1, what="LLM rationale stored"
            )

            def description() -> str:
                return card_message(fake, pid)["embeds"][0]["description"]

            await fake.wait_until(
                lambda: "setup with a score of" in description(), what="card edited"
            )
            await fake.wait_until(
                lambda: w.orch.store.frontend.posts(pid)[0].shown_revision == 1,
                what="edit recorded",
            )
            assert w.orch.store.frontend.outdated() == []
            assert ANTHROPIC_KEY not in str(fake.requests) and OPENAI_KEY not in str(fake.requests)
