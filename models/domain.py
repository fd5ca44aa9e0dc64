"""Domain types shared by every layer: plain pydantic values, no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Mode(StrEnum):
    """What kind of money is at stake."""

    SIM = "sim"
    PAPER = "paper"
    LIVE = "live"

    @property
    def label(self) -> str:
        """The banner shown on every card and price."""
        return {"sim": "SIMULATED", "paper": "PAPER", "live": "LIVE"}[self.value]


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class TimeInForce(StrEnum):
    """How long an order works: the session, until cancelled, or only at the next open."""

    DAY = "day"
    GTC = "gtc"
    OPG = "opg"

    @property
    def text(self) -> str:
        return {"day": "for the day", "gtc": "good till cancelled", "opg": "at the next open"}[
            self.value
        ]


class OrderRole(StrEnum):
    """What an order in our books is for: a proposal's own order, or a protective child
    of an entry (its client id is the parent's plus "-sl" or "-tp")."""

    MAIN = "main"
    STOP = "stop"
    TARGET = "target"

    @property
    def suffix(self) -> str:
        return {"main": "", "stop": "-sl", "target": "-tp"}[self.value]


def child_client_id(parent: str, role: OrderRole) -> str:
    """The client id of an entry's protective order: the parent's, plus '-sl' or '-tp'."""
    return parent + role.suffix


KILL_PREFIX = "kill-"  # the client ids of the kill switch's flattening orders


def split_client_id(cid: str) -> tuple[str, OrderRole]:
    """(the parent client id, the role) of a client id ('p-x-sl' -> ('p-x', STOP))."""
    for role in (OrderRole.STOP, OrderRole.TARGET):
        if cid.endswith(role.suffix):
            return cid[: -len(role.suffix)], role
    return cid, OrderRole.MAIN


class OrderStatus(StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


# Our book's order statuses beyond the venue's (OrderStatus): an order row is created
# `pending_submit` just before it is sent; `unknown` when the venue did not say whether it
# took it (a timeout, a 5xx) and could not be asked: the desk keeps looking it up.
PENDING_SUBMIT = "pending_submit"
OUTCOME_UNKNOWN = "unknown"
UNSETTLED_ORDER_STATUSES = frozenset({PENDING_SUBMIT, OUTCOME_UNKNOWN})
BOOK_OPEN_STATUSES = UNSETTLED_ORDER_STATUSES | {"new", "partially_filled"}
ORDER_STATUS_TEXT = {
    PENDING_SUBMIT: "being sent",
    OUTCOME_UNKNOWN: "sent, outcome unknown, checking",
    "new": "working at the venue",
    "partially_filled": "partially filled",
}


class RiskState(StrEnum):
    """The desk's risk state: ACTIVE -> REDUCING -> HALTED (services/risk/states.py)."""

    ACTIVE = "active"
    REDUCING = "reducing"  # only position-reducing proposals
    HALTED = "halted"  # no new proposals; pending ones expire; exits only

    @property
    def rank(self) -> int:
        return {"active": 0, "reducing": 1, "halted": 2}[self.value]


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUBMITTED = "submitted"
    FILLED = "filled"
    PARTIALLY_FILLED = "partially_filled"
    CANCELED = "canceled"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class ProposalKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class AssetClass(StrEnum):
    EQUITY = "equity"
    OPTION = "option"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# ----------------------------------------------------------------------------- market data


def two_sided_mid(bid: float | None, ask: float | None) -> float | None:
    """The mid of a stored bid and ask, or None unless both are quoted (0 < bid <= ask)."""
    if bid is None or ask is None or bid <= 0 or ask < bid:
        return None
    return (bid + ask) / 2


class Quote(Frozen):
    symbol: str
    bid: float
    ask: float
    last: float
    bid_size: int = 100
    ask_size: int = 100
    ts: datetime
    simulated: bool = False

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2

    @property
    def spread_pct(self) -> float:
        return (self.ask - self.bid) / self.mid * 100 if self.mid > 0 else float("inf")

    def price_for(self, side: Side) -> float:
        """The price a marketable order on `side` would pay or receive."""
        return self.ask if side is Side.BUY else self.bid


class Bars(BaseModel):
    """OHLCV columns for one symbol, oldest first (timestamps in UTC)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    symbol: str
    ts: list[datetime]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]

    def __len__(self) -> int:
        return len(self.close)


class Instrument(Frozen):
    symbol: str
    name: str
    sector: str
    asset_class: AssetClass = AssetClass.EQUITY
    is_etf: bool = False


# ----------------------------------------------------------------------------- analysis


class ScoreComponent(Frozen):
    name: str
    points: float
    max_points: float
    detail: str
    value: float | None = None  # the measured number behind the points (None: not available)


class ScanResult(Frozen):
    """One symbol as the scanner saw it: passed filters or why not, and its score."""

    symbol: str
    passed: bool
    score: float = 0.0
    components: tuple[ScoreComponent, ...] = ()
    reasons: tuple[str, ...] = ()
    last: float | None = None
    change_pct: float | None = None  # the day's change so far, in % of the previous close
    side: Side | None = None  # the direction the score favours (long: buy, short: sell)


class TradeIdea(Frozen):
    symbol: str
    side: Side
    entry: float
    stop: float
    target: float
    strategy: str
    confidence: float = Field(ge=0, le=1)
    score: float = 0.0
    facts: dict[str, float] = Field(default_factory=dict)
    summary: str = ""

    @property
    def risk_per_share(self) -> float:
        return abs(self.entry - self.stop)

    @property
    def reward_risk(self) -> float:
        rps = self.risk_per_share
        return abs(self.target - self.entry) / rps if rps > 0 else 0.0


class RiskCheck(Frozen):
    name: str
    passed: bool
    value: float
    limit: float
    detail: str


class RiskDecision(Frozen):
    approved: bool
    quantity: int
    checks: tuple[RiskCheck, ...]
    risk_amount: float
    risk_pct: float
    notional: float
    sizing: str

    @property
    def failures(self) -> tuple[RiskCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def reason(self) -> str:
        return "; ".join(c.detail for c in self.failures) or "all checks passed"


# ----------------------------------------------------------------------------- account


class Account(Frozen):
    account_id: str
    cash: float
    equity: float
    buying_power: float
    currency: str = "USD"


class BrokerPosition(Frozen):
    symbol: str
    quantity: int
    avg_price: float


class OrderLeg(Frozen):
    """One leg of a multi-leg (options) order: the contract, its side and ratio, and whether
    it opens a position or closes one (Alpaca's `position_intent`, Tastytrade's action)."""

    symbol: str  # the OCC option symbol, e.g. AAPL261218C00200000
    side: Side
    ratio: int = Field(default=1, ge=1)
    opens: bool = True  # buy_to_open / sell_to_open; False: buy_to_close / sell_to_close


class OrderRequest(Frozen):
    """What the execution agent asks a broker for. `client_order_id` is the proposal id."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: int = Field(gt=0)
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    # a bracket: the exit legs the venue places once the entry fills (both or neither)
    take_profit: float | None = Field(default=None, gt=0)
    stop_loss: float | None = Field(default=None, gt=0)
    # a multi-leg options order (1-4 legs); `symbol` is then the underlying, for display,
    # `quantity` the number of units (contracts of a ratio-1 leg), `side` SELL for a net
    # credit and BUY for a net debit, and `limit_price` the net price per share, always
    # positive: each venue writes its own sign (Alpaca: negative = credit; Tastytrade:
    # positive = credit)
    legs: tuple[OrderLeg, ...] = ()
    time_in_force: TimeInForce = TimeInForce.DAY
    # protective only (one-cancels-other): a limit at take_profit and a stop at stop_loss,
    # both for `quantity` on `side`, placed at once (client ids: this one plus -tp / -sl)
    oco: bool = False

    @property
    def bracket(self) -> bool:
        return self.take_profit is not None and self.stop_loss is not None and not self.oco


class OrderPreview(Frozen):
    """What a venue says an order would do (its dry run), for the card. Negative = money out."""

    change_in_buying_power: float
    current_buying_power: float
    new_buying_power: float
    margin_requirement: float
    commission: float
    clearing_fees: float
    regulatory_fees: float
    total_fees: float
    warnings: tuple[str, ...] = ()


class FillReport(Frozen):
    fill_id: str
    quantity: int
    price: float
    commission: float
    ts: datetime


class LegExecution(Frozen):
    """One leg of a multi-leg order as the venue shows it: its contract, and its own fills
    (contracts, premium per share). Fill ids are unique at the venue across legs."""

    symbol: str  # OCC
    side: Side
    ratio: int = 1
    opens: bool = True
    filled_quantity: int = 0
    avg_fill_price: float | None = None
    fills: tuple[FillReport, ...] = ()


class BrokerOrder(Frozen):
    """A broker's view of one order, including every fill so far."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: float | None
    stop_price: float | None
    status: OrderStatus
    filled_quantity: int
    avg_fill_price: float | None
    fills: tuple[FillReport, ...] = ()
    reason: str = ""
    submitted_at: datetime
    # protective children the venue placed with this order (a bracket's or an OCO's stop and
    # target), each with its client id: this order's plus "-sl" / "-tp"
    legs: tuple[BrokerOrder, ...] = ()
    # a multi-leg options order: `symbol` is the underlying, `quantity`/`filled_quantity`
    # units, `avg_fill_price` the net price per share (positive), `side` SELL for a credit;
    # its fills are its legs' (the order's own `fills` stay empty, nothing is booked twice)
    option_legs: tuple[LegExecution, ...] = ()


class Actor(Frozen):
    """Who did something: a person (with their approver right) or a component."""

    id: str
    name: str
    can_approve: bool = False
    kind: str = "user"

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(id=f"system:{name}", name=name, can_approve=False, kind="system")


class Event(Frozen):
    id: int
    ts: datetime
    type: str
    actor: str
    proposal_id: str | None
    order_id: str | None
    context: dict[str, Any]
