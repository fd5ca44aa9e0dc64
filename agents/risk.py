"""RiskAgent: gathers the book and the day's facts, runs services.risk, and keeps the desk's
risk state (ACTIVE / REDUCING / HALTED) in the system state.

The state is its own column (`risk_state`, with `risk_reason`); the kill switch sets HALTED
too. A person's own pause is `paused` (openings stop, exits pass). Escalation is written
here, on every evaluation and on `refresh`; only `resume` (a person, through the gate) moves
the state down. Its marks (the order the rejection count restarts after, the time the
drawdown peak was re-based) are a `risk.resumed` event, so they survive restarts.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from agents.data import DataAgent
from agents.errors import BadInput, ResumeRefused
from brokers.base import Broker
from models.config import RiskLimits
from models.domain import Account, Actor, Mode, RiskDecision, Side
from models.ledger_reads import BookedPosition
from models.options import OPTION_MULTIPLIER
from models.store import Store
from models.tables import AccountSnapshot, SystemState
from services import risk as engine
from services.pnl import Period, period_start
from services.risk import (
    DeskState,
    Holding,
    PortfolioView,
    RiskFacts,
    RiskInputError,
    RiskReport,
    RiskState,
    StrategyStats,
    Transition,
)

ACTOR = "agent:risk"
KELLY_LOOKBACK = timedelta(days=365)
VAR_BARS = 253  # a year of daily closes: 252 returns
PEAK_STEP = 1e-4  # record a new equity peak when it beats the last by 0.01%
_ROOT = re.compile(r"^[A-Z.]+")

TransitionFn = Callable[[Transition], Awaitable[None]]


def decode(st: SystemState) -> tuple[RiskState, str, bool]:
    """(the risk state, its reason, paused by a person) from the stored system state."""
    return RiskState(st.risk_state), st.risk_reason, st.paused


def desk_of(st: SystemState) -> DeskState:
    state, reason, paused = decode(st)
    if state is RiskState.ACTIVE and paused:
        reason = st.paused_reason
    return engine.desk_state(state, reason, paused)


class RiskAgent:
    def __init__(
        self, store: Store, broker: Broker, data: DataAgent, limits: RiskLimits, mode: Mode
    ) -> None:
        self.store = store
        self.broker = broker
        self.data = data
        self.limits = limits
        self.mode = mode
        # Told of every state change (the orchestrator alerts, and expires pending on HALTED).
        self.on_transition: TransitionFn | None = None
        self.sectors = {i.symbol: i.sector for i in data.market.universe() if i.sector}
        self._marks_key: object = None  # what the marks were read at (None: never)
        self._marks: dict[str, Any] = {}

    # ------------------------------------------------------------------ the facts
    async def portfolio(self, now: datetime, st: SystemState | None = None) -> PortfolioView:
        """The book marked to market, with the day's start, the peak, trades and rejections."""
        acct = await self.broker.account()
        start = self.day_start_equity(acct, now)
        marks = self._marks_for(st or self.store.state.get())
        since = period_start(now, Period.DAY)
        assert since is not None
        return PortfolioView(
            equity=acct.equity,
            cash=acct.cash,
            buying_power=acct.buying_power,
            day_start_equity=start,
            positions=await self._holdings(),
            sectors=self.sectors,
            peak_equity=self._peak(acct, now, marks.get("peak_since")),
            trades_today=self.store.ledger.entries_since(since),
            consecutive_rejections=self._rejections(int(marks.get("order_floor") or 0)),
        )

    def day_start_equity(self, acct: Account, now: datetime) -> float:
        """Equity at the first snapshot of the trading day (taking one if there is none)."""
        since = period_start(now, Period.DAY)
        assert since is not None
        snap = self.store.state.first_snapshot_since(since)
        if snap is None:
            self._snapshot(acct, now)
            return acct.equity
        return snap.equity

    def _snapshot(self, acct: Account, now: datetime) -> None:
        self.store.state.snapshot(
            AccountSnapshot(
                ts=now,
                broker=self.broker.name,
                account_id=acct.account_id,
                mode=self.mode.value,
                cash=acct.cash,
                equity=acct.equity,
                buying_power=acct.buying_power,
            )
        )

    def _peak(self, acct: Account, now: datetime, since_iso: str | None) -> float:
        """The equity high-water mark (since the last re-base), recording a new one."""
        since = datetime.fromisoformat(since_iso) if since_iso else None
        stored = self.store.state.peak_equity(since)
        if stored is None or acct.equity > stored * (1 + PEAK_STEP):
            self._snapshot(acct, now)
        return max(stored or 0.0, acct.equity)

    def _rejections(self, order_floor: int) -> int:
        """Broker rejections (or failed submits) in a row, newest first, since the resume."""
        n = 0
        # each entry may have two protective rows after it (skipped below)
        for o in self.store.ledger.orders(limit=3 * (self.limits.max_consecutive_rejections + 5)):
            if o.id is not None and o.id <= order_floor:
                break
            if o.status == "pending_submit" or o.role != "main":  # protective children aside
                continue
            if o.status not in ("rejected", "failed"):
                break
            n += 1
        return n

    def _marks_for(self, st: SystemState) -> dict[str, Any]:
        """The last resume's marks, re-read only when the system state changed."""
        key = (st.updated_at, st.updated_by) if st.updated_by else "no state yet"
        if key != self._marks_key:
            last = self.store.events.recent(1, "risk.resumed")
            self._marks = dict(last[0].context) if last else {}
            self._marks_key = key
        return self._marks

    async def _holdings(self) -> dict[str, Holding]:
        positions = self.store.ledger.positions()
        prices = await asyncio.gather(*(self._price(p) for p in positions))
        return {
            p.symbol: Holding(
                p.quantity * (OPTION_MULTIPLIER if p.asset_class == "option" else 1),
                px,
                p.stop_price,
                self._underlying(p),
            )
            for p, px in zip(positions, prices, strict=True)
        }

    async def _price(self, p: BookedPosition) -> float:
        if p.asset_class == "option":  # premium per share: the option book marks them
            return p.avg_price
        try:
            px = (await self.data.quote(p.symbol)).last
        except Exception:  # a missing quote must not hide the position from the limits
            return p.avg_price
        return px if math.isfinite(px) and px > 0 else p.avg_price

    @staticmethod
    def _underlying(p: BookedPosition) -> str | None:
        if p.asset_class != "option":
            return None
        m = _ROOT.match(p.symbol)
        return m.group(0) if m else None

    def strategy_stats(self, strategy: str, now: datetime) -> StrategyStats | None:
        """The strategy's closed trades of the last year (for Kelly sizing)."""
        if not strategy or not self.limits.kelly_enabled:
            return None
        trades = self.store.ledger.trades(closed_since=now - KELLY_LOOKBACK, status="closed")
        return StrategyStats.from_pnls(t.realized_pnl for t in trades if t.strategy == strategy)

    # ------------------------------------------------------------------ the state
    def engine_state(self) -> tuple[RiskState, str]:
        state, reason, _ = decode(self.store.state.get())
        return state, reason

    def desk(self) -> DeskState:
        return desk_of(self.store.state.get())

    async def refresh(self, now: datetime) -> Transition:
        """Look at the facts and escalate if a limit is crossed (the scheduler may call it)."""
        st = self.store.state.get()
        return await self._advance(await self.portfolio(now, st), st)

    async def _advance(self, pf: PortfolioView, st: SystemState) -> Transition:
        state, reason, paused = decode(st)
        t = engine.next_state(state, RiskFacts.of(pf, self.limits), self.limits, reason)
        if not t.changed:
            return t
        if t.state is not RiskState.HALTED and paused:
            # a person's pause already stops openings; REDUCING comes at the resume
            return Transition(state, state, reason, t.breaches)
        self.store.state.update(
            ACTOR, f"risk.{t.state.value}", t.reason, risk_state=t.state, risk_reason=t.reason
        )
        logger.warning("risk state {} -> {}: {}", t.previous, t.state, t.reason)
        if self.on_transition is not None:
            try:
                await self.on_transition(t)
            except Exception as e:  # an alert sink must never break trading
                logger.warning("risk transition sink failed: {}", e)
        return t

    async def resume(
        self, actor: Actor, reason: str, now: datetime, rebase_peak: bool = False
    ) -> Transition:
        """A person's resume (authorise them first): into ACTIVE, or REDUCING while a soft
        limit holds; ResumeRefused while a hard one does. Clears a person's pause too."""
        st = self.store.state.get()
        state, _, _ = decode(st)
        acct = await self.broker.account()
        pf = await self.portfolio(now, st)
        facts = RiskFacts.of(pf, self.limits)
        try:
            t = engine.resume(
                state, facts, self.limits, by=actor.name, why=reason, rebase_peak=rebase_peak
            )
        except engine.ResumeRefused as e:
            self.store.events.add("resume.refused", actor.id, context={"reason": e.reason})
            raise ResumeRefused(e.reason) from None
        last = self.store.ledger.orders(limit=1)
        prior = self._marks_for(st)
        if rebase_peak:
            self._snapshot(acct, now)
        self.store.events.add(
            "risk.resumed",
            actor.id,
            context={
                "at": now.isoformat(),
                "order_floor": (last[0].id or 0) if last else 0,
                "peak_since": now.isoformat() if rebase_peak else prior.get("peak_since"),
                "rebased_from": round(facts.peak_equity, 2) if rebase_peak else None,
                "state": t.state.value,
                "reason": reason,
            },
        )
        self.store.state.update(
            actor.id,
            "desk.resumed",
            t.reason,
            risk_state=t.state,
            risk_reason=t.reason if t.state is not RiskState.ACTIVE else "",
            paused=False,
            paused_reason="",
        )
        self._marks_key = None
        return t

    # ------------------------------------------------------------------ decisions
    async def evaluate(
        self,
        symbol: str,
        side: Side,
        entry: float,
        stop: float | None,
        quantity: int | None,
        now: datetime,
        kind: str = "entry",
        strategy: str = "",
    ) -> RiskDecision:
        """Every check on one proposal (sized when `quantity` is None, by Kelly when the
        strategy has enough closed trades); escalates the desk state first."""
        with self.store.reading():
            st = self.store.state.get()
            pf = await self.portfolio(now, st)
        t = await self._advance(pf, st)
        desk = self.desk() if t.changed else desk_of(st)
        sizing = quantity is None and kind != "exit"
        stats = self.strategy_stats(strategy, now) if sizing else None
        try:
            return engine.evaluate(
                symbol, side, entry, stop, quantity, pf, self.limits, desk, kind, stats
            )
        except RiskInputError as e:
            raise BadInput(f"Cannot check {symbol}: {e}.") from None

    # ------------------------------------------------------------------ /risk
    async def report(
        self,
        now: datetime,
        symbol: str | None = None,
        side: Side = Side.BUY,
        quantity: int = 0,
    ) -> RiskReport:
        """State, limit usage, 1-day VaR and correlation of the book; with a symbol and a
        quantity, also the book's risk before and after adding that trade."""
        st = self.store.state.get()
        pf = await self.portfolio(now, st)
        state, reason, paused = decode(st)
        values = {s: h.quantity * h.price for s, h in pf.positions.items() if h.quantity}
        wanted = sorted(set(values) | ({symbol} if symbol else set()))
        returns = dict(zip(wanted, await asyncio.gather(*map(self._returns, wanted)), strict=True))
        book = engine.portfolio_risk(values, returns, pf.equity)
        what = None
        if symbol and quantity > 0:
            px = (await self.data.quote(symbol)).price_for(side)
            what = engine.what_if(values, returns, pf.equity, symbol, side.sign * quantity * px)
        return engine.risk_report(pf, self.limits, state, reason, paused, book, what)

    async def _returns(self, symbol: str) -> list[float]:
        try:
            bars = await self.data.daily_bars(symbol, VAR_BARS)
            return engine.returns_from_closes(bars.close)
        except Exception as e:  # a symbol without history is listed as missing, not fatal
            logger.info("no returns for {}: {}", symbol, e)
            return []
