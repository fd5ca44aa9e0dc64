"""The news store: each headline once (by its id; and by its normalised text within a day,
across sources), read back by symbol and time, and the once-only alert guard."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.news import Headline, Sentiment
from models.news_tables import NewsAlertRow, NewsItem, NewsSymbol

if TYPE_CHECKING:
    from models.store import Store

_NORM = re.compile(r"[^a-z0-9]+")
ITEMS = NewsItem.__table__  # type: ignore[attr-defined]
SYMBOLS = NewsSymbol.__table__  # type: ignore[attr-defined]
SAME_STORY = timedelta(hours=24)  # the same words within this window are one story


def norm(headline: str) -> str:
    """A headline's text for near-duplicates: lower-case letters and digits, single-spaced."""
    return _NORM.sub(" ", headline.lower()).strip()[:300]


class NewsRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, items: Sequence[tuple[Headline, Sentiment]], at: datetime) -> list[NewsItem]:
        """Store the headlines not stored yet (by id, or by the same normalised headline
        within a day); returns the rows stored now, in the order given."""
        out: list[NewsItem] = []
        for h, sent in items:
            row = self._one(h, sent, at)
            if row is not None:
                out.append(row)
        return out

    def _one(self, h: Headline, sent: Sentiment, at: datetime) -> NewsItem | None:
        key = norm(h.headline)
        row = NewsItem(
            id=h.id, source=h.source, headline=h.headline, summary=h.summary, url=h.url,
            author=h.author, symbols=" ".join(h.symbols), created_at=h.created_at,
            stored_at=at, simulated=h.simulated, norm=key, score=sent.score,
            label=sent.label, why=sent.why, scorer=sent.scorer,
        )  # fmt: skip
        with self.store.session(write=True) as s:
            con = s.connection()
            twin = con.execute(
                select(ITEMS.c.id)
                .where(
                    ITEMS.c.norm == key,
                    ITEMS.c.created_at >= h.created_at - SAME_STORY,
                    ITEMS.c.created_at <= h.created_at + SAME_STORY,
                )
                .limit(1)
            ).first()
            if twin is not None:
                return None
            try:  # the id is the primary key: a second copy is refused by the database
                con.execute(ITEMS.insert(), [row.model_dump()])
                syms = [
                    {"news_id": h.id, "symbol": sym, "created_at": h.created_at}
                    for sym in dict.fromkeys(h.symbols)
                ]
                if syms:
                    con.execute(SYMBOLS.insert(), syms)
                s.commit()
            except IntegrityError:
                s.rollback()
                return None
        return row

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are stored already."""
        if not ids:
            return set()
        with self.store.session() as s:
            rows = s.connection().execute(select(ITEMS.c.id).where(ITEMS.c.id.in_(list(ids))))
            return {r[0] for r in rows}

    def recent(
        self, symbols: Sequence[str] | None, since: datetime, limit: int = 50
    ) -> list[NewsItem]:
        """Headlines since `since` naming any of `symbols` (None: any), newest first."""
        with self.store.session() as s:
            q = select(NewsItem).where(col(NewsItem.created_at) >= since)
            if symbols is not None:
                ids = select(NewsSymbol.news_id).where(
                    col(NewsSymbol.symbol).in_(list(symbols)),
                    col(NewsSymbol.created_at) >= since,
                )
                q = q.where(col(NewsItem.id).in_(ids))
            q = q.order_by(col(NewsItem.created_at).desc(), col(NewsItem.id)).limit(limit)
            rows = list(s.exec(q).all())
            for r in rows:
                s.expunge(r)
            return rows

    def claim_alert(self, news_id: str, symbol: str, at: datetime) -> bool:
        """True for the one caller that may tell this headline about this symbol."""
        with self.store.session(write=True) as s:
            s.add(NewsAlertRow(news_id=news_id, symbol=symbol, at=at))
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
            return True


__all__ = ["SAME_STORY", "NewsRepo", "norm"]
