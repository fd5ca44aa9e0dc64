"""Vocabulary for the offline parser: company names, phrase rewrites and word classes.

Everything here is an immutable constant; offline_patterns holds the regular expressions and
replies, offline_lexer the tokeniser, and offline_parser decides which intent a message is.
"""

from __future__ import annotations

import re
from typing import Final


def rx(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive pattern; text is printable ASCII by the time it is matched."""
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word table."""
    return tuple(text.split())


MAX_CHARS: Final = 500  # only this much of a message is ever read
MAX_QTY: Final = 1_000_000  # larger share counts are treated as typos
MAX_AMOUNT: Final = 1e9  # dollars; as the slash syntax (services/order_syntax.py)
MAX_PRICE: Final = 1e7  # a price above this is a typo

# ----------------------------------------------------------------------------- company names

COMPANIES: Final[tuple[tuple[str, str], ...]] = (
    (r"apple", "AAPL"),
    (r"microsoft", "MSFT"),
    (r"nvidia", "NVDA"),
    (r"amazon", "AMZN"),
    (r"google|alphabet", "GOOGL"),
    (r"meta|facebook", "META"),
    (r"tesla", "TSLA"),
    (r"netflix", "NFLX"),
    (r"jp\s?morgan(?:\s+chase)?|j\.p\.\s?morgan", "JPM"),
    (r"bank\s+of\s+america|bofa", "BAC"),
    (r"exxon(?:\s?mobil)?", "XOM"),
    (r"chevron", "CVX"),
    (r"johnson\s*(?:&|and)\s*johnson|j\s?&\s?j", "JNJ"),
    (r"pfizer", "PFE"),
    (r"united\s?health(?:care|\s+group)?", "UNH"),
    (r"coca[-\s]?cola|coke", "KO"),
    (r"pepsi(?:co)?", "PEP"),
    (r"wal-?mart", "WMT"),
    (r"costco", "COST"),
    (r"disney", "DIS"),
    (r"intel", "INTC"),
    (r"cisco", "CSCO"),
    (r"oracle", "ORCL"),
    (r"salesforce", "CRM"),
    (r"visa", "V"),
    (r"master\s?card", "MA"),
    (r"(?:the\s+)?(?:s\s?&\s?p|s\s+and\s+p)(?:\s?500)?|sp\s?500|spx", "SPY"),
    (r"(?:the\s+)?nasdaq(?:\s?100|\s+composite)?", "QQQ"),
    (r"(?:the\s+)?russell(?:\s?2000)?", "IWM"),
    (r"(?:the\s+)?dow(?:\s+jones)?(?:\s+industrials?)?", "DIA"),
    (r"gold", "GLD"),
    (r"bonds?|treasur(?:y|ies)", "TLT"),
)
COMPANY_RE: Final = rx(
    r"(?<![\w$&])(?:"
    + "|".join(rf"(?P<g{i}>{pat})" for i, (pat, _) in enumerate(COMPANIES))
    + r")(?![\w&])"
)
MARK: Final = "\x01"  # prefix of a company-name marker; clean() strips control chars from input

# ----------------------------------------------------------------------------- phrase rewrites

# also applied before the refusal check, where "cancel" alone is a decision word
GTC_RE: Final = rx(
    r"\bgood[-\s]+(?:till?|until|'?til|to)[-\s]+(?:cancel(?:l?ed)?|canceled)\b"
    r"|\buntil\s+cancel(?:l?ed)?\b"
)

_NUMWORD = (
    r"\d|a\s+(?:few|couple|hundred|thousand|dozen)|some|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|shares"
)
_FRACTION = (
    r"(?:half|(?:a|an|one|two|three)\s+(?:half|thirds?|quarters?))\b(?!\s+(?:hour|day|of\s+"
    r"(?:the\s+)?(?:day|session|year)))"
)
# Order parts, applied first to the cleaned text, each only when one of its hint words occurs
# in the lower-cased message (cheap): times, time in force, price words (offline_orders reads
# the canonical words), exits by a fraction, and sizes of the account.
ORDER_REWRITES: Final[tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...]] = tuple(
    (rx(p), r, hints)
    for p, r, hints in (
        (r"(?<![\w.])\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:am|pm))?(?![\w.])", " clocktime ", (":",)),
        (r"\b(?:buying|purchasing)[-\s]+power\b", " buyingpower ", ("power",)),
        (GTC_RE.pattern, " gtc ", ("cancel",)),
        (
            r"\bmarket[-\s]+on[-\s]+(?:the\s+)?open\b|\bmoo\b|\b(?:at|on)\s+(?:the\s+|tomorrow'?s"
            r"\s+|(?:the\s+)?next\s+)?(?:market\s+)?open(?:ing)?(?:\s+bell)?(?!\s+(?:orders?|trades?"
            r"|positions?))\b|\bat\s+the\s+(?:opening\s+)?bell\b",
            " opg ",
            ("open", "moo", "bell"),
        ),
        (
            r"\bmarket[-\s]+on[-\s]+(?:the\s+)?close\b|\bmoc\b|\bat\s+the\s+close\b",
            " atclose ",
            ("close", "moc"),
        ),
        (r"\btrailing[-\s]+stop(?:[-\s]+loss)?\b", " trailstop ", ("trailing",)),
        (r"\bstop[-\s]?loss(?:es)?\b|\bstop[-\s]+out\b", " stop ", ("stop",)),
        (r"\blimit[-\s]+(?:price|order)\b", " limit ", ("limit",)),
        (
            r"\b(?:take[-\s]?profits?|profit[-\s]+(?:target|taker|take)|price[-\s]+target)\b"
            r"(?!\s+(?:on|in)\b)",
            " target ",
            ("profit", "target"),
        ),
        # "sell half my NVDA", "sell 10% of my NVDA": an exit, not a new short
        (rf"\bsell\s+(?={_FRACTION})", " xclose ", ("sell",)),
        (
            r"\bsell\s+(?=\$?\d[\d,.]*[km]?\s*(?:%|percent|pct)?\s+(?:shares\s+)?of\s+(?:my|our)\b)",
            " xclose ",
            ("sell",),
        ),
        # "put 5% of my account in AAPL", "invest $500 in MSFT": an entry sized by the trader
        (
            r"(\d)\s*(%|percent|pct)\s+of\s+(?:my|the|our)\s+(?:total\s+)?(?:account|equity|"
            r"portfolio|capital|net\s+worth|money|cash|funds|book)\b",
            r"\1\2 ",
            ("%", "percent", "pct"),
        ),
        (
            r"\b(?:put|invest|allocate|spend|throw)\b(?=\s+\$?\d)",
            " buy ",
            ("put", "invest", "allocate", "spend", "throw"),
        ),
    )
)
# Applied in order to the cleaned text (after ORDER_REWRITES); each yields a canonical word.
REWRITES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (rx(p), r)
    for p, r in (
        (r"\b(?:short|long)[-\s]term\b", " term "),
        (r"\bsell[-\s]?offs?\b", " selloff "),
        (r"\b(?:get|take)\s+(?:me\s+|us\s+)?out\s+of(?:\s+(?:my|the|our))?\b", " xclose my "),
        (
            r"\bsell\s+(?:all|everything|it\s+all)(?:\s+(?:of|in))?(?:\s+(?:my|the|our))?\b",
            " xclose ",
        ),
        (r"\bsell\s+(?:off\s+)?(?:my|our)\b", " xclose my "),
        (r"\bclose\s+out(?:\s+of)?\b", " xclose "),
        (r"\btake\s+(?:some\s+)?profits?\s+(?:on|in)\b", " xclose "),
        (r"\b(?:get\s+rid\s+of|liquidate|flatten|dump|unload|exit|cover)\b", " xclose "),
        (r"\b(?:go|going|get|getting)\s+long(?:\s+on)?\b", " buy "),
        (
            r"\b(?:go|going|get|getting)\s+short(?:\s+on)?\b|\bsell\s+short\b|\bshort[-\s]sell\b",
            " xshort ",
        ),
        (r"\bpick\s+up\b|\bscoop\s+up\b|\bload\s+up\s+on\b", " buy "),
        (rf"\bget\s+(?:me|us)\b(?=\s+(?:{_NUMWORD}))", " buy "),
        (r"\b(?:purchase|grab|acquire|snag)\b", " buy "),
        (
            r"\b(?:stop|quit)\s+(?:watching|tracking|following|monitoring)\b|\buntrack\b",
            " unwatch ",
        ),
        (r"\bkeep\s+(?:an\s+eye|tabs)\s+on\b|\b(?:track|monitor)\b", " watch "),
        (r"\bwatch[-\s]list\b", " watchlist "),
    )
)

