"""Discord's payload limits and the approver rule, below the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
from hypothesis import given
from hypothesis import strategies as st

from agents.results import Card
from bot.discord_app.config import ApproverPolicy
from bot.discord_app.embeds import card_embed
from bot.discord_app.limits import CONTENT, EMBED_TOTAL, FIELDS, chunks, embed_size, fit
from models.domain import ProposalStatus, Side

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


def a_card(**kw: object) -> Card:
    now = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    base: dict[str, object] = dict(
        id="p-abcd2345",
        kind="entry",
        symbol="TSLA",
        side=Side.SELL,
        quantity=25,
        order_type="limit",
        limit_price=250.0,
        entry=251.2,
        stop=262.0,
        target=230.0,
        risk_amount=300.0,
        risk_pct=0.3,
        reward_risk=1.8,
        notional=6250.0,
        strategy="breakout",
        score=70.0,
        confidence=0.6,
        checks=(),
        sizing="fixed fraction",
        rationale="r",
        rationale_meta={},
        mode="sim",
        mode_label="SIMULATED",
        status=ProposalStatus.PENDING,
        status_reason="",
        created_at=now,
        expires_at=now + timedelta(minutes=15),
        time_in_force="gtc",
        short=True,
        protective=True,
    )
    base.update(kw)
    return Card(**base)  # type: ignore[arg-type]


@given(notes=st.lists(st.text(max_size=400), max_size=30), rationale=st.text(max_size=6000))
def test_a_card_embed_always_fits_and_says_what_was_asked(notes: list[str], rationale: str) -> None:
    e = card_embed(a_card(notes=tuple(notes), rationale=rationale))
    assert embed_size(e) <= EMBED_TOTAL and len(e.fields) <= FIELDS
    assert e.title is not None and e.title.endswith("SHORT 25 TSLA")
    got = {f.name: f.value for f in e.fields}
    assert "limit 250.00" in (got["Entry"] or "") and "good till" in (got["Entry"] or "")
    assert "(at the venue)" in (got["Stop"] or "")


def test_an_exit_card_says_what_it_realises_instead_of_risk() -> None:
    e = card_embed(
        a_card(
            kind="exit",
            short=False,
            realizes=-12.5,
            stop=None,
            target=None,
            limit_price=None,
            order_type="market",
        )
    )
    got = {f.name: f.value for f in e.fields}
    assert e.title is not None and e.title.endswith("EXIT: SELL 25 TSLA")
    assert got["Realises"] == "-$12.50" and "Risk" not in got
    assert "market, about 251.20" in (got["Entry"] or "")
