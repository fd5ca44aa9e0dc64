"""People's price and position alerts: set, list, remove, re-arm. Each is checked here
(a known symbol, a sane level, the cap) before anything is stored; the monitor fires them."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from agents.data import DataAgent
from agents.errors import BadInput
from agents.monitor_views import AlertsView, AlertView
from models.domain import Actor
from models.monitor_repo import TooManyAlerts
from models.monitor_tables import PriceAlertRow
from models.store import Store

CONDITIONS = ("above", "below", "move", "loss", "gain")
ALIASES = {
    "over": "above",
    "under": "below",
    "up": "gain",
    "down": "loss",
    "moves": "move",
    "crosses": "cross",
    "loses": "loss",
    "gains": "gain",
}
MAX_PRICE_RATIO = 100.0  # a price alert within 1/100x .. 100x of the price


def view(row: PriceAlertRow) -> AlertView:
    return AlertView(
        id=row.id,
        symbol=row.symbol,
        condition=row.condition,
        level=row.level,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        fired_at=row.fired_at,
        observed=row.observed,
        reason=row.reason,
    )


def parse_level(raw: object, what: str) -> float:
    """A positive finite number from '200', '$200', '5%', '+5' (else BadInput)."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    text = text.removeprefix("$").removesuffix("%").strip().removeprefix("+")
    try:
        x = float(text)
    except ValueError:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise BadInput(f"The {what} must be a number (got {shown!r}). Nothing was set.") from None
    if not math.isfinite(x) or x <= 0:
        raise BadInput(f"The {what} must be a positive number (got {text}). Nothing was set.")
    return x


class AlertBook:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        limit: int,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.data = data
        self.limit = limit
        self.clock = clock
        self.wake = wake  # the monitor checks a new alert at once

    async def add(self, symbol: str, condition: str, level: object, actor: Actor) -> AlertView:
        """Set an alert, or refuse saying why (nothing stored)."""
        cond = (condition or "").strip().lower()
        cond = ALIASES.get(cond, cond)
        if cond not in (*CONDITIONS, "cross"):
            raise BadInput(
                f"Unknown alert condition {cond[:20]!r}: use above, below, move, loss or gain. "
                "Nothing was set."
            )
        sym = self.data.normalise(symbol)
        pct = cond in ("move", "loss", "gain")
        value = parse_level(level, "percent" if pct else "price")
        ctx: dict[str, object] = {"symbol": sym, "by": actor.name}
        if pct:
            cap = 1000.0 if cond == "gain" else 100.0
            if value > cap:
                raise BadInput(
                    f"A {cond} alert of {value:g}% is absurd (at most {cap:g}%). Nothing was set."
                )
            if cond in ("loss", "gain"):
                pos = self.store.ledger.position(sym)
                if pos is None or pos.quantity == 0:
                    raise BadInput(
                        f"You hold no {sym}: a position alert needs an open position "
                        f"(for a price alert say '/alert {sym} below PRICE'). Nothing was set."
                    )
                ctx["avg_price"] = pos.avg_price
        else:
            last = (await self.data.quote(sym)).last
            ctx["price"] = last
            if value > last * MAX_PRICE_RATIO or value < last / MAX_PRICE_RATIO:
                raise BadInput(f"{value:,.2f} is absurd for {sym} at {last:,.2f}. Nothing was set.")
            if cond == "cross":
                cond = "above" if value > last else "below"
            elif (cond == "above" and last >= value) or (cond == "below" and last <= value):
                other = "below" if cond == "above" else "above"
                raise BadInput(
                    f"{sym} is {last:,.2f}, already {cond} {value:,.2f}: the alert would fire "
                    f"at once. Did you mean {other}? Nothing was set."
                )
        for a in self.store.monitor.alerts(("armed",)):
            if (a.symbol, a.condition, a.level) == (sym, cond, value):
                raise BadInput(f"That alert is already set: {view(a).text} ({a.id}).")
        try:
            row = self.store.monitor.add_alert(
                sym, cond, value, actor.id, self.clock(), self.limit, {**ctx, "condition": cond}
            )
        except TooManyAlerts:
            raise BadInput(
                f"{self.limit} alerts are set, the most allowed (COTRADER_MAX_ALERTS): "
                "/alerts lists them, /alert remove ID frees one. Nothing was set."
            ) from None
        self.wake()
        return view(row)

    def list(self) -> AlertsView:
        return AlertsView(
            alerts=tuple(view(r) for r in self.store.monitor.alerts()), limit=self.limit
        )

    def _get(self, alert_id: str) -> PriceAlertRow:
        aid = (alert_id or "").strip().upper()
        row = self.store.monitor.alert(aid)
        if row is None or row.status == "removed":
            shown = aid if len(aid) <= 12 else aid[:12] + "…"
            raise BadInput(f"No alert {shown or '(empty)'}; /alerts lists them.")
        return row

    def remove(self, alert_id: str, actor: Actor) -> AlertView:
        row = self._get(alert_id)
        done = self.store.monitor.remove(row.id, actor.id, self.clock())
        if done is None:
            raise BadInput(f"Alert {row.id} is already removed.")
        return view(done)

    def rearm(self, alert_id: str, actor: Actor) -> AlertView:
        row = self._get(alert_id)
        if row.status == "armed":
            raise BadInput(f"Alert {row.id} is armed already; it fires once when it is hit.")
        done = self.store.monitor.rearm(row.id, actor.id, self.clock())
        if done is None:
            raise BadInput(f"Alert {row.id} could not be re-armed (it changed meanwhile).")
        self.wake()
        return view(done)