# ----------------------------------------------------------------------------- word classes

BUY_VERBS: Final = frozenset({"buy", "b", "long", "add", "buying", "purchasing"})
SELL_VERBS: Final = frozenset({"sell", "s", "short", "xshort", "selling", "shorting"})
SHORT_WORDS: Final = frozenset({"short", "xshort", "shorting"})
# close, trim and reduce are exits: they only ever shrink a held position
CLOSE_VERBS: Final = frozenset({"close", "xclose", "closing", "trim", "reduce", "trimming"})
NEUTRAL_VERBS: Final = frozenset({"trade", "propose", "suggest", "recommend", "pitch"})
TRADE_VERBS: Final = BUY_VERBS | SELL_VERBS | CLOSE_VERBS | NEUTRAL_VERBS
GERUNDS: Final = frozenset({"buying", "purchasing", "selling", "shorting", "closing", "trimming"})
ALWAYS_VERBS: Final = (
    frozenset(
        {"buy", "sell", "xclose", "xshort", "trim", "propose", "suggest", "recommend", "pitch"}
    )
    | GERUNDS
)
OTHER_OBJ_VERBS: Final = frozenset(
    {
        "watch",
        "unwatch",
        "analyze",
        "analyse",
        "chart",
        "scan",
        "remove",
        "add",
        "put",
        "drop",
        "about",
        "on",
        "of",
        "for",
        "in",
    }
)
# Words skipped between a verb and its object.
FILLER: Final = frozenset(
    {
        "me",
        "my",
        "our",
        "us",
        "the",
        "some",
        "more",
        "of",
        "shares",
        "share",
        "stock",
        "stocks",
        "position",
        "positions",
        "in",
        "into",
        "out",
        "up",
        "all",
        "off",
        "a",
        "an",
        "on",
        "at",
        "few",
        "couple",
        "additional",
        "extra",
        "another",
        "entire",
        "whole",
        "full",
        "x",
        "units",
        "ticker",
        "symbol",
        "for",
        "to",
        "now",
        "half",
        "third",
        "thirds",
        "quarter",
        "quarters",
    }
)
POLITE: Final = frozenset(
    {
        "please",
        "pls",
        "plz",
        "kindly",
        "can",
        "could",
        "would",
        "will",
        "you",
        "u",
        "i",
        "we",
        "want",
        "wanna",
        "to",
        "lets",
        "let's",
        "let",
        "us",
        "ok",
        "okay",
        "so",
        "now",
        "then",
        "just",
        "hey",
        "hi",
        "hello",
        "yo",
        "bot",
        "cotrader",
        "i'd",
        "id",
        "like",
        "and",
        "also",
        "quickly",
        "quick",
        "go",
        "ahead",
        "i'm",
        "im",
        "gonna",
        "going",
        "need",
        "need to",
        "try",
    }
)
UNITS: Final = {
    w: i
    for i, w in enumerate(
        _words(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen"
        )
    )
}
TENS: Final = {
    w: 10 * (i + 2)
    for i, w in enumerate(_words("twenty thirty forty fifty sixty seventy eighty ninety"))
}
SCALES: Final = {"hundred": 100, "thousand": 1000, "dozen": 12, "million": 1_000_000}
PRICE_WORDS: Final = frozenset(
    {
        "at",
        "@",
        "limit",
        "stop",
        "target",
        "price",
        "under",
        "below",
        "above",
        "over",
        "around",
        "near",
        "to",
        "lmt",
        "stp",
        "tp",
        "sl",
        "from",
        "than",
    }
)
NOT_QTY_BEFORE: Final = frozenset({"top", "last", "past", "next", "in", "within", "after", "p"})
TIME_UNITS: Final = frozenset(
    {
        "am",
        "pm",
        "min",
        "mins",
        "minute",
        "minutes",
        "hour",
        "hours",
        "hr",
        "hrs",
        "h",
        "day",
        "days",
        "d",
        "week",
        "weeks",
        "wk",
        "month",
        "months",
        "year",
        "years",
        "sec",
        "secs",
        "seconds",
        "second",
        "o'clock",
        "oclock",
        "ma",
        "sma",
        "ema",
        "dma",
        "rsi",
    }
)
DOLLAR_WORDS: Final = frozenset({"dollars", "dollar", "usd", "bucks", "worth", "notional"})
PERCENT_WORDS: Final = frozenset({"%", "percent", "pct"})
# Short tickers that are also jargon: accepted lower-case only in an object slot.
TIER2: Final = frozenset({"ko", "dis", "spy", "ma", "v", "gm", "ge", "hp", "mu", "t", "f", "c"})
# English (and chat) words: a ticker spelled like one needs upper case, a $ or a quantity.
ENGLISH: Final = frozenset(
    _words("""
a i an all are it on now go so be by for or at am is to do no up out any one new well has low key
worth dollars dollar bucks usd percent pct
big can see run fun car eat two you me my we us he she his her they them its this that what who
how why when where which get got had have was were will way day good best real true life love
open next nice ok okay play pay safe team cash cost peak edge fast free gain gains hot cold top
high max min mode rate rent ride rise sky snow tech tell time web wish yes yet zone here there
then than too also only over into from with about after again back down off onto per via nor
not but if as of in the and let lets put take make made use want need think look looks show
give find check chart know buy sell hold long short close exit scan watch help status stop pause
trade trades share shares stock stocks money profit loss plan info data news home job jobs work
man men few win wins hope very just like more most less much many some some else each both
every other same such own than lot lots bit today week month year ever total please thanks
thank hey hi hello yo sup gm gn ty thx lol lmao omg wtf imo imho fomo yolo hodl ath eod eow
eta fyi asap usa us ceo cfo fed cpi gdp ipo etf etfs otc pe eps ai ml api faq tldr tl dr rn
idk ngl tbh btw brb afk dm pm am via vs ok k kk yes yeah yep nope nah no not sure maybe
pls plz shh why p q r x y z w e o u n l m h g d j k s b bro dude mate man guys all
everything nothing something anything someone again still even back doing done going gone
cover dump flatten unload trim add remove drop delete list track untrack market markets
portfolio orders order position positions pnl mode live paper sim run running health ping
propose suggest recommend pitch idea ideas setup setups scan scanner screen analyze analyse
analysis watchlist tomorrow tonight morning evening night noon week weekend hour min
reduce limit target lmt stp sl tp gtc opg moo moc day half third thirds quarter quarters
buyingpower clocktime atclose trailstop tmrw iv ivr rank news
""")
)
