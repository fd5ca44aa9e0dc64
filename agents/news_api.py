"""The orchestrator's news methods (a mixin: the orchestrator is the one API): /news, the
news questions, the poll on the desk loop, and the venue's news stream while the desk runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from loguru import logger

from agents.llm.news_sentiment import NewsSentiment
from agents.news import NewsAgent
from agents.news_views import MoveAnswer, NewsView
from brokers.base import BrokerError, NewsSource, NewsStream

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator


class NewsApi:
    """Mixed into Orchestrator; `_setup_news` is called from its constructor."""

    def _setup_news(self: Orchestrator, source: NewsSource | None) -> None:
        scorer = NewsSentiment(self.llm, self.guard) if self.llm.online else None
        self.news_agent = NewsAgent(
            self.store, source, self.data, self.mode, self.clock, self.publish,
            alert_score=self.desk_cfg.news_alert_score,
            scorer=scorer.score if scorer is not None else None,
        )  # fmt: skip
        self._news_task: asyncio.Task[None] | None = None
        self.proposals.headlines = self.news_agent.headlines
        if source is not None:
            self.loop.every("news", self.desk_cfg.news_interval_s, self.poll_news)

    async def poll_news(self: Orchestrator) -> int:
        """One news poll of the held and watchlist symbols (the desk loop's); stored count."""
        return len(await self.news_agent.poll(llm=True))

    async def news(
        self: Orchestrator, symbols: Sequence[str] | None = None, hours: int | None = None
    ) -> NewsView:
        """/news: headlines with sentiment and a digest per symbol (default: held and
        watchlist symbols, the last 24 hours)."""
        return await self.news_agent.view(symbols, hours)

    async def why_move(self: Orchestrator, symbol: str) -> MoveAnswer:
        """'why is NVDA down today?': the day's move and the headlines; never a card."""
        return await self.news_agent.why_move(symbol)

    def open_news_stream(self: Orchestrator) -> None:
        """Headlines pushed by the venue while the desk runs (where the source streams), on
        the symbols held and watched when the desk starts."""
        source = self.news_agent.source
        symbols = self.news_agent.followed()
        if not isinstance(source, NewsStream) or self._news_task is not None or not symbols:
            return  # nothing held or watched yet: the poll covers what is asked for
        self._news_task = asyncio.create_task(self._run_news(source, symbols), name="news-stream")

    async def _run_news(self: Orchestrator, stream: NewsStream, symbols: list[str]) -> None:
        try:
            await stream.run(symbols, self.news_agent.on_headline)
        except BrokerError as e:
            logger.warning("news stream stopped: {}", e)

    async def close_news_stream(self: Orchestrator) -> None:
        task, self._news_task = self._news_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
