"""The monitor's exit rules (services/exit_rules.py): a table of cases per rule, long and
short; hysteresis; and properties over random price paths."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain import Side
from services.exit_rules import (
    ExitRuleConfig,
    PositionView,
    RuleName,
    RuleState,
    Trigger,
    TriggerKind,
    band_width,
    evaluate,
    evaluate_book,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
CFG = ExitRuleConfig()
R = RuleName


def pos(**kw: Any) -> PositionView:
    """A long 10 NVDA at 100, stop 95 (1R = 5), target 120, no ATR, unless told."""
    base: dict[str, Any] = {
        "symbol": "NVDA",
        "quantity": 10,
        "avg_price": 100.0,
        "entry_time": T0,
        "stop": 95.0,
        "target": 120.0,
    }
    base.update(kw)
    return PositionView(**base)


def short(**kw: Any) -> PositionView:
    """A short 10 NVDA at 100, stop 105, target 80."""
    return pos(**{"quantity": -10, "stop": 105.0, "target": 80.0, **kw})


def fired(
    p: PositionView,
    price: float,
    *,
    now: datetime = NOW,
    cfg: ExitRuleConfig = CFG,
    closing: bool = False,
) -> dict[RuleName, Trigger]:
    trig, _ = evaluate(p, price, now, cfg, {}, session_closing=closing)
    return {t.rule: t for t in trig}


ONLY_MOVES = ExitRuleConfig(stop_hit=False, target_hit=False, adverse_alert=False)

# (case, rule, position, price, extra, fires)
CASES: list[tuple[str, RuleName, PositionView, float, dict[str, Any], bool]] = [
    ("long through the stop", R.STOP_HIT, pos(), 94.9, {}, True),
    ("long at the stop", R.STOP_HIT, pos(), 95.0, {}, True),
    ("long above the stop", R.STOP_HIT, pos(), 95.1, {}, False),
    ("long, stop working at the venue", R.STOP_HIT, pos(stop_working=True), 90.0, {}, False),
    ("long without a stop", R.STOP_HIT, pos(stop=None), 50.0, {}, False),
    ("short through the stop", R.STOP_HIT, short(), 105.5, {}, True),
    ("short below the stop", R.STOP_HIT, short(), 104.9, {}, False),
    ("short, stop working", R.STOP_HIT, short(stop_working=True), 110.0, {}, False),
    ("long at the target", R.TARGET_HIT, pos(), 120.0, {}, True),
    ("long below the target", R.TARGET_HIT, pos(), 119.9, {}, False),
    ("long, target working", R.TARGET_HIT, pos(target_working=True), 125.0, {}, False),
    ("short through the target", R.TARGET_HIT, short(), 79.5, {}, True),
    ("short above the target", R.TARGET_HIT, short(), 80.5, {}, False),
    ("long held 20 days", R.TIME_STOP, pos(), 101.0, {"now": T0 + timedelta(days=20)}, True),
    ("long held 19.9 days", R.TIME_STOP, pos(), 101.0, {"now": T0 + timedelta(days=19.9)}, False),
    ("short held 30 days", R.TIME_STOP, short(), 99.0, {"now": T0 + timedelta(days=30)}, True),
    (
        "day trade: no time stop",
        R.TIME_STOP,
        pos(day_trade=True),
        101.0,
        {"now": T0 + timedelta(days=30)},
        False,
    ),
    ("day trade at the close", R.END_OF_DAY, pos(day_trade=True), 101.0, {"closing": True}, True),
    (
        "short day trade at the close",
        R.END_OF_DAY,
        short(day_trade=True),
        99,
        {"closing": True},
        True,
    ),
    ("day trade mid-session", R.END_OF_DAY, pos(day_trade=True), 101.0, {}, False),
    ("swing trade at the close", R.END_OF_DAY, pos(), 101.0, {"closing": True}, False),
    ("long -10%", R.ADVERSE_MOVE, pos(stop=None), 90.0, {}, True),
    ("long -9.5%", R.ADVERSE_MOVE, pos(stop=None), 90.5, {}, False),
    ("short -10% (price +10%)", R.ADVERSE_MOVE, short(stop=None), 110.0, {}, True),
    ("short -9%", R.ADVERSE_MOVE, short(stop=None), 109.0, {}, False),
    ("long +15%", R.PROFIT_MOVE, pos(target=None), 115.0, {}, True),
    ("long +14%", R.PROFIT_MOVE, pos(target=None), 114.0, {}, False),
    ("short +15% (price -15%)", R.PROFIT_MOVE, short(target=None), 85.0, {}, True),
    ("short +14%", R.PROFIT_MOVE, short(target=None), 86.0, {}, False),
    (
        "long +1R",
        R.BREAKEVEN,
        pos(),
        105.0,
        {"cfg": ExitRuleConfig(trailing=False)},
        True,
    ),
    ("long +0.98R", R.BREAKEVEN, pos(), 104.9, {"cfg": ExitRuleConfig(trailing=False)}, False),
    (
        "long, stop already at entry",
        R.BREAKEVEN,
        pos(stop=100.0, initial_stop=95.0),
        108.0,
        {"cfg": ExitRuleConfig(trailing=False)},
        False,
    ),
    ("long, R unknown", R.BREAKEVEN, pos(stop=None), 130.0, {"cfg": ONLY_MOVES}, False),
    ("short +1R", R.BREAKEVEN, short(), 95.0, {"cfg": ExitRuleConfig(trailing=False)}, True),
    ("short +0.9R", R.BREAKEVEN, short(), 95.5, {"cfg": ExitRuleConfig(trailing=False)}, False),
    ("long trails the high by 2 ATR", R.TRAILING_STOP, pos(atr=2.0, high=112.0), 111.0, {}, True),
    (
        "long not yet +1R at the high",
        R.TRAILING_STOP,
        pos(atr=2.0, high=104.0),
        103.0,
        {"cfg": ONLY_MOVES},
        False,
    ),
    ("short trails the low by 2 ATR", R.TRAILING_STOP, short(atr=2.0, low=88.0), 89.0, {}, True),
    (
        "short not yet +1R at the low",
        R.TRAILING_STOP,
        short(atr=2.0, low=96.0),
        97.0,
        {"cfg": ONLY_MOVES},
        False,
    ),
    ("long trails by 10% without an ATR", R.TRAILING_STOP, pos(high=118.0), 117.0, {}, True),
    (
        "trail would sit above the price",
        R.TRAILING_STOP,
        pos(atr=5.0, high=130.0),
        118.0,
        {"cfg": ONLY_MOVES},
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "p", "price", "extra", "fires"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_rule_table(
    rule: RuleName, p: PositionView, price: float, extra: dict[str, Any], fires: bool
) -> None:
    got = fired(p, price, **extra)
    assert (rule in got) is fires, got
    if fires:
        t = got[rule]
        assert t.symbol == "NVDA" and t.price == price and t.reason.startswith("NVDA ")
        kind = {
            R.STOP_HIT: TriggerKind.EXIT,
            R.TARGET_HIT: TriggerKind.EXIT,
            R.TIME_STOP: TriggerKind.EXIT,
            R.END_OF_DAY: TriggerKind.EXIT,
            R.TRAILING_STOP: TriggerKind.STOP_MOVE,
            R.BREAKEVEN: TriggerKind.STOP_MOVE,
            R.ADVERSE_MOVE: TriggerKind.ALERT,
            R.PROFIT_MOVE: TriggerKind.ALERT,
        }[rule]
        assert t.kind is kind
        if kind is TriggerKind.EXIT:
            assert t.quantity == 10 and t.side is (Side.SELL if p.quantity > 0 else Side.BUY)
        else:
            assert t.quantity is None and t.side is None
        assert (t.new_stop is not None) is (kind is TriggerKind.STOP_MOVE)


def test_the_numbers_and_the_reason() -> None:
    p = pos(avg_price=115.0, stop=110.0, target=None)
    t = fired(p, 108.20)[R.STOP_HIT]
    assert t.reason.startswith(
        "NVDA 108.20 is below the 110.00 stop and no stop is working at the venue"
    )
    assert t.level == 110.0 and t.pnl_pct == pytest.approx(-5.913, abs=1e-3)
    assert t.r_multiple == pytest.approx(-1.36) and t.days_held == pytest.approx(2 / 24)


def test_stop_moves_propose_the_right_levels() -> None:
    be = fired(pos(), 106.0, cfg=ExitRuleConfig(trailing=False))[R.BREAKEVEN]
    assert be.new_stop == 100.0 and be.level == 105.0 and "breakeven 100.00" in be.reason
    off = ExitRuleConfig(trailing=False, breakeven_offset_pct=0.5)
    assert fired(short(), 94.0, cfg=off)[R.BREAKEVEN].new_stop == pytest.approx(99.5)
    assert fired(pos(atr=2.0, high=112.0), 111.0)[R.TRAILING_STOP].new_stop == 108.0
    assert fired(short(atr=2.0, low=88.0), 89.0)[R.TRAILING_STOP].new_stop == 92.0
    assert fired(pos(high=118.0), 117.0)[R.TRAILING_STOP].new_stop == pytest.approx(106.2)
    pct = ExitRuleConfig(trail_mode="pct", trail_pct=5)
    assert fired(pos(atr=2.0, high=118.0), 117.0, cfg=pct)[R.TRAILING_STOP].new_stop == 112.1


def test_one_stop_move_at_a_time_the_more_protective() -> None:
    got = fired(pos(atr=2.0, high=112.0), 111.0)  # breakeven (100) and trail (108) both due
    assert R.BREAKEVEN not in got and got[R.TRAILING_STOP].new_stop == 108.0
    got = fired(pos(atr=4.0, high=106.0), 105.5)  # trail 98 is below breakeven 100
    assert R.TRAILING_STOP not in got and got[R.BREAKEVEN].new_stop == 100.0


def test_an_exit_supersedes_a_stop_move() -> None:
    got = fired(pos(atr=2.0, high=125.0), 121.0)  # target hit, trail due too
    assert R.TARGET_HIT in got and R.TRAILING_STOP not in got and R.BREAKEVEN not in got


def test_disabled_rules_and_bad_numbers_fire_nothing() -> None:
    off = ExitRuleConfig(stop_hit=False, adverse_alert=False)
    assert fired(pos(), 80.0, cfg=off) == {}
    for bad in (math.nan, math.inf, 0.0, -5.0):
        assert evaluate(pos(), bad, NOW, CFG, {}) == ((), {})
    assert evaluate(pos(quantity=0), 50.0, NOW, CFG, {}) == ((), {})


# ----------------------------------------------------------------------------- hysteresis


def run(
    p: PositionView,
    prices: list[float],
    cfg: ExitRuleConfig = CFG,
    states: Mapping[RuleName, RuleState] | None = None,
) -> tuple[list[list[RuleName]], Mapping[RuleName, RuleState]]:
    st: Mapping[RuleName, RuleState] = states or {}
    out = []
    for i, px in enumerate(prices):
        trig, st = evaluate(p, px, NOW + timedelta(minutes=i), cfg, st)
        out.append([t.rule for t in trig])
    return out, st


def test_hovering_at_the_stop_fires_once_and_leaving_the_band_rearms() -> None:
    p = pos(avg_price=115.0, stop=110.0, target=None)  # band 0.5% of 110 = 0.55
    assert band_width(110.0, None, CFG) == pytest.approx(0.55)
    hover = [109.9, 110.1, 109.95, 110.5, 109.8, 110.54, 110.0]
    got, st = run(p, hover)
    assert sum(R.STOP_HIT in g for g in got) == 1 and R.STOP_HIT in got[0]
    got, _ = run(p, [110.6, 109.9], states=st)  # left the band, came back
    assert got == [[], [R.STOP_HIT]]


def test_the_band_is_a_quarter_atr_when_the_atr_is_known() -> None:
    p = short(atr=4.0, stop=105.0, target=None)  # band 1.0
    got, _ = run(p, [105.2, 104.5, 105.1, 104.0, 105.0])
    assert [R.STOP_HIT in g for g in got] == [True, False, False, False, True]


def test_the_same_input_twice_fires_nothing_the_second_time() -> None:
    p = pos(day_trade=True, atr=2.0, high=130.0, stop=None, target=None)
    now = T0 + timedelta(days=40)
    first, st = evaluate(p, 116.0, now, CFG, {}, session_closing=True)
    assert {t.rule for t in first} == {R.END_OF_DAY, R.PROFIT_MOVE}
    again, st2 = evaluate(p, 116.0, now, CFG, st, session_closing=True)
    assert again == () and st2 == st
    swing = pos(atr=2.0, high=112.0, target=None)
    t1, s1 = evaluate(swing, 111.0, now, CFG, {})
    assert {t.rule for t in t1} == {R.TIME_STOP}
    t2, _ = evaluate(swing, 111.0, now, CFG, s1)
    assert t2 == ()


def test_end_of_day_rearms_in_the_next_session_and_time_stop_never() -> None:
    p = pos(day_trade=True)
    _, st = evaluate(p, 101.0, NOW, CFG, {}, session_closing=True)
    assert evaluate(p, 101.0, NOW, CFG, st, session_closing=True)[0] == ()
    _, st = evaluate(p, 101.0, NOW + timedelta(hours=18), CFG, st)  # next morning
    trig, _ = evaluate(p, 101.0, NOW + timedelta(days=1), CFG, st, session_closing=True)
    assert [t.rule for t in trig] == [R.END_OF_DAY]
    late = T0 + timedelta(days=21)
    _, st = evaluate(pos(), 101.0, late, CFG, {})
    assert evaluate(pos(), 101.0, late + timedelta(days=5), CFG, st)[0] == ()


def test_trailing_proposes_again_only_after_a_step() -> None:
    cfg = ExitRuleConfig(breakeven=False)
    p = pos(atr=2.0, high=112.0, target=None)  # trail 108, step 1.0
    t, st = evaluate(p, 111.0, NOW, cfg, {})
    assert t[0].new_stop == 108.0
    assert evaluate(replace(p, high=112.9), 112.5, NOW, cfg, st)[0] == ()  # +0.9 < a step
    t, st = evaluate(replace(p, high=113.0), 112.5, NOW, cfg, st)
    assert t[0].new_stop == 109.0
    approved = replace(p, stop=109.0, high=113.5)  # approved, then a half step more
    assert evaluate(approved, 113.0, NOW, cfg, st)[0] == ()


def test_a_book_pass_keys_states_by_position_and_drops_closed_ones() -> None:
    a, b = pos(id="p1"), short(id="p2", symbol="TSLA")
    trig, st = evaluate_book([a, b], {"NVDA": 94.0, "TSLA": 106.0}, NOW, CFG, {})
    assert sorted((t.position, t.rule) for t in trig) == [
        ("p1", R.STOP_HIT),
        ("p2", R.STOP_HIT),
    ]
    trig, st2 = evaluate_book([a], {"TSLA": 106.0}, NOW, CFG, st)  # no NVDA price; p2 closed
    assert trig == () and st2 == {"p1": st["p1"]}


# ----------------------------------------------------------------------------- properties

LEVEL_RULES = (R.STOP_HIT, R.TARGET_HIT, R.ADVERSE_MOVE, R.PROFIT_MOVE, R.BREAKEVEN)


def _level(rule: RuleName, p: PositionView, cfg: ExitRuleConfig) -> tuple[float, int]:
    """(level, direction): the rule's price level and +1 when it fires at or above it."""
    s, avg = p.sign, p.avg_price
    if rule is R.STOP_HIT:
        return p.stop or 0.0, -s
    if rule is R.TARGET_HIT:
        return p.target or 0.0, s
    if rule is R.ADVERSE_MOVE:
        return avg * (1 - s * cfg.adverse_pct / 100), -s
    if rule is R.PROFIT_MOVE:
        return avg * (1 + s * cfg.profit_pct / 100), s
    return avg + s * cfg.breakeven_r * abs(avg - (p.stop or 0.0)), s


