"""The LLM path keeps every order part: a propose/close tool call carrying limit, stop,
target, time in force, $ amount, % and short arrives as the same Intent fields, over the real
openai SDK and the loopback fake. A malformed value is an invalid reply (the chain's usual
handling), never a crash and never a card."""

from __future__ import annotations

from typing import Any

import pytest

from agents.llm.guard import ReplyGuard
from agents.llm.intent_llm import PROMPT, IntentLLM
from models.domain import Side, TimeInForce
from models.intents import IntentKind
from tests.e2e.intent_rig import Rig
from tests.fakes.llm import CHAT_PATH, ToolCall

KNOWN = {"AAPL", "MSFT", "NVDA", "TSLA"}


async def test_every_order_part_of_a_propose_call_reaches_the_intent(rig: Rig) -> None:
    call = ToolCall(
        "propose",
        {
            "symbol": "aapl",
            "side": "buy",
            "quantity": 10,
            "limit_price": 180,
            "stop_price": 170.5,
            "target_price": 200,
            "tif": "gtc",
        },
    )
    intent, _ = await rig.ask("get me ten apple at 180, stop 170.5, target 200, keep it open", call)
    assert intent.kind is IntentKind.PROPOSE
    assert (intent.symbol, intent.side, intent.quantity, intent.short) == (
        "AAPL",
        Side.BUY,
        10,
        False,
    )
    assert (intent.limit_price, intent.stop_price, intent.target_price) == (180, 170.5, 200)
    assert intent.tif is TimeInForce.GTC
    assert intent.readback == (
        "buy 10 AAPL, limit 180.00, stop 170.50, target 200.00, good till cancelled"
    )
    assert intent.readback == intent.order_spec().readback()


@pytest.mark.parametrize(
    ("args", "fields", "readback"),
    [
        (
            {"symbol": "TSLA", "side": "sell", "short": True, "quantity": 5, "tif": "opg"},
            {"short": True, "side": Side.SELL, "quantity": 5, "tif": TimeInForce.OPG},
            "short 5 TSLA, at the next open",
        ),
        (
            {"symbol": "MSFT", "side": "buy", "amount": 500},
            {"amount": 500, "quantity": None, "pct": None},
            "buy $500.00 of MSFT",
        ),
        (
            {"symbol": "AAPL", "side": "buy", "pct": 5},
            {"pct": 5, "quantity": None, "amount": None},
            "buy 5% of equity in AAPL",
        ),
        (
            {"symbol": "NVDA", "side": "sell", "quantity": 25},
            {"short": False, "side": Side.SELL, "quantity": 25},
            "sell 25 NVDA",
        ),
    ],
)
async def test_size_short_and_time_in_force_arrive_as_said(
    rig: Rig, args: dict[str, Any], fields: dict[str, Any], readback: str
) -> None:
    intent, _ = await rig.ask(f"free-form request {args}", ToolCall("propose", args))
    assert intent.kind is IntentKind.PROPOSE
    for name, expected in fields.items():
        assert getattr(intent, name) == expected, (name, intent)
    assert intent.readback == readback


async def test_a_close_call_carries_its_share_of_the_position_and_limit(rig: Rig) -> None:
    call = ToolCall("close", {"symbol": "NVDA", "pct": 50, "limit_price": 950, "tif": "day"})
    intent, _ = await rig.ask("lighten up on the chip name by half, 950 or better", call)
    assert intent.kind is IntentKind.CLOSE
    assert (intent.symbol, intent.pct, intent.limit_price, intent.side) == ("NVDA", 50, 950, None)
    assert intent.readback == "close 50% of NVDA, limit 950.00"


async def test_the_tools_describe_every_order_field(rig: Rig) -> None:
    await rig.ask("what tools are there", ToolCall("help", {}))
    body = rig.fake.last_request(CHAT_PATH).body
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]}
    propose = tools["propose"]["properties"]
    for name in ("limit_price", "stop_price", "target_price", "tif", "amount", "pct", "short"):
        assert propose[name].get("description"), name
    assert {"pct", "limit_price", "tif"} <= set(tools["close"]["properties"])
    assert PROMPT == "intent.v4" and "limit_price" in body["messages"][0]["content"]


@pytest.mark.parametrize(
    ("tool", "args", "why"),
    [
        ("propose", {"symbol": "AAPL", "side": "buy", "limit_price": -180}, "limit_price"),
        ("propose", {"symbol": "AAPL", "side": "buy", "stop_price": 0}, "stop_price"),
        ("propose", {"symbol": "AAPL", "side": "buy", "pct": 150}, "pct"),
        ("propose", {"symbol": "AAPL", "side": "buy", "amount": -5}, "amount"),
        ("propose", {"symbol": "AAPL", "side": "buy", "tif": "forever"}, "tif"),
        ("propose", {"symbol": "AAPL", "side": "buy", "short": True}, "short is a sell"),
        ("propose", {"symbol": "AAPL", "side": "buy", "quantity": 5, "pct": 5}, "one size"),
        ("propose", {"symbol": "AAPL", "side": "buy", "limit": 180}, "limit"),
        ("close", {"symbol": "NVDA", "quantity": 5, "pct": 50}, "one size"),
        ("close", {"symbol": "NVDA", "pct": 0}, "pct"),
    ],
)
async def test_a_malformed_order_part_is_an_invalid_reply_not_a_card(
    rig: Rig, tool: str, args: dict[str, Any], why: str
) -> None:
    intent, failures = await rig.ask(f"bad call {tool} {args}", ToolCall(tool, args))
    assert intent.kind is IntentKind.UNKNOWN
    assert intent.kind not in (IntentKind.PROPOSE, IntentKind.CLOSE)
    assert any(f.startswith("invalid:") and why in f for f in failures), failures


def test_to_intent_never_raises_on_a_model_the_intent_refuses() -> None:
    """Defence in depth: a value that passed the tool's model but not the Intent's."""
    from agents.llm.intent_llm import ProposeOrderArgs

    llm = IntentLLM.__new__(IntentLLM)
    llm.guard = ReplyGuard()
    args = ProposeOrderArgs.model_construct(
        symbol="AAPL", side="buy", quantity=-3, strategy=None, short=False, amount=None,
        pct=None, limit_price=None, stop_price=None, target_price=None, tif="day",
    )  # fmt: skip
    intent = llm.to_intent("propose", args, KNOWN)
    assert (intent.kind, intent.quantity) == (IntentKind.UNKNOWN, None)
