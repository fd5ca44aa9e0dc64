"""A report's files: the trades and equity CSVs and the JSON of every figure.

Times are ISO-8601 in UTC ('2026-12-04T14:30:00Z'), money has 2 decimals, prices up to
4 (no trailing zeros past the cent); a missing value is an empty cell (null in JSON).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.reports.metrics import drawdown_pct
from services.reports.types import EquityPoint, Report, TradeRecord

TRADE_COLUMNS = (
    "proposal_id",
    "symbol",
    "side",
    "quantity",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "realised_pnl",
    "fees",
    "strategy",
    "holding_days",
    "exit_reason",
    "tags",
)
EQUITY_COLUMNS = ("day", "equity", "benchmark", "drawdown_pct")


def iso_utc(t: datetime | None) -> str:
    """'2026-12-04T14:30:00Z' (a naive time is taken as UTC); '' for None."""
    if t is None:
        return ""
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return t.isoformat().replace("+00:00", "Z")


def fixed2(x: float | None) -> str:
    """Money (or days) with 2 decimals ('-20.91', '0.00'); '' for None."""
    return "" if x is None else f"{round(x, 2) + 0.0:.2f}"


def price_cell(x: float | None) -> str:
    """A price with 2 to 4 decimals ('182.40', '1.2345'); '' for None."""
    if x is None:
        return ""
    s = f"{round(x, 4) + 0.0:.4f}"
    return s[:-2] + s[-2:].rstrip("0") if s.endswith("0") else s


def trades_csv(trades: Sequence[TradeRecord]) -> str:
    """The round trips as CSV, one a row, with the header `TRADE_COLUMNS`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRADE_COLUMNS)
    for t in trades:
        w.writerow(
            (
                t.proposal_id or "",
                t.symbol,
                t.side,
                t.quantity,
                iso_utc(t.entry_time),
                price_cell(t.entry_price),
                iso_utc(t.exit_time),
                price_cell(t.exit_price),
                fixed2(t.realised_pnl),
                fixed2(t.fees),
                t.strategy,
                fixed2(t.holding_days),
                t.exit_reason,
                ";".join(t.tags),
            )
        )
    return buf.getvalue()


def equity_csv(points: Sequence[EquityPoint]) -> str:
    """The equity by session with the benchmark's close and the drawdown in percent."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EQUITY_COLUMNS)
    dd = drawdown_pct([p.equity for p in points]).tolist()
    for p, d in zip(points, dd, strict=True):
        w.writerow((p.day.isoformat(), fixed2(p.equity), price_cell(p.benchmark), f"{d:.2f}"))
    return buf.getvalue()


def _jsonable(x: Any) -> Any:
    if isinstance(x, datetime):
        return iso_utc(x)
    if isinstance(x, date):
        return x.isoformat()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if is_dataclass(x) and not isinstance(x, type):
        return {f.name: _jsonable(getattr(x, f.name)) for f in fields(x)}
    return x


JSON_RISK_EVENTS = 200  # the latest risk events in the JSON (the total is counted)


def report_json(report: Report, files: Mapping[str, str]) -> dict[str, Any]:
    """Every figure of the report as JSON-able values (dates ISO, nested records as dicts),
    without the trades themselves (`trades_closed` counts them) and with `files` (name to
    path or URL of the CSVs and charts written beside it)."""
    out: dict[str, Any] = {
        f.name: _jsonable(getattr(report, f.name))
        for f in fields(report)
        if f.name not in ("trades", "risk_events")
    }
    out["risk_events_total"] = len(report.risk_events)
    out["risk_events"] = _jsonable(report.risk_events[-JSON_RISK_EVENTS:])
    out["files"] = {str(k): str(v) for k, v in files.items()}
    return out
