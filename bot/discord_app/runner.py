"""`cotrader run` with DISCORD_TOKEN: the bot and its scheduler, and nothing else in the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from bot.discord_app.client import CotraderBot
from bot.discord_app.config import DiscordConfig

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
    while True:
        bot = CotraderBot(app, cfg, message_content=message_content, **options)
        if started is not None:
            started(bot)
        try:
            async with bot:
                await bot.start(token)
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
