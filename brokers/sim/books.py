"""What every part of the simulator broker shares: its costs, one write transaction, and
booking a fill into the account's position (the domain's arithmetic, models/booking.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from models.booking import Execution, PositionState
from models.sim_tables import SimAccount, SimOrder, SimPosition


@dataclass(frozen=True, slots=True)
class SimCosts:
    """Execution costs of the simulator. Options: a net limit is marketable when the legs'
    net mid, less `option_slippage` (per share per leg, × its ratio) and
    `option_spread_slippage` of each leg's quoted spread, reaches it; each leg's quote
    shows `option_depth` contracts, so one pass fills at most that many of a leg."""

    slippage_bps: float = 2.0
    commission_per_share: float = 0.0
    min_commission: float = 0.0
    depth_multiple: int = 10  # liquidity per tick = quote size x this
    option_commission_per_contract: float = 0.65
    option_slippage: float = 0.0  # $ per share per leg, against us
    option_spread_slippage: float = 0.1  # fraction of each leg's bid-ask spread, against us
    option_depth: int = 50  # contracts per leg per pass


@dataclass(slots=True)
class Tx:
    """One write transaction: its session, the locked account, the venue time, and the
    rows it changed (by client id, in order)."""

    s: Session
    acct: SimAccount
    now: datetime
    changed: dict[str, SimOrder] = field(default_factory=dict)


HELD = "sim_positions"  # Session.info: account -> {symbol: row}, read in this transaction


def read_positions(s: Session, account_id: str) -> list[SimPosition]:
    """Every position of the account, read into this transaction and kept with it (a
    position it does not hold does not exist: `move_position` then needs no read)."""
    rows = list(s.exec(select(SimPosition).where(SimPosition.account_id == account_id)).all())
    s.info.setdefault(HELD, {})[account_id] = {r.symbol: r for r in rows}
    return rows


def _held(s: Session, account_id: str) -> dict[str, SimPosition] | None:
    return s.info.get(HELD, {}).get(account_id)


def move_position(s: Session, account_id: str, symbol: str, fill: Execution) -> None:
    """Apply a fill to the account's position in `symbol` (shares, or an option's
    contracts at its premium per share)."""
    held = _held(s, account_id)
    # every writer locks the account row first: a position needs no lock of its own
    pos = held.get(symbol) if held is not None else s.get(SimPosition, (account_id, symbol))
    state = PositionState(pos.quantity, pos.avg_price) if pos else PositionState()
    upd = state.apply(fill)
    if upd.quantity == 0:
        if pos is not None and pos in s.new:
            s.expunge(pos)  # made by this transaction and not written: forget it
        elif pos is not None:
            s.delete(pos)
            s.flush()  # gone for the next fill in this transaction too
        if held is not None:
            held.pop(symbol, None)
        return
    if pos is None:
        pos = SimPosition(account_id=account_id, symbol=symbol, quantity=0, avg_price=0.0)
        if held is not None:
            held[symbol] = pos
    pos.quantity, pos.avg_price = upd.quantity, upd.avg_price
    s.add(pos)
