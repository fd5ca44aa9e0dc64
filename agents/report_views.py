"""What front ends show of reports and learning: a report's figures and files, suggestions,
and the setting changes in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agents.results import View
from models.learning_tables import SettingChange, SuggestionRow
from services.reports.markdown import money, passed_sentence, usd
from services.reports.types import Report


class ReportView(View):
    """One report: every figure (`figures`, the same numbers as the markdown and the CSV)
    and the files written (`files`: markdown, trades_csv, equity_csv, equity_chart,
    strategy_chart → path)."""

    mode_label: str
    period: str
    label: str
    start: datetime
    end: datetime
    figures: dict[str, Any]
    files: dict[str, str]
    summary: tuple[str, ...]  # the headline lines, for a chat reply or an embed

    @property
    def text(self) -> str:
        return "\n".join(self.summary)


def report_text(view: ReportView) -> str:
    """The headline lines and where the files went (a chat reply)."""
    files = "\n".join(f"  {name}: {path}" for name, path in view.files.items())
    return f"{view.text}\nFiles:\n{files}"


def summary_lines(r: Report) -> tuple[str, ...]:
    """The report's headline in a few lines (the markdown's own money strings)."""
    ret = "n/a" if r.return_pct is None else f"{r.return_pct:+.2f}%"
    bench = "n/a" if r.benchmark_return_pct is None else f"{r.benchmark_return_pct:+.2f}%"
    win = "n/a" if r.win_rate is None else f"{r.win_rate:.1f}%"
    pf = "n/a" if r.profit_factor is None else f"{r.profit_factor:.2f}"
    dd = "n/a" if r.max_drawdown_pct is None else f"{r.max_drawdown_pct:.2f}%"
    lines = [
        f"[{r.mode_label}] Report {r.window.label}",
        f"Equity {usd(r.start_equity)} → {usd(r.end_equity)} ({ret}; {r.benchmark_symbol} {bench})",
        f"Realised {money(r.realised)} · unrealised {money(r.unrealised)} · "
        f"total {money(r.total_pnl)} · fees {usd(r.fees)}",
        f"Trades: {r.trades_opened} opened, {r.trades_closed} closed · win rate {win} · "
        f"profit factor {pf} · max drawdown {dd}",
    ]
    p = r.proposals
    rate = "n/a" if r.approval_rate is None else f"{r.approval_rate:.0f}%"
    lines.append(
        f"Cards: {p.made} made, {p.approved} approved, {p.rejected} rejected, "
        f"{p.expired} expired (approval rate {rate})"
    )
    if r.passed.count:
        lines.append(passed_sentence(r))
    return tuple(lines)


class SuggestionView(View):
    id: str
    key: str
    value: float
    current: float | None
    title: str
    evidence: str
    confidence: float
    status: str
    strategy: str = ""
    trades: int = 0
    losses: int = 0

    @classmethod
    def of(cls, r: SuggestionRow) -> SuggestionView:
        return cls(
            id=r.id, key=r.key, value=r.value, current=r.current, title=r.title,
            evidence=r.evidence, confidence=r.confidence, status=r.status,
            strategy=r.strategy, trades=r.trades, losses=r.losses,
        )  # fmt: skip

    @property
    def line(self) -> str:
        return f"{self.id} [{self.status}] {self.title} (confidence {self.confidence:.0%})"


class SettingChangeView(View):
    id: int
    key: str
    old_value: float | None
    new_value: float
    actor: str
    reason: str
    suggestion_id: str | None
    applied_at: datetime
    reverted_at: datetime | None = None
    reverted_by: str | None = None

    @classmethod
    def of(cls, r: SettingChange) -> SettingChangeView:
        return cls(
            id=r.id or 0, key=r.key, old_value=r.old_value, new_value=r.new_value,
            actor=r.actor, reason=r.reason, suggestion_id=r.suggestion_id,
            applied_at=r.applied_at, reverted_at=r.reverted_at, reverted_by=r.reverted_by,
        )  # fmt: skip

    @property
    def line(self) -> str:
        state = f"reverted by {self.reverted_by}" if self.reverted_at else "in force"
        old = "?" if self.old_value is None else f"{self.old_value:g}"
        return (
            f"#{self.id} {self.key}: {old} → {self.new_value:g} ({state}; by {self.actor}"
            + (f", from {self.suggestion_id}" if self.suggestion_id else "")
            + ")"
        )


class SettingsView(View):
    """The run-time setting changes, newest first (`in_force`: key → value now)."""

    changes: tuple[SettingChangeView, ...]
    in_force: dict[str, float]

    @property
    def text(self) -> str:
        if not self.changes:
            return "No settings changed at run time (the configuration is as started)."
        return "Setting changes:\n" + "\n".join(c.line for c in self.changes)
