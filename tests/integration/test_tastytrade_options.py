"""TastytradeOptionChains against the loopback Tastytrade API and its DXLink fake: the real
tastytrade SDK (NestedOptionChain, market metrics, DXLinkStreamer) over real HTTP and a real
websocket. Retry waits go to a recorder; nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta

import numpy as np
import pytest
from loguru import logger

from brokers.base import BrokerError, NoOptionsError, OptionChains, UnknownSymbolError
from brokers.tastytrade import RetryPolicy
from brokers.tastytrade.options import DXLINK_NOTE, TastytradeOptionChains
from models.options import OptionChain, OptionRow, parse_occ
from tests.conftest import Clock
from tests.fakes.tastytrade import FakeTastytrade
from tests.fakes.tastytrade.option_chains import Contract, dead_port_url
from tests.integration import test_tastytrade_broker as broker_tests
from tests.integration.test_tastytrade_broker import REFRESH, SECRET, Sleeps, make

fake, sleeps = broker_tests.fake, broker_tests.sleeps  # the broker tests' fixtures, reused

JUN, JUL = date(2025, 6, 20), date(2025, 7, 18)
GREEKS = {"iv": 0.31, "delta": 0.55, "gamma": 0.04, "theta": -0.05, "vega": 0.12, "rho": 0.02}


def chains(
    fake: FakeTastytrade, sleeps: Sleeps, clock: Clock | None = None, **kw: object
) -> TastytradeOptionChains:
    kw.setdefault("quote_timeout_s", 0.4)
    return TastytradeOptionChains(
        SECRET,
        kw.pop("refresh", REFRESH),  # type: ignore[arg-type]
        api_base=fake.base_url,
        policy=RetryPolicy(attempts=3, base_delay=0.5),
        sleep=sleeps,
        clock=clock,
        timeout=5.0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def oc(fake: FakeTastytrade, sleeps: Sleeps) -> AsyncIterator[TastytradeOptionChains]:
    c = chains(fake, sleeps)
    yield c
    await c.close()


def quote_all(fake: FakeTastytrade, contracts: Sequence[Contract], skip: int = -1) -> None:
    """Seed every contract (but index `skip`) with a distinct quote and its greeks."""
    for i, c in enumerate(contracts):
        if i != skip:
            fake.options.price(
                c, bid=1.0 + i, ask=1.2 + i, open_interest=100 + i, volume=10 + i,
                last=1.1 + i, **GREEKS,
            )  # fmt: skip


def at(chain: OptionChain, symbol: str) -> int:
    return chain.symbols.index(symbol)


def nested_calls(fake: FakeTastytrade, symbol: str) -> int:
    return len(fake.calls(f"^/option-chains/{symbol}/nested$"))


class AlpacaLike:
    """An OptionQuotes source (as Alpaca's option data would be), no network."""

    def __init__(self, rows: dict[str, OptionRow]) -> None:
        self.rows = rows
        self.asked: list[list[str]] = []

    async def option_quotes(self, symbols: Sequence[str]) -> dict[str, OptionRow]:
        self.asked.append(list(symbols))
        return {s: self.rows[s] for s in symbols if s in self.rows}


# ---------------------------------------------------------------- expiries and caching
async def test_expiries_from_the_nested_chain_cached_for_a_few_minutes(
    fake: FakeTastytrade, sleeps: Sleeps, clock: Clock
) -> None:
    fake.options.add_chain("AAPL", {JUL: [100], JUN: [100, 105]})
    oc = chains(fake, sleeps, clock)
    assert isinstance(oc, OptionChains)
    assert await oc.option_expiries("aapl") == [JUN, JUL]
    assert await oc.option_expiries("AAPL") == [JUN, JUL]
    assert nested_calls(fake, "AAPL") == 1  # cached
    clock.advance(minutes=6)
    fake.options.add_chain("AAPL", {date(2025, 8, 15): [110]})
    assert await oc.option_expiries("AAPL") == [JUN, JUL, date(2025, 8, 15)]
    assert nested_calls(fake, "AAPL") == 2
    await oc.close()


async def test_non_standard_chains_are_left_out(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    fake.options.add_chain("AAPL", {JUN: [100]})
    fake.options.add_chain("AAPL", {JUL: [50]}, root="AAPL1", chain_type="Non-standard")
    assert await oc.option_expiries("AAPL") == [JUN]


# ---------------------------------------------------------------- the chain from DXLink
async def test_chain_maps_dxlink_quotes_greeks_open_interest_and_volume(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    listed = fake.options.add_chain("AAPL", {JUN: [100, 105], JUL: [100]}, spot=102.5)
    quote_all(fake, listed)
    fake.options.dividend_yield["AAPL"] = 0.0044
    chain = await oc.option_chain("AAPL", [JUN])
    assert chain.spot == pytest.approx(102.5)  # the underlying, quoted on the same connection

    assert chain.source == oc.option_source == "tastytrade+dxlink" and not chain.simulated
    assert chain.symbols == [
        "AAPL250620C00100000",
        "AAPL250620C00105000",
        "AAPL250620P00100000",
        "AAPL250620P00105000",
    ]
    assert chain.expiries() == [JUN] and chain.is_call.tolist() == [True, True, False, False]
    assert chain.strike.tolist() == [100.0, 105.0, 100.0, 105.0]
    p105 = at(chain, "AAPL250620P00105000")  # listed[3]: the 4th seeded contract
    assert (chain.bid[p105], chain.ask[p105], chain.last[p105]) == (4.0, 4.2, 4.1)
    assert (chain.open_interest[p105], chain.volume[p105]) == (103.0, 13.0)
    for name, value in GREEKS.items():
        assert chain.venue_greeks[name].tolist() == [value] * 4
    assert chain.venue_note == DXLINK_NOTE and "dxfeed" in chain.venue_note
    assert chain.dividend == pytest.approx(0.0044)

    dx = fake.options.dxlink
    subscribed = {s for kind, s in dx.subscribed if kind == "Quote"}
    assert subscribed == {c.streamer for c in listed if c.expiry == JUN} | {"AAPL"}
    assert {kind for kind, _ in dx.subscribed} == {"Quote", "Greeks", "Summary", "Trade"}
    assert len(dx.cancelled) == 4 and dx.connections == 1  # channels cancelled, one connection
    for _ in range(50):
        if dx.closed == 1:
            break
        await asyncio.sleep(0.01)
    assert dx.closed == 1


async def test_padded_roots_are_normalised_ford_and_six_letters(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    ford = fake.options.add_chain("F", {JUN: [12.5]})
    six = fake.options.add_chain("ABCDEF", {JUN: [7]})
    assert ford[0].occ == "F     250620C00012500" and ford[0].streamer == ".F250620C12.5"
    assert six[1].occ == "ABCDEF250620P00007000"
    quote_all(fake, ford)
    quote_all(fake, six)

    f = await oc.option_chain("F", [JUN])
    assert f.symbols == ["F250620C00012500", "F250620P00012500"]
    assert parse_occ(f.symbols[0]) == ("F", JUN, "call", 12.5)
    assert f.bid.tolist() == [1.0, 2.0] and f.ask.tolist() == [1.2, 2.2]
    s = await oc.option_chain("abcdef", [JUN])
    assert s.underlying == "ABCDEF"
    assert s.symbols == ["ABCDEF250620C00007000", "ABCDEF250620P00007000"]
    assert s.bid.tolist() == [1.0, 2.0]


async def test_a_contract_that_never_quotes_has_nan_not_a_price(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    listed = fake.options.add_chain("AAPL", {JUN: [100, 105]})
    quote_all(fake, listed, skip=1)  # the put at 100 gets nothing at all
    chain = await oc.option_chain("AAPL", [JUN])
    silent = at(chain, "AAPL250620P00100000")
    for column in (chain.bid, chain.ask, chain.last, chain.open_interest, chain.volume):
        assert math.isnan(column[silent])
    assert all(math.isnan(v[silent]) for v in chain.venue_greeks.values())
    others = [i for i in range(len(chain)) if i != silent]
    assert not np.isnan(chain.bid[others]).any() and not np.isnan(chain.ask[others]).any()


async def test_malformed_events_are_skipped(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    listed = fake.options.add_chain("AAPL", {JUN: [100]})
    quote_all(fake, listed)
    dx = fake.options.dxlink
    dx.malformed["Quote"] = [
        ["only", "three", "values"],  # not a whole event: the SDK raises, we skip it
        [listed[1].streamer, 0, 0, 0, 0, "Q", 0, "Q", "not-a-price", 9.9, 1, 1],
    ]
    dx.malformed["Greeks"] = [[listed[0].streamer, "x"]]
    dx.unknown_channel_data = True
    chain = await oc.option_chain("AAPL", [JUN])
    assert chain.bid.tolist() == [1.0, 2.0] and chain.ask.tolist() == [1.2, 2.2]
    assert chain.venue_greeks["delta"].tolist() == [0.55, 0.55]
    assert oc.skipped and "malformed DXLink" in oc.skipped[-1]


# ---------------------------------------------------------------- quotes from elsewhere
async def test_quotes_from_an_injected_source_and_no_dxlink_connection(
    fake: FakeTastytrade, sleeps: Sleeps
) -> None:
    listed = fake.options.add_chain("F", {JUN: [12.5, 13]})
    quote_all(fake, listed)  # DXLink would answer: it must not be asked
    src = AlpacaLike(
        {
            "F250620C00012500": OptionRow(
                "F250620C00012500", "call", 12.5, JUN, bid=0.5, ask=0.6, iv=0.4, delta=0.6
            ),
            "F250620P00013000": OptionRow("F250620P00013000", "put", 13, JUN, bid=0.8, ask=0.9),
        }
    )
    oc = chains(fake, sleeps, quotes=src)
    assert oc.option_source == "tastytrade+alpaca"
    chain = await oc.option_chain("F", [JUN])
    assert chain.source == "tastytrade+alpaca"
    assert sorted(src.asked[0]) == sorted(chain.symbols)
    assert all(" " not in s for s in src.asked[0])  # unpadded symbols asked
    c125 = at(chain, "F250620C00012500")
    assert (chain.bid[c125], chain.ask[c125]) == (0.5, 0.6)
    assert chain.venue_greeks["delta"][c125] == 0.6
    assert math.isnan(chain.bid[at(chain, "F250620C00013000")])  # the source had nothing
    assert "alpaca" in (chain.venue_note or "")
    assert fake.options.dxlink.connections == 0 and not fake.calls("/api-quote-tokens")
    await oc.close()


async def test_shares_the_brokers_session(fake: FakeTastytrade, sleeps: Sleeps) -> None:
    listed = fake.options.add_chain("AAPL", {JUN: [100]})
    quote_all(fake, listed)
    broker = make(fake, sleeps)
    await broker.account()
    oc = TastytradeOptionChains.for_broker(broker, quote_timeout_s=0.4)
    assert len(await oc.option_chain("AAPL", [JUN])) == 2
    await oc.close()  # not the broker's session: still usable
    await broker.account()
    assert len(fake.calls("/oauth/token", "POST")) == 1
    await broker.close()


# ---------------------------------------------------------------- unknown symbols
async def test_unknown_underlying_and_no_options(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    fake.options.add_chain("AAPL", {JUN: [100]})
    fake.options.list_empty("BRK.C")
    with pytest.raises(UnknownSymbolError):
        await oc.option_expiries("ZZZZ")  # 404
    with pytest.raises(UnknownSymbolError):
        await oc.option_chain("not a $ymbol", [JUN])
    assert not fake.calls("not a")  # refused before any request
    with pytest.raises(NoOptionsError, match=r"no options for BRK\.C"):
        await oc.option_expiries("BRK.C")
    with pytest.raises(NoOptionsError, match="2025-07-18"):
        await oc.option_chain("AAPL", [JUL])
    assert fake.options.dxlink.connections == 0
    assert nested_calls(fake, "ZZZZ") == 1  # a 404 is not retried


# ---------------------------------------------------------------- failures and secrets
def secrets(fake: FakeTastytrade) -> list[str]:
    return [SECRET, REFRESH, *fake.tokens_issued, *fake.options.quote_tokens]


async def test_bad_dxlink_token_is_a_broker_error_naming_the_streamer(
    fake: FakeTastytrade, oc: TastytradeOptionChains
) -> None:
    quote_all(fake, fake.options.add_chain("AAPL", {JUN: [100]}))
    fake.options.dxlink.refuse_auth = True
    sink, std = io.StringIO(), io.StringIO()
    handler = logger.add(sink, level="DEBUG")
    std_handler = logging.StreamHandler(std)
    logging.getLogger().addHandler(std_handler)
    try:
        with pytest.raises(BrokerError, match="DXLink streamer") as err:
            await oc.option_chain("AAPL", [JUN])
    finally:
        logger.remove(handler)
        logging.getLogger().removeHandler(std_handler)
    assert "login refused" in str(err.value)
    assert fake.options.quote_tokens  # a token was issued, and refused
    for s in secrets(fake):
        assert s not in str(err.value) and s not in sink.getvalue() and s not in repr(oc)
    auths = [m for m in fake.options.dxlink.messages if m.get("type") == "AUTH"]
    assert auths and all(m["token"] == "***" for m in auths)


async def test_dxlink_connection_refused(fake: FakeTastytrade, oc: TastytradeOptionChains) -> None:
    quote_all(fake, fake.options.add_chain("AAPL", {JUN: [100]}))
    fake.options.dxlink_url = dead_port_url()
    with pytest.raises(BrokerError, match="DXLink streamer: connection refused") as err:
        await oc.option_chain("AAPL", [JUN])
    assert all(s not in str(err.value) for s in secrets(fake))


async def test_transport_failures_retry_then_give_a_clean_error(
    fake: FakeTastytrade, sleeps: Sleeps, oc: TastytradeOptionChains
) -> None:
    quote_all(fake, fake.options.add_chain("AAPL", {JUN: [100]}))
    fake.fail_next("/option-chains/", 503)
    assert await oc.option_expiries("AAPL") == [JUN]  # retried once
    assert len(sleeps.waits) == 1
    oc2 = TastytradeOptionChains.from_transport(oc._t, quote_timeout_s=0.4)  # no cache
    fake.fail_next("/option-chains/", 500, times=5, body={"error": {"message": SECRET}})
    with pytest.raises(BrokerError, match="option chain failed: HTTP 500") as err:
        await oc2.option_expiries("AAPL")
    assert all(s not in str(err.value) for s in secrets(fake))
    fake.fail_next("/api-quote-tokens", 500, times=5)
    with pytest.raises(BrokerError, match="DXLink quote token failed"):
        await oc.option_chain("AAPL", [JUN])
    assert fake.options.dxlink.connections == 0


async def test_bad_login_and_missing_metrics(fake: FakeTastytrade, sleeps: Sleeps) -> None:
    bad = chains(fake, sleeps, refresh="wrong-refresh-token-zzzz")
    with pytest.raises(BrokerError, match="login failed") as err:
        await bad.option_expiries("AAPL")
    assert "wrong-refresh-token-zzzz" not in str(err.value) and SECRET not in str(err.value)
    await bad.close()
    quote_all(fake, fake.options.add_chain("AAPL", {JUN + timedelta(days=7): [100]}))
    fake.options.serve_metrics = False
    oc = chains(fake, sleeps)
    chain = await oc.option_chain("AAPL", [JUN + timedelta(days=7)])
    assert chain.dividend is None and len(chain) == 2
    await oc.close()
