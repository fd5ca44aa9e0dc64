"""services.reports.markdown and .export: the money strings, the markdown's sections, caps
and sentences, the CSVs (exact headers, formats, a round trip) and the JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reports import (
    build_report,
    equity_csv,
    money,
    render_markdown,
    report_json,
    trades_csv,
)
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

W0 = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
WINDOW = ReportWindow(
    "week",
    datetime(2026, 11, 30, tzinfo=UTC),
    datetime(2026, 12, 5, tzinfo=UTC),
    "week of 2026-11-30",
)
HEADER = (
    "proposal_id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,"
    "realised_pnl,fees,strategy,holding_days,exit_reason,tags"
)


def trade(
    pnl: float, symbol: str = "AAPL", strategy: str = "breakout", **kw: object
) -> TradeRecord:
    base: dict[str, object] = {
        "proposal_id": "p-1",
        "symbol": symbol,
        "side": "long",
        "quantity": 10,
        "entry_time": W0,
        "entry_price": 182.4,
        "exit_time": W0 + timedelta(days=1, hours=12),
        "exit_price": 185.1234,
        "realised_pnl": pnl,
        "fees": 1.0,
        "strategy": strategy,
        "exit_reason": "target",
        "tags": ("earnings", "gap"),
    }
    return TradeRecord(**{**base, **kw})  # type: ignore[arg-type]


LLM = LlmUsage(calls=12, cached=3, input_tokens=15_000, output_tokens=2_000, cost_usd=0.43)


def idea(pnl: float | None) -> PassedIdea:
    return PassedIdea("p", "MSFT", "rejected", W0, "target", pnl, pnl is not None)


def report(
    trades: tuple[TradeRecord, ...] = (),
    *,
    realised: float | None = None,
    events: int = 0,
    passed: tuple[PassedIdea, ...] = (),
) -> Report:
    closed = round(sum(t.realised_pnl for t in trades), 2)
    return build_report(
        ReportInputs(
            window=WINDOW,
            mode_label="SIMULATED",
            trades=trades,
            open_trades=(),
            trades_opened=len(trades),
            equity=(
                EquityPoint(date(2026, 11, 27), 100_000.0, 400.0),
                EquityPoint(date(2026, 11, 30), 99_000.0, None),
                EquityPoint(date(2026, 12, 1), 101_234.5678, 410.0),
            ),
            start_equity=100_000.0,
            end_equity=101_234.5678,
            realised=closed if realised is None else realised,
            unrealised=-20.905,
            fees=12.3,
            risk_events=tuple(
                RiskEventLine(W0, "risk.halted", f"event number {i}") for i in range(events)
            ),
            proposals=ProposalCounts(made=10, approved=6, rejected=2, expired=1, superseded=1),
            llm=LlmUsage(
                calls=12, cached=3, input_tokens=15_000, output_tokens=2_000, cost_usd=0.43
            ),
            passed=passed,
            generated_at=W0,
        )
    )


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1234.56, "+$1,234.56"),
        (-20.91, "-$20.91"),
        (0.0, "$0.00"),
        (-0.001, "$0.00"),
        (0.004, "$0.00"),
        (1_000_000, "+$1,000,000.00"),
        (-1234.5, "-$1,234.50"),
        (None, "n/a"),
    ],
)
def test_money(x: float | None, text: str) -> None:
    assert money(x) == text


def test_markdown_shows_the_reports_figures() -> None:
    t = (trade(300.0), trade(-80.0, "MSFT", ""), trade(200.0, "TSLA", "meanrev"))
    passed = tuple(idea(p) for p in (300.0, 120.0, -100.0, -30.0, None, 0.0))
    r = report(t, passed=passed)
    md = render_markdown(r)
    assert md.startswith("# [SIMULATED] Weekly report: week of 2026-11-30\n")
    for figure in (r.realised, r.unrealised, r.total_pnl, r.expectancy, r.largest_loss):
        assert money(figure) in md
    assert "| Realised P&L | +$420.00 |" in md
    assert "| Unrealised P&L | -$20.91 |" in md
    assert "| Total P&L | +$399.09 |" in md
    assert "| Equity at end | $101,234.57 |" in md
    assert "| Fees | $12.30 |" in md
    assert "+1.23% (vs SPY +2.50%)" in md
    assert "| Profit factor | 6.25 |" in md
    assert "| manual | 1 | 0 | -$80.00 | $1.00 |" in md
    assert "| Max drawdown | -1.00% |" in md
    assert "Ideas you passed on: 6, they would have made +$420.00 / lost $130.00" in md
    assert "6 approved, 2 rejected, 1 expired, 1 superseded" in md
    assert "approval rate 66.67%" in md
    assert "12 calls (3 cached, 0 failed)" in md and "cost $0.43" in md
    assert "The closed trades add up" not in md  # realised equals the trades' sum


def test_markdown_explains_a_realised_figure_apart_from_the_trades() -> None:
    md = render_markdown(report((trade(300.0),), realised=250.0))
    assert "The closed trades add up to +$300.00" in md
    assert "the realised P&L is +$250.00" in md and "fees and partial closes" in md
    assert "closes of positions opened before it" in md


def test_markdown_without_trades_shows_na() -> None:
    md = render_markdown(report())
    assert "| Profit factor | n/a |" in md
    assert "| Win rate | n/a |" in md
    assert md.count("_No closed trades._") == 2
    assert "Ideas you passed on: none." in md
    assert "## Risk events\n\n_None._" in md


def test_markdown_caps_symbols_and_events() -> None:
    t = tuple(trade(float(i + 1), f"S{i:02d}") for i in range(25))
    md = render_markdown(report(t, events=60))
    assert "| S24 | 1 | 1 | +$25.00 |" in md  # the best first
    assert "| S05 |" in md and "| S04 |" not in md  # the 20 best shown
    assert "… and 5 more" in md
    assert md.count("`risk.halted`") == 50
    assert "event number 49" in md and "event number 50" not in md
    assert "… and 10 more" in md


def test_markdown_table_cells_are_escaped() -> None:
    md = render_markdown(report((trade(5.0, strategy="a|b"),)))
    assert "| a\\|b | 1 | 1 | +$5.00 |" in md


def test_trades_csv_format() -> None:
    open_trade = trade(
        0.0, "MSFT", proposal_id=None, exit_time=None, exit_price=None, tags=(), entry_price=1.23456
    )
    text = trades_csv([trade(-20.905, fees=0.35), open_trade])
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == (
        "p-1,AAPL,long,10,2026-11-30T14:30:00Z,182.40,2026-12-02T02:30:00Z,185.1234,"
        "-20.91,0.35,breakout,1.50,target,earnings;gap"
    )
    assert lines[2] == ",MSFT,long,10,2026-11-30T14:30:00Z,1.2346,,,0.00,1.00,breakout,,target,"


def test_trades_csv_times_are_utc() -> None:
    from zoneinfo import ZoneInfo

    ny = W0.astimezone(ZoneInfo("America/New_York"))
    row = next(csv.DictReader(io.StringIO(trades_csv([trade(1.0, entry_time=ny)]))))
    assert row["entry_time"] == "2026-11-30T14:30:00Z"
    assert datetime.fromisoformat(row["entry_time"]) == W0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-1_000_000, 1_000_000).map(lambda c: c / 100),
            st.sampled_from(["AAPL", "BRK.B", "a,b", 'q"x']),
            st.lists(st.sampled_from(["x", "y y", "z,1"]), max_size=3),
        ),
        max_size=30,
    )
)
def test_trades_csv_round_trips(rows: list[tuple[float, str, list[str]]]) -> None:
    trades = [trade(p, s, tags=tuple(tags)) for p, s, tags in rows]
    back = list(csv.DictReader(io.StringIO(trades_csv(trades))))
    assert len(back) == len(trades)
    assert [b["symbol"] for b in back] == [t.symbol for t in trades]
    assert [b["tags"] for b in back] == [";".join(t.tags) for t in trades]
    total = math.fsum(float(b["realised_pnl"]) for b in back)
    assert round(total, 2) == report(tuple(trades)).closed_trades_pnl


def test_equity_csv() -> None:
    pts = [
        EquityPoint(date(2026, 12, 1), 100_000.0, 401.5),
        EquityPoint(date(2026, 12, 2), 90_000.126, None),
        EquityPoint(date(2026, 12, 3), 95_000.0, 410.12345),
    ]
    assert equity_csv(pts).splitlines() == [
        "day,equity,benchmark,drawdown_pct",
        "2026-12-01,100000.00,401.50,0.00",
        "2026-12-02,90000.13,,-10.00",
        "2026-12-03,95000.00,410.1234,-5.00",
    ]
    assert equity_csv([]) == "day,equity,benchmark,drawdown_pct\n"


def test_report_json_has_every_figure_but_the_trades() -> None:
    r = report((trade(300.0), trade(-80.0, strategy="")), passed=(idea(50.0),))
    files = {"trades": "trades.csv", "equity_chart": "equity.png"}
    data = report_json(r, files)
    back = json.loads(json.dumps(data))
    assert "trades" not in back and back["trades_closed"] == 2
    assert back["files"] == files
    assert back["realised"] == 220.0 and back["unrealised"] == -20.91
    assert back["window"]["start"] == "2026-11-30T00:00:00Z"
    assert back["window"]["label"] == "week of 2026-11-30"
    assert back["by_strategy"][1] == {
        "name": "manual",
        "trades": 1,
        "wins": 0,
        "pnl": -80.0,
        "fees": 1.0,
    }
    assert back["equity"][0] == {"day": "2026-11-27", "equity": 100000.0, "benchmark": 400.0}
    assert back["passed"]["would_make"] == 50.0
    assert back["proposals"]["approved"] == 6 and back["llm"]["cost_usd"] == 0.43
    assert back["generated_at"] == "2026-11-30T14:30:00Z"
    assert back["profit_factor"] == 3.75
