"""Review one closed trade against the error taxonomy: tags that carry their numbers.

A tag reads `category:code key=value ...`, e.g. `entry:rsi_stretched rsi=78`, with the
numbers rounded to 2 decimals so `parse_tag(tag.text) == tag`. Every category is looked
at for every trade; a category with nothing to say adds no tag (there is no `ok` tag: the
suggestions compare trades with a tag against the rest, and an absent tag says that).

Thresholds (module constants below):
- entry: `rsi_stretched rsi=` long with RSI(14) >= 70, short <= 30; `low_score score=` card
  score < 60; `chased pct=` a stock filled > 0.5 % worse than the card's quote mid;
  `iv_rank_low iv_rank=` an option credit trade with IV rank < 30; `delta_rich delta=` a
  short option leg with |delta| > 0.30.
- execution: `slippage bps= [entry_bps=] [exit_bps=]` entry plus exit cost against the
  quote mids > 10 bps (options: against the card's mid credit, > 500 bps; an option card's
  quote is the underlying's, so no exit slippage is measured for options); `wide_spread
  spread_pct=` the entry quote's spread > 0.5 % of its mid (options: > 10 % of the credit).
- volatility: `high_atr atr_pct=` ATR(14) > 4 % of the last price; `gap_through_stop pct=`
  the exit beyond the stop by > 0.5 % of the stop.
- risk: `stop_slipped r=` a loss beyond 1.2 R (R = |entry - stop| x quantity, x 100 for
  options); `no_stop` (a defined-risk option with a max loss is not flagged); `oversized
  risk_pct= max=` the card risked more than the cap; `target_reached r=` (or `pnl=`).
- timing: `quick_stop minutes=` a loser stopped out within a day; `held_long days=` a
  loser held > 10 days; `open_entry minutes=` entered < 15 minutes after the session open;
  `early_exit r= share=` a winner closed under 1 R and under half the way to its target
  (share = the move captured / the target's distance; an option's target is often < 1 R).
- greeks (options only): `short_dte dte=` under 7 days to expiry left at the close (an
  option that expired worthless is not flagged); `gamma_risk gamma= pct=` short gamma whose
  loss on a 2 % move is >= 10 % of the max loss; `vega_short vega= pct=` a losing short-vega
  trade where a 5-point IV rise explains >= 25 % of the loss.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.domain import two_sided_mid

CATEGORIES = ("entry", "execution", "volatility", "risk", "timing", "greeks")

RSI_LONG_MAX = 70.0  # a long entered at or above this RSI is stretched
RSI_SHORT_MIN = 30.0  # a short entered at or below it
MIN_SCORE = 60.0
CHASE_PCT = 0.5
IV_RANK_MIN = 30.0
SHORT_DELTA_MAX = 0.30
SLIPPAGE_BPS = 10.0
OPTION_SLIPPAGE_BPS = 500.0
WIDE_SPREAD_PCT = 0.5
OPTION_WIDE_SPREAD_PCT = 10.0
HIGH_ATR_PCT = 4.0
GAP_PCT = 0.5
STOP_SLIP_R = 1.2
QUICK_STOP_MINUTES = 24 * 60.0
HELD_LONG_DAYS = 10.0
OPEN_ENTRY_MINUTES = 15.0
EARLY_EXIT_R = 1.0
EARLY_EXIT_SHARE = 0.5  # ... and under half the way to the target
SHORT_DTE = 7.0
GAMMA_MOVE_PCT = 2.0
GAMMA_LOSS_PCT = 10.0
VEGA_IV_POINTS = 5.0
VEGA_LOSS_PCT = 25.0
OPTION_MULTIPLIER = 100.0
FLAT_EPS = 0.005  # |net P&L| under half a cent is flat

STOP_REASONS = frozenset({"stop", "stop_hit", "monitor:stop", "monitor:stop_hit"})
TARGET_REASONS = frozenset({"target", "target_hit", "monitor:target", "monitor:target_hit"})

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class ReviewInput:
    """One closed round trip and its entry card's numbers (see the module docstring)."""

    symbol: str
    strategy: str
    side: str  # long | short
    quantity: float
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    realised_pnl: float  # net of fees
    fees: float
    stop: float | None
    target: float | None
    exit_reason: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    quote_bid: float | None = None
    quote_ask: float | None = None
    exit_quote_bid: float | None = None
    exit_quote_ask: float | None = None
    risk_pct: float | None = None
    max_risk_pct: float | None = None
    session_open: datetime | None = None
    option: bool = False

    def __post_init__(self) -> None:
        if self.side not in ("long", "short"):
            raise ValueError(f"side must be long or short, got {self.side!r}")


