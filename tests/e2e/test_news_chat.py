"""News through `cotrader chat --json`: /news answers kind `news` with every item's fields and
a digest per symbol; questions are answered (kinds `news`, `why_move`), never carded; bad
input is refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_cli import Chat

ITEM_FIELDS = {"headline", "source", "created_at", "symbols", "url", "sentiment"}


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    c = Chat(tmp_path_factory.mktemp("news") / "home")
    yield c
    assert c.quit()[0] == 0


def test_news_lists_items_with_sentiment_and_a_digest(chat: Chat) -> None:
    r = chat.send("/news NVDA TSLA AAPL 240")
    assert r["kind"] == "news" and r["ok"], r
    assert r["symbols"] == ["NVDA", "TSLA", "AAPL"] and r["hours"] == 240
    assert [d["symbol"] for d in r["digest"]] == ["NVDA", "TSLA", "AAPL"]
    assert r["items"], r  # the simulator tells stories of its own bigger moves
    for item in r["items"]:
        assert set(item) >= ITEM_FIELDS, item
        assert item["sentiment"]["label"] in ("positive", "neutral", "negative")
        assert -1 <= item["sentiment"]["score"] <= 1 and item["simulated"] is True


def test_questions_are_answered_never_carded(chat: Chat) -> None:
    asked = chat.send("any news on TSLA?")
    assert asked["kind"] == "news" and asked["symbols"] == ["TSLA"], asked
    why = chat.send("why is NVDA down today?")
    assert why["kind"] == "why_move" and why["symbol"] == "NVDA", why
    assert "NVDA is" in why["text"] or "no previous close" in why["text"]
    assert chat.send("/pending")["items"] == []
    assert chat.send("/orders")["orders"] == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/news AAPL 0", "hours"),
        ("/news AAPL 9999", "hours"),
        ("/news AAPL 24 48", "hours once"),
        ("/news ZZZZQ", "ZZZZQ"),
    ],
)
def test_bad_news_requests_are_refused(chat: Chat, text: str, words: str) -> None:
    r = chat.send(text)
    assert r["kind"] == "error" and words.lower() in r["text"].lower(), r
