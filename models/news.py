"""News as the desk keeps it: one headline from one source, with the symbols it names.

`id` is the source's own id ("alpaca:24843171", "sim:AAPL:2026-12-04:3"), so a headline seen
twice (a poll and the stream, a restart) is one headline. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Headline(BaseModel):
    """One news item. `summary` may be empty; `url` too (the simulator's have none)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=100)  # "sim", "benzinga" (Alpaca's)...
    headline: str = Field(min_length=1, max_length=1000)
    summary: str = Field(default="", max_length=4000)
    url: str = Field(default="", max_length=2000)
    author: str = Field(default="", max_length=200)
    symbols: tuple[str, ...] = ()
    created_at: datetime
    simulated: bool = False


class Sentiment(BaseModel):
    """A headline's tone: `score` in [-1, 1] (negative: bad for the symbols it names),
    `label` negative / neutral / positive, and who scored it (offline or an LLM)."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=-1, le=1)
    label: str = Field(pattern=r"^(?:negative|neutral|positive)$")
    why: str = Field(default="", max_length=300)
    scorer: str = "offline"


__all__ = ["Headline", "Sentiment"]
