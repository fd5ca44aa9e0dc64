"""Vocabulary for the offline parser: word tables, patterns, the lexer and reply wording.

Everything here is an immutable constant or a small pure function; `offline_parser` decides
which intent a message is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive pattern; text is printable ASCII by the time it is matched."""
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word table."""
    return tuple(text.split())


MAX_CHARS: Final = 500  # only this much of a message is ever read
MAX_QTY: Final = 1_000_000  # larger share counts are treated as typos

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
COMPANY_RE: Final = _rx(
    r"(?<![\w$&])(?:"
    + "|".join(rf"(?P<g{i}>{pat})" for i, (pat, _) in enumerate(COMPANIES))
    + r")(?![\w&])"
)
MARK: Final = "\x01"  # prefix of a company-name marker; clean() strips control chars from input

# ----------------------------------------------------------------------------- phrase rewrites

_NUMWORD = (
    r"\d|a\s+(?:few|couple|hundred|thousand|dozen)|some|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|shares"
)
# Applied in order to the cleaned text; each yields a canonical verb word.
REWRITES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (_rx(p), r)
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
SELL_VERBS: Final = frozenset({"sell", "s", "short", "xshort", "trim", "selling", "shorting"})
CLOSE_VERBS: Final = frozenset({"close", "xclose", "closing"})
NEUTRAL_VERBS: Final = frozenset({"trade", "propose", "suggest", "recommend", "pitch"})
TRADE_VERBS: Final = BUY_VERBS | SELL_VERBS | CLOSE_VERBS | NEUTRAL_VERBS
GERUNDS: Final = frozenset({"buying", "purchasing", "selling", "shorting", "closing"})
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
""")
)
# ----------------------------------------------------------------------------- patterns

