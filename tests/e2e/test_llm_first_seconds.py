"""Issue 12 §5: a line typed the moment `cotrader chat` is ready is answered by the model.

A real process with both keys set and the SDKs' base URLs on the loopback fakes: the
warm-up is still importing openai and anthropic (on worker threads) when the first line
needs the model. That line must be answered by the model, never "Internal error".
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.llm_world import ANTHROPIC_KEY, OPENAI_KEY, data_of, rationale_reply
from tests.e2e.test_cli_brokers import AsyncChat
from tests.fakes.llm import FakeAnthropic, FakeOpenAI, ToolCall

FREE_FORM = "could you get me into the graphics card company, five shares"
CHAT_PATH = "/v1/chat/completions"


async def test_a_line_typed_at_once_after_ready_is_answered_by_the_model(tmp_path: Path) -> None:
    async with (
        FakeOpenAI(api_key=OPENAI_KEY) as oa,
        FakeAnthropic(api_key=ANTHROPIC_KEY) as an,
    ):
        oa.push(
            ToolCall("propose", {"symbol": "nvda", "side": "buy", "quantity": 5}),
            rationale_reply("openai"),
        )
        chat = await AsyncChat.open(
            tmp_path / "h",
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=oa.base_url,
            ANTHROPIC_API_KEY=ANTHROPIC_KEY,
            ANTHROPIC_BASE_URL=an.base_url,
            COTRADER_LLM_TIMEOUT_S="20",
            COTRADER_LLM_RETRIES="0",
            # the card waits for the model's rationale, so the reply shows who wrote it
            COTRADER_LLM_REPLY_BUDGET_S="30",
            COTRADER_LLM_RATIONALE_WAIT_S="30",
        )
        try:
            ready = await chat.read()
            assert ready["kind"] == "ready", ready
            assert "openai:" in ready["text"] and "anthropic:" in ready["text"], ready
            reply = await chat.send(FREE_FORM)  # at once: the SDKs are still importing
            assert reply["kind"] != "error" and "Internal error" not in reply["text"], reply
            assert reply["kind"] == "proposal", reply
            assert reply["text"].startswith("Understood: buy 5 NVDA."), reply
            asked = oa.requests_to(CHAT_PATH)
            assert asked and data_of(asked[0].body)["message"] == FREE_FORM
            card = reply["proposal"]
            assert card["status"] == "pending" and card["order"] is None
            facts = data_of(asked[1].body)["facts"]  # the rationale, from the model too
            assert facts["symbol"] == "NVDA"
            assert f"near {facts['entry']}" in card["rationale"], card["rationale"]
            assert an.requests == []  # openai answered; nothing fell through
            code, err = await chat.quit()
        finally:
            if chat.p.returncode is None:
                chat.p.kill()
                await chat.p.wait()
        assert code == 0, err
        logs = "".join(f.read_text() for f in (tmp_path / "h").rglob("*.log"))
        assert "partially initialized" not in logs + err
        assert "failed unexpectedly" not in logs + err and "chat line failed" not in logs
