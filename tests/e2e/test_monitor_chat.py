"""The monitor in plain language through a real `cotrader chat --json` on the simulator:
alerts set, listed, removed and re-armed from phrases, a stop move as a card, a pass on
request; a position alert without a symbol is a question (never the positions table); no
phrase creates an order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.test_cli import Chat


def bought(c: Chat, symbol: str, qty: int) -> dict[str, Any]:
    card = c.send(f"/propose {symbol} buy {qty}")
    assert card["kind"] == "proposal", card
    done = c.send(f"/approve {card['proposal']['id']}")
    assert done["ok"] and done["proposal"]["status"] == "filled", done
    return card["proposal"]


def test_alerts_from_plain_language(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    vague = c.send("alert me if my position loses 5%")
    assert vague["kind"] == "clarify" and "Which position?" in vague["text"], vague
    assert "positions" not in vague
    assert c.send("/alerts")["alerts"] == []

    bought(c, "NVDA", 10)
    loss = c.send("alert me if my NVDA position loses 5%")
    assert loss["kind"] == "alert", loss
    assert (loss["symbol"], loss["condition"], loss["level"]) == ("NVDA", "loss", 5.0)
    assert loss["status"] == "armed" and loss["text"].startswith(f"Alert {loss['id']} set")

    last = c.send("/analyze AAPL")["scan"]["last"]
    up = c.send(f"tell me when AAPL crosses {round(last * 1.1)}")
    assert up["kind"] == "alert" and up["condition"] == "above", up
    down = c.send(f"tell me when apple crosses {round(last * 0.9)}")
    assert down["kind"] == "alert" and down["condition"] == "below", down
    move = c.send("alert me when TSLA moves 5%")
    assert (move["kind"], move["condition"], move["level"]) == ("alert", "move", 5.0), move

    listed = c.send("show my alerts")
    assert listed["kind"] == "alerts"
    ids = [a["id"] for a in listed["alerts"]]
    assert sorted(ids) == sorted([loss["id"], up["id"], down["id"], move["id"]])
    assert {"id", "symbol", "condition", "level", "status"} <= set(listed["alerts"][0])

    gone = c.send(f"remove alert {down['id']}")
    assert gone["kind"] == "alert" and gone["status"] == "removed", gone
    assert down["id"] not in [a["id"] for a in c.send("/alerts")["alerts"]]
    armed = c.send(f"rearm alert {up['id']}")
    assert armed["kind"] == "error" and "armed" in armed["text"], armed  # not fired yet

    bad = c.send("alert me if NVDA drops below -5")
    assert bad["kind"] == "clarify", bad
    unknown = c.send("alert me if ZZZZ drops below 5")
    assert unknown["kind"] == "clarify" and "ZZZZ" in unknown["text"], unknown
    assert len(c.send("/alerts")["alerts"]) == 3
    assert c.quit()[0] == 0


def test_a_stop_move_is_a_card_and_a_pass_runs_on_request(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    none = c.send("trail NVDA 5%")
    assert none["kind"] == "error" and "NVDA" in none["text"], none  # no position: no card
    which = c.send("move my stop to 110")
    assert which["kind"] == "clarify" and "Which position?" in which["text"], which

    entry = bought(c, "NVDA", 10)
    trail = c.send("trail NVDA 5%")
    assert trail["kind"] == "proposal", trail
    card = trail["proposal"]
    assert card["kind"] == "stop" and card["status"] == "pending" and card["symbol"] == "NVDA"
    assert trail["text"].startswith("Understood: trail the NVDA stop 5%.")

    stop = round(entry["stop"] + 1, 2)
    moved = c.send(f"move my stop on NVDA to {stop}")
    assert moved["kind"] == "proposal" and moved["proposal"]["kind"] == "stop", moved
    assert moved["proposal"]["stop"] == stop

    ran = c.send("run the monitor")
    assert ran["kind"] == "monitor" and ran["positions"] == 1, ran
    assert ran["text"].startswith("[SIMULATED] Checked 1 position")
    again = c.send("/monitor")
    assert again["kind"] == "monitor"

    orders = c.send("/orders")["orders"]
    assert orders and {o["proposal_id"] for o in orders} == {entry["id"]}, orders
    assert c.quit()[0] == 0
