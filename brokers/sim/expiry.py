"""Option expiry in the simulator (SimBroker's OptionExpiry capability).

A contract whose expiry close (16:00 ET of its expiry date) has passed and that is still
held settles once, against the underlying's price at that close (the market's own: the
SimMarket's price path, else that day's daily bar). Out of the money (a call at or below
the strike, a put at or above it) it expires worthless; in the money a short contract is
assigned and a long one exercised. Each settlement is a filled order in the books:
"EXP-<OCC>", one option leg closing the position at 0.00 (reason "expired worthless",
"assigned" or "exercised"), and when shares change hands "EXP-<OCC>-S", 100 shares a
contract of the underlying at the strike (a short put assigned or a long call exercised
buys them, a short call assigned or a long put exercised sells them). Both are stamped at
the expiry close. (A working options order with a leg on an expired contract is cancelled by
the next `refresh`: brokers/sim/option_orders.py.)
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from brokers.base import BrokerError, MarketData
from brokers.sim import legs as rules
from brokers.sim import margin, protective
from brokers.sim.books import Tx, move_position
from brokers.sim.option_orders import book_legs, held_rows
from models.booking import Execution
from models.domain import BrokerOrder, OrderStatus, OrderType, Side, TimeInForce
from models.options import is_occ, parse_occ
from models.sim_tables import SimAccount, SimFill, SimOrder, SimOrderLeg
from models.store import Store

PREFIX = "EXP-"
SHARES = "-S"
KEEP = timedelta(days=7)


async def underlying_close(market: MarketData, symbol: str, day: date) -> float | None:
    """The underlying's price at the close of `day`: the market's own (`close_on`, the
    SimMarket's), else that day's daily bar; None when the market cannot tell."""
    try:
        close_on = getattr(market, "close_on", None)
        if close_on is not None:
            px = close_on(symbol, day)
            return float(px) if px is not None else None
        bars = await market.daily_bars(symbol, limit=300)
    except BrokerError:
        return None
    for ts, close in zip(reversed(bars.ts), reversed(bars.close), strict=True):
        if day in (ts.astimezone(rules.NY).date(), ts.date()):
            return close
    return None


def in_the_money(is_call: bool, strike: float, close: float) -> bool:
    """A call above its strike, a put below it (exactly at the strike: out of the money)."""
    return close > strike if is_call else close < strike


def assignment_side(is_call: bool, quantity: int) -> Side:
    """The side of the shares an in-the-money contract of `quantity` (signed) delivers."""
    long_ = quantity > 0
    return Side.BUY if is_call == long_ else Side.SELL


def _order(
    account_id: str,
    cid: str,
    symbol: str,
    side: Side,
    qty: int,
    at: datetime,
    now: datetime,
    reason: str,
) -> SimOrder:
    return SimOrder(
        broker_order_id=uuid.uuid4().hex,
        account_id=account_id,
        client_order_id=cid,
        symbol=symbol,
        side=side.value,
        quantity=qty,
        order_type=OrderType.MARKET.value,
        time_in_force=TimeInForce.DAY.value,
        status=OrderStatus.NEW.value,
        reason=reason,
        submitted_at=at,
        updated_at=now,
    )


class SimExpiry:
    """SimBroker's `settle_expired` (a mixin: the store, market and account are the
    broker's)."""

    _store: Store
    _market: MarketData
    account_id: str

    async def settle_expired(self, now: datetime) -> list[BrokerOrder]:
        """Settle every contract that expired before `now` and is still held; return the
        settlement orders of the last 7 days (see the module docstring)."""
        with self._store.session() as s:
            due = [p.symbol for p in held_rows(s, self.account_id) if self._expired(p.symbol, now)]
        closes: dict[tuple[str, date], float | None] = {}
        for sym in due:  # market data before the write lock, not under it
            p = parse_occ(sym)
            if (p.root, p.expiry) not in closes:
                closes[p.root, p.expiry] = await underlying_close(self._market, p.root, p.expiry)
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            tx = Tx(s, acct, now)
            for p in held_rows(s, self.account_id):
                if p.symbol not in due or protective.by_client_id(s, PREFIX + p.symbol):
                    continue
                occ = parse_occ(p.symbol)
                close = closes.get((occ.root, occ.expiry))
                if close is not None:
                    self._settle(tx, p.symbol, p.quantity, close)
            s.flush()
            rows = s.exec(
                select(SimOrder)
                .where(
                    SimOrder.account_id == self.account_id,
                    col(SimOrder.client_order_id).startswith(PREFIX),
                    col(SimOrder.updated_at) >= now - KEEP,
                )
                .order_by(col(SimOrder.submitted_at), col(SimOrder.client_order_id))
            ).all()
            views = [protective.view(s, r) for r in rows]
            s.commit()
        return views

    @staticmethod
    def _expired(symbol: str, now: datetime) -> bool:
        return is_occ(symbol) and rules.expired(symbol, now)

    def _settle(self, tx: Tx, symbol: str, quantity: int, close: float) -> None:
        """Close one expired contract at 0.00 and deliver the shares when in the money."""
        s, now, occ = tx.s, tx.now, parse_occ(symbol)
        at = min(rules.expiry_close(occ.expiry), now)
        call, n = occ.type == "call", abs(quantity)
        itm = in_the_money(call, occ.strike, close)
        reason = "expired worthless" if not itm else "assigned" if quantity < 0 else "exercised"
        side = Side.BUY if quantity < 0 else Side.SELL
        row = _order(self.account_id, PREFIX + symbol, occ.root, side, n, at, now, reason)
        leg = SimOrderLeg(
            broker_order_id=row.broker_order_id,
            leg=0,
            symbol=symbol,
            side=side.value,
            ratio=1,
            opens=False,
        )
        s.add(row)
        s.flush()
        s.add(leg)
        book_legs(Tx(s, tx.acct, at, tx.changed), self.account_id, row, [leg], n, [0], 0.0)
        row.updated_at = now
        if not itm:
            return
        shares, how = n * margin.MULTIPLIER, assignment_side(call, quantity)
        stock = _order(
            self.account_id, PREFIX + symbol + SHARES, occ.root, how, shares, at, now, reason
        )
        stock.status, stock.filled_quantity = OrderStatus.FILLED.value, shares
        stock.avg_fill_price = occ.strike
        s.add(stock)
        s.flush()
        s.add(
            SimFill(
                fill_id=f"{stock.broker_order_id}-0001",
                broker_order_id=stock.broker_order_id,
                quantity=shares,
                price=occ.strike,
                commission=0.0,
                ts=at,
            )
        )
        fill = Execution(how, shares, occ.strike, 0.0, at)
        tx.acct.cash += fill.cash_flow
        s.add(tx.acct)
        move_position(s, self.account_id, occ.root, fill)
