"""Desk controls: pause, resume, the kill switch, risk state changes, /risk and /status."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from loguru import logger

from agents import events as ev
from agents.errors import BadInput, CotraderError
from agents.gate import Gate
from agents.killswitch import KillConfirmation
from agents.results import KillReport, OrderView, StatusView
from agents.risk import desk_of
from brokers.base import BrokerError
from models.domain import (
    KILL_PREFIX,
    Actor,
    Mode,
    OrderRequest,
    ProposalStatus,
    RiskState,
    Side,
)
from services.inputs import InputError, parse_side
from services.risk import RiskReport, Transition

if TYPE_CHECKING:
    from agents.approvals import ApprovalAgent
    from agents.data import DataAgent
    from agents.execution import ExecutionAgent
    from agents.llm.chain import LLMChain
    from agents.proposals import ProposalAgent
    from agents.risk import RiskAgent
    from agents.venue import VenueAgent
    from brokers.base import Broker, MarketData
    from models.store import Store


class ControlAgent:
    """The desk's controls: pause, resume, the kill switch (and its two-step confirmation),
    the risk engine's state changes, /risk and /status."""

    def __init__(
        self,
        store: Store,
        broker: Broker,
        market: MarketData,
        execution: ExecutionAgent,
        proposals: ProposalAgent,
        approvals: ApprovalAgent,
        risk: RiskAgent,
        data: DataAgent,
        venue: VenueAgent,
        gate: Gate,
        llm: LLMChain,
        llm_name: str,
        mode: Mode,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
    ) -> None:
        self.store = store
        self.broker = broker
        self.market = market
        self.execution = execution
        self.proposals = proposals
        self.approvals = approvals
        self.risk = risk
        self.data = data
        self.venue = venue
        self.gate = gate
        self.kills = KillConfirmation(store, gate, clock)
        self.llm = llm
        self.llm_name = llm_name
        # the kill switch's closing orders for option positions (set by the orchestrator)
        self.option_closes: Callable[[], Awaitable[list[OrderRequest]]] | None = None
        self.mode = mode
        self.clock = clock
        self.publish = publish

    def pause(self, actor: Actor, reason: str = "") -> None:
        self.gate.check(actor, "pause", "pause the desk")
        self.store.state.update(
            actor.id,
            "desk.paused",
            reason or "paused by " + actor.name,
            paused=True,
            paused_reason=reason or f"paused by {actor.name}",
        )

    async def resume(self, actor: Actor, reason: str = "", rebase_peak: bool = False) -> str:
        """Only a person with the approver right resumes; the reason is recorded. Lands in
        ACTIVE, or REDUCING while a soft limit holds; refused (ResumeRefused) while a hard
        limit such as the daily loss still holds. `rebase_peak` accepts a drawdown: the
        equity peak restarts from now. Returns the state and why."""
        self.gate.check(actor, "resume", "resume the desk")
        t = await self.risk.resume(actor, reason, self.clock(), rebase_peak=rebase_peak)
        await self.publish(
            ev.RiskStateChanged(
                mode_label=self.mode.label, state=t.state.value, reason=t.reason, by=actor.name
            )
        )
        return f"Desk {t.state.value.upper()}: {t.reason}"

    def request_kill(self, actor: Actor, flatten: bool) -> str:
        """The kill switch's first step (an approver asks): the nonce the confirmation
        carries. Nothing is done yet."""
        return self.kills.request(actor, flatten)

    def confirm_kill(self, actor: Actor, nonce: str) -> None:
        """The second step: only the asker, within two minutes, once (then `kill`)."""
        self.kills.confirm(actor, nonce)

    def cancel_kill(self, nonce: str) -> None:
        self.kills.cancel(nonce)

    async def kill(self, actor: Actor, flatten: bool = False) -> KillReport:
        """Cancel open orders, expire pending proposals, halt; flatten only when confirmed."""
        self.gate.check(actor, "kill", "use the kill switch")
        why = f"kill switch by {actor.name}"
        canceled = await self.execution.cancel_all(actor.id, why)
        canceled += self._close_unsent_approvals(actor, why)
        expired = [
            c.id
            for p in self.store.proposals.list([ProposalStatus.PENDING.value], None)
            if (c := self.proposals.expire(p.id, f"kill switch by {actor.name}"))
        ]
        self.store.state.update(
            actor.id, "desk.halted", why, risk_state=RiskState.HALTED, risk_reason=why
        )
        flat: list[OrderView] = []
        if flatten:
            for req in await self._option_closes():  # each strategy position: one order
                try:
                    flat.append(
                        OrderView.of(await self.execution.send(req, actor.id, self.clock()))
                    )
                except (CotraderError, BrokerError) as e:
                    logger.error("flatten {} options failed: {}", req.symbol, e)
            for pos in self.store.ledger.positions():
                if pos.asset_class == "option":
                    continue
                side = Side.SELL if pos.quantity > 0 else Side.BUY
                req = OrderRequest(
                    client_order_id=f"{KILL_PREFIX}{uuid.uuid4().hex[:12]}",
                    symbol=pos.symbol,
                    side=side,
                    quantity=abs(pos.quantity),
                )
                try:
                    flat.append(
                        OrderView.of(await self.execution.send(req, actor.id, self.clock()))
                    )
                except (CotraderError, BrokerError) as e:
                    logger.error("flatten {} failed: {}", pos.symbol, e)
        left = tuple(p.symbol for p in self.store.ledger.positions())
        self.store.events.add(
            "kill",
            actor.id,
            context={
                "canceled": canceled,
                "expired": expired,
                "flatten": flatten,
                "flatten_orders": [o.client_order_id for o in flat],
                "open_after": list(left),
            },
        )
        await self.publish(
            ev.KillSwitch(
                mode_label=self.mode.label,
                by=actor.name,
                canceled=tuple(canceled),
                expired=tuple(expired),
                flatten=flatten,
                flattened=len(flat),
            )
        )
        return KillReport(
            canceled_orders=tuple(canceled),
            expired_proposals=tuple(expired),
            flatten_orders=tuple(flat),
            open_positions=left,
            halted=True,
            flattened=flatten,
        )

    async def _option_closes(self) -> list[OrderRequest]:
        """The kill switch's orders closing each option strategy position (every leg as one
        order at the natural price), from the hook the orchestrator sets."""
        if self.option_closes is None:
            return []
        try:
            return await self.option_closes()
        except (CotraderError, BrokerError) as e:
            logger.error("flatten: no option closing orders: {}", e)
            return []

    def _close_unsent_approvals(self, actor: Actor, why: str) -> list[str]:
        """Approvals with no order yet that no desk is executing right now (interrupted by a
        crash): the kill switch closes them as failed, so none is sent later."""
        closed = []
        for p in self.store.proposals.approved():
            if p.id in self.approvals.inflight or self.store.ledger.order(p.id) is not None:
                continue
            done = self.approvals.refuse(
                p, actor.name, why, {}, actor.id, "proposal.failed", "not sent"
            )
            if done is not None:
                closed.append(p.id)
        return closed

    async def on_risk_transition(self, t: Transition) -> None:
        """A limit moved the desk to REDUCING or HALTED: tell the channel; on HALTED expire
        every pending proposal (exits included: they are re-proposed on demand)."""
        expired = []
        if t.state is RiskState.HALTED:
            expired = [
                c.id
                for p in self.store.proposals.list([ProposalStatus.PENDING.value], None)
                if (c := self.proposals.expire(p.id, f"desk halted: {t.reason}"))
            ]
        await self.publish(
            ev.RiskStateChanged(
                mode_label=self.mode.label,
                state=t.state.value,
                reason=t.reason,
                expired=tuple(expired),
            )
        )

    async def risk_report(
        self, symbol: str | None = None, side: str | Side = Side.BUY, quantity: object = None
    ) -> RiskReport:
        """`/risk`: state, limits, VaR and correlation; with a symbol and quantity, a what-if."""
        sym = self.data.normalise(symbol) if symbol else None
        try:
            sd = parse_side(side)
        except InputError as e:
            raise BadInput(str(e)) from None
        qty = self.proposals.check_quantity(quantity) or 0
        if sym and not qty:
            raise BadInput(f"Give a quantity for the what-if, e.g. /risk {sym} buy 10.")
        return await self.risk.report(self.clock(), sym, sd, qty)

    async def status(self) -> StatusView:
        st = self.store.state.get()
        desk = desk_of(st)
        acct = await self.broker.account()
        return StatusView(
            mode=self.mode.value,
            mode_label=self.mode.label,
            broker=self.broker.name,
            data=self.market.name,
            llm=self.llm_name,
            paused=st.paused,
            halted=st.halted,
            state=desk.label,
            reason=desk.reason,
            pending=self.store.proposals.count(ProposalStatus.PENDING.value),
            open_orders=self.store.ledger.count_open_orders(),
            positions=len(self.store.ledger.positions()),
            equity=acct.equity,
            market_open=self.market.is_open(),
            llm_usage=self.llm.usage(),
            notes=tuple(self.llm.health()) + self.venue.notes(),
        )
