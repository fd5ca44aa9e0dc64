"""The offline headline scorer: the sign is right on plainly good and bad news, notices read
neutral, material events are found, and no text makes it raise or leave [-1, 1]."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.news import Headline, Sentiment
from services import sentiment
from services.finance_lexicon import MATERIAL_WORDS, PHRASES, WORDS
from services.sentiment import NEGATIVE_AT, POSITIVE_AT, label_for, material, score, score_many
from tests.unit.sentiment_table import NEGATIVE, NEUTRAL, POSITIVE, TABLE


def test_table_is_big_enough() -> None:
    assert len(POSITIVE) >= 25 and len(NEGATIVE) >= 25 and len(NEUTRAL) >= 10
    assert len(TABLE) >= 60
    assert len({h for h, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize("headline", POSITIVE)
def test_positive_news_scores_above_zero(headline: str) -> None:
    s = score(headline)
    assert s.score > 0, (headline, s)


@pytest.mark.parametrize("headline", NEGATIVE)
def test_negative_news_scores_below_zero(headline: str) -> None:
    s = score(headline)
    assert s.score < 0, (headline, s)


@pytest.mark.parametrize("headline", NEUTRAL)
def test_neutral_news_stays_near_zero(headline: str) -> None:
    assert -0.5 < score(headline).score < 0.5


def test_neutral_news_is_mostly_labelled_neutral() -> None:
    labels = [score(h).label for h in NEUTRAL]
    assert labels.count("neutral") >= 0.8 * len(NEUTRAL), labels


def test_plain_headlines_mostly_get_their_label() -> None:
    hits = sum(score(h).label == label for h, label in TABLE)
    assert hits >= 0.9 * len(TABLE)


def test_sentiment_fields() -> None:
    s = score("Apple beats estimates and raises guidance")
    assert isinstance(s, Sentiment)
    assert s.scorer == "offline" and s.label == "positive"
    assert "beats" in s.why and len(s.why) <= 300
    bad = score("Tesla recalls 120,000 vehicles over brake defect")
    assert bad.label == "negative" and "recalls" in bad.why


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (POSITIVE_AT, "positive"),
        (0.9, "positive"),
        (POSITIVE_AT - 0.01, "neutral"),
        (0.0, "neutral"),
        (NEGATIVE_AT + 0.01, "neutral"),
        (NEGATIVE_AT, "negative"),
        (-1.0, "negative"),
    ],
)
def test_label_thresholds(value: float, label: str) -> None:
    assert label_for(value) == label


def test_phrases_read_as_one_token() -> None:
    assert score("Acme guidance cut").score < 0
    assert score("Acme raises full-year guidance").score > 0
    assert score("Acme hits all-time high").score > 0
    assert score("Acme hits 52-week low").score < 0
    assert score("Acme shares up 4%").score > 0
    assert score("Acme shares down 4.5 percent").score < 0
    assert score("Acme to hold annual meeting").score == 0


def test_negation_flips_the_sign() -> None:
    assert score("Acme does not expect layoffs").score > score("Acme expects layoffs").score


def test_summary_counts_too() -> None:
    s = score("Acme update", "The company filed for bankruptcy protection on Monday.")
    assert s.label == "negative"


def test_empty_and_garbage_are_neutral() -> None:
    for text in ("", "   ", "\n\t", "...", "!!!", "$$$ %%%", "12345"):
        s = score(text)
        assert (s.score, s.label, s.scorer) == (0.0, "neutral", "offline"), text
    assert score(None).label == "neutral"  # type: ignore[arg-type]


def test_non_ascii_and_long_text() -> None:
    assert score("Société Générale shares plunge after profit warning").score < 0
    assert score("Toyota 株価 soars after record profit 🚀").score > 0
    long = "Acme beats estimates. " + "The board met on Tuesday. " * 5_000
    s = score(long, long)
    assert -1 <= s.score <= 1


def test_score_many_matches_score() -> None:
    items: list[str | tuple[str, str] | Headline] = [
        "Acme beats estimates",
        ("Acme update", "Shares plunged after the recall."),
        Headline(
            id="sim:ACME:1",
            source="sim",
            headline="Acme halted after SEC opens probe",
            created_at=datetime(2026, 1, 5, tzinfo=UTC),
        ),
        "",
    ]
    got = score_many(items)
    assert [s.label for s in got] == ["positive", "negative", "negative", "neutral"]
    assert got[0] == score("Acme beats estimates")
    assert got[1] == score("Acme update", "Shares plunged after the recall.")
    assert score_many([]) == []


def test_one_shared_analyzer() -> None:
    assert sentiment.analyzer() is sentiment.analyzer()
    lexicon = sentiment.analyzer().lexicon
    assert "shares" not in lexicon  # a 0.0 in WORDS removes VADER's word
    assert lexicon["plunges"] == WORDS["plunges"]
    assert lexicon["guidance_cut"] == PHRASES["guidance cut"]


def test_lexicon_on_vaders_scale() -> None:
    assert all(-4 <= v <= 4 for v in (*WORDS.values(), *PHRASES.values()))
    assert all(k == k.lower() and k.strip() == k for k in (*WORDS, *PHRASES))


MATERIAL = [
    ("Nvidia shares halted after SEC opens probe", ["halt", "SEC", "probe"]),
    ("Intel cuts guidance and announces 15,000 layoffs", ["guidance", "layoffs"]),
    ("Tesla recalls 120,000 vehicles over brake defect", ["recall"]),
    ("Rivian downgraded to sell at Morgan Stanley", ["downgrade"]),
    ("Bed Bath & Beyond files for Chapter 11 bankruptcy", ["bankruptcy"]),
    ("Nasdaq to delist Chinese lender", ["delisting"]),
    ("SEC charges former Nikola CEO with fraud", ["SEC", "fraud"]),
    ("FDA approves Lilly obesity drug", ["FDA"]),
    ("Chevron agrees to acquire Hess; merger vote set", ["acquisition", "merger"]),
    ("Starbucks CEO steps down", ["CEO resigns"]),
    ("Justice Department files antitrust lawsuit against Apple", ["antitrust", "lawsuit"]),
    ("Wells Fargo faces federal investigation", ["investigation"]),
    ("PayPal issues profit warning", ["profit warning"]),
    ("Walgreens cuts dividend by 48%", ["dividend cut"]),
    ("Microsoft to hold annual meeting on Dec. 10", []),
    ("Apple beats estimates", []),
    ("Second-quarter sector review", []),  # "sec" only as a whole word
    ("Haltech names new chair", []),  # "halt" only as a whole word
    ("GUIDANCE RAISED, TRADING HALTED", ["guidance", "halt"]),
]


@pytest.mark.parametrize(("headline", "expected"), MATERIAL)
def test_material_words(headline: str, expected: list[str]) -> None:
    assert material(headline) == expected


def test_material_reads_the_summary_and_names_only_listed_words() -> None:
    assert material("Acme update", "The company disclosed a data breach.") == ["data breach"]
    assert set(material(" ".join(MATERIAL_WORDS))) == set(MATERIAL_WORDS)
    assert material("") == []


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_any_text_scores_in_range(headline: str, summary: str) -> None:
    s = score(headline, summary)
    assert -1.0 <= s.score <= 1.0
    assert s.label == label_for(s.score)
    assert s.why != "unscorable text"  # VADER read it; the fallback is only a safety net
    assert isinstance(material(headline, summary), list)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=5))
def test_score_many_never_raises(texts: list[str]) -> None:
    out = score_many(texts)
    assert len(out) == len(texts) and all(-1 <= s.score <= 1 for s in out)
