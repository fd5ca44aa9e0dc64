"""Cleaning, tokenising and reading quantities for the offline parser."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from agents.llm.offline_patterns import (
    GREETING_REPLY,
    MENTION_RE,
    NON_PRINTABLE_RE,
    QUOTES,
    SMALL_TALK_RE,
    THANKS_REPLY,
    TOKEN_RE,
    WHOAMI_REPLY,
)
from agents.llm.offline_vocab import (
    DOLLAR_WORDS,
    MAX_AMOUNT,
    MAX_CHARS,
    MAX_QTY,
    NOT_QTY_BEFORE,
    PERCENT_WORDS,
    PRICE_WORDS,
    SCALES,
    TENS,
    TIME_UNITS,
    UNITS,
    rx,
)

# ----------------------------------------------------------------------------- lexing


@dataclass(frozen=True, slots=True)
class Tok:
    """One token of the canonical text; numbers carry their parsed value."""

    kind: str  # co | num | cash | word | punct
    raw: str
    low: str
    value: float = 0.0
    dollar: bool = False
    glued: bool = False  # a number run into letters, e.g. "3pm"


def clean(text: object) -> tuple[str, bool]:
    """(printable ASCII text of at most MAX_CHARS, whether the message was longer).

    NFKC folds full-width and styled letters to ASCII; anything still outside printable ASCII
    (controls, zero-width characters, emoji, other scripts) becomes a space.
    """
    if not isinstance(text, str):
        return "", False
    cap = 2 * MAX_CHARS
    head = unicodedata.normalize("NFKC", text[:cap])
    for a, b in QUOTES:
        head = head.replace(a, b)
    head = " ".join(NON_PRINTABLE_RE.sub(" ", MENTION_RE.sub(" ", head)).split())
    return head[:MAX_CHARS], len(head) > MAX_CHARS or bool(text[cap:].strip())


def tokenize(text: str) -> list[Tok]:
    """Split canonical text into typed tokens."""
    toks: list[Tok] = []
    for x in TOKEN_RE.finditer(text):
        raw = x.group(0).strip()
        if x.group("num"):
            digits = x.group("int").replace(",", "")
            val = float("inf") if len(digits) > 12 else float(digits + (x.group("frac") or ""))
            val *= {"k": 1e3, "m": 1e6}.get((x.group("suf") or "").lower(), 1.0)
            glued = text[x.end() : x.end() + 1].isalpha()
            val = -val if x.group("neg") else val
            toks.append(Tok("num", raw, raw, val, dollar=bool(x.group("cur")), glued=glued))
        else:
            kind = next(k for k in ("co", "cash", "word", "punct") if x.group(k))
            toks.append(Tok(kind, raw, raw.lower()))
    return toks


def word_number(toks: list[Tok], i: int) -> tuple[int, int] | None:
    """Read number words ('fifty', 'a hundred', 'twenty five') at i: (value, end index)."""
    total = current = 0
    j, used = i, False
    while j < len(toks):
        w, nxt = toks[j].low, toks[j + 1].low if j + 1 < len(toks) else ""
        if w in ("a", "an") and not used and nxt in SCALES:
            current = 1
        elif w in UNITS or w in TENS:
            current += UNITS.get(w, 0) + TENS.get(w, 0)
        elif w in ("thousand", "million"):
            total, current = total + max(current, 1) * SCALES[w], 0
        elif w in SCALES:
            current = max(current, 1) * SCALES[w]
        elif not (w == "and" and used and (nxt in UNITS or nxt in TENS)):
            break
        used, j = True, j + 1
    return (total + current, j) if used else None


@dataclass(frozen=True, slots=True)
class Qty:
    """A number that reads as a size (kind: shares, dollars or percent); tokens [start, end)."""

    value: float
    kind: str
    start: int
    end: int


_NOT_QTY_AFTER_WORD: Final = frozenset({"the", "which", "this", "that", "any", "every", "no"})
# before a number, these make it a price rather than a size ("under 150", "near 150")
LOOSE_PRICE_WORDS: Final = (
    PRICE_WORDS
    - {"at", "@", "limit", "lmt", "stop", "stp", "sl"}
    - {
        "target",
        "tp",
        "price",
    }
)


def quantities(
    toks: list[Tok], skip: Collection[int] = ()
) -> tuple[list[Qty], list[tuple[int, str]]]:
    """Numbers that read as trade sizes (not prices, times or ranks), and the numbers after a
    loose price word ("under 150": (index, "under")). Indices in `skip` (prices and fractions
    already read by offline_orders) are neither."""
    out: list[Qty] = []
    loose: list[tuple[int, str]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if i in skip:
            i += 1
            continue
        if t.kind == "num" and not t.glued:
            val, end, dollar = t.value, i + 1, t.dollar
        elif t.kind == "word" and (wn := word_number(toks, i)):
            val, end, dollar = float(wn[0]), wn[1], False
        else:
            i += 1
            continue
        prev = toks[i - 1].low if i else ""
        nxt = toks[end].low if end < len(toks) else ""
        up_to = prev == "to" and i > 1 and toks[i - 2].low == "up"  # "buy up to 10 AAPL"
        if nxt in TIME_UNITS:
            pass
        elif prev in PRICE_WORDS and not up_to:
            if prev in LOOSE_PRICE_WORDS:
                loose.append((i, prev))
        elif prev not in NOT_QTY_BEFORE and not (t.kind == "word" and prev in _NOT_QTY_AFTER_WORD):
            kind = "dollars" if dollar or nxt in DOLLAR_WORDS else "shares"
            out.append(Qty(val, "percent" if nxt in PERCENT_WORDS else kind, i, end))
        i = end
    return out, loose


# ----------------------------------------------------------------------------- reply wording


def size_problem(q: Qty, sym: str, verb: str) -> str | None:
    """Why a size cannot be used (shares, dollars or a percentage), or None when it can."""
    how = f"How many shares? e.g. '{verb} 10 {sym}'"
    if q.kind == "dollars":
        if not 0 < q.value <= MAX_AMOUNT:
            return (
                f"The amount must be above $0 and at most ${MAX_AMOUNT:,.0f}. e.g. "
                f"'{verb} $500 of {sym}'."
            )
        return None
    if q.kind == "percent":
        if not 0 < q.value <= 100:
            return (
                f"A percentage must be above 0% and at most 100% ({q.value:g}% isn't). e.g. "
                f"'{verb} 5% {sym}'."
            )
        return None
    if q.value <= 0:
        return f"The quantity must be a positive whole number of shares. {how}."
    if q.value > MAX_QTY:
        return f"That is more than {MAX_QTY:,} shares; please check the number. {how}."
    if q.value != int(q.value):
        return f"Only whole shares are supported ({q.value:g} isn't a whole number). {how}."
    return None


_THANKS_RE: Final = rx(r"\b(?:thanks|thank|thx|ty|tysm|cheers|appreciate)\b")
_WHOAMI_RE: Final = rx(r"\b(?:who|what)\s+are\s+you\b|\bname\b|\bbot\b|\bhuman\b")


def small_talk_reply(low: str) -> str | None:
    """A friendly reply to a greeting, thanks or 'who are you'; None for anything else."""
    text = low.strip(" !.?,:)(")
    if not SMALL_TALK_RE.match(text) and not re.search(r"\b(?:thanks|thank you)\b", text):
        return None
    if _THANKS_RE.search(text):
        return THANKS_REPLY
    return WHOAMI_REPLY if _WHOAMI_RE.search(text) else GREETING_REPLY
