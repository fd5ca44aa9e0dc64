"""Risk checks (pure): every check carries the numbers that decided it, for the card."""

from __future__ import annotations

import math

from models.config import RiskLimits
from models.domain import RiskCheck, RiskDecision, Side
from services.risk.errors import RiskInputError, finite
from services.risk.measure import Candidate, le
from services.risk.sizing import StrategyStats, size_entry
from services.risk.view import DeskState, PortfolioView

CHECK_NAMES = (
    "desk_state",
    "shorting",
    "stop",
    "quantity",
    "risk_per_trade",
    "position_size",
    "sector_concentration",
    "symbol_positions",
    "open_positions",
    "portfolio_heat",
    "cash_reserve",
    "buying_power",
    "daily_trades",
    "daily_loss",
    "drawdown",
    "broker_rejections",
)


def _check(name: str, passed: bool, value: float, limit: float, detail: str) -> RiskCheck:
    return RiskCheck(
        name=name,
        passed=passed,
        value=round(value, 4) if math.isfinite(value) else (999.0 if value > 0 else -999.0),
        limit=round(limit, 4),
        detail=detail,
    )


def is_reducing(side: Side, quantity: int, held: int) -> bool:
    """True when the order only shrinks an existing position (never flips it)."""
    return held != 0 and (held > 0) != (side is Side.BUY) and 0 < quantity <= abs(held)


def evaluate_exit(symbol: str, side: Side, quantity: int, pf: PortfolioView) -> RiskDecision:
    """A position-reducing order: allowed in any desk state, up to the position held."""
    h = pf.positions.get(symbol)
    held, price = (h.quantity, h.price) if h else (0, 0.0)
    ok = is_reducing(side, quantity, held)
    check = _check(
        "reduces_position",
        ok,
        quantity,
        abs(held),
        f"closes {quantity} of {abs(held)} {symbol} held"
        if ok
        else f"{side.value} {quantity} {symbol} does not reduce the position held ({held})",
    )
    return RiskDecision(
        approved=ok,
        quantity=quantity if ok else 0,
        checks=(check,),
        risk_amount=0.0,
        risk_pct=0.0,
        notional=round(quantity * price, 2),
        sizing="position exit",
    )


def _desk_check(desk: DeskState) -> RiskCheck:
    if desk.opens:
        return _check("desk_state", True, 0, 0, "desk active")
    if desk.halted:
        word = "halted"
    elif desk.reducing:
        word = "REDUCING, only position-reducing trades"
    else:
        word = "paused"
    why = f": {desk.reason}" if desk.reason else ""
    return _check("desk_state", False, 0, 0, f"desk {word}{why} (a person must /resume)")


def evaluate_entry(
    symbol: str,
    side: Side,
    entry: float,
    stop: float,
    requested: int | None,
    pf: PortfolioView,
    limits: RiskLimits,
    desk: DeskState,
    stats: StrategyStats | None = None,
) -> RiskDecision:
    """Size an opening trade (unless a quantity was requested) and run every limit on it.

    Raises RiskInputError for a price, stop or quantity the engine cannot reason about.
    """
    finite("entry price", entry, positive=True)
    finite("stop price", stop, non_negative=True)
    if requested is not None and (
        isinstance(requested, bool) or not isinstance(requested, int) or requested < 0
    ):
        raise RiskInputError(f"quantity must be a whole number of shares, got {requested!r}")
    c = Candidate.of(symbol, side, entry, stop, pf, limits)
    if requested is None:
        sized = size_entry(c, stats)
        qty, sizing, why_zero = sized.quantity, sized.text, sized.why_zero
    else:
        qty, sizing, why_zero = requested, "quantity as requested", ""
    checks = _checks(c, qty, desk, why_zero)
    risk_pct = c.risk_pct(qty)
    return RiskDecision(
        approved=all(ck.passed for ck in checks),
        quantity=qty,
        checks=checks,
        risk_amount=round(c.risk(qty), 2),
        risk_pct=round(risk_pct, 4) if math.isfinite(risk_pct) else 999.0,
        notional=round(c.notional(qty), 2),
        sizing=sizing,
    )


