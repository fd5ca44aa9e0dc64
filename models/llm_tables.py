"""Every LLM call: the usage record, the budget ledger and the response cache in one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.tables import json_field, ts_field


class LLMCall(SQLModel, table=True):
    """One attempt at one provider (or a cache hit). `response` holds the validated answer."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_hash", "request_hash", "ok"),
        Index("ix_llm_calls_day", "day", "provider"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = ts_field()
    day: str  # the ET trading day (YYYY-MM-DD) the call counts against
    provider: str
    model: str
    purpose: str
    prompt_version: str
    request_hash: str
    ok: bool
    cached: bool = False
    error: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    proposal_id: str | None = Field(default=None, index=True)
    response: dict[str, Any] = json_field()
