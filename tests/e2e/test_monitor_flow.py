"""The monitor through real `cotrader chat --json` processes on the simulator: a shock
through a stop fills the venue-side stop (or raises one exit card when none works there), a
second pass raises no duplicate, an alert fires once and survives a restart, a trailing-stop
card replaces the working stop only after its click, and no order ever appears that no one
approved. Each desk runs its own loop: the monitor may find a trigger before `/monitor` does,
so the tests look at both the pass's findings and the `alert.*` lines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.test_cli import Chat

FAST = {"COTRADER_DESK_INTERVAL_S": "0.2"}


def pending(c: Chat, kind: str) -> list[dict[str, Any]]:
    items = c.send("/pending")["items"]
    return [p for p in items if p["kind"] == kind and p["status"] == "pending"]


def bought(c: Chat, symbol: str, qty: int) -> dict[str, Any]:
    card = c.send(f"/propose {symbol} buy {qty}")
    assert card["kind"] == "proposal", card
    done = c.send(f"/approve {card['proposal']['id']}")
    assert done["ok"] and done["proposal"]["status"] == "filled", done
    return card["proposal"]


def wait(c: Chat, line: str, ok: Any, tries: int = 50) -> dict[str, Any]:
    for _ in range(tries):
        r = c.send(line)
        if ok(r):
            return r
        time.sleep(0.1)
    raise AssertionError(f"{line}: never as expected: {r}")


def only_approved_orders(c: Chat, approved: set[str]) -> None:
    orders = c.send("/orders")["orders"]
    assert orders
    for o in orders:
        assert o["proposal_id"] in approved, (o, approved)


def test_a_stop_hit_without_a_venue_stop_raises_one_exit_card(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h", COTRADER_BRACKET_ORDERS="0", **FAST)
    entry = bought(c, "NVDA", 10)
    quiet = c.send("/monitor")
    assert quiet["kind"] == "monitor" and quiet["positions"] == 1 and quiet["findings"] == []

    shock = c.send("/sim shock NVDA -15")
    assert shock["kind"] == "sim.shock"
    first = c.send("/monitor")
    assert first["kind"] == "monitor"
    [card] = pending(c, "exit")
    assert card["quantity"] == 10 and card["side"] == "sell"
    said = [a for a in c.alerts if a["kind"] == "alert.exit" and a["rule"] == "stop_hit"]
    found = [f for f in first["findings"] if f["rule"] == "stop_hit"]
    assert len(said) == 1 and said[0]["proposal_id"] == card["id"], (said, first)
    assert len(found) <= 1 and all(f["proposal_id"] == card["id"] for f in found)
    assert "SIMULATED" in said[0]["text"] and "NVDA" in said[0]["text"]

    second = c.send("/monitor")
    assert second["findings"] == [] and [p["id"] for p in pending(c, "exit")] == [card["id"]]
    assert len([a for a in c.alerts if a.get("rule") == "stop_hit"]) == 1  # told once
    only_approved_orders(c, {entry["id"]})
    assert c.quit()[0] == 0


def test_a_shock_through_the_venue_stop_fills_it(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h", **FAST)
    entry = bought(c, "NVDA", 10)
    c.send("/sim shock NVDA -15")
    wait(c, "/positions", lambda r: r["positions"] == [])
    orders = {o["client_order_id"]: o for o in c.send("/orders")["orders"]}
    assert orders[f"{entry['id']}-sl"]["status"] == "filled"
    assert orders[f"{entry['id']}-tp"]["status"] == "canceled"
    assert c.send("/monitor")["findings"] == [] and pending(c, "exit") == []
    assert not [a for a in c.alerts if a["kind"] == "alert.exit" and a["proposal_id"]]
    only_approved_orders(c, {entry["id"]})
    assert c.quit()[0] == 0


def test_an_alert_fires_once_and_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "h"
    c = Chat(home, **FAST)
    last = c.send("/analyze AAPL")["scan"]["last"]
    level = round(last * 1.05, 2)
    a = c.send(f"/alert AAPL above {level}")
    assert a["kind"] == "alert" and a["id"] == "A1" and a["status"] == "armed", a
    listed = c.send("/alerts")
    assert listed["kind"] == "alerts"
    assert [(x["id"], x["symbol"], x["condition"], x["level"]) for x in listed["alerts"]] == [
        ("A1", "AAPL", "above", level)
    ]
    bad = c.send("/alert AAPL above -3")
    assert bad["kind"] == "error" and "above 0" in bad["text"]
    assert len(c.send("/alerts")["alerts"]) == 1

    c.send("/sim shock AAPL 8")
    c.send("/monitor")
    c.send("/monitor")
    fired = [x for x in c.alerts if x["kind"] == "alert.price"]
    assert len(fired) == 1 and fired[0]["alert_id"] == "A1", c.alerts
    assert fired[0]["observed"] >= level and "AAPL" in fired[0]["text"]
    assert c.quit()[0] == 0

    again = Chat(home, **FAST)
    [shown] = again.send("/alerts")["alerts"]
    assert (shown["id"], shown["status"]) == ("A1", "fired")
    assert again.send("/monitor")["findings"] == []
    assert not [x for x in again.alerts if x["kind"] == "alert.price"]
    assert again.send("/alert rearm A1")["status"] == "armed"
    wait(again, "/alerts", lambda r: r["alerts"][0]["status"] == "fired")
    assert len([x for x in again.alerts if x["kind"] == "alert.price"]) == 1
    assert again.send("/alert remove A1")["status"] == "removed"
    assert again.send("/alerts")["alerts"] == []
    assert again.quit()[0] == 0


def test_a_trailing_stop_card_replaces_the_working_stop_after_a_click(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h", **FAST)
    entry = bought(c, "NVDA", 10)
    eid = entry["id"]
    c.send("/sim shock NVDA 11")
    c.send("/monitor")
    [card] = pending(c, "stop")
    assert card["stop"] > entry["stop"]
    working = {o["client_order_id"]: o for o in c.send("/orders open")["orders"]}
    assert set(working) == {f"{eid}-sl", f"{eid}-tp"}
    assert working[f"{eid}-sl"]["stop_price"] == entry["stop"]  # unchanged before the click

    done = c.send(f"/approve {card['id']}")
    assert done["ok"] and done["proposal"]["status"] == "submitted", done
    working = {o["client_order_id"]: o for o in c.send("/orders open")["orders"]}
    assert set(working) == {card["id"], f"{eid}-tp"}, working
    assert working[card["id"]]["stop_price"] == card["stop"]
    assert working[card["id"]]["role"] == "stop"
    only_approved_orders(c, {eid, card["id"]})
    assert c.quit()[0] == 0
