"""OptionBook: our option legs grouped into strategy positions, marked to the chain.

Reads the ledger (one position per contract, the card that opened each from its open round
trip), groups with services.options.book, and marks each group's legs to mid with our
greeks from the chain agent's priced chain of its expiry (one chain read per underlying and
expiry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from agents.chains import ChainAgent
from agents.errors import CotraderError
from agents.results import OptionLegLine, OptionPositionLine
from models.store import Store
from services.options.book import HeldContract, OptionGroup, group
from services.options.chain import PricedChain
from services.options.positions import LegQuote, PositionMark, book_greeks, mark


@dataclass(frozen=True)
class MarkedGroup:
    """A strategy position with its mark (None: no chain), the underlying's price, and the
    cost to close per share of one unit at the mids."""

    group: OptionGroup
    mark: PositionMark | None
    spot: float | None
    close_cost: float | None
    note: str = ""


def leg_quotes(p: PricedChain, symbols: set[str]) -> dict[str, LegQuote]:
    """The quotes and our greeks of `symbols` on a priced chain (contracts missing absent)."""
    out: dict[str, LegQuote] = {}
    for i, sym in enumerate(p.chain.symbols):
        if sym in symbols:
            out[sym] = LegQuote(
                bid=float(p.chain.bid[i]),
                ask=float(p.chain.ask[i]),
                delta=float(p.delta[i]),
                gamma=float(p.gamma[i]),
                theta=float(p.theta[i]),
                vega=float(p.vega[i]),
            )
    return out


class OptionBook:
    def __init__(self, store: Store, chains: ChainAgent) -> None:
        self.store = store
        self.chains = chains

    def groups(self) -> list[OptionGroup]:
        """Every open option strategy position of our books."""
        positions = [p for p in self.store.ledger.positions() if p.asset_class == "option"]
        if not positions:
            return []
        opened = self.store.ledger.open_trade_origins()
        return group(
            HeldContract(p.symbol, p.quantity, p.avg_price, opened.get(p.symbol), p.strategy)
            for p in positions
        )

    def group_of(self, key: str) -> OptionGroup | None:
        return next((g for g in self.groups() if g.key == key), None)

    async def marked(
        self, groups: list[OptionGroup] | None = None, fresh: bool = False
    ) -> list[MarkedGroup]:
        """Each group marked to the chain (a group whose chain cannot be read says why);
        `fresh` reads the venue's chains now instead of the seconds-old cached ones."""
        groups = self.groups() if groups is None else groups
        if fresh:
            for u in {g.underlying for g in groups}:
                self.chains.drop_cached(u)
        chains: dict[tuple[str, date], PricedChain | str] = {}
        out = []
        for g in groups:
            expiries = sorted({leg.expiry for leg in g.legs})
            key = (g.underlying, expiries[0])
            if key not in chains:
                try:
                    chains[key] = await self.chains.priced(g.underlying, expiries)
                except CotraderError as e:
                    chains[key] = str(e)
            p = chains[key]
            if isinstance(p, str):
                out.append(MarkedGroup(g, None, None, None, p))
                continue
            today = self.chains.now().date()
            m = mark(g.legs, leg_quotes(p, {leg.symbol for leg in g.legs}), today)
            cost = m.close_mid / (100 * g.contracts) if math.isfinite(m.close_mid) else None
            note = f"no quote for {', '.join(m.missing)}" if m.missing else ""
            out.append(MarkedGroup(g, m, p.spot, cost, note))
        return out

    async def lines(self) -> tuple[list[OptionPositionLine], dict[str, dict[str, float]]]:
        """/positions' option part: each strategy position marked, and the book's greeks
        (options and the shares held)."""
        marked = await self.marked()
        shares = {
            p.symbol: p.quantity
            for p in self.store.ledger.positions()
            if p.asset_class != "option" and p.quantity
        }
        return [line_of(m) for m in marked], self.greeks(marked, shares) if marked else {}

    @staticmethod
    def greeks(marked: list[MarkedGroup], shares: dict[str, int]) -> dict[str, dict[str, float]]:
        """The book's greeks by underlying (options with every quote, plus shares held)."""
        by: dict[str, list[PositionMark]] = {}
        for m in marked:
            if m.mark is not None:
                by.setdefault(m.group.underlying, []).append(m.mark)
        return book_greeks(by, shares)


def _num(x: float | None, nd: int = 2) -> float | None:
    return round(x, nd) if x is not None and math.isfinite(x) else None


def line_of(m: MarkedGroup) -> OptionPositionLine:
    g, mk = m.group, m.mark
    return OptionPositionLine(
        key=g.key,
        underlying=g.underlying,
        strategy=g.strategy,
        expiry=g.expiry.isoformat(),
        dte=mk.dte if mk else None,
        contracts=g.contracts,
        legs=tuple(
            OptionLegLine(
                symbol=leg.symbol,
                type=t,
                strike=k,
                quantity=leg.quantity,
                avg_price=round(leg.avg_price, 4),
            )
            for leg, t, k in zip(g.legs, g.types, g.strikes, strict=True)
        ),
        credit=g.credit,
        close_cost=_num(m.close_cost, 4),
        unrealized_pnl=_num(mk.pnl) if mk else None,
        max_profit=_num(g.max_profit),
        max_loss=_num(g.max_loss),
        delta=_num(mk.delta) if mk else None,
        gamma=_num(mk.gamma, 4) if mk else None,
        theta=_num(mk.theta) if mk else None,
        vega=_num(mk.vega) if mk else None,
        underlying_price=_num(m.spot),
        note=m.note,
    )


__all__ = ["MarkedGroup", "OptionBook", "leg_quotes", "line_of"]
