"""Setting suggestions from reviewed trades: which tags go with losing, and what to change.

With at least `min_trades` closed trades, each (strategy, tag code) group of at least
`GROUP_MIN` trades whose loss rate is at least `LOSS_RATE_MIN` and `GAP_MIN` above the
other trades' is tested with a one-sided Fisher exact test (the group loses more often than
the rest); confidence = 1 - p rounded to 0.01, kept from `CONFIDENCE_MIN`. Tags with a
setting behind them become a change, its value picked from the numbers the tags carry:
- rsi_stretched -> `STRATEGY.rsi_max` (strategies with that parameter): the group's least
  stretched RSI (short RSIs mirrored, 100 - rsi) rounded down to 5, e.g. 70.
- low_score -> `scanner.min_score`: the group's best score + 5, rounded up, at most 90.
- wide_spread (stock strategies) -> `scanner.max_spread_pct`: 80 % of the smaller of the
  current cap and the group's tightest spread.
- held_long -> `exits.max_holding_days`: the group's shortest hold, in whole days (>= 5).
- stop_slipped -> `risk.risk_per_trade_pct` x 1/median |R| (clamped 0.5..0.9); oversized
  -> the same key x median(max / risk_pct) (clamped 0.5..0.9).
- iv_rank_low -> `options.min_iv_rank`: above the group's highest IV rank, in 5s (<= 50).
A change must tighten the current value (missing keys read the registry's or the config
models' defaults) and pass their validation. One suggestion per key (the most confident),
sorted by confidence, then trades; at most `MAX_SUGGESTIONS`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ValidationError
from scipy.stats import fisher_exact

from models.config import OptionsConfig, RiskLimits, ScannerConfig
from models.monitor_types import ExitRuleConfig
from services.backtest.errors import BacktestError
from services.learning.reviews import RSI_LONG_MAX, RSI_SHORT_MIN, ReviewTag, outcome_of, parse_tag
from services.options.strategies import STRATEGY_NAMES as OPTION_STRATEGIES
from services.signals import STRATEGIES, resolve_params

GROUP_MIN = 8
LOSS_RATE_MIN = 0.65
GAP_MIN = 0.15  # the group's loss rate exceeds the rest's by at least this
CONFIDENCE_MIN = 0.8
MAX_SUGGESTIONS = 5
MAX_MIN_SCORE = 90.0
MAX_MIN_IV_RANK = 50.0

Number = float | int
_SECTIONS: dict[str, type[BaseModel]] = {
    "risk": RiskLimits,
    "scanner": ScannerConfig,
    "exits": ExitRuleConfig,
    "options": OptionsConfig,
}


@dataclass(frozen=True)
class ReviewedTrade:
    """A closed trade as the learner sees it: its strategy, net P&L and review tags."""

    strategy: str
    pnl: float  # net of fees
    tags: tuple[str, ...]  # ReviewTag texts
    closed_at: datetime


@dataclass(frozen=True)
class Suggestion:
    """A setting change with its evidence (applied only when a person says so)."""

    key: str
    value: Number
    current: Number | None
    title: str
    evidence: str
    confidence: float  # 0..1
    tag: str  # the tag code behind it
    strategy: str
    trades: int  # in the group
    losses: int


@dataclass(frozen=True)
class _Group:
    strategy: str
    code: str
    tags: tuple[ReviewTag, ...]
    pnls: tuple[float, ...]

    def values(self, key: str) -> list[float]:
        return [v for t in self.tags if (v := t.number(key)) is not None]


Mapper = Callable[[_Group, Number | None], tuple[str, Number] | None]


# ----------------------------------------------------------------------------- settings


def default_value(key: str) -> Number | None:
    """The value `key` has when nothing overrides it (None for an unknown key)."""
    section, _, name = key.partition(".")
    model = _SECTIONS.get(section)
    if model is not None:
        f = model.model_fields.get(name)
        return f.default if f is not None and isinstance(f.default, int | float) else None
    spec = STRATEGIES.get(section)
    return None if spec is None else spec.defaults.get(name)


def valid_value(key: str, value: Number) -> bool:
    """Whether `value` passes the setting's own validation."""
    section, _, name = key.partition(".")
    model = _SECTIONS.get(section)
    try:
        if model is not None:
            if name not in model.model_fields:
                return False
            model.model_validate({name: value})
        else:
            resolve_params(section, {name: value})
    except (ValidationError, BacktestError):
        return False
    return True


