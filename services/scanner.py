"""The scanner: data checks and filters with their reasons, a 0-100 score with its parts.

Pure. `scan_universe` computes every indicator for the whole universe in one pass
(services.ta), then filters and scores each symbol from its latest values. A symbol whose
data is missing, malformed, stale or too short is never guessed at: it is listed with the
reason. The score is six components, each with its measured value, points and a line a
trader can read: trend, momentum, relative strength (always against the benchmark, see
services.relative_strength), volatility fit, volume and liquidity. Each result also carries
the day's change so far and the side the score favours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from models.config import ScannerConfig, StrategyConfig
from models.domain import Quote, ScanResult, ScoreComponent, Side
from services.indicators import Array
from services.relative_strength import (
    Reference,
    benchmark_reference,
    day_change_pct,
    relative_strength,
)
from services.ta import Indicators, Panel, TaParams, compute, shown

# Points per component; they add up to 100.
WEIGHTS: dict[str, float] = {
    "trend": 25,
    "momentum": 20,
    "relative_strength": 15,
    "volatility": 15,
    "volume": 10,
    "liquidity": 15,
}
_FIELDS = ("open", "high", "low", "close", "volume")


class ScanError(ValueError):
    """The data cannot be scored (the message lists why)."""


@dataclass(frozen=True, slots=True)
class SymbolData:
    """What the scanner and strategies look at for one symbol (daily bars, oldest first)."""

    symbol: str
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    quote: Quote
    ts: Sequence[datetime] | None = None  # bar times, when known (enables the staleness check)
    iv_rank: float | None = None  # 0-100, when the scan asked for it and a chain has one

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
        ts: Sequence[datetime] | None = None,
    ) -> SymbolData:
        arrays = (np.asarray(x, dtype=np.float64) for x in (o, h, lo, c, v))
        return cls(symbol, *arrays, quote=quote, ts=None if ts is None else tuple(ts))


@dataclass(frozen=True, slots=True)
class UniverseScan:
    """One scan: a result per symbol (input order), the reference used, the indicators."""

    results: tuple[ScanResult, ...]
    reference: Reference | None
    indicators: Indicators | None


def params_for(cfg: ScannerConfig, st: StrategyConfig) -> TaParams:
    """The indicator settings the scanner (and /analyze) use for daily bars."""
    return TaParams(
        sma=tuple(sorted({st.fast, st.slow, 200})),
        atr=st.atr_period,
        volume=cfg.volume_window,
        roc=tuple(sorted({5, cfg.momentum_window, cfg.rs_window})),
    )


def data_problems(d: SymbolData, cfg: ScannerConfig, as_of: datetime | None = None) -> list[str]:
    """Why this symbol's data cannot be scored (empty when it can). Staleness is judged
    against `as_of`, else the quote's time, and only when bar times are known."""
    cols = [np.asarray(getattr(d, k), dtype=np.float64) for k in _FIELDS]
    n = len(cols[3])
    if any(c.ndim != 1 or len(c) != n for c in cols):
        return ["bad data: open/high/low/close/volume differ in length"]
    if n == 0:
        return ["no daily history"]
    missing = [(k, int((~np.isfinite(c)).sum())) for k, c in zip(_FIELDS, cols, strict=True)]
    if out := [f"bad data: {k} missing on {bad} bar(s)" for k, bad in missing if bad]:
        return out
    o, h, lo, c, v = cols
    if (bad := int((np.minimum(np.minimum(o, h), np.minimum(lo, c)) <= 0).sum())) > 0:
        out.append(f"bad data: non-positive prices on {bad} bar(s)")
    if (bad := int((h < lo).sum())) > 0:
        out.append(f"bad data: high below low on {bad} bar(s)")
    if (bad := int((v < 0).sum())) > 0:
        out.append(f"bad data: negative volume on {bad} bar(s)")
    last = d.quote.last
    if not (np.isfinite(last) and last > 0):
        out.append(f"bad quote: last price {last}")
    if d.ts is not None and len(d.ts) != n:
        out.append(f"bad data: {len(d.ts)} bar times for {n} bars")
    elif d.ts is not None:
        age = ((as_of or d.quote.ts).date() - d.ts[-1].date()).days
        if age > cfg.max_bar_age_days:
            out.append(
                f"stale data: last daily bar {d.ts[-1]:%Y-%m-%d} is {age} days old "
                f"(max {cfg.max_bar_age_days})"
            )
    if out:
        return out
    if n < cfg.min_history:
        return [f"only {n} daily bars (needs {cfg.min_history})"]
    return []


