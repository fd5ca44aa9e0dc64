"""Regular expressions and reply texts of the offline parser."""

from __future__ import annotations

import re
from typing import Final

from agents.llm.offline_vocab import MAX_CHARS, rx

# ----------------------------------------------------------------------------- patterns

# Real ids are base32 ([a-z2-7]); digits 0/1/8/9 are accepted too so a mistyped id still
# reaches the orchestrator, which then reports the unknown id itself.
PROPOSAL_ID_RE: Final = rx(r"(?<![\w-])(p-[a-z0-9]{8})(?![\w-])")
BAD_ID_RE: Final = rx(r"(?<![\w&-])p-[a-z0-9]{3,}")
DECISION_RE: Final = rx(
    r"approv|confir|execut|\breject(?!ed)|\bcancel\b|\bpull\s+the\s+trigger\b|\bgo\s+ahead\b"
    r"|\bdo\s+it\b|\bsend\s+it\b|\bship\s+it\b|\bmake\s+it\s+so\b|\bgreen\s?light|\bsign\s+off\b"
    r"|\baccept\s+(?:the|this|that|it|p-|all|proposal|trade|order)"
    r"|\b(?:place|submit|send|fire\s+off|put\s+in|enter)\s+(?:the|that|this|it|them|those|these|"
    r"all|my|every|pending)\b[^.?!]{0,20}?\b(?:orders?|trades?|proposals?)\b"
    r"|\bwithout\s+(?:a\s+|the\s+|my\s+|any\s+)?(?:card|approval|confirmation|asking|button)"
    r"|\bauto-?(?:approve|trade|execute|buy|sell)|\bautomatically\s+(?:buy|sell|trade|place)"
)
DECISION_EXACT_RE: Final = rx(
    r"(?:yes|yep|yeah|yup|ya|y|sure|go|lgtm|no|nope|nah|n|deny|denied|decline|yes please"
    r"|ok do it|yes do it|send|place it|buy it|sell it|do that)[\s.!]*"
)
INJECTION_RE: Final = rx(
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
    r"[^.?!]{0,40}\b(?:max(?:imum)?|limits?(?!\s+(?:orders?|price|at\b|@))|risk|settings?|config(?:uration)?"
    r"|leverage|sizing|exposure|allocation|drawdown|thresholds?|margin|parameters?)\b"
    r"|\bmax(?:imum)?\s+(?:position|size|loss|risk|exposure|leverage|order|drawdown)"
    r"|\b(?:disable|turn\s+off|switch\s+off|bypass|override|skip|circumvent|deactivate|"
    r"get\s+around|ignore|remove|lift)\s+(?:(?:all|the|your|my|any|every)\s+)*(?:risk|safety"
    r"|approval|confirmation|guard|limit|check|rule|filter|kill[-\s]?switch|card|button"
    r"|restriction|cap)s?\b"
    r"|\b(?:switch|flip|move|enable|turn\s+on|activate|change|set)\b[^.?!]{0,25}"
    r"\b(?:live|real\s+money)\b|\bgo\s+live\b"
)
NEGATION_RE: Final = rx(
    r"\b(?:don'?t|do\s+not|never|stop)\s+(?:\w+\s+){0,2}?"
    r"(?:buy|sell|short|xclose|xshort|close|trade|buying|selling|shorting)\b"
)
HELP_RE: Final = rx(
    r"(?:help|h|\?+|commands?|menu|usage|/help|!help|what\s+can\s+(?:you|u|i)\s+do"
    r"|what\s+(?:can|do)\s+you\s+(?:do|support|understand)|how\s+(?:do|does)\s+(?:this|it|you)"
    r"\s+work|how\s+do\s+i\s+use\s+(?:this|you|it)|(?:list|show)\s+(?:me\s+)?(?:the\s+)?"
    r"(?:of\s+)?commands|what\s+are\s+(?:the|your)\s+commands|help\s+me)"
)
HELP_LOOSE_RE: Final = rx(r"\bhelp\b|\bcommands\b|what\s+can\s+you\s+do|how\s+does\s+this\s+work")
RESUME_RE: Final = rx(
    r"\bun-?pause|\bresume\b|\b(?:start|restart|begin|continue|keep)\s+(?:trading|proposing|"
    r"scanning|going)|\bstart\s+again\b|\bback\s+on\b|\bturn\s+(?:back\s+)?on\b|\bcarry\s+on\b"
    r"|\bwake\s+up\b|\btrading\s+again\b"
)
PAUSE_RE: Final = rx(
    r"\bpause\b|\bhalt\b|\bfreeze\b|\bstand\s?(?:by|down)\b|\bhold\s+off\b|\btake\s+a\s+break"
    r"|\bstop\s+(?:all\s+)?(?:trading|proposing|proposals|scanning|everything|for\s+(?:now|today"
    r"|a\s+(?:bit|while))|now|sending|suggesting|the\s+bot|bot)\b"
    r"|^(?:stop|enough)\b(?!\s*-?loss)(?!\s*(?:at\s+|@\s*|of\s+)?-?\$?\d)"
    r"|\bno\s+more\s+(?:trades|trading|proposals)|\bkill[-\s]?switch|\btime\s?out\b"
)
STATUS_RE: Final = rx(
    r"^(?:status|health|healthcheck|health\s+check|ping|uptime|state|mode|version|stats|info)\b"
    r"|\bbeen\s+running\b|\bare\s+you\s+(?:running|alive|up|on|there|working|awake|ok|online"
    r"|active|paused|live|in"
    r"\s+paper|in\s+sim)|\b(?:what|which)\s+mode\b|\b(?:paper|sim|live)\s+(?:or|vs)\s+"
    r"(?:paper|sim|live)\b|\bis\s+(?:the\s+bot|it|everything|cotrader|trading)\s+(?:running|up|"
    r"working|alive|live|ok|paused|on)\b|\b(?:bot|system|your)\s+status\b|\bhealth\b|\bstatus\b"
)
PNL_RE: Final = rx(
    r"\bp\s?[&/n]\s?l\b|\bpl\b|\bprofits?\b|(?<!stop\s)(?<!stop-)\bloss(?:es)?\b"
    r"|\bhow\s+much\s+(?:did|have|do|am|are)\s+(?:i|we)\s+(?:\w+\s+)?(?:make|made|lose|lost|earn"
    r"|earned|up|down)|\bhow\s+(?:am\s+i|are\s+we|did\s+i|did\s+we|have\s+i\s+been)\s+do(?:ing)?\b"
    r"|\bperformance\b|\breturns?\b|\bgains?\b|\bam\s+i\s+(?:up|down|green|red)\b|\bmy\s+results"
)
# a report asked for: "daily report", "how did I do this week?", "export my trades to CSV",
# "show me a chart of my equity" (with no symbol named)
REPORT_RE: Final = rx(
    r"\breports?\b|\bexport\b|\bcsv\b|\bspreadsheet\b|\bequity\s+(?:curve|chart|graph)\b"
    r"|\b(?:chart|graph|plot)\s+(?:of\s+)?(?:my|our|the)\s+(?:equity|account|performance|p\s?&\s?l"
    r"|returns?)\b|\bhow\s+(?:did|have)\s+(?:i|we)\s+(?:do|done|fare|fared)\b"
)
PERIODS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (rx(r"\bmonth|\bmtd\b|\b30\s*d(?:ays?)?\b"), "month"),
    (rx(r"\bweek|\bwtd\b|\b[57]\s*d(?:ays?)?\b"), "week"),
    (rx(r"\btoday\b|\bday\b|\bdaily\b|\bsession\b|\bintraday\b|\bdtd\b"), "day"),
    (
        rx(
            r"all[-\s]?time|\btotal\b|\boverall\b|\bever\b|\blifetime\b|\bsince\s+(?:inception|"
            r"the\s+start|start|the\s+beginning)|\bcumulative\b|\bytd\b|\byear|\bannual"
        ),
        "all",
    ),
)
ORDERS_RE: Final = rx(
    r"\borders?\b|\bpending\b|\bfills?\b|\bwhat(?:'s|\s+is)\s+(?:working|pending)\b"
)
POSITIONS_RE: Final = rx(
    r"\bpositions?\b|\bholdings?\b|\bportfolio\b|\bwhat\s+(?:do|did)\s+(?:i|we)\s+(?:own|have|"
    r"hold)\b|\bwhat\s+(?:am\s+i|are\s+we)\s+(?:holding|in|long|short)\b|\bmy\s+(?:stocks|shares"
    r"|book|bags?|exposure)\b|\bwhat(?:'s|\s+is)\s+in\s+my\s+(?:account|portfolio)\b|\bexposure"
    r"\b|\bopen\s+trades\b|\bdo\s+i\s+(?:own|have|hold)\b"
)
SCAN_RE: Final = rx(
    r"\bscan|\bscreen(?:er)?\b|\bfind\s+(?:me\s+)?(?:some|any|a\s+few|new|good|\d+)?\s*(?:good\s+)?"
    r"(?:trades?|ideas?|setups?|opportunities|stocks|plays|candidates)\b|\bany\s+(?:good\s+|new\s+)?"
    r"(?:trade\s+)?(?:ideas?|setups?|opportunities|plays|trades)\b|\b(?:what|anything)(?:'s|\s+is)?"
    r"\s+look(?:s|ing)?\s+(?:good|interesting|promising|strong|bullish)|\bwhat\s+(?:should|could|"
    r"can)\s+(?:i|we)\s+(?:buy|trade|short|sell|look\s+at)\b|\bwhat\s+to\s+(?:buy|trade)\b"
    r"|\bwhat(?:'s|\s+is)\s+(?:moving|hot|interesting)\b|\b(?:top|best)\s+(?:movers|picks|ideas|"
    r"setups|trades|stocks)\b|\bopportunit(?:y|ies)\b|\bideas?\b|\bsetups?\b|\bsuggestions?\b"
)
ANALYZE_VERB_RE: Final = rx(r"\banaly[sz](?:e|es|is|ing)\b|\bchart\b|\bta\s+on\b|\bdeep\s+dive")
ANALYZE_RE: Final = rx(
    r"\btell\s+me\s+(?:more\s+)?about\b|\bwhat\s+(?:do|d'?)\s*you\s+think\b|\bthoughts\b"
    r"|\bopinion\b|\btake\s+on\b|\bview\s+on\b|\boutlook\b|\bhow(?:'s|\s+(?:does|do|is|are|did|"
    r"has|was))\b|\blook(?:ing)?\s+at\b|\bcheck\b|\bresearch\b|\btechnicals?\b|\bwhat\s+about\b"
    r"|\bhow\s+about\b|\bwhat'?s\s+(?:up|going\s+on)\s+with\b|\bnews\b|\bquote\b|\bprice\b"
    r"|\bwhy\s+is\b|\bshow\b|\bsupport\b|\bresistance\b|\btrend|\bsentiment\b|\brundown\b"
    r"|\bbreakdown"
    r"|\bover(?:bought|sold)\b|\bbullish\b|\bbearish\b|\blevels?\b|\bwhat(?:'s|\s+is)\b"
)
OPINION_RE: Final = rx(
    r"\bshould\s+(?:i|we)\b|\bwould\s+you\b|\bshall\s+(?:i|we)\b|\bis\s+(?:it|now|this|today)\s+"
    r"(?:a\s+)?(?:good|bad|right|smart|the)\b|\b(?:a|good|strong|solid)\s+(?:buy|sell|short)\b"
    r"|\bworth\b|\bwhat\s+do\s+you\s+think\b|\bthoughts\b|\bopinion\b|\bpropose|\bsuggest"
    r"|\brecommend|\bpitch\b|\bidea\b|\bdo\s+you\s+(?:like|think)\b|\bcan\s+(?:i|we)\b"
    r"|\bany\s+reason\b|\bgood\s+time\b|\bshould\b|\?|\b(?:a|any)\s+trades?\s+(?:in|on|for)\b|\b(?:buying|selling|shorting|purchasing)\b"
)
WATCH_LIST_RE: Final = rx(
    r"\bwhat\s+(?:am\s+i|are\s+we|are\s+you|do\s+i)\s+watching\b|\bwhat(?:'s|\s+is)\s+on\s+"
    r"(?:my|the)\s+(?:watchlist|radar)\b"
)
WL_REMOVE_RE: Final = rx(r"\b(?:unwatch|remove|delete|drop|take|rm|del|pull|kick|minus)\b")
WL_ADD_RE: Final = rx(
    r"\b(?:watch|add|put|include|insert|append|stick|throw|plus)\b"
)  # not "watchlist"
SMALL_TALK_RE: Final = rx(
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
# Questions answered, never carded (news and moves: offline_news.py); matched on the
# canonical text, so "buying power" arrives as one word.
BUYING_POWER_RE: Final = rx(r"\bbuyingpower\b")
NEWS_Q_RE: Final = rx(r"\bnews\b|\bheadlines?\b|\bpress\s+releases?\b|\bannouncements?\b")
WHY_MOVE_RE: Final = rx(
    r"\bwhy(?:'s|\s+(?:is|are|was|were|did|does|do|has|have))\b[^.?!]{0,40}?\b(?:down|up|"
    r"drop(?:s|ped|ping)?|fall(?:s|ing)?|fell|rise[ns]?|rising|rose|mov(?:e|es|ed|ing)|tank(?:s|ed"
    r"|ing)?|crash(?:es|ed|ing)?|spik(?:e|es|ed|ing)|jump(?:s|ed|ing)?|rall(?:y|ies|ied|ying)"
    r"|dump(?:s|ed|ing)?|pump(?:s|ed|ing)?|red|green|higher|lower|selloff|sell(?:s|ing)?\s+off"
    r"|plung(?:e|es|ed|ing)|soar(?:s|ed|ing)?|surg(?:e|es|ed|ing)|slid(?:e|es|ing)?|sink(?:s|ing)?"
    r"|sank|sunk|gap(?:s|ped|ping)?|pop(?:s|ped|ping)?|slump(?:s|ed|ing)?|volatile)\b"
    r"|\bwhat\s+happened\s+(?:to|with)\b|\bwhat(?:'s|\s+is)\s+driving\s+(?!the\s+market)"
)
MARKET_Q_RE: Final = rx(
    r"\bhow(?:'s|\s+is|\s+are|\s+was|\s+were|\s+did)\s+(?:the\s+)?(?:overall\s+|broad\s+|broader"
    r"\s+|stock\s+|us\s+)?(?:markets?|tape)\b|\b(?:the\s+)?(?:stock\s+)?markets?\s+(?:today|update"
    r"|overview|summary|recap|wrap)\b|\bwhat(?:'s|\s+is)\s+the\s+market\s+doing\b|\bwhat(?:'s|"
    r"\s+is)\s+(?:moving|driving)\s+the\s+market\b|\bmarket\s+(?:sentiment|mood)\b"
)

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
NOT_YET: Final = "I can't answer that yet: "
MARKET_REPLY: Final = (
    NOT_YET + "there is no market summary in chat. Meanwhile '/analyze SPY' shows the "
    "S&P 500's trend and indicators, and 'scan' looks for trade ideas."
)
STRAY_PRICE_QUESTION: Final = (
    "Which order is the {what} for? Put it with the trade, e.g. 'buy 10 {sym} {example}'; "
    "for an open position say 'move my stop on {sym} to PRICE' (a card to approve)."
)
WHOAMI_REPLY: Final = (
    "I'm cotrader, a trading co-pilot: I scan, analyse, size and explain trades, and a person "
    "approves every order with the buttons on its card. Say 'help' to see what I understand."
)
