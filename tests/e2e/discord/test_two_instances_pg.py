"""Two `cotrader run` processes on one PostgreSQL database, one loopback Discord and one
loopback Alpaca: scheduled jobs post once, a card posted by one is approved through the other
exactly once, a fill pushed to both is booked once, and a kill confirmed twice (once through
each) runs once.

Discord delivers a guild's events to one connection (a shard); the fake sends every event to
every connected bot, so the test routes each interaction to the instance it names. The
processes are `cotrader run` (`bot.cli`) started through this module, which moves only the
scheduler's calendar: every day is a session whose pre-market brief and end-of-day summary
fall a few seconds after start, so both instances plan the same two jobs for the same moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.store import Store
from services.market_calendar import ET
from tests.e2e.discord.test_run_process import _interruptible
from tests.e2e.discord.world import (
    ALERT_CHANNEL,
    SECOND_TRADER_ID,
    TOKEN,
    TRADER_ID,
    TRADER_ROLE,
    buttons,
)
from tests.e2e.test_cli import env
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p
from tests.fakes.discord.gateway import Session

JOBS = ("premarket_brief", "eod_summary")
JOBS_IN = timedelta(seconds=12)  # after start: both are up by then (a late one runs it at once)


@contextlib.contextmanager
def routed_to(fake: FakeDiscord, session: Session) -> Iterator[None]:
    """Deliver gateway events only to `session` (as Discord routes a guild to one shard)."""
    everyone = fake.gateway.live
    fake.gateway.live = lambda: [s for s in everyone() if s is session]  # type: ignore[method-assign]
    try:
        yield
    finally:
        del fake.gateway.live


async def start(home: Path, **extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.discord.test_two_instances_pg",
        env=env(home, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_interruptible,
    )


async def stop(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return out.decode(), err.decode()


def logs(home: Path) -> str:
    return "".join(f.read_text() for f in (home / "logs").glob("*.log"))


@pytest.mark.slow
async def test_two_run_processes_share_one_postgresql(
    fake: FakeDiscord,
    alpaca: FakeAlpacaTrading,
    alpaca_data: FakeAlpacaData,
    pg_url: str,
    tmp_path: Path,
) -> None:
    alpaca.set_policy("AAPL", FillPolicy("new", price=190.0))  # works until the test fills it
    now = datetime.now(UTC)
    at = now + JOBS_IN
    if at.astimezone(ET).date() != now.astimezone(ET).date():  # never across midnight (ET)
        await asyncio.sleep((JOBS_IN * 2).total_seconds())
        at = datetime.now(UTC) + JOBS_IN
    day = at.astimezone(ET).date()
    extra = {
        "DISCORD_TOKEN": TOKEN,
        "COTRADER_DISCORD_API_BASE": fake.api_base,
        "COTRADER_DISCORD_GUILD_ID": str(p.GUILD_ID),
        "COTRADER_ALERT_CHANNEL_ID": str(ALERT_CHANNEL),
        "COTRADER_APPROVER_ROLE_IDS": str(TRADER_ROLE),
        "COTRADER_MODE": "paper",
        "COTRADER_BROKER": "alpaca",
        "APCA_API_KEY_ID": alpaca.key_id,
        "APCA_API_SECRET_KEY": alpaca.secret_key,
        "APCA_API_BASE_URL": alpaca.base_url,
        "APCA_API_DATA_URL": alpaca_data.base_url,
        "COTRADER_DATABASE_URL": pg_url,
        "TEST_JOBS_AT": at.isoformat(),
        "COTRADER_SCHEDULER": "1",  # this test is about the scheduled jobs
    }
    homes = [tmp_path / "a", tmp_path / "b"]
    procs: list[asyncio.subprocess.Process] = []
    outputs: list[tuple[str, str]] = []
    try:
        procs.append(await start(homes[0], **extra))
        await fake.wait_until(lambda: len(fake.gateway.live()) == 1, timeout=60, what="A up")
        (a,) = fake.gateway.live()
        procs.append(await start(homes[1], **extra))
        await fake.wait_until(lambda: len(fake.gateway.live()) == 2, timeout=60, what="B up")
        (b,) = [s for s in fake.gateway.live() if s is not a]

        # A card posted by A ...
        with routed_to(fake, a):
            h = await fake.slash(
                "propose", {"symbol": "AAPL", "side": "buy", "size": "2"}, user=TRADER_ID
            )
            card = await h.response(timeout=30)
        assert "PAPER · BUY 2 AAPL" in card["embeds"][0]["title"], card
        approve = buttons(card)["Approve"]["custom_id"]
        pid = approve.rsplit(":", 1)[1]
        # ... approved through B, once; a stale second click through A changes nothing.
        with routed_to(fake, b):
            click = await fake.click(card["id"], approve, user=TRADER_ID)
        await click.ack(timeout=30)
        await fake.wait_until(lambda: bool(alpaca.orders_for(pid)), timeout=30, what="order")
        with routed_to(fake, a):
            late = await fake.click(card["id"], approve, user=SECOND_TRADER_ID, as_seen=card)
        refusal = await late.response(timeout=30)
        assert late.ephemeral and "already" in refusal["content"].lower(), refusal
        assert len(alpaca.orders_for(pid)) == 1

        # A fill pushed to both instances' trade streams is booked once.
        await fake.wait_until(lambda: alpaca.stream.listening == 2, timeout=30, what="streams")
        alpaca.fill(pid, 2, 190.0)
        store = Store(pg_url)
        try:
            await fake.wait_until(lambda: bool(store.ledger.fill_ids(pid)), timeout=30, what="fill")
            await asyncio.sleep(2)  # the other instance has had the same push by now
            assert len(store.ledger.fill_ids(pid)) == 1
            assert [(x.symbol, x.quantity) for x in store.ledger.positions()] == [("AAPL", 2)]
            assert [e.type for e in store.events.for_proposal(pid)].count("fill") == 1
            approvals = [e for e in store.events.for_proposal(pid) if e.type == "proposal.approved"]
            assert len(approvals) == 1
            order = store.ledger.order(pid)
            assert order is not None and (order.status, order.filled_quantity) == ("filled", 2)

            # Both instances plan the same scheduled jobs; each posts once.
            def posted(prefix: str) -> list[dict[str, Any]]:
                msgs = fake.channel_messages(ALERT_CHANNEL)
                return [m for m in msgs if m.get("content", "").startswith(prefix)]

            await fake.wait_until(
                lambda: bool(posted("🌅 Pre-market brief")) and bool(posted("🌇 End of day")),
                timeout=(at - datetime.now(UTC)).total_seconds() + 30,
                what="scheduled posts",
            )
            await asyncio.sleep(2)
            assert len(posted("🌅 Pre-market brief")) == 1
            assert len(posted("🌇 End of day")) == 1
            for job in JOBS:
                assert store.frontend.claimed(f"job:{job}:{day.isoformat()}") is not None

            # A kill confirmed through both instances at once runs once.
            with routed_to(fake, a):
                ask = await fake.slash("kill", user=TRADER_ID)
                question = await ask.response(timeout=30)
            confirm = next(c for label, c in buttons(question).items() if "Confirm" in label)
            clicks = []
            for s in (b, a):
                with routed_to(fake, s):
                    clicks.append(
                        await fake.click(
                            question["id"], confirm["custom_id"], user=TRADER_ID, as_seen=question
                        )
                    )
            for c in clicks:
                await c.ack(timeout=30)
            await fake.wait_until(lambda: store.state.get().halted, timeout=30, what="halted")
            await asyncio.sleep(1)
            kills = [e for e in store.events.recent(500) if e.type == "kill"]
            assert len(kills) == 1
        finally:
            store.dispose()
    finally:
        for proc in procs:
            outputs.append(await stop(proc))
    texts = [logs(h) for h in homes]
    for job in JOBS:  # both instances tried each job; exactly one of them ran it
        assert sum(t.count(f"job {job} for {day} already ran") for t in texts) == 1, job
    for out, err in outputs:
        for text in (out, err, *texts):
            assert TOKEN not in text and alpaca.secret_key not in text
    assert all(proc.returncode in (0, 130, -signal.SIGINT) for proc in procs)


def _main() -> None:
    """`cotrader run`, with a scheduler calendar on which today's jobs are due at
    $TEST_JOBS_AT (every day a session, so the test runs on weekends and holidays too)."""
    from agents import scheduler as schedule
    from bot.cli import main
    from services.market_calendar import DailyJob, MarketCalendar
    from services.market_calendar import Session as Trading

    at = datetime.fromisoformat(os.environ["TEST_JOBS_AT"]).astimezone(ET)

    class EveryDay(MarketCalendar):
        def session(self, day: date) -> Trading | None:
            start = datetime.combine(day, time(0, 0), tzinfo=ET)
            end = start + timedelta(days=1, seconds=-1)
            return Trading(day=day, open=start.astimezone(UTC), close=end.astimezone(UTC))

    schedule.MarketCalendar = EveryDay  # type: ignore[misc]
    schedule.DEFAULT_JOBS = tuple(DailyJob(name, at=at.time()) for name in JOBS)
    sys.argv = ["cotrader", "run"]
    main()


if __name__ == "__main__":
    _main()
