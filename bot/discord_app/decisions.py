"""What a click does: approve, reject, adjust size, and the two-step kill switch.

Refusals are private (ephemeral) and recorded by the orchestrator; a decision edits the
card in place. Approval defers first, because the re-check reads a fresh quote and the
broker answers in its own time.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from agents.errors import CotraderError, ProposalNotFound
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
from models.domain import ProposalStatus
from services.proposal_states import why_not_approvable

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

KILL_CONFIRM_SECONDS = 120
IN_FLIGHT = ("approved", "submitted")


def new_nonce() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


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
            self.bot.orch.store.frontend.mark_shown(
                interaction.message.id, card.status, card.revision
            )
        await self.cards.refresh(pid, skip_message=interaction.message and interaction.message.id)

    async def approve(self, interaction: discord.Interaction, pid: str) -> None:
        actor = self.bot.actor_of(interaction)
        if not actor.can_approve:
            try:
                await self.orch.approve(pid, actor)  # records the refusal, changes nothing
            except CotraderError as e:
                await fail(interaction, f"{e} Approvers: {self.bot.config.approvers.describe()}.")
            return
        try:
            current = self.orch.proposal(pid)
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        if current.status != "pending":  # answer at once; the card already shows why
            why = why_not_approvable(ProposalStatus(current.status))
            await fail(interaction, f"Proposal {pid} cannot be approved: {why}. Nothing was sent.")
            return
        await interaction.response.defer()  # a deferred update of the card itself
        try:
            card = await self.orch.approve(pid, actor)
        except CotraderError as e:
            await fail(interaction, str(e))
            await self._show(interaction, pid)
            return
        await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))
        if interaction.message is not None:
            self.orch.store.frontend.mark_shown(interaction.message.id, card.status, card.revision)

    async def reject(self, interaction: discord.Interaction, pid: str) -> None:
        actor = self.bot.actor_of(interaction)
        try:
            card = self.orch.reject(pid, actor, f"rejected on Discord by {actor.name}")
        except CotraderError as e:
            msg = str(e)
            if not actor.can_approve:
                msg += f" Approvers: {self.bot.config.approvers.describe()}."
            await fail(interaction, msg)
            if actor.can_approve:
                await self.cards.refresh(pid)
            return
        await interaction.response.edit_message(embed=card_embed(card), view=card_view(card))
        if interaction.message is not None:
            self.orch.store.frontend.mark_shown(interaction.message.id, card.status, card.revision)

    async def open_resize(self, interaction: discord.Interaction, pid: str) -> None:
        actor = self.bot.actor_of(interaction)
        try:
            card = self.orch.proposal(pid)
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        try:
            self.orch.require_approver(actor, "resize", "adjust a proposal", card.id)
        except CotraderError as e:
            await fail(interaction, f"{e} Approvers: {self.bot.config.approvers.describe()}.")
            return
        if card.status != "pending":
            await fail(interaction, f"Proposal {pid} is {card.status}; nothing to adjust.")
            return
        await interaction.response.send_modal(ResizeModal(card))

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
        actor = self.bot.actor_of(interaction)
        try:
            self.orch.require_approver(actor, "kill", "use the kill switch")
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        nonce = new_nonce()
        self.orch.store.events.add(
            "kill.requested", actor.id, context={"flatten": flatten, "nonce": nonce}
        )
        what = "cancel every open order, expire pending proposals and HALT the desk"
        if flatten:
            what += ", then close every position at market"
        await interaction.response.send_message(
            f"⚠️ This will {what}. Confirm within {KILL_CONFIRM_SECONDS // 60} minutes.",
            view=kill_view(flatten, interaction.user.id, nonce),
            ephemeral=True,
        )

    async def confirm_kill(
        self, interaction: discord.Interaction, flatten: bool, user_id: int, nonce: str
    ) -> None:
        actor = self.bot.actor_of(interaction)
        if interaction.user.id != user_id or not actor.can_approve:
            await fail(interaction, "Only the person who asked for the kill can confirm it.")
            return
        asked = interaction.message.created_at if interaction.message else None
        now = discord.utils.utcnow()
        if asked is not None and (now - asked).total_seconds() > KILL_CONFIRM_SECONDS:
            await fail(interaction, "That confirmation timed out; nothing was done. /kill again.")
            return
        if not self.orch.store.frontend.claim(f"kill:{nonce}", self.orch.clock(), actor.id):
            await fail(interaction, "That kill was already confirmed; nothing more was done.")
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
        self.orch.store.frontend.claim(f"kill:{nonce}", self.orch.clock(), "canceled")
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
