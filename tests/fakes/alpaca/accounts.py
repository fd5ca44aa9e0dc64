"""Alpaca's account and position objects as the trading API sends them (numbers as strings)."""

from __future__ import annotations

import uuid
from typing import Any

OPTION_SIZE = 100  # shares per option contract


def num(x: float) -> str:
    return f"{x:.10g}"


def position_wire(symbol: str, qty: int, avg: float) -> dict[str, Any]:
    """A us_equity position of ``qty`` shares (negative: short) at ``avg``."""
    return {
        "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "asset_marginable": True,
        "avg_entry_price": num(avg),
        "qty": str(qty),
        "side": "long" if qty > 0 else "short",
        "market_value": num(qty * avg),
        "cost_basis": num(qty * avg),
        "unrealized_pl": "0",
        "unrealized_plpc": "0",
        "current_price": num(avg),
        "lastday_price": num(avg),
        "change_today": "0",
        "qty_available": str(qty),
    }


def option_position_wire(symbol: str, qty: int, avg: float) -> dict[str, Any]:
    """A us_option position of ``qty`` contracts (negative: short) at ``avg`` premium per
    share; its values are in dollars (× 100 shares a contract)."""
    value = qty * avg * OPTION_SIZE
    return {
        **position_wire(symbol, qty, avg),
        "exchange": "",
        "asset_class": "us_option",
        "asset_marginable": True,
        "market_value": num(value),
        "cost_basis": num(value),
    }


def account_wire(
    account_id: str, cash: float, positions: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The paper account: equity is cash plus the positions' market value."""
    value = sum(float(p["market_value"]) for p in positions.values())
    equity = cash + value
    return {
        "id": account_id,
        "account_number": "PA3FAKE00001",
        "status": "ACTIVE",
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": num(max(0.0, cash)),
        "regt_buying_power": num(max(0.0, cash)),
        "non_marginable_buying_power": num(max(0.0, cash)),
        "cash": num(cash),
        "portfolio_value": num(equity),
        "equity": num(equity),
        "last_equity": num(equity),
        "long_market_value": num(value),
        "short_market_value": "0",
        "multiplier": "1",
        "pattern_day_trader": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "shorting_enabled": False,
        "created_at": "2024-01-02T15:00:00Z",
        "daytrade_count": 0,
    }
