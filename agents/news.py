"""NewsAgent: headlines from the news source, scored, stored once, told when material for a
held symbol, and read back for /news, the news questions and the analyst's facts.

On the desk loop (every `news_interval_s`) it asks the source for what is new on the held
and watchlist symbols, scores each headline offline (services/sentiment.py), stores it
(de-duplicated by id and by near-identical words across sources), and raises one
`NewsAlert` per headline and held symbol when the headline is material: |sentiment| at or
over `news_alert_score`, or a material word (halt, guidance, lawsuit, downgrade, recall...).
An alert carries the position's P&L and offers a review; it never makes an order or a card.
Headlines are data: nothing in them is ever followed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from loguru import logger

from agents import events as ev
from agents.data import DataAgent
from agents.errors import BadInput, CotraderError
from agents.news_views import MoveAnswer, NewsDigest, NewsItemView, NewsView
from brokers.base import BrokerError, NewsSource
from models.domain import Mode
from models.news import Headline, Sentiment
from models.news_tables import NewsItem
from models.options import is_occ, parse_occ
from models.store import Store
from services.sentiment import label_for, material, score

LOOKBACK = timedelta(hours=24)  # the first poll reaches back this far
MAX_HOURS = 24 * 14


class NewsAgent:
    def __init__(
        self,
        store: Store,
        source: NewsSource | None,
        data: DataAgent,
        mode: Mode,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        alert_score: float = 0.5,
        scorer: Callable[[Headline], Awaitable[Sentiment]] | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.data = data
        self.mode = mode
        self.clock = clock
        self.publish = publish
        self.alert_score = alert_score
        self.scorer = scorer  # the LLM's (agents/llm/news_sentiment.py); None: offline only
        self._last: dict[str, datetime] = {}  # symbol -> the last poll's time
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ what we follow
    def held(self) -> dict[str, int]:
        """Held symbols (option legs count on their underlying) and their quantities."""
        out: dict[str, int] = {}
        for p in self.store.ledger.positions():
            sym = parse_occ(p.symbol).root if is_occ(p.symbol) else p.symbol
            out[sym] = out.get(sym, 0) + p.quantity
        return out

    def followed(self) -> list[str]:
        """The held and watchlist symbols, the ones the desk polls news for."""
        return sorted({*self.held(), *self.store.state.watchlist()})

    # ------------------------------------------------------------------ polling
    async def poll(self, symbols: Sequence[str] | None = None, llm: bool = False) -> list[NewsItem]:
        """Fetch, score and store what is new on `symbols` (default: the followed ones);
        alert on the material ones for held symbols. Returns the rows stored now. `llm`:
        the LLM scores the new headlines (the desk loop's polls and the stream; a person's
        question is answered at once with the offline scorer)."""
        syms = list(symbols) if symbols is not None else self.followed()
        if self.source is None or not syms:
            return []
        async with self._lock:
            now = self.clock()
            since = min(self._last.get(s, now - LOOKBACK) for s in syms)
            try:
                got = await self.source.news(syms, since - timedelta(minutes=5), limit=50)
            except BrokerError as e:
                logger.warning("news: no headlines this time: {}", e)
                return []
            for s in syms:
                self._last[s] = now
            seen = self.store.news.known([h.id for h in got])
            fresh = [h for h in got if h.id not in seen]
            new = self.store.news.add([(h, await self._score(h, llm)) for h in fresh], now)
        if new:
            self.store.events.add("news.stored", "agent:news", context={"count": len(new)})
            await self._alerts(new)
        return new

    async def on_headline(self, h: Headline) -> None:
        """A pushed headline (the venue's stream): stored and alerted like a polled one."""
        if self.store.news.known([h.id]):
            return
        new = self.store.news.add([(h, await self._score(h, True))], self.clock())
        if new:
            await self._alerts(new)

    async def _score(self, h: Headline, llm: bool) -> Sentiment:
        """The LLM's reading where there is one and `llm` (checked), else the offline
        scorer's."""
        if self.scorer is None or not llm:
            return score(h.headline, h.summary)
        try:
            return await self.scorer(h)
        except Exception as e:  # a scorer failure must not lose the headline
            logger.warning("news: LLM sentiment failed, offline instead: {}", e)
            return score(h.headline, h.summary)

    async def _alerts(self, rows: list[NewsItem]) -> None:
        held = self.held()
        for r in rows:
            words = tuple(material(r.headline, r.summary))
            if abs(r.score) < self.alert_score and not words:
                continue
            for sym in r.symbols.split():
                if sym not in held or not self.store.news.claim_alert(r.id, sym, self.clock()):
                    continue
                pnl, pct = await self._pnl(sym)
                e = ev.NewsAlert(
                    mode_label=self.mode.label, news_id=r.id, symbol=sym, headline=r.headline,
                    source=r.source, url=r.url, score=round(r.score, 3), label=r.label,
                    material=words, held=held[sym], pnl=pnl, pnl_pct=pct,
                )  # fmt: skip
                self.store.events.add("news.alert", "agent:news", context=e.model_dump(mode="json"))
                await self.publish(e)

    async def _pnl(self, symbol: str) -> tuple[float | None, float | None]:
        pos = self.store.ledger.position(symbol)
        if pos is None or not pos.quantity:
            return None, None
        try:
            last = (await self.data.quote(symbol)).last
        except CotraderError:
            return None, None
        pnl = (last - pos.avg_price) * pos.quantity
        pct = (last / pos.avg_price - 1) * 100 * (1 if pos.quantity > 0 else -1)
        return round(pnl, 2), round(pct, 2)

    # ------------------------------------------------------------------ reading
    def _hours(self, hours: int | None) -> int:
        h = 24 if hours is None else hours
        if not 1 <= h <= MAX_HOURS:
            raise BadInput(f"hours must be between 1 and {MAX_HOURS}, not {h}.")
        return h

    async def view(self, symbols: Sequence[str] | None, hours: int | None = None) -> NewsView:
        """/news: the headlines of the last `hours` on `symbols` (default: held and
        watchlist), fetched now first, with a digest per symbol."""
        h = self._hours(hours)
        syms = [self.data.normalise(s) for s in symbols] if symbols else self.followed()
        note = ""
        if not syms:
            note = "No symbols held or watched: name some, e.g. /news AAPL."
        elif self.source is None:
            note = "No news source is configured."
        else:
            await self.poll(syms)
        rows = self.store.news.recent(syms, self.clock() - timedelta(hours=h), 50) if syms else []
        items = tuple(NewsItemView.of(r, tuple(material(r.headline, r.summary))) for r in rows)
        digest = tuple(_digest(s, [r for r in rows if s in r.symbols.split()]) for s in syms)
        return NewsView(
            mode_label=self.mode.label, symbols=tuple(syms), hours=h, items=items,
            digest=digest, note=note,
        )  # fmt: skip

    def headlines(self, symbol: str, hours: int = 24, limit: int = 8) -> list[str]:
        """Recent headlines of `symbol` (the analyst's facts)."""
        rows = self.store.news.recent([symbol], self.clock() - timedelta(hours=hours), limit)
        return [r.headline for r in rows]

    async def why_move(self, symbol: str) -> MoveAnswer:
        """'why is X down today?': the day's move and today's headlines; never a card."""
        sym = self.data.normalise(symbol)
        q = await self.data.quote(sym)
        bars = await self.data.daily_bars(sym, 2)
        prev = bars.close[-1] if bars.close else None
        pct = (q.last / prev - 1) * 100 if prev else None
        if self.source is not None:
            await self.poll([sym])
        rows = self.store.news.recent([sym], self.clock() - timedelta(hours=24), 8)
        items = tuple(NewsItemView.of(r, tuple(material(r.headline, r.summary))) for r in rows)
        move = (
            f"{sym} is {'down' if pct < 0 else 'up'} {abs(pct):.2f}% today "
            f"({prev:,.2f} -> {q.last:,.2f})"
            if pct is not None and prev
            else f"{sym} has no previous close to compare with"
        )
        if not items:
            text = f"[{self.mode.label}] {move}. I found no news that explains it."
        else:
            tops = "; ".join(
                f'"{i.headline}" ({i.source}, {i.sentiment["label"]})' for i in items[:3]
            )
            text = f"[{self.mode.label}] {move}. Today's headlines on {sym}: {tops}."
        return MoveAnswer(
            mode_label=self.mode.label,
            symbol=sym,
            change_pct=None if pct is None else round(pct, 2),
            last=q.last,
            previous_close=prev,
            items=items,
            text=text,
        )


def _digest(symbol: str, rows: list[NewsItem]) -> NewsDigest:
    if not rows:
        return NewsDigest(symbol=symbol, count=0, avg_score=0.0, label="neutral", top="",
                          text=f"{symbol}: no headlines")  # fmt: skip
    avg = sum(r.score for r in rows) / len(rows)
    label = label_for(avg)
    return NewsDigest(
        symbol=symbol, count=len(rows), avg_score=round(avg, 3), label=label,
        top=rows[0].headline,
        text=f"{symbol}: {len(rows)} headline{'s' if len(rows) != 1 else ''}, {label} "
        f"({avg:+.2f}); latest: {rows[0].headline}",
    )  # fmt: skip


__all__ = ["NewsAgent"]
