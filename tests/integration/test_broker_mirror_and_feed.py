"""The venue mirror (one account row per broker account, ever), the order feed (never rolls
the books back, never books a stranger's order) and the broker settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build
from bot.settings import SettingsError, load_settings
from models.domain import (
    Account,
    Actor,
    BrokerOrder,
    BrokerPosition,
    OrderStatus,
    OrderType,
    Side,
)
from models.store import Store

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def acct(n: str = "PA0001", equity: float = 100_000.0) -> Account:
    return Account(account_id=n, cash=equity / 2, equity=equity, buying_power=equity)


def store_at(url: str) -> Store:
    s = Store(url)
    s.upgrade()
    return s


def test_sync_never_duplicates_an_account_even_from_two_instances(db_url: str) -> None:
    one, two = store_at(db_url), store_at(db_url)  # two processes on one database
    pos = [BrokerPosition(symbol="AAPL", quantity=10, avg_price=190.0)]
    first = one.brokers.sync("alpaca", "paper", acct(), pos, NOW)
    again = two.brokers.sync("alpaca", "paper", acct(equity=99_000.0), [], NOW)
    other = one.brokers.sync("alpaca", "paper", acct("PA0002"), pos, NOW)
    rows = one.brokers.accounts()
    assert [(r.id, r.account_id) for r in rows] == [(first.id, "PA0001"), (other.id, "PA0002")]
    assert again.id == first.id and rows[0].equity == 99_000.0
    assert one.brokers.holdings(first.id or 0) == []  # the venue's word replaced, not merged
    assert [h.symbol for h in one.brokers.holdings(other.id or 0)] == ["AAPL"]
    one.dispose()
    two.dispose()


def test_instances_syncing_at_the_same_moment_leave_one_account(db_url: str) -> None:
    """Eight instances see the same new venue account at once: one row, one set of
    holdings (the last sync's), and no instance gets an error."""
    stores = [store_at(db_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def sync(i: int) -> None:
        pos = [BrokerPosition(symbol=f"S{i}", quantity=i + 1, avg_price=10.0)]
        barrier.wait()
        try:
            stores[i].brokers.sync("alpaca", "paper", acct(equity=100_000.0 + i), pos, NOW)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=sync, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    rows = stores[0].brokers.accounts()
    assert len(rows) == 1
    held = stores[0].brokers.holdings(rows[0].id or 0)
    assert len(held) == 1 and rows[0].equity == 100_000.0 + int(held[0].symbol[1:])
    for s in stores:
        s.dispose()


def order(cid: str, status: OrderStatus, filled: int, qty: int = 10) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id="b-" + cid,
        client_order_id=cid,
        symbol="AAPL",
        side=Side.BUY,
        quantity=qty,
        order_type=OrderType.MARKET,
        limit_price=None,
        stop_price=None,
        status=status,
        filled_quantity=filled,
        avg_fill_price=None,
        submitted_at=NOW,
    )


async def test_the_feed_ignores_late_updates_and_strangers(
    make_app: Callable[..., App], trader: Actor, db_url: str
) -> None:
    app = make_app(database_url=db_url)
    o = app.orchestrator
    card = await o.approve((await o.propose("AAPL", "buy", 5, trader)).id, trader)
    assert card.status == "filled"
    row = app.store.ledger.order(card.id)
    assert row is not None and row.filled_quantity == 5
    await o.venue.feed.on_order(order(card.id, OrderStatus.NEW, 0, qty=5))  # an old "new" event
    await o.venue.feed.on_order(order(card.id, OrderStatus.CANCELED, 5, qty=5))  # after it finished
    again = app.store.ledger.order(card.id)
    assert again is not None and (again.status, again.filled_quantity) == ("filled", 5)
    assert o.proposal(card.id).status == "filled"
    await o.venue.feed.on_order(order("someone-else", OrderStatus.FILLED, 10))
    assert app.store.ledger.order("someone-else") is None
    assert o.venue.feed.booked == 0 and o.venue.feed.unknown == 1
    assert app.store.events.recent(1, "order.unknown")[0].order_id == "someone-else"


def test_prices_follow_the_broker_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().data_source == "sim"
    assert load_settings(mode="paper", broker="alpaca").data_source == "alpaca"
    assert load_settings(mode="paper", broker="tastytrade").data_source == "sim"
    monkeypatch.setenv("APCA_API_KEY_ID", "k")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "s")
    assert load_settings(mode="paper", broker="tastytrade").data_source == "alpaca"
    assert load_settings(mode="paper", broker="tastytrade", data="sim").data_source == "sim"


def test_live_never_runs_on_simulated_prices() -> None:
    with pytest.raises(SettingsError) as e:
        load_settings(mode="live", armed=True, broker="tastytrade")
    assert any("never trades on simulated prices" in line for line in e.value.lines)


def test_each_mode_and_broker_has_its_own_database() -> None:
    urls = {
        load_settings().db_url,
        load_settings(mode="paper", broker="alpaca").db_url,
        load_settings(mode="paper", broker="tastytrade").db_url,
        load_settings(mode="live", armed=True, broker="alpaca").db_url,
    }
    assert len(urls) == 4


def test_endpoint_overrides_must_be_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_BASE_URL", "localhost:1234")
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert e.value.lines[0].startswith("APCA_API_BASE_URL: must be an http(s) URL")


@pytest.mark.parametrize(
    ("broker", "missing"),
    [("alpaca", ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"]), ("tastytrade", ["TT_SECRET"])],
)
def test_missing_broker_credentials_are_named_before_anything_is_created(
    broker: str, missing: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TT_REFRESH", "r")
    with pytest.raises(SettingsError) as e:
        build(load_settings(mode="paper", broker=broker))
    assert [line.split(":")[0] for line in e.value.lines] == missing
    assert not (tmp_path / "home").exists() or not list((tmp_path / "home").glob("*.db"))


def test_a_live_key_in_paper_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "AK" + "Z" * 18)
    monkeypatch.setenv("APCA_API_SECRET_KEY", "s")
    with pytest.raises(SettingsError, match="live key"):
        build(load_settings(mode="paper", broker="alpaca"))
