"""LLM calls: record usage, sum it for budgets and /status, and serve cached answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update
from sqlmodel import col, select

from models.llm_tables import LLMCall
from models.tables import Proposal

if TYPE_CHECKING:
    from models.store import Store


class LLMRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, call: LLMCall) -> None:
        with self.store.session() as s:
            s.add(call)
            s.commit()

    def cached(self, request_hash: str, since: datetime) -> LLMCall | None:
        """The newest successful, uncached answer to this exact request since `since`."""
        with self.store.session() as s:
            q = (
                select(LLMCall)
                .where(
                    LLMCall.request_hash == request_hash,
                    col(LLMCall.ok).is_(True),
                    col(LLMCall.cached).is_(False),
                    col(LLMCall.ts) >= since,
                )
                .order_by(col(LLMCall.id).desc())
                .limit(1)
            )
            return s.exec(q).first()

    def day_usage(self, day: str, provider: str) -> tuple[float, int]:
        """(cost in USD, tokens) spent at `provider` on trading day `day`."""
        with self.store.session() as s:
            q = select(
                func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
                func.coalesce(func.sum(LLMCall.input_tokens + LLMCall.output_tokens), 0),
            ).where(LLMCall.day == day, LLMCall.provider == provider)
            cost, tokens = s.exec(q).one()
            return float(cost), int(tokens)

    def summary(self, day: str) -> dict[str, Any]:
        """Calls, tokens and cost today and in total, and the cost per proposal."""
        with self.store.session() as s:

            def totals(*where: Any) -> tuple[int, int, float]:
                q = select(
                    func.count(col(LLMCall.id)),
                    func.coalesce(func.sum(LLMCall.input_tokens + LLMCall.output_tokens), 0),
                    func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
                ).where(col(LLMCall.cached).is_(False), *where)
                n, t, c = s.exec(q).one()
                return int(n), int(t), float(c)

            day_n, day_t, day_c = totals(LLMCall.day == day)
            all_n, all_t, all_c = totals()
            props_q = select(
                func.count(func.distinct(LLMCall.proposal_id)),
                func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
            ).where(col(LLMCall.proposal_id).is_not(None))
            n_props, props_cost = s.exec(props_q).one()
            hits = s.exec(
                select(func.count(col(LLMCall.id))).where(col(LLMCall.cached).is_(True))
            ).one()
        return {
            "calls_today": day_n,
            "tokens_today": day_t,
            "cost_today_usd": round(day_c, 6),
            "calls_total": all_n,
            "tokens_total": all_t,
            "cost_total_usd": round(all_c, 6),
            "cost_per_proposal_usd": round(float(props_cost) / n_props, 6) if n_props else 0.0,
            "cache_hits": int(hits),
        }

    def calls_for(self, proposal_id: str) -> list[LLMCall]:
        with self.store.session() as s:
            q = select(LLMCall).where(LLMCall.proposal_id == proposal_id)
            return list(s.exec(q.order_by(col(LLMCall.id))))

    def set_rationale(self, proposal_id: str, text: str, meta: dict[str, Any]) -> int | None:
        """Replace a proposal's rationale and bump its revision; the new revision or None."""
        with self.store.session(write=True) as s:
            res = s.execute(
                update(Proposal)
                .where(col(Proposal.id) == proposal_id)
                .values(rationale=text, rationale_meta=meta, revision=Proposal.revision + 1)
            )
            s.commit()
            if not res.rowcount:  # type: ignore[attr-defined]
                return None
            p = s.get(Proposal, proposal_id)
            return p.revision if p else None
