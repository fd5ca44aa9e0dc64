"""Kill a real `cotrader chat` process at the worst moments of an approval, start it again,
and check the approval ends in a known state exactly once: before the order row, after it,
while the venue holds the POST, and after the venue answered but before booking."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from models.store import Store
from tests.e2e.broker_world import alpaca_vars, until
from tests.e2e.test_cli_brokers import AsyncChat
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading


async def died(chat: AsyncChat) -> int:
    """Wait for the process to end (it killed itself, or was killed); its return code."""
    await asyncio.wait_for(chat.p.communicate(), 60)
    return chat.p.returncode or 0


async def until_ready(chat: AsyncChat) -> dict[str, Any]:
    ready = await chat.read()  # alerts before the banner (recovery) are collected on the side
    assert ready["kind"] == "ready", ready
    return ready


def texts(chat: AsyncChat, kind: str) -> list[str]:
    return [a["text"] for a in chat.alerts if a["kind"] == f"alert.{kind}"]


async def check_recovered(chat: AsyncChat, pid: str, qty: int, symbol: str) -> None:
    """The restarted desk booked the approval once and says so; the position keeps its
    stop, target and strategy; /why shows the steps."""
    said = texts(chat, "recovered")
    assert len(said) == 1 and f"recovered after a restart: filled {qty} {symbol}" in said[0], (
        chat.alerts
    )
    why = await chat.send(f"/why {pid}")
    assert why["proposal"]["status"] == "filled", why
    kinds = [e["type"] for e in why["events"]]
    # taken over from the dead desk, or (when the trade stream had already told the dead
    # desk the venue took the order) caught up as a working order
    assert {"recovery.taken_over", "recovery.booked"} & set(kinds), kinds
    # the entry's own chain ends filled (its protective stop and target follow, by their ids)
    own = [e["type"] for e in why["events"] if e.get("order_id") in (None, pid)]
    assert own[-1] in ("proposal.filled", "recovery.booked"), own
    protective = {e["order_id"] for e in why["events"] if e.get("order_id") not in (None, pid)}
    assert protective <= {f"{pid}-sl", f"{pid}-tp"}, protective
    pos = await chat.send("/positions")
    held = {p["symbol"]: p for p in pos["positions"]}
    assert held[symbol]["quantity"] == qty, pos
    assert held[symbol]["stop"] == why["proposal"]["stop"] is not None
    assert held[symbol]["target"] == why["proposal"]["target"]


@pytest.mark.parametrize(
    "point", ["approve.before_order", "approve.after_order", "approve.after_submit"]
)
async def test_sim_killed_during_approve_recovers_once(
    tmp_path: Path, db_url: str, point: str
) -> None:
    home = tmp_path / "h"
    chat = await AsyncChat.open(home, COTRADER_DATABASE_URL=db_url, COTRADER_FAILPOINTS=point)
    await until_ready(chat)
    card = await chat.send("/propose NVDA buy 5")
    pid = card["proposal"]["id"]
    await chat.write(f"/approve {pid}")
    assert await died(chat) == -signal.SIGKILL

    again = await AsyncChat.open(home, COTRADER_DATABASE_URL=db_url)
    await until_ready(again)
    await check_recovered(again, pid, 5, "NVDA")
    orders = await again.send("/orders")
    # one entry order, and its protective stop and target (placed once, by the venue)
    ids = sorted(o["client_order_id"] for o in orders["orders"])
    assert ids == sorted([pid, f"{pid}-sl", f"{pid}-tp"]), ids
    code, _ = await again.quit()
    assert code == 0
    store = Store(db_url)
    try:
        from sqlmodel import select

        from models.sim_tables import SimOrder

        with store.session() as s:
            sent = s.exec(select(SimOrder).where(SimOrder.client_order_id == pid)).all()
        assert len(sent) == 1  # the simulated venue got the order once
    finally:
        store.dispose()


async def test_alpaca_killed_while_the_venue_holds_the_post(
    tmp_path: Path, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    """The venue creates and fills the order, then holds the reply: the desk is killed
    before it hears anything. After the restart the fill is booked once, on the proposal."""
    home = tmp_path / "h"
    env = alpaca_vars(alpaca, alpaca_data)
    chat = await AsyncChat.open(home, **env)
    await until_ready(chat)
    card = await chat.send("/propose AAPL buy 5")
    pid = card["proposal"]["id"]
    alpaca.fail_after_create(504, hang=60)
    await chat.write(f"/approve {pid}")
    await until(lambda: bool(alpaca.orders_for(pid)))
    chat.p.kill()  # a power cut while the POST is held open
    assert await died(chat) == -signal.SIGKILL
    alpaca.release()

    again = await AsyncChat.open(home, **env)
    await until_ready(again)
    await check_recovered(again, pid, 5, "AAPL")
    assert len(alpaca.orders_for(pid)) == 1 and len(alpaca.submitted) == 1
    rec = await again.send("/reconcile")
    assert rec["kind"] == "reconcile" and "books agree" in rec["text"], rec
    code, _ = await again.quit()
    assert code == 0


async def test_alpaca_killed_after_the_venue_answered_before_booking(
    tmp_path: Path, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    home = tmp_path / "h"
    env = alpaca_vars(alpaca, alpaca_data)
    # the dying desk hears nothing from the trade stream: only its restart can book the fill
    alpaca.refuse_stream_auth(times=1)
    chat = await AsyncChat.open(home, COTRADER_FAILPOINTS="approve.after_submit", **env)
    await until_ready(chat)
    pid = (await chat.send("/propose AAPL buy 3"))["proposal"]["id"]
    await chat.write(f"/approve {pid}")
    assert await died(chat) == -signal.SIGKILL
    again = await AsyncChat.open(home, **env)
    await until_ready(again)
    await check_recovered(again, pid, 3, "AAPL")
    assert len(alpaca.submitted) == 1
    code, _ = await again.quit()
    assert code == 0


async def test_killed_between_lifting_the_protection_and_the_exit(
    tmp_path: Path, db_url: str
) -> None:
    """The exit's first step took the stop and target off; the process dies before the exit
    is sent. After the restart the exit is sent once and what it leaves is protected again."""
    home = tmp_path / "h"
    chat = await AsyncChat.open(
        home, COTRADER_DATABASE_URL=db_url, COTRADER_FAILPOINTS="exit.after_lift"
    )
    await until_ready(chat)
    entry = (await chat.send("/propose NVDA buy 10"))["proposal"]["id"]
    assert (await chat.send(f"/approve {entry}"))["kind"] == "approved"
    ex = (await chat.send("/close NVDA 4"))["proposal"]["id"]
    await chat.write(f"/approve {ex}")
    assert await died(chat) == -signal.SIGKILL

    again = await AsyncChat.open(home, COTRADER_DATABASE_URL=db_url)
    await until_ready(again)
    why = await again.send(f"/why {ex}")
    assert why["proposal"]["status"] == "filled", why
    held = {p["symbol"]: p["quantity"] for p in (await again.send("/positions"))["positions"]}
    assert held == {"NVDA": 6}
    working = [o for o in (await again.send("/orders open"))["orders"] if o["symbol"] == "NVDA"]
    ids = sorted(o["client_order_id"] for o in working)
    assert ids == [f"{ex}-oco-sl", f"{ex}-oco-tp"], working
    assert {o["quantity"] for o in working} == {6}
    kinds = [e["type"] for e in why["events"]]
    assert kinds.count("protection.lifted") == 1 and kinds.count("protection.restored") == 1
    code, _ = await again.quit()
    assert code == 0
