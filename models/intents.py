"""What a line of text asks for: a typed intent, never an order.

The offline parser (and later the LLM) turns free text into one of these; the orchestrator
carries it out. Approving or rejecting a proposal is deliberately *not* an intent: only a
button (or /approve in the terminal) decides.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.domain import Period, Side, TimeInForce
from models.order_spec import OrderSpec


class IntentKind(StrEnum):
    SCAN = "scan"
    ANALYZE = "analyze"
    PROPOSE = "propose"
    CLOSE = "close"
    POSITIONS = "positions"
    ORDERS = "orders"
    PNL = "pnl"
    WATCHLIST_ADD = "watchlist_add"
    WATCHLIST_REMOVE = "watchlist_remove"
    WATCHLIST_LIST = "watchlist_list"
    PAUSE = "pause"
    RESUME = "resume"
    STATUS = "status"
    WHY = "why"
    HELP = "help"
    CLARIFY = "clarify"
    ANSWER = "answer"  # a reply from the facts (LLM), numbers checked against them
    SMALL_TALK = "small_talk"
    REFUSE = "refuse"
    UNKNOWN = "unknown"
    # the monitor (issue 15): alerts, a pass now, a stop-move card; never an order
    ALERT_ADD = "alert_add"
    ALERT_LIST = "alert_list"
    ALERT_REMOVE = "alert_remove"
    ALERT_REARM = "alert_rearm"
    MONITOR = "monitor"
    STOP_MOVE = "stop_move"
    # options (issue 16): look only; an option trade asked for shows the chain, no card
    CHAIN = "chain"
    IV_RANK = "iv_rank"
    # options (issue 17): a strategy card (bull put spread, cash-secured put, iron condor)
    OPTION_PROPOSE = "option_propose"
    # news (issue 18): questions answered, never carded
    NEWS = "news"
    WHY_MOVE = "why_move"
    # reports (issue 19): a performance report with its files and charts
    REPORT = "report"


def strategy_phrase(name: str) -> str:
    """'a bull put spread', 'an iron condor' (a strategy name in words, with its article)."""
    words = name.replace("_", " ")
    return ("an " if words[:1] in "aeiou" else "a ") + words


class Intent(BaseModel):
    """One understood request: `question` for CLARIFY; `reply` for SMALL_TALK/REFUSE/ANSWER."""

    model_config = ConfigDict(frozen=True)

    kind: IntentKind
    symbols: tuple[str, ...] = ()
    side: Side | None = None
    quantity: int | None = Field(default=None, gt=0)
    period: Period | None = None
    proposal_id: str | None = None
    strategy: str | None = None  # propose by a named strategy's signal (LLM tool argument)
    # the rest of a trade request (models/order_spec.py); `pct` is of equity for an entry,
    # of the position for a close ("sell half" is pct=50)
    short: bool = False
    amount: float | None = Field(default=None, gt=0)
    pct: float | None = Field(default=None, gt=0, le=100)
    limit_price: float | None = Field(default=None, gt=0)
    stop_price: float | None = Field(default=None, gt=0)
    target_price: float | None = Field(default=None, gt=0)
    tif: TimeInForce = TimeInForce.DAY
    # alerts: above|below a price, cross (above or below, whichever side the quote is not on:
    # the conversation resolves it), move (% day move, either way), loss|gain (% of a held
    # position's entry); alert_id as /alerts shows it (A3)
    alert_condition: str | None = Field(
        default=None, pattern=r"^(?:above|below|cross|move|loss|gain)$"
    )
    alert_level: float | None = Field(default=None, gt=0)
    alert_id: str | None = Field(default=None, pattern=r"^A\d{1,9}$")
    # a stop move: exactly one of stop_price, trail_pct, trail_atr, breakeven
    trail_pct: float | None = Field(default=None, gt=0, lt=100)
    trail_atr: float | None = Field(default=None, gt=0)
    breakeven: bool = False
    # an option chain: which side, about how many days out, near which |delta|; option_trade
    # when the person asked to trade options (shown the chain, nothing is proposed)
    option_side: str | None = Field(default=None, pattern=r"^(?:calls|puts)$")
    dte: int | None = Field(default=None, ge=0, le=1500)
    delta: float | None = Field(default=None, gt=0, lt=1)
    option_trade: bool = False
    option_strategy: str | None = Field(
        default=None, pattern=r"^(?:bull_put_spread|cash_secured_put|iron_condor)$"
    )
    hours: int | None = Field(default=None, ge=1, le=336)  # news: how far back
    question: str | None = None
    reply: str | None = None
    readback: str = ""

    @property
    def symbol(self) -> str | None:
        return self.symbols[0] if self.symbols else None

    def order_spec(self) -> OrderSpec:
        """The trade this intent asks for (PROPOSE or CLOSE with a symbol)."""
        return OrderSpec(
            symbol=self.symbols[0] if self.symbols else "",
            side=self.side,
            short=self.short,
            exit=self.kind is IntentKind.CLOSE,
            quantity=self.quantity,
            amount=self.amount,
            pct=self.pct,
            limit=self.limit_price,
            stop=self.stop_price,
            target=self.target_price,
            tif=self.tif,
        )
