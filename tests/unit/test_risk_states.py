"""The desk's risk state machine: ACTIVE -> REDUCING -> HALTED on the facts, sticky until a
person resumes, and a resume that refuses while a hard limit still holds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import RiskLimits
from services.risk import (
    ResumeRefused,
    RiskFacts,
    RiskState,
    breaches,
    desk_state,
    next_state,
    resume,
)
from tests.unit.risk_helpers import LIMITS, pf

A, R, H = RiskState.ACTIVE, RiskState.REDUCING, RiskState.HALTED


def facts(
    equity: float = 10_000.0,
    start: float = 10_000.0,
    peak: float = 10_000.0,
    heat: float = 0.0,
    rejections: int = 0,
) -> RiskFacts:
    return RiskFacts(equity, start, peak, heat, rejections)


# ----------------------------------------------------------------------------- escalation


@pytest.mark.parametrize(
    ("f", "state", "reason"),
    [
        (facts(), A, ""),
        (facts(equity=9_810.0), A, ""),  # -1.90% is short of 2/3 of -3%
        (facts(equity=9_750.0), R, "daily loss -2.50% reached 67% of the -3% limit"),
        (facts(equity=9_700.0), H, "daily loss -3.00% hit -3%"),
        (facts(peak=10_700.0), A, ""),  # 6.54% is short of 2/3 of 10%
        (facts(peak=10_750.0), R, "drawdown 6.98% reached 67% of the 10% limit"),
        (facts(peak=11_200.0), H, "drawdown 10.71% hit the 10% limit"),
        (facts(heat=6.0), A, ""),
        (facts(heat=6.5), R, "heat 6.50% over the 6% cap"),
        (facts(rejections=4), A, ""),
        (facts(rejections=5), H, "5 broker rejections in a row"),
    ],
)
def test_escalation_from_active(f: RiskFacts, state: RiskState, reason: str) -> None:
    t = next_state(A, f, LIMITS)
    assert (t.state, t.reason) == (state, reason)
    assert t.changed is (state is not A)
    assert t.expire_pending is (state is H)


def test_every_hard_breach_is_in_the_reason_and_soft_ones_are_listed() -> None:
    f = facts(equity=9_600.0, peak=11_000.0, heat=7.0, rejections=6)
    t = next_state(A, f, LIMITS)
    assert t.state is H
    assert t.reason == (
        "daily loss -4.00% hit -3%; drawdown 12.73% hit the 10% limit; 6 broker rejections in a row"
    )
    assert [b.name for b in t.breaches] == [
        "daily_loss",
        "drawdown",
        "broker_rejections",
        "portfolio_heat",
    ]
    assert [b.hard for b in t.breaches] == [True, True, True, False]
    heat = t.breaches[-1]
    assert (heat.value, heat.limit) == (7.0, 6.0)


def test_reducing_is_sticky_until_a_person_resumes_and_escalates_to_halted() -> None:
    why = "heat 6.50% over the 6% cap"
    assert next_state(R, facts(heat=6.5), LIMITS, why).reason == why
    cleared = next_state(R, facts(), LIMITS, why)
    assert (cleared.state, cleared.reason, cleared.changed) == (R, why, False)
    worse = next_state(R, facts(equity=9_650.0), LIMITS, why)
    assert worse.state is H and worse.expire_pending


def test_halted_is_sticky_whatever_the_facts() -> None:
    t = next_state(H, facts(), LIMITS, "kill switch by alice")
    assert (t.state, t.reason, t.changed) == (H, "kill switch by alice", False)
    assert not t.expire_pending


def test_soft_fraction_is_configurable() -> None:
    limits = RiskLimits(soft_limit_fraction=0.5)
    assert next_state(A, facts(equity=9_850.0), limits).state is R  # -1.5% = half of -3%


def test_facts_from_a_portfolio() -> None:
    view = pf(
        equity=9_000.0,
        day_start=9_500.0,
        peak=10_000.0,
        rejections=2,
        positions={"MSFT": (100, 50.0, 45.0)},
    )
    f = RiskFacts.of(view, LIMITS)
    assert f.heat_pct == pytest.approx(500 / 9_000 * 100)
    assert f.drawdown_pct == pytest.approx(10.0)
    assert f.day_pnl_pct == pytest.approx(-5.2632, abs=1e-4)
    assert f.consecutive_rejections == 2


# ----------------------------------------------------------------------------- resume


def test_resume_after_a_kill_switch_halt() -> None:
    t = resume(H, facts(), LIMITS, by="alice", why="all clear")
    assert (t.state, t.reason, t.changed) == (A, "resumed by alice: all clear", True)


def test_resume_records_that_no_reason_was_given() -> None:
    assert resume(H, facts(), LIMITS, by="bob").reason == "resumed by bob: no reason given"


def test_resume_is_refused_while_the_daily_loss_limit_holds() -> None:
    with pytest.raises(ResumeRefused, match="clears at the next trading day") as e:
        resume(H, facts(equity=9_650.0), LIMITS, by="alice", why="feeling lucky")
    assert e.value.reason.startswith("Resume refused: daily loss -3.50% hit -3%")
    assert e.value.reason.endswith("Nothing was changed.")


def test_rejections_are_acknowledged_by_a_resume() -> None:
    t = resume(H, facts(rejections=7), LIMITS, by="alice", why="broker fixed")
    assert t.state is A


def test_drawdown_needs_an_explicit_rebase() -> None:
    f = facts(equity=9_000.0, start=9_000.0, peak=10_500.0)
    with pytest.raises(ResumeRefused, match="resume with rebase_peak") as e:
        resume(H, f, LIMITS, by="alice", why="ok")
    assert "peak $10,500.00, equity $9,000.00" in e.value.reason
    t = resume(H, f, LIMITS, by="alice", why="accept the loss", rebase_peak=True)
    assert t.state is A


def test_resume_from_halted_with_a_soft_limit_lands_in_reducing() -> None:
    t = resume(H, facts(heat=7.0, rejections=5), LIMITS, by="alice", why="checked")
    assert t.state is R
    assert t.reason == "resumed by alice (checked) into REDUCING: heat 7.00% over the 6% cap"


def test_resume_from_reducing_is_refused_while_the_soft_limit_holds() -> None:
    with pytest.raises(ResumeRefused, match=re.escape("Still REDUCING: heat 7.00% over the 6%")):
        resume(R, facts(heat=7.0), LIMITS, by="alice", why="go")
    assert resume(R, facts(heat=5.0), LIMITS, by="alice", why="reduced").state is A


def test_resume_from_a_persons_pause() -> None:
    t = resume(A, facts(), LIMITS, by="alice", why="back from lunch")
    assert (t.state, t.changed) == (A, False)
    assert resume(A, facts(heat=7.0), LIMITS, by="alice").state is R


def test_desk_state_for_the_checks() -> None:
    assert desk_state(A).opens
    assert not desk_state(A, "lunch", paused=True).opens
    assert not desk_state(R, "heat").opens and desk_state(R).reducing
    assert not desk_state(H).opens and desk_state(H).halted


# ----------------------------------------------------------------------------- properties

facts_st = st.builds(
    RiskFacts,
    equity=st.floats(1_000, 20_000),
    day_start_equity=st.floats(1_000, 20_000),
    peak_equity=st.floats(1_000, 25_000),
    heat_pct=st.floats(0, 20),
    consecutive_rejections=st.integers(0, 10),
)
states = st.sampled_from(list(RiskState))


@settings(max_examples=500, deadline=None)
@given(current=states, f=facts_st)
def test_next_state_never_de_escalates(current: RiskState, f: RiskFacts) -> None:
    t = next_state(current, f, LIMITS, "before")
    assert t.state.rank >= current.rank
    if current is H:
        assert t.state is H and t.reason == "before"
    if any(b.hard for b in breaches(f, LIMITS)):
        assert t.state is H
    elif breaches(f, LIMITS) and current is A:
        assert t.state is R


@settings(max_examples=500, deadline=None)
@given(current=states, f=facts_st, rebase=st.booleans())
def test_resume_never_lands_above_the_facts_nor_ignores_a_hard_limit(
    current: RiskState, f: RiskFacts, rebase: bool
) -> None:
    try:
        t = resume(current, f, LIMITS, by="alice", why="x", rebase_peak=rebase)
    except ResumeRefused:
        acked = RiskFacts(
            f.equity, f.day_start_equity, f.equity if rebase else f.peak_equity, f.heat_pct, 0
        )
        found = breaches(acked, LIMITS)
        assert any(b.hard for b in found) or (found and current is R)
        return
    assert t.state is not H
    assert t.state.rank <= max(current.rank, R.rank)
    if t.state is A:
        acked = RiskFacts(
            f.equity, f.day_start_equity, f.equity if rebase else f.peak_equity, f.heat_pct, 0
        )
        assert breaches(acked, LIMITS) == ()
