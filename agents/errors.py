"""Typed errors whose message is safe and useful to show the user as is."""

from __future__ import annotations

from models.domain import RiskDecision


class CotraderError(Exception):
    """Base: the message is for the user; nothing was changed."""


class BadInput(CotraderError):
    """Malformed arguments (quantity, side, period, id...)."""


class UnknownSymbol(BadInput):
    """A symbol this market does not know; `suggestion` is the closest known one, if any
    is close enough ("Unknown symbol APPL. Did you mean AAPL?")."""

    def __init__(self, symbol: str, suggestion: str | None = None) -> None:
        shown = symbol if len(symbol) <= 12 else symbol[:12] + "…"
        if suggestion:
            text = f"Unknown symbol {shown}. Did you mean {suggestion}?"
        else:
            text = f"Unknown symbol {shown!r}: not in this market's universe."
        super().__init__(text)
        self.symbol = symbol
        self.suggestion = suggestion


class ProposalNotFound(CotraderError):
    def __init__(self, proposal_id: str) -> None:
        shown = proposal_id if len(proposal_id) <= 16 else proposal_id[:16] + "…"
        super().__init__(f"No proposal with id {shown!r}.")


class NotAuthorized(CotraderError):
    """The person may not approve or reject trades."""


class NotPending(CotraderError):
    """A decision on a proposal that is no longer pending."""


class RiskRefused(CotraderError):
    """The risk engine refused the trade; `decision` carries every check."""

    def __init__(self, message: str, decision: RiskDecision | None = None) -> None:
        super().__init__(message)
        self.decision = decision


class DataUnavailable(CotraderError):
    """Missing or stale market data: the co-trader does nothing rather than guess."""


class ExecutionFailed(CotraderError):
    """The broker refused or failed the order; the proposal is marked failed."""


class ResumeRefused(CotraderError):
    """A resume refused while a limit that stops trading still holds; nothing changed."""


class StartupRefused(CotraderError):
    """The venue check at start-up failed (unreachable, bad or wrong credentials)."""


class ShuttingDown(CotraderError):
    """The desk is stopping: no new approval starts (one already in flight completes)."""
