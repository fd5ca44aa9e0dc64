"""Kill a real `cotrader chat` process while it replaces a position's stop at the venue
(an approved stop-move card), start it again, and check the move ends exactly once: one
stop working at the new level under the card's id, the old one cancelled, the target kept."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlmodel import select

from models.sim_tables import SimOrder
from models.store import Store
from tests.e2e.test_cli_brokers import AsyncChat
from tests.e2e.test_crash_processes import died, until_ready


@pytest.mark.parametrize(
    "point", ["approve.before_order", "approve.after_order", "approve.after_submit"]
)
async def test_killed_while_moving_the_stop_recovers_once(tmp_path: Path, point: str) -> None:
    home = tmp_path / "h"
    first = await AsyncChat.open(home)
    await until_ready(first)
    entry = (await first.send("/propose NVDA buy 10"))["proposal"]
    assert (await first.send(f"/approve {entry['id']}"))["kind"] == "approved"
    assert (await first.quit())[0] == 0

    chat = await AsyncChat.open(home, COTRADER_FAILPOINTS=point)
    await until_ready(chat)
    new_stop = round(entry["stop"] + 1.0, 2)
    card = await chat.send(f"/movestop NVDA {new_stop}")
    assert card["kind"] == "proposal" and card["proposal"]["kind"] == "stop", card
    sid = card["proposal"]["id"]
    await chat.write(f"/approve {sid}")
    assert await died(chat) == -signal.SIGKILL

    again = await AsyncChat.open(home)
    await until_ready(again)
    why = await again.send(f"/why {sid}")
    assert why["proposal"]["status"] == "submitted", why
    working = {o["client_order_id"]: o for o in (await again.send("/orders open"))["orders"]}
    assert set(working) == {sid, f"{entry['id']}-tp"}, working
    assert working[sid]["stop_price"] == new_stop and working[sid]["quantity"] == 10
    old = {o["client_order_id"]: o["status"] for o in (await again.send("/orders"))["orders"]}
    assert old[f"{entry['id']}-sl"] == "canceled", old
    held = {p["symbol"]: p["quantity"] for p in (await again.send("/positions"))["positions"]}
    assert held == {"NVDA": 10}
    assert (await again.quit())[0] == 0
    store = Store(f"sqlite:///{home / 'cotrader-sim.db'}")
    try:
        with store.session() as s:
            sent = s.exec(select(SimOrder).where(SimOrder.client_order_id == sid)).all()
        assert len(sent) == 1  # the simulated venue got the replacement once
    finally:
        store.dispose()
