"""The monitor's store: alerts (add within a cap, fire once, re-arm, remove), the exit
rules' hysteresis states and each position's extremes. Each write is one transaction with
its event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import col, select

from models.audit import event_row
from models.monitor_tables import MonitorRuleState, PositionMarks, PriceAlertRow

if TYPE_CHECKING:
    from models.store import Store

LIVE = ("armed", "fired")


class TooManyAlerts(ValueError):
    """The cap on stored alerts is reached."""


class MonitorRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ alerts
    def add_alert(
        self,
        symbol: str,
        condition: str,
        level: float,
        actor: str,
        at: datetime,
        limit: int,
        context: dict[str, object],
    ) -> PriceAlertRow:
        """Store an armed alert with the next id (A1, A2, ...) and its `alert.created` event,
        unless `limit` alerts are armed or fired already (TooManyAlerts: nothing written)."""
        with self.store.session(write=True) as s:
            live = s.exec(
                select(func.count())
                .select_from(PriceAlertRow)
                .where(col(PriceAlertRow.status).in_(LIVE))
            ).one()
            if int(live) >= limit:
                raise TooManyAlerts(int(live))
            n = s.exec(select(func.count()).select_from(PriceAlertRow)).one()
            row = PriceAlertRow(
                id=f"A{int(n) + 1}",
                symbol=symbol,
                condition=condition,
                level=level,
                created_by=actor,
                created_at=at,
                updated_at=at,
            )
            s.add(row)
            s.add(event_row("alert.created", actor, context={"alert_id": row.id, **context}))
            s.commit()
            s.refresh(row)
            return row

    def alert(self, alert_id: str) -> PriceAlertRow | None:
        with self.store.session() as s:
            return s.get(PriceAlertRow, alert_id)

    def alerts(self, statuses: Iterable[str] = LIVE) -> list[PriceAlertRow]:
        """Alerts in these statuses, in the order they were set (A1, A2, ...)."""
        with self.store.session() as s:
            q = select(PriceAlertRow).where(col(PriceAlertRow.status).in_(tuple(statuses)))
            rows = list(s.exec(q).all())
        return sorted(rows, key=lambda r: int(r.id[1:]) if r.id[1:].isdigit() else 0)

    def armed(self) -> list[tuple[str, str, str, float]]:
        """(id, symbol, condition, level) of every armed alert: the monitor's read on each
        pass (plain rows, no ORM objects)."""
        t = PriceAlertRow.__table__  # type: ignore[attr-defined]
        with self.store.session() as s:
            q = select(t.c.id, t.c.symbol, t.c.condition, t.c.level).where(t.c.status == "armed")
            return [tuple(r) for r in s.connection().execute(q)]  # type: ignore[misc]

    def version(self) -> tuple[int, int]:
        """(how many alerts, the sum of their revisions): it changes whenever an alert is
        set, fired, re-armed or removed, in any process (a cache of `armed()` checks it)."""
        t = PriceAlertRow.__table__  # type: ignore[attr-defined]
        with self.store.session() as s:
            n, rev = s.connection().execute(select(func.count(), func.sum(t.c.revision))).one()
            return int(n), int(rev or 0)

    def _move(
        self,
        alert_id: str,
        frm: tuple[str, ...],
        to: str,
        event: str,
        actor: str,
        at: datetime,
        context: dict[str, object],
        **fields: object,
    ) -> PriceAlertRow | None:
        """Compare-and-set an alert's status (one row or None) with its event."""
        with self.store.session(write=True) as s:
            res = s.exec(  # type: ignore[call-overload]
                update(PriceAlertRow)
                .where(
                    col(PriceAlertRow.id) == alert_id,
                    col(PriceAlertRow.status).in_(frm),
                )
                .values(status=to, updated_at=at, revision=PriceAlertRow.revision + 1, **fields)
            )
            if res.rowcount != 1:
                s.rollback()
                return None
            s.add(event_row(event, actor, context={"alert_id": alert_id, **context}))
            s.commit()
            return s.get(PriceAlertRow, alert_id)

    def fire(
        self, alert_id: str, observed: float, reason: str, at: datetime, actor: str
    ) -> PriceAlertRow | None:
        """Armed -> fired, once in any process (None: it fired or went already)."""
        return self._move(
            alert_id,
            ("armed",),
            "fired",
            "alert.fired",
            actor,
            at,
            {"observed": observed, "reason": reason},
            fired_at=at,
            observed=observed,
            reason=reason[:500],
        )

    def rearm(self, alert_id: str, actor: str, at: datetime) -> PriceAlertRow | None:
        return self._move(
            alert_id, ("fired",), "armed", "alert.rearmed", actor, at, {}, fired_at=None
        )

    def remove(self, alert_id: str, actor: str, at: datetime) -> PriceAlertRow | None:
        return self._move(alert_id, LIVE, "removed", "alert.removed", actor, at, {})

    # ------------------------------------------------------------------ rule states
    def rule_states(self) -> dict[str, dict[str, tuple[bool, float | None, datetime | None]]]:
        """Every position's rule states: {position: {rule: (armed, level, fired_at)}}."""
        out: dict[str, dict[str, tuple[bool, float | None, datetime | None]]] = {}
        with self.store.session() as s:
            for r in s.exec(select(MonitorRuleState)).all():
                out.setdefault(r.position, {})[r.rule] = (r.armed, r.level, r.fired_at)
        return out

    def save_rule_states(
        self,
        changed: Mapping[str, Mapping[str, tuple[bool, float | None, datetime | None]]],
        drop: Iterable[str],
    ) -> None:
        """Write the changed states; drop the states of the positions in `drop` (closed)."""
        drop = list(drop)
        if not changed and not drop:
            return
        with self.store.session(write=True) as s:
            if drop:
                s.exec(  # type: ignore[call-overload]
                    delete(MonitorRuleState).where(col(MonitorRuleState.position).in_(drop))
                )
            for pos, rules in changed.items():
                for rule, (armed, level, fired_at) in rules.items():
                    row = s.get(MonitorRuleState, (pos, rule))
                    if row is None:
                        row = MonitorRuleState(position=pos, rule=rule)
                    row.armed, row.level, row.fired_at = armed, level, fired_at
                    s.add(row)
            s.commit()

    # ------------------------------------------------------------------ marks
    def marks(self) -> dict[str, tuple[float, float]]:
        """{position: (high, low)} since entry."""
        with self.store.session() as s:
            return {m.position: (m.high, m.low) for m in s.exec(select(PositionMarks)).all()}

    def save_marks(
        self,
        marks: Mapping[str, tuple[str, float, float]],
        drop: Iterable[str],
        at: datetime,
        new: Iterable[str] = (),
    ) -> None:
        """Write the changed {position: (symbol, high, low)} (those in `new` are inserted),
        and drop the marks of positions in `drop` (closed)."""
        t = PositionMarks.__table__  # type: ignore[attr-defined]
        drop, new = list(drop), set(new)
        ins = [
            {"position": k, "symbol": v[0], "high": v[1], "low": v[2], "updated_at": at}
            for k, v in marks.items()
            if k in new
        ]
        upd = [
            {"k": k, "high": v[1], "low": v[2], "updated_at": at}
            for k, v in marks.items()
            if k not in new
        ]
        if not (ins or upd or drop):
            return
        with self.store.session(write=True) as s:
            c = s.connection()
            if drop:
                c.execute(delete(t).where(t.c.position.in_(drop)))
            if ins:
                c.execute(t.insert(), ins)
            if upd:
                c.execute(
                    update(t)
                    .where(t.c.position == bindparam("k"))
                    .values(
                        high=bindparam("high"),
                        low=bindparam("low"),
                        updated_at=bindparam("updated_at"),
                    ),
                    upd,
                )
            s.commit()
