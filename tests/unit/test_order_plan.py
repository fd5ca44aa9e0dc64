"""The functional core of a trade request: entry or exit, whole shares, stop and target."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain import Side
from models.order_spec import OrderSpec
from services.order_plan import OrderPlanError, levels, realizes, route, shares


def spec(**kw: object) -> OrderSpec:
    return OrderSpec(symbol="NVDA", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "held", "kind", "side", "short"),
    [
        ({"side": Side.BUY}, 0, "entry", Side.BUY, False),
        ({"side": Side.SELL}, 0, "entry", Side.SELL, True),  # a sell while flat: a short
        ({"side": Side.SELL, "quantity": 25}, 25, "exit", Side.SELL, False),
        ({"side": Side.SELL, "quantity": 10}, 25, "exit", Side.SELL, False),
        ({"side": Side.BUY, "quantity": 5}, -15, "exit", Side.BUY, False),
        ({"side": Side.SELL, "short": True}, 0, "entry", Side.SELL, True),
        ({"side": Side.SELL, "short": True}, -10, "entry", Side.SELL, True),
        ({"exit": True}, 25, "exit", Side.SELL, False),
        ({"exit": True}, -25, "exit", Side.BUY, False),
        ({"side": Side.BUY}, 10, "entry", Side.BUY, False),
    ],
)
def test_route(kw: dict, held: int, kind: str, side: Side, short: bool) -> None:
    r = route(spec(**kw), held, allow_short=True)
    assert (r.kind, r.side, r.opens_short) == (kind, side, short)


def test_selling_more_than_held_names_the_choice() -> None:
    with pytest.raises(OrderPlanError) as e:
        route(spec(side=Side.SELL, quantity=40), 15, allow_short=True)
    assert str(e.value) == (
        "You hold 15 NVDA: /close NVDA for all 15, or say 'short 40 NVDA' for a new short."
    )


def test_buying_more_than_a_short_names_the_choice() -> None:
    with pytest.raises(OrderPlanError, match=r"You are short 15 NVDA: /close NVDA for all 15"):
        route(spec(side=Side.BUY, quantity=20), -15, allow_short=True)


def test_no_short_without_the_word_while_long_or_when_shorting_is_off() -> None:
    with pytest.raises(OrderPlanError, match="long: /close NVDA first"):
        route(spec(side=Side.SELL, short=True), 10, allow_short=True)
    with pytest.raises(OrderPlanError, match="turned off"):
        route(spec(side=Side.SELL), 0, allow_short=False)
    with pytest.raises(OrderPlanError, match="No open NVDA"):
        route(spec(exit=True), 0, allow_short=True)


def test_half_of_an_odd_position_rounds_down_and_says_so() -> None:
    qty, notes = shares(spec(exit=True, pct=50), "exit", 100.0, 0.0, 25)
    assert qty == 12 and notes == ["50% of 25 held = 12 shares (rounded down)"]
    qty, notes = shares(spec(exit=True, pct=50), "exit", 100.0, 0.0, 24)
    assert qty == 12 and "rounded" not in notes[0]


def test_amount_and_percent_of_equity() -> None:
    qty, notes = shares(spec(amount=500), "entry", 180.0, 0.0, 0)
    assert qty == 2 and "rounded down" in notes[0]
    qty, _ = shares(spec(pct=5), "entry", 100.0, 100_000.0, 0)
    assert qty == 50
    with pytest.raises(OrderPlanError, match="buys no whole share"):
        shares(spec(amount=50), "entry", 180.0, 0.0, 0)


def test_exit_defaults_to_the_whole_position_and_never_past_it() -> None:
    assert shares(spec(exit=True), "exit", 10.0, 0.0, -30)[0] == 30
    with pytest.raises(OrderPlanError):
        shares(spec(exit=True, quantity=31), "exit", 10.0, 0.0, 30)


def test_levels_keep_named_ones_and_refuse_the_wrong_side() -> None:
    assert levels(Side.BUY, 100.0, 95.0, 110.0, 100.0, 97.0, 106.0) == (95.0, 110.0)
    # a limit moves the idea's stop distance and reward:risk along with it
    assert levels(Side.BUY, 90.0, None, None, 100.0, 97.0, 106.0) == (87.0, 96.0)
    with pytest.raises(OrderPlanError, match=r"above the 100\.00 entry of a buy"):
        levels(Side.BUY, 100.0, 101.0, None, 100.0, 97.0, 106.0)
    with pytest.raises(OrderPlanError, match=r"above the 100\.00 entry of a short"):
        levels(Side.SELL, 100.0, None, 101.0, 100.0, 103.0, 94.0)


def test_realizes() -> None:
    assert realizes(Side.SELL, 10, 110.0, 100.0) == 100.0
    assert realizes(Side.BUY, 10, 110.0, 100.0) == -100.0


@given(
    held=st.integers(-10_000, 10_000).filter(bool),
    pct=st.floats(0.01, 100),
    price=st.floats(0.5, 5_000),
)
def test_an_exit_never_goes_past_flat(held: int, pct: float, price: float) -> None:
    try:
        qty, _ = shares(spec(exit=True, pct=pct), "exit", price, 0.0, held)
    except OrderPlanError:
        assert abs(held) * pct / 100 < 1 + 1e-6
        return
    assert qty is not None and 1 <= qty <= abs(held)
    assert qty == math.floor(abs(held) * pct / 100 + 1e-9)


@given(
    side=st.sampled_from(list(Side)),
    entry=st.floats(1, 1_000),
    dist=st.floats(0.01, 50),
    rr=st.floats(0.5, 5),
    shift=st.floats(0.5, 1.5),
)
def test_derived_levels_sit_on_the_right_sides(
    side: Side, entry: float, dist: float, rr: float, shift: float
) -> None:
    s = side.sign
    idea_stop, idea_target = entry - s * dist, entry + s * dist * rr
    if idea_stop <= 0 or entry * shift - dist <= 0.01:
        return
    try:
        stop, target = levels(side, entry * shift, None, None, entry, idea_stop, idea_target)
    except OrderPlanError:
        return
    assert (entry * shift - stop) * s >= -0.01 and (target - entry * shift) * s >= -0.01


def test_a_marketable_limit_measures_the_stop_from_the_price_now() -> None:
    # a buy limit far above the market fills at the market: the stop sits below it
    stop, target = levels(Side.BUY, 999.0, None, None, 100.0, 97.0, 106.0)
    assert stop == 97.0 and target > 999.0
    with pytest.raises(OrderPlanError, match=r"above the 100\.00 price now"):
        levels(Side.BUY, 999.0, 150.0, None, 100.0, 97.0, 106.0)