def _fmt(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@dataclass(frozen=True)
class ReviewTag:
    """One finding: its category, a snake_case code and the numbers behind it (rounded to
    2 decimals on creation, so the text round-trips)."""

    category: str
    code: str
    numbers: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown tag category {self.category!r}")
        if not _NAME.fullmatch(self.code):
            raise ValueError(f"tag code must be snake_case, got {self.code!r}")
        nums: list[tuple[str, float]] = []
        for key, value in self.numbers:
            v = float(value)
            if not _NAME.fullmatch(key) or not math.isfinite(v):
                raise ValueError(f"bad tag number {key!r}={value!r}")
            nums.append((key, round(v, 2) + 0.0))  # + 0.0: no -0.0
        object.__setattr__(self, "numbers", tuple(nums))

    @property
    def text(self) -> str:
        """`category:code key=value ...`, numbers like %g with at most 2 decimals."""
        return f"{self.category}:{self.code}" + "".join(f" {k}={_fmt(v)}" for k, v in self.numbers)

    def number(self, key: str) -> float | None:
        """The number called `key` (None without it)."""
        return dict(self.numbers).get(key)


def parse_tag(text: str) -> ReviewTag:
    """The tag `ReviewTag.text` wrote; ValueError for anything else."""
    head, *rest = text.split() or [""]
    category, sep, code = head.partition(":")
    if not sep:
        raise ValueError(f"not a review tag: {text!r}")
    numbers: list[tuple[str, float]] = []
    for part in rest:
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"bad tag number {part!r} in {text!r}")
        numbers.append((key, float(value)))
    return ReviewTag(category, code, tuple(numbers))


# ----------------------------------------------------------------------------- helpers


def _num(m: Mapping[str, Any] | None, key: str) -> float | None:
    """m[key] as a finite float, or None."""
    if not isinstance(m, Mapping):
        return None
    v = m.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _opt(x: ReviewInput) -> Mapping[str, Any]:
    o = x.facts.get("option")
    return o if isinstance(o, Mapping) else {}


def _sign(x: ReviewInput) -> float:
    return 1.0 if x.side == "long" else -1.0


def outcome(x: ReviewInput) -> str:
    """win | loss | flat, from the net P&L."""
    return outcome_of(x.realised_pnl)


def outcome_of(pnl: float) -> str:
    """win | loss | flat for a net P&L (under half a cent either way is flat)."""
    return "win" if pnl > FLAT_EPS else "loss" if pnl < -FLAT_EPS else "flat"


def initial_risk(x: ReviewInput) -> float | None:
    """R in dollars: |entry - stop| x quantity (x 100 for options); None without a stop."""
    if x.stop is None:
        return None
    mult = OPTION_MULTIPLIER if x.option else 1.0
    r = abs(x.entry_price - x.stop) * abs(x.quantity) * mult
    return r if r > 0 else None


def r_multiple(x: ReviewInput) -> float | None:
    """Net P&L in units of the initial risk (None without a stop)."""
    risk = initial_risk(x)
    return None if risk is None else round(x.realised_pnl / risk, 2)


