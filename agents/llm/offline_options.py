"""Offline parsing of what a trader says about options: "show me the AAPL option chain",
"NVDA puts 45 days delta 0.3", "what's the IV rank of TSLA", and the strategies a card is
made for: "bull put spread on SPY", "sell a put on AAPL", "iron condor on QQQ, 2
contracts". Any other option trade ("buy a call") is never read as a share order: it
shows the chain the trader would pick from and says that nothing was proposed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from models.intents import Intent, IntentKind, strategy_phrase

K = IntentKind

_IV_RANK = re.compile(
    r"\b(iv|implied[ -]vol(?:atility)?)[ -]?(rank|percentile|pctl)\b|\bivr\b|\bivp\b"
)
_IMPLIED = re.compile(r"\b(iv|implied[ -]vol(?:atility)?)\b")
_CHAIN = re.compile(r"\boptions?\s+chains?\b|\bchains?\b")
# "puts" and "calls" always; a singular one only as a noun ("a put", "the 180 call",
# "sell put"), never the verb ("put a stop at 110", "call it a day")
_SIDE = re.compile(
    r"\b(calls|puts)\b|(?:\b(?:a|an|the|one|two|\d+(?:\.\d+)?|sell|buy|write|long|short|"
    r"covered|naked|otm|itm|atm|weekly|monthly)\s+)(call|put)\b|\b(call|put)\s+(?:options?|"
    r"spreads?|contracts?|side)\b"
)
_OTHER = re.compile(
    r"\b(contracts?|options?|spreads?|condors?|straddles?|strangles?|butterfl(?:y|ies)|"
    r"covered calls?|cash[- ]secured|csp|leaps)\b"
)
_TRADE_VERB = re.compile(r"\b(sell|buy|write|short|long|open|roll|trade|place)\b")
_DTE = re.compile(r"\b(\d{1,4})\s*-?\s*(?:dte|days?)\b")
_DELTA = re.compile(
    r"\b(\d{1,2}(?:\.\d+)?|0?\.\d+)\s*delta\b|\bdelta\s*(?:of\s*|=\s*)?(\d{1,2}(?:\.\d+)?|0?\.\d+)\b"
)


_STRATEGY = (
    (re.compile(r"\biron\s+condors?\b|\bcondors?\b|\bic\b"), "iron_condor"),
    (
        re.compile(
            r"\bbull(?:ish)?\s+put\s+(?:credit\s+)?spreads?\b|\bput\s+credit\s+spreads?\b"
            r"|\b(?:sell|short)\s+(?:an?\s+|the\s+)?put\s+spreads?\b"
        ),
        "bull_put_spread",
    ),
    (
        re.compile(
            r"\bcash[- ]secured\s+puts?\b|\bcsps?\b|\b(?:sell|write|short)\s+(?:an?\s+|"
            r"one\s+|\d+\s+|the\s+)?puts?\b(?!\s+spread)"
        ),
        "cash_secured_put",
    ),
)
_CONTRACTS = re.compile(r"\b(\d{1,4})\s+(?:contracts?|lots?)\b")


def option_strategy(low: str) -> str | None:
    """The strategy a trader asks to open ("bull put spread on SPY", "sell a put on AAPL",
    "iron condor on QQQ"), or None."""
    for pattern, name in _STRATEGY:
        if pattern.search(low):
            return name
    return None


def _delta(low: str) -> float | None:
    m = _DELTA.search(low)
    if m is None:
        return None
    v = float(m.group(1) or m.group(2))
    v = v / 100 if v >= 1 else v
    return v if 0 < v < 1 else None


def _sides(low: str) -> set[str]:
    found = set()
    for m in _SIDE.finditer(low):
        word = next(g for g in m.groups() if g)
        found.add("calls" if word.startswith("call") else "puts")
    return found


_CUE = re.compile(r"\b(?:of|for|on|in|ivr|ivp|iv|rank|percentile|chain)\s+\$?([a-z][a-z.]{0,5})\b")
_WORD = re.compile(r"\$?\b([A-Za-z][A-Za-z.]{0,5})(?:'s)?\b")


def rescue_symbol(text: str, known: Collection[str]) -> str | None:
    """A known symbol the general parser left out: written in capitals ("TSLA's"), or in
    lower case right after a cue word ("ivr spy", "iv rank of tsla")."""
    for m in _WORD.finditer(text):
        word = m.group(1)
        if word.isupper() and word in known:
            return word
    for m in _CUE.finditer(text.lower()):
        if m.group(1).upper() in known:
            return m.group(1).upper()
    return None


def parse_options(
    low: str, symbols: Sequence[str], text: str = "", known: Collection[str] = ()
) -> Intent | None:
    """An options intent for `low` (the lower-cased message; `text` as written), or None
    when it is not about options. Without a symbol it asks which one."""
    syms = tuple(symbols)
    if not syms and (found := rescue_symbol(text or low, known)):
        syms = (found,)
    sides = _sides(low)
    option_words = bool(sides) or bool(_OTHER.search(low))
    if _IV_RANK.search(low) or (_IMPLIED.search(low) and not option_words):
        if not syms:
            return Intent(kind=K.CLARIFY, question="IV rank of which symbol?", readback="IV rank")
        return Intent(kind=K.IV_RANK, symbols=syms[:1], readback=f"IV rank of {syms[0]}")
    strategy = option_strategy(low)
    if strategy is not None and not _CHAIN.search(low):
        if not syms:
            name = strategy.replace("_", " ")
            return Intent(kind=K.CLARIFY, question=f"A {name} on which symbol?", readback=name)
        n = _CONTRACTS.search(low)
        return Intent(
            kind=K.OPTION_PROPOSE,
            symbols=syms[:1],
            option_strategy=strategy,
            quantity=int(n.group(1)) if n and int(n.group(1)) > 0 else None,
            readback=f"propose {strategy_phrase(strategy)} on {syms[0]}"
            + (f", {n.group(1)} contract{'s' if n.group(1) != '1' else ''}" if n else ""),
        )
    trade = option_words and bool(_TRADE_VERB.search(low))
    chain = bool(_CHAIN.search(low)) or (option_words and bool(syms))
    if not (trade or chain):
        return None
    if not syms:
        what = "trade options on" if trade else "see the option chain of"
        return Intent(
            kind=K.CLARIFY, question=f"Which symbol do you want to {what}?", readback="options"
        )
    dte = _DTE.search(low)
    side = sides.pop() if len(sides) == 1 else None
    delta = _delta(low)
    if trade and delta is None and side is not None:
        delta = 0.3  # where a seller of premium usually starts looking
    what = f"{syms[0]} {side or 'option'} chain"
    return Intent(
        kind=K.CHAIN,
        symbols=syms[:1],
        option_side=side,
        dte=int(dte.group(1)) if dte else None,
        delta=delta,
        option_trade=trade,
        readback=("option trade asked: showing the " if trade else "show the ") + what,
    )


__all__ = ["option_strategy", "parse_options"]
