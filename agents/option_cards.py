"""What an option card holds, as plain data kept in the proposal's facts ("option"), and the
offline rationale written from those numbers only.

Per share of one unit: `credit` (net, positive for a credit), `limit`, each leg's bid, ask
and mid. In dollars for the whole position: `max_profit`, `max_loss`, `capital`, the greeks
(delta in shares, theta $/day, vega $/vol point) and the buying-power effect.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from models.domain import Side, TradeIdea
from services.options.book import OptionGroup
from services.options.positions import LegQuote
from services.options.strategies import Candidate, Rejection

M = 100
CONCESSION = 0.25  # the limit gives up this share of the way from the mid to the natural


def entry_limit(credit: float, natural: float) -> float:
    """An opening credit's limit: the mid less a quarter of the way to the natural price
    (selling at the bids, buying at the asks), rounded down to the cent; never below the
    natural."""
    px = credit - CONCESSION * max(0.0, credit - natural)
    return max(math.floor(px * 100 + 1e-9) / 100, round(natural, 2))


def _r(x: float, nd: int = 2) -> float | None:
    return round(x, nd) if math.isfinite(x) else None


def _breakevens(c: Candidate, limit: float) -> list[float]:
    """The candidate's breakevens at the limit (a put side moves up as the credit shrinks,
    a call side down)."""
    shift = c.credit - limit
    mid = c.legs[0].strike if len(c.breakevens) < 2 else sum(c.breakevens) / 2
    return [round(b + shift if b <= mid else b - shift, 2) for b in c.breakevens]


def entry_facts(
    c: Candidate,
    contracts: int,
    today: date,
    spot: float,
    iv_rank: float | None,
    rejected: tuple[Rejection, ...],
    alternatives: int,
    limit: float | None = None,
) -> dict[str, Any]:
    """The card's numbers for opening candidate `c` with `contracts` units at `limit`
    (default: `entry_limit`)."""
    n = contracts
    limit = entry_limit(c.credit, c.natural_credit) if limit is None else limit
    return {
        "strategy": c.strategy,
        "expiry": c.expiry.isoformat(),
        "dte": c.dte,
        "legs": [
            {
                "symbol": leg.symbol,
                "type": leg.type,
                "strike": leg.strike,
                "expiry": leg.expiry.isoformat(),
                "dte": (leg.expiry - today).days,
                "side": leg.side,
                "quantity": leg.quantity,
                "bid": _r(leg.bid),
                "ask": _r(leg.ask),
                "mid": _r(leg.mid, 3),
                "delta": _r(leg.delta, 3),
                "iv": _r(leg.iv, 4),
                "opens": True,
            }
            for leg in c.legs
        ],
        "credit": round(c.credit, 4),
        "natural_credit": round(c.natural_credit, 4),
        "limit": limit,
        "width": c.width,
        "contracts": n,
        # at the limit the order is sent at (what the trader gets if it fills)
        "max_profit": round(limit * M * n, 2),
        "max_loss": round((c.max_loss + c.credit - limit) * M * n, 2),
        "breakevens": _breakevens(c, limit),
        "pop": round(c.pop, 4),
        "greeks": {g: round(v * M * n, 2) for g, v in c.greeks.items()},
        "capital": round((c.capital + c.credit - limit) * M * n, 2),
        "underlying_price": round(spot, 2),
        "iv_rank": None if iv_rank is None else round(iv_rank, 1),
        "score": round(c.score, 1),
        "liquidity": round(c.liquidity, 3),
        "alternatives": alternatives,
        "rejected": [r.text() for r in rejected[:12]],
    }


def exit_facts(
    g: OptionGroup, quotes: dict[str, LegQuote], spot: float | None, reason: str
) -> dict[str, Any]:
    """The card's numbers for closing every leg of `g` at the mids (a debit to pay is a
    negative credit)."""
    legs = []
    net = natural = 0.0
    for leg, kind, strike in zip(g.legs, g.types, g.strikes, strict=True):
        q = quotes.get(leg.symbol)
        mid = q.mid if q else math.nan
        side = "sell" if leg.quantity > 0 else "buy"
        per = abs(leg.quantity) / g.contracts
        net += (mid if side == "sell" else -mid) * per
        natural += ((q.bid if side == "sell" else -q.ask) if q else math.nan) * per
        legs.append(
            {
                "symbol": leg.symbol,
                "type": kind,
                "strike": strike,
                "expiry": leg.expiry.isoformat(),
                "dte": None,
                "side": side,
                "quantity": abs(leg.quantity) // g.contracts,
                "bid": _r(q.bid) if q else None,
                "ask": _r(q.ask) if q else None,
                "mid": _r(mid, 3),
                "delta": _r(q.delta, 3) if q else None,
                "opens": False,
            }
        )
    limit = signed = None  # the limit, and the same with the sign of the money (paid: −)
    if math.isfinite(net) and math.isfinite(natural):
        px = net - CONCESSION * max(0.0, net - natural)  # toward paying the natural
        signed = math.floor(px * 100 + 1e-9) / 100
        limit = abs(signed)
    realizes = None
    if signed is not None:
        realizes = round((g.credit + signed) * M * g.contracts, 2)
    return {
        "strategy": g.strategy,
        "expiry": g.expiry.isoformat(),
        "legs": legs,
        "credit": _r(net, 4),  # at the mids (the click's drift is measured from it)
        "limit": limit,
        "debit": signed is not None and signed < 0,  # the order pays its limit
        "contracts": g.contracts,
        "open_credit": g.credit,
        "max_profit": _r(g.max_profit),
        "max_loss": _r(g.max_loss),
        "breakevens": list(g.breakevens),
        "capital": _r(g.capital),
        "underlying_price": None if spot is None else round(spot, 2),
        "position": g.key,
        "reason": reason,
        "realizes": realizes,
    }


def analyst_idea(symbol: str, o: dict[str, Any], score: float) -> TradeIdea:
    """The card as the LLM analyst's facts: sold at the limit (a premium per share), the
    stop where closing costs 2x the credit, the target at half the credit; every option
    number beside them, so the rationale's numbers are checked against these."""
    lim = float(o["limit"])
    shorts = [leg for leg in o["legs"] if leg["side"] == "sell"]
    facts: dict[str, float] = {
        "credit": lim,
        "max_profit": float(o["max_profit"]),
        "max_loss": float(o["max_loss"]),
        "pop_pct": round(float(o["pop"]) * 100),
        "dte": float(o["dte"]),
        "contracts": float(o["contracts"]),
        "capital": float(o["capital"]),
    }
    for i, b in enumerate(o["breakevens"]):
        facts[f"breakeven_{i + 1}"] = float(b)
    for leg in o["legs"]:
        facts[f"{leg['side']}_{leg['type']}_strike_{leg['strike']:g}"] = float(leg["strike"])
    for leg in shorts:
        if leg.get("delta") is not None:
            facts[f"short_{leg['type']}_delta"] = float(leg["delta"])
    if o.get("iv_rank") is not None:
        facts["iv_rank"] = float(o["iv_rank"])
    legs = ", ".join(f"{leg['side']} the {leg['strike']:g} {leg['type']}" for leg in o["legs"])
    name = o["strategy"].replace("_", " ")
    return TradeIdea(
        symbol=symbol,
        side=Side.SELL,
        entry=lim,
        stop=round(2 * lim, 2),
        target=round(lim / 2, 2),
        strategy=o["strategy"],
        confidence=min(1.0, max(0.0, float(o["pop"]))),
        score=score,
        facts=facts,
        summary=(
            f"An option {name} on {symbol} (not shares): {legs}, expiring {o['expiry']}, "
            f"for a net credit of {lim:.2f} a share per contract. Entry, stop and target are "
            "option premiums per share: it is closed when buying it back costs twice the "
            "credit (the stop) or half of it (the target)."
        ),
    )


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _legs_text(o: dict[str, Any]) -> str:
    puts = "/".join(f"{leg['strike']:g}" for leg in o["legs"] if leg["type"] == "put")
    calls = "/".join(f"{leg['strike']:g}" for leg in o["legs"] if leg["type"] == "call")
    parts = [f"{puts} puts" if puts else "", f"{calls} calls" if calls else ""]
    return " and ".join(p for p in parts if p)


