"""Stop-move proposals: "move my stop on NVDA to 110", "trail NVDA 5%", "breakeven NVDA",
and the monitor's trailing and breakeven rules. Each is a card (kind "stop") that, approved,
replaces the working stop at the venue (or places one); nothing is sent without the click.

The card: side and quantity of the order that would close the position, `stop` the new
level, `entry` the price when proposed; its facts keep the old stop and how the level was
found. At the click the position and the level are checked again (`recheck`).
"""

from __future__ import annotations

import math
from typing import Any

from agents.errors import BadInput, RiskRefused
from agents.proposals import ProposalAgent
from agents.results import Card
from agents.symbol_stats import SymbolStats
from models.domain import Actor, Quote, Side, TradeIdea
from models.ledger_reads import BookedPosition
from models.tables import Proposal


def position_key(pos: BookedPosition) -> str:
    """A position's key in the monitor's states: a new position after a close starts fresh."""
    return f"{pos.symbol}@{pos.opened_at.isoformat(timespec='seconds')}"


def working_stop(store: Any, symbol: str, exclude: str = "") -> Any:
    """The symbol's working protective stop order row, if any (not `exclude`)."""
    for r in store.ledger.protective(symbol):
        if r.role == "stop" and r.client_order_id != exclude:
            return r
    return None


def _px(x: float) -> str:
    return f"{x:,.2f}"


class StopMoves:
    def __init__(self, proposals: ProposalAgent, stats: SymbolStats) -> None:
        self.p = proposals
        self.stats = stats

    async def propose(
        self,
        symbol: str,
        actor: Actor,
        *,
        price: float | None = None,
        trail_pct: float | None = None,
        trail_atr: float | None = None,
        breakeven: bool = False,
        source: str = "command",
        why: dict[str, object] | None = None,
    ) -> Card:
        """A stop-move card, or BadInput saying what cannot be done (nothing stored)."""
        asked = [x is not None for x in (price, trail_pct, trail_atr)] + [breakeven]
        if sum(asked) != 1:
            raise BadInput(
                "Say one of: a stop price ('move my stop on NVDA to 110'), a trail "
                "('trail NVDA 5%' or 'trail NVDA 2 ATR') or 'breakeven NVDA'."
            )
        for name, v, cap in (
            ("stop", price, 1e7),
            ("trail", trail_pct, 50.0),
            ("ATR", trail_atr, 20.0),
        ):
            if v is not None and (not math.isfinite(v) or v <= 0 or v > cap):
                raise BadInput(
                    f"The {name} must be a positive number up to {cap:g}. Nothing was proposed."
                )
        sym = self.p.data.normalise(symbol)
        store = self.p.store
        pos = store.ledger.position(sym)
        if pos is None or pos.quantity == 0:
            raise BadInput(f"No open {sym} position: a stop protects a position you hold.")
        long = pos.quantity > 0
        side = Side.SELL if long else Side.BUY
        q = await self.p.data.quote(sym, fresh=True)
        ref = q.bid if long else q.ask
        old_row = working_stop(store, sym)
        old = old_row.stop_price if old_row is not None else pos.stop_price
        marks = store.monitor.marks().get(position_key(pos))
        ext = ref if marks is None else (max(marks[0], ref) if long else min(marks[1], ref))
        s = 1 if long else -1
        if price is not None:
            new, how = float(price), "your level"
        elif breakeven:
            new, how = pos.avg_price, f"breakeven (the {_px(pos.avg_price)} average entry)"
        elif trail_pct is not None:
            new = ext * (1 - s * trail_pct / 100)
            how = f"{trail_pct:g}% from the {_px(ext)} {'high' if long else 'low'}"
        else:
            st = await self.stats.get(sym)
            if st.atr is None:
                raise BadInput(f"No ATR for {sym} yet; give a % trail ('trail {sym} 5%').")
            assert trail_atr is not None
            new = ext - s * trail_atr * st.atr
            how = (
                f"{trail_atr:g} ATR ({st.atr:,.2f}) from the {_px(ext)} {'high' if long else 'low'}"
            )
        new = round(new, 2)
        problem = stop_problem(long, new, ref, sym)
        if problem:
            raise BadInput(problem)
        if old is not None and abs(new - old) < 0.005:
            raise BadInput(f"The {sym} stop is {_px(old)} already. Nothing was proposed.")
        notes = [
            f"stop {_px(old) if old is not None else 'none'} → {_px(new)} ({how})",
            "replaces the working stop at the venue"
            if old_row is not None
            else "places a stop at the venue (none is working)",
        ]
        if old is not None and s * (new - old) < 0:
            notes.append("this WIDENS the stop: more at risk if it is hit")
        if why and why.get("reason"):
            notes.insert(0, str(why["reason"]))
        qty = abs(pos.quantity)
        facts: dict[str, Any] = {
            "bid": q.bid,
            "ask": q.ask,
            "last": q.last,
            "avg_price": round(pos.avg_price, 4),
            "held": pos.quantity,
            **({"old_stop": old} if old is not None else {}),
            "new_stop": new,
        }
        idea = TradeIdea(
            symbol=sym,
            side=side,
            entry=ref,
            stop=new,
            target=pos.target_price if pos.target_price else new,
            strategy=pos.strategy or "stop",
            confidence=1.0,
            facts=facts,
            summary=f"move the {sym} stop to {_px(new)} ({how}) for {qty:,} held",
        )
        decision = await self.p.risk.evaluate(sym, side, ref, None, qty, self.p.clock(), "exit")
        if not decision.approved:
            raise RiskRefused(decision.reason(), decision)
        order = {
            "order_type": "stop",
            "time_in_force": "gtc",
            "notes": notes,
            "requested": {"symbol": sym, "stop": new, "how": how},
            "how": how,
            "replaces": old_row.client_order_id if old_row is not None else None,
            "monitor": why,
        }
        card = await self.p.create(idea, decision, q, actor, source, kind="stop", order=order)
        return await self.p.with_rationale(card, idea, decision, "stop")


