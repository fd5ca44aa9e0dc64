"""Discord's payload limits, applied before anything is sent (never a 400 from Discord)."""

from __future__ import annotations

import io

import discord

CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000
# past this much text a reply goes out as an attached file instead of a wall of messages
ATTACH_OVER = 3 * DESCRIPTION


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def embed_size(e: discord.Embed) -> int:
    n = len(e.title or "") + len(e.description or "")
    n += len(e.footer.text or "") if e.footer else 0
    n += len(e.author.name or "") if e.author else 0
    return n + sum(len(f.name or "") + len(f.value or "") for f in e.fields)


def fit(e: discord.Embed) -> discord.Embed:
    """Clip every part of an embed to Discord's limits; drop trailing fields past the total."""
    if e.title:
        e.title = clip(e.title, TITLE)
    if e.description:
        e.description = clip(e.description, DESCRIPTION)
    if e.footer and e.footer.text:
        e.set_footer(text=clip(e.footer.text, FOOTER), icon_url=e.footer.icon_url)
    if e.author and e.author.name:
        e.set_author(name=clip(e.author.name, AUTHOR))
    fields = [
        (clip(f.name or "-", FIELD_NAME), clip(f.value or "-", FIELD_VALUE), f.inline)
        for f in e.fields
    ]
    e.clear_fields()
    dropped = max(0, len(fields) - FIELDS + 1) if len(fields) > FIELDS else 0
    for name, value, inline in fields[: FIELDS - (1 if dropped else 0)]:
        e.add_field(name=name, value=value, inline=inline)
    while embed_size(e) > EMBED_TOTAL and e.fields:
        e.remove_field(len(e.fields) - 1)
        dropped += 1
    if dropped and len(e.fields) < FIELDS:
        e.add_field(name="…", value=f"{dropped} more not shown", inline=False)
    if embed_size(e) > EMBED_TOTAL and e.description:
        e.description = clip(
            e.description, max(0, len(e.description) - (embed_size(e) - EMBED_TOTAL))
        )
    return e


def chunks(text: str, limit: int = CONTENT) -> list[str]:
    """Split text on line boundaries into messages of at most `limit` characters."""
    out: list[str] = []
    cur = ""
    for line in (text or "").split("\n"):
        while len(line) > limit:
            if cur:
                out.append(cur)
                cur = ""
            out.append(line[:limit])
            line = line[limit:]
        if len(cur) + len(line) + (1 if cur else 0) > limit:
            out.append(cur)
            cur = line
        else:
            cur = f"{cur}\n{line}" if cur else line
    if cur or not out:
        out.append(cur)
    return out


def text_file(text: str, name: str) -> discord.File:
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=name)
