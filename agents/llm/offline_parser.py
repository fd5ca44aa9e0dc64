"""Offline, rule-based parser: one chat message in, one typed `Intent` out.

The fallback when no LLM key is configured. It is pure and total: no I/O, it never raises,
it reads at most the first `MAX_CHARS` characters, and it never yields a decision — asking to
approve, confirm or execute anything is refused (only a card's buttons decide).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from agents.llm import offline_lexer as lx
from agents.llm import offline_monitor as om
from agents.llm import offline_orders as od
from agents.llm import offline_patterns as pt
from agents.llm import offline_questions as oq
from agents.llm import offline_vocab as v
from agents.llm.offline_news import parse_news
from agents.llm.offline_options import parse_options
from models.domain import Period, Side
from models.intents import Intent, IntentKind

__all__ = ["parse"]

K = IntentKind
_POLITE_RE = re.compile(
    r"^(?:(?:"
    + "|".join(sorted(map(re.escape, v.POLITE), key=len, reverse=True))
    + r")(?:[\s,!.]+|$))+"
)
_PERIOD_TEXT = {"day": "today", "week": "this week", "month": "this month", "all": "all time"}
_QTY_SKIP = frozenset({"shares", "share", "of", "x", "more", "extra", "my", "the", "in"}) | (
    v.DOLLAR_WORDS | v.PERCENT_WORDS
)
_BARE_OK = frozenset(
    {"and", "or", "vs", "versus", "the", "stock", "ticker", "?", "&", "of", "shares", "worth", "%"}
)
_VAGUE = frozenset({"some", "part", "partial", "portion", "bit", "few"})
_NUM_WORDS = frozenset(v.UNITS) | frozenset(v.TENS) | frozenset(v.SCALES)
_PREPOSITIONS = frozenset({"about", "on", "of", "for", "in"})
_NOT_TICKER = v.ENGLISH | v.FILLER | v.POLITE | v.TRADE_VERBS | _NUM_WORDS | v.OTHER_OBJ_VERBS


@dataclass(slots=True)
class _Msg:
    """Everything derived once from the text."""

    low: str
    clow: str
    core: str
    toks: list[lx.Tok]
    known: frozenset[str]
    all_caps: bool
    core_idx: int = 0
    qtys: list[lx.Qty] = field(default_factory=list)
    verbs: list[tuple[int, str]] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    stray: str | None = None
    parts: od.Parts = field(default_factory=od.Parts)


def parse(text: str, known_symbols: Collection[str]) -> Intent:
    """Turn one chat message into an Intent. Pure, fast and never raises."""
    try:
        return _parse(text, known_symbols)
    except Exception:  # the parser is a fallback: a bug here must not take the bot down
        return _intent(K.UNKNOWN, reply=pt.UNKNOWN_REPLY, readback="not understood")


def _intent(kind: IntentKind, **kw: object) -> Intent:
    """Build an Intent, dropping a non-positive quantity rather than raising."""
    q = kw.get("quantity")
    if not isinstance(q, int) or q <= 0:
        kw.pop("quantity", None)
    return Intent(kind=kind, **kw)  # type: ignore[arg-type]


def _parse(text: str, known_symbols: Collection[str]) -> Intent:
    cleaned, too_long = lx.clean(text)
    low = cleaned.lower()
    if not any(c.isalnum() or c == "?" for c in low):
        return _intent(K.UNKNOWN, reply=pt.UNKNOWN_REPLY, readback="no words found")
    pid = pt.PROPOSAL_ID_RE.search(low)
    if refusal := _refusal(om.neutral(v.GTC_RE.sub(" gtc ", low)), pid.group(1) if pid else None):
        return refusal
    if too_long:
        return _intent(K.UNKNOWN, reply=pt.TOO_LONG_REPLY, readback="message too long")
    known = frozenset(s.upper() for s in known_symbols or () if isinstance(s, str))
    m = _prepare(cleaned, known)
    if pt.HELP_RE.fullmatch(m.core) or re.fullmatch(r"[?\s]+", low):
        return _intent(K.HELP, readback="show help")
    if pid:
        return _intent(K.WHY, proposal_id=pid.group(1), readback=f"explain proposal {pid[1]}")
    if pt.BAD_ID_RE.search(low):
        q = "That doesn't look like a proposal id: ids are 'p-' plus 8 letters/digits, e.g. "
        return _clarify(q + "'why p-ab12cd34'.", "explain a proposal (id not recognised)")
    if pt.NEGATION_RE.search(m.clow):
        return _intent(K.UNKNOWN, reply=pt.NEGATION_REPLY, readback="negative request: no action")
    if (options := parse_options(m.low, m.symbols, cleaned, known)) is not None:
        return options  # chains and IV rank; an option trade is never a share order
    if (monitor := om.parse_monitor(m.low, m.symbols, m.toks)) is not None:
        return monitor  # alerts, stop moves, a monitor pass (agents/llm/offline_monitor.py)
    return _route(m)


def _report(m: _Msg) -> Intent:
    """A report of the period said (a day by default; an export or a chart: the month)."""
    said = next((p for rx, p in pt.PERIODS if rx.search(m.clow)), None)
    bulk = re.search(r"\bexport|\bcsv|\bspreadsheet|\bchart|\bgraph|\bplot|\bcurve", m.clow)
    per = said if said in ("day", "week", "month") else ("month" if bulk or said else "day")
    return _intent(K.REPORT, period=Period(per), readback=f"report for {_PERIOD_TEXT[per]}")


def _route(m: _Msg) -> Intent:
    """Pick the intent once the message has been analysed."""
    syms = tuple(m.symbols)
    imperative = any(i == m.core_idx for i, _ in m.verbs)
    if (wl := _watchlist(m, syms)) is not None:
        return wl
    if not syms and pt.REPORT_RE.search(m.clow):
        return _report(m)
    if not imperative and (news := parse_news(m.low, syms)) is not None:
        return news  # questions about headlines and moves: answered, never carded
    if not imperative and (answer := oq.answer(m.clow, syms)) is not None:
        return answer
    if pt.RESUME_RE.search(m.core):
        return _intent(K.RESUME, readback="resume trading proposals")
    if pt.PAUSE_RE.search(m.core):
        return _intent(K.PAUSE, readback="pause trading proposals")
    if m.core.startswith("why") and not syms:
        q = "Which proposal? Say 'why' plus its id from the card, e.g. 'why p-ab12cd34'."
        return _clarify(q, "explain a proposal (id missing)")
    if m.verbs and (imperative or syms or m.qtys):
        return _trade(m, syms, imperative)
    if pt.PNL_RE.search(m.clow):
        per = next((p for rx, p in pt.PERIODS if rx.search(m.clow)), "day")
        return _intent(
            K.PNL,
            period=Period(per),
            symbols=syms,
            readback=f"P&L for {_PERIOD_TEXT[per]}" + (f" ({syms[0]})" if syms else ""),
        )
    if pt.ORDERS_RE.search(m.clow):
        return _intent(K.ORDERS, readback="show open orders")
    if pt.POSITIONS_RE.search(m.clow):
        return _intent(K.POSITIONS, symbols=syms, readback="show positions")
    if pt.STATUS_RE.search(m.core):
        return _intent(K.STATUS, readback="show status")
    if pt.SCAN_RE.search(m.clow):
        what = ", ".join(syms) if syms else "the watchlist"
        return _intent(K.SCAN, symbols=syms, readback=f"scan {what} for trade ideas")
    if syms and (pt.ANALYZE_VERB_RE.search(m.clow) or pt.ANALYZE_RE.search(m.clow)):
        return _intent(K.ANALYZE, symbols=syms, readback=f"analyze {', '.join(syms)}")
    if pt.ANALYZE_VERB_RE.search(m.clow):
        q = "Which symbol should I analyze? e.g. 'analyze NVDA'."
        return _clarify(q, "analyze (no symbol)")
    if m.verbs:
        return _trade(m, syms, imperative)
    if syms and all(t.low in _BARE_OK or _is_symbol_tok(t, m) for t in m.toks if t.kind != "num"):
        if m.qtys and len(syms) == 1:
            q, size = od.side_question(m.qtys, m.parts, syms[0])
            return _clarify(q, f"{syms[0]} (side missing)", symbols=syms, **size)
        return _intent(K.ANALYZE, symbols=syms, readback=f"analyze {', '.join(syms)}")
    if pt.HELP_LOOSE_RE.search(m.clow):
        return _intent(K.HELP, readback="show help")
    if reply := lx.small_talk_reply(m.low):
        return _intent(K.SMALL_TALK, reply=reply, readback="small talk")
    if q := od.stray_price_question(m.parts, syms):
        return _clarify(q, "order prices without a trade", symbols=syms)
    return _intent(K.UNKNOWN, reply=pt.UNKNOWN_REPLY, readback="not understood")


# ----------------------------------------------------------------------------- preparation


def _refusal(low: str, pid: str | None) -> Intent | None:
    """Decisions and prompt-injection attempts are refused before anything else."""
    if pt.INJECTION_RE.search(low):
        return _intent(
            K.REFUSE,
            reply=pt.INJECTION_REPLY,
            proposal_id=pid,
            readback="refused: settings, secrets or instructions request",
        )
    if pt.DECISION_RE.search(low) or pt.DECISION_EXACT_RE.fullmatch(low.strip(" .!?")):
        what = f"decision on {pid}" if pid else "approve/reject/execute request"
        return _intent(
            K.REFUSE, reply=pt.DECISION_REPLY, proposal_id=pid, readback=f"refused: {what}"
        )
    return None


def _prepare(cleaned: str, known: frozenset[str]) -> _Msg:
    """Canonicalise phrases, tokenise, find quantities, verbs and symbols."""
    text = pt.BAD_ID_RE.sub(" ", pt.PROPOSAL_ID_RE.sub(" ", cleaned))
    text = v.COMPANY_RE.sub(
        lambda x: f" {v.MARK}{v.COMPANIES[int(str(x.lastgroup)[1:])][1]} ", text
    )
    hint_text = text.lower()
    for rx, rep, hints in v.ORDER_REWRITES:
        if any(h in hint_text for h in hints):
            text = rx.sub(rep, text)
    for rx, rep in v.REWRITES:
        text = rx.sub(rep, text)
    clow = " ".join(text.lower().replace(v.MARK, "").split())
    letters = [c for c in cleaned if c.isascii() and c.isalpha()]
    m = _Msg(
        low=cleaned.lower(),
        clow=clow,
        core=_POLITE_RE.sub("", clow).rstrip(" ?!.,"),
        toks=lx.tokenize(text),
        known=known,
        all_caps=len(letters) >= 4 and not any(c.islower() for c in letters),
    )
    m.core_idx = next((i for i, t in enumerate(m.toks) if t.low not in v.POLITE), 0)
    m.parts = od.read(m.toks)
    m.qtys, m.parts.loose = lx.quantities(m.toks, m.parts.consumed)
    _verbs_and_symbols(m)
    return m


def _verbs_and_symbols(m: _Msg) -> None:
    """Find valid trade verbs, the object slots they open, and the symbols in the message."""
    toks, n = m.toks, len(m.toks)
    in_qty = {j for q in m.qtys for j in range(q.start, q.end)}
    qty_slots = {_skip(toks, q.end, _QTY_SKIP, m.all_caps) for q in m.qtys}
    for i, t in enumerate(toks):
        if t.kind == "word" and t.low in v.TRADE_VERBS and _verb_ok(m, i, in_qty):
            m.verbs.append((i, t.low))
    slot_verbs = {i for i, _ in m.verbs} | {
        i for i, t in enumerate(toks) if t.low in v.OTHER_OBJ_VERBS and t.kind == "word"
    }
    verb_slots: set[int] = set()
    for i in sorted(slot_verbs):
        j = i + 1
        while j < n and (j in in_qty or _is_filler(toks[j], m.all_caps)):
            j += 1
        if toks[i].low not in _PREPOSITIONS:
            verb_slots.add(j)
        elif j < n and toks[j].low in v.TIER2:
            verb_slots.add(-j - 1)  # preposition slot: known short tickers only
    strong: list[str] = []
    weak: list[str] = []
    for i, t in enumerate(toks):
        if i in in_qty:
            continue
        slot = 2 if i in qty_slots else 1 if i in verb_slots else 3 if -i - 1 in verb_slots else 0
        sym, is_weak = _symbol(m, t, slot)
        if sym:
            (weak if is_weak else strong).append(sym)
        elif slot in (1, 2) and m.stray is None and t.kind == "word" and t.low not in _NOT_TICKER:
            m.stray = t.raw
    m.symbols = list(dict.fromkeys(strong or weak))


def _skip(toks: list[lx.Tok], j: int, words: frozenset[str], all_caps: bool) -> int:
    """Index of the first token at or after j that is not in `words` (lower-case)."""
    while j < len(toks) and toks[j].low in words and (all_caps or not toks[j].raw.isupper()):
        j += 1
    return j


def _is_filler(t: lx.Tok, all_caps: bool) -> bool:
    return t.low in v.FILLER and (all_caps or not t.raw.isupper())


def _verb_ok(m: _Msg, i: int, in_qty: set[int]) -> bool:
    """Whether the trade word at i acts as a verb here ('how long' and 'the close' do not)."""
    w = m.toks[i].low
    if w in v.ALWAYS_VERBS:
        return True
    j = i + 1
    while j < len(m.toks) and _is_filler(m.toks[j], m.all_caps) and j not in in_qty:
        j += 1
    if w == "add":
        return j in in_qty
    nxt_is_object = j < len(m.toks) and (j in in_qty or _looks_symbol(m, m.toks[j]))
    if w in ("b", "s"):
        return i == m.core_idx and nxt_is_object
    return i == m.core_idx or nxt_is_object


def _looks_symbol(m: _Msg, t: lx.Tok) -> bool:
    if t.kind in ("co", "cash"):
        return True
    return t.kind == "word" and (
        (t.raw.upper() in m.known and t.low not in v.ENGLISH)
        or (t.raw.isupper() and bool(pt.TICKER_RE.fullmatch(t.raw)) and t.low not in _NOT_TICKER)
    )


def _is_symbol_tok(t: lx.Tok, m: _Msg) -> bool:
    return t.kind in ("co", "cash") or (t.kind == "word" and t.raw.upper() in m.symbols)


def _symbol(m: _Msg, t: lx.Tok, slot: int) -> tuple[str | None, bool]:
    """(ticker, weak) for a token; slot 2 = after a quantity, 1 = after a verb, 3 = after a
    preposition, 0 = elsewhere. Weak symbols (an upper-case English word) yield to strong ones."""
    if t.kind == "co":
        return (t.raw[1:] if t.raw[1:] in m.known else None), False
    if t.kind == "cash":
        tick = t.raw[1:].upper()
        return (tick if tick in m.known or pt.TICKER_RE.fullmatch(tick) else None), False
    if t.kind != "word":
        return None, False
    up, low = t.raw.upper(), t.low
    upper = t.raw.isupper() and not m.all_caps and (len(up) > 1 or slot in (1, 2))
    if up not in m.known:
        unknown_ok = slot == 2 or (slot == 1 and t.raw.isupper())
        ok = unknown_ok and low not in _NOT_TICKER and bool(pt.TICKER_RE.fullmatch(t.raw))
        return (up if ok else None), False
    if low in v.ENGLISH:
        if slot == 2 or (upper and slot == 1):
            return up, False
        return (up, True) if upper else (None, False)
    if low in v.TIER2 or len(low) <= 2:
        return (up if slot or upper else None), False
    return up, False


# ----------------------------------------------------------------------------- intents


def _clarify(question: str, readback: str, **kw: object) -> Intent:
    return _intent(K.CLARIFY, question=question, readback=readback, **kw)


def _watchlist(m: _Msg, syms: tuple[str, ...]) -> Intent | None:
    """Watchlist add/remove/list, or None when the message is not about the watchlist."""
    if pt.WATCH_LIST_RE.search(m.clow):
        return _intent(K.WATCHLIST_LIST, readback="show watchlist")
    words = {t.low for t in m.toks}
    has_wl = "watchlist" in words or "wl" in words
    if not (has_wl or words & {"watch", "unwatch"}):
        return None
    names = ", ".join(syms)
    if pt.WL_REMOVE_RE.search(m.clow):
        if not syms:
            return _clarify("Which symbol should I remove from the watchlist?", "watchlist remove")
        return _intent(K.WATCHLIST_REMOVE, symbols=syms, readback=f"remove {names} from watchlist")
    if pt.WL_ADD_RE.search(m.clow):
        if not syms:
            return _clarify("Which symbol should I watch? e.g. 'watch NVDA'.", "watchlist add")
        return _intent(K.WATCHLIST_ADD, symbols=syms, readback=f"add {names} to watchlist")
    return _intent(K.WATCHLIST_LIST, symbols=syms, readback="show watchlist")


def _trade(m: _Msg, syms: tuple[str, ...], imperative: bool) -> Intent:
    """PROPOSE, CLOSE or a CLARIFY about one of them, with every order part said."""
    words = {w for _, w in m.verbs}
    buy, sell = bool(words & v.BUY_VERBS), bool(words & v.SELL_VERBS)
    close = bool(words & v.CLOSE_VERBS)
    opinion = bool(pt.OPINION_RE.search(m.clow))
    side = Side.BUY if buy and not sell else Side.SELL if sell and not buy else None
    short = side is Side.SELL and not close and bool({t.low for t in m.toks} & v.SHORT_WORDS)
    verb = "close" if close else "buy" if side is Side.BUY else "trade" if side is None else "sell"
    verb = "short" if short else verb
    if (buy and sell and not opinion) or (close and (buy or sell) and imperative and not opinion):
        return _clarify(
            "One trade at a time, please: e.g. 'buy 10 AAPL' or 'close TSLA'.",
            "several trades in one message",
            symbols=syms,
        )
    if len(syms) > 1:
        q = (
            f"One symbol at a time, please (you mentioned {', '.join(syms)}): e.g. '{verb} 10 "
            f"{syms[0]}'."
        )
        return _clarify(
            q, f"{verb} {' and '.join(syms)} (several symbols)", symbols=syms, side=side
        )
    if not syms:
        what = f"I don't recognise '{m.stray}' as a ticker. " if m.stray else ""
        target = (
            "Which position should I close? One symbol at a time, e.g. 'close TSLA'."
            if close
            else f"Which symbol? e.g. '{verb} 10 AAPL', or 'scan' for ideas."
            if side
            else "Which symbol? e.g. 'propose a trade in AAPL', or 'scan' for ideas."
        )
        return _clarify(what + target, f"{verb} (symbol missing)", side=None if close else side)
    sym = syms[0]
    kw: dict[str, object] = {"symbols": syms, "side": None if close else side}
    parts = m.parts
    problem = (
        od.resolve_loose(parts, m.toks, side, close)
        or od.problem(parts, verb, sym)
        or od.unread(m.toks, parts, m.qtys, sym)
    )
    size = od.size_fields(m.qtys, parts, verb, sym, close)
    if isinstance(size, str) or problem:
        return _clarify(problem or str(size), f"{verb} {sym} (order not usable as said)", **kw)
    kw |= size | {"short": short, "tif": parts.tif}
    kw |= {f"{role}_price": price for role, price in parts.prices.items()}
    if close:
        if not size and {t.low for t in m.toks} & _VAGUE:
            q = (
                f"How much of {sym} should I close? e.g. 'close 5 {sym}', 'close half of {sym}', "
                f"or 'close {sym}' for the whole position."
            )
            return _clarify(q, f"close part of {sym}", symbols=syms)
        return od.order_intent(K.CLOSE, kw)
    if side is None and (size or not opinion):
        q = (
            f"Buy or sell? e.g. 'buy 10 {sym}' or 'sell 10 {sym}', or 'propose a trade in {sym}' "
            "to let me pick."
        )
        return _clarify(q, f"trade {sym} (side missing)", **kw)
    if size or opinion or parts.priced:
        return od.order_intent(K.PROPOSE, kw)
    whole = f", 'close {sym}' to sell the whole position" if verb == "sell" else ""
    q = (
        f"How many shares of {sym}? Say e.g. '{verb} 10 {sym}'{whole}, or 'should I {verb} "
        f"{sym}?' to have it sized for you."
    )
    return _clarify(q, f"{verb} {sym} (quantity missing)", symbols=syms, side=side)
