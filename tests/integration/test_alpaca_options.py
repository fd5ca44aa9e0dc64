"""AlpacaOptionChains against the loopback Alpaca trading and data APIs: real alpaca-py,
real HTTP, one option universe (OptionBook) served by both fakes.

Time is virtual as in test_alpaca_data: backoff and pacing go to a recorder, never sleep.
"""

from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import numpy as np
import pytest
from loguru import logger

from brokers.alpaca.options import VENUE_NOTE, AlpacaOptionChains
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.transport import RetryPolicy
from brokers.base import (
    BadDataLog,
    BrokerError,
    NoOptionsError,
    OptionChains,
    OptionQuotes,
    UnknownSymbolError,
)
from tests.conftest import Clock
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.options_server import OptionBook
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.integration.test_alpaca_data import FRIDAY_5PM_ET, Virtual

TODAY = date(2026, 11, 20)  # FRIDAY_5PM_ET in New York
EXPIRIES = [date(2026, 11, 27), date(2026, 12, 18), date(2027, 1, 15)]
STRIKES = [170.0, 175.0, 180.0, 185.0, 190.0, 195.0, 200.0, 205.0, 210.0, 212.5]
CHAIN = "/v1beta1/options/snapshots/AAPL"
CONTRACTS = "/v2/options/contracts"


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_5PM_ET)


@pytest.fixture
def virtual() -> Virtual:
    return Virtual()


@pytest.fixture
async def venue(clock: Clock) -> AsyncIterator[tuple[FakeAlpacaTrading, FakeAlpacaData]]:
    wall = {"wall": lambda: clock().timestamp()}
    trading, data = FakeAlpacaTrading(**wall), FakeAlpacaData(**wall)
    data.options = trading.options
    await trading.start()
    await data.start()
    yield trading, data
    await data.stop()
    await trading.stop()


@pytest.fixture
def book(venue: tuple[FakeAlpacaTrading, FakeAlpacaData]) -> OptionBook:
    return venue[0].options


def make_options(
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData], clock: Clock, virtual: Virtual, **kw: Any
) -> AlpacaOptionChains:
    trading, data = venue
    kw.setdefault("limiter", RateLimiter(clock=virtual.now))
    kw.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5))
    return AlpacaOptionChains(
        kw.pop("key", trading.key_id),
        kw.pop("secret", trading.secret_key),
        trading_url_override=trading.base_url,
        data_url_override=data.base_url,
        clock=clock,
        sleep=virtual.sleep,
        thread_sleep=virtual.thread_sleep,
        **kw,
    )


@pytest.fixture
def options(
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData], clock: Clock, virtual: Virtual
) -> Iterator[AlpacaOptionChains]:
    o = make_options(venue, clock, virtual)
    yield o
    o.close()


def at(chain: Any, symbol: str) -> int:
    return chain.symbols.index(symbol)


# ---------------------------------------------------------------- paging and expiries


async def test_pages_through_contracts_and_snapshots_every_contract_once(
    options: AlpacaOptionChains, venue: tuple[FakeAlpacaTrading, FakeAlpacaData], book: OptionBook
) -> None:
    assert isinstance(options, OptionChains) and isinstance(options, OptionQuotes)
    assert isinstance(options, BadDataLog)
    symbols = book.add_chain("AAPL", EXPIRIES, STRIKES, spot=190.0)
    book.contract_page_size, book.snapshot_page_size = 7, 6
    chain = await options.option_chain("aapl", EXPIRIES)
    assert len(chain) == 60 == len(set(chain.symbols)) and set(chain.symbols) == set(symbols)
    assert not np.isnan(chain.bid).any(), "every contract got its own quote"
    trading, data = venue
    calls = trading.calls(CONTRACTS)
    assert len(calls) == 9, "60 contracts, 7 a page"
    assert [("page_token" in c.query) for c in calls] == [False] + [True] * 8
    assert {c.query["limit"] for c in calls} == {"10000"}
    q = calls[0].query
    assert (q["underlying_symbols"], q["status"]) == ("AAPL", "active")
    assert (q["expiration_date_gte"], q["expiration_date_lte"]) == ("2026-11-27", "2027-01-15")
    snaps = data.calls(CHAIN)
    assert len(snaps) == 3 * 4, "20 snapshots per expiry, 6 a page, one request per expiry"
    assert sum("page_token" in c.query for c in snaps) == 3 * 3
    assert {c.query["expiration_date"] for c in snaps} == {d.isoformat() for d in EXPIRIES}
    assert {c.query["feed"] for c in snaps} == {"indicative"}
    assert options.limiter.granted == len(trading.requests) + len(data.requests)


