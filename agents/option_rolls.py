"""A roll card: one card, one order, that closes an expiring strategy position and opens the
same strategy on a later expiry (the seed rules' best candidate there).

The monitor suggests it under 7 DTE with a short strike threatened. The order carries every
leg (the closing legs first), so it fits one multi-leg order only up to 4 legs: a spread or a
cash-secured put rolls on one card; an iron condor (8 legs) gets an exit card and a new
card instead (the caller's fallback, `None` here). The card's `credit` and `limit` are the
whole roll's net; its max profit, max loss and breakevens are the new position's.
"""

from __future__ import annotations

import math
from typing import Any

from agents.option_book import leg_quotes
from agents.option_cards import CONCESSION, entry_facts, entry_limit
from agents.option_proposals import OptionProposals, decision_bp
from agents.results import Card
from models.domain import Actor, Side
from services.options.book import OptionGroup
from services.options.strategies import RULES, STRATEGY_NAMES, roll
from services.risk.option_checks import OptionExposure, OptionTrade, evaluate_option

MAX_LEGS = 4  # one multi-leg order (Alpaca's mleg limit)


def _close_legs(
    g: OptionGroup, quotes: dict[str, Any]
) -> tuple[list[dict[str, Any]], float, float]:
    """The closing legs as card legs, and their net at the mids and at the natural prices
    (per share of one unit; negative: paid)."""
    legs, mid, natural = [], 0.0, 0.0
    for leg, kind, strike in zip(g.legs, g.types, g.strikes, strict=True):
        q = quotes.get(leg.symbol)
        side = "sell" if leg.quantity > 0 else "buy"
        ratio = abs(leg.quantity) // g.contracts
        m = q.mid if q else math.nan
        mid += (m if side == "sell" else -m) * ratio
        natural += ((q.bid if side == "sell" else -q.ask) if q else math.nan) * ratio
        legs.append(
            {
                "symbol": leg.symbol, "type": kind, "strike": strike,
                "expiry": leg.expiry.isoformat(), "dte": None, "side": side, "quantity": ratio,
                "bid": q.bid if q else None, "ask": q.ask if q else None,
                "mid": None if not math.isfinite(m) else round(m, 3),
                "delta": None if q is None or not math.isfinite(q.delta) else round(q.delta, 3),
                "opens": False,
            }
        )  # fmt: skip
    return legs, mid, natural


def roll_limit(net_mid: float, net_natural: float) -> float:
    """The roll's limit: a credit's as an entry's; a debit paying a quarter of the way from
    the mid to the natural, rounded up to the cent."""
    if net_mid >= 0:
        return max(0.01, entry_limit(net_mid, net_natural))
    px = net_mid - CONCESSION * max(0.0, net_mid - net_natural)
    return max(0.01, abs(math.floor(px * 100 + 1e-9) / 100))


async def roll_card(
    ideas: OptionProposals, g: OptionGroup, reason: str, actor: Actor, source: str
) -> Card | None:
    """The roll of `g` as one card, or None when it cannot be one (not one of the three
    strategies, more than 4 legs, no later candidate, or the risk limits refuse it)."""
    if g.strategy not in STRATEGY_NAMES:
        return None
    name = g.strategy
    rules = RULES[name]  # type: ignore[index]
    today = ideas.chains.now().date()
    listed = await ideas.chains.expiries(g.underlying)
    later = [d for d in listed if d > g.expiry and rules.dte[0] <= (d - today).days <= rules.dte[1]]
    if not later:
        return None
    p = await ideas.chains.priced(g.underlying, sorted({g.expiry, *later}))
    sel = roll(name, p, g.expiry)  # type: ignore[arg-type]
    c = sel.best
    if c is None or len(c.legs) + len(g.legs) > MAX_LEGS:
        return None
    closing, close_mid, close_nat = _close_legs(g, leg_quotes(p, {x.symbol for x in g.legs}))
    net, natural = c.credit + close_mid, c.natural_credit + close_nat
    if not (math.isfinite(net) and math.isfinite(natural)):
        return None
    n, new_lim = g.contracts, entry_limit(c.credit, c.natural_credit)
    slip = c.credit - new_lim
    trade = OptionTrade(g.underlying, name, (c.max_loss + slip) * 100, (c.capital + slip) * 100,
                        new_lim * 100)  # fmt: skip
    with ideas.proposals.store.reading():
        pf = await ideas.risk.portfolio(ideas.chains.clock())
    held = ideas.exposure(g.underlying)
    after = OptionExposure(  # the position it closes no longer counts
        max(0.0, held.open_max_loss - (g.max_loss if math.isfinite(g.max_loss) else 0.0)),
        max(0, held.symbol_positions - 1),
        max(0.0, held.symbol_capital - (g.capital if math.isfinite(g.capital) else 0.0)),
    )
    level, level_note = await ideas.level()
    decision = evaluate_option(trade, n, pf, after, ideas.risk.limits, ideas.cfg,
                               ideas.risk.desk(), level, pf.buying_power,
                               level_source=level_note)  # fmt: skip
    if not decision.approved:
        return None
    facts = entry_facts(c, n, today, p.spot, None, sel.rejected, len(sel.candidates), new_lim)
    limit = roll_limit(net, natural)
    facts.update(
        legs=closing + facts["legs"],
        credit=round(net, 4),
        natural_credit=round(natural, 4),
        limit=limit,
        roll_of=g.key,
        position=g.key,
        close_cost=round(-close_mid, 4),
        buying_power=decision_bp(decision),
    )
    side = Side.SELL if net >= 0 else Side.BUY
    text = roll_rationale(g, facts, reason, ideas.proposals.mode.label)
    quote = await ideas.proposals.data.quote(g.underlying)
    prop = ideas.proposal_row(g.underlying, name, "entry", side, n, facts, text, decision, quote)
    return await ideas.store_card(prop, actor, source, sel, decision)


def roll_rationale(g: OptionGroup, o: dict[str, Any], reason: str, mode_label: str) -> str:
    old = "/".join(f"{k:g}" for k in sorted(g.strikes))
    new = "/".join(f"{leg['strike']:g}" for leg in o["legs"] if leg["opens"])
    verb = "for a net credit of" if o["credit"] >= 0 else "for a net debit of"
    return (
        f"[{mode_label}] Roll the {g.underlying} {g.strategy.replace('_', ' ')} {old} expiring "
        f"{g.expiry.isoformat()} to {new} expiring {o['expiry']} ({o['dte']} DTE) as one "
        f"order, {verb} ${o['limit']:,.2f} a share. Why: {reason}. The new position: max "
        f"profit ${o['max_profit']:,.2f}, max loss ${o['max_loss']:,.2f}, breakeven "
        f"{', '.join(f'{b:,.2f}' for b in o['breakevens'])}, probability of profit "
        f"{o['pop'] * 100:.0f}%."
    )


__all__ = ["MAX_LEGS", "roll_card", "roll_limit"]
