"""The tools an LLM may call to route a chat message: the orchestrator's commands, typed.

There is deliberately no tool to approve, reject, execute, change a limit or show a secret.
A call of anything else is an invalid reply and falls through the chain.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.llm.types import ToolSpec

Symbol = str


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class ScanArgs(_Args):
    symbols: list[Symbol] = Field(default_factory=list, max_length=50)


class SymbolArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)


class ProposeArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    side: Literal["buy", "sell"]
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)
    strategy: str | None = Field(default=None, max_length=40)


class CloseArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    quantity: int | None = Field(default=None, gt=0, le=1_000_000)


class PnlArgs(_Args):
    period: Literal["day", "week", "month", "all"] = "day"


class WatchlistArgs(_Args):
    action: Literal["add", "remove", "list"]
    symbols: list[Symbol] = Field(default_factory=list, max_length=50)


class WhyArgs(_Args):
    proposal_id: str = Field(pattern=r"^[pP]-[a-zA-Z2-7]{8}$")


class ClarifyArgs(_Args):
    question: str = Field(min_length=3, max_length=300)


class AnswerArgs(_Args):
    text: str = Field(min_length=1, max_length=1200)


INTENT_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("scan", "Scan the watchlist or the given symbols for trade ideas.", ScanArgs),
    ToolSpec("analyze", "Indicators, score and strategy view of one symbol.", SymbolArgs),
    ToolSpec(
        "propose",
        "Create a trade proposal card (a person must approve it). Quantity in shares; "
        "omit it to have the risk engine size the trade.",
        ProposeArgs,
    ),
    ToolSpec("close", "Create an exit proposal for an open position.", CloseArgs),
    ToolSpec("positions", "Show open positions, cash and equity.", NoArgs),
    ToolSpec("orders", "Show recent orders.", NoArgs),
    ToolSpec("pnl", "Show profit and loss for a period.", PnlArgs),
    ToolSpec("watchlist", "Add to, remove from, or list the watchlist.", WatchlistArgs),
    ToolSpec("pause", "Pause new entry proposals.", NoArgs),
    ToolSpec("resume", "Resume after a pause.", NoArgs),
    ToolSpec("status", "Desk status: mode, broker, data, LLM, limits.", NoArgs),
    ToolSpec("why", "Explain a proposal by its id (p-xxxxxxxx).", WhyArgs),
    ToolSpec("help", "List what the desk can do.", NoArgs),
    ToolSpec("clarify", "Ask one short question when the request is ambiguous.", ClarifyArgs),
    ToolSpec("answer", "Answer from data.facts, or reply briefly to anything else.", AnswerArgs),
)
