"""Option legs held, grouped into strategy positions (pure).

Our books hold one position per contract. A strategy position is the legs one approved card
opened (its id is the group's key); a leg whose opening card is unknown (bought elsewhere,
or before our books) groups with the other unknown legs of its underlying and expiry. A
group's credit, max loss and breakevens come from its legs as held: the premium each leg
was opened at, and the payoff at expiry of the contracts held.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from math import gcd

from models.options import OPTION_MULTIPLIER, parse_occ
from services.options.option_exits import OptionPositionView
from services.options.payoff import LegSpec, profile
from services.options.positions import HeldLeg


@dataclass(frozen=True)
class HeldContract:
    """One contract position of our books, with the card that opened it (None: unknown)."""

    symbol: str
    quantity: int  # + long, − short
    avg_price: float
    opened_by: str | None
    strategy: str = ""


@dataclass(frozen=True)
class OptionGroup:
    """One strategy position: its legs as held, per-unit shape and totals in dollars."""

    key: str
    underlying: str
    strategy: str
    expiry: date
    legs: tuple[HeldLeg, ...]
    specs: tuple[LegSpec, ...]  # per unit (the legs divided by `contracts`)
    types: tuple[str, ...]
    strikes: tuple[float, ...]
    contracts: int
    credit: float  # per share of one unit, positive = a credit received
    max_profit: float  # dollars, every unit
    max_loss: float  # dollars, every unit (inf: unbounded)
    breakevens: tuple[float, ...]
    capital: float  # dollars tied up: the max loss (a cash-secured put: strike − premium)
    opened_by: str | None

    def view(self) -> OptionPositionView:
        """As the monitor's exit rules see it."""
        return OptionPositionView(
            key=self.key,
            underlying=self.underlying,
            strategy=self.strategy,
            legs=self.specs,
            credit=self.credit,
            contracts=self.contracts,
            expiry=self.expiry,
        )


def group(held: Iterable[HeldContract]) -> list[OptionGroup]:
    """The strategy positions the contracts form, in a stable order (underlying, expiry)."""
    buckets: dict[str, list[tuple[HeldContract, date, str, float, str]]] = {}
    for h in held:
        if h.quantity == 0:
            continue
        occ = parse_occ(h.symbol)
        key = h.opened_by or f"{occ.root}:{occ.expiry:%Y%m%d}"
        buckets.setdefault(key, []).append((h, occ.expiry, occ.type, occ.strike, occ.root))
    out = [_group(key, rows) for key, rows in buckets.items()]
    out.sort(key=lambda g: (g.underlying, g.expiry, g.key))
    return out


def _group(key: str, rows: list[tuple[HeldContract, date, str, float, str]]) -> OptionGroup:
    rows.sort(key=lambda r: (r[2], r[3]))
    units = reduce(gcd, (abs(r[0].quantity) for r in rows))
    specs = tuple(
        LegSpec(t, k, "buy" if h.quantity > 0 else "sell", abs(h.quantity) // units)
        for h, _, t, k, _ in rows
    )
    credit = sum(-h.quantity * h.avg_price for h, *_ in rows) / units
    prof = profile(specs, credit)
    m = OPTION_MULTIPLIER * units
    strategy = next((h.strategy for h, *_ in rows if h.strategy), "") or _shape(specs)
    max_loss = prof.max_loss * m if math.isfinite(prof.max_loss) else math.inf
    return OptionGroup(
        key=key,
        underlying=rows[0][4],
        strategy=strategy,
        expiry=min(r[1] for r in rows),
        legs=tuple(HeldLeg(h.symbol, e, h.quantity, h.avg_price) for h, e, *_ in rows),
        specs=specs,
        types=tuple(r[2] for r in rows),
        strikes=tuple(r[3] for r in rows),
        contracts=units,
        credit=round(credit, 4),
        max_profit=prof.max_profit * m if math.isfinite(prof.max_profit) else math.inf,
        max_loss=max_loss,
        breakevens=prof.breakevens,
        capital=max_loss,
        opened_by=None if ":" in key else key,
    )


def _shape(specs: tuple[LegSpec, ...]) -> str:
    """A name for legs whose card is unknown."""
    shorts = sum(s.side == "sell" for s in specs)
    if len(specs) == 1:
        return ("short_" if shorts else "long_") + specs[0].type
    if len(specs) == 4 and shorts == 2:
        return "iron_condor"
    if len(specs) == 2 and all(s.type == "put" for s in specs) and shorts == 1:
        hi = max(specs, key=lambda s: s.strike)
        return "bull_put_spread" if hi.side == "sell" else "bear_put_spread"
    return "option_position"


__all__ = ["HeldContract", "OptionGroup", "group"]
