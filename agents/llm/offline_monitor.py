"""The monitor's phrasings for the offline parser: price and position alerts, the alert list,
removing or re-arming an alert, a monitor pass now, and moving a stop.

"tell me when AAPL crosses 200", "alert me if my NVDA position loses 5%", "show my alerts",
"remove alert A3", "move my stop on NVDA to 110", "trail NVDA 5%", "breakeven NVDA", "run the
monitor". Each is a typed intent, never an order: an alert is stored, a stop move is a card
that needs its own click. Pure and total like the parser that calls it: `parse_monitor`
returns None when the message is not about the monitor, so the other rules run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agents.llm import offline_lexer as lx
from agents.llm import offline_monitor_words as w
from agents.llm.offline_monitor_words import alert_intent, neutral, stop_intent, stop_readback
from agents.llm.offline_vocab import ENGLISH, MAX_PRICE
from models.intents import Intent, IntentKind

__all__ = ["alert_intent", "neutral", "parse_monitor", "stop_intent", "stop_readback"]

K = IntentKind


# ----------------------------------------------------------------------------- the parser


def parse_monitor(low: str, symbols: Sequence[str], toks: Sequence[lx.Tok]) -> Intent | None:
    """The monitor intent `low` (cleaned, lower-case) asks for, or None when it is not about
    alerts, stops or a monitor pass. `symbols`: the parser's symbols; `toks`: its tokens."""
    if w.CODE_RE.search(low):
        return None
    alert_word = bool(
        w.ALERT_WORD_RE.search(low) or w.REMOVE_RE.search(low) or w.REARM_RE.search(low)
    )
    tell = bool(w.TELL_RE.search(low))
    stopish = bool(
        w.BREAKEVEN_RE.search(low) or w.TRAIL_RE.search(low) or w.MOVE_STOP_RE.search(low)
    )
    monitorish = bool(w.MONITOR_RE.search(low))
    if not (alert_word or tell or stopish or monitorish):
        return None
    if w.NEGATED_RE.search(low):
        return Intent(
            kind=K.UNKNOWN,
            reply="Okay, nothing was set. /alerts lists your alerts; 'remove alert A3' drops one.",
            readback="negative request: no action",
        )
    trade = bool(w.TRADE_RE.search(low))
    if alert_word:
        return _alert(low, _symbols(symbols, toks), trade, soft=False)
    if stopish:
        return None if trade else _stop(low, _symbols(symbols, toks))
    if tell and not trade and (found := _alert(low, _symbols(symbols, toks), trade, soft=True)):
        return found
    if monitorish and not trade:
        return Intent(kind=K.MONITOR, readback="run a monitor pass now")
    return None


@dataclass(frozen=True, slots=True)
class _Syms:
    found: tuple[str, ...]
    stray: str | None  # an upper-case word that looks like a ticker but is not known


def _said(sym: str, toks: Sequence[lx.Tok]) -> bool:
    """Whether `sym` was said as a ticker: not only as a lower-case English word ('on')."""
    return any(
        t.raw.upper().lstrip("$\x01") == sym
        and (t.kind in ("co", "cash") or t.raw != t.low or t.low not in ENGLISH)
        for t in toks
    )


def _symbols(symbols: Sequence[str], toks: Sequence[lx.Tok]) -> _Syms:
    found = tuple(
        s
        for s in symbols
        if s not in w.NOT_SYMBOL and not re.fullmatch(r"A\d+", s) and _said(s, toks)
    )
    if found or not any(c.islower() for t in toks for c in t.raw):
        return _Syms(found, None)
    stray = next(
        (
            t.raw
            for t in toks
            if t.kind == "word"
            and t.raw.isupper()
            and 2 <= len(t.raw) <= 5
            and t.raw not in w.NOT_SYMBOL
            and t.low not in ENGLISH
        ),
        None,
    )
    return _Syms(found, stray)


def _which(s: _Syms, example: str, what: str = "Which symbol?") -> Intent | None:
    """A question when there is not exactly one symbol, else None."""
    if len(s.found) > 1:
        return w.clarify(
            f"One symbol at a time, please (you mentioned {', '.join(s.found)}): e.g. "
            f"'{example.format(sym=s.found[0])}'.",
            "several symbols",
            symbols=s.found,
        )
    if not s.found:
        head = f"I don't recognise '{s.stray}' as a ticker. " if s.stray else ""
        return w.clarify(f"{head}{what} e.g. '{example.format(sym='NVDA')}'.", "symbol missing")
    return None


