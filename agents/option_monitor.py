"""OptionMonitor: the monitor's option rules on every open strategy position (take profit at
50% of the max profit, a stop at 2x the credit, fewer than 7 days to expiry, a short strike
breached), each pass with the stock rules.

The rules are services/options/option_exits.py, with their hysteresis states stored beside
the stock rules' (position key "opt:<card id>"). Whatever fires on a position in one pass
raises ONE exit card closing every leg as one order (its reasons listed), never an order;
while that card is open, the position gets no other. Under 7 DTE with a short strike
threatened, a roll card (the same strategy on a later expiry) is raised beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from loguru import logger

from agents import events as ev
from agents.errors import CotraderError
from agents.monitor_views import Finding
from agents.option_book import MarkedGroup, OptionBook
from agents.option_proposals import OptionProposals
from agents.option_rolls import roll_card
from agents.results import Card
from models.domain import Actor, Mode
from models.monitor_types import RuleState
from models.store import Store
from services.options.book import OptionGroup
from services.options.option_exits import OptionExitConfig, OptionRule, OptionTrigger, evaluate

PREFIX = "opt:"
RULES = {r.value: r for r in OptionRule}


class OptionMonitor:
    def __init__(
        self,
        store: Store,
        book: OptionBook,
        ideas: OptionProposals,
        mode: Mode,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        cfg: OptionExitConfig | None = None,
    ) -> None:
        self.store = store
        self.book = book
        self.ideas = ideas
        self.mode = mode
        self.clock = clock
        self.publish = publish
        self.cfg = cfg or OptionExitConfig()

    async def run(self, actor: Actor) -> tuple[int, list[Finding]]:
        """One pass: (strategy positions checked, what fired)."""
        groups = self.book.groups()
        stored = self.store.monitor.rule_states()
        keys = {PREFIX + g.key for g in groups}
        gone = [k for k in stored if k.startswith(PREFIX) and k not in keys]
        if not groups:
            self.store.monitor.save_rule_states({}, gone)
            return 0, []
        marked = await self.book.marked(groups, fresh=True)
        now = self.clock()
        today = self.book.chains.now().date()
        changed: dict[str, dict[str, tuple[bool, float | None, datetime | None]]] = {}
        findings: list[Finding] = []
        for m in marked:
            if m.mark is None or m.spot is None or m.close_cost is None:
                continue
            key = PREFIX + m.group.key
            states = {RULES[r]: RuleState(*v) for r, v in stored.get(key, {}).items() if r in RULES}
            triggers, changes = evaluate(
                m.group.view(), m.spot, m.close_cost, today, now, self.cfg, states
            )
            if changes:
                changed[key] = {r.value: (s.armed, s.level, s.fired_at) for r, s in changes.items()}
            if triggers:
                findings += await self._act(m, triggers, actor)
        self.store.monitor.save_rule_states(changed, gone)
        return len(groups), findings

    def _open_exit(self, key: str, underlying: str) -> str | None:
        for pid in self.store.proposals.pending_like(underlying, "exit", exclude=""):
            p = self.store.proposals.get(pid)
            o = (p.facts or {}).get("option") if p is not None else None
            if isinstance(o, dict) and o.get("position") == key:
                return pid
        return None

    async def _act(
        self, m: MarkedGroup, triggers: tuple[OptionTrigger, ...], actor: Actor
    ) -> list[Finding]:
        g = m.group
        reason = "; ".join(t.reason for t in triggers)
        card: Card | None = None
        roll: Card | None = None
        note = ""
        if pid := self._open_exit(g.key, g.underlying):
            note = f"the exit card for this position is open already: {pid}"
        else:
            try:
                card = await self.ideas.exit_card(g, reason, actor, f"monitor:{triggers[0].rule}")
                if any(t.roll for t in triggers):
                    roll = await self._roll(g, reason, actor)
            except CotraderError as e:
                note = f"no card: {e}"
        ctx: dict[str, Any] = {
            "rules": [t.rule.value for t in triggers],
            "position": g.key,
            "symbol": g.underlying,
            "price": m.spot,
            "close_cost": m.close_cost,
            "pnl": round(triggers[0].pnl, 2),
            "dte": triggers[0].dte,
            "reason": reason,
            "roll_card": roll.id if roll else None,
            "note": note,
        }
        self.store.events.add(
            "monitor.trigger", actor.id, proposal_id=card.id if card else None, context=ctx
        )
        pnl_pct = triggers[0].pnl / g.max_loss * 100 if g.max_loss else 0.0
        out = []
        for t in triggers:
            out.append(
                Finding(
                    rule=t.rule.value,
                    action="exit",
                    symbol=g.underlying,
                    price=t.price,
                    level=round(t.close_cost, 4),
                    pnl_pct=round(pnl_pct, 4),
                    reason=t.reason,
                    quantity=g.contracts,
                    proposal_id=card.id if card else None,
                    note=note or (f"roll card {roll.id}" if roll else ""),
                )
            )
        if card is not None:
            await self.publish(
                ev.ExitSignal(
                    mode_label=self.mode.label,
                    rule=triggers[0].rule.value,
                    action="exit",
                    symbol=g.underlying,
                    price=m.spot or 0.0,
                    level=round(triggers[0].close_cost, 4),
                    pnl_pct=pnl_pct,
                    days_held=0.0,
                    reason=reason,
                    held=g.contracts,
                    proposal_id=card.id,
                    note=f"roll card {roll.id}" if roll else "",
                )
            )
        return out

    async def _roll(self, g: OptionGroup, reason: str, actor: Actor) -> Card | None:
        """The roll: one card closing `g` and opening the same strategy on a later expiry
        (its own click); when that cannot be one order (an iron condor's 8 legs), the new
        position's own card beside the exit card."""
        try:
            card = await roll_card(self.ideas, g, reason, actor, "monitor:roll")
            if card is not None:
                return card
            return await self.ideas.propose(g.underlying, g.strategy, None, actor, "monitor:roll")
        except CotraderError as e:
            logger.info("no roll card for {} {}: {}", g.underlying, g.strategy, e)
            return None


__all__ = ["OptionMonitor"]
