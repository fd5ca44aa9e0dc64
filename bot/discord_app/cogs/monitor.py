"""The monitor: /monitor (a pass now), the /alert group, /movestop (a stop card), and the
monitor's price alerts and exit signals rendered in the alert channel."""

from __future__ import annotations

import discord
from discord import app_commands

from agents import events as ev
from agents.errors import BadInput
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.limits import clip
from bot.discord_app.monitor_embeds import (
    alert_view_embed,
    alerts_embed,
    exit_signal_embed,
    monitor_embed,
    price_alert_embed,
    review_view,
    wants_review,
)
from bot.discord_app.replies import defer, say

CONDITIONS = [
    app_commands.Choice(name="above: the price reaches LEVEL or more", value="above"),
    app_commands.Choice(name="below: the price falls to LEVEL or less", value="below"),
    app_commands.Choice(name="move: the day's move reaches LEVEL % either way", value="move"),
    app_commands.Choice(name="loss: the position loses LEVEL % of its entry", value="loss"),
    app_commands.Choice(name="gain: the position gains LEVEL % of its entry", value="gain"),
]
PRICE = app_commands.Range[float, 0.0001, 10_000_000.0]
SYMBOL = app_commands.Range[str, 1, 16]
ALERT_ID = app_commands.Range[str, 1, 40]


async def alert_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The current alerts whose id or text contains what was typed (max 25)."""
    bot: CotraderBot = interaction.client  # type: ignore[assignment]
    typed = (current or "").strip().lower()
    out = []
    for a in bot.orch.alerts().alerts:
        label = f"{a.id} · {a.text} ({a.status})"
        if typed in label.lower():
            out.append(app_commands.Choice(name=clip(label, 100), value=a.id))
    return out[:25]


class Monitor(CotraderCog):
    alert = app_commands.Group(
        name="alert",
        description="Price and position alerts: each fires once, in the alert channel.",
    )

    async def cog_load(self) -> None:
        self.orch.subscribe(self.on_event)

    async def cog_unload(self) -> None:
        self.orch.unsubscribe(self.on_event)

    # ------------------------------------------------------------------ alert channel
    async def on_event(self, e: ev.DeskEvent) -> None:
        """A fired alert or exit rule: its embed in the alert channel (with "Review exit" when
        it concerns a held position and brought no card), then the card it raised."""
        if not isinstance(e, ev.PriceAlert | ev.ExitSignal):
            return
        chan = self.bot.alert_channel()
        if chan is None:
            return
        embed = price_alert_embed(e) if isinstance(e, ev.PriceAlert) else exit_signal_embed(e)
        if wants_review(e):
            await chan.send(embed=embed, view=review_view(e.symbol))
        else:
            await chan.send(embed=embed)
        pid = getattr(e, "proposal_id", None)
        if pid:
            if self.orch.posts(pid):  # already on Discord: bring every copy up to date
                await self.bot.cards.refresh(pid)
            else:
                await self.bot.cards.post(chan, self.orch.proposal(pid))

    # ------------------------------------------------------------------ commands
    @app_commands.command(
        name="monitor", description="Run a monitor pass now: positions and alerts checked."
    )
    async def monitor(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        view = await self.orch.monitor(self.bot.actor_of(interaction))
        await say(interaction, embed=monitor_embed(view), ephemeral=False)

    @alert.command(name="add", description="Set an alert; it fires once in the alert channel.")
    @app_commands.describe(
        symbol="The symbol to watch",
        condition="above/below a price, the day's move, or a held position's loss/gain",
        level="The price (above, below) or the percent (move, loss, gain)",
    )
    @app_commands.choices(condition=CONDITIONS)
    @app_commands.autocomplete(symbol=symbol_choices)
    async def add(
        self,
        interaction: discord.Interaction,
        symbol: SYMBOL,
        condition: app_commands.Choice[str],
        level: float,
    ) -> None:
        # no defer: a refusal stays private (the error handler answers ephemerally)
        a = await self.orch.add_alert(
            symbol, condition.value, level, self.bot.actor_of(interaction)
        )
        await say(
            interaction, embed=alert_view_embed(a, "set", self.orch.mode.label), ephemeral=False
        )

    @alert.command(name="list", description="Every armed or fired alert.")
    async def list_(self, interaction: discord.Interaction) -> None:
        await say(interaction, embed=alerts_embed(self.orch.alerts(), self.orch.mode.label))

    @alert.command(name="remove", description="Remove an alert.")
    @app_commands.describe(id="The alert's id, as /alert list shows it")
    @app_commands.autocomplete(id=alert_choices)
    async def remove(self, interaction: discord.Interaction, id: ALERT_ID) -> None:
        a = self.orch.remove_alert(id.strip(), self.bot.actor_of(interaction))
        await say(
            interaction,
            embed=alert_view_embed(a, "removed", self.orch.mode.label),
            ephemeral=False,
        )

    @alert.command(name="rearm", description="Arm a fired alert again.")
    @app_commands.describe(id="The alert's id, as /alert list shows it")
    @app_commands.autocomplete(id=alert_choices)
    async def rearm(self, interaction: discord.Interaction, id: ALERT_ID) -> None:
        a = self.orch.rearm_alert(id.strip(), self.bot.actor_of(interaction))
        await say(
            interaction,
            embed=alert_view_embed(a, "re-armed", self.orch.mode.label),
            ephemeral=False,
        )

    @app_commands.command(
        name="movestop",
        description="Propose moving a position's stop: a card to approve; nothing is sent before.",
    )
    @app_commands.describe(
        symbol="The position whose stop moves",
        price="The new stop price",
        trail_pct="Trail the stop this many percent behind the price",
        trail_atr="Trail the stop this many ATRs behind the price",
        breakeven="Move the stop to the entry price",
    )
    @app_commands.autocomplete(symbol=symbol_choices)
    async def movestop(
        self,
        interaction: discord.Interaction,
        symbol: SYMBOL,
        price: PRICE | None = None,
        trail_pct: float | None = None,
        trail_atr: float | None = None,
        breakeven: bool = False,
    ) -> None:
        if sum(x is not None for x in (price, trail_pct, trail_atr)) + breakeven != 1:
            raise BadInput(
                "Give exactly one of price, trail_pct, trail_atr or breakeven. Nothing was done."
            )
        await defer(interaction, ephemeral=True)  # refusals stay private; the card is public
        card = await self.orch.move_stop(
            symbol,
            self.bot.actor_of(interaction),
            price=price,
            trail_pct=trail_pct,
            trail_atr=trail_atr,
            breakeven=breakeven,
        )
        chan = self.bot.get_partial_messageable(interaction.channel_id or 0)
        await self.bot.cards.post(chan, card)
        await say(
            interaction,
            f"Stop card `{card.id}` for {card.symbol} posted: it waits for an approver's click; "
            "nothing was sent.",
        )


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Monitor(bot))
