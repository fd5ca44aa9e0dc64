"""The LLM path for the monitor's intents: alert_add, alerts, alert_remove, alert_rearm,
monitor and move_stop tool calls, over the real openai SDK and the loopback fake, arrive as
the same Intent fields the offline parser gives; a malformed call is an invalid reply (the
chain's usual handling), never an alert or a stop move."""

from __future__ import annotations

from typing import Any

import pytest

from agents.conversation import Conversation
from agents.llm.intent_llm import PROMPT
from models.intents import IntentKind
from tests.e2e.intent_rig import Rig
from tests.e2e.llm_world import llm_desk
from tests.fakes.llm import CHAT_PATH, ToolCall

K = IntentKind


@pytest.mark.parametrize(
    ("tool", "args", "kind", "fields"),
    [
        (
            "alert_add",
            {"symbol": "aapl", "condition": "cross", "level": 200},
            K.ALERT_ADD,
            {"symbols": ("AAPL",), "alert_condition": "cross", "alert_level": 200.0},
        ),
        (
            "alert_add",
            {"symbol": "NVDA", "condition": "loss", "level": 5},
            K.ALERT_ADD,
            {"alert_condition": "loss", "readback": "alert when my NVDA position loses 5%"},
        ),
        ("alerts", {}, K.ALERT_LIST, {}),
        ("alert_remove", {"alert_id": "a3"}, K.ALERT_REMOVE, {"alert_id": "A3"}),
        ("alert_rearm", {"alert_id": "A12"}, K.ALERT_REARM, {"alert_id": "A12"}),
        ("monitor", {}, K.MONITOR, {}),
        (
            "move_stop",
            {"symbol": "NVDA", "price": 110},
            K.STOP_MOVE,
            {"stop_price": 110.0, "readback": "move the NVDA stop to 110.00"},
        ),
        ("move_stop", {"symbol": "NVDA", "trail_pct": 5}, K.STOP_MOVE, {"trail_pct": 5.0}),
        ("move_stop", {"symbol": "NVDA", "trail_atr": 2}, K.STOP_MOVE, {"trail_atr": 2.0}),
        ("move_stop", {"symbol": "NVDA", "breakeven": True}, K.STOP_MOVE, {"breakeven": True}),
    ],
)
async def test_each_monitor_tool_reaches_the_intent(
    rig: Rig, tool: str, args: dict[str, Any], kind: IntentKind, fields: dict[str, Any]
) -> None:
    intent, failures = await rig.ask("something the rules missed", ToolCall(tool, args))
    assert intent.kind is kind, (intent, failures)
    for name, expected in fields.items():
        assert getattr(intent, name) == expected, (name, intent)
    assert intent.readback


async def test_an_unknown_symbol_is_a_question(rig: Rig) -> None:
    call = ToolCall("move_stop", {"symbol": "ZZZZ", "trail_pct": 5})
    intent, _ = await rig.ask("trail the zzzz thing", call)
    assert intent.kind is K.CLARIFY and "ZZZZ" in (intent.question or "")


@pytest.mark.parametrize(
    ("tool", "args", "why"),
    [
        ("alert_add", {"symbol": "AAPL", "condition": "above", "level": -5}, "level"),
        ("alert_add", {"symbol": "AAPL", "condition": "above", "level": 0}, "level"),
        ("alert_add", {"symbol": "AAPL", "condition": "sideways", "level": 5}, "condition"),
        ("alert_add", {"symbol": "AAPL", "condition": "move", "level": 500}, "percentage"),
        ("alert_add", {"symbol": "AAPL", "condition": "above"}, "level"),
        ("alert_remove", {"alert_id": "all"}, "alert_id"),
        ("alert_rearm", {"alert_id": "p-abcdefgh"}, "alert_id"),
        ("move_stop", {"symbol": "NVDA"}, "exactly one"),
        ("move_stop", {"symbol": "NVDA", "price": 110, "trail_pct": 5}, "exactly one"),
        ("move_stop", {"symbol": "NVDA", "trail_pct": 150}, "trail_pct"),
        ("move_stop", {"symbol": "NVDA", "trail_atr": 0}, "trail_atr"),
        ("move_stop", {"symbol": "NVDA", "price": 110, "approved": True}, "approved"),
    ],
)
async def test_a_malformed_monitor_call_is_an_invalid_reply(
    rig: Rig, tool: str, args: dict[str, Any], why: str
) -> None:
    intent, failures = await rig.ask(f"bad call {tool} {args}", ToolCall(tool, args))
    assert intent.kind is K.UNKNOWN
    assert any(f.startswith("invalid:") and why in f for f in failures), failures


async def test_the_prompt_and_tools_name_the_monitor(rig: Rig) -> None:
    await rig.ask("what tools are there", ToolCall("help", {}))
    body = rig.fake.last_request(CHAT_PATH).body
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]}
    assert {"alert_add", "alerts", "alert_remove", "alert_rearm", "monitor", "move_stop"} <= set(
        tools
    )
    assert not {n for n in tools if any(w in n for w in ("approve", "execute", "submit"))}
    assert set(tools["move_stop"]["properties"]) == {
        "symbol",
        "price",
        "trail_pct",
        "trail_atr",
        "breakeven",
    }
    assert PROMPT == "intent.v4"
    assert "move_stop" in body["messages"][0]["content"]


async def test_a_model_alert_and_stop_move_go_through_the_conversation(
    make_app: Any, clock: Any, trader: Any
) -> None:
    """The model's alert is set (its 'cross' read against the quote); its stop move without
    a position is refused with the reason; neither is an order."""
    async with llm_desk(make_app, clock) as d:
        conv = Conversation(d.orch)
        last = (await d.orch.data.quote("AAPL")).last
        level = round(last * 0.9, 2)
        d.openai.push(
            ToolCall("alert_add", {"symbol": "AAPL", "condition": "cross", "level": level})
        )
        reply = await conv.handle("give me a shout if the fruit company gets there", trader)
        assert reply.kind == "alert", reply
        assert (reply.payload.symbol, reply.payload.condition) == ("AAPL", "below")
        assert [a.id for a in d.orch.alerts().alerts] == [reply.payload.id]

        d.openai.push(ToolCall("move_stop", {"symbol": "NVDA", "trail_pct": 5}))
        refused = await conv.handle("keep the chip name on a short leash", trader)
        assert refused.kind == "error" and "NVDA" in refused.text, refused
        assert d.orch.store.ledger.orders() == []
