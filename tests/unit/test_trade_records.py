"""A booked round trip as a report line: why it closed (the order and card that closed it)
and what it paid against the cards' quote mids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.trade_records import exit_reason, record, slippage
from models.domain import Side
from models.report_reads import TradeFacts
from models.tables import Order, Proposal, Trade

T0 = datetime(2026, 11, 20, 15, tzinfo=UTC)


def trade(direction: str = "long", symbol: str = "AAPL", **kw: Any) -> Trade:
    base: dict[str, Any] = dict(
        symbol=symbol, direction=direction, quantity=10, closed_quantity=10,
        entry_price=100.10, exit_price=104.90, opened_at=T0, closed_at=T0 + timedelta(hours=2),
        realized_pnl=47.8, commission=0.2, status="closed", strategy="breakout",
        proposal_id="p-entry001",
    )  # fmt: skip
    return Trade(**{**base, **kw})


def order(cid: str = "p-exit0001", **kw: Any) -> Order:
    base: dict[str, Any] = dict(
        client_order_id=cid, broker="sim", symbol="AAPL", side="sell", quantity=10,
        order_type="market", status="filled", submitted_at=T0, updated_at=T0,
    )  # fmt: skip
    return Order(**{**base, **kw})


def card(
    pid: str, kind: str = "entry", bid: float = 99.9, ask: float = 100.1, **kw: Any
) -> Proposal:
    return Proposal(
        id=pid, kind=kind, symbol="AAPL", side=Side.BUY, quantity=10, entry_price=100.0,
        quote_bid=bid, quote_ask=ask, quote_ts=T0, mode="sim", broker="sim",
        created_at=T0, expires_at=T0, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("o", "exit_card", "reason"),
    [
        (None, None, "manual"),
        (order("kill-abc123"), None, "kill"),
        (order(role="stop"), None, "stop"),
        (order(role="target"), None, "target"),
        (order("EXP-X", reason="expired worthless"), None, "expired_worthless"),
        (order("EXP-Y", reason="assigned at 95"), None, "assigned"),
        (order(proposal_id="p-exit0001"), card("p-exit0001", "exit", facts={
            "monitor": {"rule": "time_stop"}}), "monitor:time_stop"),
        (order(proposal_id="p-exit0001"), card("p-exit0001", "exit"), "exit_card"),
        (order(proposal_id="p-other001"), card("p-other001"), "manual"),
    ],
)  # fmt: skip
def test_why_a_round_trip_closed(o: Order | None, exit_card: Proposal | None, reason: str) -> None:
    tf = TradeFacts(trade=trade(), entry=card("p-entry001"), exit_order=o, exit_card=exit_card)
    assert exit_reason(tf) == reason


def test_slippage_against_the_quote_mids_long_and_short() -> None:
    out = card("p-exit0001", "exit", bid=104.95, ask=105.05)  # mid 105.00
    long = TradeFacts(trade(), card("p-entry001"), order(), out)  # mid 100.00 in, 105.00 out
    assert slippage(long) == pytest.approx(10 * 0.10 + 10 * 0.10)  # paid up in, sold under
    short = TradeFacts(trade("short", entry_price=99.90, exit_price=105.10), card("p-entry001"),
                       order(), out)  # fmt: skip
    assert slippage(short) == pytest.approx(10 * 0.10 + 10 * 0.10)
    occ = TradeFacts(trade(symbol="AAPL  261218P00150000"), card("p-entry001"), order(), out)
    assert slippage(occ) == 0.0  # a spread's card quotes its net, not each contract
    line = record(long)
    assert line.realised_pnl == 47.8 and line.fees == 0.2 and line.exit_reason == "exit_card"
    assert line.holding_days == pytest.approx(2 / 24, abs=0.01)
