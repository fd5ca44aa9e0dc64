"""What people see is redacted like the log: a venue whose error bodies quote the credentials
back (the loopback Alpaca with `echo_keys`) never gets them onto stdout, stderr, JSON, the
log files or a Discord embed, through chat's Cannot-start line, `analyze` or `scan --json`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from agents.results import Reply, ScanReport
from bot.chat.render import render, reply_json
from bot.discord_app.embeds import alert_embed, scan_embed
from bot.logs import configure_redaction
from tests.e2e.test_cli import CLI, env
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading

KEY_ID = "PKECHOKEY0123456789"  # a paper key id, so the paper gate lets it through
SECRET = "echo-secret-abcdefghijklmnop"


@pytest.fixture
async def echoing() -> AsyncIterator[tuple[FakeAlpacaTrading, FakeAlpacaData]]:
    """Alpaca trading and data fakes that refuse our keys and quote them back."""
    trading = FakeAlpacaTrading(echo_keys=True)
    data = FakeAlpacaData(echo_keys=True)
    data.add_symbol("AAPL", price=190.0, trend=0.004)
    await trading.start()
    await data.start()
    yield trading, data
    await trading.stop()
    await data.stop()


async def run(home: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    p = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(home, APCA_API_KEY_ID=KEY_ID, APCA_API_SECRET_KEY=SECRET, **extra),
    )
    out, err = await asyncio.wait_for(p.communicate(), 120)
    return p.returncode or 0, out.decode(), err.decode()


def assert_never_shown(home: Path, *texts: str) -> None:
    logs = [f.read_text() for f in home.rglob("*.log")]
    assert logs, "no log was written"
    for text in [*texts, *logs]:
        assert KEY_ID not in text and SECRET not in text, text[-600:]


async def test_chat_cannot_start_line_is_redacted(
    tmp_path: Path, echoing: tuple[FakeAlpacaTrading, FakeAlpacaData]
) -> None:
    trading, data = echoing
    home = tmp_path / "h"
    code, out, err = await run(
        home,
        "chat",
        "--json",
        COTRADER_MODE="paper",
        COTRADER_BROKER="alpaca",
        APCA_API_BASE_URL=trading.base_url,
        APCA_API_DATA_URL=data.base_url,
    )
    assert code == 2, err
    first = json.loads(out.splitlines()[0])
    assert first["kind"] == "error" and "Cannot start" in first["text"], first
    assert "***" in first["text"]  # the venue did quote them: the redactor took them out
    assert_never_shown(home, out, err)


async def test_analyze_and_scan_json_are_redacted(
    tmp_path: Path, echoing: tuple[FakeAlpacaTrading, FakeAlpacaData]
) -> None:
    _, data = echoing
    home = tmp_path / "h"
    on_fake = {"COTRADER_DATA": "alpaca", "APCA_API_DATA_URL": data.base_url}
    code, out, err = await run(home, "analyze", "AAPL", **on_fake)
    assert code == 2 and "***" in err and "Traceback" not in err, err
    scan_code, scan_out, scan_err = await run(home, "scan", "AAPL", "MSFT", "--json", **on_fake)
    assert scan_code == 0, scan_err
    body = json.loads(scan_out)
    reasons = [r for f in body["filtered"] for r in f["reasons"]]
    assert reasons and all("***" in r for r in reasons), reasons
    plain_code, plain_out, plain_err = await run(home, "scan", "AAPL", **on_fake)
    assert plain_code == 0, plain_err
    assert_never_shown(home, out, err, scan_out, scan_err, plain_out, plain_err)


def test_render_reply_json_and_embeds_use_the_configured_redactor() -> None:
    """The choke points themselves: terminal, JSON and Discord embeds (a scan report whose
    reasons and notes carry the secret, and an alert)."""
    configure_redaction([SECRET])
    try:
        leak = f"venue said: bad secret {SECRET}"
        report = ScanReport(
            mode_label="PAPER", scanned=1, ranked=(), filtered=(), cards=(), notes=(leak,)
        )
        reply = Reply(kind="scan", text=leak, payload=report)
        assert SECRET not in reply_json(reply)
        from io import StringIO

        from rich.console import Console

        buf = StringIO()
        render(Reply(kind="error", text=leak), Console(file=buf, width=40))
        render(reply, Console(file=buf, width=40))
        assert SECRET not in buf.getvalue() and "***" in buf.getvalue()
        embeds: list[discord.Embed] = [scan_embed(report), alert_embed("error", leak, "PAPER")]
        for e in embeds:
            assert SECRET not in json.dumps(e.to_dict()) and "***" in json.dumps(e.to_dict())
    finally:
        configure_redaction([])
