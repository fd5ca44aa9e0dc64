"""A running co-trader bot against the loopback Discord: the same `serve()` that
`cotrader run` uses, on the test's database and clock."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import App
from bot.discord_app.client import CotraderBot
from bot.discord_app.runner import serve
from tests.conftest import Clock
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p

TOKEN = "test-bot-token-for-the-loopback-discord-only"
CHAT_CHANNEL = p.CHANNEL_ID
ALERT_CHANNEL = 1_300_000_000_000_000_302
TRADER_ROLE = 1_300_000_000_000_000_401
TRADER_ID = 1_300_000_000_000_000_501
VIEWER_ID = 1_300_000_000_000_000_502
SECOND_TRADER_ID = 1_300_000_000_000_000_503


@dataclass
class World:
    fake: FakeDiscord
    app: App
    bot: CotraderBot
    task: asyncio.Task[None]

    @property
    def orch(self) -> Any:
        return self.app.orchestrator


def people(fake: FakeDiscord) -> None:
    fake.user(TRADER_ID, "trader", roles=[TRADER_ROLE])
    fake.user(SECOND_TRADER_ID, "trader2", roles=[TRADER_ROLE])
    fake.user(VIEWER_ID, "viewer")


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord,
    make_app: Callable[..., App],
    clock: Clock,
    **overrides: Any,
) -> AsyncIterator[World]:
    """Start the bot like `cotrader run` does and wait until it is ready; close it after."""
    settings: dict[str, Any] = {
        "discord_token": TOKEN,
        "discord_api_base": fake.api_base,
        "discord_guild_id": p.GUILD_ID,
        "chat_channel_ids": str(CHAT_CHANNEL),
        "alert_channel_id": ALERT_CHANNEL,
        "approver_role_ids": str(TRADER_ROLE),
        "scheduler": False,
    }
    settings.update(overrides)
    app = make_app(clock, **settings)
    holder: list[CotraderBot] = []
    task = asyncio.create_task(serve(app, TOKEN, holder.append, guild_ready_timeout=0.05))
    try:
        await fake.ready()
        await fake.wait_until(lambda: bool(holder) and holder[-1].is_ready(), what="bot ready")
        yield World(fake, app, holder[-1], task)
    finally:
        if holder:
            await holder[-1].close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
        await fake.wait_until(lambda: not fake.gateway.live(), what="bot disconnected")


def card_message(fake: FakeDiscord, proposal_id: str) -> dict[str, Any]:
    """The newest message whose embed is the card of `proposal_id`."""
    for mid in reversed(list(fake.messages)):
        msg = fake.message(mid)
        for e in msg.get("embeds", []):
            if proposal_id in (e.get("footer") or {}).get("text", ""):
                return msg
    raise LookupError(f"no card for {proposal_id}")


def buttons(msg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Buttons of a message by label."""
    out = {}
    for row in msg.get("components", []):
        for c in row.get("components", []):
            if c.get("type") == 2:
                out[c.get("label", "")] = c
    return out


def field(embed: dict[str, Any], name: str) -> str:
    for f in embed.get("fields", []):
        if f["name"].startswith(name):
            return str(f["value"])
    raise LookupError(f"no field {name!r} in {[f['name'] for f in embed.get('fields', [])]}")


async def run_process(
    fake: FakeDiscord, home: Path, preexec_fn: Callable[[], None] | None = None, **extra: str
) -> asyncio.subprocess.Process:
    """`cotrader run` as a user starts it (a real process), pointed at the loopback Discord
    with the test cast's guild, alert channel and approver role; `extra` adds variables."""
    from tests.e2e.test_cli import env

    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env(
            home,
            DISCORD_TOKEN=TOKEN,
            COTRADER_DISCORD_API_BASE=fake.api_base,
            COTRADER_DISCORD_GUILD_ID=str(p.GUILD_ID),
            COTRADER_ALERT_CHANNEL_ID=str(ALERT_CHANNEL),
            COTRADER_APPROVER_ROLE_IDS=str(TRADER_ROLE),
            **extra,
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=preexec_fn,
    )
