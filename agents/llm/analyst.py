"""The analyst: an LLM-written rationale, grounded in the proposal's facts and verified.

The facts (prices, indicators, score, every risk check, headlines) go to the chain as data.
The answer is checked (services.rationale_check): a rationale that states a number not in
the facts, names the wrong symbol or side, or promises a return is refused, retried once
with the problems named, then replaced by the offline writer's. Every refusal is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.offline_writer import Rationale, load_template, write_offline
from agents.llm.types import LLMTask, ToolSpec
from models.domain import RiskDecision, TradeIdea
from models.store import Store
from services.rationale_check import check_rationale, numbers_in

PROMPT = "rationale.v1"
INTENT_PROMPT = "intent.v4"


class RationaleDraft(BaseModel):
    """What the model must fill in (also the JSON schema it is given)."""

    symbol: str = Field(description="the proposal's symbol, as given")
    side: str = Field(description="'buy' or 'sell', as given")
    thesis: str = Field(min_length=10, max_length=600)
    invalidation: str = Field(min_length=5, max_length=400)
    risks: str = Field(min_length=5, max_length=500)

    def text(self, mode_label: str) -> str:
        return (
            f"Thesis: {self.thesis.strip()}\nInvalidation: {self.invalidation.strip()}\n"
            f"Key risks: {self.risks.strip()}\n"
            f"[{mode_label}] This is a proposal, not advice; nothing is sent until a person "
            "approves it."
        )


TOOL = ToolSpec("write_rationale", "Write the proposal's rationale from the facts.", RationaleDraft)


def proposal_facts(
    idea: TradeIdea, decision: RiskDecision, kind: str, headlines: Sequence[str] = ()
) -> dict[str, Any]:
    """The data the analyst writes from (and that every stated number is checked against)."""
    rps = idea.risk_per_share
    facts: dict[str, Any] = {
        "symbol": idea.symbol,
        "side": idea.side.value,
        "kind": kind,
        "strategy": idea.strategy,
        "summary": idea.summary,
        "quantity": decision.quantity,
        "entry": idea.entry,
        "stop": idea.stop,
        "target": idea.target,
        "risk_per_share": round(rps, 2),
        "stop_distance_pct": round(rps / idea.entry * 100, 2) if idea.entry else 0.0,
        "target_distance_pct": (
            round(abs(idea.target - idea.entry) / idea.entry * 100, 2) if idea.entry else 0.0
        ),
        "reward_risk": round(idea.reward_risk, 2),
        "risk_amount": decision.risk_amount,
        "risk_pct": decision.risk_pct,
        "notional": decision.notional,
        "score": idea.score,
        "confidence_pct": round(idea.confidence * 100),
        "indicators": dict(idea.facts),
        "risk_checks": [
            {"name": c.name, "passed": c.passed, "value": c.value, "limit": c.limit}
            for c in decision.checks
        ],
    }
    if headlines:
        facts["headlines"] = [h[:300] for h in headlines[:8]]
    return facts


def fact_numbers(facts: dict[str, Any]) -> list[float]:
    """Every number in the facts a rationale may state (headlines are quotes, not facts)."""
    return numbers_in({k: v for k, v in facts.items() if k != "headlines"}, key_digits=True)


class Analyst:
    def __init__(
        self, chain: LLMChain, store: Store, mode_label: str, guard: ReplyGuard | None = None
    ) -> None:
        self.chain = chain
        self.guard = guard or ReplyGuard()
        self.store = store
        self.mode_label = mode_label
        self._system = load_template(PROMPT)
        for name in (PROMPT, INTENT_PROMPT):  # no model text may quote any of our prompts
            self.guard.add_prompt(load_template(name))

    def offline(self, idea: TradeIdea, decision: RiskDecision, kind: str) -> Rationale:
        return write_offline(
            idea, decision.quantity, decision.risk_amount, decision.risk_pct, self.mode_label, kind
        )

    async def write(
        self,
        idea: TradeIdea,
        decision: RiskDecision,
        kind: str,
        proposal_id: str | None = None,
        headlines: Sequence[str] = (),
    ) -> Rationale:
        """The LLM's verified rationale, or the offline writer's when it cannot give one."""
        facts = proposal_facts(idea, decision, kind, headlines)
        numbers = fact_numbers(facts)

        def accept(_tool: str, value: BaseModel) -> str | None:
            assert isinstance(value, RationaleDraft)
            if value.symbol.upper() != idea.symbol or value.side.lower() != idea.side.value:
                return f"rationale is about {value.side} {value.symbol}, not the proposal"
            if self.guard.leaks(value.text(self.mode_label)):
                return "rationale quotes a secret or the instructions"
            result = check_rationale(
                value.text(self.mode_label), numbers, idea.symbol, idea.side.value, kind=kind
            )
            return None if result.ok else "; ".join(result.problems)

        offline = self.offline(idea, decision, kind)
        if not self.chain.online:
            return offline

        def fallback() -> tuple[str, BaseModel]:
            return TOOL.name, RationaleDraft.model_construct()  # unused: offline wins below

        problems: list[str] = []
        for attempt in range(2):
            data = {"facts": facts}
            if problems:  # the retry names what was wrong
                data["previous_attempt_refused_for"] = problems[-3:]
            task = LLMTask(
                purpose="rationale",
                prompt_version=PROMPT,
                system=self._system,
                data=data,
                tools=(TOOL,),
                max_output_tokens=400,
                proposal_id=proposal_id,
            )
            result = await self.chain.run(task, fallback, accept)
            refused = [f for f in result.failures if f.startswith("invalid:")]
            if refused:
                problems.extend(refused)
                self.store.events.add(
                    "rationale.refused",
                    "agent:analyst",
                    proposal_id=proposal_id,
                    context={"attempt": attempt + 1, "problems": refused[:5]},
                )
            if result.provider != "offline":
                assert isinstance(result.value, RationaleDraft)
                return Rationale(
                    text=result.value.text(self.mode_label),
                    provider=result.provider,
                    model=result.model,
                    prompt_version=PROMPT,
                    input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens,
                    cost_usd=round(result.cost_usd, 6),
                    latency_ms=round(result.latency_ms, 1),
                )
            if not refused:
                break  # nothing was refused: the providers are down, not wrong; no retry
        return offline.model_copy(update={"fallback_reason": "; ".join(problems)[:300]})
