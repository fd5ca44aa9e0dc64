"""What expiration does to option legs, pure: the underlying's last price in, each leg's
fate out (expired worthless, assigned, exercised) with the shares and cash it moves.

The OCC's rule: a contract in the money by at least $0.01 at the close is exercised (a
long) or assigned (a short); at or out of the money it expires worthless. Each contract
delivers `multiplier` shares at the strike: an assigned short put buys them, an assigned
short call sells them, an exercised long call buys, an exercised long put sells. The
premium was booked at the trade; settlement moves only shares and strike cash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.options.payoff import LegSpec

ITM_MIN = 0.01  # exercise by exception: in the money by at least a cent

Fate = Literal["expired", "assigned", "exercised"]


@dataclass(frozen=True)
class Settlement:
    """One leg at expiry: what happened, the shares it moved (+ bought, − sold) and the
    cash (− paid, + received), for `contracts` units of the position."""

    leg: LegSpec
    fate: Fate
    shares: int
    cash: float

    def text(self, underlying: str) -> str:
        what = f"{self.leg.side} {self.leg.strike:g} {self.leg.type}"
        if self.fate == "expired":
            return f"{underlying} {what}: expired worthless"
        verb = "bought" if self.shares > 0 else "sold"
        return (
            f"{underlying} {what}: {self.fate}, {verb} {abs(self.shares):,} shares at "
            f"{self.leg.strike:,.2f}"
        )


def settle(
    legs: Sequence[LegSpec], last: float, contracts: int = 1, multiplier: int = 100
) -> list[Settlement]:
    """Every leg's fate at expiry given the underlying's last price `last`."""
    out = []
    for leg in legs:
        itm = (last - leg.strike) if leg.type == "call" else (leg.strike - last)
        if itm < ITM_MIN - 1e-9:
            out.append(Settlement(leg, "expired", 0, 0.0))
            continue
        n = leg.quantity * contracts * multiplier
        # a call delivers shares to its holder; a put takes them from its holder
        holder_buys = leg.type == "call"
        buys = holder_buys if leg.side == "buy" else not holder_buys
        shares = n if buys else -n
        fate: Fate = "exercised" if leg.side == "buy" else "assigned"
        out.append(Settlement(leg, fate, shares, -shares * leg.strike))
    return out


def net(settlements: Sequence[Settlement]) -> tuple[int, float]:
    """(shares, cash) the settlements move in all."""
    return sum(s.shares for s in settlements), sum(s.cash for s in settlements)


__all__ = ["ITM_MIN", "Settlement", "net", "settle"]
