"""Free text -> typed Intent through the LLM chain (tool calls), for what the rules miss.

The message and the desk's facts go in as data; the model answers with one declared tool.
Its arguments are validated, symbols must be known, and an `answer` may only state numbers
found in the facts. Whatever the model says, the result is an Intent: at most a proposal.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

from agents.llm import intent_tools as it
from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.offline_writer import load_template
from agents.llm.types import LLMResult, LLMTask
from models.domain import Period, Side
from models.intents import Intent, IntentKind
from services.rationale_check import numbers_in, only_known_numbers

PROMPT = "intent.v1"
K = IntentKind
MAX_TEXT = 2000
NOT_GROUNDED = (
    "I could not answer that reliably from the desk's data. Try 'positions', 'pnl this week' "
    "or 'status'."
)
SIMPLE = {
    "positions": K.POSITIONS,
    "orders": K.ORDERS,
    "pause": K.PAUSE,
    "resume": K.RESUME,
    "status": K.STATUS,
    "help": K.HELP,
}


def grounded(text: str, facts: dict[str, Any], rel_tol: float = 0.005) -> bool:
    """Every number in `text` (beyond small counts) appears in `facts`, within rounding."""
    return only_known_numbers(text, numbers_in(facts), rel_tol)


class IntentLLM:
    def __init__(self, chain: LLMChain, guard: ReplyGuard) -> None:
        self.chain = chain
        self.guard = guard
        self.system = load_template(PROMPT)
        guard.add_prompt(self.system)

    async def parse(
        self, text: str, known: Collection[str], facts: dict[str, Any]
    ) -> tuple[Intent, LLMResult | None]:
        """The model's reading of `text` as an Intent (None result when it was not asked)."""
        task = LLMTask(
            purpose="intent",
            prompt_version=PROMPT,
            system=self.system,
            data={"message": text[:MAX_TEXT], "facts": facts},
            tools=it.INTENT_TOOLS,
            max_output_tokens=300,
        )

        def fallback() -> tuple[str, BaseModel]:
            return "help", it.NoArgs()

        def accept(tool: str, value: BaseModel) -> str | None:
            if isinstance(value, it.AnswerArgs) and not grounded(value.text, facts):
                return "answer states numbers that are not in the facts"
            return None

        result = await self.chain.run(task, fallback, accept)
        if result.provider == "offline":
            ungrounded = any("not in the facts" in f for f in result.failures)
            reply = NOT_GROUNDED if ungrounded else None
            return Intent(kind=K.UNKNOWN, reply=reply, readback="not understood"), result
        return self.to_intent(result.tool, result.value, known), result

    def to_intent(self, tool: str, v: BaseModel, known: Collection[str]) -> Intent:
        """Map one validated tool call onto an Intent (unknown symbols become a question)."""
        syms: list[str] = []
        for raw in getattr(v, "symbols", None) or [getattr(v, "symbol", None)]:
            if raw is None:
                continue
            s = str(raw).strip().upper().lstrip("$")
            if known and s not in known:
                return Intent(
                    kind=K.CLARIFY,
                    question=f"I don't know the symbol {s[:12]!r}. Which ticker did you mean?",
                    readback=f"unknown symbol {s[:12]}",
                )
            syms.append(s)
        symbols = tuple(syms)
        if tool in SIMPLE:
            return Intent(kind=SIMPLE[tool], readback=tool)
        match v:
            case it.ProposeArgs():
                side = Side(v.side)
                qty = f"{v.quantity} " if v.quantity else ""
                sized = "" if v.quantity else " (size to be suggested)"
                by = f" by {v.strategy}" if v.strategy else ""
                return Intent(
                    kind=K.PROPOSE,
                    symbols=symbols,
                    side=side,
                    quantity=v.quantity,
                    strategy=v.strategy,
                    readback=f"{side.value} {qty}{symbols[0]}{sized}{by}",
                )
            case it.CloseArgs():
                what = f"{v.quantity} of" if v.quantity else "whole position in"
                return Intent(
                    kind=K.CLOSE,
                    symbols=symbols,
                    quantity=v.quantity,
                    readback=f"close {what} {symbols[0]}",
                )
            case it.ScanArgs():
                return Intent(kind=K.SCAN, symbols=symbols, readback="scan")
            case it.SymbolArgs():
                return Intent(kind=K.ANALYZE, symbols=symbols, readback=f"analyze {symbols[0]}")
            case it.PnlArgs():
                return Intent(kind=K.PNL, period=Period(v.period), readback=f"P&L ({v.period})")
            case it.WatchlistArgs():
                kind = {
                    "add": K.WATCHLIST_ADD,
                    "remove": K.WATCHLIST_REMOVE,
                    "list": K.WATCHLIST_LIST,
                }[v.action]
                if kind is not K.WATCHLIST_LIST and not symbols:
                    return Intent(kind=K.CLARIFY, question="Which symbols?", readback="watchlist")
                return Intent(kind=kind, symbols=symbols, readback=f"watchlist {v.action}")
            case it.WhyArgs():
                pid = v.proposal_id.lower()
                return Intent(kind=K.WHY, proposal_id=pid, readback=f"why {pid}")
            case it.ClarifyArgs():
                q = self.guard.clean(v.question)
                return Intent(kind=K.CLARIFY, question=q, readback="needs a detail")
            case it.AnswerArgs():
                return Intent(kind=K.ANSWER, reply=self.guard.clean(v.text), readback="answer")
        return Intent(kind=K.UNKNOWN, readback="not understood")  # pragma: no cover
