"""The parts of a trade request beyond symbol and side, read from the offline parser's tokens.

Prices ("limit 180", "at $180", "stop loss 170", "tp 200"), time in force ("at the open",
"gtc"), the size (shares, dollars, a percentage, "half") and what cannot be done ("stop 5%
below", "at 3pm"). Nothing is dropped: a part is either read into a field or named in a
question. Pure and total, like the parser that calls it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from agents.llm import offline_lexer as lx
from agents.llm import offline_patterns as pt
from agents.llm import offline_vocab as v
from models.domain import Side, TimeInForce
from models.intents import Intent, IntentKind

# A price word and the role of the number after it ("at"/"@" alone is a limit).
ROLE: Final = {
    "limit": "limit",
    "lmt": "limit",
    "stop": "stop",
    "stp": "stop",
    "sl": "stop",
    "target": "target",
    "tp": "target",
    "at": "at",
    "@": "at",
    "price": "at",
}
ROLE_NAME: Final = {"limit": "limit price", "stop": "stop", "target": "target"}
_EXAMPLE: Final = {"limit": "limit 180", "stop": "stop 170", "target": "target 200"}
# Words between a price word and its number: "stop at 170", "limit price of 180".
_LINK: Final = frozenset({"at", "@", "of", "a", "an", "price", "is", "level", "order", "loss"})
_AT_LINK: Final = _LINK | {"around", "about", "roughly", "approximately"}
# After a number, these make it a distance, not a price: "stop 5% below", "stop 2 points".
_RELATIVE: Final = (
    v.PERCENT_WORDS
    | {"below", "under", "above", "over", "beneath", "off", "points", "pts", "lower", "higher"}
    | {"away", "from", "bps", "cents", "atr"}
)
_SIZE_AFTER: Final = frozenset({"shares", "share"}) | v.DOLLAR_WORDS
_FRACTIONS: Final = {"half": 50.0, "third": 100 / 3, "quarter": 25.0}
_FRACTIONS_PLURAL: Final = {"thirds": "third", "quarters": "quarter"}
_FRACTION_COUNT: Final = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_NOT_FRACTION_AFTER: Final = frozenset(
    {"first", "second", "last", "this", "next", "per", "each", "every", "the", "fiscal"}
)
_LATER: Final = frozenset({"tomorrow", "tmrw", "tonight", "later", "overnight"})
_CLOCK: Final = frozenset({"am", "pm"})
_INDICATORS: Final = frozenset({"ma", "sma", "ema", "dma", "rsi", "moving"})
_CONDITION: Final = frozenset({"if", "when", "once", "whenever", "until", "unless"}) | _INDICATORS
_DELAY: Final = frozenset({"in", "within", "after", "for", "next"})


@dataclass(slots=True)
class Parts:
    """Every order part found in one message, and the token indices they used up."""

    prices: dict[str, float] = field(default_factory=dict)  # limit / stop / target
    tif: TimeInForce = TimeInForce.DAY
    fraction: tuple[float, str] | None = None  # (% of the position, the words), e.g. "half"
    consumed: set[int] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)  # a price word with no price
    relative: tuple[str, str] | None = None  # (role, words) of "stop 5% below"
    conflict: tuple[str, float, float] | None = None
    bad_price: str | None = None
    timing: str | None = None  # a timing that cannot be honoured (a question)
    loose: list[tuple[int, str]] = field(default_factory=list)  # "under 180", for the side

    @property
    def priced(self) -> bool:
        """A price or time in force was given (an order, even without a size)."""
        return bool(self.prices) or self.tif is not TimeInForce.DAY


def read(toks: list[lx.Tok]) -> Parts:
    """Find prices, time in force and fractions (before quantities are read)."""
    p = Parts()
    roles: dict[int, str] = {}  # number index -> the price word it was read for
    missing: list[tuple[str, int]] = []
    n = len(toks)
    for i, t in enumerate(toks):
        role = ROLE.get(t.low) if t.kind in ("word", "punct") else None
        if role is None:
            continue
        j = i + 1
        links = _AT_LINK if role == "at" else _LINK
        while j < n and toks[j].low in links and toks[j].kind != "num":
            j += 1
        if j < n and toks[j].kind == "num" and not toks[j].glued and j not in roles:
            if not _is_time_or_size(toks, j):
                p.consumed.add(j)
                if rel := _relative(toks, j):
                    p.relative = p.relative or ("limit" if role == "at" else role, rel)
                else:
                    roles[j] = role
            continue
        if j < n and toks[j].kind == "word" and (wn := lx.word_number(toks, j)):
            if not _is_time_or_size(toks, wn[1] - 1):  # "at one eighty": ask for digits
                p.bad_price = p.bad_price or " ".join(x.raw for x in toks[j : wn[1]])
                p.consumed.update(range(j, wn[1]))
            continue
        if role != "at" and not _look_back(p, toks, i, role, roles):
            missing.append((role, i))
    for role, i in missing:  # "a stop on NVDA at 170": the number comes after a later "at"
        later = next((j for j in sorted(roles) if i < j <= i + 6 and roles[j] == "at"), None)
        if later is not None:
            roles[later] = role
        elif role not in p.missing:
            p.missing.append(role)
    for j, role in sorted(roles.items()):
        _set_price(p, "limit" if role == "at" else role, toks[j])
    _time_in_force(p, toks)
    _fraction(p, toks)
    return p


def _look_back(p: Parts, toks: list[lx.Tok], i: int, role: str, roles: dict[int, str]) -> bool:
    """A number just before the price word ("at 180 limit", "a 170 stop"): read it."""
    k = i - 1
    while k >= 0 and toks[k].low in ("a", "an"):
        k -= 1
    if k >= 0 and toks[k].kind == "num" and not toks[k].glued and roles.get(k) in (None, "at"):
        roles[k] = role
        p.consumed.add(k)
        return True
    if k >= 1 and toks[k].low in v.PERCENT_WORDS and toks[k - 1].kind == "num":
        p.relative = (role, f"{toks[k - 1].raw}% {toks[i].raw}")
        p.consumed.add(k - 1)
        return True
    return False


def _is_time_or_size(toks: list[lx.Tok], j: int) -> bool:
    nxt = toks[j + 1].low if j + 1 < len(toks) else ""
    return nxt in v.TIME_UNITS or nxt in _SIZE_AFTER


def _relative(toks: list[lx.Tok], j: int) -> str | None:
    """The words of a distance ("5% below") at number j, or None for a plain price."""
    nxt = toks[j + 1].low if j + 1 < len(toks) else ""
    if nxt in _RELATIVE:
        after = toks[j + 2].low if j + 2 < len(toks) else ""
        tail = f" {after}" if nxt in v.PERCENT_WORDS and after in _RELATIVE else ""
        return f"{toks[j].raw}{'%' if nxt == '%' else ' ' + nxt}{tail}"
    return None


def _set_price(p: Parts, role: str, t: lx.Tok) -> None:
    value = t.value
    if not (math.isfinite(value) and 0 < value <= v.MAX_PRICE):
        p.bad_price = p.bad_price or t.raw
        return
    value = round(value, 4)
    old = p.prices.get(role)
    if old is not None and old != value:
        p.conflict = p.conflict or (role, old, value)
    p.prices[role] = value


def _time_in_force(p: Parts, toks: list[lx.Tok]) -> None:
    words = [t.low for t in toks]
    tifs = {TimeInForce.OPG for w in words if w == "opg"} | {
        TimeInForce.GTC for w in words if w == "gtc"
    }
    if len(tifs) > 1:
        p.timing = "Pick one time in force: 'at the open' or 'good till cancelled'."
    elif tifs:
        p.tif = tifs.pop()
    clock = next(
        (
            f"{t.raw}{toks[i + 1].low}" if t.kind == "num" else "that time"
            for i, t in enumerate(toks)
            if t.low == "clocktime"
            or (t.kind == "num" and i + 1 < len(toks) and toks[i + 1].low in _CLOCK)
        ),
        None,
    )
    if clock:
        p.timing = (
            f"I can't time an order for {clock}: it is sent when you approve its card, or at "
            "the next open if you add 'at the open'."
        )
    elif "atclose" in words:
        p.timing = (
            "Orders at the close aren't supported: an order is sent when you approve its card, "
            "or at the next open if you add 'at the open'."
        )
    elif p.tif is not TimeInForce.OPG and (later := next((w for w in words if w in _LATER), "")):
        p.timing = (
            f"I can't schedule an order for {later}: add 'at the open' to have it sent at the "
            "next open, or leave the time out to send it when you approve its card."
        )
    if "trailstop" in words:
        p.relative = ("stop", "trailing stop")


def _fraction(p: Parts, toks: list[lx.Tok]) -> None:
    """Fractions of the position: "half", "a third", "two thirds", "three quarters"."""
    for i, t in enumerate(toks):
        base = _FRACTIONS_PLURAL.get(t.low, t.low)
        if base not in _FRACTIONS:
            continue
        prev = toks[i - 1].low if i else ""
        if prev in _NOT_FRACTION_AFTER:
            continue
        count = _FRACTION_COUNT.get(prev)
        pct = 50.0 if base == "half" else (count or 1) * _FRACTIONS[base]
        if 0 < pct <= 100 and p.fraction is None:
            words = f"{toks[i - 1].raw} {t.raw}" if count else t.raw
            p.fraction = (pct, words)
            p.consumed.add(i)
            if count:
                p.consumed.add(i - 1)


def resolve_loose(p: Parts, toks: list[lx.Tok], side: Side | None, close: bool) -> str | None:
    """Read "under 180" as a buy limit and "above 200" as a sell limit; anything else loose
    becomes a question naming the words."""
    condition = any(t.low in _CONDITION for t in toks)
    for i, word in p.loose:
        t = toks[i]
        as_limit = (side is Side.BUY and word in ("under", "below", "beneath")) or (
            side is Side.SELL and not close and word in ("above", "over")
        )
        if as_limit and "limit" not in p.prices and not condition:
            _set_price(p, "limit", t)
            continue
        val = f"{t.value:g}" if math.isfinite(t.value) else t.raw
        if condition:
            return (
                f"I can't make an order wait for a condition ('{word} {t.raw}'): it is sent when "
                f"you approve its card. For a price limit say 'limit {val}'."
            )
        return (
            f"I can't tell what '{word} {t.raw}' means for this order: say 'limit {val}' for a "
            f"limit price, 'stop {val}' for a stop or 'target {val}' for a target."
        )
    return None


def problem(p: Parts, verb: str, sym: str) -> str | None:
    """A question when a part cannot be used as said, else None."""
    ex = f"'{verb} 10 {sym}"
    if p.bad_price:
        return (
            f"'{p.bad_price}' isn't a usable price: give a positive price in digits, e.g. "
            f"{ex} limit 180'."
        )
    if p.conflict:
        role, a, b = p.conflict
        return (
            f"Two {ROLE_NAME[role]}s ({a:,.2f} and {b:,.2f}): which one? e.g. {ex} {role} {a:g}'."
        )
    if p.relative:
        role, words = p.relative
        return (
            f"I can't set a {ROLE_NAME[role]} as a distance ('{words}') yet: give the price "
            f"itself, e.g. {ex} {_EXAMPLE[role]}'."
        )
    if verb == "close" and (role := next((r for r in ("stop", "target") if r in p.prices), "")):
        return (
            f"I can't put a {role} on a close. 'close {sym}' exits now (or 'close {sym} limit "
            f"180' at a limit); to move the stop of an open position say 'move my stop on "
            f"{sym} to PRICE' or 'trail {sym} 5%' (a card to approve)."
        )
    if p.missing:
        role = p.missing[0]
        return f"At what price should the {ROLE_NAME[role]} be? e.g. {ex} {_EXAMPLE[role]}'."
    return p.timing


def unread(toks: list[lx.Tok], p: Parts, qtys: list[lx.Qty], sym: str) -> str | None:
    """A number in a trade message that is neither a size, a price nor a time of day."""
    used = p.consumed | {j for q in qtys for j in range(q.start, q.end)} | {i for i, _ in p.loose}
    for i, t in enumerate(toks):
        if t.kind != "num" or i in used:
            continue
        prev = toks[i - 1].low if i else ""
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
        nxt2 = toks[i + 2].low if i + 2 < len(toks) else ""
        if nxt in _INDICATORS or (nxt in v.TIME_UNITS and nxt2 in _INDICATORS):
            return (
                f"I can't make an order wait for a condition ('{t.raw} {nxt}"
                f"{' ' + nxt2 if nxt2 in _INDICATORS else ''}'): it is sent when you approve its "
                f"card. Say e.g. 'buy 10 {sym}' to propose it now."
            )
        if nxt in _CLOCK or t.glued:
            continue  # a time of day is asked about by _time_in_force
        if nxt in v.TIME_UNITS:
            if prev not in _DELAY:
                continue
            return (
                f"I can't delay or schedule an order ('{prev} {t.raw} {nxt}'): it is sent when "
                "you approve its card, or at the next open if you add 'at the open'."
            )
        said = " ".join(x for x in (prev, t.raw, nxt) if x)
        return (
            f"I'm not sure what '{said}' means in this order: give the size after the verb "
            f"(e.g. 'buy 10 {sym}') and prices after 'limit', 'stop' or 'target'."
        )
    return None


def size_fields(
    qtys: list[lx.Qty], p: Parts, verb: str, sym: str, close: bool
) -> dict[str, float | int] | str:
    """The trader's size as Intent fields (quantity / amount / pct; {} when none was given),
    or a question when it cannot be used."""
    sizes: list[str] = [f"'{p.fraction[1]}'"] if p.fraction else []
    sizes += [
        f"'{'$' if q.kind == 'dollars' else ''}{q.value:g}{'%' if q.kind == 'percent' else ''}'"
        for q in qtys
    ]
    if len(sizes) > 1:
        return (
            f"One size, please (I read {' and '.join(sizes)}): e.g. '{verb} 10 {sym}' for shares, "
            f"'{verb} $500 of {sym}' for dollars or '{verb} 5% {sym}'. A price goes after "
            "'limit', 'stop' or 'target'."
        )
    if p.fraction:
        if not close:
            return (
                f"{p.fraction[1].capitalize()} of what? To exit, say e.g. 'sell {p.fraction[1]} "
                f"of my {sym}'; to enter, give shares, dollars or a %, e.g. '{verb} 10 {sym}'."
            )
        return {"pct": p.fraction[0]}
    if not qtys:
        return {}
    q = qtys[0]
    if why := lx.size_problem(q, sym, verb):
        return why
    if q.kind == "dollars":
        return {"amount": round(q.value, 2)}
    if q.kind == "percent":
        return {"pct": q.value}
    return {"quantity": int(q.value)}


def side_question(qtys: list[lx.Qty], p: Parts, sym: str) -> tuple[str, dict[str, float | int]]:
    """A size and a symbol but no side ("$500 worth of MSFT"): the question, and the size."""
    size = size_fields(qtys, p, "buy", sym, close=False)
    kw = size if isinstance(size, dict) else {}
    said = (
        f"${kw['amount']:,.2f} of {sym}"
        if "amount" in kw
        else f"{kw['pct']:g}% {sym}"
        if "pct" in kw
        else f"{kw.get('quantity', 10)} {sym}"
    )
    return f"Buy or sell {sym}? Say e.g. 'buy {said}' or 'sell {said}'.", kw


def stray_price_question(p: Parts, syms: tuple[str, ...]) -> str | None:
    """A stop, target or limit with no trade to attach it to ("stop 170"): which order?"""
    role = next((r for r in ("stop", "target", "limit") if r in p.prices), None)
    if role is None:
        return None
    price = p.prices[role]
    return pt.STRAY_PRICE_QUESTION.format(
        what=f"{ROLE_NAME[role]} at {price:,.2f}",
        sym=syms[0] if syms else "AAPL",
        example=f"{role} {price:g}",
    )


def order_intent(kind: IntentKind, kw: dict[str, object]) -> Intent:
    """A PROPOSE or CLOSE whose read-back names every part, in OrderSpec's words. Raises
    ValidationError for fields an Intent or OrderSpec refuses (callers validate first)."""
    intent = Intent(kind=kind, **kw)  # type: ignore[arg-type]
    spec = intent.order_spec()
    parts = spec.parts()
    if spec.side is None and not spec.exit:
        parts[0] = f"trade idea for {spec.symbol}"
    if not spec.sized:
        parts[0] += " (whole position)" if spec.exit else " (size to be suggested)"
    return intent.model_copy(update={"readback": ", ".join(parts)})
