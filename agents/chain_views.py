"""What /chain, /ivrank and the smile chart answer: plain pydantic values (their fields are
the JSON's). A number that does not exist (no bid, no IV) is null, never zero."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.options.iv_rank import IVRank

AMERICAN_NOTE = (
    "Our IV and greeks are Black-Scholes-Merton from each mid (American single-stock options "
    "priced as European); theta per calendar day, vega and rho per 1 percentage point."
)


def num(x: float, digits: int = 6) -> float | None:
    """A finite float rounded for display, None for NaN or infinity."""
    return round(float(x), digits) if math.isfinite(x) else None


class ContractView(BaseModel):
    """One contract: its quote, our IV and greeks (at T = `years`), the venue's beside them."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    type: Literal["call", "put"]
    strike: float
    expiry: date
    dte: int
    years: float
    bid: float | None
    ask: float | None
    mid: float | None
    iv: float | None
    delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    rho: float | None
    open_interest: int | None
    volume: int | None
    iv_note: str | None = None  # why there is no IV (no bid, below intrinsic...)
    venue_iv: float | None = None  # the venue's own numbers, where it gives them
    venue_delta: float | None = None
    venue_gamma: float | None = None
    venue_theta: float | None = None
    venue_vega: float | None = None
    nearest: bool = False  # the contract nearest the asked delta


class IVRankView(BaseModel):
    """IV rank and percentile of one underlying (tastytrade's definitions)."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    iv: float
    rank: float
    percentile: float
    low: float
    high: float
    days: int
    iv_days: int
    proxy_days: int
    basis: Literal["iv", "iv+hv_proxy", "hv_proxy"]
    text: str

    @classmethod
    def of(cls, symbol: str, r: IVRank) -> IVRankView:
        return cls(
            symbol=symbol,
            iv=round(r.iv, 6),
            rank=round(r.rank, 2),
            percentile=round(r.percentile, 2),
            low=round(r.low, 6),
            high=round(r.high, 6),
            days=r.days,
            iv_days=r.iv_days,
            proxy_days=r.proxy_days,
            basis=r.basis,  # type: ignore[arg-type]
            text=r.describe(),
        )


class ChainView(BaseModel):
    """One expiry of an underlying's chain, as asked (calls, puts or both; near the money
    or near a delta), with the assumptions our numbers used."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    source: str
    simulated: bool
    as_of: datetime
    spot: float
    rate: float
    dividend: float
    dividend_known: bool
    expiry: date
    dte: int
    side: Literal["calls", "puts", "both"]
    delta: float | None
    contracts: list[ContractView]
    expiries: list[date]
    iv_rank: IVRankView | None = None
    atm_iv: float | None = None
    venue_note: str | None = None
    note: str = AMERICAN_NOTE
    missing_quotes: int = 0  # contracts shown without a two-sided quote


class SmileCurve(BaseModel):
    """One expiry's IV across strikes (out-of-the-money side: puts below the forward,
    calls above)."""

    expiry: date
    dte: int
    strikes: list[float]
    ivs: list[float]


class SmileView(BaseModel):
    """The smile/skew across expiries for the /chain chart."""

    symbol: str
    spot: float
    simulated: bool
    source: str
    curves: list[SmileCurve] = Field(default_factory=list)


def _f(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _row(c: ContractView) -> str:
    mark = "→" if c.nearest else " "
    return (
        f"{mark}{c.strike:>9,.2f} {c.type[0].upper()} {_f(c.bid, '8.2f')} {_f(c.ask, '8.2f')} "
        f"{_f(c.iv and c.iv * 100, '6.1f')} {_f(c.delta, '6.2f')} {_f(c.gamma, '7.4f')} "
        f"{_f(c.theta, '7.3f')} {_f(c.vega, '6.3f')} "
        f"{'–' if c.open_interest is None else format(c.open_interest, ',')}"
    )


def chain_text(v: ChainView, mode_label: str) -> str:
    """The chain as lines for the terminal."""
    label = "SIMULATED" if v.simulated else mode_label
    head = (
        f"[{label}] {v.symbol} options {v.expiry.isoformat()} ({v.dte} DTE), {v.side}, "
        f"spot {v.spot:,.2f} ({v.source})"
    )
    atm = f"ATM IV {v.atm_iv:.1%}" if v.atm_iv is not None else "ATM IV –"
    rank = v.iv_rank.text if v.iv_rank is not None else "IV rank: not enough history"
    div = f"{v.dividend:.2%}" if v.dividend_known else "unknown (0 assumed)"
    lines = [
        head,
        f"{atm}; {rank}",
        f"rate {v.rate:.2%}, dividend {div}",
        f"{'strike':>10} T {'bid':>8} {'ask':>8} {'IV%':>6} {'delta':>6} {'gamma':>7} "
        f"{'theta':>7} {'vega':>6} OI",
        *(_row(c) for c in v.contracts),
    ]
    if v.delta is not None:
        lines.append(f"→ nearest |delta| {v.delta:g}")
    if v.missing_quotes:
        lines.append(f"{v.missing_quotes} contracts have no two-sided quote: no IV shown.")
    if v.venue_note:
        lines.append(f"Venue IV: {v.venue_note}.")
    lines.append(v.note)
    return "\n".join(lines)


__all__ = [
    "AMERICAN_NOTE",
    "ChainView",
    "ContractView",
    "IVRankView",
    "SmileCurve",
    "SmileView",
    "chain_text",
    "num",
]
