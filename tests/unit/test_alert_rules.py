"""Price and position alerts (services/alert_rules.py): a table of cases per condition, long
and short; fire once until re-armed; a property: any sequence of prices fires each at most
once."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.alert_rules import AlertCondition, AlertRule, check_alerts, rearm
from services.exit_rules import PositionView

C = AlertCondition
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LONG = PositionView("NVDA", 10, 100.0, T0)
SHORT = PositionView("NVDA", -10, 100.0, T0)
PREV = {"NVDA": 100.0}

# (case, condition, value, price, position, previous closes, fires)
CASES: list[tuple[str, AlertCondition, float, float, Any, dict[str, float], bool]] = [
    ("above: over", C.ABOVE, 120.0, 120.5, None, {}, True),
    ("above: at", C.ABOVE, 120.0, 120.0, None, {}, True),
    ("above: under", C.ABOVE, 120.0, 119.9, None, {}, False),
    ("below: under", C.BELOW, 90.0, 89.0, None, {}, True),
    ("below: at", C.BELOW, 90.0, 90.0, None, {}, True),
    ("below: over", C.BELOW, 90.0, 90.1, None, {}, False),
    ("move: up 5%", C.MOVE, 5.0, 105.0, None, PREV, True),
    ("move: down 6%", C.MOVE, 5.0, 94.0, None, PREV, True),
    ("move: up 4%", C.MOVE, 5.0, 104.0, None, PREV, False),
    ("move: no previous close", C.MOVE, 5.0, 150.0, None, {}, False),
    ("move: a zero previous close", C.MOVE, 5.0, 150.0, None, {"NVDA": 0.0}, False),
    ("loss: long -8%", C.LOSS, 8.0, 92.0, LONG, {}, True),
    ("loss: long -7%", C.LOSS, 8.0, 93.0, LONG, {}, False),
    ("loss: short -8% (price +8%)", C.LOSS, 8.0, 108.0, SHORT, {}, True),
    ("loss: short in profit", C.LOSS, 8.0, 92.0, SHORT, {}, False),
    ("gain: long +10%", C.GAIN, 10.0, 110.0, LONG, {}, True),
    ("gain: long +9%", C.GAIN, 10.0, 109.0, LONG, {}, False),
    ("gain: short +10% (price -10%)", C.GAIN, 10.0, 90.0, SHORT, {}, True),
    ("gain: short in loss", C.GAIN, 10.0, 110.0, SHORT, {}, False),
    ("gain: no position", C.GAIN, 10.0, 500.0, None, {}, False),
]


@pytest.mark.parametrize(
    ("cond", "value", "price", "position", "prev", "fires"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_condition_table(
    cond: AlertCondition,
    value: float,
    price: float,
    position: PositionView | None,
    prev: dict[str, float],
    fires: bool,
) -> None:
    rule = AlertRule("a1", "NVDA", cond, value)
    held = {"NVDA": position} if position is not None else {}
    hits = check_alerts([rule], {"NVDA": price}, prev, held)
    assert bool(hits) is fires
    if fires:
        (h,) = hits
        assert h.rule_id == "a1" and h.symbol == "NVDA" and h.reason.startswith("NVDA ")


def test_the_reasons_carry_the_numbers() -> None:
    rules = [
        AlertRule("p", "NVDA", C.ABOVE, 120),
        AlertRule("m", "NVDA", C.MOVE, 3),
        AlertRule("g", "NVDA", C.GAIN, 20),
    ]
    hits = {h.rule_id: h for h in check_alerts(rules, {"NVDA": 125.0}, PREV, {"NVDA": LONG})}
    assert hits["p"].reason == "NVDA 125.00 is at or above 120.00"
    assert hits["m"].observed == pytest.approx(25.0)
    assert "up 25.0% on the day (100.00 -> 125.00)" in hits["m"].reason
    assert "25.0% in profit" in hits["g"].reason


def test_fires_once_until_rearmed_on_request() -> None:
    rules = [AlertRule("a1", "NVDA", C.ABOVE, 120.0)]
    hits = check_alerts(rules, {"NVDA": 121.0}, {}, {})
    fired = frozenset(h.rule_id for h in hits)
    assert fired == {"a1"}
    assert check_alerts(rules, {"NVDA": 121.0}, {}, {}, fired) == ()
    assert check_alerts(rules, {"NVDA": 130.0}, {}, {}, fired) == ()  # still fired
    again = rearm(fired, "a1")
    assert again == frozenset() and len(check_alerts(rules, {"NVDA": 121.0}, {}, {}, again)) == 1


def test_missing_or_bad_prices_fire_nothing_and_duplicate_ids_fire_once() -> None:
    rules = [AlertRule("a1", "NVDA", C.BELOW, 1e9)]
    for prices in ({}, {"NVDA": math.nan}, {"NVDA": 0.0}, {"NVDA": -1.0}, {"AAPL": 5.0}):
        assert check_alerts(rules, prices, {}, {}) == ()
    twice = [*rules, AlertRule("a1", "NVDA", C.ABOVE, 1.0)]
    assert [h.rule_id for h in check_alerts(twice, {"NVDA": 50.0}, {}, {})] == ["a1"]


SYMS = ["NVDA", "AAPL", "TSLA"]
rule_st = st.builds(
    AlertRule,
    id=st.sampled_from([f"r{i}" for i in range(12)]),
    symbol=st.sampled_from(SYMS),
    condition=st.sampled_from(list(C)),
    value=st.floats(0.5, 200, allow_nan=False),
)
prices_st = st.dictionaries(st.sampled_from(SYMS), st.floats(1, 300, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    rules=st.lists(rule_st, max_size=20),
    path=st.lists(prices_st, min_size=1, max_size=30),
    qty=st.integers(-50, 50),
)
def test_any_alert_fires_at_most_once(
    rules: list[AlertRule], path: list[dict[str, float]], qty: int
) -> None:
    held = {s: PositionView(s, qty, 100.0, T0) for s in SYMS}
    prev = dict.fromkeys(SYMS, 100.0)
    fired: frozenset[str] = frozenset()
    count: Counter[str] = Counter()
    for prices in path:
        hits = check_alerts(rules, prices, prev, held, fired)
        count.update(h.rule_id for h in hits)
        fired = fired | {h.rule_id for h in hits}
    assert all(n == 1 for n in count.values()), count
