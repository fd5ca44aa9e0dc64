"""End to end through the orchestrator on the simulator: the whole proposal life."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agents.errors import NotAuthorized, NotPending, RiskRefused
from bot.app import App
from models.domain import Actor
from models.sim_tables import SimOrder
from models.tables import Order, Trade
from tests.conftest import Clock


def orders_in(app: App) -> list[Order]:
    with app.store.session() as s:
        return list(s.exec(select(Order)).all())


def sim_orders_in(app: App) -> list[SimOrder]:
    with app.store.session() as s:
        return list(s.exec(select(SimOrder)).all())


async def test_scan_finds_ideas_on_the_default_seed(app: App) -> None:
    rep = await app.orchestrator.scan()
    assert rep.scanned >= 30
    assert rep.cards, rep.notes
    c = rep.cards[0]
    assert c.status == "pending" and c.mode_label == "SIMULATED"
    assert c.quantity >= 1 and c.stop is not None and c.target is not None
    names = {ck.name for ck in c.checks}
    assert {"position_size", "open_positions", "daily_loss", "risk_per_trade"} <= names
    assert all(ck.passed for ck in c.checks)
    # sized by fixed fraction: about 1% of $100k at risk to the stop, never more
    assert c.risk_amount <= 1000.0 + 1e-6
    assert "SIMULATED" in c.rationale


async def test_approve_fill_position_pnl_then_close(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = (await o.scan()).cards[0]
    done = await o.approve(card.id, trader)
    assert done.status == "filled"
    assert done.order is not None and done.order.filled_quantity == card.quantity
    assert done.decided_by == "alice"
    pos = {p.symbol: p for p in (await o.positions()).positions}
    signed = card.quantity if card.side == "buy" else -card.quantity
    assert pos[card.symbol].quantity == signed
    assert (pos[card.symbol].stop, pos[card.symbol].target) == (card.stop, card.target)
    fill = done.order.avg_fill_price
    assert fill is not None
    pnl = await o.pnl("day")
    line = pos[card.symbol]
    assert pnl.unrealized == pytest.approx((line.price - fill) * signed, abs=0.05)
    assert pnl.realized == 0 and pnl.trades_closed == 0

    exit_card = await o.close(card.symbol, actor=trader)
    assert exit_card.kind == "exit" and exit_card.status == "pending"
    assert (await o.positions()).positions != ()  # still open until approved
    closed = await o.approve(exit_card.id, trader)
    assert closed.status == "filled"
    assert (await o.positions()).positions == ()
    pnl = await o.pnl("day")
    assert pnl.trades_closed == 1 and pnl.unrealized == 0
    with app.store.session() as s:
        trade = s.exec(select(Trade)).one()
    assert trade.status == "closed"
    exit_px = closed.order.avg_fill_price if closed.order else None
    assert exit_px is not None
    assert trade.realized_pnl == pytest.approx((exit_px - fill) * signed, abs=0.01)
    assert pnl.realized == pytest.approx(trade.realized_pnl, abs=0.01)


async def test_reject_never_produces_an_order(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 5, trader)
    rejected = o.reject(card.id, trader, "not today")
    assert rejected.status == "rejected" and rejected.status_reason == "not today"
    with pytest.raises(NotPending, match="rejected"):
        await o.approve(card.id, trader)
    assert orders_in(app) == [] and sim_orders_in(app) == []
    types = [e.type for e in o.why(card.id).events]
    assert types[-1] == "proposal.rejected" and "proposal.created" in types


async def test_expired_proposal_is_refused(app: App, clock: Clock, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("MSFT", "buy", 3, trader)
    clock.advance(seconds=901)
    with pytest.raises(NotPending, match="expired"):
        await o.approve(card.id, trader)
    assert o.proposal(card.id).status == "expired"
    assert orders_in(app) == []


async def test_scheduler_expiry_sweep(app: App, clock: Clock, trader: Actor) -> None:
    o = app.orchestrator
    a = await o.propose("AAPL", "buy", 1, trader)
    clock.advance(seconds=600)
    b = await o.propose("MSFT", "buy", 1, trader)
    clock.advance(seconds=301)
    expired = await o.expire_due()
    assert [c.id for c in expired] == [a.id]
    assert o.proposal(b.id).status == "pending"


async def test_price_drift_refuses_at_the_click(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("NVDA", "buy", 10, trader)
    o.market.shock("NVDA", 3.0)  # type: ignore[attr-defined]
    with pytest.raises(RiskRefused, match="moved"):
        await o.approve(card.id, trader)
    after = o.proposal(card.id)
    assert after.status == "failed" and "tolerance" in after.status_reason
    assert orders_in(app) == [] and sim_orders_in(app) == []
    assert "recheck.refused" in [e.type for e in o.why(card.id).events]


async def test_small_drift_within_tolerance_still_executes(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("NVDA", "buy", 10, trader)
    o.market.shock("NVDA", 0.3)  # type: ignore[attr-defined]
    assert (await o.approve(card.id, trader)).status == "filled"


async def test_a_limit_that_now_fails_refuses_at_the_click(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 5, trader)
    o.pause(trader, "lunch")
    with pytest.raises(RiskRefused, match="paused"):
        await o.approve(card.id, trader)
    assert o.proposal(card.id).status == "failed"
    assert orders_in(app) == []


async def test_non_approver_is_refused_and_recorded(app: App, trader: Actor, viewer: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 5, trader)
    with pytest.raises(NotAuthorized):
        await o.approve(card.id, viewer)
    with pytest.raises(NotAuthorized):
        o.reject(card.id, viewer)
    assert o.proposal(card.id).status == "pending"
    types = [e.type for e in o.why(card.id).events]
    assert "approve.unauthorized" in types and "reject.unauthorized" in types
    assert orders_in(app) == []


async def test_why_replays_the_whole_chain(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = (await o.scan()).cards[0]
    await o.approve(card.id, trader)
    events = o.why(card.id).events
    types = [e.type for e in events]
    for t in (
        "signal",
        "risk.decision",
        "rationale",
        "proposal.created",
        "proposal.approved",
        "recheck.passed",
        "order.submitted",
        "proposal.submitted",
        "fill",
        "proposal.filled",
    ):
        assert t in types, t
    approved = next(e for e in events if e.type == "proposal.approved")
    assert approved.actor == "user:1" and approved.context["by"] == "alice"
    rationale = next(e for e in events if e.type == "rationale")
    assert rationale.context["provider"] == "offline"
    assert rationale.context["prompt_version"] == "rationale_offline.v1"


async def test_new_scan_supersedes_the_older_card(app: App, trader: Actor) -> None:
    o = app.orchestrator
    first = await o.propose("AAPL", "buy", 2, trader)
    second = await o.propose("AAPL", "buy", 3, trader)
    assert o.proposal(first.id).status == "superseded"
    assert o.proposal(second.id).status == "pending"
    with pytest.raises(NotPending, match="replaced"):
        await o.approve(first.id, trader)


async def test_paused_desk_makes_no_proposals(app: App, trader: Actor) -> None:
    o = app.orchestrator
    o.pause(trader, "news")
    rep = await o.scan()
    assert rep.cards == () and rep.ranked
    assert any("paused" in n for n in rep.notes)
    await o.resume(trader)
    assert (await o.scan()).cards


async def test_daily_performance_snapshot(app: App, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 10, trader)
    await o.approve(card.id, trader)
    await o.approve((await o.close("AAPL", actor=trader)).id, trader)
    row = await o.record_day()
    assert row.trades_closed == 1 and row.start_equity == 100_000
    pnl = await o.pnl("day")
    assert row.realized_pnl == pnl.realized and row.end_equity == pnl.equity
    again = await o.record_day()  # an upsert: still one row for the day
    assert app.store.state.daily(again.day) is not None and again.day == row.day
