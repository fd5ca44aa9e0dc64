"""Embeds for /risk and /reconcile."""

from __future__ import annotations

import discord

from agents.results import ReconcileView
from bot.discord_app.embeds import banner, shown
from bot.discord_app.limits import clip
from bot.text_views import reconcile_lines, risk_lines
from services.risk import RiskReport

STATE_COLOUR = {"active": 0x2ECC71, "reducing": 0xF39C12, "halted": 0xE74C3C}


def risk_embed(r: RiskReport, mode_label: str) -> discord.Embed:
    tag, _, _ = banner(mode_label)
    lines = risk_lines(r)
    e = discord.Embed(
        title=f"{tag} · risk · {lines[0]}",
        description=clip("\n".join(lines[1:]), 3900),
        colour=STATE_COLOUR.get(r.state.value, 0x7F8C8D),
    )
    e.set_footer(text="Limits are checked again at every click. Only a person can /resume.")
    return shown(e)


def reconcile_embed(v: ReconcileView) -> discord.Embed:
    tag, _, colour = banner(v.mode_label)
    e = discord.Embed(
        title=f"{tag} · reconcile · {'books agree' if v.ok else 'DISCREPANCIES'}",
        description=clip("\n".join(reconcile_lines(v)), 3900),
        colour=colour if v.ok else 0xE74C3C,
        timestamp=v.at,
    )
    e.set_footer(text="The venue against our books; nothing is overwritten.")
    return shown(e)
