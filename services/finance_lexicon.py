"""The desk's own finance word list, merged into VADER's general-purpose lexicon.

Valences use VADER's scale, -4 (very bad) to +4 (very good), and mean "for the holders of the
stock the headline names". `WORDS` are single tokens; `PHRASES` are several words that read
differently together ("guidance cut", "all-time high"): the scorer joins each into one token
before VADER sees the text, so space or hyphen between their words both match. A 0.0 in
`WORDS` removes a word VADER scores but a market headline uses as a name or as jargon
("shares", "interest", "United", "Super Micro").

`MATERIAL_WORDS` are the events a trader must read about whatever the tone (a halt, a probe,
guidance, a deal); `MATERIAL_FORMS` adds the spellings the plain plural/past endings miss.
"""

from __future__ import annotations

from collections.abc import Iterable


def _same(valence: float, *words: str) -> dict[str, float]:
    """Every word (inflections of one idea) with the same valence."""
    return dict.fromkeys(words, valence)


def _each(valence: float, heads: Iterable[str], tails: Iterable[str]) -> dict[str, float]:
    """Every "head tail" phrase with the same valence ("above" x "estimates", ...)."""
    return {f"{h} {t}": valence for h in heads for t in tails}


_ESTIMATES = ("estimates", "expectations", "forecasts", "consensus", "views")
_OUTLOOK = ("guidance", "outlook", "forecast", "forecasts")

WORDS: dict[str, float] = {
    # Results against the street.
    **_same(1.9, "beat", "beats", "beating", "topped", "exceeds", "exceeded", "surpasses"),
    **_same(1.9, "surpassed", "outpaces", "outpaced"),
    **_same(-2.0, "miss", "misses", "missed", "shortfall", "shortfalls"),
    **_same(1.9, "outperform", "outperforms", "outperformed", "overweight"),
    **_same(-1.9, "underperform", "underperforms", "underperformed", "underweight"),
    **_same(2.0, "upgrade", "upgrades", "upgraded"),
    **_same(-2.1, "downgrade", "downgrades", "downgraded", "downgrading"),
    **_same(2.2, "bullish", "upbeat", "blowout"),
    **_same(-2.2, "bearish", "downbeat"),
    **_same(2.0, "profitable", "profitability"),
    **_same(1.5, "upside", "tailwind", "tailwinds"),
    **_same(-1.4, "headwind", "headwinds", "weakness", "sluggish"),
    # Price moves.
    **_same(2.4, "surge", "surges", "surged", "surging", "soar", "soars", "soared", "soaring"),
    **_same(2.8, "skyrocket", "skyrockets", "skyrocketed", "rockets"),
    **_same(1.8, "jump", "jumps", "jumped", "jumping", "rally", "rallies", "rallied"),
    **_same(1.8, "rallying", "rebound", "rebounds", "rebounded", "spikes", "spiked"),
    **_same(1.5, "climb", "climbs", "climbed", "climbing", "gained", "advances", "outpacing"),
    **_same(1.2, "rise", "rises", "rose", "rising", "higher", "recovery", "recovers", "recovered"),
    **_same(-2.8, "plunge", "plunges", "plunged", "plunging", "plummet", "plummets"),
    **_same(-2.8, "plummeted", "crash", "crashes", "crashed", "collapses", "collapsed"),
    **_same(-2.8, "crater", "craters", "cratered", "cratering", "nosedives"),
    **_same(-2.3, "tumble", "tumbles", "tumbled", "tumbling", "slump", "slumps", "slumped"),
    **_same(-2.1, "sink", "sinks", "sank", "sunk", "selloff", "tank", "tanks", "tanked"),
    **_same(-1.6, "slide", "slides", "slid", "sliding", "fall", "falls", "fell", "falling"),
    **_same(-1.5, "decline", "declines", "declined", "declining", "drops", "dropped"),
    **_same(-1.2, "slip", "slips", "slipped", "retreat", "retreats", "retreated", "dips"),
    # Company actions.
    **_same(1.6, "raises", "raised", "lifts", "lifted", "boosted", "hikes", "hiked"),
    **_same(-1.6, "lowers", "lowered", "trims", "trimmed", "cuts"),
    **_same(-2.3, "slashes", "slashed", "scraps", "scrapped", "withdraws", "withdrawn"),
    **_same(1.7, "buyback", "buybacks", "repurchase", "repurchases"),
    **_same(0.6, "acquire", "acquires", "acquisition", "acquisitions", "merger", "mergers"),
    **_same(0.9, "takeover", "buyout"),
    **_same(1.2, "expands", "expansion", "partnership", "accelerates", "accelerating"),
    **_same(-2.2, "layoff", "layoffs", "furloughs", "restatement", "restates", "writedown"),
    **_same(-1.8, "impairment", "shutdown", "outage", "outages", "shutters"),
    **_same(-1.4, "delay", "delays", "delayed", "postpones", "postponed", "cancels"),
    **_same(-1.4, "canceled", "cancelled", "abandons", "abandoned", "stalls", "stalled"),
    **_same(-1.3, "resigns", "resigned", "resignation", "departs", "departure"),
    **_same(-2.0, "ousted", "ouster", "fired"),
    **_same(-1.8, "warns", "warned", "disappoints"),
    # Trouble.
    **_same(-2.2, "halt", "halted", "halting", "suspend", "suspends", "suspended"),
    **_same(-2.1, "recall", "recalls", "recalled", "recalling", "defect", "defects"),
    **_same(-2.1, "lawsuit", "lawsuits", "sues", "sued", "suing", "litigation"),
    **_same(-2.1, "probe", "probes", "probed", "investigation", "investigations"),
    **_same(-1.7, "investigating", "investigate", "investigates", "scrutiny", "antitrust"),
    **_same(-2.4, "subpoena", "subpoenaed", "subpoenas", "allegations", "alleged"),
    **_same(-3.0, "fraud", "fraudulent", "indicted", "indictment", "embezzlement"),
    **_same(-3.2, "bankruptcy", "bankrupt", "insolvency", "insolvent", "liquidation"),
    **_same(-2.5, "default", "defaults", "defaulted", "delisting", "delisted", "delist"),
    **_same(-2.0, "fined", "fines", "sanctions", "breach", "breached", "cyberattack"),
    **_same(-1.2, "fine", "tariff", "tariffs", "dilution", "dilutive", "overvalued"),
    **_same(-1.2, "concern", "concerns", "closure", "closures"),
    **_same(1.4, "cleared", "clears", "approve"),
    # VADER scores these, but headlines use them as names or jargon.
    **_same(0.0, "share", "shares", "interest", "credit", "care", "united", "trust", "free"),
    **_same(0.0, "security", "securities", "justice", "supreme", "super", "riot", "demand"),
    **_same(0.0, "pay", "charge", "amazon", "liberty", "energy"),
    # A drug's indication is not the news about it ("cancer drug cleared by FDA").
    **_same(0.0, "cancer", "tumor", "tumors", "illness", "heart", "safety", "depression"),
}

