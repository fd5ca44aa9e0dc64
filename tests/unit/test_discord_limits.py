"""Discord's payload limits and the approver rule, below the bot."""

from __future__ import annotations

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.discord_app.config import ApproverPolicy
from bot.discord_app.limits import CONTENT, EMBED_TOTAL, FIELDS, chunks, embed_size, fit

text = st.text(min_size=0, max_size=3000)


@given(
    title=text,
    desc=st.text(max_size=9000),
    fields=st.lists(st.tuples(text, text), max_size=40),
    footer=text,
)
def test_fit_always_yields_an_embed_discord_accepts(
    title: str, desc: str, fields: list[tuple[str, str]], footer: str
) -> None:
    e = discord.Embed(title=title or None, description=desc or None)
    for name, value in fields:
        e.add_field(name=name or "-", value=value or "-")
    if footer:
        e.set_footer(text=footer)
    out = fit(e)
    assert len(out.title or "") <= 256 and len(out.description or "") <= 4096
    assert len(out.fields) <= FIELDS
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in out.fields)
    assert embed_size(out) <= EMBED_TOTAL
    if len(fields) > FIELDS:
        assert out.fields[-1].name == "…"  # says that some were left out


@given(st.text(max_size=12_000))
def test_chunks_keep_every_character_within_the_limit(s: str) -> None:
    parts = chunks(s)
    assert all(len(p) <= CONTENT for p in parts)
    assert "".join(parts).replace("\n", "") == s.replace("\n", "")  # nothing lost


def test_approvers_are_listed_roles_and_users_else_only_the_owner() -> None:
    none = ApproverPolicy()
    assert none.allows(1, frozenset(), guild_owner_id=1)
    assert not none.allows(2, frozenset({9}), guild_owner_id=1)
    assert not none.allows(2, frozenset(), guild_owner_id=None)
    roles = ApproverPolicy(role_ids=frozenset({9}))
    assert roles.allows(2, frozenset({9, 3}), guild_owner_id=1)
    assert not roles.allows(1, frozenset(), guild_owner_id=1)  # listing roles replaces the owner
    users = ApproverPolicy(user_ids=frozenset({5}))
    assert users.allows(5, frozenset(), None) and not users.allows(6, frozenset({9}), None)
