"""Our rows of the protective orders a venue places with an entry (a bracket's stop and
target, an OCO pair): created the first time the venue shows one, under the client id the
venue gave it (the parent's plus "-sl" / "-tp"), with the proposal it protects."""

from __future__ import annotations

from collections.abc import Sequence

from models.domain import PENDING_SUBMIT, BrokerOrder, OrderRole, TimeInForce, split_client_id
from models.store import Store
from models.tables import Order


def child_rows(
    store: Store,
    broker: str,
    legs: Sequence[BrokerOrder],
    proposal_id: str | None,
    actor: str,
    status: str | None = None,
) -> dict[str, tuple[Order, bool]]:
    """Our rows of `legs` (protective ids only), created in one transaction where missing:
    client id -> (row, created now). A new row takes the venue's view (status, no fills)
    unless `status` is given (PENDING_SUBMIT for a pair about to be sent); a leg with fills
    starts PENDING_SUBMIT so that booking it applies them."""
    kids = [leg for leg in legs if split_client_id(leg.client_order_id)[1] is not OrderRole.MAIN]
    if not kids:
        return {}
    if proposal_id is None:
        proposal_id = _proposal_of(store, split_client_id(kids[0].client_order_id)[0])
    if proposal_id is None:
        return {}
    rows = [_row(leg, proposal_id, broker, status) for leg in kids]
    stored, added = store.ledger.add_protective(rows, actor)
    return {cid: (row, cid in added) for cid, row in stored.items()}


def child_row(
    store: Store, broker: str, leg: BrokerOrder, proposal_id: str | None, actor: str
) -> Order | None:
    """Our row of one protective order (None: not a protective id, or whose we don't know)."""
    found = store.ledger.order(leg.client_order_id)
    if found is not None:
        return found
    got = child_rows(store, broker, [leg], proposal_id, actor, PENDING_SUBMIT)
    return got[leg.client_order_id][0] if leg.client_order_id in got else None


def _proposal_of(store: Store, parent: str) -> str | None:
    """The proposal a protective parent id belongs to: the entry's, or an exit's pair
    ('<exit id>-oco')."""
    main = store.ledger.order(parent)
    if main is not None and main.proposal_id:
        return main.proposal_id
    head = parent.rsplit("-", 1)[0]
    return head if head.startswith("p-") and store.proposals.get(head) else None


def _row(leg: BrokerOrder, proposal_id: str, broker: str, status: str | None) -> Order:
    return Order(
        client_order_id=leg.client_order_id,
        proposal_id=proposal_id,
        broker=broker,
        symbol=leg.symbol,
        side=leg.side.value,
        quantity=leg.quantity,
        order_type=leg.order_type.value,
        limit_price=leg.limit_price,
        stop_price=leg.stop_price,
        time_in_force=TimeInForce.GTC.value,
        role=split_client_id(leg.client_order_id)[1].value,
        status=status or (leg.status.value if not leg.filled_quantity else PENDING_SUBMIT),
        submitted_at=leg.submitted_at,
        updated_at=leg.submitted_at,
        broker_order_id=leg.broker_order_id or None,
    )