PHRASES: dict[str, float] = {
    # Against the street.
    **_each(1.9, ("above", "ahead of", "tops"), _ESTIMATES),
    **_each(-1.9, ("below", "short of", "misses"), _ESTIMATES),
    **_same(2.1, "better than expected", "stronger than expected", "beat and raise"),
    **_same(-2.2, "worse than expected", "weaker than expected", "lower than expected"),
    **_same(-2.1, "falls short", "fell short", "fails to beat", "failed to beat"),
    **_same(-2.1, "fails to meet", "failed to meet", "fails to win", "failed to win"),
    **_same(-1.8, "cut to sell", "downgraded to sell", "cut to underperform"),
    # Guidance and outlook.
    **_each(2.3, ("raises", "raised", "lifts", "boosts", "hikes", "ups"), _OUTLOOK),
    **_each(2.3, _OUTLOOK, ("raised", "hike", "increase", "upgrade")),
    **_each(-2.5, ("cuts", "cut", "lowers", "slashes", "trims", "withdraws"), _OUTLOOK),
    **_each(-2.5, _OUTLOOK, ("cut", "cuts", "lowered", "slashed", "withdrawn")),
    **_each(0.8, ("reaffirms", "reiterates", "maintains"), _OUTLOOK),
    **_same(-2.6, "profit warning", "profit warnings", "earnings warning", "going concern"),
    # Results.
    **_each(2.6, ("record",), ("revenue", "sales", "profit", "earnings", "quarter", "deliveries")),
    **_same(2.2, "record high", "all time high", "all time highs", "new high"),
    **_same(-2.2, "record low", "all time low", "record loss"),
    **_same(1.6, "52 week high", "52 week highs"),
    **_same(-1.6, "52 week low", "52 week lows"),
    **_same(-2.2, "net loss", "wider loss", "widens loss", "swings to loss", "swung to loss"),
    **_same(1.4, "narrower loss", "narrows loss", "narrowed loss"),
    **_same(2.3, "swings to profit", "swung to profit", "returns to profit", "first profit"),
    **_same(-2.0, "sell off", "wipes out", "wiped out", "beaten down", "writes down"),
    **_same(-2.0, "wrote down", "write down", "write downs", "writing down"),
    **_same(1.4, "shares up", "stock up", "gap up", "gaps up", "moves higher"),
    **_same(-1.4, "shares down", "stock down", "gap down", "gaps down", "moves lower"),
    # Capital return.
    **_same(2.0, "dividend hike", "dividend increase", "raises dividend", "hikes dividend"),
    **_same(2.0, "boosts dividend", "special dividend", "dividend raise", "increases dividend"),
    **_same(-2.5, "dividend cut", "cuts dividend", "slashes dividend", "suspends dividend"),
    **_same(-2.5, "omits dividend", "eliminates dividend", "dividend suspension"),
    **_same(1.9, "share buyback", "stock buyback", "share repurchase", "stock split"),
    # Regulators, courts, people.
    **_same(-2.9, "sec charges", "charged by sec", "sec sues", "sued by sec", "doj charges"),
    **_same(-2.4, "sec probe", "sec investigation", "doj probe", "ftc probe", "class action"),
    **_same(2.8, "fda approval", "fda approves", "fda approved", "fda nod", "fda clears"),
    **_same(2.4, "fda clearance", "breakthrough designation", "wins approval"),
    **_same(-2.8, "fda rejection", "fda rejects", "fda rejected", "complete response letter"),
    **_same(-2.0, "clinical hold", "trial fails", "trial failed", "misses endpoint"),
    **_same(2.0, "meets endpoint", "met endpoint", "meets primary endpoint"),
    **_same(-1.7, "ceo resigns", "ceo steps down", "ceo exits", "cfo resigns", "steps down"),
    **_same(-1.5, "step down", "stepping down", "stepped down"),
    **_same(-2.4, "short seller", "short report", "short sellers", "data breach"),
    **_same(-2.2, "job cuts", "cuts jobs", "mass layoffs", "plant closure", "trading halt"),
    **_same(1.0, "strikes deal", "strike deal", "takeover bid", "buyout offer", "merger talks"),
    **_same(0.6, "cost cuts", "cuts costs", "rate cut", "rate cuts", "cuts rates"),
    **_same(-0.8, "rate hike", "rate hikes", "raises rates"),
    # Neutral on a desk, whatever VADER makes of the words.
    **_same(0.0, "annual meeting", "price target", "health care", "federal reserve"),
    **_same(0.0, "free cash flow", "interest rates", "interest rate", "credit card"),
    **_same(0.0, "weight loss", "best buy"),
}

