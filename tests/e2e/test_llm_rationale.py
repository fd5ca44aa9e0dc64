"""The analyst end to end: real SDKs, loopback fakes, every fault the issue names."""

from __future__ import annotations

from agents.events import DeskEvent
from bot.event_text import event_text
from models.domain import Actor
from tests.e2e.llm_world import data_of, llm_desk, rationale_reply
from tests.fakes.llm import Hang, HttpError, Json, Malformed


def events(desk, pid: str, type_: str) -> list:
    return [e for e in desk.orch.store.events.for_proposal(pid) if e.type == type_]


async def test_rationale_from_openai_structured_output_with_its_costs(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.push(rationale_reply("openai"))
        card = await d.orch.propose("AAPL", "buy", None, trader)
        meta = card.rationale_meta
        assert meta["provider"] == "openai" and meta["model"] == "gpt-4o-mini"
        assert meta["prompt_version"] == "rationale.v1"
        assert meta["input_tokens"] > 0 and meta["cost_usd"] > 0
        assert card.rationale.startswith(f"Thesis: Buy {card.quantity} AAPL near {card.entry}")
        req = d.openai.last_request()
        assert req.body["response_format"]["type"] == "json_schema"
        assert data_of(req.body)["facts"]["symbol"] == "AAPL"
        assert "risk_checks" in data_of(req.body)["facts"]
        assert d.anthropic.count == 0
        why = d.orch.why(card.id)
        rat = [e for e in why.events if e.type == "rationale"]
        assert rat[-1].context["provider"] == "openai" and rat[-1].context["cost_usd"] > 0
        assert d.orch.store.llm.calls_for(card.id)[0].ok


async def test_a_wrong_number_is_refused_then_retried_with_the_problem_named(
    make_app, clock, trader: Actor
) -> None:
    def spoil(draft: dict[str, str]) -> None:
        draft["thesis"] += " Fair value is 999.99."

    async with llm_desk(make_app, clock) as d:
        d.openai.push(rationale_reply("openai", spoil), rationale_reply("openai"))
        d.anthropic.push(rationale_reply("anthropic", spoil))
        card = await d.orch.propose("MSFT", "buy", None, trader)
        assert card.rationale_meta["provider"] == "openai"
        assert "999.99" not in card.rationale
        retry = data_of(d.openai.last_request().body)
        assert any("999.99" in p for p in retry["previous_attempt_refused_for"])
        refused = events(d, card.id, "rationale.refused")
        assert refused and "999.99" in str(refused[0].context["problems"])


async def test_a_rationale_wrong_twice_is_replaced_by_the_offline_writer(
    make_app, clock, trader: Actor
) -> None:
    def spoil(draft: dict[str, str]) -> None:
        draft["risks"] = "This trade is guaranteed to make 12345 dollars."

    async with llm_desk(make_app, clock) as d:
        d.openai.set_default(rationale_reply("openai", spoil))
        d.anthropic.set_default(rationale_reply("anthropic", spoil))
        card = await d.orch.propose("AAPL", "buy", None, trader)
        assert card.rationale_meta["provider"] == "offline"
        assert "guaranteed" not in card.rationale
        assert len(events(d, card.id, "rationale.refused")) == 2
        fallback = events(d, card.id, "rationale.fallback")
        assert fallback and "promises a return" in fallback[0].context["reason"]


async def test_429_with_retry_after_is_honoured_then_answered(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.push(HttpError.rate_limited(retry_after=0.05), rationale_reply("openai"))
        card = await d.orch.propose("AAPL", "buy", None, trader)
        assert card.rationale_meta["provider"] == "openai"
        first, second = d.openai.requests_to(d.openai.last_request().path)[-2:]
        assert second.at - first.at >= 0.05


async def test_each_fault_falls_through_to_anthropic(make_app, clock, trader: Actor) -> None:
    faults = [
        HttpError.server_error(),
        Hang(2.0),
        Malformed(),
        Json('{"symbol": "AAPL", "side": '),  # structured output that is not JSON
        Json({"symbol": "AAPL", "side": "buy"}),  # schema violation: fields missing
    ]
    symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "META"]
    async with llm_desk(make_app, clock, llm_retries=0, llm_breaker_failures=10) as d:
        for sym, fault in zip(symbols, faults, strict=True):
            d.openai.push(fault)
            d.anthropic.push(rationale_reply("anthropic"))
            card = await d.orch.propose(sym, "buy", None, trader)
            assert card.rationale_meta["provider"] == "anthropic", (fault, card.rationale_meta)
            req = d.anthropic.last_request()
            assert req.body["tool_choice"] == {"type": "tool", "name": "write_rationale"}
            calls = d.orch.store.llm.calls_for(card.id)
            assert [(c.provider, c.ok) for c in calls] == [("openai", False), ("anthropic", True)]
        errors = [c.error.split(":")[0] for c in d.orch.store.llm.calls_for(card.id)[:1]]
        assert errors == ["invalid"]  # the last fault: a schema violation


async def test_both_providers_down_still_gives_a_card(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock, llm_retries=0) as d:
        d.openai.set_default(HttpError.server_error())
        d.anthropic.set_default(HttpError.overloaded())
        card = await d.orch.propose("AAPL", "buy", None, trader)
        assert card.rationale_meta["provider"] == "offline"
        assert card.rationale.startswith("Thesis: Buy")


async def test_a_slow_rationale_is_edited_in_later(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock, llm_rationale_wait_s=0.1, llm_timeout_s=3.0) as d:
        d.openai.push(Hang(0.6, then=rationale_reply("openai")))
        updates: list[str] = []

        async def listener(pid: str) -> None:
            updates.append(pid)

        d.orch.on_card_update(listener)
        card = await d.orch.propose("AAPL", "buy", None, trader)
        assert card.rationale_meta["provider"] == "offline" and card.revision == 0
        await d.orch.rationales.drain(5)
        later = d.orch.proposal(card.id)
        assert later.rationale_meta["provider"] == "openai" and later.revision == 1
        assert updates == [card.id]
        assert d.orch.store.frontend.outdated() == []  # no posted copy to edit here
        assert events(d, card.id, "rationale.deferred")


async def test_an_identical_request_is_served_from_the_cache(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.set_default(rationale_reply("openai"))
        first = await d.orch.propose("AAPL", "buy", 10, trader)
        second = await d.orch.propose("AAPL", "buy", 10, trader)  # same facts: same request
        assert d.openai.count == 1
        assert second.rationale == first.rationale
        assert d.orch.store.llm.summary("2026-11-20")["cache_hits"] == 1


async def test_the_daily_budget_drops_to_offline_and_tells_the_channel(
    make_app, clock, trader: Actor
) -> None:
    async with llm_desk(make_app, clock, llm_daily_tokens=1500, llm_providers="openai") as d:
        alerts: list[tuple[str, str]] = []

        async def sink(e: DeskEvent) -> None:
            alerts.append((e.kind, event_text(e)))

        d.orch.subscribe(sink)
        d.openai.set_default(rationale_reply("openai"))
        a = await d.orch.propose("AAPL", "buy", None, trader)
        b = await d.orch.propose("MSFT", "buy", None, trader)
        c = await d.orch.propose("NVDA", "buy", None, trader)
        assert a.rationale_meta["provider"] == "openai"
        assert b.rationale_meta["provider"] == c.rationale_meta["provider"] == "offline"
        assert [k for k, _ in alerts] == ["llm_budget"]
        st = await d.orch.status()
        assert st.llm_usage["calls_today"] == 1 and st.llm_usage["cost_per_proposal_usd"] > 0


async def test_an_exit_gets_an_llm_rationale_too(make_app, clock, trader: Actor) -> None:
    async with llm_desk(make_app, clock) as d:
        d.openai.set_default(rationale_reply("openai"))
        card = await d.orch.propose("AAPL", "buy", 5, trader)
        await d.orch.approve(card.id, trader)
        d.openai.set_default(
            lambda body: Json(
                {
                    "symbol": "AAPL",
                    "side": "sell",
                    "thesis": f"Close {data_of(body)['facts']['quantity']} AAPL as asked.",
                    "invalidation": "Not applicable to a close.",
                    "risks": "The price may move before the fill.",
                }
            )
        )
        exit_card = await d.orch.close("AAPL", None, trader)
        assert exit_card.kind == "exit" and exit_card.rationale_meta["provider"] == "openai"

        assert d.anthropic.count == 0


async def test_an_option_card_gets_an_llm_rationale_checked_against_its_numbers(
    make_app, clock, trader: Actor
) -> None:
    def spoil(draft: dict[str, str]) -> None:
        draft["thesis"] += " Max profit is 777.77."

    async with llm_desk(make_app, clock, options_min_iv_rank=0) as d:
        d.openai.push(rationale_reply("openai", spoil), rationale_reply("openai"))
        card = await d.orch.propose_option("AAPL", "bull_put_spread", 2, trader)
        assert card.rationale_meta["provider"] == "openai", card.rationale_meta
        facts = data_of(d.openai.last_request().body)["facts"]
        opt = card.option or {}
        assert facts["strategy"] == "bull_put_spread" and facts["entry"] == opt["limit"]
        assert facts["indicators"]["max_loss"] == opt["max_loss"]
        assert facts["indicators"]["max_profit"] == opt["max_profit"]
        assert "not shares" in facts["summary"]
        assert "777.77" not in card.rationale
        refused = events(d, card.id, "rationale.refused")
        assert refused and "777.77" in str(refused[0].context["problems"])
        assert card.option == opt and card.limit_price == opt["limit"]  # numbers untouched
