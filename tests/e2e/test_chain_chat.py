"""Option chains and IV rank as a trader types them into `cotrader chat --json` (the
simulator's chains): the /chain and /ivrank commands, plain language, bad input, the
scanner's IV-rank filter and /analyze."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_cli import Chat

CONTRACT_FIELDS = {
    "symbol", "type", "strike", "expiry", "dte", "years", "bid", "ask", "mid", "iv", "delta",
    "gamma", "theta", "vega", "open_interest", "volume",
}  # fmt: skip


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    c = Chat(tmp_path_factory.mktemp("chain") / "home")
    yield c
    assert c.quit()[0] == 0


def test_chain_answers_with_every_field(chat: Chat) -> None:
    msg = chat.send("/chain AAPL 30 puts delta=0.2 strikes=6")
    assert msg["kind"] == "chain" and msg["ok"], msg
    assert {"spot", "rate", "dividend", "contracts"} <= set(msg)
    assert msg["rate"] == 0.04 and msg["dividend"] == 0.005 and msg["simulated"] is True
    assert abs(msg["dte"] - 30) <= 4 and msg["side"] == "puts" and msg["delta"] == 0.2
    contracts = msg["contracts"]
    assert len(contracts) == 6 and all(set(c) >= CONTRACT_FIELDS for c in contracts)
    assert all(c["type"] == "put" and c["expiry"] == msg["expiry"] for c in contracts)
    strikes = [c["strike"] for c in contracts]
    assert strikes == sorted(strikes)
    [nearest] = [c for c in contracts if c["nearest"]]
    assert abs(abs(nearest["delta"]) - 0.2) == min(abs(abs(c["delta"]) - 0.2) for c in contracts)
    for c in contracts:
        assert c["bid"] < c["mid"] < c["ask"] and 0.05 < c["iv"] < 2 and c["delta"] < 0
        assert c["years"] * 365 == pytest.approx(c["dte"], abs=1)  # T includes today's fraction
    assert msg["iv_rank"]["days"] == 252 and 0 <= msg["iv_rank"]["rank"] <= 100
    assert "SIMULATED" in msg["text"] and "European" in msg["text"]


def test_chain_defaults_and_dates(chat: Chat) -> None:
    both = chat.send("/chain SPY")
    kinds = {c["type"] for c in both["contracts"]}
    assert both["kind"] == "chain" and kinds == {"call", "put"} and len(both["contracts"]) == 20
    on = chat.send(f"/chain SPY {both['expiries'][3]} calls")
    assert on["expiry"] == both["expiries"][3] and {c["type"] for c in on["contracts"]} == {"call"}


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("/chain APPL", "Did you mean AAPL?"),
        ("/chain AAPL delta=150", "delta must be between 0 and 1"),
        ("/chain AAPL delta=abc", "delta must be a number"),
        ("/chain AAPL 2027-02-30", "or a date like 2027-01-15, not"),
        ("/chain AAPL 2031-01-17", "no options expire on 2031-01-17"),
        ("/chain AAPL strikes=0", "strikes must be between 1 and 60"),
        ("/chain AAPL 30 45", "dte is given twice"),
        ("/chain AAPL 30 2027-01-15", "not both"),
        ("/chain AAPL sideways", "Unknown part 'sideways'"),
        ("/chain", "Usage: /chain SYMBOL"),
        ("/ivrank", "Usage: /ivrank SYMBOL"),
        ("/ivrank NOPE", "Unknown symbol"),
    ],
)
def test_bad_input_gets_one_clear_line(chat: Chat, line: str, words: str) -> None:
    msg = chat.send(line)
    assert msg["kind"] == "error" and words in msg["text"], msg


def test_iv_rank(chat: Chat) -> None:
    msg = chat.send("/ivrank tsla")
    assert msg["kind"] == "iv_rank" and msg["symbol"] == "TSLA", msg
    assert msg["basis"] == "iv" and msg["iv_days"] == 252 and msg["proxy_days"] == 0
    assert msg["low"] <= msg["iv"] <= msg["high"]
    assert msg["rank"] == pytest.approx(
        100 * (msg["iv"] - msg["low"]) / (msg["high"] - msg["low"]), abs=0.01
    )
    assert "rank" in msg["text"] and "percentile" in msg["text"]


def test_plain_language(chat: Chat) -> None:
    chain = chat.send("show me the AAPL option chain")
    assert chain["kind"] == "chain" and chain["symbol"] == "AAPL", chain
    rank = chat.send("what's the IV rank of TSLA")
    assert rank["kind"] == "iv_rank" and rank["symbol"] == "TSLA", rank
    puts = chat.send("NVDA puts 45 days delta 0.3")
    assert puts["kind"] == "chain" and puts["delta"] == 0.3 and abs(puts["dte"] - 45) <= 4
    assert {c["type"] for c in puts["contracts"]} == {"put"}
    # an option trade with no strategy card is never a share order: the chain, no card
    bought = chat.send("buy a call on AAPL, 1 contract")
    assert bought["kind"] == "chain" and "nothing was proposed" in bought["text"], bought
    assert {c["type"] for c in bought["contracts"]} == {"call"}
    assert chat.send("/pending")["items"] == []
    # selling a put is a cash-secured put card (one option leg, never shares)
    sold = chat.send("sell a put on AAPL, 1 contract")
    assert sold["kind"] == "proposal" and sold["proposal"]["strategy"] == "cash_secured_put"
    assert [leg["type"] for leg in sold["proposal"]["legs"]] == ["put"], sold
    assert [c["id"] for c in chat.send("/pending")["items"]] == [sold["proposal"]["id"]]
    assert chat.send("/orders")["orders"] == []
    which = chat.send("show me the option chain")
    assert which["kind"] == "clarify" and "Which symbol" in which["text"]


def test_scan_filters_on_iv_rank_and_analyze_shows_it(chat: Chat) -> None:
    ranks = {s: chat.send(f"/ivrank {s}")["rank"] for s in ("AAPL", "SPY", "KO", "TSLA")}
    cut = sorted(ranks.values())[1] + 0.01  # two below, two at or above
    scan = chat.send(f"/scan AAPL SPY KO TSLA ivrank>{cut}")
    assert scan["kind"] == "scan", scan
    reasons = {r["symbol"]: r["reasons"] for r in scan["filtered"]}
    low = [s for s, r in ranks.items() if r < cut]
    assert len(low) == 2
    for s in low:
        assert any(x.startswith("IV rank") and f"< {cut:g}" in x for x in reasons[s]), reasons
    for s in set(ranks) - set(low):
        assert not any(x.startswith("IV rank") for x in reasons.get(s, [])), reasons
    bad = chat.send("/scan ivrank>200")
    assert bad["kind"] == "error" and "0 to 100" in bad["text"]
    analysis = chat.send("/analyze KO")
    assert analysis["kind"] == "analysis" and analysis["iv_rank"]["symbol"] == "KO", analysis
    assert analysis["iv_rank"]["rank"] == pytest.approx(ranks["KO"], abs=1.0)


def test_help_lists_the_option_commands(chat: Chat) -> None:
    text = chat.send("/help")["text"]
    assert (
        "/chain SYMBOL [DTE|EXPIRY] [calls|puts] [delta=0.2]" in text and "/ivrank SYMBOL" in text
    )
