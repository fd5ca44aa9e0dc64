"""Options orders in the simulator broker (SimBroker's mixin): submit, one fill pass
against the option quotes, and the booking of the legs' fills.

The order is a SimOrder row (underlying, units, SELL for a credit, the net limit) with one
SimOrderLeg row per leg; fills are per leg (SimLegFill: contracts at a premium per share,
the commission per contract), ids the pass's base id plus the leg's index, so the order's
own fills stay empty. Each pass (submit, refresh) fills at the limit what the legs' quotes
show (`SimCosts.option_depth` contracts a leg), or cancels it once a leg's contract has
expired or a closing leg has nothing left to close; the cash moves by the premiums x 100, less
commissions; positions are SimPosition rows per contract (signed contracts, average premium
per share). Buying power follows brokers/sim/margin.py; time in force, cancel and expiry at
the close are the stock orders' (broker.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from brokers.base import BrokerError, MarketData, OptionQuotes, OrderRejectedError
from brokers.sim import legs as rules
from brokers.sim import margin, protective
from brokers.sim.books import SimCosts, Tx, move_position, read_positions
from models.booking import Execution, buying_power_shortfall
from models.domain import BrokerOrder, BrokerPosition, OrderRequest, OrderStatus, Side
from models.options import OptionRow, is_occ, normal_occ
from models.sim_tables import SimAccount, SimLegFill, SimOrder, SimOrderLeg, SimPosition
from models.store import Store


def legs_of(s: Session, order_ids: Iterable[str]) -> dict[str, list[SimOrderLeg]]:
    """The legs of those orders that are options orders, by broker order id, in order."""
    ids = list(order_ids)
    if not ids:
        return {}
    out: dict[str, list[SimOrderLeg]] = {}
    rows = s.exec(
        select(SimOrderLeg)
        .where(col(SimOrderLeg.broker_order_id).in_(ids))
        .order_by(col(SimOrderLeg.broker_order_id), col(SimOrderLeg.leg))
    ).all()
    for leg in rows:
        out.setdefault(leg.broker_order_id, []).append(leg)
    return out


def held_rows(s: Session, account_id: str) -> list[BrokerPosition]:
    """The account's positions (shares and contracts) as this session sees them."""
    rows = read_positions(s, account_id)
    return [
        BrokerPosition(symbol=r.symbol, quantity=r.quantity, avg_price=r.avg_price) for r in rows
    ]


