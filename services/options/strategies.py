"""The seed option strategies' entry rules, and the search for the best candidate on a
priced chain: bull put spread, cash-secured put, iron condor. Pure.

Each rule is a configurable default from the seed design notes. Candidates are built from
listed contracts only, priced at the mid (the natural price, selling at the bid and buying
at the ask, is kept beside it), and scored by credit against risk, probability of profit
and liquidity. Every expiry or strike that failed says why (`Rejection`), for /why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from services.options.chain import PricedChain
from services.options.payoff import LegSpec, prob_of_profit, profile

StrategyName = Literal["bull_put_spread", "cash_secured_put", "iron_condor"]
STRATEGY_NAMES: tuple[StrategyName, ...] = ("bull_put_spread", "cash_secured_put", "iron_condor")


@dataclass(frozen=True)
class StrategyRules:
    """Entry rules: days to expiry, |delta| of the short put and call, wing widths in
    points, the least credit per share, and the yield (max profit / max loss) that scores
    full marks."""

    dte: tuple[int, int]
    put_delta: tuple[float, float] | None
    call_delta: tuple[float, float] | None = None
    width: tuple[float, float] | None = None
    min_credit: float = 0.30
    full_yield: float = 1 / 3


RULES: dict[StrategyName, StrategyRules] = {
    "bull_put_spread": StrategyRules((25, 45), (0.20, 0.30), None, (5.0, 10.0), 0.30),
    "cash_secured_put": StrategyRules((30, 45), (0.20, 0.30), None, None, 0.50, 0.025),
    # the seeds give no minimum credit for the condor: the spreads' is used
    "iron_condor": StrategyRules((30, 45), (0.15, 0.20), (0.15, 0.20), (5.0, 5.0), 0.30),
}


@dataclass(frozen=True)
class Liquidity:
    """What every leg must show: open interest, the day's volume, bid–ask against the mid."""

    min_open_interest: float = 100
    min_volume: float = 50
    max_spread_pct: float = 10.0


@dataclass(frozen=True)
class UnderlyingRules:
    """The underlying's own filters (seed values)."""

    min_price: float = 20.0
    max_price: float = 500.0
    min_volume: float = 1_000_000
    min_iv_rank: float = 25.0


def underlying_problems(
    price: float, avg_volume: float, iv_rank: float | None, rules: UnderlyingRules
) -> list[str]:
    """Why an underlying is not traded (empty: it passes)."""
    out = []
    if not rules.min_price <= price <= rules.max_price:
        out.append(f"price {price:,.2f} outside {rules.min_price:g}-{rules.max_price:g}")
    if avg_volume < rules.min_volume:
        out.append(f"average volume {avg_volume:,.0f} < {rules.min_volume:,.0f}")
    if iv_rank is None:
        out.append("no IV rank")
    elif iv_rank < rules.min_iv_rank:
        out.append(f"IV rank {iv_rank:.0f} < {rules.min_iv_rank:g}")
    return out


@dataclass(frozen=True)
class Leg:
    """One leg of a candidate, from the chain."""

    symbol: str
    type: Literal["call", "put"]
    strike: float
    expiry: date
    side: Literal["buy", "sell"]
    quantity: int
    bid: float
    ask: float
    mid: float
    delta: float
    iv: float
    gamma: float
    theta: float
    vega: float

    def spec(self) -> LegSpec:
        return LegSpec(self.type, self.strike, self.side, self.quantity)


@dataclass(frozen=True)
class Candidate:
    """One position the rules allow, per share of one unit (× 100 per contract)."""

    strategy: StrategyName
    expiry: date
    dte: int
    legs: tuple[Leg, ...]
    credit: float  # net, at the mids; positive = a credit
    natural_credit: float  # selling at the bids, buying at the asks
    width: float  # the widest wing in points (0 for a lone put)
    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]
    pop: float
    capital: float  # per share tied up: the max loss (a cash-secured put: strike - premium)
    liquidity: float  # 0–1
    score: float  # 0–100
    greeks: dict[str, float] = field(default_factory=dict)  # position delta, gamma, theta, vega


@dataclass(frozen=True)
class Rejection:
    expiry: date | None
    strike: float | None
    reason: str

    def text(self) -> str:
        where = [self.expiry.isoformat()] if self.expiry else []
        if self.strike is not None:
            where.append(f"strike {self.strike:g}")
        return f"{' '.join(where)}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class Selection:
    strategy: StrategyName
    best: Candidate | None
    candidates: tuple[Candidate, ...]  # the best first
    rejected: tuple[Rejection, ...]


MAX_REJECTIONS = 60