def offline_rationale(symbol: str, o: dict[str, Any], mode_label: str) -> str:
    """A plain-language rationale from the card's numbers only."""
    name = o["strategy"].replace("_", " ")
    n = o["contracts"]
    head = (
        f"[{mode_label}] Sell {n} {symbol} {name}{'s' if n != 1 else ''} "
        f"({_legs_text(o)}, expiring {o['expiry']}, {o['dte']} DTE) for a "
        f"{_money(o['limit'])} credit a share."
    )
    be = ", ".join(f"{b:,.2f}" for b in o["breakevens"])
    body = (
        f" Max profit {_money(o['max_profit'])}, max loss {_money(o['max_loss'])}, "
        f"breakeven {be}, probability of profit {o['pop'] * 100:.0f}%."
    )
    shorts = [leg for leg in o["legs"] if leg["side"] == "sell"]
    if shorts and shorts[0].get("delta") is not None:
        body += f" The short {shorts[0]['type']}'s delta is {shorts[0]['delta']:+.2f}"
        body += f", IV rank {o['iv_rank']:.0f}." if o.get("iv_rank") is not None else "."
    tail = (
        " The monitor proposes closing it at 50% of the max profit, at a loss of one"
        " credit, before 7 DTE, or when a short strike is breached."
    )
    if o["strategy"] == "cash_secured_put":
        tail += f" Assignment buys {100 * n} shares at the strike."
    return head + body + tail


def exit_rationale(symbol: str, o: dict[str, Any], mode_label: str) -> str:
    name = o["strategy"].replace("_", " ")
    verb = "pay" if o.get("debit") else "receive"
    price = _money(o["limit"]) if o.get("limit") is not None else "the market"
    text = (
        f"[{mode_label}] Close the {symbol} {name} ({_legs_text(o)}, {o['contracts']} "
        f"contracts) as one order: {verb} {price} a share. Why: {o['reason']}."
    )
    if o.get("realizes") is not None:
        text += f" It realises {_money(o['realizes'])} at that price."
    return text


__all__ = ["analyst_idea", "entry_facts", "exit_facts", "exit_rationale", "offline_rationale"]
