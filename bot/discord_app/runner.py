"""`cotrader run` with DISCORD_TOKEN: the bot and its scheduler, and nothing else in the way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from agents.errors import CotraderError
from agents.results import ReconcileView
from bot.discord_app.client import CotraderBot
from bot.discord_app.config import DiscordConfig
from bot.signals import stop_signals
from brokers.base import BrokerError

if TYPE_CHECKING:
    from bot.app import App


class DiscordStartError(Exception):
    """Discord refused to start the bot; the message says why (never the token)."""


async def serve(
    app: App,
    token: str,
    started: Callable[[CotraderBot], None] | None = None,
    **options: Any,
) -> None:
    """Run until the bot is closed. Falls back to mentions-and-DMs chat when the privileged
    message-content intent is not enabled for this application."""
    cfg = DiscordConfig.of(app.settings)
    message_content = cfg.message_content
    try:
        report = await app.orchestrator.start()
    except (CotraderError, BrokerError) as e:
        await app.orchestrator.stop()
        raise DiscordStartError(str(e)) from None
    try:
        await _serve(app, token, cfg, message_content, report, started, options)
    finally:
        await app.orchestrator.stop()


async def _serve(
    app: App,
    token: str,
    cfg: DiscordConfig,
    message_content: bool,
    report: ReconcileView,
    started: Callable[[CotraderBot], None] | None,
    options: dict[str, Any],
) -> None:
    while True:
        bot = CotraderBot(app, cfg, message_content=message_content, **options)
        bot.startup_report = report
        if started is not None:
            started(bot)
        try:
            async with bot:
                await _run_until_stopped(app, bot, token)
            return
        except discord.PrivilegedIntentsRequired:
            if not message_content:
                raise DiscordStartError("Discord refused the gateway intents.") from None
            logger.warning(
                "The message content intent is not enabled for this bot in the Developer "
                "Portal: chat falls back to mentions and DMs (set "
                "COTRADER_DISCORD_MESSAGE_CONTENT=0 to silence this)."
            )
            message_content = False
        except discord.LoginFailure:
            raise DiscordStartError(
                "Discord rejected DISCORD_TOKEN (401): check the bot token."
            ) from None


async def _run_until_stopped(app: App, bot: CotraderBot, token: str) -> None:
    """Run the bot until it ends or SIGTERM/SIGINT arrives. On a signal: stop taking
    approvals, let those in flight reach a booked or known state, then close the gateway
    (the orchestrator's stop, after this, ends the desk loop and the streams)."""
    with stop_signals() as stopping:
        running = asyncio.create_task(bot.start(token), name="discord")
        stop = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({running, stop}, return_when=asyncio.FIRST_COMPLETED)
        if running in done:
            stop.cancel()
            running.result()  # re-raise a login or intent refusal
            return
        await app.orchestrator.drain()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(running, 5)
