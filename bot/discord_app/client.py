"""The bot: a commands.Bot with one cog per concern, persistent buttons and an alert channel."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from loguru import logger

from agents.errors import CotraderError
from agents.events import DeskEvent, ExitSignal, NewsAlert, OrderEvent, PriceAlert
from agents.results import ReconcileView
from bot.discord_app.cards import CardPoster
from bot.discord_app.components import DYNAMIC_ITEMS, RESIZE_FORM, known_custom_id
from bot.discord_app.config import DiscordConfig
from bot.discord_app.decisions import Decisions
from bot.discord_app.embeds import alert_embed
from bot.discord_app.monitor_embeds import ReviewExitButton, is_review_id
from bot.discord_app.replies import fail
from bot.discord_app.report_embeds import SuggestionButton, is_suggestion_id
from bot.event_text import event_text, reconcile_alert
from models.domain import Actor

if TYPE_CHECKING:
    from bot.app import App

COGS = (
    "bot.discord_app.cogs.trading",
    "bot.discord_app.cogs.account",
    "bot.discord_app.cogs.watchlist",
    "bot.discord_app.cogs.control",
    "bot.discord_app.cogs.chat",
    "bot.discord_app.cogs.alerts",
    "bot.discord_app.cogs.research",
    "bot.discord_app.cogs.risk",
    "bot.discord_app.cogs.sim",
    "bot.discord_app.cogs.greeks",
    "bot.discord_app.cogs.options",
    "bot.discord_app.cogs.monitor",
    "bot.discord_app.cogs.news",
    "bot.discord_app.cogs.reports",
)
QUIET_ALERTS = frozenset({"expired", "superseded"})  # the card itself is edited to say so


def intents_for(message_content: bool) -> discord.Intents:
    """Only what is used: guilds (cache, owner), messages for chat, and message content
    when enabled (privileged; without it the bot still hears mentions and DMs)."""
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.dm_messages = True
    i.message_content = message_content
    return i


def _no_voice_noise(record: logging.LogRecord) -> bool:
    """discord.py warns at start that voice libraries are missing; this bot has no voice."""
    return "voice will NOT be supported" not in record.getMessage()


logging.getLogger("discord.client").addFilter(_no_voice_noise)


def point_at(api_base: str) -> None:
    """Send discord.py's REST calls to another server (testing: a loopback Discord)."""
    discord.http.Route.BASE = api_base.rstrip("/")


