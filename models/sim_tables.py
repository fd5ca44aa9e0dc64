"""The built-in simulator's own books (the broker's side), kept in the same database so
that the simulated account survives a restart. The co-trader never reads these directly:
it asks the simulator through the Broker protocol, as it would a real broker."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.tables import ts_field


class SimAccount(SQLModel, table=True):
    __tablename__ = "sim_accounts"

    id: str = Field(primary_key=True)
    cash: float
    starting_cash: float
    created_at: datetime = ts_field()


class SimOrder(SQLModel, table=True):
    __tablename__ = "sim_orders"

    broker_order_id: str = Field(primary_key=True)
    account_id: str = Field(foreign_key="sim_accounts.id", index=True)
    client_order_id: str = Field(unique=True)
    symbol: str
    side: str
    quantity: int
    order_type: str
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str = "day"
    role: str = "main"  # main | stop | target (a protective child of `parent_client_id`)
    parent_client_id: str | None = None
    take_profit: float | None = None  # an entry's bracket: children placed once it fills
    stop_loss: float | None = None
    oco: bool = False  # a protective pair only (its children are placed at once)
    status: str = Field(index=True)
    filled_quantity: int = 0
    avg_fill_price: float | None = None
    reason: str = ""
    submitted_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class SimFill(SQLModel, table=True):
    __tablename__ = "sim_fills"

    fill_id: str = Field(primary_key=True)
    broker_order_id: str = Field(foreign_key="sim_orders.broker_order_id", index=True)
    quantity: int
    price: float
    commission: float
    ts: datetime = ts_field()


class SimPosition(SQLModel, table=True):
    __tablename__ = "sim_positions"

    account_id: str = Field(primary_key=True, foreign_key="sim_accounts.id")
    symbol: str = Field(primary_key=True)
    quantity: int
    avg_price: float


class SimShock(SQLModel, table=True):
    """A move of the simulated market (`/sim shock`): from `at` on, every price of `symbol`
    is multiplied by (1 + pct/100), cumulatively. Stored so that every process on this
    database prices the same simulated market."""

    __tablename__ = "sim_shocks"

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True)
    pct: float
    at: datetime = ts_field()
    by: str


class SimOrderLeg(SQLModel, table=True):
    """One leg of a simulated options order (its SimOrder row is the order: the underlying,
    units, the net limit): the contract, its side, ratio and intent, and what it filled."""

    __tablename__ = "sim_order_legs"

    broker_order_id: str = Field(primary_key=True, foreign_key="sim_orders.broker_order_id")
    leg: int = Field(primary_key=True)  # the leg's place in the request, from 0
    symbol: str = Field(index=True)  # the OCC contract, unpadded
    side: str
    ratio: int
    opens: bool
    filled_quantity: int = 0  # contracts
    avg_fill_price: float | None = None  # premium per share


class SimLegFill(SQLModel, table=True):
    """A fill of one leg of a simulated options order: contracts at a premium per share."""

    __tablename__ = "sim_leg_fills"

    fill_id: str = Field(primary_key=True)
    broker_order_id: str = Field(foreign_key="sim_orders.broker_order_id", index=True)
    leg: int
    quantity: int
    price: float
    commission: float
    ts: datetime = ts_field()
