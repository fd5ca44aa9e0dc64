"""Grounding check for an LLM-written rationale (pure).

A rationale may only state numbers it was handed: every number in the text must match a fact
within tolerance (after the rounding a writer would reasonably do). It must name the right
symbol, argue the right side, and never promise a return.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# A number standing on its own: not glued to letters (SMA20, Q3, 10-K, 20-day are names).
NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])[-+]?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![A-Za-z0-9_]|-[A-Za-z])"
)
PROMISES = re.compile(
    r"\b(guarantee[ds]?|risk[- ]free|no[- ]risk|can(?:no|')t (?:lose|fail|go wrong)|"
    r"sure (?:thing|bet|win)|certain(?:ly)? (?:to )?(?:rise|profit|win|gain)|"
    r"will (?:definitely|certainly|surely) |easy money|free money|"
    r"(?:double|triple) your money|100% (?:sure|certain|safe))",
    re.IGNORECASE,
)
SHORT_WORDS = re.compile(
    r"\b(sell(?:ing)? short|go(?:ing)? short|short(?:ing)? (?:it|the|this)|bearish bet)\b", re.I
)
LONG_WORDS = re.compile(
    r"\b(go(?:ing)? long|buy(?:ing)? (?:it|the dip|shares)|bullish bet)\b", re.I
)
# Numbers any sentence may use without a fact: counts and the like.
FREE_NUMBERS = frozenset({0.0, 1.0, 2.0, 3.0})


@dataclass(frozen=True)
class GroundingResult:
    ok: bool
    problems: tuple[str, ...] = field(default_factory=tuple)
    numbers_checked: int = 0


KEY_DIGITS = re.compile(r"(\d+)")


def numbers_in(data: object, key_digits: bool = False) -> list[float]:
    """Every number in nested dicts/lists (booleans are not numbers); with `key_digits`, the
    periods named in keys too (sma20 -> 20), since a writer may say "the 20-day average"."""
    out: list[float] = []
    if isinstance(data, bool):
        return out
    if isinstance(data, int | float):
        out.append(float(data))
    elif isinstance(data, Mapping):
        for k, v in data.items():
            if key_digits:
                out.extend(float(d) for d in KEY_DIGITS.findall(str(k)))
            out.extend(numbers_in(v, key_digits))
    elif isinstance(data, list | tuple):
        for v in data:
            out.extend(numbers_in(v, key_digits))
    return out


def only_known_numbers(text: str, values: Sequence[float], rel_tol: float = 0.005) -> bool:
    """Every number stated in `text` (beyond small counts) is one of `values`, within rounding."""
    return all(
        v in FREE_NUMBERS or matches_fact(raw, v, values, rel_tol)
        for raw, v in stated_numbers(text)
    )


def stated_numbers(text: str) -> list[tuple[str, float]]:
    """Every standalone number in `text` as (as written, value)."""
    out: list[tuple[str, float]] = []
    for m in NUMBER.finditer(text):
        raw = m.group(0)
        try:
            value = float(raw.replace("$", "").replace(",", ""))
        except ValueError:
            continue
        out.append((raw, value))
    return out


def _decimals(raw: str) -> int:
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def matches_fact(raw: str, value: float, facts: Iterable[float], rel_tol: float) -> bool:
    """True when `value` equals a fact (or its magnitude) after rounding, or within rel_tol."""
    places = _decimals(raw)
    half_unit = 0.5 * 10**-places
    for f in facts:
        if not math.isfinite(f):
            continue
        for cand in (f, abs(f)):
            if abs(cand - value) <= half_unit + 1e-9:
                return True
            if cand and abs(cand - value) / abs(cand) <= rel_tol:
                return True
    return False


def check_rationale(
    text: str,
    facts: Mapping[str, float] | Sequence[float],
    symbol: str,
    side: str,
    *,
    kind: str = "entry",
    rel_tol: float = 0.005,
) -> GroundingResult:
    """Verify a rationale against the facts it was written from.

    `side` is "buy" or "sell"; for an exit the direction words are not checked (closing a
    long is a sell). Numbers are matched with the precision they were written with, or
    within `rel_tol` of a fact.
    """
    problems: list[str] = []
    if not text.strip():
        return GroundingResult(False, ("empty rationale",))
    if not re.search(rf"(?<![A-Z0-9]){re.escape(symbol)}(?![A-Z0-9])", text):
        problems.append(f"does not name {symbol}")
    if kind == "entry":
        if side == "buy" and SHORT_WORDS.search(text):
            problems.append("argues a short for a buy proposal")
        if side == "sell" and LONG_WORDS.search(text):
            problems.append("argues a long for a short proposal")
    if m := PROMISES.search(text):
        problems.append(f"promises a return ({m.group(0)!r})")
    raw_values = facts.values() if isinstance(facts, Mapping) else facts
    values = [float(v) for v in raw_values if isinstance(v, int | float)]
    checked = 0
    for raw, value in stated_numbers(text):
        checked += 1
        if value in FREE_NUMBERS:
            continue
        if not matches_fact(raw, value, values, rel_tol):
            problems.append(f"states {raw}, which is not in the facts")
    return GroundingResult(not problems, tuple(problems), checked)
