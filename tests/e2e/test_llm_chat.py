"""Natural language through the LLM (tool calls over the real SDKs) for what the rules miss."""

from __future__ import annotations

from agents.conversation import OFFLINE_NOTE, Conversation
from agents.llm.intent_llm import NOT_GROUNDED
from agents.llm.offline_parser import parse
from models.domain import Actor
from models.intents import IntentKind
from tests.e2e.llm_world import data_of, llm_desk
from tests.fakes.llm import HttpError, ToolCall

FREE_FORM = "could you get me into the graphics card company, five shares"


def test_the_rules_do_not_understand_the_free_form_requests_used_here() -> None:
    known = {"NVDA", "AAPL"}
    for text in (FREE_FORM, "is the market open right now?", "tell me a joke"):
        assert parse(text, known).kind is IntentKind.UNKNOWN


async def test_a_free_form_request_becomes_a_card_with_a_readback_never_an_order(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.push(ToolCall("propose", {"symbol": "nvda", "side": "buy", "quantity": 5}))
        conv = Conversation(d.orch)
        reply = await conv.handle(FREE_FORM, trader)
        assert reply.kind == "proposal"
        assert reply.text.startswith("Understood: buy 5 NVDA.")
        assert reply.payload.status == "pending" and reply.payload.quantity == 5
        assert d.orch.store.ledger.orders() == []
        req = d.openai.requests_to(d.openai.last_request().path)[0]
        assert "propose" in req.tool_names and "approve" not in " ".join(req.tool_names)
        assert data_of(req.body)["message"] == FREE_FORM
        assert req.body["tool_choice"] == "required"
        intent = [e for e in d.orch.store.events.recent(20) if e.type == "chat.intent"][-1]
        assert intent.context["parser"] == "openai:gpt-4o-mini"


async def test_common_phrasings_never_reach_the_model(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock) as d:
        conv = Conversation(d.orch)
        for text in ("long 10 NVDA", "what's my PnL this week", "positions", "scan"):
            await conv.handle(text, trader)
        intent_calls = [
            r for r in d.openai.requests_to("/v1/chat/completions") if "message" in data_of(r.body)
        ]
        assert intent_calls == []


async def test_a_question_is_answered_from_the_facts(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock) as d:

        def answer(body):
            facts = data_of(body)["facts"]
            state = "open" if facts["market_open"] else "closed"
            return ToolCall("answer", {"text": f"The market is {state}; equity {facts['equity']}."})

        d.openai.push(answer)
        reply = await Conversation(d.orch).handle("is the market open right now?", trader)
        assert reply.kind == "answer"
        assert reply.text.startswith("The market is open; equity 100000")


async def test_an_answer_with_an_invented_number_is_not_shown(make_app, clock, trader) -> None:
    async with llm_desk(make_app, clock) as d:
        made_up = ToolCall("answer", {"text": "You are up 4321.99 dollars this week."})
        d.openai.push(made_up)
        d.anthropic.push(made_up)
        reply = await Conversation(d.orch).handle("am I doing ok lately?", trader)
        assert reply.kind == "unknown" and reply.text == NOT_GROUNDED
        assert "4321" not in reply.text


async def test_an_ambiguous_request_gets_a_question(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock) as d:
        d.anthropic.push(ToolCall("clarify", {"question": "Buy or sell, and how many shares?"}))
        d.openai.push(HttpError.server_error())
        reply = await Conversation(d.orch).handle("do the thing with the chip stock", trader)
        assert (reply.kind, reply.text) == ("clarify", "Buy or sell, and how many shares?")
        assert d.anthropic.last_request().body["tool_choice"] == {"type": "any"}


async def test_an_unknown_symbol_from_the_model_becomes_a_question(make_app, clock, trader) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.push(ToolCall("propose", {"symbol": "ZZZZ", "side": "buy"}))
        reply = await Conversation(d.orch).handle(FREE_FORM, trader)
        assert reply.kind == "clarify" and "ZZZZ" in reply.text
        assert d.orch.pending() == []


async def test_without_a_key_the_offline_parser_serves_and_says_so_once(app, trader) -> None:
    conv = Conversation(app.orchestrator)
    first = await conv.handle("tell me a joke", trader)
    second = await conv.handle("what is the weather", trader)
    assert OFFLINE_NOTE in first.text and OFFLINE_NOTE not in second.text
    assert (await conv.handle("long 10 NVDA", trader)).kind == "proposal"


async def test_a_named_strategy_proposes_only_on_its_own_fresh_signal(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock) as d:
        firing = quiet = None
        for sym in d.orch.universe():
            view = await d.orch.analyze(sym)
            for name, (sig, _since) in view.signals.items():
                if name in view.firing and firing is None:
                    firing = (sym, name, "buy" if sig > 0 else "sell")
                elif name not in view.firing and quiet is None:
                    quiet = (sym, name)
        assert firing and quiet, "the simulated market has firing and quiet strategies"
        conv = Conversation(d.orch)
        sym, name, side = firing
        d.openai.push(ToolCall("propose", {"symbol": sym, "side": side, "strategy": name}))
        reply = await conv.handle("do what the model says", trader)
        assert reply.kind == "proposal", reply.text
        assert reply.payload.strategy == name and f"by {name}" in reply.text
        quiet_call = {"symbol": quiet[0], "side": "buy", "strategy": quiet[1]}
        d.openai.push(ToolCall("propose", quiet_call))
        quiet_reply = await conv.handle("do what the model says again", trader)
        assert quiet_reply.kind == "error" and "no fresh signal" in quiet_reply.text
        d.openai.push(ToolCall("propose", {"symbol": sym, "side": side, "strategy": "astrology"}))
        bad = await conv.handle("and once more", trader)
        assert bad.kind == "error" and "Unknown strategy 'astrology'" in bad.text
        assert d.orch.store.ledger.orders() == []
