"""A booked round trip as a report line: why it closed, and what it paid against the quote.

One place for both the report's trades and the trade review (learning.py)."""

from __future__ import annotations

from models.domain import KILL_PREFIX, two_sided_mid
from models.options import is_occ
from models.report_reads import TradeFacts
from models.tables import Trade
from services.reports.types import TradeRecord


def exit_reason(tf: TradeFacts) -> str:
    """Why the round trip closed: its venue stop or target (`stop`, `target`), a monitor
    rule's exit card (`monitor:<rule>`), a person's exit card (`exit_card`), the kill switch
    (`kill`), expiry (`expired_worthless`, `assigned`, `exercised`), else `manual`."""
    o = tf.exit_order
    if o is None:
        return "manual" if tf.trade.closed_at else ""
    if o.client_order_id.startswith(KILL_PREFIX):
        return "kill"
    if o.role in ("stop", "target"):
        return o.role
    if not o.proposal_id:  # the venue settled the contract at expiry
        for fate in ("expired worthless", "assigned", "exercised"):
            if fate in (o.reason or ""):
                return fate.replace(" ", "_")
    card = tf.exit_card
    if card is not None and card.kind == "exit":
        mon = (card.facts or {}).get("monitor")
        if isinstance(mon, dict) and mon.get("rule"):
            return f"monitor:{mon['rule']}"
        return "exit_card"
    return "manual"


def slippage(tf: TradeFacts) -> float:
    """Dollars paid against the cards' quote mids, entry and exit (> 0 is a cost). Option
    legs are left at 0: their cards quote the spread's net, not each contract."""
    t = tf.trade
    if is_occ(t.symbol):
        return 0.0
    sign = 1.0 if t.direction == "long" else -1.0
    cost = 0.0
    if tf.entry is not None and (mid := two_sided_mid(tf.entry.quote_bid, tf.entry.quote_ask)):
        cost += sign * (t.entry_price - mid) * t.quantity
    card = tf.exit_card
    if (
        card is not None
        and t.exit_price is not None
        and (mid := two_sided_mid(card.quote_bid, card.quote_ask))
    ):
        cost += sign * (mid - t.exit_price) * t.closed_quantity
    return round(cost, 2)


def record(tf: TradeFacts) -> TradeRecord:
    t = tf.trade
    return TradeRecord(
        proposal_id=t.proposal_id,
        symbol=t.symbol,
        side=t.direction,
        quantity=t.quantity,
        entry_time=t.opened_at,
        entry_price=t.entry_price,
        exit_time=t.closed_at,
        exit_price=t.exit_price,
        realised_pnl=round(t.realized_pnl, 2),
        fees=round(t.commission, 2),
        strategy=t.strategy,
        exit_reason=exit_reason(tf),
        tags=tf.tags,
        slippage=slippage(tf),
    )


def open_record(t: Trade) -> TradeRecord:
    """A round trip still open at the window's end (no exit yet)."""
    return TradeRecord(
        proposal_id=t.proposal_id,
        symbol=t.symbol,
        side=t.direction,
        quantity=t.quantity,
        entry_time=t.opened_at,
        entry_price=t.entry_price,
        exit_time=None,
        exit_price=None,
        realised_pnl=round(t.realized_pnl, 2),
        fees=round(t.commission, 2),
        strategy=t.strategy,
    )
