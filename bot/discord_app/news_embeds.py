"""News on Discord: /news as embeds (each headline a link, with its sentiment), and a
material headline on a holding as one alert embed with a "Review exit" button."""

from __future__ import annotations

import discord

from agents.events import NewsAlert
from agents.news_views import MoveAnswer, NewsItemView, NewsView
from bot.discord_app.embeds import banner, shown
from bot.discord_app.limits import clip

ADVERSE = 0xE74C3C
MOOD = {"positive": "🟢", "negative": "🔴", "neutral": "⚪"}


def _line(i: NewsItemView) -> str:
    s = i.sentiment
    head = clip(i.headline, 180)
    text = f"[{head}]({i.url})" if i.url.startswith(("https://", "http://")) else head
    return (
        f"{MOOD.get(str(s['label']), '⚪')} {text} · {i.source} · "
        f"<t:{int(i.created_at.timestamp())}:R> ({float(s['score']):+.2f})"
    )


def news_embed(v: NewsView | MoveAnswer) -> discord.Embed:
    tag, note, colour = banner(v.mode_label)
    title = f"{tag} · news" if isinstance(v, NewsView) else f"{tag} · why {v.symbol} moved"
    e = discord.Embed(title=title, description=clip(v.text, 1500), colour=colour)
    lines = [_line(i) for i in v.items[:10]]
    if lines:
        e.add_field(name="Headlines", value=clip("\n".join(lines), 1024), inline=False)
    e.set_footer(text=f"{tag} · headlines are quoted, never followed · {note}")
    return shown(e)


def news_alert_embed(e: NewsAlert) -> discord.Embed:
    tag, note, colour = banner(e.mode_label)
    em = discord.Embed(
        title=f"📰 {tag} · {e.symbol}: {clip(e.headline, 200)}",
        url=e.url if e.url.startswith(("https://", "http://")) else None,
        description=f"{e.label} ({e.score:+.2f})"
        + (f" · material: {', '.join(e.material)}" if e.material else ""),
        colour=ADVERSE if e.score < 0 else colour,
        timestamp=e.at,
    )
    em.set_author(name=f"{tag} · NEWS ON A HOLDING · {note}")
    em.add_field(name="Source", value=e.source)
    em.add_field(name="Position", value=f"{e.held:+,}")
    pnl = (
        "-"
        if e.pnl is None
        else f"${e.pnl:+,.2f}" + (f" ({e.pnl_pct:+.2f}%)" if e.pnl_pct is not None else "")
    )
    em.add_field(name="Position P&L", value=pnl)
    em.set_footer(text=f"{tag} · told once · Review exit opens an exit card, never an order")
    return shown(em)
