"""Words of the monitor's phrasings (agents/llm/offline_monitor.py): the patterns, the
numbers said, and the intents with their read-backs (the LLM path builds them here too)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from agents.llm.offline_vocab import rx
from models.intents import Intent, IntentKind

K = IntentKind
MAX_TRAIL_ATR: Final = 20.0
MAX_PCT: Final = {"move": 100.0, "loss": 100.0, "gain": 1000.0}

# ----------------------------------------------------------------------------- patterns

CANCEL_ALERT_RE: Final = rx(
    r"\bcancel\s+(?=(?:the\s+|my\s+|that\s+|this\s+)?(?:price\s+)?alerts?\b)"
)
ID_RE: Final = rx(
    r"(?<![\w$.-])#?a(\d{1,9})(?![\w.%-])"
    r"|\balerts?\s+(?:#|no\.?\s*|number\s+)?(\d{1,9})(?![\w.%])"
)
NUM_RE: Final = rx(
    r"(?<![\w.,-])(?P<sign>[-+])?(?P<cur>\$\s?)?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?P<frac>\.\d+)?(?!\.?\d)(?:\s*(?P<pct>%|percent\b|pct\b|per\s?cent\b))?(?P<glued>[a-z])?"
)
TO_NUM_RE: Final = rx(r"\b(?:to|at)\s+\$?\d|@\s*\$?\d")
FROM_NUM_RE: Final = rx(r"\bfrom\s+\$?\d")
BEFORE_NUM_RE: Final = rx(r"(?:\bto|\bat|@)\s*\$?\s*$")
NEGATED_RE: Final = rx(
    r"\b(?:don'?t|do\s+not|never|no\s+need\s+to)\s+(?:\w+\s+){0,2}?(?:alert|notify|tell|ping"
    r"|warn|trail|move|raise|lower|tighten|monitor|remind|set)\b"
    r"|\bstop\s+(?:alerting|notifying|telling|pinging|warning|monitoring|trailing|reminding)\b"
)
CODE_RE: Final = re.compile(r"[<>{}\[\]`]|\w\(")
TRADE_RE: Final = rx(
    r"\b(?:buy|buying|sell|selling|purchase|purchasing|close|closing|exit|cover|trim|reduce"
    r"|liquidate|flatten|dump|unload|propose|approve)\b"
)
# ---- alerts
ALERT_WORD_RE: Final = rx(r"\b(?:price\s+)?alert(?!\s*\()|\bnotif(?:y|ication)\b|\balarm\b")
TELL_RE: Final = rx(
    r"\b(?:tell|let)\s+(?:me|us)\s+(?:know\s+)?(?:when|if|once|as\s+soon\s+as|whenever)\b"
    r"|\b(?:ping|warn|text|message|msg|dm|buzz|notify|remind)\s+(?:me|us)\b|\bheads[-\s]up\b"
)
LIST_RE: Final = rx(
    r"^(?:my\s+|all\s+|the\s+)?alerts$|\b(?:show|list|see|view|display|get|check|print|give)"
    r"\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my|the|our|all|any|current|active|open)?\s*(?:price\s+)?"
    r"alerts\b|\bwhat\s+(?:are\s+)?(?:my\s+|the\s+)?alerts\b|\bwhat\s+alerts\b|\bwhich\s+alerts"
    r"\b|\b(?:do\s+i|have\s+i)\s+(?:have|got|set)\s+(?:any\s+)?alerts\b|\bany\s+alerts\b"
    r"|\balerts\s+(?:list|set|armed|do\s+i\s+have)\b"
)
TARGET = r"\b[^.?!]{0,25}?(?:\balerts?\b|(?<![\w-])#?a\d{1,9}\b)"
REMOVE_RE: Final = rx(
    r"\b(?:remove|delete|drop|clear|cancel|kill|del|rm|disable|turn\s+off|get\s+rid\s+of"
    r"|switch\s+off|scrap|unset)" + TARGET
)
REARM_RE: Final = rx(
    r"\b(?:re-?\s?arm|reset|re-?activate|re-?enable|turn\s+(?:back\s+)?on|restart)" + TARGET
)
POSITION_WORD_RE: Final = rx(r"\bpositions?\b")
EXPLICIT_RE: Final = rx(r"\b(?:above|over|below|under|beneath)\b")
POSITION_RE: Final = rx(
    r"\bpositions?\b|\bmy\s+(?:\$?[a-z.]{1,6}\s+)?(?:shares|stake|holding|trade|long|short)\b"
    r"|\bi(?:'m|\s+am)\s+(?:up|down)\b|\bi\s+(?:lose|make|gain|am\s+losing)\b|\b(?:on|in)\s+my\b"
    r"|\bmy\s+\$?[a-z.]{1,6}\s+(?:is|goes|gets|loses|gains|drops|falls|rises)\b"
)
LOSS_RE: Final = rx(
    r"\blos(?:e|es|ing|t)\b|\bloss\b|\bdown\b|\bdrops?\b|\bdropping\b|\bfalls?\b|\bfalling\b"
    r"|\bred\b|\bunderwater\b|\bunder\s+water\b|\bsinks?\b|\btanks?\b"
)
LOSS_GAIN_RE: Final = rx(r"\blos(?:e|es|ing|t|s)\b|\bgain(?:s|ing|ed)?\b|\bup\b|\bdown\b")
GAIN_RE: Final = rx(
    r"\bgain(?:s|ing|ed)?\b|\bup\b|\bprofit(?:s|able)?\b|\bmak(?:e|es|ing)\b|\bgreen\b"
    r"|\brises?\b|\brising\b|\bahead\b|\bearns?\b"
)
MOVE_RE: Final = rx(
    r"\bmov(?:e|es|ing)\b|\bswings?\b|\bchanges?\b|\bup\s+or\s+down\b|\bdown\s+or\s+up\b"
    r"|\beither\s+(?:way|direction)\b|\bin\s+either\b"
)
ABOVE_RE: Final = rx(
    r"\babove\b|\bover\b|\bexceeds?\b|\btops?\b|\brises?\b|\brising\b|\bclimbs?\b|\bup\s+to\b"
    r"|\bhigher\s+than\b|\bmore\s+than\b|\bbreaks?\s+out\b|\brall(?:y|ies)\b|\bgoes\s+up\b"
)
BELOW_RE: Final = rx(
    r"\bbelow\b|\bunder\b|\bbeneath\b|\bdrops?\b|\bdropping\b|\bdips?\b|\bfalls?\b|\bfalling\b"
    r"|\bsinks?\b|\bslides?\b|\btanks?\b|\bless\s+than\b|\blower\s+than\b|\bdown\s+to\b"
    r"|\bbreaks?\s+down\b|\bgoes\s+down\b"
)
CROSS_RE: Final = rx(
    r"\bcross(?:es|ed|ing)?\b|\bhits?\b|\breach(?:es)?\b|\btouch(?:es)?\b|\bgets?\s+to\b"
    r"|\bgoes\s+to\b|\btrades?\s+at\b|\bbreaks?\b|\bis\s+at\b|\bat\b|\bpast\b|\bto\b"
)
# ---- stops
BREAKEVEN_RE: Final = rx(r"\bbreak[-\s]?even\b|\bb/e\b")
AND_TRAIL_RE: Final = rx(r"\b(?:and|then|&)\s+(?:\w+\s+)?trail")
TRAIL_RE: Final = rx(r"\btrail(?:s|ing|ed)?\b")
MOVE_STOP_RE: Final = rx(
    r"\b(?:move|raise|lower|tighten|loosen|adjust|bump|update|change|shift|put|drag|ratchet"
    r"|modify|pull|push|take|bring)\b[^.?!]{0,30}\bstops?\b"
    r"|\bstops?\b[^.?!]{0,25}\bto\s+(?:break[-\s]?even|\$?\d)"
)
STOP_PCT_RE: Final = rx(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b)")
STOP_ATR_RE: Final = rx(r"(\d+(?:\.\d+)?)\s*(?:x\s*)?atrs?\b|\batrs?\s*(?:x\s*)?(\d+(?:\.\d+)?)")
BY_RE: Final = rx(r"\bby\s+\$?\d")
# ---- a pass now
MONITOR_RE: Final = rx(
    r"\b(?:run|do|start|trigger|kick\s+off|fire\s+up|launch)\s+(?:the\s+|a\s+|your\s+)?"
    r"(?:position\s+)?monitor(?:ing)?\b|^monitor(?:\s+(?:now|pass|check|run))?$"
    r"|\bmonitor(?:ing)?\s+(?:pass|check|run)\b"
    r"|\bcheck\s+(?:on\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|the\s+|our\s+)?(?:open\s+)?(?:positions"
    r"|holdings|stops|exits|alerts)\s+(?:now|right\s+now|again)\b"
    r"|\bcheck\s+(?:my\s+|the\s+|our\s+)?(?:stops|exits)\b"
)
# words that name no ticker in these phrasings
NOT_SYMBOL: Final = frozenset(
    {"ATR", "ATRS", "PCT", "ALERT", "ALERTS", "STOP", "STOPS", "TRAIL", "BE", "B", "E"}
    | {"BREAKEVEN", "ID", "USD", "PRICE", "MONITOR", "X", "I", "ME", "MY", "IT"}
)

# ----------------------------------------------------------------------------- numbers


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    pct: bool
    dollar: bool
    start: int


def numbers(low: str, skip: Sequence[tuple[int, int]], after_to: bool = False) -> list[Num]:
    """Numbers said as such (not glued to letters, not inside an alert id or a time);
    `after_to`: only those right after 'to', 'at' or '@'."""
    out: list[Num] = []
    for x in NUM_RE.finditer(low):
        if x.group("glued") or any(a <= x.start() < b for a, b in skip):
            continue
        if ":" in (low[x.end() : x.end() + 1], low[max(0, x.start() - 1) : x.start()]):
            continue
        if after_to and not BEFORE_NUM_RE.search(low[max(0, x.start() - 4) : x.start()]):
            continue
        digits = x.group("int").replace(",", "") + (x.group("frac") or "")
        val = float(digits) if len(digits) <= 15 else math.inf
        sign = -1.0 if x.group("sign") == "-" else 1.0
        out.append(Num(sign * val, bool(x.group("pct")), bool(x.group("cur")), x.start()))
    return out


# ----------------------------------------------------------------------------- intents


def clarify(question: str, readback: str, **kw: object) -> Intent:
    return Intent(kind=K.CLARIFY, question=question, readback=readback, **kw)  # type: ignore[arg-type]


def alert_readback(symbol: str, condition: str, level: float) -> str:
    """'alert when AAPL goes above 200', 'alert when my NVDA position loses 5%'."""
    words = {
        "above": f"goes above {level:,g}",
        "below": f"goes below {level:,g}",
        "cross": f"crosses {level:,g}",
        "move": f"moves {level:g}% on the day (either way)",
    }
    if condition in ("loss", "gain"):
        verb = "loses" if condition == "loss" else "gains"
        return f"alert when my {symbol} position {verb} {level:g}%"
    return f"alert when {symbol} {words[condition]}"


def alert_intent(symbol: str, condition: str, level: float) -> Intent:
    """An ALERT_ADD with its read-back (raises ValidationError on a bad level)."""
    return Intent(
        kind=K.ALERT_ADD,
        symbols=(symbol,),
        alert_condition=condition,
        alert_level=level,
        readback=alert_readback(symbol, condition, level),
    )


def stop_readback(
    symbol: str,
    price: float | None = None,
    trail_pct: float | None = None,
    trail_atr: float | None = None,
    breakeven: bool = False,
) -> str:
    """'move the NVDA stop to 110.00', 'trail the NVDA stop 5%', '... to breakeven'."""
    if breakeven:
        return f"move the {symbol} stop to breakeven"
    if trail_pct is not None:
        return f"trail the {symbol} stop {trail_pct:g}%"
    if trail_atr is not None:
        return f"trail the {symbol} stop {trail_atr:g} ATR"
    return f"move the {symbol} stop to {price:,.2f}" if price is not None else f"{symbol} stop"


def stop_intent(
    symbol: str,
    price: float | None = None,
    trail_pct: float | None = None,
    trail_atr: float | None = None,
    breakeven: bool = False,
) -> Intent:
    """A STOP_MOVE with its read-back (raises ValidationError on a bad value)."""
    return Intent(
        kind=K.STOP_MOVE,
        symbols=(symbol,),
        stop_price=price,
        trail_pct=trail_pct,
        trail_atr=trail_atr,
        breakeven=breakeven,
        readback=stop_readback(symbol, price, trail_pct, trail_atr, breakeven),
    )


def neutral(low: str) -> str:
    """The text for the decision check: 'cancel alert A3' removes an alert, it decides
    nothing about a proposal (every other 'cancel' is still refused)."""
    return CANCEL_ALERT_RE.sub("remove ", low)
