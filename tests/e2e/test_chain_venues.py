"""`/chain` and `/ivrank` in a real `cotrader chat --json` process whose chains come from the
loopback venues: Alpaca (contracts and snapshots through alpaca-py) and Tastytrade (its
nested chain through the tastytrade SDK, quoted on its DXLink streamer). The venues quote
Black-Scholes prices at a known vol, so our implied vol must find it again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.options.bsm import ET, bsm, year_fraction
from tests.e2e.broker_world import alpaca_vars
from tests.e2e.test_cli_brokers import AsyncChat
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.tastytrade import FakeTastytrade

VOL, RATE, SPOT = 0.30, 0.04, 200.0
STRIKES = [180.0, 185.0, 190.0, 195.0, 200.0, 205.0, 210.0, 215.0, 220.0]
FIELDS = {
    "symbol", "type", "strike", "expiry", "dte", "years", "bid", "ask", "mid", "iv", "delta",
    "gamma", "theta", "vega", "open_interest", "volume",
}  # fmt: skip


def expiries() -> list[date]:
    today = datetime.now(UTC).astimezone(ET).date()
    return [today + timedelta(days=30), today + timedelta(days=58)]


def theo(kind: str, strike: float, expiry: date) -> float:
    t = year_fraction(datetime.now(UTC), expiry)
    return float(bsm(kind, SPOT, strike, t, VOL, RATE, 0.0).price)


def check_contracts(msg: dict[str, object], side: str) -> list[dict[str, object]]:
    contracts = msg["contracts"]
    assert isinstance(contracts, list) and contracts, msg
    for c in contracts:
        assert set(c) >= FIELDS, c
        assert c["type"] == side
    near = [c for c in contracts if abs(c["strike"] - SPOT) <= 10]
    assert near and all(abs(c["iv"] - VOL) < 0.01 for c in near), near  # our IV finds the vol
    return contracts


async def test_alpaca_chain_and_iv_rank_in_the_chat(
    tmp_path: Path, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    alpaca_data.pin_quote("AAPL", bid=SPOT - 0.01, ask=SPOT + 0.01)
    book = alpaca.options
    alpaca_data.options = book
    for e in expiries():
        for k in STRIKES:
            for kind in ("call", "put"):
                p = theo(kind, k, e)
                book.add_contract(
                    "AAPL", e, kind, k, bid=round(p - 0.02, 2), ask=round(p + 0.02, 2),
                    last=round(p, 2), open_interest=500, volume=40, iv=0.2999,
                )  # fmt: skip
    chat = await AsyncChat.open(
        tmp_path / "h", COTRADER_RISK_FREE_RATE=str(RATE), **alpaca_vars(alpaca, alpaca_data)
    )
    assert (await chat.read())["kind"] == "ready"
    msg = await chat.send("/chain AAPL 30 calls")
    assert msg["kind"] == "chain" and msg["ok"], msg
    assert msg["source"] == "alpaca:indicative" and msg["simulated"] is False
    assert msg["expiry"] == expiries()[0].isoformat() and msg["spot"] == pytest.approx(SPOT)
    assert msg["dividend_known"] is False and msg["rate"] == RATE
    contracts = check_contracts(msg, "call")
    assert all(c["venue_iv"] == pytest.approx(0.2999) for c in contracts)  # shown beside ours
    assert all(c["open_interest"] == 500 for c in contracts)
    assert "Alpaca" in msg["venue_note"]

    rank = await chat.send("/ivrank AAPL")
    assert rank["kind"] == "iv_rank" and rank["ok"], rank
    # no IV recorded yet: a year of the 20-day historical-vol proxy, labelled as such
    assert rank["basis"] == "hv_proxy" and rank["iv_days"] == 0 and rank["proxy_days"] > 200
    assert "proxy" in rank["text"] and abs(rank["iv"] - VOL) < 0.01

    nl = await chat.send("buy a put on AAPL, 1 contract")
    assert nl["kind"] == "chain" and all(c["type"] == "put" for c in nl["contracts"]), nl
    assert "nothing was proposed" in nl["text"]
    assert (await chat.send("/pending"))["items"] == []  # no card, no share order
    assert not alpaca.orders
    code, err = await chat.quit()
    assert code == 0 and alpaca.secret_key not in err


async def test_tastytrade_chain_quoted_on_dxlink(tmp_path: Path, tasty: FakeTastytrade) -> None:
    listed = tasty.options.add_chain("AAPL", {e: STRIKES for e in expiries()}, spot=SPOT)
    for c in listed:
        kind = "call" if c.kind == "C" else "put"
        p = theo(kind, c.strike, c.expiry)
        tasty.options.price(
            c, bid=round(p - 0.02, 2), ask=round(p + 0.02, 2), iv=0.31, delta=0.5,
            gamma=0.01, theta=-0.05, vega=0.2, rho=0.1, open_interest=321, volume=12,
        )  # fmt: skip
    chat = await AsyncChat.open(
        tmp_path / "h",
        COTRADER_MODE="paper",
        COTRADER_BROKER="tastytrade",
        COTRADER_RISK_FREE_RATE=str(RATE),
        TT_SECRET=tasty.provider_secret,
        TT_REFRESH=tasty.refresh_token,
        COTRADER_TASTYTRADE_API_BASE=tasty.base_url,
    )
    assert (await chat.read())["kind"] == "ready"
    msg = await chat.send("/chain AAPL puts")
    assert msg["kind"] == "chain" and msg["ok"], msg
    assert msg["source"] == "tastytrade+dxlink" and msg["simulated"] is False
    # the spot is the underlying DXLink quoted with the chain, not the simulated stock price
    assert msg["spot"] == pytest.approx(SPOT)
    contracts = check_contracts(msg, "put")
    assert all(
        c["open_interest"] == 321 and c["venue_iv"] == pytest.approx(0.31) for c in contracts
    )
    assert "dxfeed" in msg["venue_note"]
    bad = await chat.send("/chain AAPL 2030-01-18")
    assert bad["kind"] == "error" and "no options expire on 2030-01-18" in bad["text"], bad
    code, err = await chat.quit()
    assert code == 0 and tasty.refresh_token not in err


async def test_tastytrade_chain_quoted_by_alpaca_option_data(
    tmp_path: Path, tasty: FakeTastytrade, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    """COTRADER_BROKER=tastytrade with Alpaca data: Tastytrade lists the contracts, Alpaca's
    option snapshots quote them (no DXLink connection), and the spot is Alpaca's stock quote."""
    alpaca_data.pin_quote("AAPL", bid=SPOT - 0.01, ask=SPOT + 0.01)
    book = alpaca.options
    alpaca_data.options = book
    listed = tasty.options.add_chain("AAPL", {e: STRIKES for e in expiries()}, spot=SPOT)
    for c in listed:
        kind = "call" if c.kind == "C" else "put"
        p = theo(kind, c.strike, c.expiry)
        book.add_contract(
            "AAPL", c.expiry, kind, c.strike, bid=round(p - 0.02, 2), ask=round(p + 0.02, 2),
            last=round(p, 2), open_interest=777, volume=5, iv=0.2998,
        )  # fmt: skip
    chat = await AsyncChat.open(
        tmp_path / "h",
        COTRADER_MODE="paper",
        COTRADER_BROKER="tastytrade",
        COTRADER_DATA="alpaca",
        COTRADER_RISK_FREE_RATE=str(RATE),
        TT_SECRET=tasty.provider_secret,
        TT_REFRESH=tasty.refresh_token,
        COTRADER_TASTYTRADE_API_BASE=tasty.base_url,
        APCA_API_KEY_ID=alpaca.key_id,
        APCA_API_SECRET_KEY=alpaca.secret_key,
        APCA_API_BASE_URL=alpaca.base_url,
        APCA_API_DATA_URL=alpaca_data.base_url,
    )
    assert (await chat.read())["kind"] == "ready"
    msg = await chat.send("/chain AAPL calls")
    assert msg["kind"] == "chain" and msg["source"] == "tastytrade+alpaca", msg
    contracts = check_contracts(msg, "call")
    assert all(c["open_interest"] == 777 for c in contracts)  # Alpaca's numbers
    assert tasty.options.dxlink.connections == 0
    code, err = await chat.quit()
    assert code == 0 and alpaca.secret_key not in err and tasty.refresh_token not in err
