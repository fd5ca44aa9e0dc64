"""Self-test of the loopback Discord: an unmodified discord.py bot logs in, gets events, replies."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p

GUILD = discord.Object(p.GUILD_ID)
CHANNEL = p.CHANNEL_ID
ORIGINAL = r"^/webhooks/\d+/[^/]+/messages/@original$"
SEND = rf"^/channels/{CHANNEL}/messages$"


class Approve(discord.ui.DynamicItem[discord.ui.Button], template=r"approve:(?P<pid>\d+)"):
    def __init__(self, pid: int) -> None:
        button = discord.ui.Button(label="Approve", custom_id=f"approve:{pid}")
        super().__init__(button)
        self.pid = pid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
    ) -> Approve:
        return cls(int(match["pid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=f"approved {self.pid}", view=None)


class NoteModal(discord.ui.Modal, title="Add a note"):
    note: discord.ui.TextInput = discord.ui.TextInput(label="Note", custom_id="note")

    def __init__(self, pid: int) -> None:
        super().__init__(custom_id="note-modal")
        self.pid = pid

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted {self.pid}: {self.note.value}")


class Note(discord.ui.DynamicItem[discord.ui.Button], template=r"note:(?P<pid>\d+)"):
    def __init__(self, pid: int) -> None:
        super().__init__(discord.ui.Button(label="Note", custom_id=f"note:{pid}"))
        self.pid = pid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
    ) -> Note:
        return cls(int(match["pid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal(self.pid))


class Watchlist(app_commands.Group):
    @app_commands.command(description="Add a symbol")
    async def add(self, interaction: discord.Interaction, symbol: str) -> None:
        await interaction.response.send_message(f"added {symbol}")


class FakeBot(commands.Bot):
    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.errors: list[discord.HTTPException] = []
        self._define()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Approve, Note)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.content == "ping":
            await message.channel.send("pong")
        await self.process_commands(message)

    def _define(self) -> None:
        tree, errors = self.tree, self.errors

        @self.command(name="propose")
        async def propose(ctx: commands.Context) -> None:
            view = discord.ui.View(timeout=None)
            view.add_item(Approve(7))
            view.add_item(Note(7))
            await ctx.send("proposal 7", view=view)

        @self.command(name="report")
        async def report(ctx: commands.Context) -> None:
            await ctx.send("report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "r.csv"))

        @tree.command(name="slow", description="Defers, then edits", guild=GUILD)
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done")

        @tree.command(name="think", description="Ephemeral defer, then follow-ups", guild=GUILD)
        async def think(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("thought")
            await interaction.followup.send("more")

        @tree.command(name="secret", description="Ephemeral reply", guild=GUILD)
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("hush", ephemeral=True)

        @tree.command(name="twice", description="Acks twice at once", guild=GUILD)
        async def twice(interaction: discord.Interaction) -> None:
            results = await asyncio.gather(
                interaction.response.send_message("one"),
                interaction.response.defer(),
                return_exceptions=True,
            )
            errors.extend(r for r in results if isinstance(r, discord.HTTPException))

        @tree.command(name="big", description="Oversized embed", guild=GUILD)
        async def big(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message(embed=discord.Embed(title="x" * 300))
            except discord.HTTPException as exc:
                errors.append(exc)
                await interaction.response.send_message("fallback")

        @tree.command(name="pick", description="Autocompleted", guild=GUILD)
        async def pick(interaction: discord.Interaction, symbol: str) -> None:
            await interaction.response.send_message(symbol)

        @pick.autocomplete("symbol")
        async def pick_symbol(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            names = [s for s in ("AAPL", "AMZN", "MSFT") if s.startswith(current)]
            return [app_commands.Choice(name=s, value=s) for s in names]

        @tree.command(name="late", description="Answers", guild=GUILD)
        async def late(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message("too late?")
            except discord.HTTPException as exc:
                errors.append(exc)

        tree.add_command(Watchlist(name="watchlist", description="Watchlist"), guild=GUILD)


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, bot: FakeBot | None = None
) -> AsyncIterator[FakeBot]:
    """Point discord.py at the fake the way the app does, connect, wait for on_ready."""
    bot = bot or FakeBot()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    await bot.login("test-token")
    _, url, _ = await bot.http.get_bot_gateway()
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(url))
    task = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as f:
        yield f


@pytest.fixture
async def bot(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeBot]:
    async with running(fake, monkeypatch) as b:
        await b.tree.sync(guild=GUILD)
        yield b


async def _propose(fake: FakeDiscord) -> str:
    mark = fake.mark()
    await fake.say("!propose")
    rec = await fake.wait_for("POST", SEND, after=mark)
    assert rec.status == 200
    return str(rec.response["id"])


async def test_login_ready_and_guild_available(fake: FakeDiscord, bot: FakeBot) -> None:
    ident = fake.identifies[-1]
    assert ident["token"] == "test-token"
    assert ident["intents"] == bot.intents.value
    assert bot.user is not None and bot.user.id == p.BOT_ID
    assert bot.application_id == p.APP_ID
    guild = bot.get_guild(p.GUILD_ID)
    assert guild is not None and not guild.unavailable
    assert guild.owner_id == p.OWNER_ID
    channel = guild.get_channel(CHANNEL)
    assert channel is not None and channel.name == "general"
    assert guild.me is not None and guild.member_count == 2  # bot + owner
    paths = [(r.method, r.path) for r in fake.requests]
    assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths


async def test_tree_sync_registers_guild_commands(fake: FakeDiscord, bot: FakeBot) -> None:
    synced = await bot.tree.sync(guild=GUILD)
    stored = fake.commands(p.GUILD_ID)
    names = {c["name"] for c in stored}
    assert {"slow", "secret", "pick", "watchlist"} <= names
    assert {c.id for c in synced} == {int(c["id"]) for c in stored}
    assert fake.commands() == []
    with pytest.raises(discord.HTTPException) as bad:
        bad_cmd = {"name": "Bad Name", "description": "x", "type": 1}
        await bot.http.bulk_upsert_guild_commands(p.APP_ID, p.GUILD_ID, payload=[bad_cmd])
    assert bad.value.status == 400 and bad.value.code == 50035
    assert "name" in fake.violations[-1].errors["0"]


async def test_defer_then_edit_original(fake: FakeDiscord, bot: FakeBot) -> None:
    h = await fake.slash("slow")
    assert (await h.ack())["type"] == 5
    final = await h.response()
    assert final["content"] == "done"
    assert final["flags"] & p.LOADING == 0
    edit = await fake.wait_for("PATCH", ORIGINAL)
    assert edit.json["content"] == "done"
    assert h.ack_latency is not None and h.ack_latency >= 0
    assert fake.violations == []


async def test_first_followup_fills_the_deferred_message(fake: FakeDiscord, bot: FakeBot) -> None:
    h = await fake.slash("think")
    assert (await h.ack())["data"]["flags"] == p.EPHEMERAL
    await fake.wait_until(lambda: len(h.followups) == 2, what="two follow-ups")
    first, second = h.followups
    assert first["id"] == str(h.original_id) and first["content"] == "thought"
    assert first["flags"] == p.EPHEMERAL  # loading cleared, ephemeral kept from the defer
    assert second["content"] == "more" and second["id"] != first["id"]
    assert all(r.query.get("wait") == "1" for r in fake.requests if r.path.startswith("/webhooks/"))


async def test_ephemeral_reply_keeps_flag(fake: FakeDiscord, bot: FakeBot) -> None:
    h = await fake.slash("secret")
    ack = await h.ack()
    assert ack["type"] == 4 and ack["data"]["flags"] == p.EPHEMERAL
    msg = await h.response()
    assert msg["content"] == "hush" and msg["flags"] & p.EPHEMERAL
    assert h.ephemeral


async def test_dynamic_button_click_updates_message(fake: FakeDiscord, bot: FakeBot) -> None:
    mid = await _propose(fake)
    assert fake.message(mid)["components"][0]["components"][0]["custom_id"] == "approve:7"
    h = await fake.click(mid, "approve:7")
    assert (await h.ack())["type"] == 7
    updated = fake.message(mid)
    assert updated["content"] == "approved 7"
    assert updated["components"] == [] and updated["edited_timestamp"] is not None


async def test_modal_round_trip(fake: FakeDiscord, bot: FakeBot) -> None:
    mid = await _propose(fake)
    opener = await fake.click(mid, "note:7")
    ack = await opener.ack()
    assert ack["type"] == 9 and ack["data"]["title"] == "Add a note"
    h = await fake.submit_modal("note-modal", {"note": "buy the dip"})
    reply = await h.response()
    assert reply["content"] == "noted 7: buy the dip"
    assert h.payload["message"]["id"] == mid


async def test_message_create_reply_in_channel_and_dm(fake: FakeDiscord, bot: FakeBot) -> None:
    await fake.say("ping")
    rec = await fake.wait_for("POST", SEND)
    assert rec.json["content"] == "pong"
    assert [m["content"] for m in fake.channel_messages(CHANNEL)] == ["ping", "pong"]
    dm = await fake.dm("ping")
    rec = await fake.wait_for("POST", rf"^/channels/{dm['channel_id']}/messages$")
    assert rec.json["content"] == "pong"


async def test_file_upload_is_multipart(fake: FakeDiscord, bot: FakeBot) -> None:
    await fake.say("!report")
    rec = await fake.wait_for("POST", SEND)
    assert rec.json["content"] == "report"
    assert [(f.field, f.filename, f.size) for f in rec.files] == [("files[0]", "r.csv", 8)]
    (attachment,) = fake.message(rec.response["id"])["attachments"]
    assert attachment["filename"] == "r.csv" and attachment["size"] == 8


async def test_message_content_needs_the_intent(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    bot = FakeBot(message_content=False)

    async def record(message: discord.Message) -> None:
        seen.append(message.content)

    bot.add_listener(record, "on_message")
    async with running(fake, monkeypatch, bot):
        await fake.say("ping")
        await fake.say(f"<@{p.BOT_ID}> hello")
        await fake.wait_until(lambda: len(seen) == 2, what="two messages")
    assert seen == ["", f"<@{p.BOT_ID}> hello"]


async def test_double_callback_is_rejected(fake: FakeDiscord, bot: FakeBot) -> None:
    h = await fake.slash("twice")
    await fake.wait_for("POST", r"/callback$", predicate=lambda r: r.status == 400)
    await fake.wait_until(lambda: bool(bot.errors), what="the bot to see the error")
    assert [e.code for e in bot.errors] == [40060]
    assert [v.code for v in fake.violations] == [40060]
    assert h.callback_type in (4, 5)


async def test_oversized_embed_is_a_violation(fake: FakeDiscord, bot: FakeBot) -> None:
    h = await fake.slash("big")
    reply = await h.response()
    assert reply["content"] == "fallback"
    assert [e.code for e in bot.errors] == [50035]
    (violation,) = fake.violations
    assert violation.status == 400 and violation.code == 50035
    title_errors = violation.errors["data"]["embeds"]["0"]["title"]["_errors"]
    assert title_errors[0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_rate_limit_is_retried(fake: FakeDiscord, bot: FakeBot) -> None:
    fake.fail_next("POST", SEND, 429, retry_after=0.05)
    await fake.say("ping")
    await fake.wait_for("POST", SEND, predicate=lambda r: r.status == 200)
    path = f"/channels/{CHANNEL}/messages"
    assert [r.status for r in fake.requests if (r.method, r.path) == ("POST", path)] == [429, 200]
    assert [m["content"] for m in fake.channel_messages(CHANNEL)] == ["ping", "pong"]
    assert fake.violations == []


async def test_autocomplete_and_subcommand(fake: FakeDiscord, bot: FakeBot) -> None:
    choices = await fake.autocomplete("pick", "symbol", {"symbol": "A"})
    assert choices == [{"name": "AAPL", "value": "AAPL"}, {"name": "AMZN", "value": "AMZN"}]
    h = await fake.slash("watchlist", sub="add", options={"symbol": "TSLA"})
    assert (await h.response())["content"] == "added TSLA"


async def test_late_callback_is_unknown_interaction(fake: FakeDiscord, bot: FakeBot) -> None:
    fake.interaction_timeout = 0.0
    h = await fake.slash("late")
    await fake.wait_until(lambda: bool(bot.errors), what="the bot to see the error")
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    assert h.callback is None


async def test_restart_still_handles_old_message(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(fake, monkeypatch):
        mid = await _propose(fake)
    async with running(fake, monkeypatch):
        h = await fake.click(mid, "approve:7")
        assert (await h.ack())["type"] == 7
    assert fake.message(mid)["content"] == "approved 7"
    assert len(fake.gateway.identifies) == 2


async def test_dropped_socket_resumes_session(fake: FakeDiscord, bot: FakeBot) -> None:
    assert await fake.disconnect_all() == 1
    await fake.wait_until(lambda: fake.gateway.connections == 2 and bool(fake.gateway.live()))
    await fake.say("ping")
    rec = await fake.wait_for("POST", SEND)
    assert rec.json["content"] == "pong"
    assert len(fake.gateway.identifies) == 1  # resumed, not re-identified
