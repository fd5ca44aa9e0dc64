"""MonitorAgent: watches every open position and every armed alert, and proposes exits.

A pass (the desk loop every COTRADER_MONITOR_INTERVAL_S while the session is open, at once
after a fill, a `/sim shock` or a new alert, and on `/monitor`): one batch of quotes, the
exit rules and the alerts of the functional core (services/exit_rules, alert_rules) with
their stored states, then, for what fired:
- an alert: stored as fired (once, in any process) and published (`alert.price`);
- an exit rule: an exit card (or a stop card for trailing/breakeven) with the reason and
  the numbers, published (`alert.exit`). One open card per position and reason: a second
  trigger for the same reason while its card is pending raises nothing; another reason
  supersedes the older card (which front ends edit) and carries its reasons along.
The monitor never sends an order: every card waits for a person's click.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from agents import events as ev
from agents.alerts import view as alert_view
from agents.data import DataAgent
from agents.errors import CotraderError
from agents.monitor_views import Finding, MonitorView
from agents.results import Card
from agents.stop_moves import StopMoves, position_key
from agents.symbol_stats import SymbolStats
from agents.trade_requests import TradeRequests
from brokers.base import BrokerError, MarketData
from models.config import DeskConfig
from models.domain import Actor, Mode, Quote
from models.ledger_reads import BookedPosition
from models.monitor_types import (
    AlertCondition,
    AlertRule,
    PositionView,
    RuleName,
    RuleState,
    Trigger,
    TriggerKind,
)
from models.store import Store
from services.alert_rules import check_alerts
from services.exit_rules import evaluate_book

MONITOR = Actor.system("monitor")
DAY_TRADE_STRATEGIES = frozenset({"day", "day_trade", "intraday", "scalp", "orb"})
CLOSING_MINUTES = 10  # a day trade's exit is proposed this long before the close
MARKS_FLUSH_S = 10.0  # the extremes since entry are written at most this often

Publish = Callable[[ev.DeskEvent], Awaitable[None]]
StateMap = dict[str, dict[RuleName, RuleState]]


def _states(raw: dict[str, dict[str, tuple[bool, float | None, datetime | None]]]) -> StateMap:
    out: StateMap = {}
    for pos, rules in raw.items():
        for rule, (armed, level, fired_at) in rules.items():
            try:
                out.setdefault(pos, {})[RuleName(rule)] = RuleState(armed, level, fired_at)
            except ValueError:
                continue  # a rule this version does not know
    return out


def _changed(old: StateMap, new: dict[str, Any]) -> dict[str, dict[str, tuple[Any, ...]]]:
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for pos, rules in new.items():
        for rule, st in rules.items():
            if old.get(pos, {}).get(rule) != st:
                out.setdefault(pos, {})[rule.value] = (st.armed, st.level, st.fired_at)
    return out


def _valid(q: Quote) -> bool:
    return q.bid > 0 and q.ask >= q.bid and q.last > 0 and math.isfinite(q.last)


class MonitorAgent:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        market: MarketData,
        requests: TradeRequests,
        stops: StopMoves,
        stats: SymbolStats,
        cfg: DeskConfig,
        mode: Mode,
        clock: Callable[[], datetime],
        publish: Publish,
    ) -> None:
        self.store = store
        self.data = data
        self.market = market
        self.requests = requests
        self.stops = stops
        self.stats = stats
        self.cfg = cfg
        self.mode = mode
        self.clock = clock
        self.publish = publish
        self._lock = asyncio.Lock()
        self._calendar: Any = None
        # read once, then kept here: the extremes since entry (this process writes them)
        self._marks: dict[str, tuple[float, float]] | None = None
        self._unsaved: dict[str, tuple[str, float, float]] = {}  # extremes not yet written
        self._saved: set[str] = set()  # positions whose extremes are in the store
        self._flushed = 0.0  # time.monotonic() of the last write
        self._alerts: tuple[object, list[AlertRule]] | None = None

    def _armed(self) -> list[AlertRule]:
        """The armed alerts as rules, re-read only when some alert changed (any process)."""
        v = self.store.monitor.version()
        if self._alerts is None or self._alerts[0] != v:
            rows = self.store.monitor.armed()
            rules = [AlertRule(i, sym, AlertCondition(c), lv) for i, sym, c, lv in rows]
            self._alerts = (v, rules)
        return self._alerts[1]

    # ------------------------------------------------------------------ the session
    def session_open(self) -> bool:
        """Whether the interval pass should run (the simulator's session is always open)."""
        try:
            return bool(self.market.is_open(self.clock()))
        except Exception:  # a venue's clock that cannot answer: watch anyway
            return True

    def _closing(self, now: datetime) -> bool:
        """The regular session ends within CLOSING_MINUTES (never for the simulator)."""
        if getattr(self.market, "simulated", False):
            return False
        if self._calendar is None:
            from services.market_calendar import MarketCalendar

            self._calendar = MarketCalendar()
        try:
            s = self._calendar.session(now.date())
        except Exception:
            return False
        return s is not None and s.close - timedelta(minutes=CLOSING_MINUTES) <= now < s.close

    # ------------------------------------------------------------------ a pass
    async def run(self, actor: Actor = MONITOR) -> MonitorView:
        """One pass (passes in this process take turns)."""
        async with self._lock:
            return await self._pass(actor)

    async def _pass(self, actor: Actor) -> MonitorView:
        t0 = time.perf_counter()
        now = self.clock()
        with self.store.reading():  # one snapshot, one transaction for the pass's reads
            positions = [
                p
                for p in self.store.ledger.positions()
                if p.quantity and p.asset_class != "option"  # options: option_monitor.py
            ]
            alerts = self._armed()
            working = self._working()
            old = _states(self.store.monitor.rule_states())
        syms = sorted({p.symbol for p in positions} | {a.symbol for a in alerts})
        prices = await self._prices(syms)
        stats = {}
        need = {p.symbol for p in positions} | {
            a.symbol for a in alerts if a.condition is AlertCondition.MOVE
        }
        for s in sorted(need & prices.keys()):
            stats[s] = await self.stats.get(s)
        if self._marks is None:
            self._marks = self.store.monitor.marks()
            self._saved = set(self._marks)
        stored = self._marks
        views, marks = self._views(positions, prices, stats, stored, working)
        triggers, new = evaluate_book(
            views.values(),
            prices,
            now,
            self.cfg.exit_rules,
            old,
            session_closing=self._closing(now),
        )
        keep = {v.key for v in views.values()}
        self.store.monitor.save_rule_states(  # option positions' states: option_monitor.py
            _changed(old, new), [k for k in old if k not in keep and not k.startswith("opt:")]
        )
        gone = [k for k in stored if k not in keep]
        for k in gone:
            stored.pop(k, None)
            self._unsaved.pop(k, None)
        stored.update({k: (hi, lo) for k, (_, hi, lo) in marks.items()})
        self._unsaved.update(marks)
        self._save_marks(gone, now, force=bool(triggers))
        prev = {s: st.prev_close for s, st in stats.items() if st.prev_close}
        hits = check_alerts(alerts, prices, prev, views, frozenset())
        found: list[Finding] = []
        for h in hits:
            f = await self._fire_alert(h.rule_id, h.observed, h.reason, prices, views, now)
            if f is not None:
                found.append(f)
        for t in triggers:
            found.append(await self._act(t, views[t.symbol], actor))
        ms = (time.perf_counter() - t0) * 1000
        return MonitorView(
            mode_label=self.mode.label,
            at=now,
            positions=len(positions),
            alerts=len(alerts),
            priced=len(prices),
            findings=tuple(found),
            ms=round(ms, 3),
        )

    async def _prices(self, symbols: list[str]) -> dict[str, float]:
        if not symbols:
            return {}
        try:
            quotes = await self.market.quotes(symbols)
        except BrokerError as e:
            logger.warning("monitor: no quotes this pass: {}", e)
            return {}
        return {s: q.last for s, q in quotes.items() if _valid(q)}

    def _save_marks(self, gone: list[str], now: datetime, force: bool) -> None:
        """Write the extremes that moved: at once for a new or closed position or when a rule
        fired (a stop card reads them), else at most every MARKS_FLUSH_S (a restart loses at
        most that much of a high, which only makes a trail start lower)."""
        due = time.monotonic() - self._flushed >= MARKS_FLUSH_S
        new = self._unsaved.keys() - self._saved
        if not (gone or new or force or (due and self._unsaved)):
            return
        self.store.monitor.save_marks(self._unsaved, gone, now, new=new)
        self._saved = (self._saved | new) - set(gone)
        self._unsaved = {}
        self._flushed = time.monotonic()

    def _working(self) -> dict[str, dict[str, Any]]:
        """The protective orders working at the venue: {symbol: {"stop"|"target": row}}."""
        working: dict[str, dict[str, Any]] = {}
        for o in self.store.ledger.orders(open_only=True, limit=None):
            if o.role in ("stop", "target") and o.status in ("new", "partially_filled"):
                working.setdefault(o.symbol, {})[o.role] = o
        return working

    def _views(
        self,
        positions: list[BookedPosition],
        prices: dict[str, float],
        stats: dict[str, Any],
        stored: dict[str, tuple[float, float]],
        working: dict[str, dict[str, Any]],
    ) -> tuple[dict[str, PositionView], dict[str, tuple[str, float, float]]]:
        """Each position as the exit rules see it (by symbol), and its extremes that moved
        (or are new)."""
        views: dict[str, PositionView] = {}
        marks: dict[str, tuple[str, float, float]] = {}
        for p in positions:
            key = position_key(p)
            px = prices.get(p.symbol)
            was = stored.get(key)
            hi, lo = was or (p.avg_price, p.avg_price)
            if px is not None:
                hi, lo = max(hi, px), min(lo, px)
                if was != (hi, lo):
                    marks[key] = (p.symbol, hi, lo)
            w = working.get(p.symbol, {})
            stop_row, target_row = w.get("stop"), w.get("target")
            st = stats.get(p.symbol)
            views[p.symbol] = PositionView(
                symbol=p.symbol,
                quantity=p.quantity,
                avg_price=p.avg_price,
                entry_time=p.opened_at,
                stop=stop_row.stop_price if stop_row is not None else p.stop_price,
                target=target_row.limit_price if target_row is not None else p.target_price,
                stop_working=stop_row is not None,
                target_working=target_row is not None,
                strategy=p.strategy or None,
                day_trade=p.strategy in DAY_TRADE_STRATEGIES,
                high=hi,
                low=lo,
                atr=st.atr if st is not None else None,
                initial_stop=p.stop_price,
                id=key,
            )
        return views, marks

    # ------------------------------------------------------------------ acting
    async def _fire_alert(
        self,
        alert_id: str,
        observed: float,
        reason: str,
        prices: dict[str, float],
        views: dict[str, PositionView],
        now: datetime,
    ) -> Finding | None:
        row = self.store.monitor.fire(alert_id, observed, reason, now, MONITOR.id)
        if row is None:  # another process fired it first
            return None
        a = alert_view(row)
        pos = views.get(a.symbol)
        price = prices[a.symbol]
        await self.publish(
            ev.PriceAlert(
                mode_label=self.mode.label,
                alert_id=a.id,
                symbol=a.symbol,
                condition=a.condition,
                level=a.level,
                observed=observed,
                reason=reason,
                price=price,
                held=pos.quantity if pos else 0,
                pnl_pct=round(pos.pnl_pct(price), 4) if pos else None,
            )
        )
        return Finding(
            rule="alert",
            action="alert",
            symbol=a.symbol,
            price=price,
            level=a.level,
            reason=reason,
            alert_id=a.id,
            pnl_pct=round(pos.pnl_pct(price), 4) if pos else None,
        )

    async def _act(self, t: Trigger, pos: PositionView, actor: Actor) -> Finding:
        """The card a trigger asks for (none for an alert), published as `alert.exit`."""
        why: dict[str, object] = {
            "rule": t.rule.value,
            "reason": t.reason,
            "price": t.price,
            "level": t.level,
            "pnl_pct": round(t.pnl_pct, 4),
            "r_multiple": None if t.r_multiple is None else round(t.r_multiple, 4),
            "days_held": round(t.days_held, 4),
        }
        card: Card | None = None
        note = ""
        told = True  # an exit whose card is open already is not told again
        try:
            if t.kind is TriggerKind.EXIT:
                card, note = await self._exit_card(t, why)
                told = card is not None
            elif t.kind is TriggerKind.STOP_MOVE and t.new_stop is not None:
                card = await self.stops.propose(
                    t.symbol, MONITOR, price=t.new_stop, source=f"monitor:{t.rule}", why=why
                )
        except CotraderError as e:
            note = f"no card: {e}"
        self.store.events.add(
            "monitor.trigger",
            actor.id,
            proposal_id=card.id if card else None,
            context={**why, "action": t.kind.value, "symbol": t.symbol, "note": note},
        )
        f = Finding(
            rule=t.rule.value,
            action=t.kind.value,
            symbol=t.symbol,
            price=t.price,
            level=t.level,
            pnl_pct=round(t.pnl_pct, 4),
            r_multiple=None if t.r_multiple is None else round(t.r_multiple, 4),
            days_held=round(t.days_held, 4),
            reason=t.reason,
            quantity=t.quantity,
            new_stop=t.new_stop,
            proposal_id=card.id if card else None,
            note=note,
        )
        if not told:
            return f
        shared = f.model_dump(include={"rule", "action", "symbol", "price", "level", "reason"})
        await self.publish(
            ev.ExitSignal(
                **shared,
                mode_label=self.mode.label,
                pnl_pct=t.pnl_pct,
                r_multiple=t.r_multiple,
                days_held=t.days_held,
                held=pos.quantity,
                new_stop=f.new_stop,
                proposal_id=f.proposal_id,
                note=note,
            )
        )
        return f

    async def _exit_card(self, t: Trigger, why: dict[str, object]) -> tuple[Card | None, str]:
        """One open exit card per position and reason: (the new card, or None and why)."""
        reasons: list[str] = []
        for pid in self.store.proposals.pending_like(t.symbol, "exit", exclude=""):
            p = self.store.proposals.get(pid)
            if p is not None and (p.facts or {}).get("option"):
                continue  # an option position's exit: not this stock position's
            mon = (p.facts or {}).get("monitor") if p is not None else None
            if not isinstance(mon, dict):
                return None, f"an exit card is open already: {pid}"  # a person's own
            if mon.get("rule") == t.rule.value:
                return None, f"the exit card for this is open already: {pid}"
            reasons += [str(r) for r in mon.get("reasons", [mon.get("reason", "")]) if r]
        why["reasons"] = [t.reason, *(r for r in reasons if r != t.reason)]
        card = await self.requests.exit_for(t.symbol, MONITOR, f"monitor:{t.rule}", why)
        return card, ""
