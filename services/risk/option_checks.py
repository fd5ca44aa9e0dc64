"""Risk checks of an option position (pure): its max loss is its risk.

Limits from the seed options desk: one trade's max loss (a cash-secured put's capital) at
most `max_trade_pct` of equity, every open option position's max loss together at most
`max_heat_pct` (portfolio heat), the capital on one underlying at most `max_symbol_pct`
(concentration), at most `max_positions_per_symbol` holdings on one underlying (stock and
option positions), the venue's options approval level, and the buying power the position
needs (the venue's dry run where it has one). Sizing is fixed-fraction on the max loss:
contracts = equity × risk% / max loss of one, at least one when one fits the trade cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.config import OptionsConfig, RiskLimits
from models.domain import RiskCheck, RiskDecision
from services.risk.checks import _check, _desk_check
from services.risk.errors import RiskInputError, finite
from services.risk.measure import le
from services.risk.view import DeskState, PortfolioView

# the approval level each strategy needs (Alpaca's numbering: 1 covered calls and
# cash-secured puts, 2 long calls and puts, 3 spreads)
LEVEL_NEEDED = {"cash_secured_put": 1, "bull_put_spread": 3, "iron_condor": 3}
LEVEL_TEXT = {0: "no options", 1: "covered", 2: "long options", 3: "spreads", 4: "uncovered"}


@dataclass(frozen=True)
class OptionExposure:
    """What the book already holds that the limits count: the open option positions' max
    loss in dollars, the positions and capital on this underlying."""

    open_max_loss: float = 0.0
    symbol_positions: int = 0
    symbol_capital: float = 0.0


@dataclass(frozen=True)
class OptionTrade:
    """One option position as the checks see it, per unit (one contract of each leg), in
    dollars: its max loss, the capital it ties up, and the premium it takes in."""

    underlying: str
    strategy: str
    max_loss: float
    capital: float
    credit: float

    def __post_init__(self) -> None:
        finite("max loss", self.max_loss, positive=True)
        finite("capital", self.capital, positive=True)
        finite("credit", self.credit)


def size_contracts(t: OptionTrade, equity: float, limits: RiskLimits, cfg: OptionsConfig) -> int:
    """Fixed-fraction contracts on the max loss, capped; one when one fits the trade cap."""
    budget = equity * limits.risk_per_trade_pct / 100
    n = int(budget // t.max_loss) if t.max_loss > 0 else 0
    if n < 1 and le(t.max_loss / equity * 100, cfg.max_trade_pct):
        n = 1
    return min(n, cfg.max_contracts)


def evaluate_option(
    t: OptionTrade,
    requested: int | None,
    pf: PortfolioView,
    held: OptionExposure,
    limits: RiskLimits,
    cfg: OptionsConfig,
    desk: DeskState,
    level: int,
    buying_power: float,
    bp_needed: float | None = None,
    bp_source: str = "computed",
    level_source: str = "",
) -> RiskDecision:
    """Size (unless `requested`) and check an opening option position. `bp_needed` is the
    venue's dry-run requirement for the whole order when it has one (else the capital)."""
    if requested is not None and (
        isinstance(requested, bool) or not isinstance(requested, int) or requested < 0
    ):
        raise RiskInputError(f"contracts must be a whole number, got {requested!r}")
    eq = pf.equity
    if requested is None:
        n, sizing = (
            size_contracts(t, eq, limits, cfg),
            (
                f"fixed fraction: {limits.risk_per_trade_pct:g}% of equity over a max loss of"
                f" ${t.max_loss:,.2f} a contract"
            ),
        )
    else:
        n, sizing = requested, "contracts as requested"
    out: list[RiskCheck] = [_desk_check(desk)]
    ok = 1 <= n <= cfg.max_contracts
    detail = (
        f"{n} contract{'s' if n != 1 else ''}"
        if ok
        else f"contracts {n} outside 1-{cfg.max_contracts}"
    )
    if n < 1 and requested is None:
        detail += f" (one risks ${t.max_loss:,.2f} = {t.max_loss / eq * 100:.1f}% of equity)"
    out.append(_check("quantity", ok, n, cfg.max_contracts, detail))
    units = max(n, 1)
    loss = t.max_loss * units
    pct = loss / eq * 100 if eq > 0 else math.inf
    ok = le(pct, cfg.max_trade_pct)
    detail = f"max loss ${loss:,.2f} = {pct:.2f}% of equity"
    out.append(
        _check(
            "risk_per_trade",
            ok,
            pct,
            cfg.max_trade_pct,
            detail if ok else f"{detail} > {cfg.max_trade_pct:g}%",
        )
    )
    count, cap_n = held.symbol_positions + 1, limits.max_positions_per_symbol
    ok = count <= cap_n
    detail = f"{count} open on {t.underlying}"
    out.append(
        _check("symbol_positions", ok, count, cap_n, detail if ok else f"{detail} > {cap_n}")
    )
    heat = (held.open_max_loss + loss) / eq * 100 if eq > 0 else math.inf
    ok = le(heat, cfg.max_heat_pct)
    detail = f"{heat:.1f}% of equity at risk in option positions"
    out.append(
        _check(
            "portfolio_heat",
            ok,
            heat,
            cfg.max_heat_pct,
            detail if ok else f"{detail} > {cfg.max_heat_pct:g}%",
        )
    )
    conc = (held.symbol_capital + t.capital * units) / eq * 100 if eq > 0 else math.inf
    ok = le(conc, cfg.max_symbol_pct)
    detail = f"{t.underlying} capital would be {conc:.1f}% of equity"
    out.append(
        _check(
            "concentration",
            ok,
            conc,
            cfg.max_symbol_pct,
            detail if ok else f"{detail} > {cfg.max_symbol_pct:g}%",
        )
    )
    need = LEVEL_NEEDED.get(t.strategy, 3)
    ok = level >= need
    detail = (
        f"level {level} ({LEVEL_TEXT.get(level, '?')}) allows {t.strategy.replace('_', ' ')}"
        if ok
        else f"{t.strategy.replace('_', ' ')} needs options level {need}"
        f" ({LEVEL_TEXT[need]}); the account has {level} ({LEVEL_TEXT.get(level, '?')})"
    )
    if level_source:
        detail += f" ({level_source})"
    out.append(_check("option_level", ok, level, need, detail))
    need_bp = bp_needed if bp_needed is not None else t.capital * units
    ok = le(need_bp, buying_power)
    detail = f"${need_bp:,.2f} of ${buying_power:,.2f} buying power ({bp_source})"
    out.append(
        _check(
            "buying_power",
            ok,
            need_bp,
            buying_power,
            detail if ok else f"needs {detail.replace(' of ', ', has ', 1)}",
        )
    )
    done, cap_n = pf.trades_today, limits.max_trades_per_day
    ok = done < cap_n
    out.append(
        _check(
            "daily_trades",
            ok,
            done + 1,
            cap_n,
            f"trade {done + 1} of {cap_n} today" if ok else f"{done} trades today: the limit",
        )
    )
    v, cap = pf.day_pnl_pct, limits.daily_loss_limit_pct
    ok = v > -cap
    detail = f"today {v:+.2f}%"
    out.append(
        _check("daily_loss", ok, v, -cap, detail if ok else f"{detail} hit the -{cap:g}% limit")
    )
    v, cap = pf.drawdown_pct, limits.max_drawdown_pct
    ok = v < cap
    detail = f"{v:.2f}% below the equity peak"
    out.append(_check("drawdown", ok, v, cap, detail if ok else f"{detail} hit the {cap:g}% limit"))
    return RiskDecision(
        approved=all(c.passed for c in out),
        quantity=n,
        checks=tuple(out),
        risk_amount=round(loss, 2),
        risk_pct=round(pct, 4) if math.isfinite(pct) else 999.0,
        notional=round(t.capital * units, 2),
        sizing=sizing,
    )


__all__ = [
    "LEVEL_NEEDED",
    "OptionExposure",
    "OptionTrade",
    "evaluate_option",
    "size_contracts",
]
