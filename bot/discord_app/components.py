"""Buttons that outlive the process: their custom_id carries what they act on.

Every button is a `discord.ui.DynamicItem`, registered in setup_hook, so a card posted
yesterday still works after a restart. The handlers live in decisions.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from agents.results import Card

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

PID = r"p-[a-z2-7]{8}"
RESIZE_FORM = re.compile(rf"cot:resize-form:(?P<pid>{PID})")
QUANTITY_FIELD = "quantity"


def _bot(interaction: discord.Interaction) -> CotraderBot:
    return interaction.client  # type: ignore[return-value]


class _CardButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of the card buttons (its own template never matches; subclasses set theirs)."""

    verb = ""
    label = ""
    style = discord.ButtonStyle.secondary
    emoji = ""

    def __init__(self, pid: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                style=self.style,
                emoji=self.emoji or None,
                custom_id=f"cot:{self.verb}:{pid}",
                disabled=disabled,
            )
        )
        self.pid = pid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> _CardButton:
        return cls(match["pid"])


class ApproveButton(_CardButton, template=rf"cot:approve:(?P<pid>{PID})"):
    verb, label, style, emoji = "approve", "Approve", discord.ButtonStyle.success, "✅"

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).decisions.approve(interaction, self.pid)


class RejectButton(_CardButton, template=rf"cot:reject:(?P<pid>{PID})"):
    verb, label, style, emoji = "reject", "Reject", discord.ButtonStyle.danger, "✖️"

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).decisions.reject(interaction, self.pid)


class ResizeButton(_CardButton, template=rf"cot:resize:(?P<pid>{PID})"):
    verb, label, style, emoji = "resize", "Adjust size", discord.ButtonStyle.secondary, "📐"

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).decisions.open_resize(interaction, self.pid)


class KillConfirmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cot:kill:(?P<flatten>[01]):(?P<user>\d{1,20}):(?P<nonce>[a-z0-9]{8})",
):
    """The second step of /kill: only the person who asked can confirm, and only once."""

    def __init__(self, flatten: bool, user_id: int, nonce: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Confirm: cancel all, halt" + (", flatten" if flatten else ""),
                style=discord.ButtonStyle.danger,
                emoji="🛑",
                custom_id=f"cot:kill:{int(flatten)}:{user_id}:{nonce}",
                disabled=disabled,
            )
        )
        self.flatten, self.user_id, self.nonce = flatten, user_id, nonce

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> KillConfirmButton:
        return cls(match["flatten"] == "1", int(match["user"]), match["nonce"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).decisions.confirm_kill(
            interaction, self.flatten, self.user_id, self.nonce
        )


class KillCancelButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cot:kill-cancel:(?P<nonce>[a-z0-9]{8})",
):
    def __init__(self, nonce: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.secondary,
                custom_id=f"cot:kill-cancel:{nonce}",
                disabled=disabled,
            )
        )
        self.nonce = nonce

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> KillCancelButton:
        return cls(match["nonce"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).decisions.cancel_kill(interaction, self.nonce)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ApproveButton,
    RejectButton,
    ResizeButton,
    KillConfirmButton,
    KillCancelButton,
)


def known_custom_id(custom_id: str) -> bool:
    """Whether a component id is one of ours and well formed."""
    return any(t.__discord_ui_compiled_template__.fullmatch(custom_id) for t in DYNAMIC_ITEMS)


def card_view(c: Card) -> discord.ui.View:
    """Approve / Reject / Adjust size, enabled only while the proposal is pending."""
    off = c.status != "pending"
    v = discord.ui.View(timeout=None)
    for cls in (ApproveButton, RejectButton, ResizeButton):
        v.add_item(cls(c.id, disabled=off))
    return v


def kill_view(flatten: bool, user_id: int, nonce: str, disabled: bool = False) -> discord.ui.View:
    v = discord.ui.View(timeout=None)
    v.add_item(KillConfirmButton(flatten, user_id, nonce, disabled))
    v.add_item(KillCancelButton(nonce, disabled))
    return v


class ResizeModal(discord.ui.Modal):
    """Asks for a new size. The submit is handled by id (decisions.py), so it survives restarts."""

    def __init__(self, c: Card) -> None:
        super().__init__(title=f"Adjust size: {c.symbol}"[:45], custom_id=f"cot:resize-form:{c.id}")
        self.add_item(
            discord.ui.TextInput(
                label="Shares (re-checked against every limit)"[:45],
                custom_id=QUANTITY_FIELD,
                placeholder=f"now {c.quantity}",
                default=str(c.quantity),
                min_length=1,
                max_length=9,
            )
        )
