"""Reports and learning on Discord: a report's headline as an embed with its chart and files
attached, a suggestion as a card with persistent Apply / Dismiss buttons.

The buttons' custom ids name the suggestion (`sugg:apply:s-1a2b3c4d`), so a card posted
last week still works after a restart. Only approvers may decide (the orchestrator's gate);
anyone else is refused privately and nothing changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from agents.errors import CotraderError, NotAuthorized
from agents.report_views import ReportView, SettingChangeView, SuggestionView
from bot.discord_app.embeds import banner, shown, when
from bot.discord_app.limits import clip
from bot.discord_app.replies import fail
from services.reports.markdown import money, num, usd

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

SUGGESTION_ID = r"s-[a-z0-9]{1,32}"
SUGGESTION_BUTTON = re.compile(rf"sugg:(?P<verb>apply|dismiss):(?P<sid>{SUGGESTION_ID})")
ATTACHED = ("equity_chart", "strategy_chart", "markdown", "trades_csv", "equity_csv")
PASSED = "Ideas you passed on"
NA = "n/a"


# ----------------------------------------------------------------------------- reports
def _signed_pct(x: Any, digits: int = 2) -> str:
    """As the summary writes a return: '+1.23%' ('n/a' when unknown)."""
    return NA if x is None else f"{float(x):+.{digits}f}%"


def _plain_pct(x: Any, digits: int) -> str:
    return NA if x is None else f"{float(x):.{digits}f}%"


def _present(view: ReportView) -> dict[str, Path]:
    """The report's files that exist, in attachment order (name → path)."""
    out = {}
    for key in ATTACHED:
        raw = view.files.get(key)
        if raw and Path(raw).is_file():
            out[key] = Path(raw)
    return out


def report_embed(view: ReportView) -> discord.Embed:
    """The headline figures (the summary's own strings), the equity chart as its image."""
    tag, note, colour = banner(view.mode_label)
    f = view.figures
    bench = str(f.get("benchmark_symbol") or "SPY")
    e = discord.Embed(
        title=f"📊 {tag} · {view.period} report: {view.label}",
        description=f"{when(view.start, 'f')} → {when(view.end, 'f')}",
        colour=colour,
    )
    e.add_field(name="Equity", value=f"{usd(f.get('start_equity'))} → {usd(f.get('end_equity'))}")
    e.add_field(
        name="Return",
        value=f"{_signed_pct(f.get('return_pct'))} (vs {bench} "
        f"{_signed_pct(f.get('benchmark_return_pct'))})",
    )
    e.add_field(name="Realised", value=money(f.get("realised")))
    e.add_field(name="Unrealised", value=money(f.get("unrealised")))
    e.add_field(name="Total P&L", value=money(f.get("total_pnl")))
    e.add_field(name="Fees", value=usd(f.get("fees")))
    e.add_field(
        name="Trades",
        value=f"{f.get('trades_opened', 0)} opened, {f.get('trades_closed', 0)} closed",
    )
    e.add_field(name="Win rate", value=_plain_pct(f.get("win_rate"), 1))
    e.add_field(name="Profit factor", value=num(f.get("profit_factor")))
    e.add_field(name="Sharpe", value=num(f.get("sharpe")))
    e.add_field(name="Sortino", value=num(f.get("sortino")))
    e.add_field(name="Max drawdown", value=_plain_pct(f.get("max_drawdown_pct"), 2))
    p = f.get("proposals") or {}
    e.add_field(
        name="Cards",
        value=f"{p.get('made', 0)} made, {p.get('approved', 0)} approved, "
        f"{p.get('rejected', 0)} rejected, {p.get('expired', 0)} expired",
    )
    e.add_field(name="Approval rate", value=_plain_pct(f.get("approval_rate"), 0))
    passed = next((line for line in view.summary if line.startswith(PASSED)), None)
    if passed:
        e.add_field(name=PASSED, value=passed.partition(":")[2].strip() or passed, inline=False)
    files = _present(view)
    if "equity_chart" in files:
        e.set_image(url=f"attachment://{files['equity_chart'].name}")
    e.set_footer(text=f"{tag} · {note} · the markdown and CSVs are attached")
    return shown(e)


def report_files(view: ReportView) -> list[discord.File]:
    """Equity chart, strategy chart, markdown, trades CSV, equity CSV (those that exist)."""
    return [discord.File(path, filename=path.name) for path in _present(view).values()]


