"""The built-in paper broker: fills against the simulated quotes, state kept in the store.

Market orders fill at the far side of the quote plus slippage; limit orders fill when
marketable; stop orders trigger when the last price crosses the stop. An order larger than
the liquidity shown at the quote fills partially, the rest on later ticks (`refresh`). A
repeated client order id returns the first order, never a second fill.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from brokers.base import MarketData, OrderRejectedError, UnknownSymbolError
from models.booking import (
    Execution,
    PositionState,
    buying_power,
    buying_power_shortfall,
    exposure,
)
from models.domain import (
    Account,
    BrokerOrder,
    BrokerPosition,
    FillReport,
    OrderRequest,
    OrderStatus,
    OrderType,
    Quote,
    Side,
)
from models.sim_tables import SimAccount, SimFill, SimOrder, SimPosition
from models.store import Store

OPEN = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)


@dataclass(frozen=True, slots=True)
class SimCosts:
    """Execution costs of the simulator."""

    slippage_bps: float = 2.0
    commission_per_share: float = 0.0
    min_commission: float = 0.0
    depth_multiple: int = 10  # liquidity per tick = quote size x this


class SimBroker:
    """A paper broker over a MarketData source (normally the SimMarket)."""

    name = "sim"

    def __init__(
        self,
        store: Store,
        market: MarketData,
        account_id: str = "sim",
        starting_cash: float = 100_000.0,
        costs: SimCosts | None = None,
        margin_multiplier: float = 1.0,
    ) -> None:
        self._store = store
        self._market = market
        self.account_id = account_id
        self.costs = costs or SimCosts()
        self.margin_multiplier = margin_multiplier
        with store.session(write=True) as s:
            if s.get(SimAccount, account_id) is None:
                s.add(
                    SimAccount(
                        id=account_id,
                        cash=starting_cash,
                        starting_cash=starting_cash,
                        created_at=datetime.now(UTC),
                    )
                )
                try:
                    s.commit()
                except IntegrityError:  # another instance created it first
                    s.rollback()

    # ------------------------------------------------------------------ reads
    @property
    def _held(self) -> Any:
        """This account's positions as plain rows (symbol, quantity, avg_price), by symbol."""
        return (
            select(SimPosition.symbol, SimPosition.quantity, SimPosition.avg_price)
            .where(SimPosition.account_id == self.account_id)
            .order_by(SimPosition.symbol)
        )

    async def account(self) -> Account:
        with self._store.session() as s:
            cash = s.exec(select(SimAccount.cash).where(SimAccount.id == self.account_id)).one()
            rows = s.exec(self._held).all()
        quotes = await self._market.quotes([r.symbol for r in rows])
        value, gross = exposure(
            (r.quantity, q.last if (q := quotes.get(r.symbol)) else r.avg_price) for r in rows
        )
        equity = cash + value
        bp = buying_power(equity, gross, self.margin_multiplier)
        return Account(
            account_id=self.account_id,
            cash=round(cash, 2),
            equity=round(equity, 2),
            buying_power=round(bp, 2),
        )

    async def positions(self) -> list[BrokerPosition]:
        with self._store.session() as s:
            rows = s.exec(self._held).all()
        return [
            BrokerPosition(symbol=r.symbol, quantity=r.quantity, avg_price=r.avg_price)
            for r in rows
        ]

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        with self._store.session() as s:
            row = s.exec(
                select(SimOrder).where(SimOrder.client_order_id == client_order_id)
            ).first()
            return self._view(s, row) if row else None

    async def open_orders(self) -> list[BrokerOrder]:
        with self._store.session() as s:
            rows = s.exec(
                select(SimOrder).where(
                    SimOrder.account_id == self.account_id, col(SimOrder.status).in_(OPEN)
                )
            ).all()
            return [self._view(s, r) for r in rows]

    # ------------------------------------------------------------------ writes
    async def submit(self, request: OrderRequest) -> BrokerOrder:
        try:
            quote = await self._market.quote(request.symbol)
        except UnknownSymbolError as e:
            existing = await self.order_by_client_id(request.client_order_id)
            if existing is not None:
                return existing
            raise OrderRejectedError(str(e)) from e
        self._validate(request)
        now = self._market.now()
        # Quotes are fetched before the write transaction: no waiting on a market data
        # source while holding the database's write lock.
        held = await self.positions()
        marks: dict[str, Quote] = {}
        if not self._reduces(held, request):
            marks = await self._market.quotes([p.symbol for p in held]) if held else {}
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            dup = s.exec(
                select(SimOrder).where(SimOrder.client_order_id == request.client_order_id)
            ).first()
            if dup is not None:  # the same client id again: the first order, never a second
                return self._view(s, dup)
            rows = s.exec(self._held).all()
            now_held = [
                BrokerPosition(symbol=r.symbol, quantity=r.quantity, avg_price=r.avg_price)
                for r in rows
            ]
            if not self._reduces(now_held, request):
                self._check_buying_power(acct, now_held, request, quote, marks)
            row = SimOrder(
                broker_order_id=uuid.uuid4().hex,
                account_id=self.account_id,
                client_order_id=request.client_order_id,
                symbol=request.symbol,
                side=request.side.value,
                quantity=request.quantity,
                order_type=request.order_type.value,
                limit_price=request.limit_price,
                stop_price=request.stop_price,
                status=OrderStatus.NEW.value,
                submitted_at=now,
                updated_at=now,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                again = await self.order_by_client_id(request.client_order_id)
                assert again is not None
                return again
            self._work(s, acct, row, quote, now)
            s.flush()
            view = self._view(s, row)  # read in this transaction, not a new one after it
            s.commit()
            return view

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        with self._store.session(write=True) as s:
            row = s.exec(
                select(SimOrder)
                .where(SimOrder.client_order_id == client_order_id)
                .with_for_update()
            ).first()
            if row is None:
                raise OrderRejectedError(f"no order with client id {client_order_id}")
            if row.status in OPEN:
                row.status = OrderStatus.CANCELED.value
                row.updated_at = self._market.now()
                s.add(row)
                s.commit()
            return self._view(s, row)

    async def refresh(self) -> list[BrokerOrder]:
        """One market tick for every working order; returns the orders that changed."""
        changed: list[BrokerOrder] = []
        open_orders = select(SimOrder).where(
            SimOrder.account_id == self.account_id, col(SimOrder.status).in_(OPEN)
        )
        with self._store.session() as s:
            symbols = sorted({r.symbol for r in s.exec(open_orders).all()})
        if not symbols:
            return changed
        quotes = await self._market.quotes(symbols)  # before the write lock, not under it
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            now = self._market.now()
            for row in s.exec(open_orders).all():  # read under the lock: nobody else works them
                q = quotes.get(row.symbol)
                if q is not None and self._work(s, acct, row, q, now):
                    changed.append(self._view(s, row))
            s.commit()
        return changed

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _validate(r: OrderRequest) -> None:
        if r.order_type is OrderType.LIMIT and not (r.limit_price and r.limit_price > 0):
            raise OrderRejectedError("a limit order needs a positive limit price")
        if r.order_type is OrderType.STOP and not (r.stop_price and r.stop_price > 0):
            raise OrderRejectedError("a stop order needs a positive stop price")

    @staticmethod
    def _reduces(held: list[BrokerPosition], r: OrderRequest) -> bool:
        qty = next((p.quantity for p in held if p.symbol == r.symbol), 0)
        return qty != 0 and (qty > 0) != (r.side is Side.BUY) and r.quantity <= abs(qty)

    def _check_buying_power(
        self,
        acct: SimAccount,
        held: list[BrokerPosition],
        r: OrderRequest,
        q: Quote,
        marks: dict[str, Quote],
    ) -> None:
        """Refuse an order the account cannot pay for (holdings marked at `marks`, else at
        their average price)."""
        value, gross = exposure(
            (p.quantity, marks[p.symbol].last if p.symbol in marks else p.avg_price) for p in held
        )
        bp = buying_power(acct.cash + value, gross, self.margin_multiplier)
        why = buying_power_shortfall(r.quantity * (r.limit_price or q.price_for(r.side)), bp)
        if why:
            raise OrderRejectedError(why)

    def _fill_price(self, row: SimOrder, q: Quote) -> float | None:
        """The price this order would trade at now, or None if it cannot trade."""
        side = Side(row.side)
        slip = self.costs.slippage_bps / 10_000
        if row.order_type == OrderType.STOP.value and row.stop_price is not None:
            triggered = q.last >= row.stop_price if side is Side.BUY else q.last <= row.stop_price
            if not triggered:
                return None
        base = q.price_for(side)
        px = base * (1 + slip) if side is Side.BUY else base * (1 - slip)
        if row.order_type == OrderType.LIMIT.value and row.limit_price is not None:
            if side is Side.BUY:
                return None if base > row.limit_price else min(px, row.limit_price)
            return None if base < row.limit_price else max(px, row.limit_price)
        return px

    def _work(self, s: Session, acct: SimAccount, row: SimOrder, q: Quote, now: datetime) -> bool:
        """Fill what the quote's liquidity allows; True if anything filled."""
        px = self._fill_price(row, q)
        if px is None:
            return False
        side = Side(row.side)
        shown = q.ask_size if side is Side.BUY else q.bid_size
        qty = min(row.quantity - row.filled_quantity, max(100, shown * self.costs.depth_multiple))
        if qty <= 0:
            return False
        px = round(px, 2)
        fee = round(max(self.costs.min_commission, qty * self.costs.commission_per_share), 2)
        n = 0
        if row.filled_quantity:  # a new order has no fills yet: skip the count
            n = len(
                s.exec(
                    select(SimFill.fill_id).where(SimFill.broker_order_id == row.broker_order_id)
                ).all()
            )
        s.add(
            SimFill(
                fill_id=f"{row.broker_order_id}-{n + 1:04d}",
                broker_order_id=row.broker_order_id,
                quantity=qty,
                price=px,
                commission=fee,
                ts=now,
            )
        )
        prev = row.filled_quantity
        row.filled_quantity = prev + qty
        row.avg_fill_price = ((row.avg_fill_price or 0.0) * prev + px * qty) / row.filled_quantity
        row.status = (
            OrderStatus.FILLED
            if row.filled_quantity >= row.quantity
            else OrderStatus.PARTIALLY_FILLED
        ).value
        row.updated_at = now
        s.add(row)
        fill = Execution(side, qty, px, fee, now)
        acct.cash += fill.cash_flow
        s.add(acct)
        self._move_position(s, row.symbol, fill)
        return True

    def _move_position(self, s: Session, symbol: str, fill: Execution) -> None:
        """Apply a fill to this account's position in `symbol` (the domain's arithmetic)."""
        pos = s.get(SimPosition, (self.account_id, symbol), with_for_update=True)
        state = PositionState(pos.quantity, pos.avg_price) if pos else PositionState()
        upd = state.apply(fill)
        if upd.quantity == 0:
            if pos is not None:
                s.delete(pos)
            return
        if pos is None:
            pos = SimPosition(account_id=self.account_id, symbol=symbol, quantity=0, avg_price=0.0)
        pos.quantity, pos.avg_price = upd.quantity, upd.avg_price
        s.add(pos)

    @staticmethod
    def _view(s: Session, row: SimOrder) -> BrokerOrder:
        fills = s.exec(
            select(SimFill)
            .where(SimFill.broker_order_id == row.broker_order_id)
            .order_by(col(SimFill.ts), col(SimFill.fill_id))
        ).all()
        return BrokerOrder(
            broker_order_id=row.broker_order_id,
            client_order_id=row.client_order_id,
            symbol=row.symbol,
            side=Side(row.side),
            quantity=row.quantity,
            order_type=OrderType(row.order_type),
            limit_price=row.limit_price,
            stop_price=row.stop_price,
            status=OrderStatus(row.status),
            filled_quantity=row.filled_quantity,
            avg_fill_price=(
                round(row.avg_fill_price, 4)
                if row.avg_fill_price is not None and math.isfinite(row.avg_fill_price)
                else None
            ),
            fills=tuple(
                FillReport(
                    fill_id=f.fill_id,
                    quantity=f.quantity,
                    price=f.price,
                    commission=f.commission,
                    ts=f.ts,
                )
                for f in fills
            ),
            reason=row.reason,
            submitted_at=row.submitted_at,
        )
