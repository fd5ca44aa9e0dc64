"""OptionExpiryAgent: books the venue's settlement of expired contracts (the simulator's
OptionExpiry capability) on the desk loop, and says what happened to each.

Each settlement is a filled order at the venue ("EXP-<OCC>", and "EXP-<OCC>-S" for the
shares an assignment or exercise moves); it is added to our books and booked like any
order, once (by its client id and fill ids), so a crash between the venue's settlement
and our booking is caught up on the next pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from agents import events as ev
from agents.execution import ExecutionAgent
from brokers.base import Broker, BrokerError, OptionExpiry
from models.domain import Actor, BrokerOrder, Mode
from models.options import parse_occ
from models.store import Store
from models.tables import Order

EXPIRY = Actor.system("option-expiry")


class OptionExpiryAgent:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        execution: ExecutionAgent,
        mode: Mode,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
    ) -> None:
        self.store = store
        self.broker = broker
        self.execution = execution
        self.mode = mode
        self.clock = clock
        self.publish = publish

    async def run(self, now: datetime | None = None) -> list[ev.OptionSettled]:
        """Settle what expired by `now` (default: the desk's clock), book what is not
        booked yet, and tell each once."""
        if not isinstance(self.broker, OptionExpiry):
            return []
        try:
            orders = await self.broker.settle_expired(now or self.clock())
        except BrokerError:
            return []
        told = []
        for bo in sorted(orders, key=lambda o: o.client_order_id):
            row = self.store.ledger.order(bo.client_order_id)
            if row is not None and row.status == bo.status.value:
                continue  # booked on an earlier pass
            if row is None:
                self.store.ledger.add_order(self._row(bo), EXPIRY.id, {"reason": bo.reason})
            self.execution.apply(bo, EXPIRY.id)
            if bo.option_legs:
                told.append(self._event(bo, orders))
        for e in told:
            self.store.events.add(
                f"option.{e.fate.split()[0]}", EXPIRY.id, context=e.model_dump(mode="json")
            )
            await self.publish(e)
        return told

    def _row(self, bo: BrokerOrder) -> Order:
        return Order(
            client_order_id=bo.client_order_id,
            broker_order_id=bo.broker_order_id,
            broker=self.broker.name,
            symbol=bo.symbol,
            side=bo.side.value,
            quantity=bo.quantity,
            order_type=bo.order_type.value,
            limit_price=bo.limit_price,
            status="new",
            submitted_at=bo.submitted_at,
            updated_at=bo.submitted_at,
        )

    def _event(self, bo: BrokerOrder, orders: list[BrokerOrder]) -> ev.OptionSettled:
        leg = bo.option_legs[0]
        occ = parse_occ(leg.symbol)
        shares = next((o for o in orders if o.client_order_id == bo.client_order_id + "-S"), None)
        held = leg.filled_quantity if leg.side.value == "sell" else -leg.filled_quantity
        moved = 0
        if shares is not None:
            moved = shares.filled_quantity * (1 if shares.side.value == "buy" else -1)
        return ev.OptionSettled(
            mode_label=self.mode.label,
            symbol=leg.symbol,
            underlying=occ.root,
            fate=bo.reason or "expired worthless",
            contracts=held,
            strike=occ.strike,
            shares=moved or 0,
        )


__all__ = ["EXPIRY", "OptionExpiryAgent"]
