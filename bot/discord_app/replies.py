"""Answering an interaction: defer when work may wait, ephemeral errors, long text as a file.
Everything said here passes the log's redactor first (text, attached text and embed)."""

from __future__ import annotations

import contextlib
from typing import Any

import discord
from loguru import logger

from bot.discord_app.embeds import shown
from bot.discord_app.limits import ATTACH_OVER, CONTENT, clip, text_file
from bot.logs import redact


async def defer(interaction: discord.Interaction, ephemeral: bool = False) -> None:
    """Acknowledge now (Discord allows 3 s); the answer follows as an edit."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def say(
    interaction: discord.Interaction,
    content: str = "",
    *,
    ephemeral: bool = True,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    long_text: str | None = None,
    filename: str = "details.txt",
) -> discord.Message | None:
    """Reply whether or not the interaction was deferred; `long_text` past the limits is
    attached as a file rather than split into a burst of messages."""
    content, long_text = redact(content), redact(long_text) if long_text else long_text
    embed = shown(embed) if embed is not None else None
    files: list[discord.File] = []
    if long_text:
        if len(long_text) + len(content) + 8 <= CONTENT:
            content = f"{content}\n```{long_text}```" if content else f"```{long_text}```"
        else:
            files.append(text_file(long_text[: ATTACH_OVER * 40], filename))
    text = clip(content, CONTENT) or None
    kw: dict[str, Any] = {"embed": embed} if embed is not None else {}
    if view is not None:
        kw["view"] = view
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=ephemeral, files=files, **kw)
        return None
    if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
        return await interaction.edit_original_response(content=text, attachments=files, **kw)
    return await interaction.followup.send(
        text or discord.utils.MISSING, ephemeral=ephemeral, wait=True, files=files, **kw
    )


async def fail(interaction: discord.Interaction, message: str, withdraw: bool = False) -> None:
    """A clear answer that nothing happened; never raises. After a deferral it replaces the
    "thinking" message, or with `withdraw` removes it and answers privately."""
    message = redact(message)
    deferred = interaction.response.type is discord.InteractionResponseType.deferred_channel_message
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(clip(message, CONTENT), ephemeral=True)
        elif deferred and withdraw:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            await interaction.followup.send(clip(message, CONTENT), ephemeral=True)
        elif deferred:
            await interaction.edit_original_response(content=clip(message, CONTENT))
        else:
            await interaction.followup.send(clip(message, CONTENT), ephemeral=True)
    except discord.HTTPException as e:
        logger.warning("could not answer interaction {}: {}", interaction.id, e)
