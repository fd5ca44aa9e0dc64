"""Follow an idea the trader passed on (a rejected or expired card): what its stop or target
would have done over the next sessions' daily bars.

The first bar whose range touches the stop or the target decides, filled at that level (a
daily bar has no open here, so a gap through a level is not modelled). When one bar touches
both, the stop is assumed first: the bar's path is unknown and the conservative reading
keeps a passed idea from looking better than it was. With neither touched the idea is
`open`, marked at the last close seen, and `final` once `sessions` bars were seen; a
touched stop or target is final at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from services.reports.types import PassedIdea

Bar = tuple[date, float, float, float]  # (day, high, low, close)
OUTCOMES = ("target", "stop", "open", "no_data")


def _pnl(side: str, entry: float, exit_price: float, quantity: int) -> float:
    move = exit_price - entry if side == "buy" else entry - exit_price
    return round(move * quantity, 2) + 0.0  # + 0.0: no -0.0


def follow_idea(
    side: str,
    entry: float,
    stop: float | None,
    target: float | None,
    quantity: int,
    bars: Iterable[Bar],
    sessions: int,
) -> tuple[str, float | None, bool]:
    """(outcome, pnl in dollars, final) of an idea over the first `sessions` of `bars` (the
    bars after the card's creation, oldest first): outcome is target | stop | open | no_data
    (no bars: pnl None, not final)."""
    if side not in ("buy", "sell"):
        raise ValueError(f"side must be buy or sell, got {side!r}")
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, got {sessions}")
    window = list(bars)[:sessions]
    if not window:
        return "no_data", None, False
    for _day, high, low, _close in window:
        if side == "buy":
            hit_stop = stop is not None and low <= stop
            hit_target = target is not None and high >= target
        else:
            hit_stop = stop is not None and high >= stop
            hit_target = target is not None and low <= target
        if hit_stop and stop is not None:  # both in one bar: the stop (see the docstring)
            return "stop", _pnl(side, entry, stop, quantity), True
        if hit_target and target is not None:
            return "target", _pnl(side, entry, target, quantity), True
    last_close = window[-1][3]
    return "open", _pnl(side, entry, last_close, quantity), len(window) >= sessions


def passed_idea(
    proposal_id: str,
    symbol: str,
    status: str,
    created_at: datetime,
    side: str,
    entry: float,
    stop: float | None,
    target: float | None,
    quantity: int,
    bars: Iterable[Bar],
    sessions: int,
) -> PassedIdea:
    """`follow_idea` as the report's PassedIdea; bars dated before the card's creation day
    are dropped."""
    after = [b for b in bars if b[0] >= created_at.date()]
    result, pnl, final = follow_idea(side, entry, stop, target, quantity, after, sessions)
    return PassedIdea(
        proposal_id=proposal_id,
        symbol=symbol,
        status=status,
        created_at=created_at,
        outcome=result,
        pnl=pnl,
        final=final,
    )
