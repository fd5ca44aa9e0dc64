"""Account views: positions marked to market, orders, P&L by period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from agents.data import DataAgent
from agents.results import OrdersView, OrderView, PnlView, PositionLine, PositionsView
from brokers.base import Broker
from models.domain import Mode, Period
from models.ledger_reads import BookedPosition
from models.store import Store
from models.tables import DailyPerformance
from services.pnl import PnlSummary, period_start
from services.portfolio import Mark


class Reports:
    def __init__(
        self,
        store: Store,
        broker: Broker,
        data: DataAgent,
        mode: Mode,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.broker = broker
        self.data = data
        self.mode = mode
        self.clock = clock

    async def marks(self, rows: list[BookedPosition] | None = None) -> list[Mark]:
        """Positions marked to the latest price (their average price when none is known)."""
        out = []
        for p in self.store.ledger.positions() if rows is None else rows:
            try:
                px = (await self.data.quote(p.symbol)).last
            except Exception:  # show the position even without a price
                px = p.avg_price
            out.append(Mark(p.symbol, p.quantity, p.avg_price, px))
        return out

    async def positions(self) -> PositionsView:
        acct = await self.broker.account()
        rows = [r for r in self.store.ledger.positions() if r.asset_class != "option"]
        realized = self.store.ledger.open_trade_realized()
        lines = [
            PositionLine(
                symbol=m.symbol,
                quantity=m.quantity,
                avg_price=round(m.avg_price, 4),
                price=m.price,
                market_value=round(m.market_value, 2),
                unrealized_pnl=round(m.unrealized_pnl, 2),
                unrealized_pct=round(m.unrealized_pct, 2),
                stop=row.stop_price,
                target=row.target_price,
                realized_pnl=round(realized.get(m.symbol, 0.0), 2),
            )
            for row, m in zip(rows, await self.marks(rows), strict=True)
        ]
        return PositionsView(
            mode_label=self.mode.label,
            positions=tuple(lines),
            cash=acct.cash,
            equity=acct.equity,
            buying_power=acct.buying_power,
        )

    def orders(self, open_only: bool = False, limit: int = 20) -> OrdersView:
        rows = self.store.ledger.orders(open_only=open_only, limit=limit)
        return OrdersView(mode_label=self.mode.label, orders=tuple(OrderView.of(o) for o in rows))

    async def record_day(self) -> DailyPerformance:
        """Upsert today's performance row (start/end equity, realised, unrealised, trades)."""
        now = self.clock()
        since = period_start(now, Period.DAY)
        assert since is not None
        view = await self.pnl(Period.DAY)
        row = DailyPerformance(
            day=since.date(),
            start_equity=view.start_equity if view.start_equity is not None else view.equity,
            end_equity=view.equity,
            realized_pnl=view.realized,
            unrealized_pnl=view.unrealized,
            trades_closed=view.trades_closed,
            updated_at=now,
        )
        self.store.state.upsert_daily(row)
        return row

    async def pnl(self, period: Period) -> PnlView:
        now = self.clock()
        since = period_start(now, period)
        trades = self.store.ledger.trades(closed_since=since, status="closed")
        realized, fees = self.store.ledger.realized_since(since)
        marks = await self.marks()
        acct = await self.broker.account()
        snap = (
            self.store.state.first_snapshot_since(since)
            if since is not None
            else self.store.state.first_snapshot()
        )
        s = PnlSummary(
            period=period,
            since=since,
            realized=round(realized - fees, 2),
            unrealized=round(sum(m.unrealized_pnl for m in marks), 2),
            commissions=round(fees, 2),
            trades_closed=len(trades),
            wins=sum(1 for t in trades if t.realized_pnl > 0),
            equity=acct.equity,
            start_equity=snap.equity if snap else None,
        )
        change = s.equity_change_pct
        return PnlView(
            mode_label=self.mode.label,
            period=period,
            since=since,
            realized=s.realized,
            unrealized=s.unrealized,
            total=round(s.total, 2),
            commissions=s.commissions,
            trades_closed=s.trades_closed,
            win_rate=round(s.win_rate, 1) if s.win_rate is not None else None,
            equity=s.equity,
            start_equity=s.start_equity,
            equity_change_pct=round(change, 3) if change is not None else None,
        )
