"""`cotrader run` as a process, with DISCORD_TOKEN set, against the loopback Discord."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.e2e.discord.world import TOKEN, TRADER_ID, run_process
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p


def _interruptible() -> None:
    """Ctrl-C works in the child even when this run started in the background (a shell's
    `&` ignores SIGINT, and the child would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_cotrader_run_logs_in_syncs_and_answers(fake: FakeDiscord, tmp_path: Path) -> None:
    home = tmp_path / "runhome"
    proc = await run_process(fake, home, _interruptible)
    try:
        await fake.ready(timeout=60)
        assert {c["name"] for c in fake.commands(p.GUILD_ID)} >= {"scan", "propose", "kill"}
        h = await fake.slash(
            "propose", {"symbol": "AAPL", "side": "buy", "size": "2"}, user=TRADER_ID
        )
        card = await h.response(timeout=20)
        assert "SIMULATED · BUY 2 AAPL" in card["embeds"][0]["title"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = "".join(f.read_text() for f in (home / "logs").glob("*.log"))
    for text in (out.decode(), err.decode(), logs):
        assert TOKEN not in text
    assert "synced" in logs and "slash commands" in logs
    assert "voice will NOT be supported" not in err.decode()  # noise a trader need not see
    assert proc.returncode == 0  # a graceful stop


async def test_cotrader_run_trades_a_paper_alpaca_account_on_approve(
    fake: FakeDiscord, alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData, tmp_path: Path
) -> None:
    """The process the user starts, pointed by Alpaca's own variables at the loopback Alpaca:
    a slash command makes a PAPER card, the Approve click places exactly one order there."""
    home = tmp_path / "runhome"
    proc = await run_process(
        fake,
        home,
        _interruptible,
        COTRADER_MODE="paper",
        COTRADER_BROKER="alpaca",
        APCA_API_KEY_ID=alpaca.key_id,
        APCA_API_SECRET_KEY=alpaca.secret_key,
        APCA_API_BASE_URL=alpaca.base_url,
        APCA_API_DATA_URL=alpaca_data.base_url,
    )
    try:
        await fake.ready(timeout=60)
        h = await fake.slash(
            "propose", {"symbol": "AAPL", "side": "buy", "size": "2"}, user=TRADER_ID
        )
        card = await h.response(timeout=20)
        assert "PAPER · BUY 2 AAPL" in card["embeds"][0]["title"], card
        pid = next(
            c["custom_id"].rsplit(":", 1)[1]
            for row in card["components"]
            for c in row["components"]
            if c["custom_id"].startswith("cot:approve:")
        )
        click = await fake.click(card["id"], f"cot:approve:{pid}", user=TRADER_ID)
        await click.ack()
        await fake.wait_until(lambda: bool(alpaca.orders_for(pid)), what="order at Alpaca")
        await fake.wait_until(
            lambda: "Outcome" in str(fake.message(card["id"])["embeds"]), what="card edited"
        )
        assert len(alpaca.orders_for(pid)) == 1 and alpaca.orders_for(pid)[0]["qty"] == "2"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = "".join(f.read_text() for f in (home / "logs").glob("*.log"))
    for text in (out.decode(), err.decode(), logs):
        assert TOKEN not in text and alpaca.secret_key not in text
    assert proc.returncode == 0  # a graceful stop
