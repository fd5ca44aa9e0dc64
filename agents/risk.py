"""RiskAgent: assembles the portfolio as the risk engine sees it and runs services.risk."""

from __future__ import annotations

from datetime import datetime

from agents.data import DataAgent
from brokers.base import Broker
from models.config import RiskLimits
from models.domain import Account, Mode, RiskDecision, Side
from models.store import Store
from models.tables import AccountSnapshot
from services.pnl import Period, period_start
from services.risk import DeskState, PortfolioView, evaluate_entry, evaluate_exit, is_reducing


class RiskAgent:
    def __init__(
        self, store: Store, broker: Broker, data: DataAgent, limits: RiskLimits, mode: Mode
    ) -> None:
        self.store = store
        self.broker = broker
        self.data = data
        self.limits = limits
        self.mode = mode

    async def portfolio(self, now: datetime) -> PortfolioView:
        acct = await self.broker.account()
        start = self.day_start_equity(acct, now)
        positions: dict[str, tuple[int, float]] = {}
        for p in self.store.ledger.positions():
            try:
                px = (await self.data.quote(p.symbol)).last
            except Exception:  # a missing quote must not hide the position from the limits
                px = p.avg_price
            positions[p.symbol] = (p.quantity, px)
        return PortfolioView(
            equity=acct.equity,
            cash=acct.cash,
            buying_power=acct.buying_power,
            day_start_equity=start,
            positions=positions,
        )

    def day_start_equity(self, acct: Account, now: datetime) -> float:
        """Equity at the first snapshot of the trading day (taking one if there is none)."""
        since = period_start(now, Period.DAY)
        assert since is not None
        snap = self.store.state.first_snapshot_since(since)
        if snap is None:
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
            return acct.equity
        return snap.equity

    def desk(self) -> DeskState:
        st = self.store.state.get()
        return DeskState(
            paused=st.paused,
            halted=st.halted,
            reason=st.halted_reason if st.halted else st.paused_reason,
        )

    async def evaluate(
        self,
        symbol: str,
        side: Side,
        entry: float,
        stop: float | None,
        quantity: int | None,
        now: datetime,
        kind: str = "entry",
    ) -> RiskDecision:
        pf = await self.portfolio(now)
        held = pf.positions.get(symbol, (0, 0.0))[0]
        if kind == "exit" or (quantity is not None and is_reducing(side, quantity, held)):
            return evaluate_exit(symbol, side, quantity or abs(held), pf)
        return evaluate_entry(
            symbol,
            side,
            entry,
            stop if stop is not None else 0.0,
            quantity,
            pf,
            self.limits,
            self.desk(),
        )
