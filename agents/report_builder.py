"""Performance reports: the books of one window gathered into a `ReportInputs`, its figures
built by services.reports, and written as markdown, two CSVs and two PNG charts.

The current period's equity, realised and unrealised P&L are `/pnl`'s own figures (one
function, so they agree to the cent); a past period's come from the fills in it and the
daily performance rows the end-of-day job records."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from loguru import logger

from agents.data import DataAgent
from agents.errors import BadInput, CotraderError
from agents.reports import Reports
from agents.trade_records import open_record, record
from models.domain import Mode, Period
from models.store import Store
from services.market_calendar import ET, MarketCalendar
from services.report_charts import equity_vs_benchmark_png, strategy_pnl_png
from services.reports.export import equity_csv, trades_csv
from services.reports.markdown import render_markdown
from services.reports.metrics import build_report
from services.reports.types import (
    EquityPoint,
    LlmUsage,
    PassedIdea,
    ProposalCounts,
    Report,
    ReportInputs,
    ReportWindow,
    RiskEventLine,
    TradeRecord,
)
from services.reports.window import PeriodError, bar_day, period_end, report_window, slug

BENCHMARK = "SPY"


@dataclass(frozen=True)
class BuiltReport:
    """A report's figures and the files written for it (name → path)."""

    report: Report
    files: dict[str, str]
    markdown: str


