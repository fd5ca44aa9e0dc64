"""The scanner: filters, then a 0-100 score with its breakdown (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.config import ScannerConfig, StrategyConfig
from models.domain import Quote, ScanResult, ScoreComponent
from services.indicators import Array, atr, pct_change, sma


@dataclass(frozen=True, slots=True)
class SymbolData:
    """What the scanner and strategies look at for one symbol."""

    symbol: str
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    quote: Quote

    @classmethod
    def from_lists(
        cls,
        symbol: str,
        o: list[float],
        h: list[float],
        lo: list[float],
        c: list[float],
        v: list[float],
        quote: Quote,
    ) -> SymbolData:
        f = np.asarray
        return cls(symbol, f(o, float), f(h, float), f(lo, float), f(c, float), f(v, float), quote)


def indicator_snapshot(d: SymbolData, st: StrategyConfig) -> dict[str, float]:
    """The latest indicator values a trader reads off a chart (NaN-free, rounded)."""
    c = d.close
    out: dict[str, float] = {"last": d.quote.last, "bid": d.quote.bid, "ask": d.quote.ask}
    if len(c) >= st.slow:
        out[f"sma{st.fast}"] = float(sma(c, st.fast)[-1])
        out[f"sma{st.slow}"] = float(sma(c, st.slow)[-1])
    if len(c) > st.atr_period:
        a = float(atr(d.high, d.low, c, st.atr_period)[-1])
        out[f"atr{st.atr_period}"] = a
        out["atr_pct"] = a / c[-1] * 100 if c[-1] else 0.0
    for n in (5, 20):
        ch = pct_change(c, n)
        if np.isfinite(ch):
            out[f"change_{n}d_pct"] = ch
    if len(d.volume) >= 20 and np.mean(d.volume[-20:]):
        out["volume_ratio"] = float(d.volume[-1] / np.mean(d.volume[-20:]))
    window = c[-252:]
    out["high_52w"] = float(np.max(window))
    out["low_52w"] = float(np.min(window))
    return {k: round(float(v), 4) for k, v in out.items() if np.isfinite(v)}


def _filters(d: SymbolData, cfg: ScannerConfig) -> list[str]:
    reasons: list[str] = []
    if len(d.close) < cfg.min_history:
        reasons.append(f"only {len(d.close)} daily bars (needs {cfg.min_history})")
        return reasons
    px = d.quote.last
    if not (cfg.min_price <= px <= cfg.max_price):
        reasons.append(f"price {px:.2f} outside {cfg.min_price:g}-{cfg.max_price:g}")
    avg_vol = float(np.mean(d.volume[-20:]))
    if avg_vol < cfg.min_avg_volume:
        reasons.append(f"20-day avg volume {avg_vol:,.0f} < {cfg.min_avg_volume:,.0f}")
    if d.quote.spread_pct > cfg.max_spread_pct:
        reasons.append(f"spread {d.quote.spread_pct:.2f}% > {cfg.max_spread_pct:g}%")
    return reasons


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return float(min(hi, max(lo, x)))


def score_components(d: SymbolData, st: StrategyConfig) -> tuple[ScoreComponent, ...]:
    """Trend (30), momentum (25), volume (15), volatility fit (15), liquidity (15)."""
    c = d.close
    fast, slow = sma(c, st.fast)[-1], sma(c, st.slow)[-1]
    sep = (fast - slow) / slow * 100 if slow else 0.0
    trend_dir = 1.0 if c[-1] > fast > slow else -1.0 if c[-1] < fast < slow else 0.0
    trend = 30 * _clip(abs(sep) / 5) if trend_dir else 0.0
    mom = pct_change(c, 20)
    mom_pts = 25 * _clip(abs(mom) / 10) if np.isfinite(mom) and np.sign(mom) == trend_dir else 0.0
    vol_ratio = float(d.volume[-1] / np.mean(d.volume[-20:])) if np.mean(d.volume[-20:]) else 0.0
    vol_pts = 15 * _clip((vol_ratio - 0.5) / 1.5)
    a = atr(d.high, d.low, c, st.atr_period)[-1]
    atr_pct = float(a / c[-1] * 100) if c[-1] else 0.0
    # 1-4 % daily range is tradable with a sensible stop; very quiet or wild scores less
    vfit = 15 * _clip(1 - abs(atr_pct - 2.5) / 3)
    dollar_vol = float(np.mean(d.volume[-20:] * c[-20:]))
    liq = 15 * _clip((np.log10(max(dollar_vol, 1)) - 6) / 3)  # $1M/day 0, $1B/day full marks
    direction = "up" if trend_dir > 0 else "down" if trend_dir < 0 else "no clear"
    return (
        ScoreComponent(
            name="trend",
            points=round(trend, 1),
            max_points=30,
            detail=f"{direction} trend, SMA{st.fast}/SMA{st.slow} apart {sep:+.2f}%",
        ),
        ScoreComponent(
            name="momentum",
            points=round(mom_pts, 1),
            max_points=25,
            detail=f"20-day return {mom:+.2f}%",
        ),
        ScoreComponent(
            name="volume",
            points=round(vol_pts, 1),
            max_points=15,
            detail=f"volume {vol_ratio:.2f}x its 20-day average",
        ),
        ScoreComponent(
            name="volatility",
            points=round(vfit, 1),
            max_points=15,
            detail=f"ATR{st.atr_period} {atr_pct:.2f}% of price",
        ),
        ScoreComponent(
            name="liquidity",
            points=round(liq, 1),
            max_points=15,
            detail=f"${dollar_vol / 1e6:,.0f}M traded a day",
        ),
    )


def scan_symbol(d: SymbolData, cfg: ScannerConfig, st: StrategyConfig) -> ScanResult:
    reasons = _filters(d, cfg)
    if reasons:
        return ScanResult(symbol=d.symbol, passed=False, reasons=tuple(reasons), last=d.quote.last)
    comps = score_components(d, st)
    total = round(sum(x.points for x in comps), 1)
    return ScanResult(
        symbol=d.symbol, passed=True, score=total, components=comps, last=d.quote.last
    )


def rank(results: list[ScanResult], cfg: ScannerConfig) -> list[ScanResult]:
    """Passed symbols at or above the minimum score, best first, top N."""
    ok = [r for r in results if r.passed and r.score >= cfg.min_score]
    return sorted(ok, key=lambda r: (-r.score, r.symbol))[: cfg.top_n]
