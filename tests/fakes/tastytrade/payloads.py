"""Tastytrade's JSON shapes (kebab-case keys, unsigned numbers plus an "-effect"), built here so
the server's handlers stay short. Every builder returns what goes *inside* {"data": ...}."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

OPEN_STATUSES = ("Received", "Routed", "In Flight", "Live", "Contingent", "Cancel Requested")


def stamp(ts: datetime | None = None) -> str:
    """An ISO timestamp as Tastytrade writes it (UTC, millisecond precision, Z)."""
    ts = ts or datetime.now(UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def money(value: float | Decimal) -> str:
    """An unsigned amount as a string (the sign lives in the matching "-effect" key)."""
    return f"{abs(Decimal(str(value))):.2f}"


def effect(value: float | Decimal) -> str:
    return "Debit" if value < 0 else ("Credit" if value > 0 else "None")


def error(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Tastytrade's error envelope."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return {"error": body}


def account(number: str, nickname: str = "Individual") -> dict[str, Any]:
    """One item of GET /customers/me/accounts."""
    return {
        "account": {
            "account-number": number,
            "opened-at": "2024-01-02T15:00:00.000Z",
            "nickname": nickname,
            "account-type-name": "Individual",
            "is-closed": False,
            "day-trader-status": False,
            "is-firm-error": False,
            "is-firm-proprietary": False,
            "is-futures-approved": False,
            "is-test-drive": False,
            "margin-or-cash": "Margin",
            "is-foreign": False,
            "created-at": "2024-01-02T15:00:00.000Z",
            "suitable-options-level": "No Restrictions",
        },
        "authority-level": "owner",
    }


_ZERO_BALANCE_KEYS = [
    "short-equity-value",
    "long-derivative-value",
    "short-derivative-value",
    "long-futures-value",
    "short-futures-value",
    "long-futures-derivative-value",
    "short-futures-derivative-value",
    "short-margineable-value",
    "futures-margin-requirement",
    "maintenance-call-value",
    "reg-t-call-value",
    "day-trading-call-value",
    "day-equity-call-value",
    "day-trade-excess",
    "pending-cash",
    "long-cryptocurrency-value",
    "short-cryptocurrency-value",
    "cryptocurrency-margin-requirement",
    "unsettled-cryptocurrency-fiat-amount",
    "closed-loop-available-balance",
    "equity-offering-margin-requirement",
    "long-bond-value",
    "bond-margin-requirement",
    "used-derivative-buying-power",
    "futures-overnight-margin-requirement",
    "futures-intraday-margin-requirement",
    "pending-margin-interest",
    "effective-cryptocurrency-buying-power",
]


def balances(number: str, cash: float, long_value: float, buying_power: float) -> dict[str, Any]:
    """GET /accounts/{n}/balances/USD for a plain long-equity margin account."""
    net_liq = cash + long_value
    body: dict[str, Any] = {k: "0.0" for k in _ZERO_BALANCE_KEYS}
    body.update(
        {
            "account-number": number,
            "cash-balance": money(cash),
            "long-equity-value": money(long_value),
            "long-margineable-value": money(long_value),
            "margin-equity": money(net_liq),
            "equity-buying-power": money(buying_power),
            "derivative-buying-power": money(buying_power / 2),
            "day-trading-buying-power": "0.0",
            "available-trading-funds": money(cash),
            "maintenance-requirement": money(long_value * 0.25),
            "reg-t-margin-requirement": money(long_value * 0.5),
            "maintenance-excess": money(net_liq - long_value * 0.25),
            "net-liquidating-value": money(net_liq),
            "cash-available-to-withdraw": money(cash),
            "snapshot-date": datetime.now(UTC).date().isoformat(),
            "updated-at": stamp(),
            "currency": "USD",
        }
    )
    return body


def position(number: str, symbol: str, quantity: int, avg_price: float, mark: float) -> dict:
    """One item of GET /accounts/{n}/positions (quantity unsigned, direction separate)."""
    return {
        "account-number": number,
        "symbol": symbol,
        "instrument-type": "Equity",
        "underlying-symbol": symbol,
        "quantity": str(abs(quantity)),
        "quantity-direction": "Long" if quantity > 0 else "Short",
        "close-price": money(mark),
        "average-open-price": money(avg_price),
        "multiplier": 1,
        "cost-effect": "Debit" if quantity > 0 else "Credit",
        "is-suppressed": False,
        "is-frozen": False,
        "realized-day-gain": "0.0",
        "realized-day-gain-effect": "None",
        "realized-today": "0.0",
        "realized-today-effect": "None",
        "created-at": "2025-01-02T15:00:00.000Z",
        "updated-at": stamp(),
        "mark": money(mark),
        "mark-price": money(mark),
    }


def buying_power_effect(
    cost: float, current_bp: float, margin: float | None = None
) -> dict[str, Any]:
    """The dry-run "buying-power-effect": `cost` > 0 uses buying power (a debit); the margin
    requirement is `margin` (default: half the cost, a stock's)."""
    new_bp = current_bp - cost
    margin = cost / 2 if margin is None else margin
    return {
        "change-in-margin-requirement": money(margin),
        "change-in-margin-requirement-effect": effect(-margin),
        "change-in-buying-power": money(cost),
        "change-in-buying-power-effect": effect(-cost),
        "current-buying-power": money(current_bp),
        "current-buying-power-effect": "Credit",
        "new-buying-power": money(new_bp),
        "new-buying-power-effect": effect(new_bp) if new_bp else "None",
        "isolated-order-margin-requirement": money(margin),
        "isolated-order-margin-requirement-effect": effect(-margin),
        "is-spread": False,
        "impact": money(cost),
        "effect": effect(-cost),
    }


def fee_calculation(commission: float, clearing: float, regulatory: float) -> dict[str, Any]:
    """The "fee-calculation" block; fees are debits."""
    total = commission + clearing + regulatory
    out: dict[str, Any] = {}
    for key, value in (
        ("regulatory-fees", regulatory),
        ("clearing-fees", clearing),
        ("commission", commission),
        ("proprietary-index-option-fees", 0.0),
        ("total-fees", total),
    ):
        out[key] = money(value)
        out[f"{key}-effect"] = "Debit" if value else "None"
    return out
