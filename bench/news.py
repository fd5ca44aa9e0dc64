"""A headline's de-duplicated insert into a store already holding 100,000 headlines (each
insert its own transaction: the near-duplicate look-up by normalised words within a day, the
rows written, the id refused by the database when seen), p99; every fourth insert repeats an
earlier headline's words and must be refused. The offline sentiment of 10,000 headlines is
bench/news_sentiment.py; a headline from the loopback stream to the alert on the loopback
Discord is bench/news_discord.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import _common as c

STORED = 100_000
INSERTS = 2_000
TARGET_INSERT_P99_MS = 2.0


def _fill(store: object, n: int, t0: datetime) -> None:
    """n headlines written in bulk (the store as a year of polls would leave it)."""
    from models.news_repo import norm
    from models.news_tables import NewsItem, NewsSymbol

    items, syms = [], []
    for i in range(n):
        text = f"Company {i % 997} shares move {i % 13}% on story {i}"
        at = t0 - timedelta(minutes=i)
        items.append(
            {
                "id": f"bench:{i}", "source": "bench", "headline": text, "summary": "",
                "url": "", "author": "", "symbols": f"S{i % 500}", "created_at": at,
                "stored_at": at, "simulated": True, "norm": norm(text), "score": 0.0,
                "label": "neutral", "why": "", "scorer": "offline",
            }
        )  # fmt: skip
        syms.append({"news_id": f"bench:{i}", "symbol": f"S{i % 500}", "created_at": at})
    with store.session(write=True) as s:  # type: ignore[attr-defined]
        s.connection().execute(NewsItem.__table__.insert(), items)  # type: ignore[attr-defined]
        s.connection().execute(NewsSymbol.__table__.insert(), syms)  # type: ignore[attr-defined]
        s.commit()


def inserts() -> dict[str, object]:
    from models.news import Headline, Sentiment
    from models.store import Store

    t0 = datetime(2026, 12, 4, 15, tzinfo=UTC)
    neutral = Sentiment(score=0.0, label="neutral")
    with c.temp_home() as home:
        store = Store(f"sqlite:///{home / 'news.db'}")
        store.upgrade()
        _fill(store, STORED, t0)
        ms, kept = [], 0
        for i in range(INSERTS):
            # every fourth is an earlier one's words again (another source, other spacing)
            base = i // 4 * 4 if i % 4 == 3 else i
            text = f"Company {base} beats estimates on story {base}" + ("!" if base != i else "")
            h = Headline(
                id=f"new:{i}", source="bench2", headline=text, symbols=(f"S{i % 500}",),
                created_at=t0 + timedelta(seconds=i),
            )  # fmt: skip
            t = time.perf_counter_ns()
            kept += len(store.news.add([(h, neutral)], t0))
            ms.append(c.ms(time.perf_counter_ns() - t))
        store.dispose()
    return {
        "stored_before": STORED,
        "inserts": INSERTS,
        "kept": kept,
        "p50_ms": c.rnd(c.percentile(ms, 50)),
        "p99_ms": c.rnd(c.percentile(ms, 99)),
    }


def main() -> None:
    ins = inserts()
    p99 = ins["p99_ms"]
    ok = isinstance(p99, float) and p99 < TARGET_INSERT_P99_MS and ins["kept"] == INSERTS * 3 // 4
    c.emit("news", ins, {"p99_ms": f"< {TARGET_INSERT_P99_MS:g}"}, ok=ok)


if __name__ == "__main__":
    main()
