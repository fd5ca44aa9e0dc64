"""OptionProposals: option strategy cards (bull put spread, cash-secured put, iron condor)
from a trader's request or a scan, and the exit card that closes a strategy position.

A card is the best candidate of the seed rules on the chain (services/options/strategies),
sized and checked by the option risk rules (its max loss is its risk), with the venue's
dry run for the buying power where the venue has one. It is stored PENDING like every card;
the order it sends on approval is one multi-leg limit order at the card's net price.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from agents.chains import ChainAgent
from agents.errors import BadInput, CotraderError, RiskRefused
from agents.option_book import OptionBook, leg_quotes
from agents.option_cards import (
    analyst_idea,
    entry_facts,
    entry_limit,
    exit_facts,
    exit_rationale,
    offline_rationale,
)
from agents.proposals import ProposalAgent, new_proposal_id
from agents.results import Card
from agents.risk import RiskAgent
from brokers.base import Broker, BrokerError, OrderPreviewer
from models.config import OptionsConfig
from models.domain import Actor, OrderLeg, OrderRequest, OrderType, RiskDecision, Side
from models.tables import Proposal, ProposalLeg
from services.options.book import OptionGroup
from services.options.chain import PricedChain
from services.options.strategies import (
    RULES,
    STRATEGY_NAMES,
    Candidate,
    Selection,
    StrategyName,
    UnderlyingRules,
    select,
    underlying_problems,
)
from services.risk.option_checks import OptionExposure, OptionTrade, evaluate_option

SIM_LEVEL = 3  # the simulator trades every strategy here
ALIASES = {
    "bps": "bull_put_spread",
    "put_spread": "bull_put_spread",
    "bull_put": "bull_put_spread",
    "csp": "cash_secured_put",
    "short_put": "cash_secured_put",
    "ic": "iron_condor",
    "condor": "iron_condor",
}


def _key(raw: str) -> str:
    key = "_".join((raw or "").strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


def is_strategy(raw: str) -> bool:
    """Whether `raw` names an option strategy (a name or a short form like csp, ic)."""
    return _key(raw) in STRATEGY_NAMES


def strategy_arg(raw: str) -> StrategyName:
    """A strategy name as typed ('bull put spread', 'csp', 'iron_condor'), or BadInput."""
    key = _key(raw)
    if key not in STRATEGY_NAMES:
        raise BadInput(f"Unknown option strategy {raw!r}: use one of {', '.join(STRATEGY_NAMES)}.")
    return key  # type: ignore[return-value]


class OptionProposals:
    def __init__(
        self,
        chains: ChainAgent,
        book: OptionBook,
        proposals: ProposalAgent,
        risk: RiskAgent,
        broker: Broker,
        cfg: OptionsConfig,
        underlying: UnderlyingRules | None = None,
    ) -> None:
        self.chains = chains
        self.book = book
        self.proposals = proposals
        self.risk = risk
        self.broker = broker
        self.cfg = cfg
        self.underlying = underlying or UnderlyingRules(min_iv_rank=cfg.min_iv_rank)

    # ------------------------------------------------------------------ choosing
    async def selection(self, symbol: str, strategy: StrategyName) -> tuple[Selection, PricedChain]:
        """The seed rules' candidates on the chain of the expiries in the strategy's window."""
        rules = RULES[strategy]
        today = self.chains.now().date()
        listed = await self.chains.expiries(symbol)
        wanted = [d for d in listed if rules.dte[0] <= (d - today).days <= rules.dte[1]]
        if not wanted:
            raise BadInput(
                f"{symbol} lists no expiry {rules.dte[0]}-{rules.dte[1]} days out for a "
                f"{strategy.replace('_', ' ')}."
            )
        p = await self.chains.priced(symbol, wanted)
        return select(strategy, p), p

    async def _underlying_ok(self, symbol: str, spot: float) -> tuple[float | None, list[str]]:
        """The IV rank, and why the underlying fails its filters (empty: it passes). An IV
        rank not known yet (too little history) is not held against it."""
        bars = await self.proposals.data.daily_bars(symbol, 21)
        vols = [v for v in bars.volume[-20:] if math.isfinite(v)]
        avg = sum(vols) / len(vols) if vols else 0.0
        rank = await self.chains.rank_value(symbol)
        why = underlying_problems(spot, avg, rank, self.underlying)
        return rank, [w for w in why if w != "no IV rank"]

    # ------------------------------------------------------------------ proposing
    async def propose(
        self,
        symbol: str,
        strategy: str,
        contracts: int | None,
        actor: Actor,
        source: str = "propose",
    ) -> Card:
        """The best `strategy` position on `symbol`, as a card (RiskRefused or BadInput
        with the reasons when there is none)."""
        name = strategy_arg(strategy)
        sym = self.proposals.data.normalise(symbol)
        sel, p = await self.selection(sym, name)
        rank, problems = await self._underlying_ok(sym, p.spot)
        if problems:
            self._refused(sym, name, source, "; ".join(problems), sel)
            raise RiskRefused(f"{sym} does not pass the option filters: {'; '.join(problems)}.")
        if sel.best is None:
            why = "; ".join(r.text() for r in sel.rejected[:4]) or "no listed contract fits"
            self._refused(sym, name, source, why, sel)
            raise RiskRefused(f"No {name.replace('_', ' ')} on {sym} meets the rules: {why}.")
        c = sel.best
        today = self.chains.now().date()
        lim = entry_limit(c.credit, c.natural_credit)  # the card's numbers are at its limit
        slip = c.credit - lim
        trade = OptionTrade(sym, name, (c.max_loss + slip) * 100, (c.capital + slip) * 100,
                            lim * 100)  # fmt: skip
        decision = await self._check(trade, contracts, sym, c)
        n = decision.quantity
        facts = entry_facts(c, n, today, p.spot, rank, sel.rejected, len(sel.candidates), lim)
        facts["buying_power"] = decision_bp(decision)
        if not decision.approved:
            self._refused(sym, name, source, decision.reason(), sel, decision)
            raise RiskRefused(decision.reason(), decision)
        quote = await self.proposals.data.quote(sym)
        text = offline_rationale(sym, facts, self.proposals.mode.label)
        prop = self.proposal_row(sym, name, "entry", Side.SELL, n, facts, text, decision, quote)
        card = await self.store_card(prop, actor, source, sel, decision)
        idea = analyst_idea(sym, facts, float(facts["score"]))  # the LLM's, when it answers
        return await self.proposals.with_rationale(card, idea, decision, "entry")

    async def _check(
        self, trade: OptionTrade, contracts: int | None, sym: str, c: Candidate
    ) -> RiskDecision:
        """The option checks on `c`, with the venue's dry run for buying power where the
        venue has one."""
        now = self.chains.clock()
        with self.proposals.store.reading():
            pf = await self.risk.portfolio(now)
        held = self.exposure(sym)
        level, level_note = await self.level()
        desk = self.risk.desk()
        first = evaluate_option(trade, contracts, pf, held, self.risk.limits, self.cfg, desk,
                                level, pf.buying_power, None, "computed", level_note)  # fmt: skip
        need, source = await self.venue_bp(sym, c, first.quantity)
        if need is None:
            return first
        return evaluate_option(trade, first.quantity, pf, held, self.risk.limits, self.cfg,
                               desk, level, pf.buying_power, need, source, level_note)  # fmt: skip

    def exposure(self, underlying: str) -> OptionExposure:
        """The open option max loss, and the positions and capital on `underlying`."""
        groups = self.book.groups()  # read with the positions below: once in a reading block
        stock = next(
            (p for p in self.proposals.store.ledger.positions() if p.symbol == underlying), None
        )
        finite = [g.max_loss for g in groups if math.isfinite(g.max_loss)]
        mine = [g for g in groups if g.underlying == underlying]
        capital = sum(g.capital for g in mine if math.isfinite(g.capital))
        if stock is not None:
            capital += abs(stock.quantity) * stock.avg_price
        return OptionExposure(sum(finite), len(mine) + (stock is not None), capital)

    async def level(self) -> tuple[int, str]:
        """The options approval level: configured, the venue's, or the simulator's."""
        if self.cfg.level is not None:
            return self.cfg.level, "configured"
        read = getattr(self.broker, "options_level", None)
        if read is not None:
            try:
                return int(await read()), "the venue's"
            except (BrokerError, ValueError, TypeError):
                pass
        if self.broker.name == "sim":
            return SIM_LEVEL, "the simulator's"
        return SIM_LEVEL, "assumed: the venue does not say; set COTRADER_OPTIONS_LEVEL"

    async def venue_bp(self, sym: str, c: Candidate, n: int) -> tuple[float | None, str]:
        """The venue's dry-run buying-power need of the order (None: no dry run)."""
        if n < 1 or not isinstance(self.broker, OrderPreviewer):
            return None, "computed"
        req = OrderRequest(
            client_order_id="dry-run",
            symbol=sym,
            side=Side.SELL,
            quantity=n,
            order_type=OrderType.LIMIT,
            limit_price=entry_limit(c.credit, c.natural_credit),
            legs=tuple(OrderLeg(symbol=leg.symbol, side=Side(leg.side)) for leg in c.legs),
        )
        try:
            pv = await self.broker.dry_run(req)
        except BrokerError:
            return None, "computed (the venue's dry run failed)"
        return max(0.0, -pv.change_in_buying_power), "venue dry run"

    # ------------------------------------------------------------------ exits
    async def exit_card(self, g: OptionGroup, reason: str, actor: Actor, source: str) -> Card:
        """A card closing every leg of `g` as one order at the mids' net price."""
        expiries = sorted({leg.expiry for leg in g.legs})
        p = await self.chains.priced(g.underlying, expiries)
        facts = exit_facts(g, leg_quotes(p, {leg.symbol for leg in g.legs}), p.spot, reason)
        if facts["limit"] is None:
            raise BadInput(f"No quote for every leg of the {g.underlying} {g.strategy}: "
                           "no exit card made.")  # fmt: skip
        side = Side.BUY if facts["debit"] else Side.SELL
        decision = RiskDecision(
            approved=True, quantity=g.contracts, checks=(), risk_amount=0.0, risk_pct=0.0,
            notional=round(facts["limit"] * 100 * g.contracts, 2), sizing="position exit",
        )  # fmt: skip
        quote = await self.proposals.data.quote(g.underlying)
        text = exit_rationale(g.underlying, facts, self.proposals.mode.label)
        prop = self.proposal_row(g.underlying, g.strategy, "exit", side, g.contracts, facts,
                              text, decision, quote)  # fmt: skip
        prop.facts = {"option": facts, "realizes": facts["realizes"], "notes": [reason]}
        return await self.store_card(prop, actor, source, None, decision)

    # ------------------------------------------------------------------ storing
    def proposal_row(
        self,
        sym: str,
        strategy: str,
        kind: str,
        side: Side,
        n: int,
        facts: dict[str, Any],
        text: str,
        decision: RiskDecision,
        quote: Any,
    ) -> Proposal:
        now = self.proposals.clock()
        pa = self.proposals
        return Proposal(
            id=new_proposal_id(),
            kind=kind,
            symbol=sym,
            side=side.value,
            quantity=n,
            order_type="limit",
            limit_price=facts["limit"],
            time_in_force="day",
            entry_price=facts["limit"],
            strategy=strategy,
            score=float(facts.get("score", 0.0)),
            confidence=float(facts.get("pop", 0.0)),
            quote_bid=quote.bid,
            quote_ask=quote.ask,
            quote_ts=quote.ts,
            rationale=text,
            rationale_meta={"provider": "offline", "model": "option-template", "prompt": "-"},
            risk=decision.model_dump(mode="json"),
            facts={"option": facts},
            mode=pa.mode.value,
            broker=pa.broker_name,
            created_at=now,
            expires_at=now + timedelta(seconds=pa.cfg.proposal_ttl_seconds),
        )

    async def store_card(
        self,
        p: Proposal,
        actor: Actor,
        source: str,
        sel: Selection | None,
        decision: RiskDecision,
    ) -> Card:
        legs = [
            ProposalLeg(
                proposal_id=p.id,
                symbol=leg["symbol"],
                asset_class="option",
                side=leg["side"],
                ratio=int(leg["quantity"]),
            )
            for leg in p.facts["option"]["legs"]
        ]
        p.created_by = actor.id
        prior = [("risk.decision", "agent:risk", decision.model_dump(mode="json"))]
        if sel is not None:
            prior.insert(0, ("option.selection", "agent:strategy:options", _selection(sel)))
        prior.append(("rationale", "agent:analyst:offline", {"text": p.rationale}))
        stored = self.proposals.store.proposals.add(
            p,
            legs,
            actor.id,
            {"source": source, "kind": p.kind, "quantity": p.quantity,
             "expires_at": p.expires_at.isoformat(), "mode": self.proposals.mode.label},
            prior_events=prior,
        )  # fmt: skip
        await self.proposals.supersede_older(stored, actor)
        return Card.of(stored)

    def _refused(
        self,
        sym: str,
        name: str,
        source: str,
        why: str,
        sel: Selection,
        decision: RiskDecision | None = None,
    ) -> None:
        ctx: dict[str, Any] = {"symbol": sym, "strategy": name, "source": source, "reason": why}
        ctx["selection"] = _selection(sel)
        if decision is not None:
            ctx["decision"] = decision.model_dump(mode="json")
        self.proposals.store.events.add("proposal.refused", "agent:risk", context=ctx)

    # ------------------------------------------------------------------ scans
    async def scan(self, symbols: Sequence[str], actor: Actor) -> tuple[list[Card], list[str]]:
        """Option ideas on `symbols` (COTRADER_OPTIONS=1): the best of each strategy that
        passes, up to `scan_ideas_max` cards; a note for each that did not."""
        cards: list[Card] = []
        notes: list[str] = []
        for sym in symbols:
            if len(cards) >= self.cfg.scan_ideas_max:
                break
            for name in self.cfg.strategies:
                try:
                    cards.append(await self.propose(sym, name, None, actor, "scan"))
                    break
                except (RiskRefused, BadInput) as e:
                    notes.append(f"{sym} {name.replace('_', ' ')}: {e}")
                except CotraderError:
                    break
        return cards, notes


def decision_bp(d: RiskDecision) -> dict[str, Any]:
    """The buying-power check's numbers, for the card."""
    ck = next((c for c in d.checks if c.name == "buying_power"), None)
    if ck is None:
        return {}
    src = ck.detail.rsplit("(", 1)[-1].rstrip(")") if "(" in ck.detail else "computed"
    return {"effect": -ck.value, "available": ck.limit, "source": src}


def _selection(sel: Selection) -> dict[str, Any]:
    """What the search found and why each expiry or strike it could not use failed."""
    return {
        "strategy": sel.strategy,
        "candidates": len(sel.candidates),
        "best": None
        if sel.best is None
        else {
            "expiry": sel.best.expiry.isoformat(),
            "strikes": [leg.strike for leg in sel.best.legs],
            "credit": round(sel.best.credit, 4),
            "score": round(sel.best.score, 1),
        },
        "rejected": [r.text() for r in sel.rejected],
    }


__all__ = ["OptionProposals", "is_strategy", "strategy_arg"]
