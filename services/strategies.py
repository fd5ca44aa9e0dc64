"""Trade ideas from bars (pure): the SMA trend rule and the trader's own idea, ATR stops.

Every number comes from services.indicators, the one library. `indicator_facts` puts the
last bar's RSI, ATR and Bollinger bands on a card, named, computed and rounded as /analyze
shows them (services.scanner.indicator_snapshot) and as the chart draws them.
"""

from __future__ import annotations

import numpy as np

from models.config import StrategyConfig
from models.domain import ScanResult, Side, TradeIdea
from services import indicators as ind
from services.indicators import bars_since_cross, sma
from services.scanner import SymbolData
from services.ta import TaParams, shown

SMA_TREND = "sma_trend"


def last_atr(d: SymbolData, st: StrategyConfig) -> float:
    """ATR(`st.atr_period`) on the last bar (NaN without enough bars)."""
    return float(ind.atr(d.high, d.low, d.close, st.atr_period)[-1])


def indicator_facts(
    d: SymbolData, st: StrategyConfig, atr: float | None = None
) -> dict[str, float]:
    """RSI, ATR (`atr` when already known) and Bollinger bands on the last bar, keyed as in
    /analyze (rsi14, atr14, bb_upper, bb_mid, bb_lower) and rounded as it rounds them."""
    p = TaParams(atr=st.atr_period)
    bands = ind.bbands(d.close, p.bb_length, p.bb_std)
    raw = {
        f"rsi{p.rsi}": ind.rsi(d.close, p.rsi)[-1],
        f"atr{p.atr}": last_atr(d, st) if atr is None else atr,
        "bb_upper": bands.upper[-1],
        "bb_mid": bands.mid[-1],
        "bb_lower": bands.lower[-1],
    }
    return {k: shown(v) for k, v in raw.items() if np.isfinite(v)}


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
    last = d.quote.last
    if c[-1] > fast[-1] > slow[-1] and last > fast[-1]:
        side = Side.BUY
    elif allow_short and c[-1] < fast[-1] < slow[-1] and last < fast[-1]:
        side = Side.SELL
    else:
        return None
    a = last_atr(d, st)
    if not np.isfinite(a) or a <= 0:
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
            f"sma{st.fast}": shown(fast[-1]),
            f"sma{st.slow}": shown(slow[-1]),
            **indicator_facts(d, st, a),
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
    a = last_atr(d, st)
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
            f"sma{st.fast}": shown(fast),
            f"sma{st.slow}": shown(slow),
            **indicator_facts(d, st, a),
        },
        summary=f"your {side.value} idea at {entry:.2f}; ATR{st.atr_period} {a:.2f}",
    )
