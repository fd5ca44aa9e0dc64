"""services.reports.metrics: hand-computed figures (trade statistics, Sharpe/Sortino against
numpy, drawdown, exposure, approval rate, the ideas passed on), rounding, properties of
the groupings and exposure, and the speed on a big month."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reports.metrics import build_report, exposure_pct
from services.reports.types import (
    EquityPoint,
    LlmUsage,
    PassedIdea,
    ProposalCounts,
    ReportInputs,
    ReportWindow,
    RiskEventLine,
    TradeRecord,
)

W0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
WINDOW = ReportWindow("day", W0, W0 + timedelta(hours=10), "2026-11-30")


def trade(
    pnl: float,
    *,
    symbol: str = "AAPL",
    strategy: str = "breakout",
    entry_h: float = 1.0,
    exit_h: float | None = 2.0,
    fees: float = 1.0,
    slippage: float = 0.0,
) -> TradeRecord:
    return TradeRecord(
        proposal_id="p1",
        symbol=symbol,
        side="long",
        quantity=10,
        entry_time=W0 + timedelta(hours=entry_h),
        entry_price=100.0,
        exit_time=None if exit_h is None else W0 + timedelta(hours=exit_h),
        exit_price=None if exit_h is None else 101.0,
        realised_pnl=pnl,
        fees=fees,
        strategy=strategy,
        slippage=slippage,
    )


def inputs(
    trades: tuple[TradeRecord, ...] = (),
    *,
    open_trades: tuple[TradeRecord, ...] = (),
    equity: tuple[EquityPoint, ...] = (),
    start: float = 100_000.0,
    end: float = 101_000.0,
    realised: float = 0.0,
    unrealised: float = 0.0,
    window: ReportWindow = WINDOW,
    **kw: object,
) -> ReportInputs:
    return ReportInputs(
        window=window,
        mode_label="SIMULATED",
        trades=trades,
        open_trades=open_trades,
        trades_opened=len(trades),
        equity=equity,
        start_equity=start,
        end_equity=end,
        realised=realised,
        unrealised=unrealised,
        fees=sum(t.fees for t in trades),
        **kw,  # type: ignore[arg-type]
    )


def curve(values: list[float], bench: list[float | None] | None = None) -> tuple[EquityPoint, ...]:
    bench = bench or [None] * len(values)
    return tuple(
        EquityPoint(date(2026, 11, 2) + timedelta(days=i), v, b)
        for i, (v, b) in enumerate(zip(values, bench, strict=True))
    )


def test_trade_statistics_by_hand() -> None:
    r = build_report(inputs(tuple(trade(p) for p in (100.0, -50.0, 30.0, -20.0, 0.0))))
    assert (r.trades_closed, r.wins, r.losses) == (5, 2, 2)
    assert r.win_rate == 40.0
    assert r.profit_factor == 1.86  # 130 / 70
    assert r.expectancy == 12.0  # 60 / 5
    assert (r.avg_win, r.avg_loss) == (65.0, -35.0)
    assert (r.largest_win, r.largest_loss) == (100.0, -50.0)
    assert r.closed_trades_pnl == 60.0


def test_no_trades_and_no_losses_give_none() -> None:
    r = build_report(inputs())
    assert r.trades_closed == 0
    assert r.win_rate is r.profit_factor is r.expectancy is None
    assert r.avg_win is r.avg_loss is r.largest_win is r.largest_loss is None
    winners = build_report(inputs((trade(10.0), trade(5.0))))
    assert winners.profit_factor is None and winners.avg_loss is None
    assert winners.win_rate == 100.0
    losers = build_report(inputs((trade(-10.0),)))
    assert losers.profit_factor == 0.0 and losers.avg_win is None


def test_money_figures_return_and_rounding() -> None:
    t = (trade(10.004, slippage=0.126), trade(-3.333, slippage=0.2))
    r = build_report(inputs(t, realised=1234.567, unrealised=-20.905, start=1000, end=1012.3456))
    assert r.return_pct == 1.23
    assert (r.realised, r.unrealised) == (1234.57, -20.91)  # -20.905 is -20.9049... in binary
    assert r.total_pnl == round(r.realised + r.unrealised, 2) == 1213.66
    assert r.slippage == 0.33
    assert r.fees == 2.0
    assert r.closed_trades_pnl == 6.67
    assert build_report(inputs(start=0.0)).return_pct is None


def test_benchmark_return_first_to_last_known_close() -> None:
    pts = curve([100, 101, 102, 103], [None, 400.0, None, 420.0])
    assert build_report(inputs(equity=pts)).benchmark_return_pct == 5.0
    one = curve([100, 101], [None, 400.0])
    assert build_report(inputs(equity=one)).benchmark_return_pct is None


def test_sharpe_and_sortino_match_numpy() -> None:
    values = [100.0, 102.0, 101.0, 104.0, 103.5, 106.0]
    r = build_report(inputs(equity=curve(values)))
    e = np.array(values)
    d = e[1:] / e[:-1] - 1
    sharpe = d.mean() / d.std(ddof=1) * math.sqrt(252)
    sortino = d.mean() / math.sqrt(np.mean(np.minimum(d, 0) ** 2)) * math.sqrt(252)
    assert r.sharpe == round(sharpe, 2)
    assert r.sortino == round(sortino, 2)
    assert r.sharpe is not None and r.sharpe > 0


@pytest.mark.parametrize(
    "values",
    [[100.0], [100.0, 101.0], [100.0, 100.0, 100.0]],
    ids=["one point", "one return", "flat"],
)
def test_sharpe_undefined(values: list[float]) -> None:
    r = build_report(inputs(equity=curve(values)))
    assert r.sharpe is None and r.sortino is None


def test_sortino_none_without_a_down_day() -> None:
    r = build_report(inputs(equity=curve([100.0, 101.0, 103.0, 104.0])))
    assert r.sharpe is not None and r.sortino is None


def test_max_drawdown() -> None:
    r = build_report(inputs(equity=curve([100.0, 120.0, 90.0, 130.0, 117.0])))
    assert r.max_drawdown_pct == -25.0
    assert build_report(inputs(equity=curve([100.0, 110.0]))).max_drawdown_pct == 0.0
    assert build_report(inputs(equity=curve([100.0]))).max_drawdown_pct is None


def test_exposure_overlapping_open_and_clipped() -> None:
    closed = (
        trade(1.0, entry_h=1, exit_h=3),
        trade(1.0, entry_h=2, exit_h=5),  # overlaps: 1h..5h counts 4 hours
        trade(1.0, entry_h=-2, exit_h=0.5),  # opened before the window: 0.5 hours
        trade(1.0, entry_h=11, exit_h=12),  # after the window: nothing
    )
    still_open = (trade(0.0, entry_h=8, exit_h=None), trade(0.0, entry_h=9, exit_h=None))
    r = build_report(inputs(closed, open_trades=still_open))
    assert r.exposure_pct == 65.0  # (4 + 0.5 + 2) / 10 hours
    assert build_report(inputs()).exposure_pct == 0.0
    whole = build_report(inputs(open_trades=(trade(0.0, entry_h=-5, exit_h=None),)))
    assert whole.exposure_pct == 100.0
    empty = ReportWindow("day", W0, W0, "empty")
    assert build_report(inputs(window=empty)).exposure_pct is None


def test_groups_sorted_by_pnl_then_name_with_manual() -> None:
    t = (
        trade(50.0, strategy="breakout", symbol="MSFT", fees=1.5),
        trade(-20.0, strategy="breakout", symbol="AAPL", fees=1.25),
        trade(30.0, strategy="", symbol="AAPL"),
        trade(30.0, strategy="meanrev", symbol="TSLA"),
    )
    r = build_report(inputs(t))
    got = [(g.name, g.trades, g.wins, g.pnl, g.fees) for g in r.by_strategy]
    assert got == [
        ("breakout", 2, 1, 30.0, 2.75),
        ("manual", 1, 1, 30.0, 1.0),
        ("meanrev", 1, 1, 30.0, 1.0),
    ]
    assert [(g.name, g.pnl) for g in r.by_symbol] == [
        ("MSFT", 50.0),
        ("TSLA", 30.0),
        ("AAPL", 10.0),
    ]


def test_approval_rate() -> None:
    counts = ProposalCounts(made=12, approved=6, rejected=2, expired=1, superseded=2, pending=1)
    assert build_report(inputs(proposals=counts)).approval_rate == 66.67
    only_superseded = ProposalCounts(made=3, superseded=2, pending=1)
    assert build_report(inputs(proposals=only_superseded)).approval_rate is None


def test_passed_ideas_summary() -> None:
    def idea(pnl: float | None) -> PassedIdea:
        return PassedIdea("p", "AAPL", "rejected", W0, "target", pnl, pnl is not None)

    r = build_report(inputs(passed=tuple(idea(p) for p in (300.0, 120.0, -100.0, -30.0, None, 0))))
    p = r.passed
    assert (p.count, p.winners, p.losers, p.pending) == (6, 2, 2, 1)
    assert (p.would_make, p.would_lose) == (420.0, 130.0)


def test_pass_through_and_llm_cost_rounded() -> None:
    ev = (RiskEventLine(W0, "risk.halted", "daily loss limit"),)
    llm = LlmUsage(calls=4, cached=1, cost_usd=0.4321)
    r = build_report(inputs(risk_events=ev, llm=llm, generated_at=W0))
    assert r.risk_events == ev and r.generated_at == W0 and r.mode_label == "SIMULATED"
    assert r.llm.cost_usd == 0.43 and r.llm.calls == 4


def test_big_month_counts_every_trade_and_event() -> None:
    g = np.random.default_rng(3)
    month = ReportWindow("month", W0, W0 + timedelta(days=31), "2026-12")
    trades = tuple(
        trade(
            float(g.normal(5, 40)),
            symbol=f"S{i % 400}",
            strategy=("breakout", "meanrev", "")[i % 3],
            entry_h=float(g.uniform(0, 700)),
            exit_h=float(g.uniform(700, 800)),
        )
        for i in range(5000)
    )
    events = tuple(RiskEventLine(W0, "proposal.refused", f"n{i}") for i in range(10_000))
    eq = curve([100_000 + float(x) for x in g.normal(0, 500, 23).cumsum()])
    big = inputs(trades, window=month, equity=eq, risk_events=events)
    r = build_report(big)
    assert r.trades_closed == 5000 and len(r.risk_events) == 10_000


cents = st.integers(-500_000, 500_000).map(lambda c: c / 100)
trade_st = st.builds(
    lambda pnl, sym, strat, a, b: trade(pnl, symbol=sym, strategy=strat, entry_h=a, exit_h=a + b),
    cents,
    st.sampled_from(["AAPL", "MSFT", "TSLA", "SPY"]),
    st.sampled_from(["", "breakout", "meanrev"]),
    st.floats(-5, 12, allow_nan=False),
    st.floats(0, 8, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(trade_st, max_size=40))
def test_properties_of_the_closed_trades(trades: list[TradeRecord]) -> None:
    r = build_report(inputs(tuple(trades)))
    assert r.wins + r.losses <= r.trades_closed == len(trades)
    total = round(math.fsum(t.realised_pnl for t in trades), 2)
    assert r.closed_trades_pnl == total
    for groups in (r.by_strategy, r.by_symbol):
        assert round(sum(g.pnl for g in groups), 2) == total
        assert sum(g.trades for g in groups) == len(trades)
        assert [g.pnl for g in groups] == sorted((g.pnl for g in groups), reverse=True)
    assert r.win_rate is None or 0 <= r.win_rate <= 100


def _merged_hours(spans: list[tuple[float, float]], lo: float, hi: float) -> float:
    """The union's length, merged one interval at a time (the reference)."""
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted((max(s, lo), min(e, hi)) for s, e in spans):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            total += 0 if cur_e is None else cur_e - cur_s  # type: ignore[operator]
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + (0 if cur_e is None else cur_e - cur_s)  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(st.lists(trade_st, max_size=30), st.lists(st.floats(-3, 12), max_size=4))
def test_exposure_is_the_union_within_0_and_100(
    closed: list[TradeRecord], open_at: list[float]
) -> None:
    opens = [trade(0.0, entry_h=h, exit_h=None) for h in open_at]
    got = exposure_pct(WINDOW, [*closed, *opens])
    assert got is not None and 0.0 <= got <= 100.0
    spans = [(t.entry_time.timestamp(), t.exit_time.timestamp()) for t in closed if t.exit_time]
    spans += [(t.entry_time.timestamp(), WINDOW.end.timestamp()) for t in opens]
    ref = _merged_hours(spans, WINDOW.start.timestamp(), WINDOW.end.timestamp())
    assert got == pytest.approx(ref / 36_000 * 100, abs=1e-9)