def _entry_mid_spread(x: ReviewInput) -> tuple[float | None, float | None]:
    """(entry mid, spread as % of it): the card's quote for a stock, the mid credit and
    its natural for an option."""
    if x.option:
        o = _opt(x)
        credit, natural = _num(o, "credit"), _num(o, "natural_credit")
        if credit is None or credit == 0:
            return None, None
        mid = abs(credit)
        spread = None if natural is None else 2 * abs(credit - natural) / mid * 100
        return mid, spread
    bid, ask = x.quote_bid, x.quote_ask
    if two_sided_mid(bid, ask) is None:
        bid, ask = _num(x.facts, "bid"), _num(x.facts, "ask")
    mid = two_sided_mid(bid, ask)
    if mid is None or bid is None or ask is None:
        return None, None
    return mid, (ask - bid) / mid * 100


def _tag(category: str, code: str, **numbers: float) -> ReviewTag:
    return ReviewTag(category, code, tuple(numbers.items()))


# ----------------------------------------------------------------------------- categories


def _entry(x: ReviewInput) -> list[ReviewTag]:
    out: list[ReviewTag] = []
    rsi = _num(x.facts, "rsi14")
    if rsi is not None and (
        (x.side == "long" and rsi >= RSI_LONG_MAX) or (x.side == "short" and rsi <= RSI_SHORT_MIN)
    ):
        out.append(_tag("entry", "rsi_stretched", rsi=rsi))
    score = _num(x.facts, "score")
    if score is not None and score < MIN_SCORE:
        out.append(_tag("entry", "low_score", score=score))
    mid, _ = _entry_mid_spread(x)
    if not x.option and mid is not None:
        worse = _sign(x) * (x.entry_price - mid) / mid * 100
        if worse > CHASE_PCT:
            out.append(_tag("entry", "chased", pct=worse))
    if x.option:
        o = _opt(x)
        iv_rank = _num(o, "iv_rank")
        iv_rank = _num(x.facts, "iv_rank") if iv_rank is None else iv_rank
        credit = _num(o, "credit")
        is_credit = x.side == "short" or (credit is not None and credit > 0)
        if is_credit and iv_rank is not None and iv_rank < IV_RANK_MIN:
            out.append(_tag("entry", "iv_rank_low", iv_rank=iv_rank))
        legs = o.get("legs") or ()
        deltas = [
            abs(d)
            for leg in legs
            if isinstance(leg, Mapping)
            and leg.get("side") == "sell"
            and (d := _num(leg, "delta")) is not None
        ]
        if deltas and max(deltas) > SHORT_DELTA_MAX:
            out.append(_tag("entry", "delta_rich", delta=max(deltas)))
    return out


def _execution(x: ReviewInput) -> list[ReviewTag]:
    out: list[ReviewTag] = []
    mid, spread = _entry_mid_spread(x)
    sides: dict[str, float] = {}
    if mid is not None:
        sides["entry_bps"] = _sign(x) * (x.entry_price - mid) / mid * 1e4
    exit_mid = None if x.option else two_sided_mid(x.exit_quote_bid, x.exit_quote_ask)
    if exit_mid is not None:
        sides["exit_bps"] = _sign(x) * (exit_mid - x.exit_price) / exit_mid * 1e4
    limit = OPTION_SLIPPAGE_BPS if x.option else SLIPPAGE_BPS
    if sides and sum(sides.values()) > limit:
        out.append(_tag("execution", "slippage", bps=sum(sides.values()), **sides))
    wide = OPTION_WIDE_SPREAD_PCT if x.option else WIDE_SPREAD_PCT
    if spread is not None and spread > wide:
        out.append(_tag("execution", "wide_spread", spread_pct=spread))
    return out


def _volatility(x: ReviewInput) -> list[ReviewTag]:
    out: list[ReviewTag] = []
    atr, last = _num(x.facts, "atr14"), _num(x.facts, "last")
    if atr is not None and last and last > 0 and atr / last * 100 > HIGH_ATR_PCT:
        out.append(_tag("volatility", "high_atr", atr_pct=atr / last * 100))
    if x.stop is not None and x.stop > 0:
        beyond = _sign(x) * (x.stop - x.exit_price) / x.stop * 100
        if beyond > GAP_PCT:
            out.append(_tag("volatility", "gap_through_stop", pct=beyond))
    return out