MATERIAL_WORDS: tuple[str, ...] = (
    "halt",
    "guidance",
    "lawsuit",
    "class action",
    "downgrade",
    "upgrade",
    "recall",
    "bankruptcy",
    "default",
    "investigation",
    "probe",
    "subpoena",
    "fraud",
    "delisting",
    "restatement",
    "SEC",
    "DOJ",
    "FTC",
    "FDA",
    "antitrust",
    "merger",
    "acquisition",
    "takeover",
    "buyout",
    "layoffs",
    "profit warning",
    "dividend cut",
    "short seller",
    "data breach",
    "CEO resigns",
)

# Spellings of a material word that its plain -s/-ed/-ing forms do not cover.
MATERIAL_FORMS: dict[str, tuple[str, ...]] = {
    "downgrade": ("downgrading",),
    "upgrade": ("upgrading",),
    "bankruptcy": ("bankrupt", "bankruptcies", "chapter 11", "insolvency"),
    "default": ("defaulted on",),
    "lawsuit": ("sues", "sued", "suing"),
    "investigation": ("investigating", "investigates"),
    "fraud": ("fraudulent",),
    "delisting": ("delist", "delists", "delisted"),
    "restatement": ("restates", "restated"),
    "merger": ("merge", "merges", "merging"),
    "acquisition": ("acquire", "acquires", "acquired", "acquiring"),
    "layoffs": ("layoff", "job cuts", "cuts jobs"),
    "dividend cut": ("cuts dividend", "suspends dividend", "slashes dividend"),
    "short seller": ("short report",),
    "CEO resigns": ("CEO resigned", "CEO steps down", "CEO to step down", "CEO exits"),
}

__all__ = ["MATERIAL_FORMS", "MATERIAL_WORDS", "PHRASES", "WORDS"]
