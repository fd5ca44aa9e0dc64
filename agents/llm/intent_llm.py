"""Free text -> typed Intent through the LLM chain (tool calls), for what the rules miss.

The message and the desk's facts go in as data; the model answers with one declared tool.
Its arguments are validated, symbols must be known, and an `answer` may only state numbers
found in the facts. Whatever the model says, the result is an Intent: at most a proposal.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from agents.llm import intent_tools as it
from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.offline_monitor import alert_intent, stop_intent
from agents.llm.offline_orders import order_intent
from agents.llm.offline_vocab import MAX_AMOUNT, MAX_PRICE, MAX_QTY
from agents.llm.offline_writer import load_template
from agents.llm.types import LLMResult, LLMTask, ToolSpec
from models.domain import Period, Side, TimeInForce
from models.intents import Intent, IntentKind, strategy_phrase
from services.rationale_check import numbers_in, only_known_numbers

PROMPT = "intent.v4"
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
    "alerts": K.ALERT_LIST,
    "monitor": K.MONITOR,
}


# ----------------------------------------------------------------------------- order tools
# The propose and close tools carry every part of an order, so nothing the trader said is
# lost between the model and the card. Out-of-range or contradictory values fail validation:
# the chain treats the reply as invalid (next provider, then the rules), never a crash.

_QTY = "Whole shares. Give at most one of quantity, amount and pct; none lets risk size it."
_PRICE = {"gt": 0, "le": MAX_PRICE}
_TIF = (
    "Time in force: 'day' (default), 'gtc' for good till cancelled, 'opg' for at the next "
    "open ('at the open', 'market on open', 'tomorrow at open')."
)


def _one_size(args: BaseModel) -> None:
    sizes = [getattr(args, f, None) for f in ("quantity", "amount", "pct")]
    if sum(x is not None for x in sizes) > 1:
        raise ValueError("give one size: quantity, amount or pct")


class ProposeOrderArgs(it.ProposeArgs):
    """propose: an entry (or a plain sell), with every order part the trader named."""

    side: Literal["buy", "sell"] = Field(description="'sell' also for a short")
    quantity: int | None = Field(default=None, gt=0, le=MAX_QTY, description=_QTY)
    short: bool = Field(
        default=False,
        description="True only when the trader said 'short' (opens a short); side must be sell",
    )
    amount: float | None = Field(
        default=None, gt=0, le=MAX_AMOUNT, description="Dollars to spend ('$500 of MSFT')"
    )
    pct: float | None = Field(
        default=None, gt=0, le=100, description="Percent of account equity ('5% in AAPL')"
    )
    limit_price: float | None = Field(
        default=None, **_PRICE, description="Limit price ('at 180', '@ 180', 'limit 180')"
    )
    stop_price: float | None = Field(
        default=None, **_PRICE, description="Protective stop price ('stop 170', 'sl 170')"
    )
    target_price: float | None = Field(
        default=None, **_PRICE, description="Profit target price ('target 200', 'tp 200')"
    )
    tif: Literal["day", "gtc", "opg"] = Field(default="day", description=_TIF)

    @model_validator(mode="after")
    def _consistent(self) -> ProposeOrderArgs:
        _one_size(self)
        if self.short and self.side != "sell":
            raise ValueError("short is a sell")
        return self


class CloseOrderArgs(it.CloseArgs):
    """close: an exit that reduces a held position (close, trim, reduce, 'sell half my X')."""

    quantity: int | None = Field(
        default=None, gt=0, le=MAX_QTY, description="Shares to close; omit for the whole position"
    )
    pct: float | None = Field(
        default=None, gt=0, le=100, description="Percent of the position ('half' is 50)"
    )
    limit_price: float | None = Field(default=None, **_PRICE, description="Limit price of the exit")
    tif: Literal["day", "gtc", "opg"] = Field(default="day", description=_TIF)

    @model_validator(mode="after")
    def _consistent(self) -> CloseOrderArgs:
        _one_size(self)
        return self


_ORDER_TOOLS = {
    "propose": ToolSpec(
        "propose",
        "Create a trade proposal card (a person must approve it) with every part the trader "
        "named: size (shares, $ amount or % of equity; omit to have the risk engine size it), "
        "limit/stop/target prices, time in force, short.",
        ProposeOrderArgs,
    ),
    "close": ToolSpec(
        "close",
        "Create an exit proposal for an open position: whole, a number of shares, or a percent "
        "of it; optionally at a limit price.",
        CloseOrderArgs,
    ),
}
TOOLS: tuple[ToolSpec, ...] = tuple(_ORDER_TOOLS.get(t.name, t) for t in it.INTENT_TOOLS)


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
            tools=TOOLS,
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
        try:
            return self._to_intent(tool, v, known)
        except (ValidationError, ValueError):  # args passed their model but not the Intent's
            return Intent(kind=K.UNKNOWN, readback="not understood")

    def _to_intent(self, tool: str, v: BaseModel, known: Collection[str]) -> Intent:
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
                intent = order_intent(K.PROPOSE, {"symbols": symbols, **_order_fields(v)})
                if not v.strategy:
                    return intent
                return intent.model_copy(
                    update={
                        "strategy": v.strategy,
                        "readback": f"{intent.readback} by {v.strategy}",
                    }
                )
            case it.CloseArgs():
                return order_intent(K.CLOSE, {"symbols": symbols, **_order_fields(v)})
            case it.ScanArgs():
                return Intent(kind=K.SCAN, symbols=symbols, readback="scan")
            case it.SymbolArgs() if tool == "why_move":
                return Intent(
                    kind=K.WHY_MOVE, symbols=symbols, readback=f"why {symbols[0]} moved today"
                )
            case it.SymbolArgs():
                return Intent(kind=K.ANALYZE, symbols=symbols, readback=f"analyze {symbols[0]}")
            case it.ReportArgs():
                return Intent(
                    kind=K.REPORT, period=Period(v.period), readback=f"report ({v.period})"
                )
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
            case it.AlertAddArgs():
                return alert_intent(symbols[0], v.condition, v.level)
            case it.AlertIdArgs():
                kind, verb = (
                    (K.ALERT_REMOVE, "remove")
                    if tool == "alert_remove"
                    else (K.ALERT_REARM, "re-arm")
                )
                aid = f"A{int(v.alert_id[1:])}"
                return Intent(kind=kind, alert_id=aid, readback=f"{verb} alert {aid}")
            case it.MoveStopArgs():
                return stop_intent(symbols[0], v.price, v.trail_pct, v.trail_atr, v.breakeven)
            case it.ChainArgs():
                what = f"{symbols[0]} {v.side or 'option'} chain"
                lead = "option trade asked: showing the " if v.option_trade else "show the "
                return Intent(
                    kind=K.CHAIN,
                    symbols=symbols,
                    option_side=v.side,
                    dte=v.dte,
                    delta=v.delta,
                    option_trade=v.option_trade,
                    readback=lead + what,
                )
            case it.NewsArgs():
                what = ", ".join(symbols) if symbols else "held and watched symbols"
                return Intent(
                    kind=K.NEWS, symbols=symbols, hours=v.hours, readback=f"news on {what}"
                )
            case it.ProposeOptionArgs():
                return Intent(
                    kind=K.OPTION_PROPOSE,
                    symbols=symbols,
                    option_strategy=v.strategy,
                    quantity=v.contracts,
                    readback=f"propose {strategy_phrase(v.strategy)} on {symbols[0]}",
                )
            case it.IVRankArgs():
                return Intent(kind=K.IV_RANK, symbols=symbols, readback=f"IV rank of {symbols[0]}")
            case it.ClarifyArgs():
                q = self.guard.clean(v.question)
                return Intent(kind=K.CLARIFY, question=q, readback="needs a detail")
            case it.AnswerArgs():
                return Intent(kind=K.ANSWER, reply=self.guard.clean(v.text), readback="answer")
        return Intent(kind=K.UNKNOWN, readback="not understood")  # pragma: no cover


def _order_fields(v: BaseModel) -> dict[str, Any]:
    """Intent fields from a propose/close call (the order parts it carries)."""
    out: dict[str, Any] = {}
    if side := getattr(v, "side", None):
        out["side"] = Side(side)
    for name in ("quantity", "amount", "pct", "limit_price", "stop_price", "target_price"):
        if (x := getattr(v, name, None)) is not None:
            out[name] = x
    out["short"] = bool(getattr(v, "short", False))
    out["tif"] = TimeInForce(getattr(v, "tif", "day"))
    return out
