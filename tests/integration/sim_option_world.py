"""What the simulator's options-order tests share: a store, market, chains and broker on a
hand-moved clock; the contracts near AAPL's 2026-11-27 weekly; order and fill helpers."""

from __future__ import annotations

import math
from pathlib import Path

from brokers.sim.broker import SimBroker
from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains
from models.domain import (
    BrokerOrder,
    OrderLeg,
    OrderRequest,
    OrderType,
    Side,
    TimeInForce,
)
from models.options import OptionRow
from models.store import Store
from tests.conftest import Clock

# T0 is Friday 2026-11-20, 12:00 ET: AAPL near 192, the 2026-11-27 weekly listed
EXP = "261127"
SHORT_P, LONG_P = f"AAPL{EXP}P00185000", f"AAPL{EXP}P00180000"  # a $5 bull put spread
START = 100_000.0
FEE = 0.65


def put(strike: float) -> str:
    return f"AAPL{EXP}P{round(strike * 1000):08d}"


def call(strike: float) -> str:
    return f"AAPL{EXP}C{round(strike * 1000):08d}"


def setup(
    url: str, clock: Clock, **kw: object
) -> tuple[Store, SimMarket, SimOptionChains, SimBroker]:
    store = Store(url)
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    chains = SimOptionChains(market)
    return store, market, chains, SimBroker(store, market, options=chains, **kw)  # type: ignore[arg-type]


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mleg.db'}"


def order(
    cid: str,
    legs: list[tuple[str, Side]] | list[OrderLeg],
    side: Side,
    limit: float | None,
    qty: int = 1,
    **kw: object,
) -> OrderRequest:
    built = [g if isinstance(g, OrderLeg) else OrderLeg(symbol=g[0], side=g[1]) for g in legs]
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=side,
        quantity=qty,
        order_type=kw.pop("order_type", OrderType.LIMIT),  # type: ignore[arg-type]
        limit_price=limit,
        legs=tuple(built),
        **kw,  # type: ignore[arg-type]
    )


SPREAD = [(SHORT_P, Side.SELL), (LONG_P, Side.BUY)]
GTC = TimeInForce.GTC


def mid(q: OptionRow) -> float:
    assert q.bid is not None and q.ask is not None
    return (q.bid + q.ask) / 2


async def fair(
    chains: SimOptionChains, legs: list[tuple[str, Side]], side: Side = Side.SELL
) -> float:
    """The best net limit marketable now at the default costs: the legs' net mid (sells
    +, buys -) less 10% of each leg's spread for a credit (SELL), plus it for a debit."""
    quotes = await chains.option_quotes([s for s, _ in legs])
    net = sum((1 if g is Side.SELL else -1) * mid(quotes[s]) for s, g in legs)
    slip = sum(0.1 * ((quotes[s].ask or 0) - (quotes[s].bid or 0)) for s, _ in legs)
    if side is Side.SELL:
        return math.floor((net - slip) * 100) / 100
    return math.ceil((slip - net) * 100) / 100


def leg_net(o: BrokerOrder) -> float:
    """Σ sign·ratio·price over the legs' fills, per unit (credit positive)."""
    units = o.filled_quantity
    total = sum(
        (1 if g.side is Side.SELL else -1) * f.price * f.quantity
        for g in o.option_legs
        for f in g.fills
    )
    return total / units


def cash_of(o: BrokerOrder) -> float:
    """What the order's fills did to the cash."""
    return sum(
        (1 if g.side is Side.SELL else -1) * f.price * f.quantity * 100 - f.commission
        for g in o.option_legs
        for f in g.fills
    )