async def post_report(chan: discord.abc.Messageable, view: ReportView) -> None:
    """A scheduled report in the alert channel: its embed with every file attached."""
    await chan.send(embed=report_embed(view), files=report_files(view))


# ----------------------------------------------------------------------------- suggestions
def _num(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


def suggestion_embed(s: SuggestionView, outcome: str | None = None) -> discord.Embed:
    """A suggested setting change: what, why (the evidence), how sure, current → new."""
    e = discord.Embed(
        title=f"💡 Suggestion {s.id}: {clip(s.title, 200)}",
        description=clip(s.evidence, 2000) or None,
        colour=0x9B59B6 if s.status == "pending" else 0x95A5A6,
    )
    e.add_field(name="Setting", value=f"`{s.key}`: {_num(s.current)} → {_num(s.value)}")
    e.add_field(name="Confidence", value=f"{s.confidence:.0%}")
    if s.trades:
        e.add_field(name="Evidence base", value=f"{s.trades} trades, {s.losses} losses")
    if s.strategy:
        e.add_field(name="Strategy", value=s.strategy)
    e.add_field(name="Status", value=outcome or s.status, inline=False)
    e.set_footer(text="Nothing changes until an approver clicks Apply; /settings lists changes.")
    return shown(e)


def applied_text(c: SettingChangeView, who: str) -> str:
    return f"Applied by {who} as change #{c.id} (revert with /settings revert {c.id})"


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=SUGGESTION_BUTTON.pattern
):
    """Apply or Dismiss one suggestion (approvers only; refused privately otherwise)."""

    def __init__(self, verb: str, sid: str, disabled: bool = False) -> None:
        apply = verb == "apply"
        super().__init__(
            discord.ui.Button(
                label="Apply" if apply else "Dismiss",
                style=discord.ButtonStyle.success if apply else discord.ButtonStyle.secondary,
                emoji="✅" if apply else "✖️",
                custom_id=f"sugg:{verb}:{sid}",
                disabled=disabled,
            )
        )
        self.verb, self.sid = verb, sid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> SuggestionButton:
        return cls(match["verb"], match["sid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: CotraderBot = interaction.client  # type: ignore[assignment]
        actor = bot.actor_of(interaction)
        try:
            if self.verb == "apply":
                change = bot.orch.apply_suggestion(self.sid, actor)
                outcome = applied_text(change, actor.name)
            else:
                bot.orch.dismiss_suggestion(self.sid, actor)
                outcome = f"Dismissed by {actor.name}; nothing changed."
        except NotAuthorized as e:
            await fail(interaction, f"{e} Approvers: {bot.config.approvers.describe()}.")
            return
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        logger.info("suggestion {} {} by {}", self.sid, self.verb, interaction.user.id)
        current = next((s for s in bot.orch.suggestions() if s.id == self.sid), None)
        if current is not None:
            embed = suggestion_embed(current, outcome)
        else:  # older than the listing: keep the card as shown, with the outcome
            old = interaction.message.embeds[0] if interaction.message else None
            embed = old or discord.Embed(title=f"Suggestion {self.sid}")
            at = next((i for i, f in enumerate(embed.fields) if f.name == "Status"), None)
            if at is None:
                embed.add_field(name="Status", value=outcome, inline=False)
            else:
                embed.set_field_at(at, name="Status", value=outcome, inline=False)
            embed = shown(embed)
        await interaction.response.edit_message(content=outcome, embed=embed, view=None)


def suggestion_view(s: SuggestionView) -> discord.ui.View:
    """Apply / Dismiss, enabled only while the suggestion is pending."""
    off = s.status != "pending"
    v = discord.ui.View(timeout=None)
    v.add_item(SuggestionButton("apply", s.id, off))
    v.add_item(SuggestionButton("dismiss", s.id, off))
    return v


def is_suggestion_id(custom_id: str) -> bool:
    return SUGGESTION_BUTTON.fullmatch(custom_id) is not None


async def post_suggestions(
    chan: discord.abc.Messageable, suggestions: tuple[SuggestionView, ...]
) -> None:
    """One card per suggestion, each with its own Apply / Dismiss."""
    for s in suggestions:
        await chan.send(embed=suggestion_embed(s), view=suggestion_view(s))
