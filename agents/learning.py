"""Learning from the books, as suggestions only: every closed trade reviewed against the
six-part taxonomy, a weekly look for settings that lost (with at least 30 closed trades),
and the ideas a person passed on followed for COTRADER_REVIEW_DAYS sessions.

Nothing here changes a setting by itself: a suggestion becomes a change only through
`apply`, which an approver's click calls; every change is recorded with who and why and can
be reverted."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from loguru import logger

from agents.data import DataAgent
from agents.errors import BadInput, CotraderError
from agents.gate import Gate
from agents.trade_records import exit_reason
from agents.tunables import Tunables
from models.domain import Actor
from models.learning_repo import LearningError
from models.learning_tables import IdeaOutcome, SettingChange, SuggestionRow, TradeReview
from models.report_reads import TradeFacts
from models.store import Store
from services.learning.passed import follow_idea
from services.learning.reviews import ReviewInput, review_trade
from services.learning.suggestions import ReviewedTrade, suggest
from services.market_calendar import ET, MarketCalendar
from services.reports.window import bar_day

LEARNER = Actor.system("learning")
LOOKBACK = timedelta(days=90)  # the closed trades the weekly suggestions read
MIN_TRADES = 30


class LearningAgent:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        tunables: Tunables,
        gate: Gate,
        clock: Callable[[], datetime],
        max_risk_pct: Callable[[], float],
        review_days: int = 10,
        calendar: MarketCalendar | None = None,
    ) -> None:
        self.store = store
        self.data = data
        self.tunables = tunables
        self.gate = gate
        self.clock = clock
        self.max_risk_pct = max_risk_pct
        self.review_days = review_days
        self.calendar = calendar or MarketCalendar()

    # ------------------------------------------------------------------ reviews
    def review_closed(self) -> int:
        """Review every closed round trip not reviewed yet; how many were reviewed."""
        trades = self.store.learning.unreviewed()
        if not trades:
            return 0
        now = self.clock()
        rows = []
        for tf in self.store.report_reads.trades_facts(trades):
            tags = review_trade(self._input(tf))
            t = tf.trade
            rows.append(
                TradeReview(
                    trade_id=t.id or 0,
                    symbol=t.symbol,
                    strategy=t.strategy,
                    closed_at=t.closed_at or now,
                    pnl=round(t.realized_pnl, 2),
                    tags=[tag.text for tag in tags],
                    reviewed_at=now,
                )
            )
        return self.store.learning.add_reviews(rows)

    def _input(self, tf: TradeFacts) -> ReviewInput:
        t, card, out = tf.trade, tf.entry, tf.exit_card
        session = self.calendar.session(t.opened_at.astimezone(ET).date())
        facts = dict(card.facts or {}) if card is not None else {}
        risk = (card.risk or {}) if card is not None else {}
        return ReviewInput(
            symbol=t.symbol,
            strategy=t.strategy,
            side=t.direction,
            quantity=t.quantity,
            entry_time=t.opened_at,
            exit_time=t.closed_at or t.opened_at,
            entry_price=t.entry_price,
            exit_price=t.exit_price if t.exit_price is not None else t.entry_price,
            realised_pnl=t.realized_pnl,
            fees=t.commission,
            stop=card.stop_price if card is not None else None,
            target=card.target_price if card is not None else None,
            exit_reason=exit_reason(tf),
            facts=facts,
            quote_bid=card.quote_bid if card is not None else None,
            quote_ask=card.quote_ask if card is not None else None,
            exit_quote_bid=out.quote_bid if out is not None else None,
            exit_quote_ask=out.quote_ask if out is not None else None,
            risk_pct=float(risk["risk_pct"]) if "risk_pct" in risk else None,
            max_risk_pct=self.max_risk_pct(),
            session_open=session.open if session is not None else None,
            option=bool(facts.get("option")),
        )

    # ------------------------------------------------------------------ suggestions
    def weekly(self) -> list[SuggestionRow]:
        """This week's suggestions from the last 90 days' reviews (none under 30 closed
        trades); each stored once (a pending twin is not repeated)."""
        now = self.clock()
        self.review_closed()
        reviews = self.store.learning.reviews(since=now - LOOKBACK)
        if len(reviews) < MIN_TRADES:
            logger.info(
                "learning: {} closed trades reviewed; suggestions need {}", len(reviews), MIN_TRADES
            )
            return []
        trades = [ReviewedTrade(r.strategy, r.pnl, tuple(r.tags), r.closed_at) for r in reviews]
        current: dict[str, float | int] = {}
        for key in self.tunables.names():
            try:
                current[key] = self.tunables.value(key)
            except BadInput:
                continue
        out = []
        for s in suggest(trades, current, MIN_TRADES):
            row = SuggestionRow(
                id=f"s-{secrets.token_hex(4)}",
                created_at=now,
                key=s.key,
                value=float(s.value),
                current=None if s.current is None else float(s.current),
                title=s.title,
                evidence=s.evidence,
                confidence=s.confidence,
                tag=s.tag,
                strategy=s.strategy,
                trades=s.trades,
                losses=s.losses,
            )
            stored = self.store.learning.add_suggestion(row, LEARNER.id)
            if stored is not None:
                out.append(stored)
        return out

    def apply(self, sid: str, actor: Actor) -> SettingChange:
        """An approver's Apply: the one setting changed, recorded with who and why."""
        self.gate.check(actor, "suggestion.apply", "apply a suggested setting")
        row = self.store.learning.suggestion(sid.strip().lower())
        if row is None:
            raise BadInput(f"No suggestion {sid}.")
        if row.status != "pending":
            raise BadInput(f"Suggestion {row.id} was {row.status} already; nothing changed.")
        old = self.tunables.value(row.key)
        self.tunables.set(row.key, row.value)  # checked by its model, or BadInput
        try:
            return self.store.learning.apply(
                row.key, float(old), row.value, actor.id, row.title, self.clock(), row.id
            )
        except (LearningError, CotraderError) as e:
            self.tunables.set(row.key, float(old))  # the books refused: back as it was
            raise BadInput(str(e)) from None

    def dismiss(self, sid: str, actor: Actor) -> SuggestionRow:
        self.gate.check(actor, "suggestion.dismiss", "dismiss a suggestion")
        try:
            return self.store.learning.dismiss(sid.strip().lower(), actor.id, self.clock())
        except LearningError as e:
            raise BadInput(str(e)) from None

    def revert(self, change_id: str | int, actor: Actor) -> SettingChange:
        """Put a changed setting back to what it was before that change."""
        self.gate.check(actor, "settings.revert", "revert a setting")
        try:
            cid = int(str(change_id).lstrip("#cC-"))
        except ValueError:
            raise BadInput(f"{change_id!r} is not a change id (see /settings).") from None
        row = self.store.learning.change(cid)
        if row is None:
            raise BadInput(f"No setting change {cid}.")
        now = self.tunables.value(row.key)  # still a known setting, or BadInput
        if row.old_value is not None and row.reverted_at is None:
            self.tunables.set(row.key, row.old_value)  # checked by its model, or BadInput
        try:
            return self.store.learning.revert(cid, actor.id, self.clock())
        except LearningError as e:
            self.tunables.set(row.key, float(now))  # the books refused: back as it was
            raise BadInput(str(e)) from None

    def load(self) -> dict[str, float]:
        """Put the changes in force (from the books) on top of the configured settings; a
        change the settings no longer accept is skipped and logged."""
        applied = {}
        for key, value in self.store.learning.in_force().items():
            try:
                applied[key] = float(self.tunables.set(key, value))
            except BadInput as e:
                logger.warning("setting change {}={} not applied: {}", key, value, e)
        return applied

    # ------------------------------------------------------------------ passed-on ideas
    async def follow_passed(self) -> int:
        """Follow each rejected or expired entry card for `review_days` sessions: would its
        stop or its target have been hit first? Returns the outcomes written."""
        now = self.clock()
        since = now - timedelta(days=self.review_days * 2 + 10)
        rows = []
        for p in self.store.learning.to_follow(since):
            try:
                bars = await self.data.daily_bars(p.symbol)
            except CotraderError as e:
                logger.info("passed idea {}: no bars: {}", p.id, e)
                continue
            made = p.created_at.astimezone(ET).date()
            after = [
                (d, h, lo, c)
                for ts, h, lo, c in zip(bars.ts, bars.high, bars.low, bars.close, strict=True)
                if (d := bar_day(ts)) > made
            ]
            outcome, pnl, final = follow_idea(
                p.side.value,
                p.entry_price,
                p.stop_price,
                p.target_price,
                p.quantity,
                after,
                self.review_days,
            )
            rows.append(
                IdeaOutcome(
                    proposal_id=p.id,
                    symbol=p.symbol,
                    status=str(p.status.value),
                    created_at=p.created_at,
                    outcome=outcome,
                    pnl=pnl,
                    final=final,
                    updated_at=now,
                )
            )
        self.store.learning.save_outcomes(rows)
        return len(rows)