async def test_expiries_are_listed_a_year_ahead_never_the_default_weekend(
    options: AlpacaOptionChains, venue: tuple[FakeAlpacaTrading, FakeAlpacaData], book: OptionBook
) -> None:
    listed = [TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=91), date(2027, 12, 17)]
    for d in [*listed, TODAY - timedelta(days=1), date(2028, 6, 16)]:
        book.add_contract("SPY", d, "call", 600.0)
        book.add_contract("SPY", d, "put", 600.0)
    book.contract_page_size = 3
    assert await options.option_expiries("SPY") == listed
    calls = venue[0].calls(CONTRACTS)
    assert len(calls) == 3
    for c in calls:
        assert c.query["expiration_date_gte"] == "2026-11-20"
        assert c.query["expiration_date_lte"] == (TODAY + timedelta(days=400)).isoformat()
    # what the adapter avoids: without an upper bound Alpaca lists up to the next weekend
    trading, book.contract_page_size = venue[0], None
    auth = {"APCA-API-KEY-ID": trading.key_id, "APCA-API-SECRET-KEY": trading.secret_key}
    async with (
        aiohttp.ClientSession(trading.base_url, headers=auth) as http,
        http.get(CONTRACTS, params={"underlying_symbols": "SPY"}) as r,
    ):
        body = await r.json()
    days = {c["expiration_date"] for c in body["option_contracts"]}
    assert days == {"2026-11-19", "2026-11-20"} and body["next_page_token"] is None


# ---------------------------------------------------------------- field mapping


async def test_chain_fields_are_mapped(
    options: AlpacaOptionChains, book: OptionBook, clock: Clock
) -> None:
    exp = EXPIRIES[1]
    greeks = {"delta": 0.52, "gamma": 0.031, "theta": -0.12, "vega": 0.21, "rho": 0.04}
    call = book.add_contract(
        "AAPL", exp, "call", 190.0, bid=4.1, ask=4.3, last=4.25,
        open_interest=1234, volume=567, iv=0.287, greeks=greeks,
    )  # fmt: skip
    put = book.add_contract("AAPL", exp, "put", 187.5, bid=3.0, ask=3.2, last=3.1, iv=0.3)
    chain = await options.option_chain("AAPL", [exp])
    assert chain.symbols == [call, put] == ["AAPL261218C00190000", "AAPL261218P00187500"]
    i = at(chain, call)
    assert (chain.bid[i], chain.ask[i], chain.last[i]) == (4.1, 4.3, 4.25)
    assert (chain.open_interest[i], chain.volume[i]) == (1234.0, 567.0)
    assert chain.venue_greeks["iv"][i] == 0.287
    assert {k: chain.venue_greeks[k][i] for k in greeks} == greeks
    j = at(chain, put)
    assert chain.strike[j] == 187.5 and not chain.is_call[j] and chain.is_call[i]
    assert math.isnan(chain.volume[j]), "no dailyBar: volume unknown, not zero"
    assert math.isnan(chain.venue_greeks["delta"][j]) and chain.venue_greeks["iv"][j] == 0.3
    assert chain.expiries() == [exp]
    assert (chain.source, chain.simulated, chain.dividend) == ("alpaca:indicative", False, None)
    assert chain.venue_note == VENUE_NOTE and "Alpaca" in VENUE_NOTE
    assert chain.as_of == clock() and options.option_source == "alpaca:indicative"


async def test_a_contract_without_a_quote_is_nan_never_zero(
    options: AlpacaOptionChains, book: OptionBook
) -> None:
    exp = EXPIRIES[0]
    no_quote = book.add_contract("AAPL", exp, "call", 250.0, quote=False, last=None, iv=None)
    no_snap = book.add_contract("AAPL", exp, "call", 260.0, snapshot=False, open_interest=7)
    no_bid = book.add_contract("AAPL", exp, "put", 100.0, bid=None, ask=0.05, last=None)
    chain = await options.option_chain("AAPL", [exp])
    for sym in (no_quote, no_snap):
        i = at(chain, sym)
        assert math.isnan(chain.bid[i]) and math.isnan(chain.ask[i]) and math.isnan(chain.last[i])
    assert chain.open_interest[at(chain, no_snap)] == 7.0, "listed: open interest still known"
    k = at(chain, no_bid)
    assert chain.bid[k] == 0.0 and chain.ask[k] == 0.05, "Alpaca's zero bid: nobody bids"
    assert options.bad_data() == []


