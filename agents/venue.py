"""The venue side of the desk: the start-up check, the order stream, reconciliation, and the
broker's dry run of a proposal."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loguru import logger

from agents import events as ev
from agents.errors import RiskRefused, StartupRefused
from agents.order_feed import OrderFeed
from agents.reconcile import ReconcileAgent
from agents.results import ReconcileView
from brokers.base import (
    BrokerError,
    OrderPreviewer,
    OrderRejectedError,
    OrderStream,
    UnknownSymbolError,
)
from models.domain import Actor, Mode, OrderRequest, Side

if TYPE_CHECKING:
    from agents.execution import ExecutionAgent
    from brokers.base import Broker
    from models.store import Store


class VenueAgent:
    """The venue side of the desk: the start-up check, the order stream (booked by the
    order feed), reconciliation, and the broker's dry run of a proposal."""

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
        self.reconciler = ReconcileAgent(store, broker, mode, clock, book=execution.book)
        self.feed = OrderFeed(store, execution, publish, mode)
        self.stream: OrderStream | None = None
        self._stream_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def check(self) -> None:
        """The venue answers with these credentials, or StartupRefused (nothing started)."""
        try:
            acct = await self.broker.account()
        except BrokerError as e:
            raise StartupRefused(
                f"{self.mode.label} {self.broker.name}: the account could not be read ({e}); "
                "check the credentials and the endpoint"
            ) from None
        logger.info("{} account {} reachable", self.broker.name, acct.account_id[-4:])

    def open_stream(self) -> None:
        factory = getattr(self.broker, "order_stream", None)
        if not callable(factory) or self._stream_task is not None:
            return
        stream = factory()
        if not isinstance(stream, OrderStream):
            return
        self.stream = stream
        self._stream_task = asyncio.create_task(self._run_stream(stream), name="order-stream")

    async def _run_stream(self, stream: OrderStream) -> None:
        try:
            await stream.run(self.feed.on_order)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the stream is a speed-up: polling still books every fill
            logger.error("order stream stopped: {}", e)
            await self.publish(
                ev.StreamStopped(mode_label=self.mode.label, venue=self.broker.name, error=str(e))
            )

    async def close(self) -> None:
        """Close the order stream and an async venue's connections (a synchronous venue is
        closed with the app, by `App.close`)."""
        task, self._stream_task = self._stream_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        close = getattr(self.broker, "close", None)
        if inspect.iscoroutinefunction(close):
            try:
                await close()
            except Exception as e:  # leaving must never fail
                logger.warning("closing {} failed: {}", self.broker.name, e)

    def notes(self) -> tuple[str, ...]:
        """The line /status shows about the order stream (none for a venue without one)."""
        s = self.stream
        if s is None:
            return ()
        state = "connected" if s.connected else "reconnecting (fills polled every 15 s)"
        return (f"order stream {state}, {s.drops} drops, {self.feed.booked} updates booked",)

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self, actor: Actor) -> ReconcileView:
        """Compare the venue with our books and report every difference (never overwrite)."""
        try:
            for found in await self.reconciler.resolve(actor.id):
                await self.publish(found)
            report, problems = await self.reconciler.run(actor.id)
        except BrokerError as e:
            self.store.events.add("reconcile.failed", actor.id, context={"error": str(e)})
            await self.publish(ev.Reconciled(mode_label=self.mode.label, failed=str(e)))
            raise
        view = ReconcileView.of(report, problems, self.mode.label, self.clock())
        if not view.ok:
            await self.publish(ev.Reconciled(mode_label=self.mode.label, view=view))
        return view

    # ------------------------------------------------------------------ dry run
    async def preview(self, symbol: str, side: Side, quantity: int) -> dict[str, Any] | None:
        """The venue's dry run of the order a card would send: buying-power effect and fees
        (None when the venue has none). A venue refusal refuses the proposal."""
        if not isinstance(self.broker, OrderPreviewer) or quantity <= 0:
            return None
        req = OrderRequest(
            client_order_id=f"dry-{uuid.uuid4().hex[:12]}",
            symbol=symbol,
            side=side,
            quantity=quantity,
        )
        try:
            p = await self.broker.dry_run(req)
        except (OrderRejectedError, UnknownSymbolError) as e:
            raise RiskRefused(f"{self.broker.name} would refuse this order (dry run): {e}") from e
        except BrokerError as e:
            logger.warning("dry run of {} {} failed: {}", side.value, symbol, e)
            return {"error": f"dry run unavailable: {e}"}
        return p.model_dump(mode="json")