def _leg(p: PricedChain, i: int, side: Literal["buy", "sell"]) -> Leg:
    ch = p.chain
    return Leg(
        symbol=ch.symbols[i],
        type="call" if ch.is_call[i] else "put",
        strike=float(ch.strike[i]),
        expiry=ch.expiry[i].astype(object),
        side=side,
        quantity=1,
        bid=float(ch.bid[i]),
        ask=float(ch.ask[i]),
        mid=float(p.mid[i]),
        delta=float(p.delta[i]),
        iv=float(p.iv[i]),
        gamma=float(p.gamma[i]),
        theta=float(p.theta[i]),
        vega=float(p.vega[i]),
    )


def liquidity_problem(p: PricedChain, i: int, rules: Liquidity) -> str | None:
    """Why a contract is too thin to trade, or None."""
    ch = p.chain
    if not math.isfinite(p.mid[i]):
        return f"no two-sided quote ({p.reason[i] or 'no quote'})"
    oi, vol = ch.open_interest[i], ch.volume[i]
    if not math.isfinite(oi) or oi < rules.min_open_interest:
        return f"open interest {_n(oi)} < {rules.min_open_interest:g}"
    if not math.isfinite(vol) or vol < rules.min_volume:
        return f"volume {_n(vol)} < {rules.min_volume:g}"
    spread = 100 * (ch.ask[i] - ch.bid[i]) / p.mid[i]
    if spread > rules.max_spread_pct:
        return f"bid-ask {spread:.1f}% of mid > {rules.max_spread_pct:g}%"
    return None


def _n(x: float) -> str:
    return "none" if not math.isfinite(x) else f"{x:,.0f}"


def _liquidity_score(p: PricedChain, idx: list[int], rules: Liquidity) -> float:
    ch, parts = p.chain, []
    for i in idx:
        depth = min(1.0, float(ch.open_interest[i]) / (10 * rules.min_open_interest))
        tight = 1 - (ch.ask[i] - ch.bid[i]) / p.mid[i] * 100 / rules.max_spread_pct
        parts.append(depth * 0.5 + max(0.0, float(tight)) * 0.5)
    return min(parts)


def _candidate(
    name: StrategyName,
    p: PricedChain,
    legs: list[tuple[int, Literal["buy", "sell"]]],
    rules: StrategyRules,
    liq: Liquidity,
) -> Candidate | str:
    """The candidate of these legs, or why it fails the credit rule."""
    built = [_leg(p, i, side) for i, side in legs]
    sign = {"sell": 1, "buy": -1}
    credit = sum(sign[leg.side] * leg.mid for leg in built)
    natural = sum((leg.bid if leg.side == "sell" else -leg.ask) for leg in built)
    if credit < rules.min_credit:
        return f"credit {credit:.2f} < {rules.min_credit:.2f}"
    specs = [leg.spec() for leg in built]
    prof = profile(specs, credit)
    if not (math.isfinite(prof.max_loss) and prof.max_loss > 0):
        return "no bounded loss"
    shorts = [leg.iv for leg in built if leg.side == "sell"]
    i0 = legs[0][0]
    years, dte = float(p.years[i0]), int(p.dte[i0])
    pop = prob_of_profit(specs, credit, p.spot, years, float(np.mean(shorts)), p.rate, p.dividend)
    puts = sorted(leg.strike for leg in built if leg.type == "put")
    calls = sorted(leg.strike for leg in built if leg.type == "call")
    width = max(
        (puts[-1] - puts[0]) if len(puts) > 1 else 0.0,
        (calls[-1] - calls[0]) if len(calls) > 1 else 0.0,
    )
    liquidity = _liquidity_score(p, [i for i, _ in legs], liq)
    yield_ = prof.max_profit / prof.max_loss
    score = 100 * (0.45 * min(1.0, yield_ / rules.full_yield) + 0.35 * pop + 0.20 * liquidity)
    greeks = {
        g: sum(-sign[leg.side] * getattr(leg, g) for leg in built)
        for g in ("delta", "gamma", "theta", "vega")
    }
    return Candidate(
        strategy=name,
        expiry=built[0].expiry,
        dte=dte,
        legs=tuple(built),
        credit=round(credit, 4),
        natural_credit=round(natural, 4),
        width=width,
        max_profit=prof.max_profit,
        max_loss=prof.max_loss,
        breakevens=prof.breakevens,
        pop=pop,
        capital=prof.max_loss,
        liquidity=liquidity,
        score=score,
        greeks=greeks,
    )


def _shorts(
    p: PricedChain, on: np.ndarray, is_call: bool, band: tuple[float, float], liq: Liquidity,
    expiry: date, rejected: list[Rejection],
) -> list[int]:  # fmt: skip
    """Contracts of one expiry and type whose |delta| lies in `band` and that trade."""
    idx = np.flatnonzero(on & (p.chain.is_call == is_call))
    out = []
    for i in idx.tolist():
        d = abs(p.delta[i])
        if not (math.isfinite(d) and band[0] <= d <= band[1]):
            continue
        why = liquidity_problem(p, i, liq)
        if why:
            rejected.append(Rejection(expiry, float(p.chain.strike[i]), f"short leg: {why}"))
        else:
            out.append(i)
    if not out and not any(r.expiry == expiry for r in rejected):
        kind = "call" if is_call else "put"
        rejected.append(
            Rejection(expiry, None, f"no {kind} with |delta| in {band[0]:.2f}-{band[1]:.2f}")
        )
    return out


