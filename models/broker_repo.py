"""Sync of the venue's account and positions into the mirror tables (models.broker_tables)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.broker_tables import BrokerAccount, BrokerHolding
from models.domain import Account, BrokerPosition

if TYPE_CHECKING:
    from models.store import Store


class BrokerRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def sync(
        self,
        broker: str,
        mode: str,
        account: Account,
        positions: Sequence[BrokerPosition],
        now: datetime,
    ) -> BrokerAccount:
        """Upsert the account (by broker and account number) and replace its holdings, in one
        transaction. Two instances syncing at once still leave one account row."""
        for attempt in (1, 2):
            try:
                with self.store.session(write=True) as s:
                    row = self._account(s, broker, account.account_id)
                    if row is None:
                        row = BrokerAccount(
                            broker=broker,
                            account_id=account.account_id,
                            mode=mode,
                            cash=account.cash,
                            equity=account.equity,
                            buying_power=account.buying_power,
                            currency=account.currency,
                            first_seen=now,
                            synced_at=now,
                        )
                    else:
                        row.mode = mode
                        row.cash, row.equity = account.cash, account.equity
                        row.buying_power, row.currency = account.buying_power, account.currency
                        row.synced_at = now
                    s.add(row)
                    s.flush()
                    assert row.id is not None
                    s.exec(delete(BrokerHolding).where(col(BrokerHolding.account_ref) == row.id))
                    for p in positions:
                        s.add(
                            BrokerHolding(
                                account_ref=row.id,
                                symbol=p.symbol,
                                quantity=p.quantity,
                                avg_price=p.avg_price,
                                synced_at=now,
                            )
                        )
                    s.commit()
                    s.refresh(row)
                    return row
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _account(s: Session, broker: str, account_id: str) -> BrokerAccount | None:
        q = select(BrokerAccount).where(
            BrokerAccount.broker == broker, BrokerAccount.account_id == account_id
        )
        return s.exec(q).first()

    def accounts(self) -> list[BrokerAccount]:
        with self.store.session() as s:
            return list(s.exec(select(BrokerAccount).order_by(col(BrokerAccount.id))))

    def holdings(self, account_ref: int) -> list[BrokerHolding]:
        with self.store.session() as s:
            q = select(BrokerHolding).where(BrokerHolding.account_ref == account_ref)
            return list(s.exec(q.order_by(col(BrokerHolding.symbol))))
