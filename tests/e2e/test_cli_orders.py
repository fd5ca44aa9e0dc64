"""Orders as the trader meant them, typed in a real `cotrader chat` process: every /propose
option, /close by percent, /cancel, /orders open with protective rows, the two-step
/kill flatten, the compact card, /card, /pending, the scan table, /analyze and /backtest."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from agents.results import Reply
from bot.app import App
from bot.chat.commands import CommandHandler
from models.domain import Actor
from tests.e2e.test_cli import CLI, Chat, env

PNG = b"\x89PNG\r\n\x1a\n"


def last_price(c: Chat, symbol: str) -> float:
    body = c.send(f"/analyze {symbol}")
    assert body["kind"] == "analysis", body
    return float(body["indicators"]["last"])


def pending_ids(c: Chat) -> set[str]:
    return {x["id"] for x in c.send("/pending")["items"] if x["status"] == "pending"}


def test_propose_takes_every_option_and_refuses_a_bad_part_by_name(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    px = last_price(c, "AAPL")
    limit = round(px * 0.97, 2)
    card = c.send(f"/propose AAPL buy 10 limit={limit} tif=gtc")["proposal"]
    assert (card["order_type"], card["limit_price"], card["time_in_force"]) == (
        "limit",
        limit,
        "gtc",
    )
    assert card["title"] == "BUY 10 AAPL" and card["quantity"] == 10

    dollars = c.send("/propose NVDA $5000")["proposal"]
    assert dollars["quantity"] == int(5000 // dollars["entry"])
    assert any("$5,000.00" in n for n in dollars["notes"]), dollars["notes"]

    pct = c.send("/propose MSFT buy 2%")["proposal"]
    assert 0 < pct["notional"] <= 0.02 * 100_000 and pct["notes"]

    stop, target = round(px * 0.95, 2), round(px * 1.1, 2)
    named = c.send(f"/propose AAPL 5 stop={stop} target={target} buy")["proposal"]
    assert (named["stop"], named["target"], named["quantity"]) == (stop, target, 5)

    short = c.send("/propose TSLA short 3")["proposal"]
    assert short["title"] == "SHORT 3 TSLA" and short["short"] and short["side"] == "sell"
    assert c.send("/propose AMD buy 1 tif=opg")["proposal"]["time_in_force"] == "opg"

    before = pending_ids(c)
    for line, named_part in (
        ("/propose AAPL buy 10 limit=abc", "limit"),
        ("/propose AAPL buy 10 tif=week", "tif"),
        ("/propose AAPL buy 10 colour=red", "colour"),
        ("/propose AAPL $5 10", "One size"),
        ("/propose AAPL buy 150%", "150%"),
        ("/propose AAPL buy sell 5", "side once"),
        ("/propose AAPL buy 5 stop=0", "stop"),
        ("/propose ZZZZ buy 5", "ZZZZ"),
    ):
        bad = c.send(line)
        assert bad["kind"] == "error" and named_part in bad["text"], (line, bad["text"])
    assert pending_ids(c) == before
    code, _ = c.quit()
    assert code == 0


def test_close_by_percent_cancel_and_the_protective_rows(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    card = c.send("/propose NVDA buy 10")["proposal"]
    assert c.send(f"/approve {card['id']}")["proposal"]["status"] == "filled"
    working = c.send("/orders open")["orders"]
    assert card["protective"]  # the simulator holds the stop and target at the venue
    roles = {o["role"]: o for o in working if o["proposal_id"] == card["id"]}
    assert set(roles) == {"stop", "target"}, working
    assert roles["stop"]["stop_price"] == card["stop"]
    assert roles["target"]["limit_price"] == card["target"]

    half = c.send("/close NVDA 50%")
    exit_card = half["proposal"]
    assert exit_card["title"] == "EXIT: SELL 5 NVDA" and exit_card["kind"] == "exit"
    assert exit_card["realizes"] is not None and exit_card["notes"]
    for line, part in (("/close NVDA $100", "$100"), ("/close NVDA 5 6", "'6'")):
        bad = c.send(line)
        assert bad["kind"] == "error" and part in bad["text"], bad

    px = last_price(c, "MSFT")
    limit = round(px * 0.9, 2)
    entry = c.send(f"/propose MSFT buy 5 limit={limit} tif=gtc")["proposal"]
    c.send(f"/approve {entry['id']}")
    mine = [o for o in c.send("/orders open")["orders"] if o["client_order_id"] == entry["id"]]
    assert mine and mine[0]["role"] == "main" and mine[0]["limit_price"] == limit
    assert mine[0]["time_in_force"] == "gtc"
    done = c.send(f"/cancel {entry['id']}")
    assert done["kind"] == "canceled" and done["order"]["client_order_id"] == entry["id"]
    assert entry["id"] not in {o["client_order_id"] for o in c.send("/orders open")["orders"]}
    assert c.send("/cancel p-zzzzzzzz")["kind"] == "error"
    assert c.send("/cancel")["text"].startswith("Usage: /cancel ORDER_ID")
    code, _ = c.quit()
    assert code == 0


def test_kill_flatten_asks_first_and_only_the_right_code_flattens(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    card = c.send("/propose AAPL buy 7")["proposal"]
    c.send(f"/approve {card['id']}")

    def held() -> list[str]:
        return [p["symbol"] for p in c.send("/positions")["positions"]]

    dropped = c.send("/kill flatten")
    c.send(f"/kill cancel {dropped['nonce']}")
    assert c.send(f"/kill confirm {dropped['nonce']}")["kind"] == "error"

    ask = c.send("/kill flatten")
    assert ask["kind"] == "confirm" and ask["flatten"] is True
    nonce = ask["nonce"]
    assert f"/kill confirm {nonce}" in ask["text"] and "AAPL 7" in ask["text"]
    assert "HALT" in ask["text"] and "Nothing was done yet" in ask["text"]
    assert c.send("/status")["state"] == "active" and held() == ["AAPL"]

    for line in ("/kill confirm", "/kill confirm zzzzzzzz", "/kill confirm"):
        assert c.send(line)["kind"] == "error", line
    assert c.send("/status")["state"] == "active" and held() == ["AAPL"]

    done = c.send(f"/kill confirm {nonce}")
    assert done["kind"] == "kill" and done["flattened"] and done["halted"]
    assert done["flatten_orders"] and done["flatten_orders"][0]["symbol"] == "AAPL"
    assert c.send("/status")["state"] == "halted"
    again = c.send(f"/kill confirm {nonce}")
    assert again["kind"] == "error" and "already confirmed" in again["text"]
    code, _ = c.quit()
    assert code == 0


def human(home: Path, lines: list[str]) -> str:
    """The same chat as a person sees it, at 80 columns."""
    out = subprocess.run(
        [*CLI, "chat"],
        input="\n".join([*lines, "/quit"]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env(home, COLUMNS="80", LINES="50"),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def panels(text: str) -> list[list[str]]:
    """Every boxed card in the output, as its lines."""
    found, cur = [], None
    for line in text.splitlines():
        if line.startswith("╭"):
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line.startswith("╰"):
                found.append(cur)
                cur = None
    return found


def test_compact_card_pending_card_and_scan_table_at_80_columns(tmp_path: Path) -> None:
    home = tmp_path / "h"
    c = Chat(home)
    first = c.send("/propose NVDA $5000")["proposal"]
    c.quit()
    out = human(home, ["/propose AAPL buy 10 tif=gtc", "/pending", f"/card {first['id']}"])
    cards = panels(out)
    compact, whole = cards[0], cards[1]
    assert "BUY 10 AAPL" in compact[0] and "SIMULATED" in compact[0]
    assert len(compact) <= 12 and all(len(x) <= 80 for x in compact), "\n".join(compact)
    assert "good till cancelled" in compact[1] and "/approve p-" in compact[-1]
    pend = [x for x in out.splitlines() if re.match(r"^p-[a-z2-7]{8}  ", x)]
    assert len(pend) == 2 and any("NVDA" in x for x in pend) and any("gtc" in x for x in pend)
    assert all(len(x) <= 80 for x in pend), pend
    body = "\n".join(whole)
    assert first["title"] in whole[0]
    for ck in first["checks"]:
        assert ck["name"] in body, ck["name"]
    assert "Rationale" in body and len(whole) > 12

    scan = human(tmp_path / "h2", ["/scan AAPL MSFT NVDA TSLA"])
    head = next(x for x in scan.splitlines() if "symbol" in x and "score" in x)
    assert "chg %" in head and "side" in head
    rows = [x for x in scan.splitlines() if re.match(r"^\s*(AAPL|MSFT|NVDA|TSLA)\s", x)]
    assert rows and all(re.search(r"[+-]\d+\.\d\d\s+(long|short|-)\s", r) for r in rows), rows


def test_analyze_and_backtest_write_their_charts(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    a = c.send("/analyze nvda")
    assert a["symbol"] == "NVDA" and "sma_cross" in a["signals"]
    assert Path(a["chart"]).read_bytes().startswith(PNG) and a["chart"] in a["text"]
    assert Path(a["chart"]).parent == tmp_path  # the working directory
    b = c.send("/backtest AAPL sma_cross fast=10 slow=30 cash=5000 commission=0.001")
    assert b["kind"] == "backtest" and b["params"] == {"fast": 10, "slow": 30}
    assert "Return" in b["text"] and "chart_png" not in b
    assert Path(b["chart"]).read_bytes().startswith(PNG)
    for line, part in (
        ("/backtest AAPL", "Usage: /backtest"),
        ("/backtest AAPL sma_cross cash=lots", "cash"),
        ("/backtest AAPL sma_cross speed=3", "speed"),
        ("/analyze ZZZZ", "ZZZZ"),
    ):
        bad = c.send(line)
        assert bad["kind"] == "error" and part in bad["text"], (line, bad)
    code, _ = c.quit()
    assert code == 0


async def test_cancel_by_a_non_approver_is_refused_and_recorded(app: App, viewer: Actor) -> None:
    handler = CommandHandler(app.orchestrator, viewer)
    reply = await handler.handle("/cancel p-abcd2345")
    assert isinstance(reply, Reply) and reply.kind == "error", reply
    assert "approver" in reply.text.lower()
    kinds = [e.type for e in app.store.events.recent(20)]
    assert "cancel.unauthorized" in kinds, kinds
    assert app.orchestrator.orders().orders == ()
