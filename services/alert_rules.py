"""Price and position alerts as pure functions: rules, prices, previous closes and positions
in; the alerts that fired, with a reason, out.

Each alert fires once: the caller stores the ids that fired and passes them back as `fired`;
an alert re-arms only when a person asks (`rearm`). A rule whose numbers are missing or
invalid (no price, no previous close, no position) fires nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Set

from models.monitor_types import AlertCondition, AlertHit, AlertRule, PositionView

__all__ = ["AlertCondition", "AlertHit", "AlertRule", "check_alerts", "rearm"]

_ABOVE, _BELOW, _MOVE, _LOSS, _GAIN = (
    AlertCondition.ABOVE,
    AlertCondition.BELOW,
    AlertCondition.MOVE,
    AlertCondition.LOSS,
    AlertCondition.GAIN,
)


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _px(x: float) -> str:
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4f}"


def _hit(
    rule: AlertRule, price: float, prev: float | None, pos: PositionView | None
) -> AlertHit | None:
    """The hit of one rule at `price`, or None."""
    cond, value, sym = rule.condition, rule.value, rule.symbol
    if cond is _ABOVE:
        if price >= value:
            return AlertHit(
                rule.id, sym, cond, value, price, f"{sym} {_px(price)} is at or above {_px(value)}"
            )
        return None
    if cond is _BELOW:
        if price <= value:
            return AlertHit(
                rule.id, sym, cond, value, price, f"{sym} {_px(price)} is at or below {_px(value)}"
            )
        return None
    if cond is _MOVE:
        if prev is None or not _ok(prev):
            return None
        move = (price - prev) / prev * 100.0
        if abs(move) >= abs(value):
            way = "up" if move > 0 else "down"
            reason = (
                f"{sym} is {way} {abs(move):.1f}% on the day ({_px(prev)} -> {_px(price)}), "
                f"alert at {abs(value):g}%"
            )
            return AlertHit(rule.id, sym, cond, value, move, reason)
        return None
    if pos is None or pos.quantity == 0 or not _ok(pos.avg_price):
        return None
    pnl = pos.pnl_pct(price)
    if cond is _LOSS and pnl <= -abs(value):
        reason = (
            f"{sym} position is {abs(pnl):.1f}% in loss against the {_px(pos.avg_price)} "
            f"entry (alert at -{abs(value):g}%)"
        )
        return AlertHit(rule.id, sym, cond, value, pnl, reason)
    if cond is _GAIN and pnl >= abs(value):
        reason = (
            f"{sym} position is {pnl:.1f}% in profit against the {_px(pos.avg_price)} "
            f"entry (alert at +{abs(value):g}%)"
        )
        return AlertHit(rule.id, sym, cond, value, pnl, reason)
    return None


def check_alerts(
    rules: Iterable[AlertRule],
    prices: Mapping[str, float],
    prev_closes: Mapping[str, float],
    positions: Mapping[str, PositionView],
    fired: Set[str] = frozenset(),
) -> tuple[AlertHit, ...]:
    """The alerts that fire now: none already in `fired`, and each id at most once.

    prices/prev_closes: by symbol. positions: by symbol (for the loss/gain conditions).
    """
    out: list[AlertHit] = []
    seen: set[str] = set()
    for rule in rules:
        rid = rule.id
        if rid in fired or rid in seen:
            continue
        price = prices.get(rule.symbol)
        if price is None or not _ok(price):
            continue
        hit = _hit(rule, price, prev_closes.get(rule.symbol), positions.get(rule.symbol))
        if hit is not None:
            seen.add(rid)
            out.append(hit)
    return tuple(out)


def rearm(fired: Set[str], rule_id: str) -> frozenset[str]:
    """The fired ids after a person re-arms `rule_id`."""
    return frozenset(fired - {rule_id})
