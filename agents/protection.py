"""A position's protective orders at the venue (the stop and target approved with its
entry), and what an approved exit does to them in the same step: lift them before the exit
is sent, and put back a pair sized to what the exit leaves, so a position never has more
protective shares working than it holds. Also a person's cancel of one working order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loguru import logger

from agents.errors import BadInput, ExecutionFailed
from agents.execution import ExecutionAgent
from agents.protective_rows import child_rows
from brokers.base import Broker, BrokerError
from models.domain import (
    BOOK_OPEN_STATUSES,
    PENDING_SUBMIT,
    BrokerOrder,
    OrderRequest,
    OrderRole,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    child_client_id,
)
from models.store import Store
from models.tables import Order


@dataclass(frozen=True, slots=True)
class Levels:
    """The protective prices a position had when they were lifted."""

    stop: float | None
    target: float | None


class LiftFailed(ExecutionFailed):
    """A protective order could not be cancelled; `levels`: those already lifted."""

    def __init__(self, message: str, levels: Levels | None) -> None:
        super().__init__(message)
        self.levels = levels


class Protection:
    def __init__(self, store: Store, broker: Broker, execution: ExecutionAgent) -> None:
        self.store = store
        self.broker = broker
        self.execution = execution

    async def lift(self, proposal_id: str, symbol: str, actor: str) -> Levels | None:
        """Cancel the position's protective orders at the venue (None: it had none). When
        one cannot be cancelled, LiftFailed says so, with the levels when some were
        cancelled already (the caller puts them back)."""
        rows = self.store.ledger.protective(symbol)
        if not rows:
            return None
        stop = next((r.stop_price for r in rows if r.role == OrderRole.STOP.value), None)
        target = next((r.limit_price for r in rows if r.role == OrderRole.TARGET.value), None)
        levels = Levels(stop, target)
        pos = self.store.ledger.position(symbol)
        self.store.events.add(  # until "protection.restored", recovery owes the position this
            "protection.lifted",
            actor,
            proposal_id=proposal_id,
            context={
                "symbol": symbol,
                "stop": stop,
                "target": target,
                "held": pos.quantity if pos else 0,
                "orders": [r.client_order_id for r in rows],
            },
        )
        for i, r in enumerate(rows):
            bo = await self.execution.cancel_at_venue(r.client_order_id)
            if bo is None:
                raise LiftFailed(
                    f"Could not lift the protective {r.role} of {symbol} "
                    f"({r.client_order_id}); the exit was not sent.",
                    levels if i else None,
                )
            self.execution.apply(bo, actor)
        return levels

    async def restore(
        self,
        proposal_id: str,
        symbol: str,
        held: int,
        levels: Levels,
        actor: str,
        now: datetime,
    ) -> list[Order]:
        """Put a protective pair back for `held` shares (signed: what the position holds
        after the exit) at the lifted prices; its client ids start with the exit's id."""
        if held == 0 or levels.stop is None or levels.target is None:
            self._restored(proposal_id, actor, 0, [])
            return []
        side = Side.SELL if held > 0 else Side.BUY
        parent = f"{proposal_id}-oco"
        req = OrderRequest(
            client_order_id=parent,
            symbol=symbol,
            side=side,
            quantity=abs(held),
            take_profit=levels.target,
            stop_loss=levels.stop,
            time_in_force=TimeInForce.GTC,
            oco=True,
        )
        legs = [
            self._leg(req, OrderRole.STOP, now),
            self._leg(req, OrderRole.TARGET, now),
        ]
        made = child_rows(self.store, self.broker.name, legs, proposal_id, actor, PENDING_SUBMIT)
        rows = [row for row, _ in made.values()]
        try:
            bo = await self.broker.submit(req)
        except BrokerError as e:
            logger.error("protective pair {} for {} not placed: {}", parent, symbol, e)
            for r in rows:
                self.execution.never_sent(r, f"protective pair not placed: {e}", actor)
            self._restored(proposal_id, actor, 0, [], str(e))
            return []
        for leg in bo.legs:
            self.execution.apply(leg, actor)
        placed = [r for r in (self.store.ledger.order(r.client_order_id) for r in rows) if r]
        self._restored(proposal_id, actor, abs(held), [r.client_order_id for r in placed])
        return placed

    def _restored(
        self, proposal_id: str, actor: str, quantity: int, ids: list[str], error: str = ""
    ) -> None:
        self.store.events.add(
            "protection.restored",
            actor,
            proposal_id=proposal_id,
            context={"quantity": quantity, "orders": ids, **({"error": error} if error else {})},
        )

    async def settle(self, busy: set[str], actor: str, now: datetime) -> list[str]:
        """Put back the protection an exit lifted and never restored (its desk died between
        the two steps), once that exit is no longer being executed: sized to what the
        position holds, less what a still-working exit will sell. Returns those exits' ids."""
        done: list[str] = []
        for e in self.store.events.unanswered("protection.lifted", "protection.restored"):
            pid = e.proposal_id
            p = self.store.proposals.get(pid) if pid else None
            if p is None or pid in busy or p.status in ("pending", "approved"):
                continue
            sym = str(e.context["symbol"])
            pos = self.store.ledger.position(sym)
            held = pos.quantity if pos else 0
            order = self.store.ledger.order(p.id)
            if order is not None and order.status in BOOK_OPEN_STATUSES and held:
                working = max(0, order.quantity - order.filled_quantity)
                held = held - working if held > 0 else held + working
            levels = Levels(e.context.get("stop"), e.context.get("target"))  # type: ignore[arg-type]
            await self.restore(p.id, sym, held, levels, actor, now)
            done.append(p.id)
        return done

    @staticmethod
    def _leg(req: OrderRequest, role: OrderRole, now: datetime) -> BrokerOrder:
        stop = role is OrderRole.STOP
        return BrokerOrder(
            broker_order_id="",
            client_order_id=child_client_id(req.client_order_id, role),
            symbol=req.symbol,
            side=req.side,
            quantity=req.quantity,
            order_type=OrderType.STOP if stop else OrderType.LIMIT,
            limit_price=None if stop else req.take_profit,
            stop_price=req.stop_loss if stop else None,
            status=OrderStatus.NEW,
            filled_quantity=0,
            avg_fill_price=None,
            submitted_at=now,
        )

    async def cancel(self, order_id: str, actor: str) -> Order:
        """A person's cancel of one working order (it reduces risk: no proposal needed)."""
        cid = (order_id or "").strip()
        row = self.store.ledger.order(cid)
        if row is None:
            raise BadInput(f"No order {cid[:40]!r}; /orders open lists the working ones.")
        if row.status not in BOOK_OPEN_STATUSES or row.status == PENDING_SUBMIT:
            raise BadInput(f"Order {cid} is {row.status}; only a working order can be cancelled.")
        bo = await self.execution.cancel_at_venue(cid)
        if bo is None:
            raise ExecutionFailed(f"The venue did not cancel {cid}; it may still be working.")
        return self.execution.apply(bo, actor)
