"""The desk's own clock and its graceful stop: an idle chat prints what the desk does, and
`cotrader chat` and `cotrader run` leave on SIGTERM (docker stop) and SIGINT within 10 s with
exit code 0, after letting an approval in flight reach a booked or known state and closing the
streams and the Discord gateway."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest

from models.store import Store
from tests.e2e.broker_world import alpaca_vars, until
from tests.e2e.test_cli_brokers import AsyncChat
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading


async def stopped_within(proc: asyncio.subprocess.Process, seconds: float) -> tuple[int, str]:
    t0 = time.monotonic()
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    took = time.monotonic() - t0
    assert took < seconds, f"took {took:.1f}s to stop"
    return proc.returncode or 0, (err or b"").decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_chat_stops_on_a_signal_while_idle(tmp_path: Path, sig: signal.Signals) -> None:
    chat = await AsyncChat.open(tmp_path / "h")
    assert (await chat.read())["kind"] == "ready"
    chat.p.send_signal(sig)
    code, err = await stopped_within(chat.p, 10)
    assert code == 0, err
    assert "Traceback" not in err


async def test_chat_lets_an_approval_in_flight_finish_before_it_stops(
    tmp_path: Path, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    home = tmp_path / "h"
    chat = await AsyncChat.open(home, **alpaca_vars(alpaca, alpaca_data))
    assert (await chat.read())["kind"] == "ready"
    pid = (await chat.send("/propose AAPL buy 4"))["proposal"]["id"]
    alpaca.fail_after_create(504, hang=2.0)  # the venue takes its time to answer
    await chat.write(f"/approve {pid}")
    await until(lambda: bool(alpaca.orders_for(pid)))
    chat.p.send_signal(signal.SIGTERM)  # docker stop, mid-approval
    reply = await chat.read()
    assert reply["kind"] == "approved" and reply["order"]["status"] == "filled", reply
    code, err = await stopped_within(chat.p, 10)
    assert code == 0, err
    store = Store(f"sqlite:///{home / 'cotrader-paper-alpaca.db'}")
    try:
        prop = store.proposals.get(pid)
        assert prop is not None and prop.status == "filled"  # booked before leaving
    finally:
        store.dispose()
    assert len(alpaca.orders_for(pid)) == 1


async def test_an_idle_chat_prints_a_cards_expiry_on_its_own(tmp_path: Path) -> None:
    """The desk's clock is its own: a 10 s card expires and says so with no line typed."""
    chat = await AsyncChat.open(tmp_path / "h", COTRADER_PROPOSAL_TTL_SECONDS="10")
    assert (await chat.read())["kind"] == "ready"
    card = await chat.send("/propose AAPL buy 3")
    pid = card["proposal"]["id"]
    assert chat.p.stdout is not None
    line = await asyncio.wait_for(chat.p.stdout.readline(), 30)  # nothing typed meanwhile
    said = json.loads(line)
    assert said["kind"] == "alert.expired" and pid in said["text"], said
    assert said["proposal_id"] == pid and said["mode_label"] == "SIMULATED"
    pending = await chat.send("/pending")
    assert pending["items"] == [], pending
    code, _ = await chat.quit()
    assert code == 0
