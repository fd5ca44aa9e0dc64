"""TradeRequests: what a trader asked to trade, every part of it, made into a card (an
entry, an exit, a short, a resize) or refused with the part that cannot be done named.

The rules are the functional core's (services/order_plan.py); this agent fetches what they
need (the position, a quote, the idea, equity) and hands the result to the ProposalAgent,
which checks risk and stores the card.
"""

from __future__ import annotations

from agents.errors import BadInput, NotPending, RiskRefused
from agents.proposals import ProposalAgent
from agents.results import Card
from models.domain import Actor, ProposalStatus, Side, TradeIdea
from models.order_spec import OrderSpec
from services.inputs import InputError, parse_side
from services.order_plan import OrderPlanError, levels, realizes, route, shares

S = ProposalStatus


class TradeRequests:
    def __init__(self, proposals: ProposalAgent, allow_short: bool = True) -> None:
        self.p = proposals
        self.allow_short = allow_short

    async def propose(
        self,
        symbol: str,
        side: str | Side | None,
        quantity: object,
        actor: Actor,
        source: str,
        strategy: str | None,
    ) -> Card:
        """A trader's own proposal from the old three parts (symbol, side, shares)."""
        short = isinstance(side, str) and side.strip().lower() == "short"
        try:
            sd = parse_side(side) if side is not None else None
        except InputError as e:
            raise BadInput(str(e)) from None
        spec = OrderSpec(
            symbol=symbol, side=sd, short=short, quantity=self.p.check_quantity(quantity)
        )
        return await self.propose_order(spec, actor, source, strategy)

    async def propose_order(
        self, spec: OrderSpec, actor: Actor, source: str, strategy: str | None = None
    ) -> Card:
        """Every part of a trade request on one card, or a refusal that names the part.
        A sell against a held long (a buy against a short) is an exit; a short needs the word
        (or a sell while flat); $ and % sizes round down to whole shares; a named stop or
        target must sit on the right side of the entry. With no side, the trend decides;
        with a strategy, its fresh signal must agree with the side."""
        sym = self.p.data.normalise(spec.symbol)
        spec = spec.model_copy(update={"symbol": sym})
        if spec.quantity is not None:
            self.p.check_quantity(spec.quantity)
        pos = self.p.store.ledger.position(sym)
        held = pos.quantity if pos else 0
        try:
            way = route(spec, held, self.allow_short)
        except OrderPlanError as e:
            raise BadInput(str(e)) from None
        if way.kind == "exit":
            return await self._exit(spec, actor, source)
        d = await self.p.data.symbol_data(sym)
        scan = await self.p.scanner.rate(d)
        sd = way.side
        if strategy:
            idea = self.p.strategy.by_name(d, strategy, sd, scan)
        elif sd is None:
            idea = self.p.strategy.trend(d, scan)
            if idea is None:
                raise BadInput(f"{sym} has no clear trend right now; say buy or sell.")
        else:
            idea = self.p.strategy.for_side(d, sd, scan)
        if idea is None:
            raise RiskRefused(f"Cannot build a {sd} idea for {sym}: no usable ATR stop.")
        if sd is None:  # the trend picked the side: the same rules as a named side
            try:
                way = route(spec.model_copy(update={"side": idea.side}), held, self.allow_short)
            except OrderPlanError as e:
                raise BadInput(str(e)) from None
            if way.kind == "exit":
                spec = spec.model_copy(update={"side": idea.side})
                return await self._exit(spec, actor, source)
        entry = spec.limit or idea.entry
        try:
            stop, target = levels(
                idea.side, entry, spec.stop, spec.target, idea.entry, idea.stop, idea.target
            )
            pf = await self.p.risk.portfolio(self.p.clock()) if spec.pct else None
            qty, notes = shares(spec, "entry", entry, pf.equity if pf else 0.0, held)
        except OrderPlanError as e:
            raise BadInput(str(e)) from None
        named = [
            f"{n} {v:,.2f} (yours)"
            for n, v in (("stop", spec.stop), ("target", spec.target))
            if v is not None
        ]
        idea = idea.model_copy(
            update={
                "entry": entry,
                "stop": stop,
                "target": target,
                "summary": "; ".join(filter(None, [idea.summary, *named])),
            }
        )
        order = {
            "order_type": "limit" if spec.limit else "market",
            "limit_price": spec.limit,
            "time_in_force": spec.tif.value,
            "opens_short": way.opens_short or (held < 0 and idea.side is Side.SELL),
            "notes": notes,
            "requested": spec.model_dump(mode="json", exclude_none=True),
        }
        return await self.p.propose_idea(idea, qty, actor, source, order)

    async def resize(self, proposal_id: str, quantity: object, actor: Actor) -> Card:
        """A re-checked replacement for a pending proposal at another size (supersedes it);
        every other part of the card (limit, stop, target, time in force) is kept."""
        old = self.p.card(proposal_id)
        self.p.gate.check(actor, "resize", "adjust a proposal", old.id)
        if old.status != S.PENDING.value:
            raise NotPending(
                f"Proposal {old.id} is {old.status}; only a pending one can be resized."
            )
        qty = self.p.check_quantity(quantity)
        if qty is None:
            raise BadInput("Give a whole number of shares, e.g. 25.")
        p = self.p.store.proposals.get(old.id)
        asked = dict((p.facts or {}).get("requested", {})) if p else {}
        for k in ("amount", "pct", "quantity"):
            asked.pop(k, None)
        spec = OrderSpec(**{**asked, "symbol": old.symbol, "quantity": qty})
        if old.kind == "exit":
            spec = spec.model_copy(update={"exit": True})
        elif "side" not in asked:
            spec = spec.model_copy(update={"side": old.side, "short": old.short})
        return await self.propose_order(spec, actor, f"resize:{old.id}")

    async def close(self, symbol: str, quantity: object, actor: Actor) -> Card:
        """An exit proposal for (part of) a position; it still needs its own click."""
        spec = OrderSpec(symbol=symbol, exit=True, quantity=self.p.check_quantity(quantity))
        return await self.propose_order(spec, actor, "close")

    async def exit_for(
        self, symbol: str, actor: Actor, source: str, why: dict[str, object] | None = None
    ) -> Card:
        """An exit card for the whole position (the monitor's, an alert's button); `why`:
        the trigger behind it (its reason leads the card's notes, its numbers the facts)."""
        return await self._exit(OrderSpec(symbol=symbol, exit=True), actor, source, why)

    async def _exit(
        self, spec: OrderSpec, actor: Actor, source: str, why: dict[str, object] | None = None
    ) -> Card:
        """An exit card: it reduces the held position (never past flat), shows what it
        realises, and resizes the position's protective orders when it is executed."""
        if spec.stop or spec.target:
            raise BadInput(
                f"An exit has no stop or target of its own: say 'sell {spec.symbol}' alone, "
                f"or with a limit ('sell 10 {spec.symbol} at 190 limit')."
            )
        sym = spec.symbol
        pos = self.p.store.ledger.position(sym)
        if pos is None or pos.quantity == 0:
            raise BadInput(f"No open {sym} position to close.")
        side = Side.SELL if pos.quantity > 0 else Side.BUY
        q = await self.p.data.quote(sym, fresh=True)
        entry = spec.limit or q.price_for(side)
        try:
            qty, notes = shares(spec, "exit", entry, 0.0, pos.quantity)
        except OrderPlanError as e:
            raise BadInput(str(e)) from None
        assert qty is not None
        held = abs(pos.quantity)
        idea = TradeIdea(
            symbol=sym,
            side=side,
            entry=entry,
            stop=entry,
            target=entry,
            strategy="exit",
            confidence=1.0,
            facts={
                "bid": q.bid,
                "ask": q.ask,
                "last": q.last,
                "avg_price": round(pos.avg_price, 4),
                "held": pos.quantity,
            },
            summary=f"closing {qty:,} of {held:,} held at avg {pos.avg_price:.2f}",
        )
        decision = await self.p.risk.evaluate(sym, side, entry, None, qty, self.p.clock(), "exit")
        if not decision.approved:
            raise RiskRefused(decision.reason(), decision)
        gain = realizes(side, qty, entry, pos.avg_price)
        protected = bool(self.p.store.ledger.protective(sym))
        if why:
            said = why.get("reasons") or [why.get("reason")]
            notes[:0] = [str(r) for r in said if r] if isinstance(said, list) else []
        if qty < held:
            left = f"leaves {held - qty:,} {sym}"
            notes.append(f"{left}; its stop and target are resized to them" if protected else left)
        elif protected:
            notes.append("its working stop and target are cancelled with it")
        order = {
            "order_type": "limit" if spec.limit else "market",
            "limit_price": spec.limit,
            "time_in_force": spec.tif.value,
            "notes": notes,
            "realizes": gain,
            "requested": spec.model_dump(mode="json", exclude_none=True),
            "monitor": why,
        }
        preview = await self.p.preview(sym, side, qty)
        card = await self.p.create(
            idea, decision, q, actor, source, kind="exit", preview=preview, order=order
        )
        return await self.p.with_rationale(card, idea, decision, "exit")
