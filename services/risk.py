"""Risk checks and sizing (pure): every check carries the numbers that decided it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from models.config import RiskLimits
from models.domain import RiskCheck, RiskDecision, Side


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The account as the risk engine sees it. positions: symbol -> (signed qty, price)."""

    equity: float
    cash: float
    buying_power: float
    day_start_equity: float
    positions: dict[str, tuple[int, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeskState:
    paused: bool = False
    halted: bool = False
    reason: str = ""


def fixed_fraction_size(equity: float, risk_pct: float, entry: float, stop: float) -> int:
    """Whole shares so that a stop-out loses `risk_pct`% of equity (rounded down).

    1% of $10,000 with entry 40 and stop 38 is 50 shares.
    """
    per_share = abs(entry - stop)
    if equity <= 0 or per_share <= 0 or risk_pct <= 0:
        return 0
    return max(0, math.floor(equity * risk_pct / 100 / per_share + 1e-9))


def _check(name: str, passed: bool, value: float, limit: float, ok: str, bad: str) -> RiskCheck:
    return RiskCheck(
        name=name,
        passed=passed,
        value=round(value, 4),
        limit=round(limit, 4),
        detail=ok if passed else bad,
    )


def is_reducing(side: Side, quantity: int, held: int) -> bool:
    """True when the order only shrinks an existing position (never flips it)."""
    return held != 0 and (held > 0) != (side is Side.BUY) and 0 < quantity <= abs(held)


def evaluate_exit(symbol: str, side: Side, quantity: int, pf: PortfolioView) -> RiskDecision:
    """A position-reducing order: allowed in any desk state, up to the position held."""
    held, price = pf.positions.get(symbol, (0, 0.0))
    ok = is_reducing(side, quantity, held)
    check = _check(
        "reduces_position",
        ok,
        quantity,
        abs(held),
        f"closes {quantity} of {abs(held)} {symbol} held",
        f"{side.value} {quantity} {symbol} does not reduce the position held ({held})",
    )
    notional = quantity * price
    return RiskDecision(
        approved=ok,
        quantity=quantity if ok else 0,
        checks=(check,),
        risk_amount=0.0,
        risk_pct=0.0,
        notional=round(notional, 2),
        sizing="position exit",
    )


def evaluate_entry(
    symbol: str,
    side: Side,
    entry: float,
    stop: float,
    requested: int | None,
    pf: PortfolioView,
    limits: RiskLimits,
    desk: DeskState,
) -> RiskDecision:
    """Size an opening trade (unless a quantity was requested) and run every limit on it."""
    held, held_px = pf.positions.get(symbol, (0, entry))
    per_share = abs(entry - stop)
    eq = max(pf.equity, 0.0)
    if requested is None:
        target = fixed_fraction_size(eq, limits.risk_per_trade_pct, entry, stop)
        room = eq * limits.max_position_pct / 100 - abs(held) * held_px
        cap_pos = math.floor(max(room, 0.0) / entry) if entry > 0 else 0
        cap_bp = math.floor(max(pf.buying_power, 0.0) / entry) if entry > 0 else 0
        qty = max(0, min(target, cap_pos, cap_bp, limits.max_order_quantity))
        sizing = f"fixed fraction: {limits.risk_per_trade_pct:g}% of equity at risk to the stop"
    else:
        qty = requested
        sizing = "quantity as requested"
    notional = qty * entry
    risk_amt = qty * per_share
    risk_pct = risk_amt / eq * 100 if eq else math.inf
    pos_pct = (abs(held) * held_px + notional) / eq * 100 if eq else math.inf
    n_open = len([s for s, (q, _) in pf.positions.items() if q]) + (0 if held else 1)
    day_pct = (pf.equity / pf.day_start_equity - 1) * 100 if pf.day_start_equity > 0 else 0.0
    stop_ok = per_share > 0 and (stop < entry if side is Side.BUY else stop > entry)
    checks = [
        _check(
            "desk_state",
            not (desk.halted or desk.paused),
            0,
            0,
            "desk active",
            f"desk {'halted' if desk.halted else 'paused'}"
            + (f": {desk.reason}" if desk.reason else "")
            + " (a person must /resume)",
        ),
        _check(
            "shorting",
            side is Side.BUY or limits.allow_short or 0 < qty <= held,
            0,
            0,
            "direction allowed",
            "short selling is disabled",
        ),
        _check(
            "stop",
            stop_ok,
            stop,
            entry,
            f"stop {stop:.2f} on the right side of {entry:.2f}",
            f"stop {stop:.2f} must be {'below' if side is Side.BUY else 'above'} entry {entry:.2f}",
        ),
        _check(
            "quantity",
            1 <= qty <= limits.max_order_quantity,
            qty,
            limits.max_order_quantity,
            f"{qty} shares",
            f"quantity {qty} outside 1-{limits.max_order_quantity:,}"
            + (" (stop too wide or account too small for one share)" if qty < 1 else ""),
        ),
        _check(
            "risk_per_trade",
            risk_pct <= limits.max_risk_per_trade_pct,
            risk_pct,
            limits.max_risk_per_trade_pct,
            f"${risk_amt:,.2f} at risk = {risk_pct:.2f}% of equity",
            f"${risk_amt:,.2f} at risk = {risk_pct:.2f}% of equity "
            f"> {limits.max_risk_per_trade_pct:g}%",
        ),
        _check(
            "position_size",
            pos_pct <= limits.max_position_pct,
            pos_pct,
            limits.max_position_pct,
            f"{symbol} would be {pos_pct:.1f}% of equity",
            f"{symbol} would be {pos_pct:.1f}% of equity > {limits.max_position_pct:g}%",
        ),
        _check(
            "open_positions",
            n_open <= limits.max_open_positions,
            n_open,
            limits.max_open_positions,
            f"{n_open} open positions",
            f"{n_open} open positions > {limits.max_open_positions}",
        ),
        _check(
            "buying_power",
            notional <= pf.buying_power,
            notional,
            pf.buying_power,
            f"${notional:,.2f} of ${pf.buying_power:,.2f} buying power",
            f"${notional:,.2f} exceeds buying power ${pf.buying_power:,.2f}",
        ),
        _check(
            "daily_loss",
            day_pct > -limits.daily_loss_limit_pct,
            day_pct,
            -limits.daily_loss_limit_pct,
            f"today {day_pct:+.2f}%",
            f"today {day_pct:+.2f}% hit the daily loss limit -{limits.daily_loss_limit_pct:g}%",
        ),
    ]
    approved = all(c.passed for c in checks)
    return RiskDecision(
        approved=approved,
        quantity=qty,
        checks=tuple(checks),
        risk_amount=round(risk_amt, 2),
        risk_pct=round(risk_pct, 4) if math.isfinite(risk_pct) else 999.0,
        notional=round(notional, 2),
        sizing=sizing,
    )


def drift_pct(proposed: float, current: float) -> float:
    """How far the price moved since the proposal, in percent of the proposed price."""
    return abs(current - proposed) / proposed * 100 if proposed > 0 else math.inf
