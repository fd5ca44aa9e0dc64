"""Portfolio risk (pure): 1-day historical and parametric VaR, correlation of holdings, and a
what-if for a proposal (the book's risk before and after adding it).

Inputs are the signed market value of each holding ($, negative for shorts) and each
symbol's daily simple returns, oldest first, ending on the same day. Series are aligned on
their most recent common window. VaR is a loss, reported as a positive number of dollars and
as % of equity. Parametric VaR assumes normal returns with zero mean over one day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np

from models.domain import Frozen
from services.risk.errors import RiskInputError, finite

CONFIDENCES = (0.95, 0.99)
MIN_OBSERVATIONS = 20


class VarFigure(Frozen):
    """VaR at one confidence over one day, both ways."""

    confidence: float
    historical: float
    parametric: float
    historical_pct: float | None  # None when equity is not positive
    parametric_pct: float | None


class PortfolioRisk(Frozen):
    """The book's 1-day risk; `missing` lists holdings left out for want of returns."""

    equity: float
    gross: float
    net: float
    observations: int
    symbols: tuple[str, ...]
    volatility: float  # 1-day standard deviation of the book's $ P&L
    var: tuple[VarFigure, ...]
    correlation: tuple[tuple[float, ...], ...]
    avg_correlation: float | None
    most_correlated: tuple[str, str, float] | None
    missing: tuple[str, ...] = ()

    def at(self, confidence: float) -> VarFigure | None:
        return next((v for v in self.var if abs(v.confidence - confidence) < 1e-9), None)


class WhatIf(Frozen):
    """The book's risk before and after a proposal adds `value` dollars of `symbol`."""

    symbol: str
    value: float
    before: PortfolioRisk
    after: PortfolioRisk

    def delta(self, confidence: float = 0.95, method: str = "historical") -> float | None:
        """Change in VaR ($) the proposal brings (None when either side has no figure)."""
        a, b = self.after.at(confidence), self.before.at(confidence)
        if a is None or b is None:
            return None
        return round(getattr(a, method) - getattr(b, method), 2)


def returns_from_closes(closes: Sequence[float]) -> list[float]:
    """Daily simple returns from closing prices, oldest first."""
    for c in closes:
        finite("close", c, positive=True)
    return [closes[i] / closes[i - 1] - 1 for i in range(1, len(closes))]


def _z(confidence: float) -> float:
    if not 0.5 < confidence < 1:
        raise RiskInputError(f"confidence must be between 0.5 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(confidence)


def historical_var(pnl: Sequence[float] | np.ndarray, confidence: float) -> float:
    """The loss not exceeded on `confidence` of the days in `pnl` ($, >= 0)."""
    _z(confidence)
    xs = np.asarray(pnl, dtype=float)
    if xs.size == 0 or not np.isfinite(xs).all():
        raise RiskInputError("historical VaR needs at least one finite P&L value")
    return max(0.0, -float(np.quantile(xs, 1 - confidence)))


def parametric_var(sigma: float, confidence: float) -> float:
    """z * sigma: the normal 1-day VaR of a P&L with standard deviation `sigma` ($)."""
    finite("sigma", sigma, non_negative=True)
    return _z(confidence) * sigma


def correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation from a covariance matrix; a series with no variance correlates 0."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    live = sd > 0
    scale = np.where(live, sd, 1.0)
    out = np.clip(cov / np.outer(scale, scale), -1.0, 1.0)
    out[~live, :] = 0.0
    out[:, ~live] = 0.0
    np.fill_diagonal(out, 1.0)
    return out


def _figure(confidence: float, pnl: np.ndarray, sigma: float, equity: float) -> VarFigure:
    hv, pv = historical_var(pnl, confidence), parametric_var(sigma, confidence)
    return VarFigure(
        confidence=confidence,
        historical=round(hv, 2),
        parametric=round(pv, 2),
        historical_pct=round(hv / equity * 100, 4) if equity > 0 else None,
        parametric_pct=round(pv / equity * 100, 4) if equity > 0 else None,
    )


def _empty(equity: float, values: Mapping[str, float], missing: Sequence[str]) -> PortfolioRisk:
    return PortfolioRisk(
        equity=equity,
        gross=round(sum(abs(v) for v in values.values()), 2),
        net=round(sum(values.values()), 2),
        observations=0,
        symbols=(),
        volatility=0.0,
        var=(),
        correlation=(),
        avg_correlation=None,
        most_correlated=None,
        missing=tuple(missing),
    )


def portfolio_risk(
    values: Mapping[str, float],
    returns: Mapping[str, Sequence[float]],
    equity: float,
    confidences: Sequence[float] = CONFIDENCES,
    min_observations: int = MIN_OBSERVATIONS,
) -> PortfolioRisk:
    """VaR, volatility and correlation of the book `values` (symbol -> signed $ value).

    Holdings with fewer than `min_observations` returns are listed in `missing` and left out.
    Raises RiskInputError on non-finite values or returns, or a bad confidence.
    """
    finite("equity", equity)
    for c in confidences:
        _z(c)
    for sym, v in values.items():
        finite(f"value of {sym}", v)
    held = [s for s in sorted(values) if values[s] != 0]
    use = [s for s in held if len(returns.get(s, ())) >= min_observations]
    missing = [s for s in held if s not in use]
    if not use:
        return _empty(equity, values, missing)
    n = min(len(returns[s]) for s in use)
    r = np.array([np.asarray(returns[s][-n:], dtype=float) for s in use])
    if not np.isfinite(r).all():
        bad = next(s for s, row in zip(use, r, strict=True) if not np.isfinite(row).all())
        raise RiskInputError(f"returns of {bad} contain a value that is not a finite number")
    v = np.array([values[s] for s in use])
    pnl = v @ r
    cov = np.atleast_2d(np.cov(r, ddof=1))
    sigma = math.sqrt(max(float(v @ cov @ v), 0.0))
    corr = correlation(cov)
    figures = tuple(_figure(c, pnl, sigma, equity) for c in confidences)
    avg, top = None, None
    if len(use) >= 2:
        iu = np.triu_indices(len(use), k=1)
        pairs = corr[iu]
        avg = round(float(pairs.mean()), 4)
        k = int(np.argmax(pairs))
        top = (use[iu[0][k]], use[iu[1][k]], round(float(pairs[k]), 4))
    return PortfolioRisk(
        equity=equity,
        gross=round(sum(abs(x) for x in values.values()), 2),
        net=round(sum(values.values()), 2),
        observations=n,
        symbols=tuple(use),
        volatility=round(sigma, 2),
        var=figures,
        correlation=tuple(map(tuple, corr.round(4).tolist())),
        avg_correlation=avg,
        most_correlated=top,
        missing=tuple(missing),
    )


def what_if(
    values: Mapping[str, float],
    returns: Mapping[str, Sequence[float]],
    equity: float,
    symbol: str,
    value: float,
    confidences: Sequence[float] = CONFIDENCES,
    min_observations: int = MIN_OBSERVATIONS,
) -> WhatIf:
    """The book's risk before and after adding `value` signed dollars of `symbol` (a buy of
    q shares at p is q * p; a short sale is negative)."""
    finite("proposal value", value)
    after = dict(values)
    after[symbol] = after.get(symbol, 0.0) + value
    return WhatIf(
        symbol=symbol,
        value=value,
        before=portfolio_risk(values, returns, equity, confidences, min_observations),
        after=portfolio_risk(after, returns, equity, confidences, min_observations),
    )
