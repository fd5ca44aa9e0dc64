"""The option positions' exit rules (take profit at 50% of max profit, stop at 2x credit,
under 7 DTE with a roll when threatened, a short strike breached) and expiration
(expired, assigned, exercised), as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.options.expiry import net, settle
from services.options.option_exits import (
    OptionExitConfig,
    OptionPositionView,
    OptionRule,
    evaluate,
)
from services.options.payoff import LegSpec, payoff

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)
EXPIRY = date(2027, 1, 15)
BPS = OptionPositionView(
    "o1", "SPY", "bull_put_spread",
    (LegSpec("put", 500, "sell"), LegSpec("put", 495, "buy")), 1.50, 2, EXPIRY,
)  # fmt: skip
IC = OptionPositionView(
    "o2", "QQQ", "iron_condor",
    (
        LegSpec("put", 95, "buy"), LegSpec("put", 100, "sell"),
        LegSpec("call", 110, "sell"), LegSpec("call", 115, "buy"),
    ),
    2.0, 1, EXPIRY,
)  # fmt: skip


def rules(trigs: tuple[object, ...]) -> list[OptionRule]:
    return [t.rule for t in trigs]  # type: ignore[attr-defined]


def test_take_profit_fires_once_and_rearms_after_the_band() -> None:
    trig, st1 = evaluate(BPS, 510.0, 0.70, TODAY, NOW)  # profit 0.80 of max 1.50: 53%
    assert rules(trig) == [OptionRule.TAKE_PROFIT]
    assert trig[0].pnl == pytest.approx(0.80 * 200) and "53% of the max $300" in trig[0].reason
    again, st2 = evaluate(BPS, 510.0, 0.70, TODAY, NOW, states=st1)
    assert again == () and st2 == {}
    _, st3 = evaluate(BPS, 505.0, 1.20, TODAY, NOW, states=st1)  # profit back to 20%
    assert st3[OptionRule.TAKE_PROFIT].armed
    fired, _ = evaluate(BPS, 510.0, 0.70, TODAY, NOW, states=st3)
    assert rules(fired) == [OptionRule.TAKE_PROFIT]


def test_stop_at_twice_the_credit_and_breach() -> None:
    trig, _ = evaluate(BPS, 499.0, 3.00, TODAY, NOW)
    assert rules(trig) == [OptionRule.CREDIT_STOP, OptionRule.BREACHED]
    assert "2.0x the 1.50 credit" in trig[0].reason and "below the short 500 put" in trig[1].reason
    assert trig[0].pnl == pytest.approx(-1.50 * 200)
    calm, _ = evaluate(BPS, 520.0, 1.00, TODAY, NOW)
    assert calm == ()


def test_an_iron_condor_is_breached_on_either_side() -> None:
    low, _ = evaluate(IC, 99.0, 2.5, TODAY, NOW)
    high, _ = evaluate(IC, 111.0, 2.5, TODAY, NOW)
    assert rules(low) == rules(high) == [OptionRule.BREACHED]
    assert "below the short 100 put" in low[0].reason
    assert "above the short 110 call" in high[0].reason


def test_low_dte_fires_once_and_suggests_a_roll_only_when_threatened() -> None:
    late = date(2027, 1, 11)  # 4 days left
    quiet, st = evaluate(IC, 105.0, 0.9, late, NOW)
    assert rules(quiet) == [OptionRule.TAKE_PROFIT, OptionRule.LOW_DTE]
    assert not quiet[1].roll and quiet[1].dte == 4
    again, _ = evaluate(IC, 105.0, 0.9, late, NOW, states=st)
    assert again == ()  # never re-arms
    threatened, _ = evaluate(IC, 108.5, 1.9, late, NOW)
    [dte] = [t for t in threatened if t.rule is OptionRule.LOW_DTE]
    assert dte.roll and "roll suggested" in dte.reason


def test_bad_numbers_fire_nothing() -> None:
    assert evaluate(BPS, float("nan"), 1.0, TODAY, NOW) == ((), {})
    assert evaluate(BPS, 500.0, float("inf"), TODAY, NOW) == ((), {})
    off = OptionExitConfig(breach=False)
    assert rules(evaluate(BPS, 499.0, 1.6, TODAY, NOW, off)[0]) == []


# ----------------------------------------------------------------------------- expiry
def test_a_cash_secured_put_is_assigned_into_shares() -> None:
    [s] = settle([LegSpec("put", 100, "sell")], 97.5, contracts=2)
    assert (s.fate, s.shares, s.cash) == ("assigned", 200, -20_000.0)
    assert s.text("AAPL") == "AAPL sell 100 put: assigned, bought 200 shares at 100.00"
    [otm] = settle([LegSpec("put", 100, "sell")], 100.0)
    assert otm.fate == "expired" and otm.shares == 0  # at the money: worthless


def test_a_spread_through_both_strikes_nets_to_cash() -> None:
    legs = [LegSpec("put", 100, "sell"), LegSpec("put", 95, "buy")]
    out = settle(legs, 90.0)
    assert [s.fate for s in out] == ["assigned", "exercised"]
    assert net(out) == (0, -500.0)  # bought at 100, sold at 95: the width lost


@given(
    legs=st.lists(
        st.builds(
            LegSpec,
            st.sampled_from(["call", "put"]),
            st.integers(10, 200).map(float),
            st.sampled_from(["buy", "sell"]),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=4,
    ),
    last=st.floats(1, 300).map(lambda x: round(x, 2)),
    contracts=st.integers(1, 5),
)
def test_settlement_is_worth_the_payoff(legs: list[LegSpec], last: float, contracts: int) -> None:
    """Shares valued at the last price plus the strike cash equal the legs' intrinsic
    value (the payoff without the premium), to the cent's exercise threshold."""
    shares, cash = net(settle(legs, last, contracts))
    intrinsic = float(payoff(legs, 0.0, last)) * 100 * contracts
    slack = 0.01 * 100 * contracts * sum(leg.quantity for leg in legs)
    assert shares * last + cash == pytest.approx(intrinsic, abs=slack + 1e-6)
