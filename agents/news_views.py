"""What `/news` and the news questions hand back: headlines with their sentiment, a digest
per symbol, and the answer to "why is X down today?"."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from models.news_tables import NewsItem


class NewsItemView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    headline: str
    source: str
    created_at: datetime
    symbols: tuple[str, ...]
    url: str
    sentiment: dict[str, float | str]  # {"score": -0.62, "label": "negative"}
    material: tuple[str, ...] = ()
    simulated: bool = False

    @classmethod
    def of(cls, r: NewsItem, material: tuple[str, ...] = ()) -> NewsItemView:
        return cls(
            id=r.id,
            headline=r.headline,
            source=r.source,
            created_at=r.created_at,
            symbols=tuple(r.symbols.split()),
            url=r.url,
            sentiment={"score": round(r.score, 3), "label": r.label},
            material=material,
            simulated=r.simulated,
        )


class NewsDigest(BaseModel):
    """One symbol's news in a line: how many, the average tone, the top headline."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    count: int
    avg_score: float
    label: str
    top: str  # the most recent headline ("" when none)
    text: str


class NewsView(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode_label: str
    symbols: tuple[str, ...]
    hours: int
    items: tuple[NewsItemView, ...]
    digest: tuple[NewsDigest, ...]
    note: str = ""  # e.g. where the headlines come from, or why none

    @property
    def text(self) -> str:
        head = f"[{self.mode_label}] News, last {self.hours} h"
        lines = [head] + [d.text for d in self.digest]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


class MoveAnswer(BaseModel):
    """'why is NVDA down today?': the day's move and the headlines that may explain it."""

    model_config = ConfigDict(frozen=True)

    mode_label: str
    symbol: str
    change_pct: float | None
    last: float | None
    previous_close: float | None
    items: tuple[NewsItemView, ...]
    text: str


__all__ = ["MoveAnswer", "NewsDigest", "NewsItemView", "NewsView"]