async def test_padded_and_unpadded_symbols_and_batched_quotes(
    options: AlpacaOptionChains, venue: tuple[FakeAlpacaTrading, FakeAlpacaData], book: OptionBook
) -> None:
    symbols = book.add_chain("AAPL", EXPIRIES[:2], STRIKES, spot=190.0)
    many = [f"AAPL{d:%y%m%d}C{s * 1000:08d}" for d in EXPIRIES for s in range(100, 150)]
    padded = "AAPL  261218C00190000"
    asked = [padded, "aapl261127p00212500", "not an option", *many, *symbols]
    got = await options.option_quotes(asked)
    assert set(got) == set(symbols), "unknown contracts and garbage are absent"
    row = got["AAPL261218C00190000"]
    assert (row.type, row.strike, row.expiry) == ("call", 190.0, date(2026, 12, 18))
    assert row.bid is not None and row.ask is not None and row.bid < row.ask
    assert (
        row.delta is not None and row.iv is not None and row.open_interest == 1190
    )  # from the contracts endpoint
    calls = venue[1].calls("/v1beta1/options/snapshots$")
    sizes = sorted(len(c.query["symbols"].split(",")) for c in calls)
    assert sizes == [90, 100] and all(c.query["feed"] == "indicative" for c in calls)
    assert all(" " not in c.query["symbols"] for c in calls), "sent unpadded"
    assert await options.option_quotes([]) == {}
    silent = book.add_contract("AAPL", EXPIRIES[0], "call", 300.0, quote=False, last=None, iv=None)
    assert await options.option_quotes([silent]) == {}, "nothing quoted: absent"


async def test_adjusted_contracts_are_left_out(
    options: AlpacaOptionChains, book: OptionBook
) -> None:
    exp = EXPIRIES[0]
    good = book.add_contract("AAPL", exp, "call", 190.0)
    book.add_contract("AAPL", exp, "call", 190.0, root="AAPL1")  # after a corporate action
    chain = await options.option_chain("AAPL", [exp])
    assert chain.symbols == [good] and options.bad_data() == []


# ---------------------------------------------------------------- failures


async def test_429_is_retried_after_the_venues_wait(
    options: AlpacaOptionChains,
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData],
    book: OptionBook,
    virtual: Virtual,
) -> None:
    book.add_chain("AAPL", EXPIRIES[:1], STRIKES, spot=190.0)
    trading, data = venue
    trading.fail_next(CONTRACTS, 429, retry_after=3)
    data.fail_next(CHAIN, 429, retry_after=5)
    chain = await options.option_chain("AAPL", EXPIRIES[:1])
    assert len(chain) == 20
    assert sorted(virtual.sleeps) == [3.0, 5.0]
    assert [r.status for r in trading.calls(CONTRACTS)] == [429, 200]
    assert [r.status for r in data.calls(CHAIN)] == [429, 200]


async def test_5xx_is_retried_then_a_clear_broker_error(
    options: AlpacaOptionChains,
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData],
    book: OptionBook,
    virtual: Virtual,
) -> None:
    book.add_chain("AAPL", EXPIRIES[:1], STRIKES, spot=190.0)
    trading, data = venue
    trading.fail_next(CONTRACTS, 502, times=2)
    data.fail_next(CHAIN, 503, times=4)  # every attempt the policy allows
    with pytest.raises(BrokerError, match=r"option quotes of AAPL.*HTTP 503.*after 4 attempts"):
        await options.option_chain("AAPL", EXPIRIES[:1])
    assert [r.status for r in trading.calls(CONTRACTS)] == [502, 502, 200]
    assert len(data.calls(CHAIN)) == 4 and len(virtual.sleeps) == 2 + 3
    data.malformed_next(CHAIN)
    with pytest.raises(BrokerError, match="malformed reply"):
        await options.option_chain("AAPL", EXPIRIES[:1])


async def test_unknown_underlying(
    options: AlpacaOptionChains, venue: tuple[FakeAlpacaTrading, FakeAlpacaData], book: OptionBook
) -> None:
    with pytest.raises(UnknownSymbolError, match="ZZZZ"):
        await options.option_expiries("ZZZZ")
    with pytest.raises(UnknownSymbolError):
        await options.option_chain("zzzz", EXPIRIES)
    before = len(venue[0].requests)
    with pytest.raises(UnknownSymbolError):
        await options.option_expiries("bad$sym")  # refused before any request
    assert len(venue[0].requests) == before
    assert [r.status for r in venue[0].calls(CONTRACTS)] == [422, 422], "4xx: no retry"


async def test_no_listed_options(options: AlpacaOptionChains, book: OptionBook) -> None:
    book.add_underlying("KO")
    with pytest.raises(NoOptionsError, match="no options on KO"):
        await options.option_expiries("KO")
    book.add_contract("KO", EXPIRIES[2], "call", 60.0)
    with pytest.raises(NoOptionsError, match="2026-11-27"):
        await options.option_chain("KO", EXPIRIES[:2])
    with pytest.raises(NoOptionsError):
        await options.option_chain("KO", [])
    book.unknown_status = None  # a venue that lists nothing for an unknown name
    with pytest.raises(NoOptionsError):
        await options.option_expiries("QQQQ")