def _filters(d: SymbolData, latest: dict[str, float], cfg: ScannerConfig) -> list[str]:
    reasons: list[str] = []
    px = d.quote.last
    if not (cfg.min_price <= px <= cfg.max_price):
        reasons.append(f"price {px:.2f} outside {cfg.min_price:g}-{cfg.max_price:g}")
    w = cfg.volume_window
    avg_vol, dollars = latest["volume_avg"], latest["dollar_volume_avg"]
    if not np.isfinite(avg_vol):
        reasons.append(f"no {w}-day volume average (needs {w} bars)")
    else:
        if avg_vol < cfg.min_avg_volume:
            reasons.append(f"{w}-day avg volume {avg_vol:,.0f} < {cfg.min_avg_volume:,.0f}")
        if dollars < cfg.min_dollar_volume:
            need = cfg.min_dollar_volume / 1e6
            reasons.append(f"{w}-day avg dollar volume ${dollars / 1e6:,.2f}M < ${need:,.2f}M")
    if d.quote.spread_pct > cfg.max_spread_pct:
        reasons.append(f"spread {d.quote.spread_pct:.2f}% > {cfg.max_spread_pct:g}%")
    if cfg.min_iv_rank is not None:
        if d.iv_rank is None:
            reasons.append("no IV rank (no usable option chain or history)")
        elif d.iv_rank < cfg.min_iv_rank:
            reasons.append(f"IV rank {d.iv_rank:.0f} < {cfg.min_iv_rank:g}")
    return reasons


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return float(min(hi, max(lo, x))) if np.isfinite(x) else 0.0


def _component(name: str, share: float, detail: str, value: float | None) -> ScoreComponent:
    top = WEIGHTS[name]
    v = None if value is None or not np.isfinite(value) else round(float(value), 4)
    return ScoreComponent(
        name=name, points=round(top * _clip(share), 1), max_points=top, detail=detail, value=v
    )


def _na(name: str, why: str) -> ScoreComponent:
    return _component(name, 0.0, f"n/a: {why}", None)


def _trend(x: dict[str, float], st: StrategyConfig, d: float) -> ScoreComponent:
    """SMA alignment and separation, confirmed by ADX (15 nothing, 35+ full)."""
    fast, slow, adx = x[f"sma_{st.fast}"], x[f"sma_{st.slow}"], x["adx"]
    if not (np.isfinite(fast) and np.isfinite(slow) and slow):
        return _na("trend", f"SMA{st.slow} needs {st.slow} bars")
    sep = (fast - slow) / slow * 100
    share = (0.6 * _clip(abs(sep) / 5) + 0.4 * _clip((adx - 15) / 20)) if d else 0.0
    word = "up" if d > 0 else "down" if d < 0 else "no clear"
    adx_txt = f", ADX {adx:.0f}" if np.isfinite(adx) else ""
    detail = f"{word} trend, SMA{st.fast}/SMA{st.slow} apart {sep:+.2f}%{adx_txt}"
    return _component("trend", share, detail, sep)


def _momentum(x: dict[str, float], cfg: ScannerConfig, d: float) -> ScoreComponent:
    """The return over `momentum_window` in the trend's direction, MACD agreeing; halved
    when RSI says the move is stretched (over 80 for longs, under 20 for shorts)."""
    m = cfg.momentum_window
    mom, rsi, hist = x[f"roc_{m}"], x["rsi"], x["macd_hist"]
    if not np.isfinite(mom):
        return _na("momentum", f"needs {m + 1} bars")
    stretched = (d > 0 and rsi > 80) or (d < 0 and rsi < 20)
    share = 0.0
    if d and np.sign(mom) == d:
        agrees = hist * d > 1e-6 * x["close"]  # a histogram this close to 0 is flat
        share = 0.7 * _clip(abs(mom) / 10) + 0.3 * float(agrees)
        share *= 0.5 if stretched else 1.0
    extra = f", RSI {rsi:.0f}" if np.isfinite(rsi) else ""
    extra += f", MACD histogram {round(hist, 2) + 0.0:+.2f}" if np.isfinite(hist) else ""
    detail = f"{m}-day return {mom:+.2f}%{extra}" + (" (stretched)" if stretched else "")
    return _component("momentum", share, detail, mom)


def _relative_strength(
    x: dict[str, float], cfg: ScannerConfig, d: float, ref: Reference | None
) -> ScoreComponent:
    """Return over `rs_window` against the benchmark, in the trend's direction."""
    w = cfg.rs_window
    share, detail, excess = relative_strength(x[f"roc_{w}"], w, d, ref)
    return _component("relative_strength", share, detail, excess)


def _volatility(x: dict[str, float], st: StrategyConfig) -> ScoreComponent:
    """ATR as % of price: 1-4 % is tradable with a sensible stop, best at 2.5 %."""
    c, atr, bw = x["close"], x["atr"], x["bb_bandwidth"]
    if not (np.isfinite(atr) and c):
        return _na("volatility", f"ATR{st.atr_period} needs {st.atr_period + 1} bars")
    atr_pct = atr / c * 100
    bb = f", Bollinger width {bw:.1f}%" if np.isfinite(bw) else ""
    detail = f"ATR{st.atr_period} {atr_pct:.2f}% of price{bb}"
    return _component("volatility", 1 - abs(atr_pct - 2.5) / 3, detail, atr_pct)


