"""The simulator's news: seeded headlines tied to its own prices, labelled SIMULATED.

- a day's close that moved 3% or more gets a story (the words follow the sign);
- today's move of 2% or more so far gets one (once a day: its id is the day's);
- every `/sim shock` gets one at its moment; a drop of 10% or more reads as a material story
  (a probe, a recall, a guidance cut), so the news agent's alerts can be rehearsed;
- now and then a quiet, neutral item (a conference, a dividend date).

The words are chosen by a hash of the symbol and day, so every process and every restart
tells the same story. Nothing here is real news.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from brokers.sim.market import NY, SimMarket
from models.news import Headline

UP = (
    "{name} shares jump {pct:.1f}% after an analyst upgrade",
    "{name} rallies {pct:.1f}% as demand outlook improves",
    "{name} climbs {pct:.1f}% on strong quarterly results",
    "{name} surges {pct:.1f}% after raising guidance",
)
DOWN = (
    "{name} shares fall {pct:.1f}% after an analyst downgrade",
    "{name} slides {pct:.1f}% as margins disappoint",
    "{name} drops {pct:.1f}% after missing estimates",
    "{name} tumbles {pct:.1f}% on weaker outlook",
)
SHOCK_DOWN = (
    "{name} plunges {pct:.1f}% after regulators open a probe",
    "{name} plunges {pct:.1f}% after it cuts guidance",
    "{name} tumbles {pct:.1f}% on a product recall",
)
SHOCK_UP = (
    "{name} soars {pct:.1f}% on a buyout offer",
    "{name} soars {pct:.1f}% after record results",
)
QUIET = (
    "{name} to present at an industry conference next week",
    "{name} sets the date of its quarterly dividend",
    "{name} names a new head of investor relations",
)
DAYS = 10  # the daily history the stories cover
MOVE_PCT, TODAY_PCT, MATERIAL_PCT = 3.0, 2.0, 10.0


def _pick(options: Sequence[str], *key: object) -> str:
    return options[zlib.crc32(":".join(map(str, key)).encode()) % len(options)]


class SimNews:
    """NewsSource for the simulated market."""

    news_source = "sim"

    def __init__(self, market: SimMarket) -> None:
        self.market = market

    async def news(
        self, symbols: Sequence[str] | None, since: datetime, limit: int = 50
    ) -> list[Headline]:
        """Stories since `since` on `symbols` (None: the universe), newest first."""
        syms = [s.upper() for s in symbols] if symbols else [
            i.symbol for i in self.market.universe()
        ]  # fmt: skip
        now = self.market.real_now()
        out: list[Headline] = []
        for sym in syms:
            if not self.market.has(sym):
                continue
            out += await self._stories(sym, now)
        out = [h for h in out if since <= h.created_at <= now]
        out.sort(key=lambda h: (h.created_at, h.id), reverse=True)
        return out[:limit]

    async def _stories(self, sym: str, now: datetime) -> list[Headline]:
        name = self.market.instrument(sym).name
        bars = await self.market.daily_bars(sym, DAYS + 1)
        out = []
        for i in range(1, len(bars)):
            day = bars.ts[i].astimezone(NY).date()
            pct = (bars.close[i] / bars.close[i - 1] - 1) * 100
            if abs(pct) >= MOVE_PCT:
                words = _pick(UP if pct > 0 else DOWN, sym, day)
                out.append(self._item(sym, f"{day}:move", words, name, pct, _close(day)))
            elif zlib.crc32(f"{sym}:{day}:quiet".encode()) % 7 == 0:
                words = _pick(QUIET, sym, day)
                out.append(self._item(sym, f"{day}:quiet", words, name, 0.0, _close(day)))
        q = await self.market.quote(sym)
        shocks = self.market.shocks_of(sym)
        today = now.astimezone(NY).date()
        shocked = any(at.astimezone(NY).date() == today for at, _ in shocks)
        if bars.close and not shocked:  # a shock's own story tells today's move
            pct = (q.last / bars.close[-1] - 1) * 100
            if abs(pct) >= TODAY_PCT:
                words = _pick(UP if pct > 0 else DOWN, sym, today)
                out.append(self._item(sym, f"{today}:today", words, name, pct, now))
        for at, pct in shocks:
            if abs(pct) >= MATERIAL_PCT:
                words = _pick(SHOCK_UP if pct > 0 else SHOCK_DOWN, sym, at.isoformat())
            else:
                words = _pick(UP if pct > 0 else DOWN, sym, at.isoformat())
            out.append(self._item(sym, f"shock:{at.isoformat()}", words, name, pct, at))
        return out

    @staticmethod
    def _item(sym: str, key: str, words: str, name: str, pct: float, at: datetime) -> Headline:
        text = words.format(name=name, pct=abs(pct))
        return Headline(
            id=f"sim:{sym}:{key}",
            source="sim",
            headline=f"{text} (SIMULATED)",
            summary=f"Simulated story about {sym}: the simulator's own price move, not real news.",
            symbols=(sym,),
            created_at=at.astimezone(UTC),
            simulated=True,
        )


def _close(day: date) -> datetime:
    return datetime.combine(day, time(16, 5), NY).astimezone(UTC)


__all__ = ["SimNews"]
