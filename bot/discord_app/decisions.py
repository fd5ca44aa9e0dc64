"""What a click does: approve, reject, adjust size, and the two-step kill switch.

Refusals are private (ephemeral) and recorded by the orchestrator; a decision edits the
card in place. Approval defers first, because the re-check reads a fresh quote and the
broker answers in its own time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from agents.errors import CotraderError, NotAuthorized, ProposalNotFound
from agents.killswitch import CONFIRM_WITHIN
from bot.discord_app.cards import CardPoster
from bot.discord_app.components import (
    QUANTITY_FIELD,
    RESIZE_FORM,
    ResizeModal,
    card_view,
    kill_view,
)
from bot.discord_app.embeds import card_embed, kill_embed
from bot.discord_app.replies import fail

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

CONFIRM_MINUTES = int(CONFIRM_WITHIN.total_seconds() // 60)
IN_FLIGHT = ("approved", "submitted")


class Decisions:
    def __init__(self, bot: CotraderBot, cards: CardPoster) -> None:
        self.bot = bot
        self.orch = bot.orch
        self.cards = cards

    async def _show(self, interaction: discord.Interaction, pid: str) -> None:
        """Edit the clicked card to the proposal's current state (after a refusal too)."""
        try:
            card = self.orch.proposal(pid)
        except ProposalNotFound:
            return
        if card.status in IN_FLIGHT:
            return  # the click that won is still working; it edits the card when done
        if interaction.message is not None:
            await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))
            self.orch.mark_shown(interaction.message.id, card)
        await self.cards.refresh(pid, skip_message=interaction.message and interaction.message.id)

    async def _refused(self, interaction: discord.Interaction, pid: str, verb: str) -> bool:
        """The gate's answer, at once and privately, when this click may not decide now
        (not an approver, or the card is no longer pending); True when it may."""
        try:
            self.orch.check_decision(pid, self.bot.actor_of(interaction), verb)
        except NotAuthorized as e:
            await fail(interaction, f"{e} Approvers: {self.bot.config.approvers.describe()}.")
            return True
        except CotraderError as e:
            await fail(interaction, f"{e} Nothing was sent." if verb == "approve" else str(e))
            return True
        return False

    async def approve(self, interaction: discord.Interaction, pid: str) -> None:
        if await self._refused(interaction, pid, "approve"):
            return
        await interaction.response.defer()  # a deferred update of the card itself
        try:
            card = await self.orch.approve(pid, self.bot.actor_of(interaction))
        except CotraderError as e:
            await fail(interaction, str(e))
            await self._show(interaction, pid)
            return
        await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))
        if interaction.message is not None:
            self.orch.mark_shown(interaction.message.id, card)

    async def reject(self, interaction: discord.Interaction, pid: str) -> None:
        actor = self.bot.actor_of(interaction)
        try:
            card = self.orch.reject(pid, actor, f"rejected on Discord by {actor.name}")
        except NotAuthorized as e:
            await fail(interaction, f"{e} Approvers: {self.bot.config.approvers.describe()}.")
            return
        except CotraderError as e:
            await fail(interaction, str(e))
            await self.cards.refresh(pid)
            return
        await interaction.response.edit_message(embed=card_embed(card), view=card_view(card))
        if interaction.message is not None:
            self.orch.mark_shown(interaction.message.id, card)

    async def open_resize(self, interaction: discord.Interaction, pid: str) -> None:
        if await self._refused(interaction, pid, "resize"):
            return
        await interaction.response.send_modal(ResizeModal(self.orch.proposal(pid)))

    async def submit_resize(self, interaction: discord.Interaction) -> None:
        """The Adjust-size form came back: a re-checked replacement card, the old one superseded."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        m = RESIZE_FORM.fullmatch(str(data.get("custom_id", "")))
        if m is None:
            await fail(interaction, "That form is not one I know; nothing was changed.")
            return
        value = _field(data, QUANTITY_FIELD)
        await interaction.response.defer(thinking=True)
        try:
            card = await self.orch.resize(m["pid"], value, self.bot.actor_of(interaction))
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        msg = await interaction.edit_original_response(
            content=f"Resized {m['pid']} to {card.quantity} shares: replacement {card.id}.",
            embed=card_embed(card),
            view=card_view(card),
        )
        self.cards.record(card, msg)
        await self.cards.refresh(m["pid"])

    # ------------------------------------------------------------------ kill switch
    async def ask_kill(self, interaction: discord.Interaction, flatten: bool) -> None:
        try:
            nonce = self.orch.request_kill(self.bot.actor_of(interaction), flatten)
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        what = "cancel every open order, expire pending proposals and HALT the desk"
        if flatten:
            what += ", then close every position at market"
        await interaction.response.send_message(
            f"⚠️ This will {what}. Confirm within {CONFIRM_MINUTES} minutes.",
            view=kill_view(flatten, interaction.user.id, nonce),
            ephemeral=True,
        )

    async def confirm_kill(
        self, interaction: discord.Interaction, flatten: bool, user_id: int, nonce: str
    ) -> None:
        """The second click: the orchestrator decides (only the asker, in time, once)."""
        actor = self.bot.actor_of(interaction)
        try:
            self.orch.confirm_kill(actor, nonce)
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        await interaction.response.defer()
        try:
            report = await self.orch.kill(actor, flatten=flatten)
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        await interaction.edit_original_response(
            content="Kill switch done.", embed=kill_embed(report), view=None
        )
        for pid in report.expired_proposals:
            await self.cards.refresh(pid)

    async def cancel_kill(self, interaction: discord.Interaction, nonce: str) -> None:
        self.orch.cancel_kill(nonce)
        await interaction.response.edit_message(
            content="Kill canceled; nothing was done.", view=None
        )

    # ------------------------------------------------------------------ strays
    async def unknown(self, interaction: discord.Interaction) -> None:
        """A component or form id that is not ours or is malformed: say so, change nothing."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        cid = str(data.get("custom_id", ""))[:60]
        logger.info("unknown custom_id {!r} from {}", cid, interaction.user.id)
        await fail(
            interaction,
            f"This control (`{discord.utils.escape_markdown(cid)}`) is not one I recognise, "
            "so nothing was changed. Use /pending to see open proposals.",
        )


def _field(data: dict[str, Any], custom_id: str) -> str:
    """A text input's value from a modal submit payload (rows of components, or labels)."""
    for row in data.get("components", []):
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        for c in children:
            if c.get("custom_id") == custom_id:
                return str(c.get("value", ""))
    return ""
