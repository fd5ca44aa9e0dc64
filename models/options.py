"""Option contracts and chains as the venues give them: OCC symbols, and a chain held as
columns (one numpy array per field) so a chain of thousands of contracts is built, priced
and filtered without a Python object per contract.

An OCC symbol is the root, the expiry as YYMMDD, C or P, and the strike × 1000 in eight
digits: `AAPL250620C00100000`. The OCC's own form pads the root with spaces to six
characters (`AAPL  250620C00100000`, as Tastytrade sends it); both parse, and ours is the
unpadded one (Alpaca's). A missing number (no bid, no open interest, no venue greek) is
NaN, never zero: no price is invented.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

OptionType = Literal["call", "put"]
OPTION_MULTIPLIER = 100  # shares a standard equity option contract delivers
Floats = NDArray[np.float64]

_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5}) *(\d{6})([CP])(\d{8})$")
VENUE_GREEKS = ("iv", "delta", "gamma", "theta", "vega", "rho")


class OccSymbol(NamedTuple):
    """The parts of an OCC option symbol."""

    root: str
    expiry: date
    type: OptionType
    strike: float


def occ_symbol(
    root: str, expiry: date, kind: OptionType, strike: float, padded: bool = False
) -> str:
    """The OCC symbol of a contract; `padded` gives the OCC's six-character root form."""
    mills = round(strike * 1000)
    if not 0 < mills < 100_000_000:
        raise ValueError(f"strike {strike!r} does not fit an OCC symbol")
    head = root.upper().ljust(6) if padded else root.upper()
    return f"{head}{expiry:%y%m%d}{'C' if kind == 'call' else 'P'}{mills:08d}"


def parse_occ(symbol: str) -> OccSymbol:
    """The parts of an OCC symbol in either form (padded root or not); ValueError when
    `symbol` is not one. (Remembered: books and venues parse the same contracts often.)"""
    return _parse_occ(symbol)


@lru_cache(maxsize=65_536)
def _parse_occ(symbol: str) -> OccSymbol:
    m = _OCC.match((symbol or "").strip().upper())
    if m is None:
        raise ValueError(f"{symbol!r} is not an OCC option symbol")
    root, ymd, cp, mills = m.groups()
    try:
        expiry = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
    except ValueError:
        raise ValueError(f"{symbol!r} has no valid expiry date") from None
    return OccSymbol(root, expiry, "call" if cp == "C" else "put", int(mills) / 1000)


def normal_occ(symbol: str) -> str:
    """The unpadded form of an OCC symbol (either form in)."""
    p = parse_occ(symbol)
    return occ_symbol(p.root, p.expiry, p.type, p.strike)


def is_occ(symbol: str) -> bool:
    """Whether `symbol` is an OCC option symbol (either form) with a real expiry date."""
    try:
        parse_occ(symbol)
    except ValueError:
        return False
    return True


class OptionRow(NamedTuple):
    """One contract and its quote as a venue adapter reads it. Missing numbers are None
    (or NaN); the venue's own IV and greeks are kept apart from ours."""

    symbol: str
    type: OptionType
    strike: float
    expiry: date
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    open_interest: float | None = None
    volume: float | None = None
    iv: float | None = None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    rho: float | None = None


def _col(values: Iterable[float | None]) -> Floats:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


@dataclass(frozen=True)
class OptionChain:
    """Contracts of one underlying with their quotes, as columns of equal length.

    `source` names where it came from ("sim", "alpaca:indicative", "tastytrade+dxlink");
    `venue_greeks` holds the venue's own iv and greeks by name (absent when the venue has
    none) and `venue_note` its stated assumptions; `dividend` is the yield the venue or
    the simulator knows for the underlying, None when unknown.
    """

    underlying: str
    source: str
    simulated: bool
    as_of: datetime
    symbols: list[str]
    is_call: NDArray[np.bool_]
    strike: Floats
    expiry: NDArray[np.datetime64]  # datetime64[D]
    bid: Floats
    ask: Floats
    last: Floats
    open_interest: Floats
    volume: Floats
    venue_greeks: dict[str, Floats] = field(default_factory=dict)
    venue_note: str | None = None
    dividend: float | None = None
    spot: float | None = None  # the underlying's price as the chain's venue quoted it

    def __len__(self) -> int:
        return len(self.symbols)

    def expiries(self) -> list[date]:
        """The distinct expiries, soonest first."""
        return [d.astype(object) for d in np.unique(self.expiry)]

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> OptionChain:
        """The chain restricted to `index` (positions or a mask), in that order."""
        idx = np.flatnonzero(index) if index.dtype == np.bool_ else index
        cols = {
            name: getattr(self, name)[idx]
            for name in (
                "is_call",
                "strike",
                "expiry",
                "bid",
                "ask",
                "last",
                "open_interest",
                "volume",
            )
        }
        return OptionChain(
            underlying=self.underlying,
            source=self.source,
            simulated=self.simulated,
            as_of=self.as_of,
            symbols=[self.symbols[i] for i in idx.tolist()],
            venue_greeks={k: v[idx] for k, v in self.venue_greeks.items()},
            venue_note=self.venue_note,
            dividend=self.dividend,
            spot=self.spot,
            **cols,
        )

    @classmethod
    def from_rows(
        cls,
        underlying: str,
        rows: Iterable[OptionRow],
        *,
        source: str,
        simulated: bool,
        as_of: datetime,
        venue_note: str | None = None,
        dividend: float | None = None,
        spot: float | None = None,
    ) -> OptionChain:
        """A chain from rows in any order, sorted by expiry, type (calls first), strike.
        The venue's greeks are kept only for names some row carries."""
        ordered = sorted(rows, key=lambda r: (r.expiry, r.type != "call", r.strike))
        greeks = {
            name: _col(getattr(r, name) for r in ordered)
            for name in VENUE_GREEKS
            if any(getattr(r, name) is not None for r in ordered)
        }
        return cls(
            underlying=underlying.upper(),
            source=source,
            simulated=simulated,
            as_of=as_of,
            symbols=[r.symbol for r in ordered],
            is_call=np.array([r.type == "call" for r in ordered], dtype=np.bool_),
            strike=_col(r.strike for r in ordered),
            expiry=np.array([r.expiry for r in ordered], dtype="datetime64[D]"),
            bid=_col(r.bid for r in ordered),
            ask=_col(r.ask for r in ordered),
            last=_col(r.last for r in ordered),
            open_interest=_col(r.open_interest for r in ordered),
            volume=_col(r.volume for r in ordered),
            venue_greeks=greeks,
            venue_note=venue_note,
            dividend=dividend,
            spot=spot,
        )


__all__ = [
    "VENUE_GREEKS",
    "OccSymbol",
    "OptionChain",
    "OptionRow",
    "OptionType",
    "is_occ",
    "normal_occ",
    "occ_symbol",
    "parse_occ",
]