def _risk(x: ReviewInput) -> list[ReviewTag]:
    out: list[ReviewTag] = []
    r = r_multiple(x)
    if x.stop is None and not (x.option and _num(_opt(x), "max_loss")):
        out.append(_tag("risk", "no_stop"))
    if r is not None and r < -STOP_SLIP_R:
        out.append(_tag("risk", "stop_slipped", r=r))
    if x.risk_pct is not None and x.max_risk_pct is not None and x.risk_pct > x.max_risk_pct:
        out.append(_tag("risk", "oversized", risk_pct=x.risk_pct, max=x.max_risk_pct))
    if _at_target(x) and outcome(x) == "win":
        out.append(_tag("risk", "target_reached", **({"r": r} if r is not None else {})))
    return out


def _at_target(x: ReviewInput) -> bool:
    if x.exit_reason in TARGET_REASONS:
        return True
    return x.target is not None and _sign(x) * (x.exit_price - x.target) >= 0


def _stopped(x: ReviewInput) -> bool:
    if x.exit_reason in STOP_REASONS:
        return True
    return x.stop is not None and _sign(x) * (x.stop - x.exit_price) >= 0


def _timing(x: ReviewInput) -> list[ReviewTag]:
    out: list[ReviewTag] = []
    minutes = (x.exit_time - x.entry_time).total_seconds() / 60
    result = outcome(x)
    if result == "loss" and _stopped(x) and minutes < QUICK_STOP_MINUTES:
        out.append(_tag("timing", "quick_stop", minutes=round(minutes)))
    if result == "loss" and minutes / 1440 > HELD_LONG_DAYS:
        out.append(_tag("timing", "held_long", days=minutes / 1440))
    if x.session_open is not None:
        since_open = (x.entry_time - x.session_open).total_seconds() / 60
        if 0 <= since_open < OPEN_ENTRY_MINUTES:
            out.append(_tag("timing", "open_entry", minutes=since_open))
    r = r_multiple(x)
    if result == "win" and x.target is not None and r is not None and not _at_target(x):
        share = _sign(x) * (x.exit_price - x.entry_price) / abs(x.target - x.entry_price)
        if r < EARLY_EXIT_R and share < EARLY_EXIT_SHARE:
            out.append(_tag("timing", "early_exit", r=r, share=share))
    return out


def _greeks(x: ReviewInput) -> list[ReviewTag]:
    if not x.option:
        return []
    out: list[ReviewTag] = []
    o = _opt(x)
    dte = _num(o, "dte")
    if dte is not None and x.exit_reason != "expired_worthless":
        held_days = (x.exit_time - x.entry_time).total_seconds() / 86_400
        left = max(0.0, dte - held_days)
        if left < SHORT_DTE:
            out.append(_tag("greeks", "short_dte", dte=left))
    g = o.get("greeks")
    gamma, vega = _num(g, "gamma"), _num(g, "vega")
    spot, max_loss = _num(o, "underlying_price"), _num(o, "max_loss")
    if gamma is not None and gamma < 0 and spot and max_loss and max_loss > 0:
        move = GAMMA_MOVE_PCT / 100 * spot
        pct = 0.5 * abs(gamma) * move * move / max_loss * 100
        if pct >= GAMMA_LOSS_PCT:
            out.append(_tag("greeks", "gamma_risk", gamma=gamma, pct=pct))
    if vega is not None and vega < 0 and outcome(x) == "loss":
        pct = abs(vega) * VEGA_IV_POINTS / abs(x.realised_pnl) * 100
        if pct >= VEGA_LOSS_PCT:
            out.append(_tag("greeks", "vega_short", vega=vega, pct=pct))
    return out


def review_trade(x: ReviewInput) -> tuple[ReviewTag, ...]:
    """Every category's findings for one closed trade, in taxonomy order."""
    checks = (_entry, _execution, _volatility, _risk, _timing, _greeks)
    return tuple(tag for check in checks for tag in check(x))
