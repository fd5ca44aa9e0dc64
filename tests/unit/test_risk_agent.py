"""RiskAgent on the simulator and a real store: the facts it gathers, the desk state it keeps
(escalation, stickiness, alerts) and the resume a person makes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from agents.errors import ResumeRefused as AgentResumeRefused
from agents.errors import RiskRefused
from bot.app import App
from models.domain import Actor, Side
from models.tables import AccountSnapshot, Order, Position, Trade
from services.risk import RiskState, Transition
from tests.conftest import Clock

H, R, A = RiskState.HALTED, RiskState.REDUCING, RiskState.ACTIVE


def add(app: App, *rows: object) -> None:
    with app.store.session() as s:
        for r in rows:
            s.add(r)
        s.commit()


def snapshot(app: App, clock: Clock, equity: float, ago: timedelta) -> None:
    add(
        app,
        AccountSnapshot(
            ts=clock() - ago,
            broker="sim",
            account_id="sim",
            mode="sim",
            cash=equity,
            equity=equity,
            buying_power=equity,
        ),
    )


def watch(app: App) -> list[Transition]:
    seen: list[Transition] = []

    async def sink(t: Transition) -> None:
        seen.append(t)

    app.orchestrator.risk.on_transition = sink
    return seen


def far_stop(app: App, symbol: str) -> None:
    """A trader moved the stop far away: almost the whole holding is at risk."""
    with app.store.session() as s:
        pos = s.get(Position, symbol)
        assert pos is not None
        pos.stop_price = 0.5
        s.add(pos)
        s.commit()


async def test_a_daily_loss_halts_alerts_once_and_holds_until_the_next_day(
    app: App, clock: Clock, trader: Actor
) -> None:
    o, seen = app.orchestrator, watch(app)
    px = (await o.data.quote("KO")).ask
    await o.approve((await o.propose("KO", "buy", int(15_000 / px), trader)).id, trader)
    o.market.shock("KO", -30.0)  # type: ignore[attr-defined]
    with pytest.raises(RiskRefused, match="desk halted: daily loss"):
        await o.propose("AAPL", "buy", 1, trader)
    st = app.store.state.get()
    assert st.halted and st.risk_reason.startswith("daily loss -")  # its own column
    assert [(t.previous, t.state) for t in seen] == [(A, H)] and seen[0].expire_pending
    with pytest.raises(RiskRefused, match="halted"):  # sticky, and no second alert
        await o.propose("AAPL", "buy", 1, trader)
    assert len(seen) == 1
    exit_card = await o.close("KO", actor=trader)  # exits still go
    assert exit_card.status == "pending"
    with pytest.raises(AgentResumeRefused, match="clears at the next trading day"):
        await o.risk.resume(trader, "let me trade", clock())
    assert app.store.state.get().halted
    refused = app.store.events.recent(1, "resume.refused")[0]
    assert refused.actor == trader.id
    clock.advance(days=3)  # Monday: a new day's starting equity
    t = await o.risk.resume(trader, "new day", clock())
    assert t.state in (A, R)  # the KO loss may still be a drawdown near its limit
    assert not app.store.state.get().halted


async def test_drawdown_halts_and_a_resume_must_rebase_the_peak(
    app: App, clock: Clock, trader: Actor
) -> None:
    o = app.orchestrator
    snapshot(app, clock, 120_000.0, timedelta(days=20))  # the account was worth more
    with pytest.raises(RiskRefused, match=r"drawdown 16\.67% hit the 10% limit"):
        await o.propose("AAPL", "buy", 1, trader)
    with pytest.raises(AgentResumeRefused, match="rebase_peak"):
        await o.risk.resume(trader, "ok", clock())
    t = await o.risk.resume(trader, "accept the loss", clock(), rebase_peak=True)
    assert t.state is A
    mark = app.store.events.recent(1, "risk.resumed")[0].context
    assert mark["rebased_from"] == 120_000.0 and mark["peak_since"] == clock().isoformat()
    assert (await o.risk.portfolio(clock())).peak == pytest.approx(100_000.0)
    assert (await o.propose("AAPL", "buy", 1, trader)).status == "pending"
    clock.advance(days=1)
    assert (await o.risk.portfolio(clock())).peak < 120_000.0  # the re-base holds


async def test_heat_over_the_cap_reduces_and_only_exits_pass(
    app: App, clock: Clock, trader: Actor
) -> None:
    o, seen = app.orchestrator, watch(app)
    px = (await o.data.quote("KO")).ask
    await o.approve((await o.propose("KO", "buy", int(15_000 / px), trader)).id, trader)
    far_stop(app, "KO")  # 15% of equity at risk to the stop
    with pytest.raises(RiskRefused, match="desk REDUCING, only position-reducing trades: heat"):
        await o.propose("MSFT", "buy", 1, trader)
    st = app.store.state.get()
    assert st.risk_state == R and st.risk_reason.startswith("heat") and not st.paused
    assert [t.state for t in seen] == [R] and not seen[0].expire_pending
    with pytest.raises(AgentResumeRefused, match="Still REDUCING"):
        await o.risk.resume(trader, "go", clock())
    closed = await o.approve((await o.close("KO", actor=trader)).id, trader)
    assert closed.status == "filled"
    t = await o.risk.resume(trader, "flat again", clock())
    assert (t.previous, t.state) == (R, A)
    assert not app.store.state.get().paused
    assert (await o.propose("MSFT", "buy", 1, trader)).status == "pending"


async def test_consecutive_rejections_halt_and_a_resume_acknowledges_them(
    app: App, clock: Clock, trader: Actor
) -> None:
    o = app.orchestrator
    rows = [
        Order(
            client_order_id=f"x-{i}",
            broker="sim",
            symbol="AAPL",
            side="buy",
            quantity=1,
            order_type="market",
            status="rejected",
            submitted_at=clock(),
            updated_at=clock(),
        )
        for i in range(5)
    ]
    add(app, *rows)
    assert (await o.risk.portfolio(clock())).consecutive_rejections == 5
    with pytest.raises(RiskRefused, match="5 broker rejections in a row"):
        await o.propose("AAPL", "buy", 1, trader)
    t = await o.risk.resume(trader, "broker fixed", clock())
    assert t.state is A
    assert (await o.risk.portfolio(clock())).consecutive_rejections == 0
    assert (await o.propose("AAPL", "buy", 1, trader)).status == "pending"


async def test_kill_switch_halt_resumes_through_the_engine(app: App, trader: Actor) -> None:
    o = app.orchestrator
    await o.kill(trader)
    assert o.risk.engine_state() == (H, "kill switch by alice")
    t = await o.risk.resume(trader, "all clear", o.clock())
    assert (t.state, t.reason) == (A, "resumed by alice: all clear")
    assert o.risk.engine_state() == (A, "")


async def test_a_persons_pause_is_not_overwritten_by_reducing(
    app: App, clock: Clock, trader: Actor
) -> None:
    o, seen = app.orchestrator, watch(app)
    px = (await o.data.quote("KO")).ask
    await o.approve((await o.propose("KO", "buy", int(15_000 / px), trader)).id, trader)
    o.pause(trader, "lunch")
    far_stop(app, "KO")
    assert (await o.risk.refresh(clock())).state is A  # the person's pause stands
    assert app.store.state.get().paused_reason == "lunch" and seen == []
    t = await o.risk.resume(trader, "back", clock())  # heat still over: straight to REDUCING
    st = app.store.state.get()
    assert t.state is R and st.risk_state == R and not st.paused  # no prefixed pause reason


async def test_trades_today_count_entries_only(app: App, clock: Clock, trader: Actor) -> None:
    o = app.orchestrator
    for sym in ("AAPL", "MSFT"):
        await o.approve((await o.propose(sym, "buy", 1, trader)).id, trader)
    await o.approve((await o.close("AAPL", actor=trader)).id, trader)
    pf = await o.risk.portfolio(clock())
    assert pf.trades_today == 2
    assert pf.sectors["AAPL"] == pf.sectors["MSFT"] != pf.sectors["XOM"]  # from the universe
    clock.advance(days=3)
    assert (await o.risk.portfolio(clock())).trades_today == 0


async def test_a_new_equity_peak_is_recorded(app: App, clock: Clock) -> None:
    o = app.orchestrator
    await o.risk.portfolio(clock())
    assert app.store.state.peak_equity() == pytest.approx(100_000.0)
    with app.store.session() as s:
        n = len(s.exec(select(AccountSnapshot)).all())
    await o.risk.portfolio(clock())
    with app.store.session() as s:
        assert len(s.exec(select(AccountSnapshot)).all()) == n  # no new high, no new row


async def test_kelly_sizes_from_the_strategys_closed_trades(app: App, clock: Clock) -> None:
    o = app.orchestrator
    pnls = [160.0] * 16 + [-100.0] * 24  # full Kelly 2.5%: a quarter is 0.625%
    add(
        app,
        *(
            Trade(
                symbol="XYZ",
                direction="long",
                quantity=1,
                closed_quantity=1,
                entry_price=10.0,
                exit_price=10.0,
                opened_at=clock() - timedelta(days=30),
                closed_at=clock() - timedelta(days=29),
                realized_pnl=p,
                status="closed",
                strategy="edge",
            )
            for p in pnls
        ),
    )
    d = await o.risk.evaluate("KO", Side.BUY, 60.0, 58.0, None, clock(), strategy="edge")
    assert d.sizing.startswith("kelly: 0.625% of equity at risk")
    assert d.quantity == 312  # $625 / $2
    plain = await o.risk.evaluate("KO", Side.BUY, 60.0, 58.0, None, clock(), strategy="other")
    assert plain.sizing.startswith("fixed fraction") and plain.quantity == 333


async def test_bad_prices_are_bad_input(app: App, clock: Clock) -> None:
    from agents.errors import BadInput

    with pytest.raises(BadInput, match="Cannot check KO: entry price must be greater than 0"):
        await app.orchestrator.risk.evaluate("KO", Side.BUY, 0.0, 1.0, 5, clock())


async def test_risk_report_with_var_and_a_what_if(app: App, clock: Clock, trader: Actor) -> None:
    o = app.orchestrator
    await o.approve((await o.propose("AAPL", "buy", 20, trader)).id, trader)
    rep = await o.risk.report(clock())
    assert rep.state is A and rep.portfolio is not None
    assert rep.portfolio.symbols == ("AAPL",) and rep.portfolio.observations >= 200
    assert [v.confidence for v in rep.portfolio.var] == [0.95, 0.99]
    assert {u.name for u in rep.limits} >= {"daily_loss", "drawdown", "portfolio_heat"}
    wi = (await o.risk.report(clock(), "MSFT", Side.BUY, 10)).what_if
    assert wi is not None and wi.after.symbols == ("AAPL", "MSFT")
    assert wi.delta(0.95) is not None
    rep.model_dump(mode="json")
