"""The orchestrator's reports and learning: `/report`, the suggestions and their Apply /
Dismiss, `/settings` and its revert. Mixed into Orchestrator; `_setup_reports` is called
from its constructor."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from agents import events as ev
from agents.errors import BadInput
from agents.learning import LearningAgent
from agents.report_builder import ReportAgent
from agents.report_views import (
    ReportView,
    SettingChangeView,
    SettingsView,
    SuggestionView,
    summary_lines,
)
from agents.tunables import Family, Tunables
from models.config import StrategyConfig
from models.domain import Actor
from services.market_calendar import ET
from services.reports.export import report_json
from services.reports.window import PeriodError, closes_month, closes_week, parse_period

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agents.orchestrator import Orchestrator


class ReportsApi:
    def _setup_reports(self: Orchestrator, out_dir: Path) -> None:
        self.report_agent = ReportAgent(
            self.store, self.data, self.reports, self.mode, self.clock, out_dir
        )
        self.tunables = Tunables(
            {
                "risk": Family(lambda: self.limits, self._put_limits),
                "scanner": Family(lambda: self.scanner.cfg, self._put_scanner),
                "exits": Family(lambda: self.desk_cfg.exit_rules, self._put_exits),
                "options": Family(lambda: self.options_cfg, self._put_options),
            },
            lambda: self.strategy.cfg,
            self._put_strategy,
        )
        self.learning = LearningAgent(
            self.store,
            self.data,
            self.tunables,
            self.gate,
            self.clock,
            lambda: self.limits.max_risk_per_trade_pct,
            self.desk_cfg.review_days,
        )
        applied = self.learning.load()
        if applied:
            logger.info("setting changes in force: {}", applied)

    # ------------------------------------------------------------------ config swaps
    def _put_limits(self: Orchestrator, new: BaseModel) -> None:
        self.limits = self.risk.limits = new  # type: ignore[assignment]

    def _put_scanner(self: Orchestrator, new: BaseModel) -> None:
        self.scanner.cfg = new  # type: ignore[assignment]

    def _put_exits(self: Orchestrator, new: BaseModel) -> None:
        self.desk_cfg = self.desk_cfg.model_copy(update={"exit_rules": new})
        self.monitor_agent.cfg = self.desk_cfg

    def _put_options(self: Orchestrator, new: BaseModel) -> None:
        self.options_cfg = self.option_ideas.cfg = new  # type: ignore[assignment]

    def _put_strategy(self: Orchestrator, new: StrategyConfig) -> None:
        self.strategy.cfg = self.scanner.strategy = self.research.cfg = new

    # ------------------------------------------------------------------ reports
    async def report(
        self: Orchestrator,
        period: str | None = None,
        out_dir: Path | None = None,
        day: date | None = None,
        charts: bool = True,
    ) -> ReportView:
        """The report of `period` (day, week, month or YYYY-MM-DD), its files written."""
        today = self.clock().astimezone(ET).date()
        try:
            which, on = parse_period(period, today)
        except PeriodError as e:
            raise BadInput(str(e)) from None
        await self._learn()
        return await self._report_view(which, day or on, out_dir, charts)

    async def _learn(self: Orchestrator) -> None:
        """What a report reads from the learning books, brought up to date: each closed
        trade's review (its tags) and the ideas passed on."""
        self.learning.review_closed()
        await self.learning.follow_passed()

    async def _report_view(
        self: Orchestrator, period: str, day: date, out_dir: Path | None = None,
        charts: bool = True,
    ) -> ReportView:  # fmt: skip
        w = self.report_agent.window(period, day)
        built = await self.report_agent.build(w, out_dir, charts)
        r = built.report
        return ReportView(
            mode_label=r.mode_label,
            period=w.period,
            label=w.label,
            start=w.start,
            end=w.end,
            figures=report_json(r, built.files),
            files=built.files,
            summary=summary_lines(r),
        )

    async def scheduled_reports(self: Orchestrator, day: date) -> list[ev.DeskEvent]:
        """After the close: the day's report; the week's on its last session (with the
        week's suggestions); the month's on its last trading day."""
        cal = self.report_agent.calendar
        out: list[ev.DeskEvent] = []
        periods = ["day"]
        if closes_week(cal, day):
            periods.append("week")
        if closes_month(cal, day):
            periods.append("month")
        await self._learn()  # once for every report of the run (and the suggestions)
        for p in periods:
            view = await self._report_view(p, day)
            out.append(ev.ReportReady(mode_label=view.mode_label, job=f"report_{p}", day=day,
                                      view=view))  # fmt: skip
        if "week" in periods:
            rows = self.learning.weekly()
            if rows:
                out.append(
                    ev.SuggestionsReady(
                        mode_label=self.mode.label,
                        suggestions=tuple(SuggestionView.of(r) for r in rows),
                    )
                )
        return out

    # ------------------------------------------------------------------ learning
    def suggestions(self: Orchestrator, status: str | None = None) -> tuple[SuggestionView, ...]:
        return tuple(SuggestionView.of(r) for r in self.store.learning.suggestions(status))

    async def suggest_now(self: Orchestrator) -> tuple[SuggestionView, ...]:
        """Run the weekly look now (a person's `/suggestions refresh`)."""
        return tuple(SuggestionView.of(r) for r in self.learning.weekly())

    def apply_suggestion(self: Orchestrator, sid: str, actor: Actor) -> SettingChangeView:
        return SettingChangeView.of(self.learning.apply(sid, actor))

    def dismiss_suggestion(self: Orchestrator, sid: str, actor: Actor) -> SuggestionView:
        return SuggestionView.of(self.learning.dismiss(sid, actor))

    def settings_view(self: Orchestrator) -> SettingsView:
        rows = self.store.learning.changes()
        return SettingsView(
            changes=tuple(SettingChangeView.of(r) for r in rows),
            in_force={k: float(self.tunables.value(k)) for k in self.store.learning.in_force()},
        )

    def revert_setting(self: Orchestrator, change_id: str, actor: Actor) -> SettingChangeView:
        return SettingChangeView.of(self.learning.revert(change_id, actor))
