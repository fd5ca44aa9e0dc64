"""Alpaca option JSON -> `OptionRow`, checked field by field (pure: no I/O, no SDK types).

Contracts come from the trading API (``/v2/options/contracts``: numbers as strings, the
open interest among them); quotes, the latest trade, IV and greeks from the data API's
snapshots (``latestQuote`` ``{ap, as, bp, bs, ...}``, ``latestTrade`` ``{p, s, ...}``,
``greeks``, ``impliedVolatility`` and, when Alpaca sends it, ``dailyBar`` with the day's
volume ``v``). A missing number stays None (NaN in the chain), never zero: no price is
invented. An entry whose symbol, expiry, type or strike cannot be read raises
`BadOptionData` so the adapter skips and reports it.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from models.options import OptionRow, OptionType, normal_occ, parse_occ

GREEKS = ("delta", "gamma", "theta", "vega", "rho")
TYPES: dict[str, OptionType] = {"call": "call", "put": "put"}


class BadOptionData(ValueError):
    """One contract or snapshot entry that does not make sense; it was not used."""


def occ_root(underlying: str) -> str:
    """The OCC root of a standard contract on `underlying` (BRK.B -> BRKB)."""
    return underlying.upper().replace(".", "").replace("/", "")


def _number(raw: dict[str, Any], name: str) -> float | None:
    """A finite float from a string or number field; None when absent or empty."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadOptionData(f"field {name!r} is not a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise BadOptionData(f"field {name!r} is not a number") from None
    if not math.isfinite(x):
        raise BadOptionData(f"field {name!r} is not finite")
    return x


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadOptionData(f"{what} is not an object")
    return raw


def contract_row(raw: Any, root: str) -> OptionRow | None:
    """The row of one contract entry (open interest, no quote yet); None when the contract
    is not a standard one on `root` (an adjusted contract after a corporate action, such
    as AAPL1, delivers something other than 100 shares). BadOptionData when unreadable."""
    entry = _object(raw, "contract")
    symbol = entry.get("symbol")
    try:
        occ = parse_occ(str(symbol)) if isinstance(symbol, str) else None
    except ValueError:
        occ = None
    if occ is None:
        raise BadOptionData("unreadable contract symbol")
    if occ.root != root or str(entry.get("size", "100")) not in ("100", "100.0"):
        return None
    kind = TYPES.get(str(entry.get("type", "")).lower())
    strike = _number(entry, "strike_price")
    try:
        expiry = date.fromisoformat(str(entry.get("expiration_date", "")))
    except ValueError:
        raise BadOptionData("unreadable expiration_date") from None
    if kind is None:
        raise BadOptionData("type is neither call nor put")
    if strike is None or strike <= 0:
        raise BadOptionData("missing or non-positive strike_price")
    if (kind, expiry) != (occ.type, occ.expiry) or abs(strike - occ.strike) > 5e-4:
        raise BadOptionData("symbol disagrees with its type, expiry or strike")
    oi = _number(entry, "open_interest")
    if oi is not None and oi < 0:
        raise BadOptionData("negative open_interest")
    return OptionRow(normal_occ(symbol), kind, occ.strike, expiry, open_interest=oi)


def bare_row(symbol: str) -> OptionRow:
    """A row with only what the OCC symbol says (BadOptionData when it is not one)."""
    try:
        occ = parse_occ(symbol)
    except ValueError:
        raise BadOptionData("unreadable option symbol") from None
    return OptionRow(normal_occ(symbol), occ.type, occ.strike, occ.expiry)


def _price(block: dict[str, Any], name: str, *, zero_ok: bool) -> float | None:
    x = _number(block, name)
    if x is None or x < 0 or (x == 0 and not zero_ok):
        return None  # no side quoted: nothing invented
    return x


def quoted(raw: Any) -> bool:
    """Whether a snapshot entry carries anything (a quote, a trade, IV or greeks)."""
    return isinstance(raw, dict) and any(
        raw.get(k) for k in ("latestQuote", "latestTrade", "impliedVolatility", "greeks")
    )


def with_snapshot(row: OptionRow, raw: Any) -> OptionRow:
    """`row` with the quote, last trade, day volume, IV and greeks of a snapshot entry.
    A zero bid stays zero (nobody bids); a zero or missing ask is NaN."""
    snap = _object(raw, "snapshot")
    quote = _object(snap.get("latestQuote") or {}, "latestQuote")
    trade = _object(snap.get("latestTrade") or {}, "latestTrade")
    daily = _object(snap.get("dailyBar") or {}, "dailyBar")
    greeks = _object(snap.get("greeks") or {}, "greeks")
    bid = _price(quote, "bp", zero_ok=True)
    ask = _price(quote, "ap", zero_ok=False)
    if bid is not None and ask is not None and bid > ask:
        raise BadOptionData(f"crossed quote (bid {bid:g} > ask {ask:g})")
    iv = _number(snap, "impliedVolatility")
    volume = _number(daily, "v")
    values = {g: _number(greeks, g) for g in GREEKS}
    return row._replace(
        bid=bid,
        ask=ask,
        last=_price(trade, "p", zero_ok=False),
        volume=volume if volume is not None and volume >= 0 else None,
        iv=iv if iv is not None and iv > 0 else None,
        **values,
    )


__all__ = [
    "GREEKS",
    "BadOptionData",
    "bare_row",
    "contract_row",
    "occ_root",
    "quoted",
    "with_snapshot",
]
