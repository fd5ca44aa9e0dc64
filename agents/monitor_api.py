"""The orchestrator's monitor methods (a mixin: the orchestrator is the one API): a pass
now, people's alerts, stop-move cards and the exit card an alert's button opens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents import events as ev
from agents.alerts import AlertBook
from agents.errors import BadInput
from agents.monitor import MONITOR, MonitorAgent
from agents.monitor_views import AlertsView, AlertView, MonitorView
from agents.option_monitor import OptionMonitor
from agents.results import Card
from agents.stop_moves import StopMoves
from agents.symbol_stats import SymbolStats
from models.domain import Actor

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

JOB = "monitor"


class MonitorApi:
    """Mixed into Orchestrator; `_setup_monitor` is called from its constructor."""

    def _setup_monitor(self: Orchestrator) -> None:
        stats = SymbolStats(self.data)
        self.stop_moves = StopMoves(self.proposals, stats)
        self.monitor_agent = MonitorAgent(
            self.store,
            self.data,
            self.market,
            self.requests,
            self.stop_moves,
            stats,
            self.desk_cfg,
            self.mode,
            self.clock,
            self.publish,
        )
        self.alert_book = AlertBook(
            self.store, self.data, self.desk_cfg.max_alerts, self.clock, self.wake_monitor
        )
        self.option_monitor = OptionMonitor(
            self.store, self.option_book, self.option_ideas, self.mode, self.clock, self.publish
        )
        self.loop.every(JOB, self.desk_cfg.monitor_interval_s, self._monitor_tick)
        self.bus.subscribe(self._on_fill)

    async def _monitor_tick(self: Orchestrator) -> None:
        if self.monitor_agent.session_open():
            await self.monitor_agent.run()
            await self.option_monitor.run(MONITOR)

    async def _on_fill(self: Orchestrator, e: ev.DeskEvent) -> None:
        if isinstance(e, ev.OrderFilled | ev.Recovered):
            self.wake_monitor()

    def wake_monitor(self: Orchestrator) -> None:
        """Run a monitor pass at once on the desk loop (a price or fill event)."""
        if self.loop.running:
            self.loop.run_soon(JOB)

    async def monitor(self: Orchestrator, actor: Actor = MONITOR) -> MonitorView:
        """A monitor pass now: positions and alerts checked, and what it found."""
        view = await self.monitor_agent.run(actor)
        groups, found = await self.option_monitor.run(actor)
        if not groups:
            return view
        return view.model_copy(
            update={
                "positions": view.positions + groups,
                "findings": (*view.findings, *found),
            }
        )

    async def add_alert(
        self: Orchestrator, symbol: str, condition: str, level: object, actor: Actor
    ) -> AlertView:
        """Set a price (above/below PRICE, move PCT) or position (loss/gain PCT) alert; it
        fires once. BadInput (nothing stored) for a bad symbol, level or too many alerts."""
        return await self.alert_book.add(symbol, condition, level, actor)

    def alerts(self: Orchestrator) -> AlertsView:
        return self.alert_book.list()

    def remove_alert(self: Orchestrator, alert_id: str, actor: Actor) -> AlertView:
        return self.alert_book.remove(alert_id, actor)

    def rearm_alert(self: Orchestrator, alert_id: str, actor: Actor) -> AlertView:
        return self.alert_book.rearm(alert_id, actor)

    async def move_stop(
        self: Orchestrator,
        symbol: str,
        actor: Actor,
        *,
        price: float | None = None,
        trail_pct: float | None = None,
        trail_atr: float | None = None,
        breakeven: bool = False,
        source: str = "command",
    ) -> Card:
        """A stop-move card (kind "stop"); approved, it replaces the working stop at the
        venue. Exactly one of price, trail_pct, trail_atr, breakeven."""
        return await self.stop_moves.propose(
            symbol,
            actor,
            price=price,
            trail_pct=trail_pct,
            trail_atr=trail_atr,
            breakeven=breakeven,
            source=source,
        )

    async def exit_card(self: Orchestrator, symbol: str, actor: Actor) -> Card:
        """The open exit card for `symbol`, or a new one for the whole position (an alert's
        button): a proposal that waits for its own click, never an order."""
        sym = self.data.normalise(symbol)
        for pid in self.store.proposals.pending_like(sym, "exit", exclude=""):
            return self.proposals.card(pid)
        pos = self.store.ledger.position(sym)
        if pos is None or pos.quantity == 0:
            raise BadInput(f"No open {sym} position to close.")
        return await self.requests.exit_for(sym, actor, "alert", None)
