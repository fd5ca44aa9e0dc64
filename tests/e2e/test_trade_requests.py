"""Trade requests through the orchestrator on the simulator: limits that rest and are
cancelled, exits that say what they are, shorts that need the word, P&L booked on every
partial close, the re-check at the limit."""

from __future__ import annotations

import pytest

from agents.errors import BadInput, ExecutionFailed, NotAuthorized
from bot.app import App
from models.domain import Actor, Side, TimeInForce
from models.order_spec import OrderSpec


async def price(app: App, symbol: str) -> float:
    return (await app.orchestrator.data.quote(symbol)).last


async def test_a_limit_below_the_market_rests_and_a_person_cancels_it(
    app: App, trader: Actor, viewer: Actor
) -> None:
    o = app.orchestrator
    limit = round(await price(app, "AAPL") * 0.9, 2)
    card = await o.propose_order(
        OrderSpec(symbol="AAPL", side=Side.BUY, quantity=10, limit=limit, tif=TimeInForce.GTC),
        trader,
    )
    assert (card.order_type, card.limit_price, card.entry) == ("limit", limit, limit)
    assert card.time_in_force == "gtc" and card.stop is not None and card.stop < limit
    done = await o.approve(card.id, trader)
    assert done.order is not None and done.order.status == "new"  # resting at the venue
    working = [v for v in o.orders(open_only=True).orders if v.client_order_id == card.id]
    assert working and working[0].limit_price == limit and working[0].time_in_force == "gtc"
    with pytest.raises(NotAuthorized):
        await o.cancel_order(card.id, viewer)
    view = await o.cancel_order(card.id, trader)
    assert view.status == "canceled"
    assert o.proposal(card.id).status == "canceled"
    assert [e.type for e in o.why(card.id).events][-1] == "order.cancel_requested"
    with pytest.raises(BadInput, match="only a working order"):
        await o.cancel_order(card.id, trader)


async def test_risk_is_rechecked_at_the_limit_not_the_quote(app: App, trader: Actor) -> None:
    o = app.orchestrator
    limit = round(await price(app, "MSFT") * 0.9, 2)  # 10% away: far past any drift tolerance
    card = await o.propose_order(
        OrderSpec(symbol="MSFT", side=Side.BUY, quantity=3, limit=limit), trader
    )
    done = await o.approve(card.id, trader)
    assert done.status in ("submitted", "approved") and done.order is not None
    passed = [e for e in o.why(card.id).events if e.type == "recheck.passed"]
    assert passed and passed[0].context["price"] == limit
    assert passed[0].context["checked_at"] == "limit"


async def test_sell_while_long_is_an_exit_and_oversell_is_refused(app: App, trader: Actor) -> None:
    o = app.orchestrator
    entry = await o.propose_order(OrderSpec(symbol="NVDA", side=Side.BUY, quantity=25), trader)
    await o.approve(entry.id, trader)
    ex = await o.propose_order(OrderSpec(symbol="NVDA", side=Side.SELL, quantity=25), trader)
    assert ex.kind == "exit" and not ex.short and ex.title == "EXIT: SELL 25 NVDA"
    assert ex.realizes is not None and ex.stop is None
    with pytest.raises(BadInput) as e:
        await o.propose_order(OrderSpec(symbol="NVDA", side=Side.SELL, quantity=40), trader)
    assert str(e.value) == (
        "You hold 25 NVDA: /close NVDA for all 25, or say 'short 40 NVDA' for a new short."
    )
    with pytest.raises(BadInput, match="long: /close NVDA first"):
        await o.propose_order(OrderSpec(symbol="NVDA", side=Side.SELL, short=True), trader)


async def test_a_sell_while_flat_is_a_short_and_says_so(app: App, trader: Actor) -> None:
    card = await app.orchestrator.propose_order(
        OrderSpec(symbol="TSLA", side=Side.SELL, quantity=10), trader
    )
    assert card.kind == "entry" and card.short and card.title == "SHORT 10 TSLA"


async def test_partial_close_books_realised_pnl_at_once(app: App, trader: Actor) -> None:
    o = app.orchestrator
    entry = await o.propose_order(OrderSpec(symbol="AMD", side=Side.BUY, quantity=25), trader)
    filled = await o.approve(entry.id, trader)
    assert filled.order is not None and filled.order.avg_fill_price is not None
    o.market.shock("AMD", 5.0)  # type: ignore[attr-defined]  # a gain to realise
    half = await o.propose_order(OrderSpec(symbol="AMD", exit=True, pct=50), trader)
    assert half.quantity == 12 and any("rounded down" in n for n in half.notes)
    sold = await o.approve(half.id, trader)
    assert sold.status == "filled" and sold.order is not None
    gain = (sold.order.avg_fill_price - filled.order.avg_fill_price) * 12  # type: ignore[operator]
    pnl = await o.pnl("day")
    assert pnl.realized == pytest.approx(gain, abs=0.05) and gain > 0
    line = {p.symbol: p for p in (await o.positions()).positions}["AMD"]
    assert line.quantity == 13 and line.realized_pnl == pytest.approx(gain, abs=0.05)


async def test_amount_and_percent_sizes(app: App, trader: Actor) -> None:
    o = app.orchestrator
    px = await price(app, "MSFT")
    card = await o.propose_order(OrderSpec(symbol="MSFT", side=Side.BUY, amount=1000), trader)
    assert card.quantity == int(1000 // card.entry) and card.quantity >= 1
    assert any("rounded down" in n for n in card.notes)
    pct = await o.propose_order(OrderSpec(symbol="MSFT", side=Side.BUY, pct=1), trader)
    assert pct.quantity == pytest.approx(1000 / px, abs=1)  # 1% of $100k


async def test_an_exit_whose_protection_cannot_be_lifted_is_not_sent(
    app: App, trader: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    o = app.orchestrator
    entry = await o.propose_order(OrderSpec(symbol="AAPL", side=Side.BUY, quantity=10), trader)
    await o.approve(entry.id, trader)
    working = {v.client_order_id for v in o.orders(open_only=True).orders}
    assert working == {f"{entry.id}-sl", f"{entry.id}-tp"}
    real = o.execution.cancel_at_venue
    calls: list[str] = []

    async def second_fails(cid: str) -> object:
        calls.append(cid)
        return await real(cid) if len(calls) == 1 else None

    monkeypatch.setattr(o.execution, "cancel_at_venue", second_fails)
    ex = await o.close("AAPL", 4, trader)
    with pytest.raises(ExecutionFailed, match="Could not lift the protective"):
        await o.approve(ex.id, trader)
    assert o.proposal(ex.id).status == "failed"
    assert [(p.symbol, p.quantity) for p in (await o.positions()).positions] == [("AAPL", 10)]
    # the half that came off went back, for the whole position, under the exit's id (the
    # sibling the venue cancelled along with it is booked by the desk loop's next sync)
    await o.sync()
    back = [v for v in o.orders(open_only=True).orders if v.symbol == "AAPL"]
    assert sorted(v.client_order_id for v in back) == [f"{ex.id}-oco-sl", f"{ex.id}-oco-tp"]
    assert {v.quantity for v in back} == {10}
    assert not any(
        v.role == "main" and v.status == "filled" and v.proposal_id == ex.id
        for v in o.orders().orders
    )
