"""`/sim shock SYMBOL PCT` moves the simulated market now: through a real `cotrader chat
--json`, stored so that a second process on the same home prices the moved market, recorded
as a `sim.shock` event; bad input, a non-approver and a real broker's prices are refused and
store nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from agents.errors import BadInput, NotAuthorized
from bot.app import App
from models.domain import Actor
from models.sim_tables import SimShock
from tests.conftest import Clock
from tests.e2e.broker_world import Alerts
from tests.e2e.test_cli import Chat


def stored(app: App) -> list[SimShock]:
    with app.store.session() as s:
        return list(s.exec(select(SimShock)).all())


def test_a_shock_is_stored_seen_by_a_second_process_and_recorded(
    tmp_path: Path, make_app: Callable[..., App]
) -> None:
    home = tmp_path / "home"  # the in-process app (make_app) opens this home's database too
    c = Chat(home)
    before = c.send("/analyze NVDA")["scan"]["last"]

    r = c.send("/sim shock NVDA -15")
    assert r["kind"] == "sim.shock" and r["ok"], r
    assert r["symbol"] == "NVDA" and r["pct"] == -15 and r["mode"] == "SIMULATED"
    assert r["after"] == pytest.approx(r["before"] * 0.85, rel=0.002)
    assert r["before"] == pytest.approx(before, rel=0.01)
    assert "SIMULATED" in r["text"] and "NVDA" in r["text"]

    for line, why in (
        ("/sim shock APPL -15", "Did you mean AAPL?"),
        ("/sim shock NVDA abc", "must be a number"),
        ("/sim shock NVDA 0", "0% moves nothing"),
        ("/sim shock NVDA -95", "at most 90%"),
        ("/sim shock NVDA +900", "at most +500%"),
        ("/sim shock NVDA", "Usage: /sim shock SYMBOL PCT"),
        ("/sim frobnicate NVDA 5", "Usage: /sim shock SYMBOL PCT"),
    ):
        bad = c.send(line)
        assert bad["kind"] == "error" and why in bad["text"], (line, bad)

    # a second process on the same home prices the shocked market
    other = Chat(home)
    seen = other.send("/analyze NVDA")["scan"]["last"]
    assert seen == pytest.approx(r["after"], rel=0.02), (seen, r)
    assert abs(seen / before - 1) > 0.1
    assert other.quit()[0] == 0
    assert c.quit()[0] == 0

    app = make_app()
    rows = stored(app)
    assert [(x.symbol, x.pct) for x in rows] == [("NVDA", -15.0)]
    events = app.store.events.recent(10, type_prefix="sim.")
    assert [e.type for e in events] == ["sim.shock"]
    ev = events[0]
    assert ev.actor == rows[0].by and ev.actor.startswith("terminal:")
    assert ev.context["symbol"] == "NVDA" and ev.context["pct"] == -15
    assert ev.context["by"] and ev.context["mode"] == "SIMULATED"


async def test_two_desks_on_one_database_share_the_shock(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    a, b = make_app(clock), make_app(clock)
    base = (await b.orchestrator.market.quote("TSLA")).last
    view = await a.orchestrator.sim_shock("tsla", "+8", trader)
    assert view.symbol == "TSLA" and view.after == pytest.approx(view.before * 1.08, abs=0.011)
    b.orchestrator.market.shock_poll_s = 0.0  # look at the table on the next quote
    assert (await b.orchestrator.market.quote("TSLA")).last == pytest.approx(base * 1.08, abs=0.011)


async def test_a_non_approver_is_refused_and_nothing_is_stored(app: App, viewer: Actor) -> None:
    o = app.orchestrator
    before = (await o.market.quote("NVDA")).last
    with pytest.raises(NotAuthorized, match="Only approvers may move the simulated market"):
        await o.sim_shock("NVDA", -15, viewer)
    assert stored(app) == []
    assert (await o.market.quote("NVDA")).last == before
    assert [e.type for e in app.store.events.recent(5)][:1] == ["sim.unauthorized"]


async def test_outside_the_simulator_it_is_refused_and_nothing_is_stored(
    alpaca_desk: tuple[App, Alerts], trader: Actor
) -> None:
    app, _ = alpaca_desk
    with pytest.raises(BadInput, match="moves the simulated market only") as e:
        await app.orchestrator.sim_shock("AAPL", -15, trader)
    assert "PAPER on alpaca" in str(e.value)
    assert stored(app) == []
    assert app.store.events.recent(10, type_prefix="sim.") == []
