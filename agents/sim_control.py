"""Moving the simulated market (`/sim shock`): approvers only, the simulator only, a sane
size. The market stores the shock with its `sim.shock` event in one transaction."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from agents.data import DataAgent
from agents.errors import BadInput
from agents.gate import Gate
from agents.results import SimShockView
from brokers.base import MarketData
from models.domain import Actor, Mode

MIN_PCT, MAX_PCT = -90.0, 500.0


@runtime_checkable
class ShockableMarket(Protocol):
    """A market that can be moved by hand (the simulator)."""

    simulated: bool

    def shock(
        self, symbol: str, pct: float, actor: str = ..., context: dict[str, Any] | None = None
    ) -> datetime: ...


def parse_pct(raw: object) -> float:
    """A shock in percent ("-15", "+8", "8%", 8.0): a finite, non-zero number within
    MIN_PCT..MAX_PCT; else BadInput saying why."""
    text = str(raw).strip().removesuffix("%").strip() if raw is not None else ""
    try:
        pct = float(text)
    except ValueError:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise BadInput(
            f"The shock must be a number of percent, e.g. -15 or +8 (got {shown!r}). "
            "Nothing was changed."
        ) from None
    if not math.isfinite(pct):
        raise BadInput("The shock must be a finite number of percent. Nothing was changed.")
    if pct == 0:
        raise BadInput("A shock of 0% moves nothing; give e.g. -15 or +8. Nothing was changed.")
    if pct < MIN_PCT:
        raise BadInput(
            f"A shock of {pct:g}% is too deep: a price can fall at most {-MIN_PCT:g}% in one "
            "shock (it cannot go to zero or below). Nothing was changed."
        )
    if pct > MAX_PCT:
        raise BadInput(
            f"A shock of {pct:+g}% is absurd: at most {MAX_PCT:+g}% in one shock. "
            "Nothing was changed."
        )
    return pct


class SimControl:
    def __init__(
        self, gate: Gate, data: DataAgent, market: MarketData, mode: Mode, broker_name: str
    ) -> None:
        self.gate = gate
        self.data = data
        self.market = market
        self.mode = mode
        self.broker_name = broker_name

    async def shock(self, symbol: str, pct: object, actor: Actor) -> SimShockView:
        """Move `symbol` by `pct` percent now, in every process on this database."""
        self.gate.check(actor, "sim", "move the simulated market", None)
        market = self.market
        # only the simulator's own desk: a paper desk on simulated prices still sends its
        # orders to a real venue's sandbox, priced off what a shock would move
        if self.mode is not Mode.SIM or not (
            isinstance(market, ShockableMarket) and market.simulated
        ):
            raise BadInput(
                "/sim shock moves the simulated market only; this desk trades "
                f"{self.mode.label} on {self.broker_name}. Nothing was changed."
            )
        sym = self.data.normalise(symbol)
        value = parse_pct(pct)
        before = (await self.data.quote(sym, fresh=True)).last
        ctx = {"by": actor.name, "before": before, "mode": "SIMULATED"}
        at = market.shock(sym, value, actor.id, ctx)
        after = (await self.data.quote(sym, fresh=True)).last
        return SimShockView(symbol=sym, pct=value, before=before, after=after, at=at, by=actor.name)