def stop_problem(long: bool, new: float, ref: float, sym: str) -> str | None:
    """Why a stop at `new` cannot work with the price at `ref` (None: it can)."""
    if new <= 0:
        return f"A stop at {new:,.2f} is not a price. Nothing was proposed."
    if long and new >= ref:
        return (
            f"A sell stop at {_px(new)} is at or above {sym}'s {_px(ref)} bid: it would fill at "
            f"once. To sell now say 'close {sym}'. Nothing was proposed."
        )
    if not long and new <= ref:
        return (
            f"A buy stop at {_px(new)} is at or below {sym}'s {_px(ref)} ask: it would fill at "
            f"once. To cover now say 'close {sym}'. Nothing was proposed."
        )
    return None


def recheck_stop(store: Any, p: Proposal, q: Quote) -> tuple[str | None, dict[str, Any]]:
    """At the click: the position is still held as on the card and the new stop still sits
    on the safe side of a fresh quote (None: send it)."""
    pos = store.ledger.position(p.symbol)
    held = pos.quantity if pos else 0
    long = Side(p.side) is Side.SELL
    ctx: dict[str, Any] = {"bid": q.bid, "ask": q.ask, "held": held, "stop": p.stop_price}
    if held == 0 or (held > 0) != long:
        return f"there is no {'long' if long else 'short'} {p.symbol} position any more", ctx
    if abs(held) != p.quantity:
        return (
            f"the position changed since the card ({abs(held):,} held, the card protects "
            f"{p.quantity:,}); ask for a new stop card"
        ), ctx
    ref = q.bid if long else q.ask
    problem = stop_problem(long, float(p.stop_price or 0), ref, p.symbol)
    return (problem.removesuffix(" Nothing was proposed.") if problem else None), ctx