# Real ids are base32 ([a-z2-7]); digits 0/1/8/9 are accepted too so a mistyped id still
# reaches the orchestrator, which reports an unknown id itself.
# Real ids are base32 ([a-z2-7]); digits 0/1/8/9 are accepted too so a mistyped id still
# reaches the orchestrator, which then reports the unknown id itself.
PROPOSAL_ID_RE: Final = _rx(r"(?<![\w-])(p-[a-z0-9]{8})(?![\w-])")
BAD_ID_RE: Final = _rx(r"(?<![\w&-])p-[a-z0-9]{3,}")
DECISION_RE: Final = _rx(
    r"approv|confir|execut|\breject(?!ed)|\bcancel\b|\bpull\s+the\s+trigger\b|\bgo\s+ahead\b"
    r"|\bdo\s+it\b|\bsend\s+it\b|\bship\s+it\b|\bmake\s+it\s+so\b|\bgreen\s?light|\bsign\s+off\b"
    r"|\baccept\s+(?:the|this|that|it|p-|all|proposal|trade|order)"
    r"|\b(?:place|submit|send|fire\s+off|put\s+in|enter)\s+(?:the|that|this|it|them|those|these|"
    r"all|my|every|pending)\b[^.?!]{0,20}?\b(?:orders?|trades?|proposals?)\b"
    r"|\bwithout\s+(?:a\s+|the\s+|my\s+|any\s+)?(?:card|approval|confirmation|asking|button)"
    r"|\bauto-?(?:approve|trade|execute|buy|sell)|\bautomatically\s+(?:buy|sell|trade|place)"
)
DECISION_EXACT_RE: Final = _rx(
    r"(?:yes|yep|yeah|yup|ya|y|sure|go|lgtm|no|nope|nah|n|deny|denied|decline|yes please"
    r"|ok do it|yes do it|send|place it|buy it|sell it|do that)[\s.!]*"
)
INJECTION_RE: Final = _rx(
    r"\b(?:ignore|disregard|forget|override)\b[^.?!]{0,30}\b(?:instructions?|prompts?|rules?"
    r"|directives|guidelines|programming|context|messages)\b|developer\s+mode|\bdev\s+mode|"
    r"god\s+mode|admin\s+mode|debug\s+mode|jailbr[eo]ak|\bdan\s+mode|do\s+anything\s+now|"
    r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\bpretend\s+(?:to\s+be|you(?:\s+are|'re))"
    r"|\bact\s+as\s+(?:if|an?|the|my)\b|\brole-?\s?play|\bnew\s+instructions|\bsudo\b"
    r"|<\|?(?:system|im_start)|\[(?:system|inst)\]|#{2,}\s*(?:system|instruction)"
    r"|^\s*(?:system|assistant)\s*:"
    r"|\b(?:api|secret|access|private|auth|bearer|bot|discord|openai|anthropic|alpaca|broker"
    r"|tastytrade)[\s_-]?(?:keys?|tokens?|secrets?|passwords?|creds|credentials)\b"
    r"|\bpasswords?\b|\bcredentials?\b|\bsecrets?\b|(?<!\w)\.env\b|\benv(?:ironment)?\s+var"
    r"|\bsystem\s+prompt|\b(?:your|initial|original|hidden)\s+(?:prompt|instructions)\b"
    r"|\b(?:set|change|raise|increase|update|modify|adjust|bump|double|triple|max\s+out)\b"
    r"[^.?!]{0,40}\b(?:max(?:imum)?|limits?(?!\s+orders?)|risk|settings?|config(?:uration)?"
    r"|leverage|sizing|exposure|allocation|drawdown|thresholds?|margin|parameters?)\b"
    r"|\bmax(?:imum)?\s+(?:position|size|loss|risk|exposure|leverage|order|drawdown)"
    r"|\b(?:disable|turn\s+off|switch\s+off|bypass|override|skip|circumvent|deactivate|"
    r"get\s+around|ignore|remove|lift)\s+(?:(?:all|the|your|my|any|every)\s+)*(?:risk|safety"
    r"|approval|confirmation|guard|limit|check|rule|filter|kill[-\s]?switch|card|button"
    r"|restriction|cap)s?\b"
    r"|\b(?:switch|flip|move|enable|turn\s+on|activate|change|set)\b[^.?!]{0,25}"
    r"\b(?:live|real\s+money)\b|\bgo\s+live\b"
)
NEGATION_RE: Final = _rx(
    r"\b(?:don'?t|do\s+not|never|stop)\s+(?:\w+\s+){0,2}?"
    r"(?:buy|sell|short|xclose|xshort|close|trade|buying|selling|shorting)\b"
)
HELP_RE: Final = _rx(
    r"(?:help|h|\?+|commands?|menu|usage|/help|!help|what\s+can\s+(?:you|u|i)\s+do"
    r"|what\s+(?:can|do)\s+you\s+(?:do|support|understand)|how\s+(?:do|does)\s+(?:this|it|you)"
    r"\s+work|how\s+do\s+i\s+use\s+(?:this|you|it)|(?:list|show)\s+(?:me\s+)?(?:the\s+)?"
    r"(?:of\s+)?commands|what\s+are\s+(?:the|your)\s+commands|help\s+me)"
)
HELP_LOOSE_RE: Final = _rx(r"\bhelp\b|\bcommands\b|what\s+can\s+you\s+do|how\s+does\s+this\s+work")
RESUME_RE: Final = _rx(
    r"\bun-?pause|\bresume\b|\b(?:start|restart|begin|continue|keep)\s+(?:trading|proposing|"
    r"scanning|going)|\bstart\s+again\b|\bback\s+on\b|\bturn\s+(?:back\s+)?on\b|\bcarry\s+on\b"
    r"|\bwake\s+up\b|\btrading\s+again\b"
)
PAUSE_RE: Final = _rx(
    r"\bpause\b|\bhalt\b|\bfreeze\b|\bstand\s?(?:by|down)\b|\bhold\s+off\b|\btake\s+a\s+break"
    r"|\bstop\s+(?:all\s+)?(?:trading|proposing|proposals|scanning|everything|for\s+(?:now|today"
    r"|a\s+(?:bit|while))|now|sending|suggesting|the\s+bot|bot)\b|^(?:stop|enough)\b(?!\s*-?loss)"
    r"|\bno\s+more\s+(?:trades|trading|proposals)|\bkill[-\s]?switch|\btime\s?out\b"
)
STATUS_RE: Final = _rx(
    r"^(?:status|health|healthcheck|health\s+check|ping|uptime|state|mode|version|stats|info)\b"
    r"|\bbeen\s+running\b|\bare\s+you\s+(?:running|alive|up|on|there|working|awake|ok|online"
    r"|active|paused|live|in"
    r"\s+paper|in\s+sim)|\b(?:what|which)\s+mode\b|\b(?:paper|sim|live)\s+(?:or|vs)\s+"
    r"(?:paper|sim|live)\b|\bis\s+(?:the\s+bot|it|everything|cotrader|trading)\s+(?:running|up|"
    r"working|alive|live|ok|paused|on)\b|\b(?:bot|system|your)\s+status\b|\bhealth\b|\bstatus\b"
)
PNL_RE: Final = _rx(
    r"\bp\s?[&/n]\s?l\b|\bpl\b|\bprofits?\b|(?<!stop\s)(?<!stop-)\bloss(?:es)?\b"
    r"|\bhow\s+much\s+(?:did|have|do|am|are)\s+(?:i|we)\s+(?:\w+\s+)?(?:make|made|lose|lost|earn"
    r"|earned|up|down)|\bhow\s+(?:am\s+i|are\s+we|did\s+i|did\s+we|have\s+i\s+been)\s+do(?:ing)?\b"
    r"|\bperformance\b|\breturns?\b|\bgains?\b|\bam\s+i\s+(?:up|down|green|red)\b|\bmy\s+results"
)
PERIODS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (_rx(r"\bmonth|\bmtd\b|\b30\s*d(?:ays?)?\b"), "month"),
    (_rx(r"\bweek|\bwtd\b|\b[57]\s*d(?:ays?)?\b"), "week"),
    (_rx(r"\btoday\b|\bday\b|\bdaily\b|\bsession\b|\bintraday\b|\bdtd\b"), "day"),
    (
        _rx(
            r"all[-\s]?time|\btotal\b|\boverall\b|\bever\b|\blifetime\b|\bsince\s+(?:inception|"
            r"the\s+start|start|the\s+beginning)|\bcumulative\b|\bytd\b|\byear|\bannual"
        ),
        "all",
    ),
)
ORDERS_RE: Final = _rx(
    r"\borders?\b|\bpending\b|\bfills?\b|\bwhat(?:'s|\s+is)\s+(?:working|pending)\b"
)
POSITIONS_RE: Final = _rx(
    r"\bpositions?\b|\bholdings?\b|\bportfolio\b|\bwhat\s+(?:do|did)\s+(?:i|we)\s+(?:own|have|"
    r"hold)\b|\bwhat\s+(?:am\s+i|are\s+we)\s+(?:holding|in|long|short)\b|\bmy\s+(?:stocks|shares"
    r"|book|bags?|exposure)\b|\bwhat(?:'s|\s+is)\s+in\s+my\s+(?:account|portfolio)\b|\bexposure"
    r"\b|\bopen\s+trades\b|\bdo\s+i\s+(?:own|have|hold)\b"
)
SCAN_RE: Final = _rx(
    r"\bscan|\bscreen(?:er)?\b|\bfind\s+(?:me\s+)?(?:some|any|a\s+few|new|good|\d+)?\s*(?:good\s+)?"
    r"(?:trades?|ideas?|setups?|opportunities|stocks|plays|candidates)\b|\bany\s+(?:good\s+|new\s+)?"
    r"(?:trade\s+)?(?:ideas?|setups?|opportunities|plays|trades)\b|\b(?:what|anything)(?:'s|\s+is)?"
    r"\s+look(?:s|ing)?\s+(?:good|interesting|promising|strong|bullish)|\bwhat\s+(?:should|could|"
    r"can)\s+(?:i|we)\s+(?:buy|trade|short|sell|look\s+at)\b|\bwhat\s+to\s+(?:buy|trade)\b"
    r"|\bwhat(?:'s|\s+is)\s+(?:moving|hot|interesting)\b|\b(?:top|best)\s+(?:movers|picks|ideas|"
    r"setups|trades|stocks)\b|\bopportunit(?:y|ies)\b|\bideas?\b|\bsetups?\b|\bsuggestions?\b"
    r"|\bhow(?:'s|\s+is)\s+the\s+market\b|\bthe\s+market\s+(?:doing|looking)\b|\bmarket\s+update"
)
ANALYZE_VERB_RE: Final = _rx(r"\banaly[sz](?:e|es|is|ing)\b|\bchart\b|\bta\s+on\b|\bdeep\s+dive")
ANALYZE_RE: Final = _rx(
    r"\btell\s+me\s+(?:more\s+)?about\b|\bwhat\s+(?:do|d'?)\s*you\s+think\b|\bthoughts\b"
    r"|\bopinion\b|\btake\s+on\b|\bview\s+on\b|\boutlook\b|\bhow(?:'s|\s+(?:does|do|is|are|did|"
    r"has|was))\b|\blook(?:ing)?\s+at\b|\bcheck\b|\bresearch\b|\btechnicals?\b|\bwhat\s+about\b"
    r"|\bhow\s+about\b|\bwhat'?s\s+(?:up|going\s+on)\s+with\b|\bnews\b|\bquote\b|\bprice\b"
    r"|\bwhy\s+is\b|\bsupport\b|\bresistance\b|\btrend|\bsentiment\b|\brundown\b|\bbreakdown"
    r"|\bover(?:bought|sold)\b|\bbullish\b|\bbearish\b|\blevels?\b|\bwhat(?:'s|\s+is)\b"
)
OPINION_RE: Final = _rx(
    r"\bshould\s+(?:i|we)\b|\bwould\s+you\b|\bshall\s+(?:i|we)\b|\bis\s+(?:it|now|this|today)\s+"
    r"(?:a\s+)?(?:good|bad|right|smart|the)\b|\b(?:a|good|strong|solid)\s+(?:buy|sell|short)\b"
    r"|\bworth\b|\bwhat\s+do\s+you\s+think\b|\bthoughts\b|\bopinion\b|\bpropose|\bsuggest"
    r"|\brecommend|\bpitch\b|\bidea\b|\bdo\s+you\s+(?:like|think)\b|\bcan\s+(?:i|we)\b"
    r"|\bany\s+reason\b|\bgood\s+time\b|\bshould\b|\?|\b(?:a|any)\s+trades?\s+(?:in|on|for)\b|\b(?:buying|selling|shorting|purchasing)\b"
)
WATCH_LIST_RE: Final = _rx(
    r"\bwhat\s+(?:am\s+i|are\s+we|are\s+you|do\s+i)\s+watching\b|\bwhat(?:'s|\s+is)\s+on\s+"
    r"(?:my|the)\s+(?:watchlist|radar)\b"
)
WL_REMOVE_RE: Final = _rx(r"\b(?:unwatch|remove|delete|drop|take|rm|del|pull|kick|minus)\b")
WL_ADD_RE: Final = _rx(
    r"\b(?:watch|add|put|include|insert|append|stick|throw|plus)\b"
)  # not "watchlist"
SMALL_TALK_RE: Final = _rx(
    r"(?:hi|hello|hey|heya|hiya|yo|sup|howdy|hola|greetings|gm|gn|good\s+(?:morning|afternoon|"
    r"evening|night|day)|morning|evening|thanks|thank\s+(?:you|u)|thx|ty|tysm|cheers|appreciate"
    r"|nice|cool|great|awesome|perfect|lol|haha|ok|okay|k|kk|got\s+it|bye|goodbye|see\s+ya|later"
    r"|who\s+are\s+you|what\s+are\s+you|what(?:'s|\s+is)\s+your\s+name|how\s+are\s+(?:you|u)"
    r"|how's\s+it\s+going|are\s+you\s+(?:a\s+bot|human|real)|you\s+there|good\s+bot|bad\s+bot"
    r"|nice\s+work|well\s+done|wow)\b"
)
MENTION_RE: Final = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>")  # Discord mentions, custom emoji
NON_PRINTABLE_RE: Final = re.compile(r"[^\x20-\x7e]+")  # after NFKC: controls, emoji, others
QUOTES: Final = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'))
TOKEN_RE: Final = re.compile(
    r"(?P<co>\x01[A-Z]+(?:\.[A-Z])?)"
    r"|(?P<num>(?<![\w.,-])(?P<neg>-)?(?P<cur>\$\s?)?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?P<frac>\.\d+)?(?P<suf>[kKmM](?![A-Za-z]))?)"
    r"|(?P<cash>\$[A-Za-z]{1,6}(?:\.[A-Za-z](?![A-Za-z]))?)"
    r"|(?P<word>[A-Za-z]+(?:'[A-Za-z]+)?(?:\.[A-Za-z](?![A-Za-z.]))?)"
    r"|(?P<punct>[?%&@])",
    re.ASCII,
)
TICKER_RE: Final = re.compile(r"[A-Za-z]{1,5}(?:\.[A-Za-z])?")

# ----------------------------------------------------------------------------- replies

EXAMPLES: Final = (
    "'scan', 'analyze NVDA', 'should I buy AAPL?', 'buy 10 AAPL', 'close TSLA', "
    "'pnl this week', 'positions' or 'help'"
)
UNKNOWN_REPLY: Final = f"Sorry, I didn't catch that. Try {EXAMPLES}."
TOO_LONG_REPLY: Final = (
    f"That message is too long to be a command (I only read the first {MAX_CHARS} characters). "
    "Send one short request, e.g. 'buy 10 AAPL' or 'analyze NVDA'."
)
NEGATION_REPLY: Final = (
    "Okay, nothing to do: I never trade unless you approve a card. "
    "To stop new proposals say 'pause'."
)
DECISION_REPLY: Final = (
    "I can't approve, confirm, execute, reject or cancel anything from chat. Only the "
    "Approve/Reject buttons on a proposal card (or /approve ID and /reject ID in the terminal) "
    "decide."
)
INJECTION_REPLY: Final = (
    "I can't change settings or risk limits, reveal secrets or my instructions, or approve "
    "trades from chat. Every order still needs the Approve button on its card "
    "(or /approve ID in the terminal)."
)
GREETING_REPLY: Final = (
    "Hi! I'm cotrader: I scan, analyse and propose trades, and you approve each one. "
    "Try 'scan', 'analyze NVDA', 'should I buy AAPL?' or 'positions' ('help' for more)."
)
THANKS_REPLY: Final = "You're welcome! Say 'scan' for fresh ideas or 'pnl' to see how today went."
WHOAMI_REPLY: Final = (
    "I'm cotrader, a trading co-pilot: I scan, analyse, size and explain trades, and a person "
    "approves every order with the buttons on its card. Say 'help' to see what I understand."
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


def quantities(toks: list[Tok]) -> tuple[list[Qty], bool]:
    """Numbers that read as trade sizes (not prices, times or ranks); and whether a price
    ("at 150", "limit 150") was mentioned."""
    out: list[Qty] = []
    price, i = False, 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "num" and not t.glued:
            val, end, dollar = t.value, i + 1, t.dollar
        elif t.kind == "word" and (wn := word_number(toks, i)):
            val, end, dollar = float(wn[0]), wn[1], False
        else:
            i += 1
            continue
        prev = toks[i - 1].low if i else ""
        nxt = toks[end].low if end < len(toks) else ""
        if prev in PRICE_WORDS:
            price = True
        elif (
            prev not in NOT_QTY_BEFORE
            and nxt not in TIME_UNITS
            and not (t.kind == "word" and prev in _NOT_QTY_AFTER_WORD)
        ):
            kind = "dollars" if dollar or nxt in DOLLAR_WORDS else "shares"
            out.append(Qty(val, "percent" if nxt in PERCENT_WORDS else kind, i, end))
        i = end
    return out, price


# ----------------------------------------------------------------------------- reply wording


def size_problem(q: Qty, sym: str, verb: str) -> str | None:
    """Why a quantity cannot be used as a share count, or None when it can."""
    how = f"How many shares? e.g. '{verb} 10 {sym}'"
    if q.kind in ("dollars", "percent"):
        sizing = "Dollar" if q.kind == "dollars" else "Percent"
        return (
            f"{sizing} sizing isn't supported: I size in whole shares. {how}, "
            f"or 'should I {verb} {sym}?' to have it sized for you."
        )
    if q.value <= 0:
        return f"The quantity must be a positive whole number of shares. {how}."
    if q.value > MAX_QTY:
        return f"That is more than {MAX_QTY:,} shares; please check the number. {how}."
    if q.value != int(q.value):
        return f"Only whole shares are supported ({q.value:g} isn't a whole number). {how}."
    return None


_THANKS_RE: Final = _rx(r"\b(?:thanks|thank|thx|ty|tysm|cheers|appreciate)\b")
_WHOAMI_RE: Final = _rx(r"\b(?:who|what)\s+are\s+you\b|\bname\b|\bbot\b|\bhuman\b")


def small_talk_reply(low: str) -> str | None:
    """A friendly reply to a greeting, thanks or 'who are you'; None for anything else."""
    text = low.strip(" !.?,:)(")
    if not SMALL_TALK_RE.match(text) and not re.search(r"\b(?:thanks|thank you)\b", text):
        return None
    if _THANKS_RE.search(text):
        return THANKS_REPLY
    return WHOAMI_REPLY if _WHOAMI_RE.search(text) else GREETING_REPLY