def _alert(low: str, s: _Syms, trade: bool, soft: bool) -> Intent | None:
    """Remove, re-arm, list or add an alert. `soft`: only "tell me when..." was said, so
    the message is ours only when it names a condition with a number."""
    ids = [(x.start(), x.end(), x.group(1) or x.group(2)) for x in w.ID_RE.finditer(low)]
    if trade:
        return w.clarify(
            "One request at a time, please: an alert on a price or a position (e.g. 'alert me "
            "if NVDA drops below 110'), then the trade (e.g. 'buy 10 NVDA').",
            "alert and trade in one message",
        )
    remove, rearm = w.REMOVE_RE.search(low), w.REARM_RE.search(low)
    if remove or rearm:
        kind = K.ALERT_REMOVE if remove else K.ALERT_REARM
        verb = "remove" if remove else "re-arm"
        if len({int(i) for _, _, i in ids}) != 1:
            return w.clarify(
                f"Which alert should I {verb}? One at a time, by its id from /alerts, e.g. "
                f"'{verb} alert A3'.",
                f"{verb} an alert (id missing)",
            )
        aid = f"A{int(ids[0][2])}"
        return Intent(kind=kind, alert_id=aid, readback=f"{verb} alert {aid}")
    if w.LIST_RE.search(low.strip(" ?!.")):
        return Intent(kind=K.ALERT_LIST, readback="show alerts")
    return _alert_add(low, s, [(a, b) for a, b, _ in ids], soft)


def _alert_add(low: str, s: _Syms, skip: list[tuple[int, int]], soft: bool) -> Intent | None:
    nums = w.numbers(low, skip)
    pcts = [n for n in nums if n.pct]
    prices = [n for n in nums if not n.pct]
    position = bool(w.POSITION_RE.search(low))
    if pcts or (position and any(n.dollar for n in prices) and w.LOSS_GAIN_RE.search(low)):
        return _pct_alert(low, s, pcts, prices, position)
    if not prices:
        return (
            None
            if soft
            else w.clarify(
                "When should I alert you? e.g. 'alert me if NVDA drops below 110', 'alert me when "
                "TSLA moves 5%' or 'alert me if my NVDA position loses 5%'.",
                "alert (condition missing)",
                symbols=s.found,
            )
        )
    if q := _which(s, "alert me if {sym} drops below 110"):
        return q
    sym = s.found[0]
    if w.POSITION_WORD_RE.search(low) and not w.EXPLICIT_RE.search(low):
        n = prices[0].value
        return w.clarify(
            f"In % of the entry, or a price? e.g. 'alert me if my {sym} position loses "
            f"{abs(n):g}%' or 'alert me if {sym} drops below {abs(n):g}'.",
            f"alert on the {sym} position (percent or price)",
            symbols=s.found,
        )
    if len(prices) > 1:
        return w.clarify(
            f"One price per alert, please (I read {', '.join(f'{n.value:g}' for n in prices)}): "
            f"e.g. 'alert me if {sym} drops below {abs(prices[0].value):g}'.",
            f"alert on {sym} (several prices)",
            symbols=s.found,
        )
    level = prices[0].value
    if not 0 < level <= MAX_PRICE:
        return w.clarify(
            f"An alert price must be above 0 and at most {MAX_PRICE:,.0f} ({level:g} isn't). "
            f"e.g. 'alert me if {sym} drops below 110'.",
            f"alert on {sym} (price not usable)",
            symbols=s.found,
        )
    above, below = bool(w.ABOVE_RE.search(low)), bool(w.BELOW_RE.search(low))
    if above and below:
        return w.clarify(
            f"Above or below {level:g}? e.g. 'alert me if {sym} goes above {level:g}' or "
            f"'alert me if {sym} drops below {level:g}'.",
            f"alert on {sym} (direction unclear)",
            symbols=s.found,
        )
    if above or below or w.CROSS_RE.search(low):
        return w.alert_intent(sym, "above" if above else "below" if below else "cross", level)
    return w.clarify(
        f"When {sym} goes above or below {level:g}? e.g. 'tell me when {sym} crosses {level:g}'.",
        f"alert on {sym} (condition unclear)",
        symbols=s.found,
    )