def _volume(x: dict[str, float], cfg: ScannerConfig) -> ScoreComponent:
    """Today's volume against its average: 0.5x nothing, 2x and more full marks."""
    ratio = x["volume_ratio"]
    if not np.isfinite(ratio):
        return _na("volume", f"no {cfg.volume_window}-day volume average")
    detail = f"volume {ratio:.2f}x its {cfg.volume_window}-day average"
    return _component("volume", (ratio - 0.5) / 1.5, detail, ratio)


def _liquidity(x: dict[str, float], cfg: ScannerConfig) -> ScoreComponent:
    """Average dollar volume on a log scale: $1M a day nothing, $1B a day full marks."""
    dollars = x["dollar_volume_avg"]
    if not np.isfinite(dollars):
        return _na("liquidity", f"no {cfg.volume_window}-day dollar volume")
    share = (np.log10(max(dollars, 1.0)) - 6) / 3
    return _component("liquidity", share, f"${dollars / 1e6:,.0f}M traded a day", dollars)


def _direction(x: dict[str, float], st: StrategyConfig) -> float:
    """+1 above both SMAs stacked up, -1 below both stacked down, else 0."""
    c, fast, slow = x["close"], x[f"sma_{st.fast}"], x[f"sma_{st.slow}"]
    return 1.0 if c > fast > slow else -1.0 if c < fast < slow else 0.0


def favoured_side(x: dict[str, float], st: StrategyConfig) -> Side | None:
    """The side the score favours: BUY in an uptrend, SELL in a downtrend, else None."""
    d = _direction(x, st)
    return Side.BUY if d > 0 else Side.SELL if d < 0 else None


def _components(
    x: dict[str, float], cfg: ScannerConfig, st: StrategyConfig, ref: Reference | None
) -> tuple[ScoreComponent, ...]:
    """The six parts of one symbol's score from its latest values `x` (plus "close")."""
    d = _direction(x, st)
    return (
        _trend(x, st, d),
        _momentum(x, cfg, d),
        _relative_strength(x, cfg, d, ref),
        _volatility(x, st),
        _volume(x, cfg),
        _liquidity(x, cfg),
    )


def scan_universe(
    datas: Sequence[SymbolData],
    cfg: ScannerConfig,
    st: StrategyConfig,
    reference: Reference | None = None,
    as_of: datetime | None = None,
) -> UniverseScan:
    """Check, filter and score every symbol with one indicator pass over the universe.

    Relative strength is measured against `reference` if given (the agent always fetches
    the benchmark's), else the benchmark (cfg.benchmark) when it is in the universe; never
    against the other symbols. With neither it scores no points and says so.
    """
    problems = [data_problems(d, cfg, as_of) for d in datas]
    usable = [d for d, p in zip(datas, problems, strict=True) if not p]
    if len({d.symbol for d in usable}) != len(usable):
        raise ScanError("the same symbol appears twice in one scan")
    ind: Indicators | None = None
    latest: dict[str, Array] = {}
    if usable:
        panel = Panel.from_arrays(
            [d.symbol for d in usable], *([getattr(d, k) for d in usable] for k in _FIELDS)
        )
        ind = compute(panel, params_for(cfg, st))
        latest = ind.latest()
        latest["close"] = panel.close[-1]
        if reference is None and (
            b := next((d for d in usable if d.symbol == cfg.benchmark), None)
        ):
            reference = benchmark_reference(b.symbol, b.close, cfg.rs_window)
    col = {d.symbol: j for j, d in enumerate(usable)}
    out: list[ScanResult] = []
    for d, reasons in zip(datas, problems, strict=True):
        bad_bars = any(p.startswith(("bad data", "no daily")) for p in reasons)
        seen = {"last": d.quote.last, "change_pct": None}
        if not bad_bars:
            seen["change_pct"] = day_change_pct(d.close, d.ts, d.quote)
        if not reasons:
            x = {k: float(v[col[d.symbol]]) for k, v in latest.items()}
            reasons = _filters(d, x, cfg)
        if reasons:
            out.append(ScanResult(symbol=d.symbol, passed=False, reasons=tuple(reasons), **seen))
            continue
        comps = _components(x, cfg, st, reference)
        total, side = round(sum(p.points for p in comps), 1), favoured_side(x, st)
        out.append(
            ScanResult(
                symbol=d.symbol, passed=True, score=total, components=comps, side=side, **seen
            )
        )
    return UniverseScan(tuple(out), reference, ind)


