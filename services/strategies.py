"""Trade ideas from bars (pure). One honest rule for now: the SMA trend/crossover."""

from __future__ import annotations

import numpy as np

from models.config import StrategyConfig
from models.domain import ScanResult, Side, TradeIdea
from services.indicators import atr, bars_since_cross, sma
from services.scanner import SymbolData

SMA_TREND = "sma_trend"


def sma_trend_idea(
    d: SymbolData, st: StrategyConfig, scan: ScanResult | None = None, allow_short: bool = True
) -> TradeIdea | None:
    """Long when close > SMA(fast) > SMA(slow); short on the mirror image.

    Entry at the current ask (bid for shorts); stop `stop_atr` ATRs away, target
    `target_atr` ATRs away. Confidence grows with the score and with a recent crossover.
    """
    c = d.close
    if len(c) < st.slow + 2:
        return None
    fast, slow = sma(c, st.fast), sma(c, st.slow)
    a = float(atr(d.high, d.low, c, st.atr_period)[-1])
    if not np.isfinite(a) or a <= 0:
        return None
    last = d.quote.last
    if c[-1] > fast[-1] > slow[-1] and last > fast[-1]:
        side = Side.BUY
    elif allow_short and c[-1] < fast[-1] < slow[-1] and last < fast[-1]:
        side = Side.SELL
    else:
        return None
    entry = d.quote.price_for(side)
    stop = round(entry - side.sign * st.stop_atr * a, 2)
    target = round(entry + side.sign * st.target_atr * a, 2)
    if stop <= 0:
        return None
    since = bars_since_cross(fast, slow)
    fresh = since is not None and since <= 10
    score = scan.score if scan else 50.0
    confidence = round(min(0.95, 0.35 + score / 200 + (0.1 if fresh else 0.0)), 2)
    cross = f"crossed {since} bars ago" if since is not None else "no recent cross"
    word = "above" if side is Side.BUY else "below"
    return TradeIdea(
        symbol=d.symbol,
        side=side,
        entry=round(entry, 2),
        stop=stop,
        target=target,
        strategy=SMA_TREND,
        confidence=confidence,
        score=score,
        facts={
            "last": round(last, 2),
            "bid": d.quote.bid,
            "ask": d.quote.ask,
            f"sma{st.fast}": round(float(fast[-1]), 2),
            f"sma{st.slow}": round(float(slow[-1]), 2),
            f"atr{st.atr_period}": round(a, 2),
            "score": score,
        },
        summary=(
            f"price {last:.2f} {word} SMA{st.fast} {fast[-1]:.2f} {word} SMA{st.slow} "
            f"{slow[-1]:.2f} ({cross}); ATR{st.atr_period} {a:.2f}"
        ),
    )


def atr_levels(
    d: SymbolData, side: Side, st: StrategyConfig
) -> tuple[float, float, float, float] | None:
    """(entry, stop, target, ATR) for `side` at the quote; None without a usable ATR stop."""
    a = float(atr(d.high, d.low, d.close, st.atr_period)[-1])
    if not np.isfinite(a) or a <= 0:
        return None
    entry = d.quote.price_for(side)
    stop = round(entry - side.sign * st.stop_atr * a, 2)
    if stop <= 0:
        return None
    return entry, stop, round(entry + side.sign * st.target_atr * a, 2), a


def manual_idea(
    d: SymbolData, side: Side, st: StrategyConfig, scan: ScanResult | None = None
) -> TradeIdea | None:
    """A trader's own idea (/propose): entry at the quote, ATR stop and target."""
    levels = atr_levels(d, side, st)
    if levels is None:
        return None
    entry, stop, target, a = levels
    fast, slow = sma(d.close, st.fast)[-1], sma(d.close, st.slow)[-1]
    return TradeIdea(
        symbol=d.symbol,
        side=side,
        entry=round(entry, 2),
        stop=stop,
        target=target,
        strategy="manual",
        confidence=0.5,
        score=scan.score if scan else 0.0,
        facts={
            "last": round(d.quote.last, 2),
            "bid": d.quote.bid,
            "ask": d.quote.ask,
            f"sma{st.fast}": round(float(fast), 2),
            f"sma{st.slow}": round(float(slow), 2),
            f"atr{st.atr_period}": round(a, 2),
        },
        summary=f"your {side.value} idea at {entry:.2f}; ATR{st.atr_period} {a:.2f}",
    )
