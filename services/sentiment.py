"""Offline headline sentiment: VADER with the desk's finance lexicon merged in.

Pure and local (the lexicons ship inside the packages): `score` gives a headline's tone as a
`Sentiment` (VADER's compound in [-1, 1], a label, and the words that decided it),
`score_many` scores a batch with the one shared analyzer, and `material` lists the events in
a headline a trader must read whatever its tone (a halt, a probe, guidance, a deal).

Before VADER sees the text, the finance phrases ("guidance cut", "all-time high") are joined
into single tokens, "up 4%" / "down 4%" become moves, and hyphenated words are split
("better-than-expected" is matched as a phrase first).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from models.news import Headline, Sentiment
from services.finance_lexicon import MATERIAL_FORMS, MATERIAL_WORDS, PHRASES, WORDS

SCORER = "offline"
POSITIVE_AT = 0.15  # compound >= this reads positive
NEGATIVE_AT = -0.15  # compound <= this reads negative
MAX_CHARS = 2_000  # longer text is cut (at a space) before scoring
WHY_WORDS = 3  # the strongest words named in `why`

_GAP = r"[\s\-]+"  # between the words of a phrase: spaces or hyphens
_GAP_RE = re.compile(_GAP)
_PUNCT = string.punctuation


def _phrase_token(phrase: str) -> str:
    """The one token a phrase becomes ("guidance cut" -> "guidance_cut")."""
    return "_".join(phrase.split())


def _trie(phrases: Iterable[str]) -> str:
    """A regex body matching any of the phrases, shaped as their prefix tree (one pass per
    word start instead of trying every phrase); a space between words matches _GAP."""
    root: dict[str, dict] = {}
    for phrase in phrases:
        node = root
        for ch in " ".join(phrase.lower().split()):
            node = node.setdefault(ch, {})
        node[""] = {}

    def body(node: dict[str, dict]) -> str:
        alts = [
            (_GAP if ch == " " else re.escape(ch)) + body(nxt) for ch, nxt in node.items() if ch
        ]
        if "" in node:
            return f"(?:{'|'.join(alts)})?" if alts else ""
        return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"

    return body(root)


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """Any of the phrases as whole words (the longest that fits), in any case."""
    return re.compile(rf"(?<![\w$])(?:{_trie(phrases)})(?!\w)", re.IGNORECASE)


def _normal(matched: str) -> str:
    """A matched phrase as its key: lower case, one space between words."""
    return " ".join(_GAP_RE.split(matched.lower()))


_PHRASE_RE = _phrase_regex(PHRASES)
_MOVE_RE = re.compile(r"\b(up|down)\s+\d[\d.,]*\s?(?:%|percent\b|pct\b)", re.IGNORECASE)
_MOVE_TOKEN = {"up": _phrase_token("shares up"), "down": _phrase_token("shares down")}
_HYPHEN_RE = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_SPACE_RE = re.compile(r"\s+")


def _material_forms() -> dict[str, str]:
    """Every spelling of every material word (plain -s/-es/-ed/-d/-ing endings on the last
    word, and MATERIAL_FORMS), as its key, to the word it names."""
    forms: dict[str, str] = {}
    for word in MATERIAL_WORDS:
        for end in ("", "s", "es", "ed", "d", "ing"):
            forms.setdefault(_normal(word + end), word)
        for form in MATERIAL_FORMS.get(word, ()):
            forms.setdefault(_normal(form), word)
    return forms


_MATERIAL_FORMS = _material_forms()
_MATERIAL_RE = _phrase_regex(_MATERIAL_FORMS)


@cache
def analyzer() -> SentimentIntensityAnalyzer:
    """The one analyzer: VADER's lexicon with the finance words and phrase tokens merged in
    (a 0.0 valence removes a word). Built on first use (it reads VADER's lexicon file)."""
    vader = SentimentIntensityAnalyzer()
    merged = {**WORDS, **{_phrase_token(p): v for p, v in PHRASES.items()}}
    for word, valence in merged.items():
        if valence == 0.0:
            vader.lexicon.pop(word, None)
        else:
            vader.lexicon[word] = valence
    return vader


def _as_text(value: object) -> str:
    """A string whatever came in (None is empty)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _join(headline: object, summary: object) -> str:
    """Headline and summary as one text, whitespace collapsed, cut to MAX_CHARS."""
    head = _SPACE_RE.sub(" ", _as_text(headline)).strip()
    body = _SPACE_RE.sub(" ", _as_text(summary)).strip()
    if head and body and head[-1] not in ".!?":
        head += "."
    text = f"{head} {body}".strip()
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS]
        space = cut.rfind(" ", MAX_CHARS - 200)
        text = cut[:space] if space > 0 else cut
    return text


def _phrase_sub(m: re.Match[str]) -> str:
    return _phrase_token(_normal(m.group(0)))


def _prepare(text: str) -> str:
    """The text as VADER should read it: moves and phrases as tokens, hyphens split."""
    text = _MOVE_RE.sub(lambda m: f"{_MOVE_TOKEN[m.group(1).lower()]} ", text)
    text = _PHRASE_RE.sub(_phrase_sub, text)
    return _HYPHEN_RE.sub(" ", text)


def label_for(score: float) -> str:
    """negative / neutral / positive for a compound score."""
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def _why(prepared: str, lexicon: dict[str, float], score: float) -> str:
    """The strongest scored words, those pulling the way the score went first."""
    found: dict[str, float] = {}
    for raw in prepared.split():
        word = raw.strip(_PUNCT).lower()
        valence = lexicon.get(word)
        if valence is not None and word not in found:
            found[word] = valence
    if not found:
        return "no sentiment words"
    sign = 1 if score > 0 else -1 if score < 0 else 0
    ranked = sorted(found.items(), key=lambda kv: (sign * kv[1] <= 0, -abs(kv[1])))
    parts = [f"{w.replace('_', ' ')} {v:+.1f}" for w, v in ranked[:WHY_WORDS]]
    return ", ".join(parts)[:300]


def _neutral(why: str) -> Sentiment:
    return Sentiment(score=0.0, label="neutral", why=why, scorer=SCORER)


def _score_text(text: str, vader: SentimentIntensityAnalyzer) -> Sentiment:
    if not text or not any(ch.isalnum() for ch in text):
        return _neutral("no text")
    prepared = _prepare(text)
    try:
        compound = float(vader.polarity_scores(prepared)["compound"])
    except Exception:  # VADER on text it cannot read: no tone rather than a crash
        return _neutral("unscorable text")
    compound = max(-1.0, min(1.0, compound))
    why = _why(prepared, vader.lexicon, compound)
    return Sentiment(score=compound, label=label_for(compound), why=why, scorer=SCORER)


def score(headline: str, summary: str = "") -> Sentiment:
    """A headline's tone (with its summary, if any), offline. Never raises: empty or
    unreadable text is neutral 0.0."""
    return _score_text(_join(headline, summary), analyzer())


def score_many(texts: Iterable[str | tuple[str, str] | Headline]) -> list[Sentiment]:
    """`score` for each of many headlines: strings, (headline, summary) pairs or Headlines."""
    vader = analyzer()
    out: list[Sentiment] = []
    for item in texts:
        if isinstance(item, Headline):
            text = _join(item.headline, item.summary)
        elif isinstance(item, tuple):
            text = _join(*item[:2]) if item else ""
        else:
            text = _join(item, "")
        out.append(_score_text(text, vader))
    return out


def material(headline: str, summary: str = "") -> list[str]:
    """The MATERIAL_WORDS a headline (or its summary) mentions, in order of appearance,
    each once; whole words, any case, plural/past forms included ("halted" is "halt")."""
    text = _join(headline, summary)
    seen: list[str] = []
    for m in _MATERIAL_RE.finditer(text):
        word = _MATERIAL_FORMS.get(_normal(m.group(0)))
        if word is not None and word not in seen:
            seen.append(word)
    return seen


__all__ = [
    "MAX_CHARS",
    "NEGATIVE_AT",
    "POSITIVE_AT",
    "SCORER",
    "analyzer",
    "label_for",
    "material",
    "score",
    "score_many",
]
