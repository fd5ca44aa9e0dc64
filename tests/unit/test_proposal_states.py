"""Tests for the proposal state machine (services/proposal_states.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain import ProposalStatus as S
from services.proposal_states import (
    EXECUTED,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    can_transition,
    check_transition,
    sources_of,
    status_after_fill,
    why_not_approvable,
)

EXPECTED_TRANSITIONS: dict[S, set[S]] = {
    S.PENDING: {S.APPROVED, S.REJECTED, S.EXPIRED, S.SUPERSEDED},
    S.APPROVED: {S.SUBMITTED, S.FAILED},
    S.SUBMITTED: {S.FILLED, S.PARTIALLY_FILLED, S.CANCELED, S.FAILED},
    S.PARTIALLY_FILLED: {S.FILLED, S.CANCELED},
}
EXPECTED_TERMINAL = {S.FILLED, S.CANCELED, S.FAILED, S.REJECTED, S.EXPIRED, S.SUPERSEDED}

ALL_PAIRS = [(a, b) for a in S for b in S]


# ----------------------------------------------------------------------------- the table


def test_transition_table_is_exactly_the_documented_one() -> None:
    assert {k: set(v) for k, v in TRANSITIONS.items()} == EXPECTED_TRANSITIONS


def test_terminal_states_are_the_ones_without_exits() -> None:
    assert set(TERMINAL) == EXPECTED_TERMINAL
    assert set(TERMINAL) | set(TRANSITIONS) == set(S)
    assert not set(TERMINAL) & set(TRANSITIONS)


def test_executed_set() -> None:
    assert set(EXECUTED) == {S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED}


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_can_transition_matches_table(current: S, target: S) -> None:
    expected = target in EXPECTED_TRANSITIONS.get(current, set())
    assert can_transition(current, target) is expected


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_check_transition_raises_exactly_for_illegal_pairs(current: S, target: S) -> None:
    if target in EXPECTED_TRANSITIONS.get(current, set()):
        assert check_transition(current, target) is None
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(current, target)
        assert err.value.current is current
        assert err.value.target is target
        assert current.value in str(err.value)
        assert target.value in str(err.value)


def test_illegal_transition_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="a proposal that is filled cannot become pending"):
        check_transition(S.FILLED, S.PENDING)


@pytest.mark.parametrize("terminal", sorted(EXPECTED_TERMINAL))
def test_terminal_states_have_no_exits(terminal: S) -> None:
    for target in S:
        assert not can_transition(terminal, target)
        with pytest.raises(IllegalTransition):
            check_transition(terminal, target)


@pytest.mark.parametrize("status", list(S))
def test_no_self_transitions(status: S) -> None:
    assert not can_transition(status, status)


def test_nothing_returns_to_pending() -> None:
    assert sources_of(S.PENDING) == frozenset()


# ----------------------------------------------------------------------------- sources_of


@pytest.mark.parametrize("target", list(S))
def test_sources_of_is_consistent_with_transitions(target: S) -> None:
    expected = {s for s, nxt in EXPECTED_TRANSITIONS.items() if target in nxt}
    assert set(sources_of(target)) == expected
    for source in S:
        assert (source in sources_of(target)) is can_transition(source, target)


def test_sources_of_examples() -> None:
    assert sources_of(S.APPROVED) == {S.PENDING}
    assert sources_of(S.SUBMITTED) == {S.APPROVED}
    assert sources_of(S.FILLED) == {S.SUBMITTED, S.PARTIALLY_FILLED}
    assert sources_of(S.FAILED) == {S.APPROVED, S.SUBMITTED}
    assert sources_of(S.CANCELED) == {S.SUBMITTED, S.PARTIALLY_FILLED}


# ----------------------------------------------------------------------------- status_after_fill


@pytest.mark.parametrize(
    ("filled", "quantity", "expected"),
    [
        (0, 100, S.SUBMITTED),
        (-5, 100, S.SUBMITTED),
        (1, 100, S.PARTIALLY_FILLED),
        (99, 100, S.PARTIALLY_FILLED),
        (100, 100, S.FILLED),
        (120, 100, S.FILLED),
        (1, 1, S.FILLED),
    ],
)
def test_status_after_fill(filled: int, quantity: int, expected: S) -> None:
    assert status_after_fill(filled, quantity) is expected


@given(quantity=st.integers(1, 10_000), data=st.data())
def test_status_after_fill_is_always_reachable_from_submitted(
    quantity: int, data: st.DataObject
) -> None:
    filled = data.draw(st.integers(-10, quantity + 10))
    status = status_after_fill(filled, quantity)
    assert status in EXECUTED
    assert status is S.SUBMITTED or can_transition(S.SUBMITTED, status)


# ----------------------------------------------------------------------------- why_not_approvable


@pytest.mark.parametrize("status", list(S))
def test_why_not_approvable_has_a_sentence_for_every_status(status: S) -> None:
    text = why_not_approvable(status)
    assert isinstance(text, str)
    assert text.strip()
    assert text.split()[0] in ("it", "its")  # follows "cannot be approved: "


def test_why_not_approvable_sentences_are_distinct() -> None:
    sentences = [why_not_approvable(s) for s in S]
    assert len(set(sentences)) == len(sentences)


def test_why_not_approvable_examples() -> None:
    assert why_not_approvable(S.EXPIRED) == "it expired"
    assert why_not_approvable(S.REJECTED) == "it was rejected"
    assert "newer proposal" in why_not_approvable(S.SUPERSEDED)


# ----------------------------------------------------------------------------- random walks


def _walk(attempts: list[S]) -> list[S]:
    """Apply each attempt via check_transition from PENDING; return the visited statuses."""
    current = S.PENDING
    history = [current]
    for target in attempts:
        try:
            check_transition(current, target)
        except IllegalTransition:
            assert not can_transition(current, target)
            continue
        assert target in TRANSITIONS[current]
        current = target
        history.append(current)
    return history


@settings(max_examples=400)
@given(st.lists(st.sampled_from(list(S)), max_size=40))
def test_random_attempts_respect_the_state_machine(attempts: list[S]) -> None:
    history = _walk(attempts)
    # Once terminal, the walk never moves again.
    for i, status in enumerate(history):
        if status in TERMINAL:
            assert i == len(history) - 1
    # No status is visited twice (the machine is acyclic).
    assert len(set(history)) == len(history)
    # SUBMITTED only directly after APPROVED.
    if S.SUBMITTED in history:
        i = history.index(S.SUBMITTED)
        assert history[i - 1] is S.APPROVED
    # FILLED only via APPROVED, then SUBMITTED (possibly with PARTIALLY_FILLED in between).
    if S.FILLED in history:
        assert history[:4] == [S.PENDING, S.APPROVED, S.SUBMITTED, history[3]]
        assert history[3] in (S.FILLED, S.PARTIALLY_FILLED)
        assert history[-1] is S.FILLED
    if S.PARTIALLY_FILLED in history:
        assert history.index(S.SUBMITTED) < history.index(S.PARTIALLY_FILLED)
    # Any executed status implies a person approved it first.
    if set(history) & EXECUTED:
        assert S.APPROVED in history


@settings(max_examples=200)
@given(
    st.sampled_from(sorted(EXPECTED_TERMINAL)),
    st.lists(st.sampled_from(list(S)), max_size=20),
)
def test_terminal_status_is_sticky_under_any_attempts(start: S, attempts: list[S]) -> None:
    for target in attempts:
        with pytest.raises(IllegalTransition):
            check_transition(start, target)


def test_happy_path_walk() -> None:
    assert _walk([S.APPROVED, S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED]) == [
        S.PENDING,
        S.APPROVED,
        S.SUBMITTED,
        S.PARTIALLY_FILLED,
        S.FILLED,
    ]


def test_cannot_skip_approval() -> None:
    assert _walk([S.SUBMITTED, S.FILLED]) == [S.PENDING]


def test_legal_returns_the_compare_and_set_values_or_refuses() -> None:
    from services.proposal_states import legal

    assert legal(S.PENDING, S.APPROVED) == (["pending"], "approved")
    assert legal((S.SUBMITTED, S.APPROVED), S.FAILED) == (["approved", "submitted"], "failed")
    with pytest.raises(IllegalTransition):
        legal(S.PENDING, S.FILLED)
    with pytest.raises(IllegalTransition):
        legal((S.APPROVED, S.EXPIRED), S.FAILED)