class CotraderBot(commands.Bot):
    def __init__(
        self,
        app: App,
        config: DiscordConfig,
        message_content: bool | None = None,
        **options: Any,
    ) -> None:
        mc = config.message_content if message_content is None else message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents_for(mc),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.app = app
        self.orch = app.orchestrator
        self.config = config
        self.hears_all_messages = mc
        self.cards = CardPoster(self)
        self.decisions = Decisions(self, self.cards)
        self.tree.on_error = self.on_app_command_error
        self.startup_report: ReconcileView | None = None  # start-up reconciliation to post
        self._startup_posted = False
        if config.api_base:
            point_at(config.api_base)

    # ------------------------------------------------------------------ start-up
    async def login(self, token: str) -> None:
        await super().login(token)
        if self.config.api_base:  # ask that server where its gateway is
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def setup_hook(self) -> None:
        for ext in COGS:
            await self.load_extension(ext)
        self.add_dynamic_items(*DYNAMIC_ITEMS, ReviewExitButton, SuggestionButton)
        self.orch.llm.warm_in_background()
        await self.sync_commands()

    async def sync_commands(self, force: bool = False) -> str:
        """Register the slash commands with Discord when they changed (or when forced):
        in the configured guild (instant), else globally. Never on every start."""
        guild = discord.Object(self.config.guild_id) if self.config.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        where = f"guild {guild.id}" if guild else "global"
        key = f"discord.sync:{guild.id if guild else 'global'}:{digest}"
        if not force and self.orch.claimed(key):
            return f"{len(payload)} commands already registered ({where})"
        synced = await self.tree.sync(guild=guild)
        self.orch.claim_once(key, f"{len(synced)} commands")
        self.orch.note(
            "discord.commands_synced", "system:discord", {"where": where, "n": len(synced)}
        )
        logger.info("synced {} slash commands ({})", len(synced), where)
        return f"{len(synced)} commands registered ({where})"

    async def on_ready(self) -> None:
        rep = self.startup_report
        if rep is not None and not rep.ok and not self._startup_posted:
            self._startup_posted = True
            await self.post_alert("reconcile", reconcile_alert(rep), rep.mode_label)
        logger.info(
            "Discord: logged in as {} ({}), {} guild(s), message content {}",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            "on" if self.hears_all_messages else "off (mentions and DMs only)",
        )

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: chat is handled by the chat cog's listener."""

    # ------------------------------------------------------------------ who is asking
    def actor_of(self, interaction: discord.Interaction) -> Actor:
        u = interaction.user
        return self.actor_for_user(u, interaction.guild)

    def actor_for_user(
        self, u: discord.User | discord.Member, guild: discord.Guild | None
    ) -> Actor:
        roles = frozenset(r.id for r in getattr(u, "roles", ()))
        g = guild or (self.get_guild(self.config.guild_id) if self.config.guild_id else None)
        ok = self.config.approvers.allows(u.id, roles, g.owner_id if g else None)
        return Actor(id=f"discord:{u.id}", name=u.display_name[:64], can_approve=ok)

    # ------------------------------------------------------------------ strays and errors
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        cid = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            if RESIZE_FORM.fullmatch(cid):
                await self.decisions.submit_resize(interaction)
            else:
                await self.decisions.unknown(interaction)
        elif interaction.type is discord.InteractionType.component and (
            not (known_custom_id(cid) or is_review_id(cid) or is_suggestion_id(cid))
            or not _carries(interaction.message, cid)
        ):
            await self.decisions.unknown(interaction)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = getattr(error, "original", error)
        if isinstance(cause, CotraderError):
            await fail(interaction, str(cause))
        elif isinstance(error, app_commands.TransformerError):
            await fail(interaction, f"That option is not valid: {error.value!r:.40}. Nothing done.")
        elif isinstance(error, app_commands.CheckFailure):
            await fail(interaction, str(error) or "You may not use this command here.")
        else:
            logger.exception(
                "command {} failed: {}", getattr(interaction.command, "name", "?"), cause
            )
            await fail(interaction, "Something went wrong on my side; nothing was changed.")

    # ------------------------------------------------------------------ alerts
    async def on_event(self, e: DeskEvent) -> None:
        """The desk's events: a card that moved is edited where it was posted; everything
        but an expiry or a replacement (the card says it) goes to the alert channel; the
        monitor cog renders its own alerts and exit signals."""
        if isinstance(e, PriceAlert | ExitSignal | NewsAlert):
            return  # the monitor and news cogs post their own
        if e.kind not in QUIET_ALERTS:
            await self.post_alert(e.kind, event_text(e), e.mode_label)
        pid = getattr(e, "proposal_id", None)
        clicked = isinstance(e, OrderEvent) and e.approver is not None  # the click edits it
        if isinstance(pid, str) and not clicked:
            await self.cards.refresh(pid)

    async def post_alert(self, kind: str, text: str, mode_label: str | None = None) -> None:
        """One alert embed in the alert channel (nothing without one configured)."""
        if not self.config.alert_channel_id:
            return
        chan = self.get_partial_messageable(self.config.alert_channel_id)
        await chan.send(embed=alert_embed(kind, text, mode_label or self.orch.mode.label))

    def alert_channel(self) -> discord.PartialMessageable | None:
        if not self.config.alert_channel_id:
            return None
        return self.get_partial_messageable(self.config.alert_channel_id)


def _carries(message: discord.Message | None, custom_id: str) -> bool:
    """Whether the clicked message really has that component (discord.py ignores the click
    silently otherwise, so the user would wait for nothing)."""
    if message is None:
        return True
    view = discord.ui.View.from_message(message, timeout=None)
    return any(getattr(c, "custom_id", None) == custom_id for c in view.children)