side_st = st.sampled_from([1, -1])
path_st = st.lists(st.floats(-0.3, 0.3, allow_nan=False), min_size=2, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    side=side_st,
    moves=path_st,
    atr=st.one_of(st.none(), st.floats(0.1, 5)),
    stop_pct=st.floats(0.02, 0.2),
    target_pct=st.floats(0.02, 0.3),
)
def test_a_rule_never_fires_twice_without_leaving_its_band(
    side: int, moves: list[float], atr: float | None, stop_pct: float, target_pct: float
) -> None:
    p = pos(
        quantity=10 * side,
        stop=100 * (1 - side * stop_pct),
        target=100 * (1 + side * target_pct),
        atr=atr,
    )
    cfg = ExitRuleConfig(trailing=False, time_stop=False)  # breakeven shows alone
    prices = [100 * (1 + m) for m in moves]
    got, _ = run(p, prices, cfg)
    for rule in LEVEL_RULES:
        level, d = _level(rule, p, cfg)
        band = band_width(level, atr, cfg)
        hits = [i for i, g in enumerate(got) if rule in g]
        for i in hits:  # fires only at or beyond its level
            assert d * (prices[i] - level) >= -1e-9 * level
        for i, j in itertools.pairwise(hits):
            assert any(-d * (prices[k] - level) >= band for k in range(i + 1, j)), (rule, i, j)


