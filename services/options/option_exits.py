"""The monitor's option exit rules, pure: an option strategy position, the underlying's
price, what closing it costs now and today's date in; triggers and the new rule states out.

Rules (defaults from the seed design notes):
- take_profit: the open profit reaches 50% of the max profit (credit − cost to close ≥
  0.5 × max profit);
- credit_stop: closing would cost 2× the credit received ("stop loss: 2x credit"), a loss of
  one credit;
- low_dte: fewer than 7 days to expiry; a roll is suggested when a short strike is
  threatened (the price within `threat_pct` of it, or through it);
- short_strike_breached: the price through a short strike (an iron condor on either side).

Each raises one exit (closing every leg as one order; the card is the monitor's). The same
hysteresis as the stock rules (services/exit_rules.py): a rule that fired is disarmed, and
re-arms only after the number leaves a band on the safe side; low_dte never re-arms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from models.monitor_types import ARMED, RuleState
from services.options.payoff import LegSpec, profile


class OptionRule(StrEnum):
    TAKE_PROFIT = "take_profit"
    CREDIT_STOP = "credit_stop"
    LOW_DTE = "low_dte"
    BREACHED = "short_strike_breached"


@dataclass(frozen=True)
class OptionExitConfig:
    take_profit_pct: float = 50.0  # of the max profit
    stop_multiple: float = 2.0  # cost to close, in credits received
    min_dte: int = 7
    breach: bool = True
    threat_pct: float = 2.0  # a short strike this close (% of the price) is threatened
    band_pct: float = 0.5  # re-arm band: % of the price (breach), % of max profit (P&L rules)


@dataclass(frozen=True)
class OptionPositionView:
    """An open option strategy position: its legs (per unit), the credit received per
    share (negative for a debit), how many units, and the common expiry."""

    key: str
    underlying: str
    strategy: str
    legs: tuple[LegSpec, ...]
    credit: float
    contracts: int
    expiry: date

    def short_strikes(self, kind: str) -> list[float]:
        return [leg.strike for leg in self.legs if leg.side == "sell" and leg.type == kind]


@dataclass(frozen=True)
class OptionTrigger:
    """One exit rule that fired, with its numbers and a sentence for a trader."""

    rule: OptionRule
    key: str
    underlying: str
    price: float
    close_cost: float  # per share, what buying the position back costs now
    pnl: float  # dollars: (credit − close cost) × 100 × contracts
    dte: int
    reason: str
    roll: bool = False  # under the DTE floor and threatened: a roll is suggested


States = Mapping[OptionRule, RuleState]


def _breach(pos: OptionPositionView, price: float) -> tuple[float, str] | None:
    """How far (in price) the worst short strike is breached, and which; None if none."""
    worst: tuple[float, str] | None = None
    for k in pos.short_strikes("put"):
        if price < k and (worst is None or k - price > worst[0]):
            worst = (k - price, f"below the short {k:g} put")
    for k in pos.short_strikes("call"):
        if price > k and (worst is None or price - k > worst[0]):
            worst = (price - k, f"above the short {k:g} call")
    return worst


def _threatened(pos: OptionPositionView, price: float, pct: float) -> bool:
    shorts = pos.short_strikes("put") + pos.short_strikes("call")
    return (
        any(abs(price - k) <= price * pct / 100 for k in shorts) or _breach(pos, price) is not None
    )


def evaluate(
    pos: OptionPositionView,
    price: float,
    close_cost: float,
    today: date,
    now: datetime,
    cfg: OptionExitConfig = OptionExitConfig(),
    states: States | None = None,
) -> tuple[tuple[OptionTrigger, ...], dict[OptionRule, RuleState]]:
    """The triggers of one option position and its new rule states (only those changed).
    Feeding the states back with the same input fires nothing again. Missing or invalid
    numbers fire nothing."""
    states = states or {}
    if not (math.isfinite(price) and price > 0 and math.isfinite(close_cost)):
        return (), {}
    prof = profile(pos.legs, pos.credit)
    scale = 100.0 * pos.contracts
    pnl_share = pos.credit - close_cost
    dte = (pos.expiry - today).days
    out: list[OptionTrigger] = []
    changes: dict[OptionRule, RuleState] = {}
    band_pnl = (
        (prof.max_profit if math.isfinite(prof.max_profit) else abs(pos.credit))
        * cfg.band_pct
        / 100
    )

    def step(rule: OptionRule, crossed: bool, safe: float, band: float, level: float) -> bool:
        st = states.get(rule, ARMED)
        if not st.armed and safe >= band and safe > 0 and rule is not OptionRule.LOW_DTE:
            st = changes[rule] = ARMED
        if st.armed and crossed:
            changes[rule] = RuleState(False, level, now)
            return True
        return False

    def fire(rule: OptionRule, reason: str, roll: bool = False) -> None:
        out.append(
            OptionTrigger(
                rule,
                pos.key,
                pos.underlying,
                price,
                close_cost,
                pnl_share * scale,
                dte,
                reason,
                roll,
            )
        )

    if math.isfinite(prof.max_profit) and prof.max_profit > 0:
        level = prof.max_profit * cfg.take_profit_pct / 100
        if step(OptionRule.TAKE_PROFIT, pnl_share >= level, level - pnl_share, band_pnl, level):
            fire(
                OptionRule.TAKE_PROFIT,
                f"{pos.underlying} {pos.strategy}: profit ${pnl_share * scale:,.0f} is "
                f"{pnl_share / prof.max_profit:.0%} of the max ${prof.max_profit * scale:,.0f} "
                f"(take profit at {cfg.take_profit_pct:g}%)",
            )
    if pos.credit > 0:
        level = pos.credit * cfg.stop_multiple
        if step(OptionRule.CREDIT_STOP, close_cost >= level, level - close_cost, band_pnl, level):
            fire(
                OptionRule.CREDIT_STOP,
                f"{pos.underlying} {pos.strategy}: closing costs {close_cost:.2f}, "
                f"{close_cost / pos.credit:.1f}x the {pos.credit:.2f} credit "
                f"(stop at {cfg.stop_multiple:g}x)",
            )
    if dte < cfg.min_dte and step(OptionRule.LOW_DTE, True, 0.0, 0.0, float(dte)):
        roll = _threatened(pos, price, cfg.threat_pct)
        fire(
            OptionRule.LOW_DTE,
            f"{pos.underlying} {pos.strategy}: {dte} days to expiry (< {cfg.min_dte})"
            + ("; a short strike is threatened: roll suggested" if roll else ""),
            roll,
        )
    shorts = pos.short_strikes("put") + pos.short_strikes("call")
    if cfg.breach and shorts:
        hit = _breach(pos, price)
        safe = 0.0 if hit else min(abs(price - k) for k in shorts)
        band = price * cfg.band_pct / 100
        if step(OptionRule.BREACHED, hit is not None, safe, band, price) and hit is not None:
            fire(
                OptionRule.BREACHED,
                f"{pos.underlying} {pos.strategy}: the price {price:,.2f} is {hit[1]}",
            )
    return tuple(out), changes


__all__ = [
    "OptionExitConfig",
    "OptionPositionView",
    "OptionRule",
    "OptionTrigger",
    "evaluate",
]
