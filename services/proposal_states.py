"""The proposal state machine: which status may follow which (pure; the store applies it).

pending -> approved -> submitted -> filled | partially_filled | canceled | failed
pending -> rejected | expired | superseded;  approved -> failed (refused at the click)
"""

from __future__ import annotations

from models.domain import ProposalStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.APPROVED, S.REJECTED, S.EXPIRED, S.SUPERSEDED}),
    S.APPROVED: frozenset({S.SUBMITTED, S.FAILED}),
    S.SUBMITTED: frozenset({S.FILLED, S.PARTIALLY_FILLED, S.CANCELED, S.FAILED}),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.CANCELED}),
}

# A proposal closed as failed because its order never reached the venue follows the venue
# when the venue turns out to have that order after all (its word beats our conclusion).
CORRECTIONS: dict[S, frozenset[S]] = {
    S.FAILED: frozenset({S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED}),
}

TERMINAL: frozenset[S] = frozenset(s for s in S if s not in TRANSITIONS)
EXECUTED: frozenset[S] = frozenset({S.SUBMITTED, S.PARTIALLY_FILLED, S.FILLED})


class IllegalTransition(ValueError):
    """A status change the state machine does not allow."""

    def __init__(self, current: S, target: S) -> None:
        super().__init__(f"a proposal that is {current.value} cannot become {target.value}")
        self.current = current
        self.target = target


def can_transition(current: S, target: S) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: S, target: S) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)


def legal(expected: S | frozenset[S] | tuple[S, ...], target: S) -> tuple[list[str], str]:
    """The (expected, target) values of a compare-and-set, refused unless every
    expected -> target step is in the table: every status write goes through here."""
    sources = (expected,) if isinstance(expected, S) else tuple(expected)
    for src in sources:
        check_transition(src, target)
    return sorted(x.value for x in sources), target.value


def corrected(current: S, target: S) -> tuple[list[str], str]:
    """The (expected, target) values of a correction the venue forces (see CORRECTIONS)."""
    if target not in CORRECTIONS.get(current, frozenset()):
        raise IllegalTransition(current, target)
    return [current.value], target.value


def sources_of(target: S) -> frozenset[S]:
    """Every status from which `target` may be reached in one step (the CAS 'expected' set)."""
    return frozenset(s for s, nxt in TRANSITIONS.items() if target in nxt)


def status_after_fill(filled: int, quantity: int) -> S:
    """The proposal status implied by an order's filled quantity."""
    if filled <= 0:
        return S.SUBMITTED
    return S.FILLED if filled >= quantity else S.PARTIALLY_FILLED


def why_not_approvable(current: S) -> str:
    """A user-facing sentence for a click on a proposal that is no longer pending."""
    return {
        S.APPROVED: "it is already approved and being executed (see /why for where it is)",
        S.SUBMITTED: "it was already approved; the order is at the broker",
        S.FILLED: "it was already approved and filled",
        S.PARTIALLY_FILLED: "it was already approved and is partially filled",
        S.CANCELED: "its order was canceled",
        S.FAILED: "it was approved but could not be executed",
        S.REJECTED: "it was rejected",
        S.EXPIRED: "it expired",
        S.SUPERSEDED: "it was replaced by a newer proposal",
        S.PENDING: "it is still pending",
    }[current]
