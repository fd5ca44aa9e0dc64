"""Passed ideas: the first bar touching the stop or target decides (the stop when a bar
touches both), otherwise the idea is open at the last close, final once the window is over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.learning.passed import follow_idea, passed_idea
from services.reports.types import PassedIdea

D0 = date(2024, 6, 3)


def bars(*hlc: tuple[float, float, float]) -> list[tuple[date, float, float, float]]:
    return [(D0 + timedelta(days=i), h, low, c) for i, (h, low, c) in enumerate(hlc)]


def test_a_buy_reaching_its_target() -> None:
    b = bars((101, 99, 100.5), (104, 100, 103), (106.2, 102, 105))
    assert follow_idea("buy", 100.0, 97.0, 106.0, 50, b, 5) == ("target", 300.0, True)


def test_a_sell_stopped_out() -> None:
    b = bars((51, 49, 50), (52.6, 50, 52))
    assert follow_idea("sell", 50.0, 52.5, 45.0, 100, b, 5) == ("stop", -250.0, True)


def test_a_bar_touching_both_counts_the_stop() -> None:
    b = bars((110, 90, 100))
    assert follow_idea("buy", 100.0, 95.0, 105.0, 10, b, 3) == ("stop", -50.0, True)
    assert follow_idea("sell", 100.0, 105.0, 95.0, 10, b, 3) == ("stop", -50.0, True)


def test_open_at_the_last_close_final_when_the_window_is_seen() -> None:
    b = bars((101, 99, 100.4), (102, 99.5, 101.37))
    assert follow_idea("buy", 100.0, 95.0, 110.0, 3, b, 5) == ("open", 4.11, False)
    assert follow_idea("buy", 100.0, 95.0, 110.0, 3, b, 2) == ("open", 4.11, True)
    assert follow_idea("sell", 100.0, None, None, 3, b, 2) == ("open", -4.11, True)


def test_only_the_window_counts() -> None:
    b = bars((101, 99, 100), (101, 99, 100.5), (120, 99, 119))  # the target on day 3
    assert follow_idea("buy", 100.0, 95.0, 110.0, 1, b, 2) == ("open", 0.5, True)
    assert follow_idea("buy", 100.0, 95.0, 110.0, 1, b, 3) == ("target", 10.0, True)


def test_no_bars_no_data() -> None:
    assert follow_idea("buy", 100.0, 95.0, 110.0, 1, [], 5) == ("no_data", None, False)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="side"):
        follow_idea("long", 100.0, 95.0, 110.0, 1, [], 5)
    with pytest.raises(ValueError, match="sessions"):
        follow_idea("buy", 100.0, 95.0, 110.0, 1, [], 0)


def test_passed_idea_builds_the_report_type() -> None:
    created = datetime(2024, 6, 4, 15, 0, tzinfo=UTC)
    b = bars((101, 99, 100), (101, 99, 100), (108, 100, 107))  # day 1 is before the card
    p = passed_idea("p1", "AAPL", "rejected", created, "buy", 100.0, 95.0, 105.0, 20, b, 5)
    assert p == PassedIdea("p1", "AAPL", "rejected", created, "target", 100.0, True)
    empty = passed_idea("p2", "MSFT", "expired", created, "sell", 50.0, 52.0, 45.0, 5, b[:1], 5)
    assert (empty.outcome, empty.pnl, empty.final) == ("no_data", None, False)


prices = st.floats(min_value=1.0, max_value=500.0, allow_nan=False)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[str, float, float, float, int, list, int]:
    side = draw(st.sampled_from(["buy", "sell"]))
    entry = draw(prices)
    risk = draw(st.floats(min_value=0.01, max_value=50.0))
    reward = draw(st.floats(min_value=0.01, max_value=50.0))
    sign = 1 if side == "buy" else -1
    stop, target = entry - sign * risk, entry + sign * reward
    quantity = draw(st.integers(1, 1000))
    n = draw(st.integers(0, 8))
    hlc = []
    for _ in range(n):
        low = draw(st.floats(min_value=0.5, max_value=600.0))
        high = draw(st.floats(min_value=low, max_value=low + 100))
        hlc.append((high, low, draw(st.floats(min_value=low, max_value=high))))
    return side, entry, stop, target, quantity, bars(*hlc), draw(st.integers(1, 10))


@given(scenario())
def test_a_hit_is_priced_at_its_level_and_stops_come_first(s: tuple) -> None:
    side, entry, stop, target, qty, b, sessions = s
    result, pnl, final = follow_idea(side, entry, stop, target, qty, b, sessions)
    sign = 1 if side == "buy" else -1
    window = b[:sessions]
    if not window:
        assert (result, pnl, final) == ("no_data", None, False)
        return
    assert pnl is not None and pnl == round(pnl, 2)
    loss, gain = round(sign * (stop - entry) * qty, 2), round(sign * (target - entry) * qty, 2)
    if result == "stop":
        assert pnl == loss and final
    elif result == "target":
        assert pnl == gain and final
    else:
        assert result == "open" and final == (len(window) >= sessions)
        assert pnl == round(sign * (window[-1][3] - entry) * qty, 2)
    if result in ("stop", "target"):
        assert loss <= pnl <= gain
    # the first bar touching either level decides, the stop when it touches both
    touched = [
        (low <= stop if side == "buy" else high >= stop,
         high >= target if side == "buy" else low <= target)
        for _, high, low, _ in window
    ]  # fmt: skip
    first = next((t for t in touched if any(t)), None)
    expected = "open" if first is None else "stop" if first[0] else "target"
    assert result == expected
