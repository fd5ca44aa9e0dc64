"""The click's re-check of an option card: fresh leg quotes, the net price's drift since the
card, and for an opening card every option risk limit again (for a closing card, that the
legs are still held as the card closes them)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from agents.errors import CotraderError
from agents.option_proposals import OptionProposals
from models.tables import Proposal
from services.options.positions import LegQuote
from services.risk.option_checks import OptionTrade, evaluate_option


def net_mid(legs: list[dict[str, Any]], quotes: dict[str, Any]) -> float:
    """The legs' net at the mids per share of one unit (sells +, buys −); NaN if one has no
    quote."""
    total = 0.0
    for leg in legs:
        q = quotes.get(leg["symbol"])
        if q is None or not math.isfinite(q.mid):
            return math.nan
        total += (q.mid if leg["side"] == "sell" else -q.mid) * int(leg.get("quantity", 1))
    return total


async def recheck_option(
    ideas: OptionProposals, p: Proposal, now: datetime
) -> tuple[str | None, dict[str, Any]]:
    """(why the card must not be sent now, or None; the numbers that decided)."""
    o = p.facts["option"]
    legs = o["legs"]
    expiries = sorted({date.fromisoformat(leg["expiry"]) for leg in legs})
    try:
        quotes = await ideas.chains.contract_quotes(
            p.symbol, [leg["symbol"] for leg in legs], expiries
        )
        spot = await ideas.proposals.data.quote(p.symbol, fresh=True)
    except CotraderError as e:
        return f"no fresh option quotes ({e})", {}
    net = net_mid(legs, {k: LegQuote(b, a) for k, (b, a) in quotes.items()})
    if not math.isfinite(net):
        return "a leg has no two-sided quote now", {}
    card = float(o["credit"])
    tol = ideas.cfg.drift_tolerance
    ctx: dict[str, Any] = {
        "net_mid": round(net, 4),
        "card_net": card,
        "limit": p.limit_price,
        "tolerance": tol,
        "underlying": round(spot.mid, 2),
    }
    if abs(net - card) > tol + 1e-9:
        return (
            f"the net price moved from {card:+.2f} to {net:+.2f} a share since the card, "
            f"more than the {tol:.2f} tolerance",
            ctx,
        )
    if p.kind == "exit" or o.get("roll_of"):  # it closes a position: still held as it was?
        held = {g.key: g for g in ideas.book.groups()}.get(o.get("position", ""))
        if held is None or held.contracts < p.quantity:
            return "the position this card closes is no longer held as it was", ctx
        if p.kind == "exit":
            return None, ctx
    n = p.quantity
    trade = OptionTrade(
        p.symbol,
        p.strategy,
        float(o["max_loss"]) / n,
        float(o["capital"]) / n,
        float(o["limit"]) * 100,
    )
    with ideas.proposals.store.reading():  # one read transaction for the book's facts
        pf = await ideas.risk.portfolio(now)
        held = ideas.exposure(p.symbol)
        desk = ideas.risk.desk()
    level, source = await ideas.level()
    d = evaluate_option(
        trade,
        n,
        pf,
        held,
        ideas.risk.limits,
        ideas.cfg,
        desk,
        level,
        pf.buying_power,
        level_source=source,
    )
    ctx["checks"] = [c.model_dump() for c in d.checks]
    if not d.approved:
        return d.reason(), {**ctx, "_decision": d}
    return None, ctx


__all__ = ["net_mid", "recheck_option"]
