"""The monitor on Discord: price alerts and exit signals as alert-channel embeds, a pass's
findings, the alert list, and the persistent "Review exit" button an alert carries.

The button only opens an exit card (a proposal with its own Approve/Reject, gated like any
card); it never sends an order. Its custom id names the symbol: `cot:exit-review:NVDA`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from agents.errors import CotraderError
from agents.events import ExitSignal, PriceAlert
from agents.monitor_views import CONDITION_TEXT, AlertsView, AlertView, Finding, MonitorView
from bot.discord_app.embeds import banner, shown, when
from bot.discord_app.limits import clip
from bot.discord_app.replies import fail

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

REVIEW_EXIT = re.compile(r"cot:exit-review:(?P<symbol>[A-Z0-9.\-]{1,12})")
ADVERSE = 0xE67E22  # a loss, a fall through a level, a stop
FAVOURABLE = 0x2ECC71
RULE_TEXT = {
    "stop_hit": "stop hit",
    "target_hit": "target reached",
    "trailing_stop": "trailing stop",
    "breakeven": "move the stop to breakeven",
    "time_stop": "time stop",
    "end_of_day": "end of day (day trade)",
    "adverse_move": "significant adverse move",
    "profit_move": "significant profit",
    "alert": "alert",
}
ACTION_TEXT = {
    "exit": "EXIT PROPOSED: the card waits for a click",
    "stop_move": "STOP MOVE PROPOSED: the card waits for a click",
    "alert": "ALERT: nothing proposed, nothing sent",
}
ICONS = {"exit": "🚪", "stop_move": "🛡️", "alert": "⚠️"}


def _px(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:+.2f}%"


def _held(n: int) -> str:
    if n == 0:
        return "flat"
    return f"long {n:,}" if n > 0 else f"short {-n:,}"


def rule_text(rule: str) -> str:
    return RULE_TEXT.get(rule, rule.replace("_", " "))


def _level_text(condition: str, level: float) -> str:
    return _px(level) if condition in ("above", "below") else f"{level:g}%"


def _observed_text(condition: str, observed: float) -> str:
    return _px(observed) if condition in ("above", "below") else _pct(observed)


def alert_condition(symbol: str, condition: str, level: float) -> str:
    """'AAPL above 200.00', 'NVDA position loses 5%' (as AlertView.text)."""
    v = _px(level) if condition in ("above", "below") else f"{level:g}"
    return f"{symbol} " + CONDITION_TEXT.get(condition, condition + " {v}").format(v=v)


# ----------------------------------------------------------------------------- alert channel
def price_alert_embed(e: PriceAlert) -> discord.Embed:
    """A fired price or position alert: what was asked, what was seen, the position."""
    tag, note, colour = banner(e.mode_label)
    adverse = e.condition in ("below", "loss") or (e.condition == "move" and e.observed < 0)
    em = discord.Embed(
        title=f"🔔 {tag} · {alert_condition(e.symbol, e.condition, e.level)}",
        description=clip(e.reason, 1500),
        colour=ADVERSE if adverse else colour,
        timestamp=e.at,
    )
    em.set_author(name=f"{tag} · PRICE ALERT {e.alert_id} · {note}")
    em.add_field(name="Symbol", value=e.symbol)
    em.add_field(name="Level", value=_level_text(e.condition, e.level))
    em.add_field(name="Observed", value=_observed_text(e.condition, e.observed))
    em.add_field(name="Price", value=_px(e.price))
    em.add_field(name="Position", value=_held(e.held))
    em.add_field(name="Position P&L", value=_pct(e.pnl_pct) if e.held else "-")
    em.set_footer(
        text=f"{tag} · {e.alert_id} · fires once; /alert rearm {e.alert_id} arms it again"
    )
    return shown(em)


def exit_signal_embed(e: ExitSignal) -> discord.Embed:
    """An exit rule that fired on a position: the rule, its numbers, and what was proposed."""
    tag, note, colour = banner(e.mode_label)
    good = e.rule in ("target_hit", "profit_move") or (e.pnl_pct > 0 and e.action == "stop_move")
    em = discord.Embed(
        title=f"{ICONS.get(e.action, '🔔')} {tag} · {e.symbol}: {rule_text(e.rule)}",
        description=clip(e.reason + (f"\n{e.note}" if e.note else ""), 1500),
        colour=FAVOURABLE if good else ADVERSE if e.pnl_pct < 0 else colour,
        timestamp=e.at,
    )
    em.set_author(name=f"{tag} · EXIT SIGNAL · {ACTION_TEXT.get(e.action, e.action)}")
    em.add_field(name="Symbol", value=e.symbol)
    em.add_field(name="Price", value=_px(e.price))
    em.add_field(name="Level", value=_px(e.level))
    em.add_field(name="Position", value=_held(e.held))
    em.add_field(name="Position P&L", value=_pct(e.pnl_pct))
    r = "-" if e.r_multiple is None else f"{e.r_multiple:+.2f} R"
    em.add_field(name="R multiple", value=r)
    em.add_field(name="Days held", value=f"{e.days_held:.1f}")
    if e.new_stop is not None:
        em.add_field(name="New stop", value=_px(e.new_stop))
    em.add_field(name="Proposal", value=f"`{e.proposal_id}` (below)" if e.proposal_id else "none")
    em.set_footer(text=f"{tag} · {note} Nothing is sent until a person approves a card.")
    return shown(em)


def wants_review(e: PriceAlert | ExitSignal) -> bool:
    """Whether the alert carries a "Review exit" button: it concerns a held position and
    brought no card of its own (a stop move is its own card)."""
    if e.held == 0:
        return False
    if isinstance(e, ExitSignal):
        return e.proposal_id is None and e.action != "stop_move"
    return True


# ----------------------------------------------------------------------------- replies
def _finding_line(f: Finding) -> str:
    parts = [clip(f.reason, 300), f"price {_px(f.price)}"]
    if f.level is not None:
        parts.append(f"level {_px(f.level)}")
    if f.pnl_pct is not None:
        parts.append(f"P&L {_pct(f.pnl_pct)}")
    if f.new_stop is not None:
        parts.append(f"new stop {_px(f.new_stop)}")
    if f.proposal_id:
        parts.append(f"card `{f.proposal_id}`")
    if f.note:
        parts.append(f.note)
    return " · ".join(parts)


def monitor_embed(v: MonitorView) -> discord.Embed:
    """/monitor: what a pass checked and each finding."""
    tag, _, colour = banner(v.mode_label)
    em = discord.Embed(
        title=f"🔭 {tag} · monitor", description=v.summary, colour=colour, timestamp=v.at
    )
    em.add_field(name="Positions", value=str(v.positions))
    em.add_field(name="Alerts armed", value=str(v.alerts))
    em.add_field(name="Symbols priced", value=str(v.priced))
    for f in v.findings[:20]:
        what = f"alert {f.alert_id}" if f.alert_id else rule_text(f.rule)
        em.add_field(
            name=f"{ICONS.get(f.action, '🔔')} {f.symbol} · {what}",
            value=_finding_line(f),
            inline=False,
        )
    if len(v.findings) > 20:
        em.add_field(name="More", value=f"… and {len(v.findings) - 20} more", inline=False)
    em.set_footer(text=f"Pass took {v.ms:.1f} ms. Cards wait for a click; nothing was sent.")
    return shown(em)


def alert_line(a: AlertView) -> str:
    line = f"`{a.id}` {a.text} · {a.status}"
    if a.fired_at is not None:
        seen = f" at {_observed_text(a.condition, a.observed)}" if a.observed is not None else ""
        line += f" {when(a.fired_at)}{seen}"
    return line


def alerts_embed(v: AlertsView, mode_label: str) -> discord.Embed:
    """/alert list: every armed or fired alert, newest first."""
    tag, _, colour = banner(mode_label)
    lines = [alert_line(a) for a in v.alerts[:40]]
    if len(v.alerts) > 40:
        lines.append(f"… and {len(v.alerts) - 40} more")
    em = discord.Embed(
        title=f"🔔 {tag} · alerts ({v.armed} armed, {len(v.alerts)} of {v.limit} max)",
        description="\n".join(lines) or "No alerts. Set one with /alert add.",
        colour=colour,
    )
    em.set_footer(text="Each alert fires once; /alert rearm ID arms a fired one again.")
    return shown(em)


def alert_view_embed(a: AlertView, verb: str, mode_label: str) -> discord.Embed:
    """One alert just set, removed or re-armed."""
    tag, _, colour = banner(mode_label)
    em = discord.Embed(title=f"🔔 {tag} · alert {verb}: {a.text}", colour=colour)
    em.add_field(name="Id", value=f"`{a.id}`")
    em.add_field(name="Status", value=a.status)
    em.add_field(name="By", value=a.created_by)
    em.set_footer(text="It fires once, in the alert channel; /alert list shows them all.")
    return shown(em)


# ----------------------------------------------------------------------------- the button
class ReviewExitButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=REVIEW_EXIT.pattern
):
    """Opens the exit card for a symbol's position: the open one, else a new one for the
    whole position. Anyone may open it; only approvers can approve it (the card's gate)."""

    def __init__(self, symbol: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Review exit",
                style=discord.ButtonStyle.primary,
                emoji="🚪",
                custom_id=f"cot:exit-review:{symbol}",
            )
        )
        self.symbol = symbol

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ReviewExitButton:
        return cls(match["symbol"])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse privately at once when there is no position left to exit."""
        bot: CotraderBot = interaction.client  # type: ignore[assignment]
        try:
            held = {p.symbol for p in (await bot.orch.positions()).positions}
        except CotraderError as e:
            await fail(interaction, str(e))
            return False
        if self.symbol not in held:
            await fail(
                interaction, f"There is no open {self.symbol} position now; nothing to exit."
            )
            return False
        return True

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: CotraderBot = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            card = await bot.orch.exit_card(self.symbol, bot.actor_of(interaction))
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        here = interaction.channel_id
        shown_here = [p for p in bot.orch.posts(card.id) if int(p.channel_id) == here]
        if shown_here and card.status == "pending":
            gid = interaction.guild_id or "@me"
            link = f"https://discord.com/channels/{gid}/{here}/{shown_here[-1].message_id}"
            await interaction.edit_original_response(
                content=f"The exit card `{card.id}` for {self.symbol} is already open: {link}"
            )
            return
        chan = interaction.channel or bot.alert_channel()
        if chan is None or not isinstance(chan, discord.abc.Messageable):
            chan = bot.get_partial_messageable(here or 0)
        await bot.cards.post(chan, card)
        logger.info("exit card {} opened for {} by {}", card.id, self.symbol, interaction.user.id)
        await interaction.edit_original_response(
            content=f"Exit card `{card.id}` for {self.symbol} posted: it waits for an approver's "
            "click; nothing was sent."
        )


def review_view(symbol: str) -> discord.ui.View:
    v = discord.ui.View(timeout=None)
    v.add_item(ReviewExitButton(symbol))
    return v


def is_review_id(custom_id: str) -> bool:
    return REVIEW_EXIT.fullmatch(custom_id) is not None