def scan_symbol(
    d: SymbolData,
    cfg: ScannerConfig,
    st: StrategyConfig,
    reference: Reference | None = None,
) -> ScanResult:
    """One symbol's checks, filters and score (relative strength needs `reference`)."""
    return scan_universe([d], cfg, st, reference).results[0]


def _latest_one(d: SymbolData, cfg: ScannerConfig, st: StrategyConfig) -> dict[str, float]:
    """One symbol's latest indicator values (plus "close"); ScanError on bad data."""
    problems = data_problems(d, cfg.model_copy(update={"min_history": 1}))
    if problems:
        raise ScanError(f"{d.symbol}: " + "; ".join(problems))
    panel = Panel.from_arrays([d.symbol], *([getattr(d, k)] for k in _FIELDS))
    latest = compute(panel, params_for(cfg, st)).latest()
    return {k: float(v[0]) for k, v in latest.items()} | {"close": float(d.close[-1])}


def score_components(
    d: SymbolData,
    st: StrategyConfig,
    cfg: ScannerConfig | None = None,
    reference: Reference | None = None,
) -> tuple[ScoreComponent, ...]:
    """The score's parts for one symbol whatever the filters say; ScanError on bad data."""
    cfg = cfg or ScannerConfig()
    return _components(_latest_one(d, cfg, st), cfg, st, reference)


def indicator_snapshot(d: SymbolData, st: StrategyConfig) -> dict[str, float]:
    """The latest indicator values a trader reads off a chart (/analyze), NaN-free and rounded
    as a card's facts are (`shown`); just the quote when the bars are unusable."""
    out: dict[str, float] = {"last": d.quote.last, "bid": d.quote.bid, "ask": d.quote.ask}
    cfg = ScannerConfig()
    p = params_for(cfg, st)
    try:
        x = _latest_one(d, cfg, st)
    except ScanError:
        return {k: shown(v) for k, v in out.items() if np.isfinite(v)}
    c = x["close"]
    for n in p.sma:
        out[f"sma{n}"] = x[f"sma_{n}"]
    for n in p.ema:
        out[f"ema{n}"] = x[f"ema_{n}"]
    out[f"rsi{p.rsi}"] = x["rsi"]
    for k in ("macd", "macd_signal", "macd_hist", "bb_upper", "bb_mid", "bb_lower"):
        out[k] = x[k]
    if x["bb_upper"] > x["bb_lower"]:
        out["bb_pct_b"] = x["bb_percent"]
        out["bb_width_pct"] = x["bb_bandwidth"]
    out[f"atr{p.atr}"] = x["atr"]
    out["atr_pct"] = x["atr"] / c * 100 if c else float("nan")
    out[f"adx{p.adx}"] = x["adx"]
    out["plus_di"], out["minus_di"] = x["dmp"], x["dmn"]
    for n in p.roc:
        out[f"change_{n}d_pct"] = x[f"roc_{n}"]
    out["volume_ratio"] = x["volume_ratio"]
    out["avg_volume"] = x["volume_avg"]
    out["avg_dollar_volume"] = x["dollar_volume_avg"]
    out["high_52w"], out["low_52w"] = x["range_high"], x["range_low"]
    out["range_52w_pct"] = x["range_pos"]
    return {k: shown(v) for k, v in out.items() if np.isfinite(v)}


def rank(results: list[ScanResult], cfg: ScannerConfig) -> list[ScanResult]:
    """Passed symbols at or above the minimum score, best first, top N."""
    ok = [r for r in results if r.passed and r.score >= cfg.min_score]
    return sorted(ok, key=lambda r: (-r.score, r.symbol))[: cfg.top_n]


def split_ranked(
    results: Sequence[ScanResult], cfg: ScannerConfig
) -> tuple[list[ScanResult], list[ScanResult]]:
    """(the top N, everything else): a symbol that passed the filters but did not make the
    list gets the reason too (score below the minimum, or outside the top N)."""
    ranked = rank(list(results), cfg)
    chosen = {r.symbol for r in ranked}
    by_score = sorted((r for r in results if r.passed), key=lambda r: (-r.score, r.symbol))
    place = {r.symbol: i + 1 for i, r in enumerate(by_score)}
    rest: list[ScanResult] = []
    for r in results:
        if r.symbol in chosen:
            continue
        if r.passed and r.score < cfg.min_score:
            why = f"score {r.score:g} below the minimum {cfg.min_score:g}"
            r = r.model_copy(update={"reasons": (*r.reasons, why)})
        elif r.passed:
            why = f"score {r.score:g} ranked #{place[r.symbol]}; only the top {cfg.top_n} shown"
            r = r.model_copy(update={"reasons": (*r.reasons, why)})
        rest.append(r)
    return ranked, rest