class ReportAgent:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        accounts: Reports,
        mode: Mode,
        clock: Callable[[], datetime],
        out_dir: Path,
        calendar: MarketCalendar | None = None,
    ) -> None:
        self.store = store
        self.data = data
        self.accounts = accounts
        self.mode = mode
        self.clock = clock
        self.out_dir = out_dir
        self.calendar = calendar or MarketCalendar()

    def window(self, period: str, day: date | None = None) -> ReportWindow:
        now = self.clock()
        try:
            return report_window(period, day or now.astimezone(ET).date(), now, self.calendar)
        except PeriodError as e:
            raise BadInput(str(e)) from None

    async def build(
        self, w: ReportWindow, out_dir: Path | None = None, charts: bool = True
    ) -> BuiltReport:
        """The report of `w`, written under `out_dir` (default COTRADER_HOME/reports)."""
        inputs = await self.inputs(w)
        report = build_report(inputs)
        text = render_markdown(report)
        # the trades CSV: the round trips closed in the window, then those it opened that
        # are still open (their entry fees are in the realised figure too)
        rows = report.trades + tuple(t for t in inputs.open_trades if t.entry_time >= w.start)
        files = self._write(report, text, rows, out_dir or self.out_dir, charts)
        return BuiltReport(report=report, files=files, markdown=text)

    async def inputs(self, w: ReportWindow) -> ReportInputs:
        reads = self.store.report_reads
        hi = self._upto(w)
        closed = [record(tf) for tf in reads.closed_trades(w.start, hi)]
        still_open = [open_record(t) for t in reads.open_at(hi)]
        start_eq, end_eq, realised, unrealised, fees = await self._money(w)
        counts = reads.proposal_counts(w.start, hi)
        n, cached, failed, tin, tout, cost = reads.llm_usage(w.start, hi)
        return ReportInputs(
            window=w,
            mode_label=self.mode.label,
            trades=tuple(closed),
            open_trades=tuple(still_open),
            trades_opened=reads.opened_count(w.start, hi),
            equity=await self._equity(w, start_eq, end_eq),
            start_equity=start_eq,
            end_equity=end_eq,
            realised=realised,
            unrealised=unrealised,
            fees=fees,
            benchmark_symbol=BENCHMARK,
            risk_events=tuple(
                RiskEventLine(ts=e.ts, type=e.type, text=_event_text(e.type, e.context))
                for e in reads.risk_events(w.start, hi)
            ),
            proposals=ProposalCounts(
                made=sum(counts.values()),
                approved=sum(counts.get(s, 0) for s in _APPROVED),
                rejected=counts.get("rejected", 0),
                expired=counts.get("expired", 0),
                superseded=counts.get("superseded", 0),
                pending=counts.get("pending", 0),
            ),
            llm=LlmUsage(n, cached, failed, tin, tout, round(cost, 4)),
            passed=tuple(
                PassedIdea(
                    o.proposal_id, o.symbol, o.status, o.created_at, o.outcome, o.pnl, o.final
                )
                for o in self.store.learning.outcomes(w.start, hi)
            ),
            generated_at=self.clock(),
        )

    def _upto(self, w: ReportWindow) -> datetime:
        """The books' bound: the period's own end for a running one (a venue may stamp a
        fill a moment after the desk's clock), else the window's end."""
        if self._running(w) is None:
            return w.end
        return period_end(w.period, w.start.astimezone(ET).date())

    def _running(self, w: ReportWindow) -> Period | None:
        """The /pnl period this window is, when it is the one running (its end was cut at
        the clock when it was made, before the period's own end)."""
        if w.end >= period_end(w.period, w.start.astimezone(ET).date()):
            return None
        return Period(w.period)

    async def _money(self, w: ReportWindow) -> tuple[float, float, float, float, float]:
        """(start equity, end equity, realised, unrealised, fees)."""
        period = self._running(w)
        if period is not None:
            v = await self.accounts.pnl(period)
            start = v.start_equity if v.start_equity is not None else v.equity
            return start, v.equity, v.realized, v.unrealized, v.commissions
        reads = self.store.report_reads
        realised, fees = reads.realised(w.start, w.end)
        days = reads.daily(w.start.astimezone(ET).date(), w.end.astimezone(ET).date())
        inside = [d for d in days if w.start.astimezone(ET).date() <= d.day < _end_day(w)]
        snap = self.store.state.first_snapshot_since(w.start)
        last = reads.last_snapshot_before(w.end)
        if inside:
            end, unrealised = inside[-1].end_equity, inside[-1].unrealized_pnl
            start = snap.equity if snap and snap.ts < w.end else inside[0].start_equity
        else:
            end = last.equity if last else (await self.accounts.broker.account()).equity
            start, unrealised = (snap.equity if snap and snap.ts < w.end else end), 0.0
        return start, end, round(realised - fees, 2), round(unrealised, 2), round(fees, 2)

    async def _equity(self, w: ReportWindow, start: float, end: float) -> tuple[EquityPoint, ...]:
        """Equity at each session's end (the daily rows; the last snapshot of a day without
        one; `end` for a running window's last session), the session before the window
        first, and SPY's closes."""
        reads = self.store.report_reads
        first = w.start.astimezone(ET).date()
        before = self.calendar.previous_session(first)
        lo = before.day if before else first
        rows = {d.day: d.end_equity for d in reads.daily(lo, w.end.astimezone(ET).date())}
        snaps: dict[date, float] = {}
        for s in reads.snapshots(datetime.combine(lo, datetime.min.time(), tzinfo=ET), w.end):
            snaps[s.ts.astimezone(ET).date()] = s.equity
        closes = await self._benchmark(lo, w)
        points: list[EquityPoint] = []
        base = rows.get(lo) if before else None
        points.append(
            EquityPoint(
                lo if before else first, base if base is not None else start, closes.get(lo)
            )
        )
        now_day = w.sessions[-1] if w.sessions and self._running(w) is not None else None
        for day in w.sessions:
            eq = end if day == now_day else rows.get(day, snaps.get(day))  # end: equity now
            if eq is not None:
                points.append(EquityPoint(day, eq, closes.get(day)))
        return tuple(points)

    async def _benchmark(self, first: date, w: ReportWindow) -> dict[date, float]:
        """SPY's daily closes by session day (empty when the data has none)."""
        try:
            bars = await self.data.daily_bars(BENCHMARK)
        except CotraderError as e:
            logger.info("report: no {} bars: {}", BENCHMARK, e)
            return {}
        last = w.end.astimezone(ET).date()
        out = {}
        for ts, close in zip(bars.ts, bars.close, strict=True):
            day = bar_day(ts)
            if first <= day <= last:
                out[day] = float(close)
        today = self.clock().astimezone(ET).date()
        if self._running(w) is not None and today in w.sessions and today not in out:
            try:  # today's bar is not closed yet: its last price stands for it
                out[today] = (await self.data.quote(BENCHMARK)).last
            except CotraderError as e:
                logger.info("report: no {} quote: {}", BENCHMARK, e)
        return out

    def _write(
        self, r: Report, text: str, rows: tuple[TradeRecord, ...], out: Path, charts: bool
    ) -> dict[str, str]:
        """Every file, each written whole (a temporary name, then renamed)."""
        out.mkdir(parents=True, exist_ok=True)
        stem = slug(r.window)
        title = f"[{r.mode_label}] {r.window.label}"
        parts: dict[str, tuple[str, bytes]] = {
            "markdown": (f"report-{stem}.md", text.encode()),
            "trades_csv": (f"trades-{stem}.csv", trades_csv(rows).encode()),
            "equity_csv": (f"equity-{stem}.csv", equity_csv(r.equity).encode()),
        }
        if charts:
            parts["equity_chart"] = (
                f"equity-{stem}.png",
                equity_vs_benchmark_png(
                    r.equity,
                    f"{title}: equity vs {r.benchmark_symbol}",
                    benchmark=r.benchmark_symbol,
                ),
            )
            parts["strategy_chart"] = (
                f"strategies-{stem}.png",
                strategy_pnl_png(r.by_strategy, f"{title}: P&L by strategy"),
            )
        files = {}
        for key, (name, body) in parts.items():
            path = out / name
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
            files[key] = str(path)
        return files


_APPROVED = ("approved", "submitted", "filled", "partially_filled", "canceled", "failed")


def _end_day(w: ReportWindow) -> date:
    """The first day after the window (exclusive)."""
    end = w.end.astimezone(ET)
    return end.date() if end.time() == datetime.min.time() else end.date() + timedelta(days=1)


def _event_text(kind: str, ctx: dict[str, object]) -> str:
    for k in ("reason", "why", "message", "detail"):
        v = ctx.get(k)
        if isinstance(v, str) and v:
            return v[:200]
    if kind == "kill.requested":
        return "kill switch" + (" (flatten)" if ctx.get("flatten") else "")
    return kind