def _wings(
    p: PricedChain, on: np.ndarray, short: int, width: tuple[float, float], below: bool,
    liq: Liquidity, expiry: date, rejected: list[Rejection],
) -> list[int]:  # fmt: skip
    """Long legs `width` points beyond the short (below it for puts, above for calls)."""
    ch = p.chain
    k = ch.strike[short]
    gap = (k - ch.strike) if below else (ch.strike - k)
    idx = np.flatnonzero(
        on & (ch.is_call == ch.is_call[short]) & (gap >= width[0] - 1e-9) & (gap <= width[1] + 1e-9)
    )
    out = []
    for i in idx.tolist():
        why = liquidity_problem(p, i, liq)
        if why:
            rejected.append(Rejection(expiry, float(ch.strike[i]), f"long leg: {why}"))
        else:
            out.append(i)
    if idx.size == 0:
        rejected.append(
            Rejection(expiry, float(k), f"no strike {width[0]:g}-{width[1]:g} points away")
        )
    return out


def select(
    name: StrategyName,
    p: PricedChain,
    rules: StrategyRules | None = None,
    liq: Liquidity | None = None,
    keep: int = 5,
    after: date | None = None,
) -> Selection:
    """Every candidate of strategy `name` on the priced chain (its expiries, or those after
    `after`), the best first, with why each expiry or strike that could not be used failed."""
    rules = rules or RULES[name]
    liq = liq or Liquidity()
    rejected: list[Rejection] = []
    found: list[Candidate] = []
    for e in np.unique(p.chain.expiry).tolist():
        expiry = e if isinstance(e, date) else np.datetime64(e, "D").astype(object)
        if after is not None and expiry <= after:
            continue
        on = p.chain.expiry == np.datetime64(expiry, "D")
        dte = int(p.dte[on][0])
        if not rules.dte[0] <= dte <= rules.dte[1]:
            rejected.append(
                Rejection(expiry, None, f"{dte} DTE outside {rules.dte[0]}-{rules.dte[1]}")
            )
            continue
        for legs in _leg_sets(name, p, on, rules, liq, expiry, rejected):
            c = _candidate(name, p, legs, rules, liq)
            if isinstance(c, str):
                strike = float(p.chain.strike[legs[0][0]])
                rejected.append(Rejection(expiry, strike, c))
            else:
                found.append(c)
    found.sort(key=lambda c: -c.score)
    return Selection(
        name, found[0] if found else None, tuple(found[:keep]), tuple(rejected[:MAX_REJECTIONS])
    )


def roll(
    name: StrategyName,
    p: PricedChain,
    expiring: date,
    rules: StrategyRules | None = None,
    liq: Liquidity | None = None,
) -> Selection:
    """Where a `name` position expiring on `expiring` rolls to: the same strategy's rules on
    the later expiries of the chain, the best first (the roll card pairs its close with it)."""
    return select(name, p, rules, liq, after=expiring)


def _leg_sets(
    name: StrategyName, p: PricedChain, on: np.ndarray, rules: StrategyRules, liq: Liquidity,
    expiry: date, rejected: list[Rejection],
) -> list[list[tuple[int, Literal["buy", "sell"]]]]:  # fmt: skip
    if rules.put_delta is None:
        raise ValueError(f"{name} rules need a put delta band")
    puts = _shorts(p, on, False, rules.put_delta, liq, expiry, rejected)
    if name == "cash_secured_put":
        return [[(i, "sell")] for i in puts]
    if rules.width is None:
        raise ValueError(f"{name} rules need a wing width")
    put_spreads = [
        [(i, "sell"), (j, "buy")]
        for i in puts
        for j in _wings(p, on, i, rules.width, True, liq, expiry, rejected)
    ]
    if name == "bull_put_spread":
        return put_spreads  # type: ignore[return-value]
    if rules.call_delta is None:
        raise ValueError(f"{name} rules need a call delta band")
    calls = _shorts(p, on, True, rules.call_delta, liq, expiry, rejected)
    call_spreads = [
        [(i, "sell"), (j, "buy")]
        for i in calls
        for j in _wings(p, on, i, rules.width, False, liq, expiry, rejected)
    ]
    return [ps + cs for ps in put_spreads for cs in call_spreads]  # type: ignore[operator]


__all__ = [
    "RULES",
    "STRATEGY_NAMES",
    "Candidate",
    "Leg",
    "Liquidity",
    "Rejection",
    "Selection",
    "StrategyName",
    "StrategyRules",
    "UnderlyingRules",
    "liquidity_problem",
    "roll",
    "select",
    "underlying_problems",
]
