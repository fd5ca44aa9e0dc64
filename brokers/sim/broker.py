"""The built-in paper broker: fills against the simulated quotes, state kept in the store.

Market orders fill at the far side of the quote plus slippage; limit orders fill when
marketable at the limit or better; stop orders trigger when the last price crosses the stop
and then trade at the quote (a gap through the stop fills at the gapped price). An order
larger than the liquidity shown at the quote fills partially, the rest on later ticks
(`refresh`). A repeated client order id returns the first order, never a second fill.

Brackets and OCO pairs live in brokers/sim/protective.py, time in force (DAY, GTC, OPG) in
brokers/sim/tif.py, moving a working stop (`replace_stop`) in brokers/sim/replace.py. An OCO
request's client id names a group row that never works: its `order_by_client_id` view carries
the pair as `legs` (the fills are the legs'; its filled quantity is theirs together), and
`open_orders` lists the working legs, not the group.

Options orders (1-4 legs at a net limit) live in brokers/sim/option_orders.py (their rules
in legs.py, buying power with options in margin.py), expiry settlement in expiry.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from brokers.base import MarketData, OptionQuotes, OrderRejectedError, UnknownSymbolError
from brokers.sim import margin, protective, tif
from brokers.sim.books import SimCosts, Tx, move_position
from brokers.sim.expiry import SimExpiry
from brokers.sim.option_orders import SimOptionOrders, legs_of
from brokers.sim.replace import SimStopMover
from models.booking import Execution, buying_power_shortfall
from models.domain import (
    Account,
    BrokerOrder,
    BrokerPosition,
    OrderRequest,
    OrderRole,
    OrderStatus,
    Quote,
    Side,
    TimeInForce,
)
from models.options import is_occ
from models.sim_tables import SimAccount, SimFill, SimOrder, SimPosition
from models.store import Store

OPEN = protective.OPEN
MAIN = OrderRole.MAIN.value
__all__ = ["SimBroker", "SimCosts"]


class SimBroker(SimStopMover, SimOptionOrders, SimExpiry):
    """A paper broker over a MarketData source (normally the SimMarket); `options` quotes
    option contracts for options orders (normally the SimOptionChains)."""

    name = "sim"
    supports_bracket = True

    def __init__(
        self,
        store: Store,
        market: MarketData,
        account_id: str = "sim",
        starting_cash: float = 100_000.0,
        costs: SimCosts | None = None,
        margin_multiplier: float = 1.0,
        options: OptionQuotes | None = None,
    ) -> None:
        self._store = store
        self._market = market
        self._options = options
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

    @property
    def _working(self) -> Any:
        """This account's orders working at the venue (never an OCO group), oldest first."""
        return (
            select(SimOrder)
            .where(
                SimOrder.account_id == self.account_id,
                col(SimOrder.status).in_(OPEN),
                col(SimOrder.oco).is_(False),
            )
            .order_by(col(SimOrder.submitted_at), col(SimOrder.client_order_id))
        )

    async def account(self) -> Account:
        with self._store.session() as s:
            cash = s.exec(select(SimAccount.cash).where(SimAccount.id == self.account_id)).one()
            held = [
                BrokerPosition.model_validate(r, from_attributes=True) for r in s.exec(self._held)
            ]
        quotes = await self._market.quotes([p.symbol for p in held if not is_occ(p.symbol)])
        marks = {k: q.last for k, q in quotes.items()}
        equity = margin.equity(cash, held, marks, await self._option_marks(p.symbol for p in held))
        bp = margin.buying_power(cash, held, marks, self.margin_multiplier)
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
            row = protective.by_client_id(s, client_order_id)
            return protective.view(s, row) if row else None

    async def open_orders(self) -> list[BrokerOrder]:
        with self._store.session() as s:
            return [protective.view(s, r) for r in s.exec(self._working).all()]

    # ------------------------------------------------------------------ writes
    async def submit(self, request: OrderRequest) -> BrokerOrder:
        if request.legs:  # it looks for a repeat itself, in its one read before the quotes
            return await self._submit_option(request)
        cid = request.client_order_id
        existing = await self.order_by_client_id(cid)
        if existing is not None:  # the same client id again: the first order, never a second
            return existing
        try:
            quote = await self._market.quote(request.symbol)
        except UnknownSymbolError as e:
            raise OrderRejectedError(str(e)) from e
        # Quotes are fetched before the write transaction: no waiting on a market data
        # source while holding the database's write lock.
        held = await self.positions()
        qty = next((p.quantity for p in held if p.symbol == request.symbol), 0)
        why = protective.order_problem(request, quote, qty) or tif.tif_problem(request)
        if why:
            raise OrderRejectedError(why)
        checked = not request.oco and not self._reduces(held, request)  # buying power
        stocks = [p.symbol for p in held if not is_occ(p.symbol)]
        marks = await self._market.quotes(stocks) if checked and stocks else {}
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            dup = protective.by_client_id(s, cid)
            if dup is not None:
                return protective.view(s, dup)
            now_held = [
                BrokerPosition(symbol=r.symbol, quantity=r.quantity, avg_price=r.avg_price)
                for r in s.exec(self._held).all()
            ]
            if not request.oco and not self._reduces(now_held, request):
                self._check_buying_power(acct, now_held, request, quote, marks)
            tx = Tx(s, acct, self._market.now())
            row = protective.order_row(self.account_id, request, tx.now)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                again = await self.order_by_client_id(cid)
                assert again is not None
                return again
            if request.oco:  # the pair at once, worked now; the group follows its legs
                legs = protective.new_children(
                    row, request.side, request.quantity, request.time_in_force, tx.now
                )
                s.add_all(legs)
                for leg in legs:
                    self._work(tx, leg, quote)
                protective.settle_group(s, cid, tx.now)
            elif request.time_in_force is not TimeInForce.OPG:  # OPG waits for the next open
                self._work(tx, row, quote)
            s.flush()
            view = protective.view(s, row)  # read in this transaction, not a new one after it
            s.commit()
            return view

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel a working order: an unfilled entry goes alone; one cancelled after a partial
        fill places its bracket for what filled; a protective child takes its sibling with
        it; an OCO group's client id cancels the pair."""
        with self._store.session(write=True) as s:
            # the account first, as refresh takes it: one lock order, no deadlock
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            row = s.exec(
                select(SimOrder)
                .where(SimOrder.client_order_id == client_order_id)
                .with_for_update()
            ).first()
            if row is None:
                raise OrderRejectedError(f"no order with client id {client_order_id}")
            tx = Tx(s, acct, self._market.now())
            for x in protective.children(s, client_order_id) if row.oco else [row]:
                if x.status in OPEN:  # a sibling may have gone with the first leg
                    self._close(tx, x, "")
            s.flush()
            view = protective.view(s, row)
            s.commit()
            return view

    async def refresh(self) -> list[BrokerOrder]:
        """One market tick for every working order (expiry, the open, fills, stops and
        targets, and what they set off); returns the orders that changed."""
        with self._store.session() as s:
            rows = s.exec(self._working).all()
            legs = legs_of(s, [r.broker_order_id for r in rows])
        if not rows:
            return []
        # market data before the write lock, not under it
        now, open_now = self._market.now(), self._market.is_open()
        quotes = await self._market.quotes(sorted({r.symbol for r in rows}))
        leg_quotes = await self._leg_quotes((g.symbol for x in legs.values() for g in x), True)
        due = sorted({r.symbol for r in rows if tif.opg_due(r, now, open_now)})
        opens = {sym: await tif.opening_price(self._market, sym) for sym in due}
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            tx = Tx(s, acct, self._market.now())
            working = s.exec(self._working).all()  # read under the lock: nobody else works them
            legs = legs_of(s, [r.broker_order_id for r in working])
            for row in working:
                q = quotes.get(row.symbol)
                if row.status not in OPEN:  # closed by a sibling earlier in this tick
                    continue
                if tif.day_expired(row, tx.now, open_now):
                    self._close(tx, row, tif.EXPIRED)
                elif row.broker_order_id in legs:
                    self._work_option(tx, row, legs[row.broker_order_id], leg_quotes)
                elif row.time_in_force == TimeInForce.OPG.value:
                    if (px := opens.get(row.symbol)) and tif.opg_due(row, tx.now, open_now):
                        self._at_open(tx, row, px, q)
                elif q is not None:
                    self._work(tx, row, q)
            s.flush()
            views = [protective.view(s, r) for r in tx.changed.values()]
            s.commit()
        return views

    # ------------------------------------------------------------------ internals
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
        their average price; option contracts as brokers/sim/margin.py keeps them)."""
        last = {k: v.last for k, v in marks.items()}
        bp = margin.buying_power(acct.cash, held, last, self.margin_multiplier)
        why = buying_power_shortfall(r.quantity * (r.limit_price or q.price_for(r.side)), bp)
        if why:
            raise OrderRejectedError(why)

    def _work(self, tx: Tx, row: SimOrder, q: Quote) -> None:
        """Fill what the quote's liquidity allows (a protective order: no more than the
        position holds, the rest cancelled once it is flat), and what that sets off."""
        px = protective.trade_price(row, q, self.costs.slippage_bps / 10_000)
        if px is None or row.status not in OPEN:
            return
        side = Side(row.side)
        shown = q.ask_size if side is Side.BUY else q.bid_size
        qty = min(row.quantity - row.filled_quantity, max(100, shown * self.costs.depth_multiple))
        child = row.role != MAIN
        if child:
            cap = protective.protective_cap(side, self._position(tx.s, row.symbol))
            if cap <= 0:
                return self._close(tx, row, f"nothing held in {row.symbol} to protect")
            qty = min(qty, cap)
        self._fill(tx, row, qty, round(px, 2))
        rest = row.quantity - row.filled_quantity
        if child and rest and not protective.protective_cap(side, self._position(tx.s, row.symbol)):
            why = f"the {row.symbol} position is closed: the remaining {rest} is cancelled"
            protective.close(row, why, tx.now)
        self._after(tx, row, qty, q)

    def _at_open(self, tx: Tx, row: SimOrder, open_px: float, q: Quote | None) -> None:
        """An at-the-open order: all of it at the session's first price, or cancelled."""
        slip = self.costs.slippage_bps / 10_000
        px = tif.opening_fill(Side(row.side), open_px, row.limit_price, slip)
        if px is None:
            return self._close(tx, row, f"not filled at the open ({open_px:,.2f})")
        qty = row.quantity - row.filled_quantity
        self._fill(tx, row, qty, round(px, 2))
        self._after(tx, row, qty, q)

    def _close(self, tx: Tx, row: SimOrder, why: str) -> None:
        """Cancel what is left of `row`, and what that sets off."""
        protective.close(row, why, tx.now)
        tx.s.add(row)
        self._after(tx, row, 0, None)

    def _after(self, tx: Tx, row: SimOrder, filled: int, q: Quote | None) -> None:
        """What a fill or a cancel of `row` sets off: a done bracket entry places its
        children (worked at `q` if given); a child resizes or cancels its sibling."""
        tx.changed[row.client_order_id] = row
        if row.role != MAIN:
            for x in protective.after_child(tx.s, row, filled, tx.now):
                tx.changed[x.client_order_id] = x
            return
        for child in protective.place_bracket(tx.s, row, tx.now):
            tx.changed[child.client_order_id] = child
            if q is not None:
                self._work(tx, child, q)

    def _position(self, s: Session, symbol: str) -> int:
        """This account's position in `symbol` as this transaction sees it."""
        s.flush()
        pos = s.get(SimPosition, (self.account_id, symbol))
        return pos.quantity if pos else 0

    def _fill(self, tx: Tx, row: SimOrder, qty: int, px: float) -> None:
        """Book a fill of `qty` at `px`: the fill, the order, the cash and the position."""
        s, now = tx.s, tx.now
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
        fill = Execution(Side(row.side), qty, px, fee, now)
        tx.acct.cash += fill.cash_flow
        s.add(tx.acct)
        move_position(s, self.account_id, row.symbol, fill)