def _pct_alert(
    low: str, s: _Syms, pcts: list[w.Num], prices: list[w.Num], position: bool
) -> Intent:
    """A day-move alert (move) or a position alert (loss/gain) in percent."""
    example = (
        "alert me if my {sym} position loses 5%" if position else "alert me when {sym} moves 5%"
    )
    if q := _which(s, example, "Which position?" if position else "Which symbol?"):
        return q
    sym = s.found[0]
    if position and not pcts:
        return w.clarify(
            f"Position alerts are in % of the entry, not dollars: e.g. 'alert me if my {sym} "
            "position loses 5%'.",
            f"alert on the {sym} position (in dollars)",
            symbols=s.found,
        )
    if len(pcts) != 1 or prices:
        said = ", ".join(f"{n.value:g}{'%' if n.pct else ''}" for n in [*pcts, *prices])
        return w.clarify(
            f"One number per alert, please (I read {said}): e.g. '{example.format(sym=sym)}'"
            " (a move is the day's move).",
            f"alert on {sym} (several numbers)",
            symbols=s.found,
        )
    raw = pcts[0].value
    moving = bool(w.MOVE_RE.search(low))
    loss = (bool(w.LOSS_RE.search(low)) and not moving) or raw < 0
    gain = bool(w.GAIN_RE.search(low)) and not moving
    if position:
        if loss == gain:
            return w.clarify(
                f"A gain or a loss? e.g. 'alert me if my {sym} position loses {abs(raw):g}%' or "
                f"'alert me if my {sym} position gains {abs(raw):g}%'.",
                f"alert on the {sym} position (direction unclear)",
                symbols=s.found,
            )
        cond = "loss" if loss else "gain"
    elif moving:
        cond = "move"
    else:
        return w.clarify(
            f"A day-move alert fires either way, e.g. 'alert me when {sym} moves {abs(raw):g}%'. "
            f"For your position: 'alert me if my {sym} position loses {abs(raw):g}%'; for a "
            f"price: 'alert me if {sym} drops below 110'.",
            f"alert on {sym} (move direction)",
            symbols=s.found,
        )
    level = abs(raw)
    if not 0 < level <= w.MAX_PCT[cond]:
        return w.clarify(
            f"That percentage must be above 0% and at most {w.MAX_PCT[cond]:g}% ({raw:g}% "
            f"isn't): e.g. '{example.format(sym=sym)}'.",
            f"alert on {sym} (percentage not usable)",
            symbols=s.found,
        )
    return w.alert_intent(sym, cond, level)


def _stop(low: str, s: _Syms) -> Intent:
    """A stop move: to a price, trailing by % or ATR, or to breakeven."""
    if q := _which(s, "move my stop on {sym} to 110", "Which position?"):
        return q
    sym = s.found[0]
    nums = w.numbers(low, ())
    how = (
        f"e.g. 'move my stop on {sym} to 110', 'trail {sym} 5%', 'trail {sym} by 2 ATR' or "
        f"'breakeven {sym}'"
    )
    syms = s.found
    if w.BREAKEVEN_RE.search(low):
        if nums:
            return w.clarify(f"Breakeven or a price? {how}.", f"{sym} stop (unclear)", symbols=syms)
        return w.stop_intent(sym, breakeven=True)
    if w.AND_TRAIL_RE.search(low):
        return w.clarify(f"One stop move at a time, please: {how}.", f"{sym} stop (two moves)")
    if w.TRAIL_RE.search(low) and not (w.TO_NUM_RE.search(low) and len(nums) == 1):
        return _trail(low, sym, nums, how)
    if w.STOP_PCT_RE.search(low) or w.STOP_ATR_RE.search(low):
        return w.clarify(
            f"A stop as a distance is a trailing stop, e.g. 'trail {sym} 5%' or 'trail {sym} by "
            f"2 ATR'; or give the price, e.g. 'move my stop on {sym} to 110'.",
            f"{sym} stop (distance)",
            symbols=syms,
        )
    from_to = len(nums) == 2 and w.FROM_NUM_RE.search(low)
    if from_to and len(to := w.numbers(low, (), after_to=True)) == 1:
        nums = to
    if w.BY_RE.search(low) or len(nums) != 1:
        return w.clarify(
            f"To what price should the {sym} stop move? {how}.",
            f"{sym} stop (price missing)",
            symbols=syms,
        )
    price = nums[0].value
    if not 0 < price <= MAX_PRICE:
        return w.clarify(
            f"A stop price must be above 0 and at most {MAX_PRICE:,.0f} ({price:g} isn't). {how}.",
            f"{sym} stop (price not usable)",
            symbols=syms,
        )
    return w.stop_intent(sym, price=price)


def _trail(low: str, sym: str, nums: list[w.Num], how: str) -> Intent:
    atr, pct = w.STOP_ATR_RE.search(low), w.STOP_PCT_RE.search(low)
    syms = (sym,)
    if (atr and pct) or len(nums) > 1:
        return w.clarify(
            f"One trail at a time, please: {how}.", f"trail {sym} (several)", symbols=syms
        )
    if atr:
        n = float(atr.group(1) or atr.group(2))
        if not 0 < n <= w.MAX_TRAIL_ATR:
            return w.clarify(
                f"A trail must be above 0 and at most {w.MAX_TRAIL_ATR:g} ATR ({n:g} isn't). "
                f"{how}.",
                f"trail {sym} (ATR not usable)",
                symbols=syms,
            )
        return w.stop_intent(sym, trail_atr=n)
    if pct:
        n = float(pct.group(1))
        if not 0 < n < 100 or (nums and nums[0].value < 0):
            return w.clarify(
                f"A trail must be above 0% and below 100% ({n:g}% isn't). {how}.",
                f"trail {sym} (percentage not usable)",
                symbols=syms,
            )
        return w.stop_intent(sym, trail_pct=n)
    what = f"{nums[0].value:g}% or {nums[0].value:g} ATR? " if nums else "By how much? "
    return w.clarify(what + how + ".", f"trail {sym} (distance missing)", symbols=syms)
