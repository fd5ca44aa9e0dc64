"""Each phrase the issue "orders as the trader meant them" lists, through a real
`cotrader chat --json` process on the simulator: the card carries every part that was said,
or the reply refuses and names the part (nothing else is created)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import Chat


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Any:
    c = Chat(tmp_path_factory.mktemp("meant") / "h")
    yield c
    c.quit()


def last_price(c: Chat, symbol: str) -> float:
    rep = c.send(f"/analyze {symbol}")
    assert rep["kind"] == "analysis" and rep["scan"]["last"], rep
    return float(rep["scan"]["last"])


def pending_ids(c: Chat) -> set[str]:
    return {x["id"] for x in c.send("/pending")["items"] if x["status"] == "pending"}


def no_ignored(rep: dict[str, Any]) -> None:
    assert "ignored" not in rep["text"].lower(), rep["text"]


def test_limit_price_goes_on_the_card(chat: Chat) -> None:
    px = last_price(chat, "AAPL")
    limit = round(px * 0.98, 2)
    rep = chat.send(f"buy 10 AAPL at {limit} limit")
    no_ignored(rep)
    card = rep["proposal"]
    assert (card["order_type"], card["limit_price"], card["quantity"]) == ("limit", limit, 10)
    assert card["entry"] == limit and card["stop"] < limit < card["target"]


def test_named_stop_replaces_the_atr_stop(chat: Chat) -> None:
    px = last_price(chat, "AAPL")
    stop = round(px * 0.95, 2)
    rep = chat.send(f"buy 10 AAPL with a stop at {stop}")
    no_ignored(rep)
    assert rep["proposal"]["stop"] == stop and rep["proposal"]["quantity"] == 10
    bad = chat.send(f"buy 10 AAPL with a stop at {round(px * 1.05, 2)}")
    assert bad["kind"] == "error" and "above" in bad["text"] and "entry" in bad["text"]


def test_stop_and_target_both_named(chat: Chat) -> None:
    px = last_price(chat, "MSFT")
    stop, target = round(px * 0.95, 2), round(px * 1.1, 2)
    rep = chat.send(f"buy 5 MSFT with a stop at {stop} and a target at {target}")
    card = rep["proposal"]
    assert (card["stop"], card["target"]) == (stop, target)


def test_tomorrow_at_the_open_is_an_opg_order(chat: Chat) -> None:
    rep = chat.send("buy 10 NVDA tomorrow at open")
    no_ignored(rep)
    card = rep["proposal"]
    assert card["time_in_force"] == "opg" and card["quantity"] == 10
    assert "open" in rep["text"]


def test_dollar_amount_rounds_down_to_whole_shares(chat: Chat) -> None:
    px = last_price(chat, "MSFT")
    rep = chat.send("buy $500 of MSFT")
    card = rep["proposal"]
    assert card["quantity"] == int(500 // card["entry"]) or card["quantity"] == int(500 // px)
    assert any("rounded down" in n for n in card["notes"])


def test_short_says_short(chat: Chat) -> None:
    rep = chat.send("short 10 TSLA")
    card = rep["proposal"]
    assert card["side"] == "sell" and card["short"] and card["title"].startswith("SHORT")
    assert card["stop"] > card["entry"] > card["target"]


def test_questions_stay_questions(chat: Chat) -> None:
    before = pending_ids(chat)
    for q, kind in (
        ("any news on TSLA?", "news"),
        ("why is NVDA down today?", "why_move"),
        ("how's the market?", "answer"),
    ):
        rep = chat.send(q)
        assert rep["kind"] == kind, (q, rep)
        assert not rep.get("proposals")
    assert chat.send("how's the market?")["text"].startswith("I can't answer that yet")
    iv = chat.send("what's the IV rank of TSLA?")  # answered since the options issue
    assert iv["kind"] == "iv_rank" and iv["symbol"] == "TSLA" and not iv.get("proposals")
    bp = chat.send("what's my buying power?")
    assert bp["kind"] == "answer" and "Buying power $" in bp["text"]
    assert pending_ids(chat) == before


def test_analyze_in_chat_is_the_analysis_not_a_proposal(chat: Chat) -> None:
    before = pending_ids(chat)
    rep = chat.send("analyze NVDA")
    assert rep["kind"] == "analysis" and rep["symbol"] == "NVDA" and rep["indicators"]
    assert pending_ids(chat) == before


def test_a_misspelt_symbol_gets_a_suggestion(chat: Chat) -> None:
    rep = chat.send("/propose APPL buy 1")
    assert rep["kind"] == "error" and "Did you mean AAPL?" in rep["text"]


def test_exits_partial_closes_and_realised_pnl(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    try:
        entry = c.send("buy 25 NVDA")["proposal"]
        assert entry["kind"] == "entry"
        assert c.send(f"/approve {entry['id']}")["kind"] == "approved"
        # protective stop and target rest at the venue as part of what was approved
        working = c.send("/orders open")["orders"]
        roles = {o["role"]: o for o in working if o["symbol"] == "NVDA"}
        assert {"stop", "target"} <= set(roles), working
        assert roles["stop"]["client_order_id"] == f"{entry['id']}-sl"
        assert roles["stop"]["quantity"] == 25 and roles["target"]["quantity"] == 25

        sell = c.send("sell 25 NVDA")["proposal"]
        assert sell["kind"] == "exit" and not sell["short"]
        assert sell["title"] == "EXIT: SELL 25 NVDA" and sell["realizes"] is not None
        c.send(f"/reject {sell['id']}")

        over = c.send("sell 40 NVDA")
        assert over["kind"] == "error"
        assert "You hold 25 NVDA: /close NVDA for all 25, or say 'short 40 NVDA'" in over["text"]

        half = c.send("sell half my NVDA")["proposal"]
        assert half["kind"] == "exit" and half["quantity"] == 12
        assert any("rounded down" in n for n in half["notes"])
        slash = c.send("/close NVDA 50%")["proposal"]
        assert slash["quantity"] == 12  # supersedes the chat one: one exit card per symbol
        done = c.send(f"/approve {slash['id']}")
        assert done["kind"] == "approved", done

        pos = {p["symbol"]: p for p in c.send("/positions")["positions"]}
        assert pos["NVDA"]["quantity"] == 13 and pos["NVDA"]["realized_pnl"] != 0
        pnl = c.send("/pnl day")
        assert pnl["realized"] == pytest.approx(pos["NVDA"]["realized_pnl"], abs=0.02)
        # the exit resized the protection to the 13 shares left, in the same approved step
        working = [o for o in c.send("/orders open")["orders"] if o["symbol"] == "NVDA"]
        assert sorted(o["role"] for o in working) == ["stop", "target"]
        assert all(o["quantity"] == 13 for o in working)
        assert all(o["client_order_id"].startswith(slash["id"]) for o in working)
    finally:
        c.quit()