def closable_units(
    s: Session, account_id: str, legs: Sequence[SimOrderLeg]
) -> tuple[int, str] | None:
    """(units, contract) the order's closing legs can still close, the contract the
    tightest; None when no leg closes."""
    caps = []
    for g in legs:
        if not g.opens:
            pos = s.get(SimPosition, (account_id, g.symbol))
            have = (pos.quantity if pos else 0) * -Side(g.side).sign
            caps.append((max(0, have) // g.ratio, g.symbol))
    return min(caps, key=lambda c: c[0]) if caps else None  # the first tightest leg


def book_legs(
    tx: Tx,
    account_id: str,
    row: SimOrder,
    legs: Sequence[SimOrderLeg],
    units: int,
    cents: Sequence[int],
    fee_per_contract: float,
) -> None:
    """Book one pass of `units` of an options order, leg i at cents[i] per share: the
    legs' fills, the order, the cash (premiums x 100, commissions) and the positions."""
    s, now = tx.s, tx.now
    passes = 0
    if row.filled_quantity:
        passes = s.exec(
            select(func.count())
            .select_from(SimLegFill)
            .where(SimLegFill.broker_order_id == row.broker_order_id, SimLegFill.leg == 0)
        ).one()
    base = f"{row.broker_order_id}-{passes + 1:04d}"
    for leg, c in zip(legs, cents, strict=True):
        n, px, side = units * leg.ratio, c / 100, Side(leg.side)
        fee = round(n * fee_per_contract, 2)
        s.add(
            SimLegFill(
                fill_id=f"{base}-{leg.leg}",
                broker_order_id=row.broker_order_id,
                leg=leg.leg,
                quantity=n,
                price=px,
                commission=fee,
                ts=now,
            )
        )
        prev = leg.filled_quantity
        leg.filled_quantity = prev + n
        leg.avg_fill_price = ((leg.avg_fill_price or 0.0) * prev + px * n) / leg.filled_quantity
        s.add(leg)
        tx.acct.cash += -side.sign * n * px * margin.MULTIPLIER - fee
        move_position(s, account_id, leg.symbol, Execution(side, n, px, fee, now))
    s.add(tx.acct)
    prev = row.filled_quantity
    net = sum(-Side(g.side).sign * g.ratio * c for g, c in zip(legs, cents, strict=True)) / 100
    row.filled_quantity = prev + units
    row.avg_fill_price = ((row.avg_fill_price or 0.0) * prev + abs(net) * units) / (prev + units)
    done = row.filled_quantity >= row.quantity
    row.status = (OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED).value
    row.updated_at = now
    s.add(row)
    tx.changed[row.client_order_id] = row


class SimOptionOrders:
    """SimBroker's options orders (a mixin: the store, market, quotes, costs and account
    are the broker's)."""

    _store: Store
    _market: MarketData
    _options: OptionQuotes | None
    account_id: str
    costs: SimCosts
    margin_multiplier: float

    async def _leg_quotes(
        self, symbols: Iterable[str], quiet: bool = False
    ) -> dict[str, OptionRow]:
        """The option quotes of those contracts (none without an option source; `quiet`:
        none when the source fails, else its BrokerError)."""
        wanted = sorted(set(symbols))
        if self._options is None or not wanted:
            return {}
        try:
            return await self._options.option_quotes(wanted)
        except BrokerError:
            if quiet:
                return {}
            raise

    async def _option_marks(self, symbols: Iterable[str]) -> dict[str, float]:
        """Each contract's mid where it is quoted on both sides."""
        quotes = await self._leg_quotes((s for s in symbols if is_occ(s)), quiet=True)
        return {k: m for k, q in quotes.items() if (m := rules.mid(q)) is not None}

    async def _submit_option(self, r: OrderRequest) -> BrokerOrder:
        """Validate, store and work an options order (see the module docstring)."""
        cid = r.client_order_id
        with self._store.session() as s:  # before the quotes, and not under the write lock
            first = protective.by_client_id(s, cid)
            if first is not None:  # the same client id again: the first order, never a second
                return protective.view(s, first)
            stocks = [p.symbol for p in held_rows(s, self.account_id) if not is_occ(p.symbol)]
        why = rules.order_problem(r, self._market.now())
        if why:
            raise OrderRejectedError(why)
        if self._options is None:
            raise OrderRejectedError(
                "this simulator has no option quotes: it takes no options orders"
            )
        symbols = [normal_occ(leg.symbol) for leg in r.legs]
        quotes = await self._leg_quotes(symbols)
        missing = [x for x in symbols if x not in quotes]
        if missing:
            raise OrderRejectedError(f"no listed contract {', '.join(missing)} (no quote)")
        marks = {k: q.last for k, q in (await self._market.quotes(stocks)).items()}
        with self._store.session(write=True) as s:
            acct = s.get(SimAccount, self.account_id, with_for_update=True)
            assert acct is not None
            dup = protective.by_client_id(s, cid)
            if dup is not None:
                return protective.view(s, dup)
            why = self._carry_problem(acct, held_rows(s, self.account_id), r, marks)
            if why:
                raise OrderRejectedError(why)
            tx = Tx(s, acct, self._market.now())
            row = protective.order_row(self.account_id, r, tx.now)
            row.symbol = r.symbol.upper()
            legs = [
                SimOrderLeg(
                    broker_order_id=row.broker_order_id,
                    leg=i,
                    symbol=sym,
                    side=leg.side.value,
                    ratio=leg.ratio,
                    opens=leg.opens,
                )
                for i, (leg, sym) in enumerate(zip(r.legs, symbols, strict=True))
            ]
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # another instance took this client id first
                s.rollback()
                with self._store.session() as again:
                    found = protective.by_client_id(again, cid)
                    assert found is not None
                    return protective.view(again, found)
            s.add_all(legs)
            s.flush()
            self._work_option(tx, row, legs, quotes)
            s.flush()
            view = protective.view(s, row, options=True)
            s.commit()
            return view

    def _carry_problem(
        self,
        acct: SimAccount,
        held: list[BrokerPosition],
        r: OrderRequest,
        marks: Mapping[str, float],
    ) -> str | None:
        """Why the account cannot carry `r` once filled at its limit: a leg closes more
        than is held, a short call left uncovered, or buying power short; or None."""
        book = [(p.symbol, p.quantity) for p in held]
        why = rules.closing_problem(r.legs, r.quantity, dict(book))
        if why:
            return why
        after = margin.after_order(book, r.legs, r.quantity)
        before_naked, after_naked = margin.naked_calls(book), margin.naked_calls(after)
        for root, n in after_naked.items():
            if n > before_naked.get(root, 0):
                return (
                    f"the order leaves {n} short {root} call(s) no long call covers: the "
                    "simulator carries no naked calls"
                )
        assert r.limit_price is not None
        contracts = sum(leg.ratio for leg in r.legs) * r.quantity
        fees = contracts * self.costs.option_commission_per_contract
        premium = -r.side.sign * r.limit_price * margin.MULTIPLIER * r.quantity
        needed = margin.option_requirement(after) - margin.option_requirement(book) - premium + fees
        if needed <= 0:  # it frees buying power (a close) or takes none
            return None
        bp = margin.buying_power(acct.cash, held, marks, self.margin_multiplier)
        return buying_power_shortfall(round(needed, 2), round(bp, 2))

    def _work_option(
        self, tx: Tx, row: SimOrder, legs: Sequence[SimOrderLeg], quotes: Mapping[str, OptionRow]
    ) -> None:
        """One pass: fill at the limit what the legs' quotes show, when the net is
        marketable (every leg quoted on both sides)."""
        if row.status not in protective.OPEN or row.limit_price is None:
            return
        gone = [g.symbol for g in legs if rules.expired(g.symbol, tx.now)]
        room = closable_units(tx.s, self.account_id, legs)
        why = f"contract {gone[0]} expired" if gone else None
        if not why and room is not None and room[0] == 0:  # it would open instead
            why = f"nothing left to close in {room[1]}"
        if why:
            protective.close(row, why, tx.now)
            tx.s.add(row)
            tx.changed[row.client_order_id] = row
            return
        mids = [rules.mid(quotes.get(leg.symbol)) for leg in legs]
        if any(m is None for m in mids):
            return
        c = self.costs
        signed = [
            (rules.premium_sign(Side(g.side)), g.ratio, m or 0.0)
            for g, m in zip(legs, mids, strict=True)
        ]
        net_mid = sum(sg * r * m for sg, r, m in signed)
        slip = 0.0
        for g in legs:
            q = quotes[g.symbol]
            spread = (q.ask or 0.0) - (q.bid or 0.0)
            slip += g.ratio * (c.option_slippage + c.option_spread_slippage * spread)
        side = Side(row.side)
        if not rules.marketable(side, row.limit_price, net_mid, slip):
            return
        units = min(
            row.quantity - row.filled_quantity,
            rules.units_per_pass([g.ratio for g in legs], c.option_depth),
            room[0] if room is not None else row.quantity,
        )
        net_cents = rules.premium_sign(side) * round(row.limit_price * 100)
        cents = rules.split_net(signed, net_cents)
        book_legs(tx, self.account_id, row, legs, units, cents, c.option_commission_per_contract)
