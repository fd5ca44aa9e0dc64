"""A headline on the loopback Alpaca news stream -> its alert on the loopback Discord.

The desk holds AAPL; its news source is the Alpaca adapter on the news fake (REST and the
websocket), subscribed to what it holds. Each round publishes a material headline on the
fake's stream; timed from the publish to the alert channel's POST naming that headline at
the fake Discord (through the stream, the store, the scorer, the once-only claim, the event
and the bot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import _common as c
import _discord as dd

N = 40
TARGET_P99_MS = 1000.0
ALERTS_PATH = rf"^/channels/{dd.ALERTS}/messages$"


def _names(marker: str) -> Callable[[Any], bool]:
    def hit(rec: Any) -> bool:
        embeds = (rec.json or {}).get("embeds") or []
        return any(marker in (e.get("title") or "") for e in embeds)

    return hit


async def measure(n: int = N) -> dict[str, object]:
    from brokers.alpaca.news import AlpacaNews
    from models.domain import Actor
    from tests.fakes.alpaca.news_server import FakeAlpacaNews

    who = Actor(id=f"discord:{dd.TRADER_ID}", name="bench", can_approve=True)
    lat: list[float] = []
    with c.temp_home() as home:
        news = FakeAlpacaNews()
        await news.start()
        try:
            async with dd.desk(home) as d:
                orch = d.app.orchestrator
                card = await orch.propose("AAPL", "buy", 10, who)
                await orch.approve(card.id, who)
                source = AlpacaNews(news.key_id, news.secret_key, url_override=news.base_url)
                orch.news_agent.source = source
                orch.open_news_stream()
                for _ in range(200):
                    if source.stream.connected:
                        break
                    await asyncio.sleep(0.02)
                for i in range(n):
                    headline = f"Apple recalls {i + 1},000 phones after a lawsuit (round {i})"
                    mark = d.fake.mark()
                    t0 = time.perf_counter()
                    news.publish(news.item(headline, symbols=["AAPL"]))
                    rec = await d.fake.wait_for(
                        "POST", ALERTS_PATH, predicate=_names(f"(round {i})"), after=mark,
                        timeout=30,
                    )  # fmt: skip
                    lat.append((rec.at - t0) * 1000)
                await orch.close_news_stream()
                source.close()
        finally:
            await news.stop()
    return c.latency(lat)


def main() -> None:
    figures = asyncio.run(measure())
    ok = float(figures["p99_ms"]) < TARGET_P99_MS  # type: ignore[arg-type]
    c.emit("news_discord", figures, {"p99_ms": f"< {TARGET_P99_MS:g}"}, ok)


if __name__ == "__main__":
    main()
