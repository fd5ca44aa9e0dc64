"""A co-trader bot running against the loopback Discord, for the Discord benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common as c

TOKEN = "bench.fake.token"
TRADER_ROLE = 1_300_000_000_000_000_401
TRADER_ID = 1_300_000_000_000_000_501
ALERTS = 1_300_000_000_000_000_302
GENEROUS = {  # limits wide enough that no bench proposal is refused
    "max_open_positions": 500,
    "max_position_pct": 100.0,
    "max_risk_per_trade_pct": 20.0,
    "daily_loss_limit_pct": 100.0,
    "max_trades_per_day": 100_000,
}


@dataclass
class Desk:
    fake: Any
    app: Any
    bot: Any


@contextlib.asynccontextmanager
async def desk(home: Path, **overrides: Any) -> AsyncIterator[Desk]:
    """The bot `cotrader run` starts, logged in to a loopback Discord, scheduler off."""
    from bot.discord_app.runner import serve
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.discord import payloads as p

    async with FakeDiscord(channels={p.CHANNEL_ID: "desk", ALERTS: "alerts"}) as fake:
        fake.user(TRADER_ID, "trader", roles=[TRADER_ROLE])
        app = c.build_app(
            home,
            discord_token=TOKEN,
            discord_api_base=fake.api_base,
            discord_guild_id=p.GUILD_ID,
            alert_channel_id=ALERTS,
            approver_role_ids=str(TRADER_ROLE),
            scheduler=False,
            **{**GENEROUS, **overrides},
        )
        bots: list[Any] = []
        task = asyncio.create_task(serve(app, TOKEN, bots.append, guild_ready_timeout=0.05))
        try:
            await fake.ready(timeout=30)
            await fake.wait_until(lambda: bool(bots) and bots[-1].is_ready(), timeout=30)
            yield Desk(fake, app, bots[-1])
        finally:
            if bots:
                await bots[-1].close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 10)
            c.close_app(app)


async def propose(d: Desk, symbol: str, qty: int = 1) -> tuple[str, str]:
    """A card via /propose: (proposal id, message id)."""
    h = await d.fake.slash(
        "propose", {"symbol": symbol, "side": "buy", "size": str(qty)}, user=TRADER_ID
    )
    msg = await h.response(timeout=30)
    for row in msg.get("components", []):
        for comp in row.get("components", []):
            if comp.get("label") == "Approve":
                return comp["custom_id"].split(":")[-1], msg["id"]
    raise RuntimeError(f"no card for {symbol}: {msg.get('content')!r}")