def _floor_to(x: float, step: float) -> float:
    return math.floor(x / step + 1e-9) * step


# ----------------------------------------------------------------------------- mappers


def _rsi_max(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    spec = STRATEGIES.get(g.strategy)
    if spec is None or "rsi_max" not in spec.types:
        return None
    stretch = [r if r >= 50 else 100 - r for r in g.values("rsi")]
    if not stretch:
        return None
    return f"{g.strategy}.rsi_max", max(55.0, _floor_to(min(stretch), 5))


def _min_score(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    scores = g.values("score")
    if not scores:
        return None
    return "scanner.min_score", float(min(MAX_MIN_SCORE, math.ceil(max(scores) + 5)))


def _max_spread(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    spreads = g.values("spread_pct")
    if not spreads or g.strategy in OPTION_STRATEGIES:
        return None
    base = min(spreads) if current is None else min(float(current), min(spreads))
    return "scanner.max_spread_pct", max(0.05, round(0.8 * base, 2))


def _max_holding(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    days = g.values("days")
    if not days:
        return None
    return "exits.max_holding_days", float(max(5, math.floor(min(days))))


def _scale_risk(factors: list[float], current: Number | None) -> tuple[str, Number] | None:
    if not factors or current is None:
        return None
    f = min(0.9, max(0.5, statistics.median(factors)))
    return "risk.risk_per_trade_pct", max(0.05, round(float(current) * f, 2))


def _stop_slipped(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    return _scale_risk([1 / abs(r) for r in g.values("r") if r], current)


def _oversized(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    pairs = zip(g.values("max"), g.values("risk_pct"), strict=False)
    return _scale_risk([m / r for m, r in pairs if r > 0], current)


def _min_iv_rank(g: _Group, current: Number | None) -> tuple[str, Number] | None:
    ranks = g.values("iv_rank")
    if not ranks:
        return None
    return "options.min_iv_rank", min(MAX_MIN_IV_RANK, _floor_to(max(ranks), 5) + 5)


# tag code -> (what the group had, the setting's key before the strategy is known, mapper)
MAPPERS: dict[str, tuple[str, str, Mapper]] = {
    "rsi_stretched": ("with RSI stretched", "{strategy}.rsi_max", _rsi_max),
    "low_score": ("with a low score", "scanner.min_score", _min_score),
    "wide_spread": ("on a wide spread", "scanner.max_spread_pct", _max_spread),
    "held_long": ("held too long", "exits.max_holding_days", _max_holding),
    "stop_slipped": ("losing beyond the stop", "risk.risk_per_trade_pct", _stop_slipped),
    "oversized": ("sized over the cap", "risk.risk_per_trade_pct", _oversized),
    "iv_rank_low": ("at a low IV rank", "options.min_iv_rank", _min_iv_rank),
}
LOWER_IS_TIGHTER = frozenset(
    {"rsi_max", "max_spread_pct", "max_holding_days", "risk_per_trade_pct"}
)


# ----------------------------------------------------------------------------- suggest


def _groups(trades: Sequence[ReviewedTrade]) -> dict[tuple[str, str], list[int]]:
    """(strategy, tag code) -> indexes of the trades carrying it (each trade once)."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, t in enumerate(trades):
        for code in sorted({tag.code for tag in _parsed(t)}):
            out.setdefault((t.strategy, code), []).append(i)
    return out


def _parsed(t: ReviewedTrade) -> list[ReviewTag]:
    tags = []
    for text in t.tags:
        try:
            tags.append(parse_tag(text))
        except ValueError:
            continue
    return tags


def _loss(pnl: float) -> bool:
    return outcome_of(pnl) == "loss"


def _describe(g: _Group, code: str) -> str:
    if code == "rsi_stretched":
        rsis = g.values("rsi")
        if rsis and all(r >= 50 for r in rsis):
            return f"with RSI ≥ {RSI_LONG_MAX:g}"
        if rsis and all(r < 50 for r in rsis):
            return f"with RSI ≤ {RSI_SHORT_MIN:g}"
    return MAPPERS[code][0]


def _spread_of_numbers(g: _Group) -> str:
    parts = []
    for key in dict.fromkeys(k for t in g.tags for k, _ in t.numbers):
        vals = g.values(key)
        parts.append(
            f"{key} {min(vals):g}..{max(vals):g} (median {round(statistics.median(vals), 2):g})"
        )
    return "; ".join(parts)


def _suggestion(
    g: _Group, rest: Sequence[float], current: Mapping[str, Number]
) -> Suggestion | None:
    n, losses = len(g.pnls), sum(map(_loss, g.pnls))
    r_n, r_losses = len(rest), sum(map(_loss, rest))
    rate, r_rate = losses / n, (r_losses / r_n if r_n else 0.0)
    if n < GROUP_MIN or rate < LOSS_RATE_MIN or rate - r_rate < GAP_MIN:
        return None
    _, p = fisher_exact([[losses, n - losses], [r_losses, r_n - r_losses]], alternative="greater")
    confidence = round(1 - float(p), 2)
    if confidence < CONFIDENCE_MIN:
        return None
    _, key_form, mapper = MAPPERS[g.code]
    key = key_form.format(strategy=g.strategy)
    now = current.get(key, default_value(key))
    change = mapper(g, now)
    if change is None:
        return None
    key, value = change
    if now is not None:
        lower = key.partition(".")[2] in LOWER_IS_TIGHTER
        if value == now or (value > now if lower else value < now):
            return None
    if not valid_value(key, value):
        return None
    value = round(float(value), 2)
    shown = f"{value:g}"
    title = (
        f"{g.strategy} entries {_describe(g, g.code)} lost {losses} of {n}; consider {key}={shown}"
    )
    evidence = "\n".join(
        (
            f"{g.code}: {n} trades, {losses} losses ({rate:.0%}), net pnl {sum(g.pnls):,.2f}",
            f"other trades: {r_n} trades, {r_losses} losses ({r_rate:.0%}), "
            f"net pnl {sum(rest):,.2f}",
            f"one-sided Fisher exact p = {float(p):.3f} (confidence {confidence:.2f})",
            f"tag numbers: {_spread_of_numbers(g) or 'none'}",
            f"change: {key} {'unset' if now is None else f'{now:g}'} -> {shown}",
        )
    )
    return Suggestion(
        key=key,
        value=value,
        current=now,
        title=title,
        evidence=evidence,
        confidence=confidence,
        tag=g.code,
        strategy=g.strategy,
        trades=n,
        losses=losses,
    )


def suggest(
    trades: Sequence[ReviewedTrade], current: Mapping[str, Number], min_trades: int = 30
) -> list[Suggestion]:
    """At most `MAX_SUGGESTIONS` setting changes the closed `trades` argue for (none with
    fewer than `min_trades`); see the module docstring for the rules."""
    if len(trades) < min_trades:
        return []
    best: dict[str, Suggestion] = {}
    for (strategy, code), idx in sorted(_groups(trades).items()):
        if code not in MAPPERS:
            continue
        members = set(idx)
        tags = tuple(tag for i in idx for tag in _parsed(trades[i]) if tag.code == code)
        group = _Group(strategy, code, tags, tuple(trades[i].pnl for i in idx))
        rest = [t.pnl for i, t in enumerate(trades) if i not in members]
        s = _suggestion(group, rest, current)
        if s is None:
            continue
        old = best.get(s.key)
        if old is None or (s.confidence, s.trades) > (old.confidence, old.trades):
            best[s.key] = s
    ranked = sorted(best.values(), key=lambda s: (-s.confidence, -s.trades, s.key))
    return ranked[:MAX_SUGGESTIONS]
