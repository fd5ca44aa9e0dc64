"""The monitor's exit rules as pure functions: a position, the price, the time and the rule
states in; triggers and the new states out. No clock reads, no I/O.

Rules (long shown; a short is the mirror image):
- stop_hit (exit): price at/below the stop and no stop order is working at the venue.
- target_hit (exit): price at/above the target and no target order is working at the venue.
- time_stop (exit): held `max_holding_days` calendar days or more (not for day trades).
- end_of_day (exit): a day trade while the session is about to close.
- trailing_stop (stop_move): the stop trails the high since entry by N x ATR (or %), once the
  high is `trail_activate_r` R in profit; proposed when it advances a step past both the
  stop and the last proposal.
- breakeven (stop_move): at +`breakeven_r` R, move the stop to the entry (plus an offset).
- adverse_move / profit_move (alert): open P&L at -10% / +15% of the entry.

Hysteresis: a rule that fired is disarmed and re-arms only after the price leaves a band
beyond its level on the safe side (`band_atr` x ATR when the ATR is known, else `band_pct`
of the level), so a price hovering at a level fires once. Missing or invalid numbers fire
nothing (a careful desk does nothing on data it cannot trust).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from models.monitor_types import (
    ARMED,
    ExitRuleConfig,
    PositionView,
    RuleName,
    RuleState,
    Trigger,
    TriggerKind,
)

__all__ = [
    "BookStates",
    "ExitRuleConfig",
    "PositionView",
    "RuleName",
    "RuleState",
    "Trigger",
    "TriggerKind",
    "band_width",
    "evaluate",
    "evaluate_book",
]

PositionStates = Mapping[RuleName, RuleState]
BookStates = Mapping[str, PositionStates]
_EMPTY: PositionStates = {}
_EPS = 1e-12  # relative: a price equal to a level up to float noise is at it


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def band_width(level: float, atr: float | None, cfg: ExitRuleConfig) -> float:
    """How far beyond `level` (safe side) the price must go to re-arm a rule."""
    if cfg.band_atr > 0 and atr is not None and _ok(atr):
        return cfg.band_atr * atr
    return abs(level) * cfg.band_pct / 100.0


def _px(x: float) -> str:
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4f}"


def _r(r: float | None) -> str:
    return "" if r is None else f", {r:+.1f}R"


def _step(
    st: RuleState, crossed: bool, safe: float, band: float, level: float, now: datetime
) -> tuple[bool, RuleState | None]:
    """(fire?, the new state or None when unchanged) of one price-level rule.

    `safe` is how far the price sits on the safe side of the level (<= 0: crossed)."""
    new: RuleState | None = None
    if not st.armed and safe > 0 and safe >= band:
        st = new = ARMED
    if st.armed and crossed:
        return True, RuleState(False, level, now)
    return False, new


def evaluate(
    pos: PositionView,
    price: float,
    now: datetime,
    cfg: ExitRuleConfig,
    states: PositionStates = _EMPTY,
    *,
    session_closing: bool = False,
) -> tuple[tuple[Trigger, ...], PositionStates]:
    """The triggers of one position at `price` and `now`, and its new rule states.

    Feeding the returned states back with the same input fires nothing again. When an exit
    fires, no stop move is proposed in the same pass (the exit supersedes it; it is recorded
    as proposed, so it is not offered on the next pass at the same level either).
    """
    s = pos.sign
    if s == 0 or not _ok(price) or not _ok(pos.avg_price):
        return (), states
    avg, sym, atr = pos.avg_price, pos.symbol, pos.atr
    long = s > 0
    pnl = s * (price - avg) / avg * 100.0
    unit = pos.risk_unit()
    r_mult = s * (price - avg) / unit if unit else None
    days = max((now - pos.entry_time).total_seconds() / 86_400.0, 0.0)
    qty, side = abs(pos.quantity), pos.exit_side
    changes: dict[RuleName, RuleState] = {}
    exits: list[Trigger] = []
    alerts: list[Trigger] = []

    def trig(
        rule: RuleName,
        kind: TriggerKind,
        level: float | None,
        reason: str,
        new_stop: float | None = None,
    ) -> Trigger:
        close = kind is TriggerKind.EXIT
        return Trigger(
            rule,
            kind,
            pos.key,
            sym,
            price,
            level,
            pnl,
            r_mult,
            days,
            reason,
            qty if close else None,
            side if close else None,
            new_stop,
        )

    def level_rule(rule: RuleName, level: float, safe: float) -> bool:
        st = states.get(rule, ARMED)
        crossed = safe <= _EPS * level  # at the level counts, float noise aside
        fire, new = _step(st, crossed, safe, band_width(level, atr, cfg), level, now)
        if new is not None:
            changes[rule] = new
        return fire

    stop, target = pos.stop, pos.target
    if (
        cfg.stop_hit
        and not pos.stop_working
        and stop is not None
        and _ok(stop)
        and level_rule(RuleName.STOP_HIT, stop, s * (price - stop))
    ):
        where = "below" if long else "above"
        exits.append(
            trig(
                RuleName.STOP_HIT,
                TriggerKind.EXIT,
                stop,
                f"{sym} {_px(price)} is {where} the {_px(stop)} stop and no stop is "
                f"working at the venue ({pnl:+.1f}%{_r(r_mult)})",
            )
        )
    if (
        cfg.target_hit
        and not pos.target_working
        and target is not None
        and _ok(target)
        and level_rule(RuleName.TARGET_HIT, target, s * (target - price))
    ):
        exits.append(
            trig(
                RuleName.TARGET_HIT,
                TriggerKind.EXIT,
                target,
                f"{sym} {_px(price)} reached the {_px(target)} target and no target "
                f"order is working at the venue ({pnl:+.1f}%{_r(r_mult)})",
            )
        )
    held_out = cfg.time_stop and not pos.day_trade and days >= cfg.max_holding_days
    if held_out and states.get(RuleName.TIME_STOP, ARMED).armed:  # time only moves on: once
        changes[RuleName.TIME_STOP] = RuleState(False, None, now)
        exits.append(
            trig(
                RuleName.TIME_STOP,
                TriggerKind.EXIT,
                None,
                f"{sym} has been held {days:.1f} days, past the "
                f"{cfg.max_holding_days:g}-day time stop ({pnl:+.1f}%{_r(r_mult)})",
            )
        )
    if cfg.end_of_day and pos.day_trade:
        st = states.get(RuleName.END_OF_DAY, ARMED)
        if not session_closing:
            if not st.armed:
                changes[RuleName.END_OF_DAY] = ARMED  # a new session re-arms it
        elif st.armed:
            changes[RuleName.END_OF_DAY] = RuleState(False, None, now)
            exits.append(
                trig(
                    RuleName.END_OF_DAY,
                    TriggerKind.EXIT,
                    None,
                    f"{sym} is a day trade and the session is about to close "
                    f"({pnl:+.1f}%{_r(r_mult)})",
                )
            )

    if cfg.adverse_alert:
        level = avg * (1 - s * cfg.adverse_pct / 100)
        if level_rule(RuleName.ADVERSE_MOVE, level, s * (price - level)):
            alerts.append(
                trig(
                    RuleName.ADVERSE_MOVE,
                    TriggerKind.ALERT,
                    level,
                    f"{sym} {_px(price)} is {abs(pnl):.1f}% against the {_px(avg)} entry "
                    f"of the {'long' if long else 'short'} (alert at -{cfg.adverse_pct:g}%)",
                )
            )
    if cfg.profit_alert:
        level = avg * (1 + s * cfg.profit_pct / 100)
        if level_rule(RuleName.PROFIT_MOVE, level, s * (level - price)):
            alerts.append(
                trig(
                    RuleName.PROFIT_MOVE,
                    TriggerKind.ALERT,
                    level,
                    f"{sym} {_px(price)} is {pnl:.1f}% in favour of the {_px(avg)} entry "
                    f"of the {'long' if long else 'short'} (alert at +{cfg.profit_pct:g}%)",
                )
            )

    # an exit supersedes a stop move due in the same pass; it counts as made all the same,
    # so the same input again proposes nothing new
    moves: list[Trigger] = []
    found = _stop_move(pos, price, now, cfg, states, unit, changes)
    if found is not None and not exits:
        rule, level, new_stop, reason = found
        moves.append(trig(rule, TriggerKind.STOP_MOVE, level, reason, new_stop=new_stop))
    triggers = (*exits, *moves, *alerts)
    if not changes:
        return triggers, states
    return triggers, {**states, **changes}


def _stop_move(
    pos: PositionView,
    price: float,
    now: datetime,
    cfg: ExitRuleConfig,
    states: PositionStates,
    unit: float | None,
    changes: dict[RuleName, RuleState],
) -> tuple[RuleName, float, float, str] | None:
    """(rule, trigger level, new stop, reason) of the breakeven or trailing proposal: at
    most one, the more protective stop. Records the states it changes in `changes`."""
    s, avg, stop, atr, sym = pos.sign, pos.avg_price, pos.stop, pos.atr, pos.symbol
    found: list[tuple[RuleName, float, float, str]] = []
    was = _px(stop) if stop is not None else "none"

    def protects(new: float) -> bool:  # tighter than the stop, still on the safe side of price
        return (stop is None or s * (new - stop) > 0) and s * (price - new) > 0 and new > 0

    if cfg.breakeven and unit:
        new = avg * (1 + s * cfg.breakeven_offset_pct / 100)
        level = avg + s * cfg.breakeven_r * unit
        safe = s * (level - price)
        st = states.get(RuleName.BREAKEVEN, ARMED)
        crossed = safe <= _EPS * abs(level)
        fire, nst = _step(st, crossed, safe, band_width(level, atr, cfg), level, now)
        if nst is not None:
            changes[RuleName.BREAKEVEN] = nst
        if fire and protects(new):
            reason = (
                f"{sym} {_px(price)} is {cfg.breakeven_r:g}R in profit: move the stop from "
                f"{was} to breakeven {_px(new)}"
            )
            found.append((RuleName.BREAKEVEN, level, new, reason))
        elif fire:
            changes.pop(RuleName.BREAKEVEN, None)  # the stop already protects: stay armed

    if cfg.trailing:
        if s > 0:
            ext = price if pos.high is None or not _ok(pos.high) else max(pos.high, price)
        else:
            ext = price if pos.low is None or not _ok(pos.low) else min(pos.low, price)
        if atr is not None and _ok(atr):
            step = cfg.trail_step_atr * atr
            dist = cfg.trail_atr * atr if cfg.trail_mode == "atr" else None
        else:
            step, dist = price * cfg.trail_step_pct / 100, None
        how = f"{cfg.trail_atr:g} ATR"
        if dist is None:
            dist, how = ext * cfg.trail_pct / 100, f"{cfg.trail_pct:g}%"
        cand = ext - s * dist
        active = unit is None or s * (ext - avg) / unit >= cfg.trail_activate_r
        last = states.get(RuleName.TRAILING_STOP, ARMED).level
        refs = [x for x in (stop, last) if x is not None]
        ref = (max(refs) if s > 0 else min(refs)) if refs else None
        if active and protects(cand) and (ref is None or s * (cand - ref) >= step):
            # a superseded trail still counts as proposed, at its own level
            changes[RuleName.TRAILING_STOP] = RuleState(False, cand, now)
            reason = (
                f"{sym} {_px(price)}: trail the stop {how} from the {_px(ext)} "
                f"{'high' if s > 0 else 'low'}, from {was} to {_px(cand)}"
            )
            found.append((RuleName.TRAILING_STOP, cand, cand, reason))

    if not found:
        return None
    return max(found, key=lambda f: s * f[2])


def evaluate_book(
    positions: Iterable[PositionView],
    prices: Mapping[str, float],
    now: datetime,
    cfg: ExitRuleConfig,
    states: BookStates,
    *,
    session_closing: bool = False,
) -> tuple[tuple[Trigger, ...], dict[str, PositionStates]]:
    """One monitor pass over a book: every position at its symbol's price.

    The new states hold only the positions passed (a closed position's states drop out); a
    position without a price fires nothing and keeps its states.
    """
    out: list[Trigger] = []
    new_states: dict[str, PositionStates] = {}
    for pos in positions:
        st = states.get(pos.key, _EMPTY)
        price = prices.get(pos.symbol)
        if price is None:
            new_states[pos.key] = st
            continue
        trig, nst = evaluate(pos, price, now, cfg, st, session_closing=session_closing)
        out.extend(trig)
        new_states[pos.key] = nst
    return tuple(out), new_states