def _checks(c: Candidate, qty: int, desk: DeskState, why_zero: str) -> tuple[RiskCheck, ...]:
    """Every check on `qty` shares; only the detail that applies is formatted (hot path)."""
    lim, pf, ex, sym, side = c.limits, c.pf, c.ex, c.symbol, c.side
    entry, stop = c.entry, c.stop
    buy = side is Side.BUY
    out = [_desk_check(desk)]

    ok = buy or lim.allow_short or 0 < qty <= ex.held
    out.append(
        _check("shorting", ok, 0, 0, "direction allowed" if ok else "short selling is disabled")
    )

    ok = c.per_share > 0 and (stop < entry if buy else stop > entry)
    out.append(
        _check(
            "stop",
            ok,
            stop,
            entry,
            f"stop {stop:.2f} on the right side of {entry:.2f}"
            if ok
            else f"stop {stop:.2f} must be {'below' if buy else 'above'} entry {entry:.2f}",
        )
    )

    top = lim.max_order_quantity
    ok = 1 <= qty <= top
    detail = f"{qty} shares" if ok else f"quantity {qty} outside 1-{top:,}"
    if not ok and qty < 1 and why_zero:
        detail += f" ({why_zero})"
    out.append(_check("quantity", ok, qty, top, detail))

    risk_amt, risk_pct, cap = c.risk(qty), c.risk_pct(qty), lim.max_risk_per_trade_pct
    ok = le(risk_pct, cap)
    detail = f"${risk_amt:,.2f} at risk = {risk_pct:.2f}% of equity"
    out.append(
        _check("risk_per_trade", ok, risk_pct, cap, detail if ok else f"{detail} > {cap:g}%")
    )

    v, cap = c.position_pct(qty), lim.max_position_pct
    ok = le(v, cap)
    detail = f"{sym} would be {v:.1f}% of equity"
    out.append(_check("position_size", ok, v, cap, detail if ok else f"{detail} > {cap:g}%"))

    sector, cap = ex.sector, lim.max_sector_pct
    if sector is None:
        out.append(_check("sector_concentration", True, 0.0, cap, "sector unknown"))
    else:
        v = c.sector_pct(qty)
        ok = le(v, cap)
        detail = f"{sector} would be {v:.1f}% of equity"
        out.append(
            _check("sector_concentration", ok, v, cap, detail if ok else f"{detail} > {cap:g}%")
        )

    n, cap_n = c.symbol_holdings(qty), lim.max_positions_per_symbol
    ok = n <= cap_n
    detail = f"{n} open on {sym}"
    out.append(_check("symbol_positions", ok, n, cap_n, detail if ok else f"{detail} > {cap_n}"))

    n, cap_n = c.open_positions(qty), lim.max_open_positions
    ok = n <= cap_n
    detail = f"{n} open positions"
    out.append(_check("open_positions", ok, n, cap_n, detail if ok else f"{detail} > {cap_n}"))

    v, cap = c.heat_pct(qty), lim.max_heat_pct
    ok = le(v, cap)
    detail = f"{v:.2f}% of equity at risk to stops"
    out.append(_check("portfolio_heat", ok, v, cap, detail if ok else f"{detail} > {cap:g}%"))

    v, cap = c.cash_pct(qty), lim.cash_reserve_pct
    ok = le(cap, v)
    detail = f"cash after {v:.1f}% of equity"
    out.append(
        _check("cash_reserve", ok, v, cap, detail if ok else f"{detail} < the {cap:g}% reserve")
    )

    notional, bp = c.notional(qty), pf.buying_power
    ok = le(notional, bp)
    out.append(
        _check(
            "buying_power",
            ok,
            notional,
            bp,
            f"${notional:,.2f} of ${bp:,.2f} buying power"
            if ok
            else f"${notional:,.2f} exceeds buying power ${bp:,.2f}",
        )
    )

    done, cap_n = pf.trades_today, lim.max_trades_per_day
    ok = done < cap_n
    out.append(
        _check(
            "daily_trades",
            ok,
            done + 1,
            cap_n,
            f"trade {done + 1} of {cap_n} today"
            if ok
            else f"{done} trades today: the limit is {cap_n}",
        )
    )

    v, cap = pf.day_pnl_pct, lim.daily_loss_limit_pct
    ok = v > -cap
    detail = f"today {v:+.2f}%"
    out.append(
        _check(
            "daily_loss",
            ok,
            v,
            -cap,
            detail if ok else f"{detail} hit the daily loss limit -{cap:g}%",
        )
    )

    v, cap, peak = pf.drawdown_pct, lim.max_drawdown_pct, pf.peak
    ok = v < cap
    detail = f"{v:.2f}% below the equity peak ${peak:,.2f}"
    out.append(
        _check(
            "drawdown", ok, v, cap, detail if ok else f"{detail} hit the {cap:g}% drawdown limit"
        )
    )

    n, cap_n = pf.consecutive_rejections, lim.max_consecutive_rejections
    ok = n < cap_n
    detail = f"{n} broker rejections in a row"
    out.append(
        _check("broker_rejections", ok, n, cap_n, detail if ok else f"{detail} (limit {cap_n})")
    )
    return tuple(out)


def evaluate(
    symbol: str,
    side: Side,
    entry: float,
    stop: float | None,
    quantity: int | None,
    pf: PortfolioView,
    limits: RiskLimits,
    desk: DeskState,
    kind: str = "entry",
    stats: StrategyStats | None = None,
) -> RiskDecision:
    """One proposal, routed: exits and position-reducing orders are judged only on reducing
    (they pass in every desk state); everything else is an opening trade."""
    h = pf.positions.get(symbol)
    held = h.quantity if h else 0
    if kind == "exit" or (quantity is not None and is_reducing(side, quantity, held)):
        return evaluate_exit(symbol, side, quantity or abs(held), pf)
    return evaluate_entry(
        symbol, side, entry, stop if stop is not None else 0.0, quantity, pf, limits, desk, stats
    )


def drift_pct(proposed: float, current: float) -> float:
    """How far the price moved since the proposal, in percent of the proposed price."""
    return abs(current - proposed) / proposed * 100 if proposed > 0 else math.inf
