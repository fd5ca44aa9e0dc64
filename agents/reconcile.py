"""ReconcileAgent: syncs the venue's account and positions into the mirror and compares the
venue's positions and orders with our books. Every difference is reported (an event, an
alert, `/reconcile`); nothing in our books is overwritten here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from loguru import logger

from agents.events import Recovered
from brokers.base import BadDataLog, Broker, BrokerError
from models.domain import BrokerOrder, Mode
from models.store import Store
from models.tables import Order
from services.reconcile import ReconcileReport, book_orders, book_positions, reconcile

ACTOR = "agent:reconcile"
RESOLVE_WINDOW = timedelta(days=7)  # how far back unacknowledged orders are looked up


def broker_problems(broker: Broker) -> list[str]:
    """The venue data the adapter refused so far (none for an adapter that keeps no log)."""
    return broker.bad_data() if isinstance(broker, BadDataLog) else []


class ReconcileAgent:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        mode: Mode,
        clock: Callable[[], datetime],
        book: Callable[[BrokerOrder, str], tuple[Order, object]] | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.mode = mode
        self.clock = clock
        self.book = book  # books a venue's view of one of our orders (the execution agent)

    async def resolve(self, actor: str) -> list[Recovered]:
        """Orders we sent that our books hold as not working although the venue never
        acknowledged them (failed or unknown on a guess, from before this version or a lost
        reply): when the venue has them, book what it says. One event per order booked."""
        if self.book is None:
            return []
        found_all: list[Recovered] = []
        for row in self.store.ledger.unacknowledged(self.clock() - RESOLVE_WINDOW):
            try:
                found = await self.broker.order_by_client_id(row.client_order_id)
            except BrokerError as e:
                logger.warning("reconcile: look-up of {} failed: {}", row.client_order_id, e)
                continue
            if found is None:
                continue
            order, _ = self.book(found, actor)
            self.store.events.add(
                "reconcile.resolved",
                actor,
                proposal_id=order.proposal_id,
                order_id=order.client_order_id,
                context={"was": row.status, "now": order.status, "filled": order.filled_quantity},
            )
            found_all.append(
                Recovered(
                    mode_label=self.mode.label,
                    proposal_id=order.proposal_id,
                    client_order_id=order.client_order_id,
                    outcome=order.status,
                    symbol=order.symbol,
                    side=order.side,
                    quantity=order.quantity,
                    filled=order.filled_quantity,
                    avg_price=order.avg_fill_price,
                    reason=row.status,
                    by_reconciliation=True,
                )
            )
        return found_all

    async def run(self, actor: str) -> tuple[ReconcileReport, list[str]]:
        """Compare the venue with our books; (the report, venue data that was refused)."""
        seen = len(broker_problems(self.broker))
        acct = await self.broker.account()
        positions = await self.broker.positions()
        venue_orders = await self.broker.open_orders()
        ours = self.store.ledger.orders(open_only=True, limit=None)
        open_ids = {o.client_order_id for o in venue_orders}
        ours_ids = {o.client_order_id for o in ours}
        # our rows for orders the venue still works (maybe finished in our book)
        ours += [
            row
            for cid in sorted(open_ids - ours_ids)
            if (row := self.store.ledger.order(cid)) is not None
        ]
        extra: list[BrokerOrder] = []
        unasked: set[str] = set()
        for row in ours:
            if row.client_order_id in open_ids:
                continue
            try:  # finished at the venue since, or never there: ask by our id
                found = await self.broker.order_by_client_id(row.client_order_id)
            except BrokerError as e:
                logger.warning("reconcile: look-up of {} failed: {}", row.client_order_id, e)
                unasked.add(row.client_order_id)
                continue
            if found is not None:
                extra.append(found)
        ours = [o for o in ours if o.client_order_id not in unasked]
        self.store.brokers.sync(self.broker.name, self.mode.value, acct, positions, self.clock())
        report = reconcile(
            self.broker.name,
            positions,
            [*venue_orders, *extra],
            book_positions(self.store.ledger.positions()),
            book_orders(ours),
        )
        problems = broker_problems(self.broker)[seen:]
        problems += [f"order {cid}: the venue could not be asked; not compared" for cid in unasked]
        self.store.events.add(
            "reconcile.completed" if report.ok and not problems else "reconcile.discrepancies",
            actor,
            context={
                "account": acct.account_id,
                "report": report.model_dump(mode="json"),
                "bad_broker_data": problems,
            },
        )
        return report, problems