async def test_malformed_rows_are_skipped_and_reported(
    options: AlpacaOptionChains, book: OptionBook
) -> None:
    exp = EXPIRIES[0]
    good = book.add_contract("AAPL", exp, "call", 190.0, bid=2.0, ask=2.2)
    odd = book.add_contract("AAPL", exp, "put", 190.0, bid=2.0, ask=2.2)
    book.inject_contract("AAPL", {"symbol": "AAPL261127C0019", "type": "call"})
    bad_strike = dict(book.contracts["AAPL"][0], symbol="AAPL261127C00195000")
    book.inject_contract("AAPL", {**bad_strike, "strike_price": "one ninety-five"})
    book.inject_snapshot("AAPL", "AAPL26112XC0019", {"latestQuote": {"bp": 1, "ap": 2}})
    book.inject_snapshot("AAPL", odd, {"latestQuote": {"bp": "abc", "ap": 2.2, "t": "now"}})
    chain = await options.option_chain("AAPL", [exp])
    assert chain.symbols == [good, odd]
    assert chain.bid[0] == 2.0 and math.isnan(chain.bid[1]), "a bad quote is not guessed"
    lines = options.bad_data()
    assert len(lines) == 4 == options.skipped
    assert lines == [
        "option contract AAPL261127C0019: unreadable contract symbol",
        "option contract AAPL261127C00195000: field 'strike_price' is not a number",
        f"option quote {odd}: field 'bp' is not a number",
        "option quote AAPL26112XC0019: unreadable option symbol",
    ]


async def test_feed_is_configurable(
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData],
    book: OptionBook,
    clock: Clock,
    virtual: Virtual,
) -> None:
    book.add_chain("AAPL", EXPIRIES[:1], STRIKES[:2])
    opra = make_options(venue, clock, virtual, feed="opra")
    try:
        book.allowed_feeds = {"indicative"}
        with pytest.raises(BrokerError, match=r"HTTP 403.*the feed \(opra\)"):
            await opra.option_chain("AAPL", EXPIRIES[:1])
        book.allowed_feeds = {"indicative", "opra"}
        assert (await opra.option_chain("AAPL", EXPIRIES[:1])).source == "alpaca:opra"
    finally:
        opra.close()
    assert venue[1].calls(CHAIN)[-1].query["feed"] == "opra"
    with pytest.raises(BrokerError, match="unknown Alpaca options feed"):
        make_options(venue, clock, virtual, feed="sip")
    with pytest.raises(BrokerError, match="APCA_API_KEY_ID"):
        AlpacaOptionChains("", "x")


async def test_secrets_never_appear_in_errors_or_logs(
    venue: tuple[FakeAlpacaTrading, FakeAlpacaData],
    book: OptionBook,
    clock: Clock,
    virtual: Virtual,
) -> None:
    trading, data = venue
    book.add_chain("AAPL", EXPIRIES[:1], STRIKES[:2])
    key, secret = trading.key_id, trading.secret_key
    echo = {"message": f"bad request from key {key} with secret {secret}: invalid symbol"}
    sink = io.StringIO()
    handle = logger.add(sink, level="DEBUG")
    wrong = "wrong-option-secret-987654"
    good = make_options(venue, clock, virtual)
    bad = make_options(venue, clock, virtual, secret=wrong)
    errors: list[BaseException] = []
    try:
        trading.echo_keys = data.echo_keys = True
        faults = [(trading, CONTRACTS, 500, 4), (data, CHAIN, 503, 4), (trading, CONTRACTS, 422, 1)]
        for server, path, status, times in faults:  # exactly the attempts each one takes
            server.fail_next(path, status, times=times, body=echo)
            with pytest.raises(BrokerError) as e:
                await good.option_chain("AAPL", EXPIRIES[:1])
            errors.append(e.value)
        data.fail_next("/v1beta1/options/snapshots$", 500, times=4, body=echo)
        with pytest.raises(BrokerError) as e:
            await good.option_quotes(["AAPL261127C00170000"])
        errors.append(e.value)
        with pytest.raises(BrokerError) as e:
            await bad.option_expiries("AAPL")
        errors.append(e.value)
    finally:
        logger.remove(handle)
        good.close()
        bad.close()
    assert isinstance(errors[2], UnknownSymbolError)
    assert "HTTP 403" in str(errors[-1]) and "APCA_API_SECRET_KEY" in str(errors[-1])
    assert "***" in str(errors[0]), "the echoed key was scrubbed, the rest of the text kept"
    shown = " ".join([*map(str, errors), *map(repr, errors), sink.getvalue(), repr(good)])
    assert "retry 1" in sink.getvalue()
    for s in (key, secret, wrong):
        assert s not in shown
    every = [*trading.requests, *data.requests]
    assert {r.headers["APCA-API-SECRET-KEY"] for r in every} == {"***"}