@settings(max_examples=200, deadline=None)
@given(
    side=side_st,
    moves=path_st,
    atr=st.one_of(st.none(), st.floats(0.1, 5)),
    stop=st.one_of(st.none(), st.floats(0.02, 0.2)),
    accept=st.lists(st.booleans(), min_size=60, max_size=60),
    mode=st.sampled_from(["atr", "pct"]),
)
def test_a_proposed_stop_never_moves_against_the_position(
    side: int,
    moves: list[float],
    atr: float | None,
    stop: float | None,
    accept: list[bool],
    mode: str,
) -> None:
    cfg = ExitRuleConfig(
        stop_hit=False,
        target_hit=False,
        time_stop=False,
        trail_mode=mode,  # type: ignore[arg-type]
        trail_pct=5,
    )
    cur = None if stop is None else 100 * (1 - side * stop)
    p = pos(quantity=10 * side, stop=cur, initial_stop=cur, target=None, atr=atr)
    hi = lo = 100.0
    states: Mapping[RuleName, RuleState] = {}
    proposed: list[float] = []
    for i, m in enumerate(moves):
        px = 100 * (1 + m)
        hi, lo = max(hi, px), min(lo, px)
        p = replace(p, high=hi, low=lo)
        trig, states = evaluate(p, px, NOW, cfg, states)
        for t in trig:
            if t.kind is not TriggerKind.STOP_MOVE:
                continue
            assert t.new_stop is not None
            if p.stop is not None:
                assert side * (t.new_stop - p.stop) > 0  # a long's stop only goes up
            assert side * (px - t.new_stop) > 0  # and stays on the safe side of the price
            if t.rule is R.TRAILING_STOP and proposed:
                assert side * (t.new_stop - proposed[-1]) > 0  # trails only forward
            if t.rule is R.TRAILING_STOP:
                proposed.append(t.new_stop)
            if accept[i]:
                p = replace(p, stop=t.new_stop)
