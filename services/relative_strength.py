"""How a symbol moved against a reference: the market benchmark (relative strength) and its
own previous completed close (the day's change so far).

Pure. The benchmark's return is computed from the benchmark's own daily closes with the one
`roc` of services.indicators, never from the other symbols of a scan, so a symbol's score
does not depend on what else was scanned with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import ArrayLike

from models.domain import Quote
from services import indicators as ind
from services.market_calendar import ET


@dataclass(frozen=True, slots=True)
class Reference:
    """What relative strength is measured against: the benchmark's return (%) over the
    scanner's `rs_window`."""

    label: str
    return_pct: float


def benchmark_reference(label: str, close: ArrayLike, window: int) -> Reference | None:
    """The benchmark's `window`-bar return from its daily closes (None when too short or
    not finite): the same `roc` the scanner computes for every symbol."""
    c = np.asarray(close, dtype=np.float64)
    if c.ndim != 1 or len(c) <= window:
        return None
    r = float(ind.roc(c, window)[-1])
    return Reference(label, r) if np.isfinite(r) else None


def relative_strength(
    ret: float, window: int, direction: float, ref: Reference | None
) -> tuple[float, str, float | None]:
    """(share of the points 0..1 before clipping, detail, excess return in points) for a
    symbol's `window`-bar return `ret` against `ref`, in the trend's `direction` (+1, -1, 0):
    10 points of out- or under-performance earn full marks. A detail starting "n/a:" says
    why nothing could be measured."""
    if not np.isfinite(ret):
        return 0.0, f"n/a: needs {window + 1} bars", None
    if ref is None:
        return 0.0, f"n/a: {window}-day return {ret:+.2f}% but no market reference", None
    excess = ret - ref.return_pct
    detail = (
        f"{window}-day return {ret:+.2f}% vs {ref.label} {ref.return_pct:+.2f}% ({excess:+.2f} pts)"
    )
    return (direction * excess / 10 if direction else 0.0), detail, excess


def _ny_date(t: datetime) -> date:
    """The New York calendar date of `t` (naive times are taken as UTC)."""
    return (t if t.tzinfo is not None else t.replace(tzinfo=UTC)).astimezone(ET).date()


def previous_close(close: ArrayLike, ts: Sequence[datetime] | None, quote: Quote) -> float | None:
    """The last completed daily close before the quote's session: the last bar's, unless
    that bar is of the quote's own (New York) day (after the close), then the one before."""
    c = np.asarray(close, dtype=np.float64)
    k = len(c) - 1
    if ts is not None and len(ts) == len(c) and k >= 0 and _ny_date(ts[-1]) >= _ny_date(quote.ts):
        k -= 1
    if k < 0 or c.ndim != 1:
        return None
    prev = float(c[k])
    return prev if np.isfinite(prev) and prev > 0 else None


def day_change_pct(close: ArrayLike, ts: Sequence[datetime] | None, quote: Quote) -> float | None:
    """The day's change so far: the quote's last price against the previous completed daily
    close, in % (None when either is missing or not a price)."""
    prev = previous_close(close, ts, quote)
    last = quote.last
    if prev is None or not (np.isfinite(last) and last > 0):
        return None
    return round((last / prev - 1.0) * 100.0, 4)
