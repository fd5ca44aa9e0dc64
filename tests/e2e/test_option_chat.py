"""Option strategies through `cotrader chat --json`, as scripts drive it: the card's JSON
fields, /approve to one multi-leg order, /positions grouping the legs, the greeks in /risk
and /status, and bad input refused with nothing made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_cli import Chat

CARD_FIELDS = {
    "strategy", "kind", "legs", "credit", "limit", "max_profit", "max_loss", "breakevens",
    "pop", "dte", "greeks", "capital", "buying_power", "mode",
}  # fmt: skip
LEG_FIELDS = {"symbol", "type", "strike", "expiry", "dte", "side", "quantity", "bid", "ask",
              "delta"}  # fmt: skip


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    c = Chat(tmp_path_factory.mktemp("options") / "home", COTRADER_OPTIONS_MIN_IV_RANK="0")
    yield c
    assert c.quit()[0] == 0


def test_a_spread_card_is_approved_into_one_order_and_one_position(chat: Chat) -> None:
    made = chat.send("/propose AAPL bull_put_spread 2")
    assert made["kind"] == "proposal" and made["ok"], made
    card = made["proposal"]
    assert set(card) >= CARD_FIELDS and card["kind"] == "entry"
    assert card["strategy"] == "bull_put_spread" and card["mode"] == "SIMULATED"
    assert len(card["legs"]) == 2 and all(set(leg) >= LEG_FIELDS for leg in card["legs"])
    assert card["quantity"] == 2 and card["limit_price"] == card["limit"] > 0
    done = chat.send(f"/approve {card['id']}")
    assert done["proposal"]["status"] == "filled", done
    orders = chat.send("/orders")["orders"]
    assert [o["client_order_id"] for o in orders] == [card["id"]]
    pos = chat.send("/positions")
    assert pos["positions"] == []
    (group,) = pos["options"]
    assert group["key"] == card["id"] and group["contracts"] == 2
    assert {leg["symbol"] for leg in group["legs"]} == {leg["symbol"] for leg in card["legs"]}
    assert "AAPL" in pos["greeks"] and "total" in pos["greeks"]
    risk = chat.send("/risk")
    assert "AAPL" in risk["greeks"], risk
    status = chat.send("/status")
    assert "AAPL" in status["greeks"], status


def test_bad_option_requests_are_refused_and_make_nothing(chat: Chat) -> None:
    before = len(chat.send("/pending")["items"])
    for text, words in [
        ("/propose AAPL iron_condor 0", "quantity"),
        ("/propose AAPL iron_condor lots", "quantity"),
        ("/propose ZZZZ bull_put_spread", "ZZZZ"),
        ("/propose AAPL bull_put_spread 1 2", "Usage"),
        ("/propose AAPL iron_condor 500", "100"),
    ]:
        r = chat.send(text)
        assert r["kind"] == "error" and not r["ok"], (text, r)
        assert words.lower() in r["text"].lower(), (text, r["text"])
    assert len(chat.send("/pending")["items"]) == before


def test_plain_language_makes_the_same_card(chat: Chat) -> None:
    r = chat.send("iron condor on AAPL, 1 contract")
    assert r["kind"] == "proposal" and r["proposal"]["strategy"] == "iron_condor", r
    assert r["proposal"]["quantity"] == 1 and len(r["proposal"]["legs"]) == 4
    calls = [leg for leg in r["proposal"]["legs"] if leg["type"] == "call"]
    assert {leg["side"] for leg in calls} == {"buy", "sell"}
