"""Reports and learning on the whole simulated desk, in process: a report whose markdown,
trades CSV, `/report` and `/pnl` agree to the cent; the report asked for in plain words; bad
periods refused with nothing written; the scheduled day, week and month reports (once); the
closed trades reviewed; the ideas passed on followed; and a suggestion that changes one
setting only on an approver's Apply, survives a restart and is undone by /settings revert."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agents import events as ev
from agents.scheduler import JobScheduler
from bot.app import App
from bot.chat.commands import CommandHandler
from models.domain import Actor
from models.learning_tables import SuggestionRow, TradeReview
from models.tables import Trade
from services.reports.export import TRADE_COLUMNS
from services.reports.markdown import money
from tests.conftest import Clock
from tests.e2e.broker_world import Alerts


async def round_trips(app: App, clock: Clock, trader: Actor) -> None:
    """Two closed round trips (a win or a loss each), one still open, one card rejected."""
    o = app.orchestrator
    for sym, qty in (("AAPL", 10), ("MSFT", 7)):
        card = await o.propose(sym, "buy", qty, trader)
        assert (await o.approve(card.id, trader)).status == "filled"
    clock.advance(minutes=20)
    await o.sim_shock("MSFT", -3, trader)
    for sym in ("AAPL", "MSFT"):
        exit_card = await o.close(sym, None, trader)
        assert (await o.approve(exit_card.id, trader)).status == "filled"
    card = await o.propose("NVDA", "buy", 5, trader)
    assert (await o.approve(card.id, trader)).status == "filled"
    o.reject((await o.propose("TSLA", "buy", 3, trader)).id, trader, "not today")
    await o.sync()


async def test_report_markdown_csv_and_pnl_agree_to_the_cent(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str
) -> None:
    app = make_app(clock, sim_commission_per_share=0.01, database_url=db_url)
    o = app.orchestrator
    await round_trips(app, clock, trader)
    chat = CommandHandler(o, trader)
    reply = await chat.handle("/report day")
    assert reply is not None and reply.kind == "report", reply
    fig = reply.payload.figures
    pnl = await o.pnl("day")
    assert fig["realised"] == pnl.realized and fig["unrealised"] == pnl.unrealized
    assert fig["end_equity"] == pnl.equity and fig["fees"] == pnl.commissions > 0
    assert fig["trades_closed"] == pnl.trades_closed == 2 and fig["trades_opened"] == 3
    assert fig["proposals"]["rejected"] == 1 and fig["proposals"]["made"] == 6
    files = {k: Path(v) for k, v in reply.payload.files.items()}
    assert set(files) == {"markdown", "trades_csv", "equity_csv", "equity_chart", "strategy_chart"}
    rows = list(csv.DictReader(io.StringIO(files["trades_csv"].read_text())))
    assert list(rows[0]) == list(TRADE_COLUMNS)
    assert len(rows) == 3 and {r["symbol"] for r in rows} == {"AAPL", "MSFT", "NVDA"}
    assert round(sum(float(r["realised_pnl"]) for r in rows), 2) == pnl.realized
    assert {r["exit_reason"] for r in rows if r["exit_time"]} == {"exit_card"}
    md = files["markdown"].read_text()
    assert f"| Realised P&L | {money(pnl.realized)} |" in md
    assert f"| Unrealised P&L | {money(pnl.unrealized)} |" in md
    assert money(pnl.realized) in reply.text and "SIMULATED" in md
    for png in ("equity_chart", "strategy_chart"):
        assert files[png].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # every closed trade was reviewed before the report read it
    reviews = app.store.learning.reviews()
    assert len(reviews) == 2 and all(r.strategy for r in reviews)


async def test_a_report_said_in_plain_words(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    chat = CommandHandler(app.orchestrator, trader)
    week = await chat.handle("how did I do this week?")
    assert week is not None and week.kind == "report" and week.payload.period == "week"
    assert "Realised" in week.text and "Files:" in week.text
    export = await chat.handle("export my trades to CSV")
    assert export is not None and export.kind == "report"
    assert Path(export.payload.files["trades_csv"]).exists()
    chart = await chat.handle("show me a chart of my equity")
    assert chart is not None and chart.kind == "report"
    assert Path(chart.payload.files["equity_chart"]).read_bytes()[:4] == b"\x89PNG"


async def test_bad_periods_are_refused_and_write_nothing(
    make_app: Callable[..., App], clock: Clock, trader: Actor, tmp_path: Path
) -> None:
    app = make_app(clock)
    chat = CommandHandler(app.orchestrator, trader)
    before = sorted(tmp_path.rglob("*.md"))
    for line, words in (
        ("/report year", "Unknown period"),
        ("/report 2099-01-01", "in the future"),
        ("/report 2026-02-30", "not a date"),
        ("/report day week", "Usage"),
    ):
        reply = await chat.handle(line)
        assert reply is not None and reply.kind == "error" and words in reply.text, (line, reply)
    assert sorted(tmp_path.rglob("*.md")) == before


async def test_scheduled_reports_run_once_with_the_week_on_its_last_session(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    sched = JobScheduler(o)
    friday = clock().date()  # 2026-11-20, a Friday: the week's last session
    assert await sched.fire("reports", friday) is True
    ready = [e for e in seen.events if isinstance(e, ev.ReportReady)]
    assert [e.view.period for e in ready] == ["day", "week"]
    assert all(Path(p).exists() for e in ready for p in e.view.files.values())
    assert await sched.fire("reports", friday) is False  # once, across restarts too
    assert len([e for e in seen.events if isinstance(e, ev.ReportReady)]) == 2


async def test_ideas_passed_on_are_followed_and_reported(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 10, trader)
    o.reject(card.id, trader, "no")
    clock.advance(days=5)
    o.data.bars_ttl = 0  # days passed: the bars in memory are long stale
    assert await o.learning.follow_passed() == 1
    (out,) = app.store.learning.outcomes(clock() - timedelta(days=30), clock())
    assert out.proposal_id == card.id and out.outcome in ("target", "stop", "open")
    assert out.pnl is not None
    view = await o.report("month")
    assert view.figures["passed"]["count"] == 1
    assert any(line.startswith("Ideas you passed on: 1,") for line in view.summary)


def seed_reviews(app: App, now: datetime) -> None:
    """40 reviewed round trips: breakout entries on a stretched RSI lost 8 of 11."""
    with app.store.session(write=True) as s:
        for i in range(40):
            stretched = i < 11
            lost = (i < 8) if stretched else (i % 3 == 0)
            t = Trade(
                symbol="AAPL",
                direction="long",
                quantity=10,
                closed_quantity=10,
                entry_price=100.0,
                exit_price=95.0 if lost else 104.0,
                opened_at=now - timedelta(days=20, hours=i),
                status="closed",
                closed_at=now - timedelta(days=19, hours=i),
                realized_pnl=-50.0 if lost else 40.0,
                strategy="breakout" if stretched or i % 2 else "sma_cross",
            )
            s.add(t)
            s.flush()
            tags = [f"entry:rsi_stretched rsi={71 + i % 9}"] if stretched else []
            s.add(
                TradeReview(
                    trade_id=t.id or 0,
                    symbol="AAPL",
                    strategy=t.strategy,
                    closed_at=t.closed_at or now,
                    pnl=t.realized_pnl,
                    tags=tags,
                    reviewed_at=now,
                )
            )
        s.commit()


async def test_a_weekly_suggestion_changes_one_setting_only_on_an_approvers_apply(
    make_app: Callable[..., App], clock: Clock, trader: Actor, viewer: Actor, db_url: str
) -> None:
    app = make_app(clock, database_url=db_url)
    o = app.orchestrator
    seed_reviews(app, clock())
    (s,) = [x for x in await o.suggest_now() if x.key == "breakout.rsi_max"]
    assert s.value == 70 and s.trades == 11 and s.losses == 8 and "8 of 11" in s.title
    assert await o.suggest_now() == ()  # the same change is not suggested twice
    before = o.tunables.value("breakout.rsi_max")
    refused = await CommandHandler(o, viewer).handle(f"/suggestions apply {s.id}")
    assert refused is not None and refused.kind == "error" and "approvers" in refused.text
    assert o.tunables.value("breakout.rsi_max") == before
    done = await CommandHandler(o, trader).handle(f"/suggestions apply {s.id}")
    assert done is not None and done.kind == "settings", done
    assert o.strategy.cfg.params["breakout"]["rsi_max"] == 70 == o.scanner.strategy.params[
        "breakout"]["rsi_max"]  # fmt: skip
    change = done.payload
    assert change.actor == trader.id and change.suggestion_id == s.id and change.reason
    again = await CommandHandler(o, trader).handle(f"/suggestions apply {s.id}")
    assert again is not None and again.kind == "error" and "applied already" in again.text
    # a restart keeps the change in force
    o2 = make_app(clock, database_url=db_url).orchestrator
    assert o2.tunables.value("breakout.rsi_max") == 70
    chat = CommandHandler(o2, trader)
    listing = await chat.handle("/settings")
    assert listing is not None and f"#{change.id} breakout.rsi_max" in listing.text
    undone = await chat.handle(f"/settings revert {change.id}")
    assert undone is not None and undone.kind == "settings", undone
    assert o2.tunables.value("breakout.rsi_max") == before
    twice = await chat.handle(f"/settings revert {change.id}")
    assert twice is not None and twice.kind == "error" and "reverted already" in twice.text


async def test_a_suggestion_the_settings_refuse_changes_nothing(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    row = SuggestionRow(
        id="s-badvalue",
        created_at=datetime.now(UTC),
        key="scanner.min_score",
        value=250.0,
        title="raise the score",
        confidence=0.9,
    )
    assert app.store.learning.add_suggestion(row, "test") is not None
    reply = await CommandHandler(o, trader).handle("/suggestions apply s-badvalue")
    assert reply is not None and reply.kind == "error" and "refused" in reply.text
    assert o.scanner.cfg.min_score == 50 and app.store.learning.changes() == []
    assert app.store.learning.suggestion("s-badvalue").status == "pending"  # type: ignore[union-attr]


async def test_reverting_an_older_change_under_a_newer_one_changes_nothing(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    for sid, value in (("s-first000", 60.0), ("s-second00", 70.0)):
        row = SuggestionRow(
            id=sid, created_at=datetime.now(UTC), key="scanner.min_score", value=value,
            title=f"min score {value:g}", confidence=0.9,
        )  # fmt: skip
        assert app.store.learning.add_suggestion(row, "test") is not None
    first = o.apply_suggestion("s-first000", trader)
    second = o.apply_suggestion("s-second00", trader)
    assert o.scanner.cfg.min_score == 70
    chat = CommandHandler(o, trader)
    refused = await chat.handle(f"/settings revert {first.id}")
    assert refused is not None and refused.kind == "error" and f"revert {second.id}" in refused.text
    assert o.scanner.cfg.min_score == 70 and o.settings_view().in_force == {"scanner.min_score": 70}
    for change, value in ((second, 60), (first, 50)):
        done = await chat.handle(f"/settings revert {change.id}")
        assert done is not None and done.kind == "settings", done
        assert o.scanner.cfg.min_score == value
