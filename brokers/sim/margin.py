"""The simulator's buying power with options, a venue-like rule (pure functions).

Shares are carried as before: equity (cash and shares at their marks) times the margin
multiplier, less what is held. Option contracts are paid in cash (a long's premium leaves
the account, a short's comes in) and their marks count for equity, not for buying power;
what the account must keep aside for them is the worst loss of each underlying's contracts
at expiry: their payoff (intrinsic values, 100 shares a contract) at its lowest over every
price of the underlying. So a defined-risk spread holds its width, a short put alone its
strike (cash-secured), long options nothing; with the premium already in cash, the buying
power a spread takes is (width - credit) x 100, a short put's strike x 100 - premium. A
short call no long call covers has no worst loss: the simulator does not carry naked calls
(`naked_calls`); one left over (its cover expired first) holds the loss at twice the
highest strike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from models.domain import BrokerPosition, OrderLeg
from models.options import OPTION_MULTIPLIER, is_occ, normal_occ, parse_occ

MULTIPLIER = OPTION_MULTIPLIER  # shares a contract


def _by_underlying(held: Iterable[tuple[str, int]]) -> dict[str, list[tuple[bool, float, int]]]:
    """Option holdings (OCC symbol, signed contracts) as (is call, strike, contracts) by
    underlying; shares and empty positions left out."""
    out: dict[str, list[tuple[bool, float, int]]] = defaultdict(list)
    for symbol, qty in held:
        if qty and is_occ(symbol):
            p = parse_occ(symbol)
            out[p.root].append((p.type == "call", p.strike, qty))
    return out


def _payoff(contracts: Sequence[tuple[bool, float, int]], price: float) -> float:
    return MULTIPLIER * sum(
        q * max(0.0, (price - k) if call else (k - price)) for call, k, q in contracts
    )


def option_requirement(held: Iterable[tuple[str, int]]) -> float:
    """What the option holdings (OCC symbol, signed contracts) keep aside: per underlying,
    the worst payoff at expiry (at a price of zero, at a strike, or at twice the highest
    strike), as a positive number of dollars."""
    total = 0.0
    for contracts in _by_underlying(held).values():
        strikes = {k for _, k, _ in contracts}
        points = {0.0, *strikes, 2 * max(strikes)}
        total += max(0.0, -min(_payoff(contracts, s) for s in points))
    return total


def naked_calls(held: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Short call contracts no long call covers, by underlying (those with none left out)."""
    out = {}
    for root, contracts in _by_underlying(held).items():
        net = sum(q for call, _, q in contracts if call)
        if net < 0:
            out[root] = -net
    return out


def after_order(
    held: Iterable[tuple[str, int]], legs: Sequence[OrderLeg], units: int
) -> list[tuple[str, int]]:
    """The holdings (symbol, signed quantity) once `units` of an order's legs filled."""
    book = dict(held)
    for leg in legs:
        sym = normal_occ(leg.symbol)
        book[sym] = book.get(sym, 0) + leg.side.sign * leg.ratio * units
    return list(book.items())


def buying_power(
    cash: float,
    held: Sequence[BrokerPosition],
    marks: Mapping[str, float],
    multiplier: float = 1.0,
) -> float:
    """What the account can still commit: (cash + shares at `marks`, else their average
    price) x multiplier, less the shares held and the options' requirement; never below
    zero."""
    value = gross = 0.0
    for p in held:
        if is_occ(p.symbol):
            continue
        px = marks.get(p.symbol, p.avg_price)
        value += p.quantity * px
        gross += abs(p.quantity) * px
    req = option_requirement((p.symbol, p.quantity) for p in held)
    return max(0.0, (cash + value) * multiplier - gross - req)


def equity(
    cash: float,
    held: Sequence[BrokerPosition],
    marks: Mapping[str, float],
    option_marks: Mapping[str, float],
) -> float:
    """Cash plus every holding at its mark (shares at `marks`, contracts at `option_marks`
    x 100), else at its average price."""
    total = cash
    for p in held:
        if is_occ(p.symbol):
            total += p.quantity * MULTIPLIER * option_marks.get(p.symbol, p.avg_price)
        else:
            total += p.quantity * marks.get(p.symbol, p.avg_price)
    return total


__all__ = [
    "MULTIPLIER",
    "after_order",
    "buying_power",
    "equity",
    "naked_calls",
    "option_requirement",
]
