"""The monitor's types: a position as the exit rules see it, their config, triggers, the
hysteresis state of a rule, and price/position alert rules. Plain values, no I/O.

Defaults (and where they come from):
- adverse move -10% and profit +15% alerts: issue 15; the same thresholds as the seed TARA
  monitor ("Profit target reached (15%+)", "Stop loss triggered (10%-)").
- breakeven after +1R: issue 15.
- trailing by ATR (2 x ATR, the same distance as the strategies' initial stop,
  StrategyConfig.stop_atr) or by % (10%, the seeds' stop_loss_pct 0.10 / "10%-").
- hysteresis band 0.5% of the level, or 0.25 ATR when the ATR is known: issue 15.
- time stop 20 calendar days: ours (no seed or issue gives a number); day trades use the
  end-of-day rule instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.domain import Side


class RuleName(StrEnum):
    """The exit rules, in the order they are evaluated."""

    STOP_HIT = "stop_hit"
    TARGET_HIT = "target_hit"
    TIME_STOP = "time_stop"
    END_OF_DAY = "end_of_day"
    TRAILING_STOP = "trailing_stop"
    BREAKEVEN = "breakeven"
    ADVERSE_MOVE = "adverse_move"
    PROFIT_MOVE = "profit_move"


class TriggerKind(StrEnum):
    """What a trigger asks for: an exit proposal, a stop-change proposal, or nothing."""

    EXIT = "exit"
    STOP_MOVE = "stop_move"
    ALERT = "alert"


class ExitRuleConfig(BaseModel):
    """Each exit rule on/off and its numbers (see the module docstring for the defaults)."""

    model_config = ConfigDict(frozen=True)

    stop_hit: bool = True  # price through the stop and no stop working at the venue
    target_hit: bool = True  # price at/through the target and no target working at the venue
    trailing: bool = True
    trail_mode: Literal["atr", "pct"] = "atr"  # "atr" falls back to % without an ATR
    trail_atr: float = Field(2.0, gt=0, le=50, description="trail distance in ATRs")
    trail_pct: float = Field(10.0, gt=0, lt=100, description="trail distance, % of the extreme")
    trail_activate_r: float = Field(
        1.0, ge=0, le=100, description="open profit in R before trailing starts (R known)"
    )
    trail_step_atr: float = Field(
        0.5, gt=0, le=50, description="a new trail proposal needs the stop to rise this many ATRs"
    )
    trail_step_pct: float = Field(
        1.0, gt=0, lt=100, description="... or this % of the price without an ATR"
    )
    breakeven: bool = True
    breakeven_r: float = Field(1.0, gt=0, le=100, description="open profit in R that moves it")
    breakeven_offset_pct: float = Field(
        0.0, ge=0, lt=50, description="the new stop sits this % beyond the entry, in profit"
    )
    time_stop: bool = True
    max_holding_days: float = Field(20.0, gt=0, le=3650, description="calendar days held")
    adverse_alert: bool = True
    adverse_pct: float = Field(10.0, gt=0, le=100, description="open loss, % of entry")
    profit_alert: bool = True
    profit_pct: float = Field(15.0, gt=0, le=10_000, description="open gain, % of entry")
    end_of_day: bool = True  # day trades are closed before the session ends
    band_pct: float = Field(
        0.5, gt=0, lt=50, description="re-arm band: % of the level beyond it on the safe side"
    )
    band_atr: float = Field(
        0.25, ge=0, le=50, description="re-arm band in ATRs when the ATR is known (0: use %)"
    )


@dataclass(frozen=True, slots=True)
class PositionView:
    """One open position as the monitor sees it (signed quantity: negative is short).

    stop/target: the levels recorded with the position (None: none). initial_stop: the stop
    at entry, which sets 1R (None: `stop` is used). stop_working/target_working: an order
    for that level is working at the venue (False when none was sent, or it was cancelled,
    rejected or expired unfilled). high/low: the extremes since entry (None: unknown).
    """

    symbol: str
    quantity: int
    avg_price: float
    entry_time: datetime
    stop: float | None = None
    target: float | None = None
    stop_working: bool = False
    target_working: bool = False
    strategy: str | None = None
    day_trade: bool = False
    high: float | None = None
    low: float | None = None
    atr: float | None = None
    initial_stop: float | None = None
    id: str = ""  # the position's key in the rule states ("" means the symbol)

    @property
    def key(self) -> str:
        """The key its rule states are stored under."""
        return self.id or self.symbol

    @property
    def sign(self) -> int:
        """+1 long, -1 short, 0 flat."""
        return (self.quantity > 0) - (self.quantity < 0)

    @property
    def exit_side(self) -> Side:
        """The side of the order that closes it."""
        return Side.SELL if self.quantity > 0 else Side.BUY

    def pnl_pct(self, price: float) -> float:
        """Open P&L at `price`, % of the entry (positive is a gain, long or short)."""
        return self.sign * (price - self.avg_price) / self.avg_price * 100.0

    def risk_unit(self) -> float | None:
        """1R: the distance from the entry to the initial stop (None when unknown or 0)."""
        ref = self.initial_stop if self.initial_stop is not None else self.stop
        if ref is None:
            return None
        r = abs(self.avg_price - ref)
        return r if r > 0 and math.isfinite(r) else None


@dataclass(frozen=True, slots=True)
class Trigger:
    """One rule that fired: what to do, the numbers behind it and a sentence for a trader.

    quantity/side: the exit order suggested (kind "exit"); new_stop: the level proposed
    (kind "stop_move").
    """

    rule: RuleName
    kind: TriggerKind
    position: str
    symbol: str
    price: float
    level: float | None
    pnl_pct: float
    r_multiple: float | None
    days_held: float
    reason: str
    quantity: int | None = None
    side: Side | None = None
    new_stop: float | None = None


@dataclass(frozen=True, slots=True)
class RuleState:
    """The hysteresis state of one rule on one position.

    armed: the rule may fire. After firing it is disarmed until the price leaves the band
    beyond `level` on the safe side (for stop moves: until a new level advances past the
    last proposal by the step; for the time stop: never; for end of day: the next session).
    """

    armed: bool = True
    level: float | None = None
    fired_at: datetime | None = None


ARMED = RuleState()


class AlertCondition(StrEnum):
    """above/below PRICE; move PCT (the day's move vs the previous close, either way);
    loss/gain PCT (a held position's open P&L, % of its entry)."""

    ABOVE = "above"
    BELOW = "below"
    MOVE = "move"
    LOSS = "loss"
    GAIN = "gain"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A person's price or position alert; it fires once until re-armed on request."""

    id: str
    symbol: str
    condition: AlertCondition
    value: float


@dataclass(frozen=True, slots=True)
class AlertHit:
    """An alert that fired, with the numbers and a sentence for a trader."""

    rule_id: str
    symbol: str
    condition: AlertCondition
    value: float
    observed: float  # the price, the day's move % or the position's P&L %
    reason: str
