"""`cotrader chat --json` as a user runs it, trading against whatever server the endpoint
variables name: here the loopback Alpaca and Tastytrade fakes (a real process, real SDKs)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.e2e.broker_world import alpaca_vars
from tests.e2e.test_cli import CLI, env
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.tastytrade import FakeTastytrade


class AsyncChat:
    """The chat process driven without blocking the loop the fakes answer on."""

    def __init__(self, p: asyncio.subprocess.Process) -> None:
        self.p = p
        self.alerts: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, home: Path, **extra: str) -> AsyncChat:
        p = await asyncio.create_subprocess_exec(
            *CLI,
            "chat",
            "--json",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env(home, **extra),
        )
        return cls(p)

    async def read(self) -> dict[str, Any]:
        assert self.p.stdout is not None
        while True:
            line = await asyncio.wait_for(self.p.stdout.readline(), 120)
            if not line:
                err = await self.p.stderr.read() if self.p.stderr else b""
                raise AssertionError(err.decode()[-2000:])
            msg = json.loads(line)
            if not msg["kind"].startswith("alert."):
                return msg
            self.alerts.append(msg)

    async def write(self, text: str) -> None:
        """Type a line without waiting for its answer."""
        assert self.p.stdin is not None
        self.p.stdin.write((text + "\n").encode())
        await self.p.stdin.drain()

    async def send(self, text: str) -> dict[str, Any]:
        await self.write(text)
        return await self.read()

    async def quit(self) -> tuple[int, str]:
        assert (await self.send("/quit"))["kind"] == "bye"
        _, err = await asyncio.wait_for(self.p.communicate(), 60)
        return self.p.returncode or 0, err.decode()


async def test_chat_trades_on_the_alpaca_fake(
    tmp_path: Path, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData
) -> None:
    chat = await AsyncChat.open(tmp_path / "h", **alpaca_vars(alpaca, alpaca_data))
    ready = await chat.read()
    assert ready["kind"] == "ready" and ready["mode"] == "PAPER" and "alpaca" in ready["text"]
    card = await chat.send("/propose AAPL buy 5")
    assert card["ok"] and card["proposal"]["mode"] == "PAPER", card
    pid = card["proposal"]["id"]
    done = await chat.send(f"/approve {pid}")
    assert done["ok"] and done["order"]["status"] == "filled", done
    assert [o["client_order_id"] for o in alpaca.orders_for(pid)] == [pid]
    alpaca.add_position("MSFT", 3, 400.0)
    rec = await chat.send("/reconcile")
    assert rec["kind"] == "reconcile" and "MSFT: broker holds 3" in rec["text"], rec
    risk = await chat.send("/risk AAPL buy 5")
    assert risk["kind"] == "risk" and "What if" in risk["text"] and risk["state"] == "active"
    code, err = await chat.quit()
    assert code == 0
    logs = [f.read_text() for f in (tmp_path / "h").rglob("*.log")]
    assert logs and all(alpaca.secret_key not in text for text in [err, *logs])


async def test_chat_trades_on_the_tastytrade_fake_with_its_dry_run_on_the_card(
    tmp_path: Path, tasty: FakeTastytrade
) -> None:
    chat = await AsyncChat.open(
        tmp_path / "h",
        COTRADER_MODE="paper",
        COTRADER_BROKER="tastytrade",
        TT_SECRET=tasty.provider_secret,
        TT_REFRESH=tasty.refresh_token,
        COTRADER_TASTYTRADE_API_BASE=tasty.base_url,
    )
    ready = await chat.read()
    assert ready["mode"] == "PAPER" and "tastytrade" in ready["text"], ready
    card = await chat.send("/propose AAPL buy 5")
    assert card["ok"], card
    preview = card["proposal"]["preview"]
    assert preview["change_in_buying_power"] < 0 and "total_fees" in preview
    assert tasty.calls("/orders/dry-run", "POST")
    pid = card["proposal"]["id"]
    done = await chat.send(f"/approve {pid}")
    assert done["ok"] and done["order"]["status"] == "filled", done
    assert len(tasty.orders_with(pid)) == 1
    code, err = await chat.quit()
    assert code == 0 and tasty.provider_secret not in err and tasty.refresh_token not in err


async def test_chat_refuses_to_start_when_the_broker_refuses_the_login(
    tmp_path: Path, tasty: FakeTastytrade
) -> None:
    chat = await AsyncChat.open(
        tmp_path / "h",
        COTRADER_MODE="paper",
        COTRADER_BROKER="tastytrade",
        TT_SECRET="wrong-provider-secret",
        TT_REFRESH=tasty.refresh_token,
        COTRADER_TASTYTRADE_API_BASE=tasty.base_url,
    )
    msg = await chat.read()
    assert msg["kind"] == "error" and "Cannot start" in msg["text"], msg
    assert "wrong-provider-secret" not in msg["text"]
    assert await asyncio.wait_for(chat.p.wait(), 60) == 2


async def test_missing_broker_keys_are_named(tmp_path: Path) -> None:
    p = await asyncio.create_subprocess_exec(
        *CLI,
        "chat",
        "--json",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(tmp_path / "h", COTRADER_MODE="paper", COTRADER_BROKER="tastytrade"),
    )
    _, err = await asyncio.wait_for(p.communicate(), 60)
    assert p.returncode == 2
    text = err.decode()
    assert "TT_SECRET: required for COTRADER_BROKER=tastytrade" in text
    assert "TT_REFRESH: required" in text
