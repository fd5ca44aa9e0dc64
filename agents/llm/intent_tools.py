"""The tools an LLM may call to route a chat message: the orchestrator's commands, typed.

There is deliberately no tool to approve, reject, execute, change a limit or show a secret.
A call of anything else is an invalid reply and falls through the chain.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.llm.offline_vocab import MAX_PRICE
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


class ReportArgs(_Args):
    period: Literal["day", "week", "month"] = "day"


class WatchlistArgs(_Args):
    action: Literal["add", "remove", "list"]
    symbols: list[Symbol] = Field(default_factory=list, max_length=50)


class WhyArgs(_Args):
    proposal_id: str = Field(pattern=r"^[pP]-[a-zA-Z2-7]{8}$")


class ClarifyArgs(_Args):
    question: str = Field(min_length=3, max_length=300)


class AnswerArgs(_Args):
    text: str = Field(min_length=1, max_length=1200)


# ----------------------------------------------------------------------------- the monitor
# An alert only tells; a stop move is a card a person approves. Neither is an order.

PCT_LIMIT = {"move": 100.0, "loss": 100.0, "gain": 1000.0}


class AlertAddArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    condition: Literal["above", "below", "cross", "move", "loss", "gain"] = Field(
        description="above/below a price; cross: the price reaches it from either side; "
        "move: the day's move in % either way; loss/gain: a held position's P&L in % of "
        "its entry"
    )
    level: float = Field(
        gt=0, le=MAX_PRICE, description="The price (above, below, cross) or the percent"
    )

    @model_validator(mode="after")
    def _percent(self) -> AlertAddArgs:
        if self.level > PCT_LIMIT.get(self.condition, MAX_PRICE):
            raise ValueError(f"{self.condition} is a percentage up to {PCT_LIMIT[self.condition]}")
        return self


class AlertIdArgs(_Args):
    alert_id: str = Field(pattern=r"^[Aa]\d{1,9}$", description="As /alerts shows it: A3")


class MoveStopArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    price: float | None = Field(default=None, gt=0, le=MAX_PRICE, description="The new stop")
    trail_pct: float | None = Field(
        default=None, gt=0, lt=100, description="Trail the price by this percent ('trail 5%')"
    )
    trail_atr: float | None = Field(
        default=None, gt=0, le=20, description="Trail by this many ATRs ('trail by 2 ATR')"
    )
    breakeven: bool = Field(default=False, description="Move the stop to the entry price")

    @model_validator(mode="after")
    def _one_way(self) -> MoveStopArgs:
        ways = (self.price, self.trail_pct, self.trail_atr, self.breakeven or None)
        if sum(w is not None for w in ways) != 1:
            raise ValueError("give exactly one of price, trail_pct, trail_atr, breakeven")
        return self


MONITOR_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "alert_add",
        "Set a price or position alert (stored; it fires once and only tells, it never trades).",
        AlertAddArgs,
    ),
    ToolSpec("alerts", "List the alerts, armed and fired.", NoArgs),
    ToolSpec("alert_remove", "Remove an alert by its id.", AlertIdArgs),
    ToolSpec("alert_rearm", "Re-arm a fired alert by its id: it fires once more.", AlertIdArgs),
    ToolSpec(
        "monitor",
        "Run a monitor pass now: every open position's exit rules and every armed alert.",
        NoArgs,
    ),
    ToolSpec(
        "move_stop",
        "Propose moving an open position's stop (a card a person must approve): to a price, "
        "trailing by % or ATR, or to breakeven. Exactly one of them.",
        MoveStopArgs,
    ),
)

# ----------------------------------------------------------------------------- options
# Looking only: a chain or IV rank. An option trade asked for shows its chain; no card.


class ChainArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    side: Literal["calls", "puts"] | None = None
    dte: int | None = Field(default=None, ge=0, le=1500, description="Days to the expiry")
    delta: float | None = Field(
        default=None, gt=0, lt=1, description="Show the strikes near this |delta| (0.3)"
    )
    option_trade: bool = Field(
        default=False,
        description="The trader asked to buy or sell options: they see the chain, nothing "
        "is proposed",
    )


class IVRankArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)


class ProposeOptionArgs(_Args):
    symbol: Symbol = Field(min_length=1, max_length=12)
    strategy: Literal["bull_put_spread", "cash_secured_put", "iron_condor"]
    contracts: int | None = Field(
        default=None, gt=0, le=10_000, description="Omit to have the risk engine size it"
    )


OPTION_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "option_chain",
        "Show one expiry of a symbol's option chain (bid, ask, IV, greeks). Also the answer "
        "to a request to trade any other option position, with option_trade true: nothing "
        "is proposed.",
        ChainArgs,
    ),
    ToolSpec("iv_rank", "IV rank and IV percentile of a symbol.", IVRankArgs),
    ToolSpec(
        "propose_option",
        "Create an option strategy card (a person must approve it): a bull put spread, a "
        "cash-secured put ('sell a put') or an iron condor on a symbol.",
        ProposeOptionArgs,
    ),
)


class NewsArgs(_Args):
    symbols: list[Symbol] = Field(default_factory=list, max_length=20)
    hours: int | None = Field(default=None, ge=1, le=336, description="How far back")


NEWS_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "news",
        "Headlines with sentiment for symbols (none given: held and watched ones). A "
        "question like 'any news on TSLA?'; never a trade.",
        NewsArgs,
    ),
    ToolSpec(
        "why_move",
        "Explain a symbol's move today from its price and headlines ('why is NVDA down "
        "today?'); never a trade.",
        SymbolArgs,
    ),
)

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
    ToolSpec(
        "report",
        "Write a performance report for a period (figures, trades and equity CSVs, equity "
        "and strategy charts): 'weekly report', 'how did I do this week?', 'export my "
        "trades to CSV', 'chart of my equity'.",
        ReportArgs,
    ),
    ToolSpec("watchlist", "Add to, remove from, or list the watchlist.", WatchlistArgs),
    ToolSpec("pause", "Pause new entry proposals.", NoArgs),
    ToolSpec("resume", "Resume after a pause.", NoArgs),
    ToolSpec("status", "Desk status: mode, broker, data, LLM, limits.", NoArgs),
    ToolSpec("why", "Explain a proposal by its id (p-xxxxxxxx).", WhyArgs),
    *MONITOR_TOOLS,
    *OPTION_TOOLS,
    *NEWS_TOOLS,
    ToolSpec("help", "List what the desk can do.", NoArgs),
    ToolSpec("clarify", "Ask one short question when the request is ambiguous.", ClarifyArgs),
    ToolSpec("answer", "Answer from data.facts, or reply briefly to anything else.", AnswerArgs),
)
