"""Option orders the way Alpaca takes them, for `FakeAlpacaTrading`.

A multi-leg order (``order_class`` mleg) has ``qty`` units, ``type`` market or limit, a net
``limit_price`` for a limit (any sign: negative is a credit, positive a debit, as Alpaca
documents), ``time_in_force`` day or gtc, and 2 to 4 ``legs``, each with an OCC ``symbol``
the option book lists, a whole ``ratio_qty`` (the ratios without a common factor) and a
``side`` and/or ``position_intent`` (buy_to_open, sell_to_open, buy_to_close,
sell_to_close) that agree. A single-leg option order is a simple order on a listed contract
(``side``, optional ``position_intent``, a positive ``limit_price`` for a limit). Anything
else answers 422, as Alpaca does; nothing is created then.

The parent of a multi-leg order has no symbol, side or asset class (alpaca-py: omitted from
the top level of an mleg order); its ``legs`` (with ``nested=true``, in the submit reply and
in every trade update) are orders of their own with ids, ``ratio_qty``, ``position_intent``,
``qty`` / ``filled_qty`` in contracts and a ``filled_avg_price``. They are not listed as
orders of their own. The parent's ``filled_qty`` is in units and its ``filled_avg_price``
the net price signed like the limit (negative: a credit).

Working: an order fills when it is marketable at the option book's mids (the legs' net mid
credit, sells +, buys -, at least the credit asked: ``net_mid + limit >= 0``), each leg at
its mid, per ``option_fill`` (`OptionFill`: ``auto`` fills it whole, ``partial`` fills
``units`` now, ``new`` leaves it working, ``reject`` rejects it). ``fill_option()`` fills more
later (at given premiums or the mids); ``set_option_quote()`` moves a contract's quote and
fills the orders it makes marketable. Fills move cash (premium × 100 a contract) and the
option positions (``asset_class`` us_option) of GET /v2/positions. A cancel ends the legs
with their parent.
"""

from __future__ import annotations

import copy
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from .accounts import OPTION_SIZE, num, option_position_wire
from .base import ApiError
from .options_server import OptionBook
from .order_wire import opt, quantity, stamps

OCC = re.compile(r"^[A-Z][A-Z0-9.]{0,5}\d{6}[CP]\d{8}$")
INTENTS = ("buy_to_open", "sell_to_open", "buy_to_close", "sell_to_close")
WORKING = ("new", "accepted", "partially_filled")
TIFS = ("day", "gtc")


@dataclass
class OptionFill:
    """How a new option order is worked: ``auto`` (all, when marketable), ``partial``
    (``units`` now, when marketable), ``new`` (stays working) or ``reject``."""

    mode: str = "auto"
    units: int = 0
    reason: str = "rejected by the venue"


def is_option_body(body: dict[str, Any]) -> bool:
    """A POST body for an option order (multi-leg, or on one OCC contract)."""
    return body.get("order_class") == "mleg" or bool(OCC.match(str(body.get("symbol") or "")))


def is_option(order: dict[str, Any]) -> bool:
    return order.get("order_class") == "mleg" or order.get("asset_class") == "us_option"


def _sign(side: str) -> int:
    """+1 for a buy (money out), -1 for a sell."""
    return 1 if side == "buy" else -1


class OptionOrders:
    """Mixin: option orders over the server's ``orders`` (see module doc)."""

    orders: dict[str, dict[str, Any]]
    positions: dict[str, dict[str, Any]]
    options: OptionBook
    cash: float

    def _init_options(self) -> None:
        self.mleg_legs: dict[str, list[dict[str, Any]]] = {}  # parent id -> its legs
        self.option_fill = OptionFill()

    # ---- hooks the server provides ---------------------------------------------------------
    def _now(self) -> str:
        raise NotImplementedError

    def _push(self, event: str, order: dict[str, Any], **fill: Any) -> None:
        raise NotImplementedError

    # ---- scripting -------------------------------------------------------------------------
    def members(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        """The legs of an option order: a multi-leg order's, or the single-leg order itself."""
        return self.mleg_legs.get(order["id"], [order])

    def fill_option(
        self, client_order_id: str, units: int | None = None, prices: dict[str, float] | None = None
    ) -> dict[str, Any]:
        """Fill ``units`` more (default: the rest) of a working option order, each leg at its
        premium in ``prices`` (default: its mid)."""
        order = next(
            (o for o in self.orders.values() if o["client_order_id"] == client_order_id), None
        )
        if order is None or not is_option(order):
            raise KeyError(client_order_id)
        if order["status"] not in WORKING:
            raise ValueError(f"option order {client_order_id} is {order['status']}")
        left = int(order["qty"]) - int(order["filled_qty"])
        self._fill_units(order, left if units is None else units, prices or {})
        return order

    def set_option_quote(self, symbol: str, bid: float, ask: float) -> list[dict[str, Any]]:
        """Quote ``symbol`` at bid/ask and fill what that makes marketable (oldest first)."""
        snap = self.options.snapshots.setdefault(symbol, {})
        snap["latestQuote"] = {**snap.get("latestQuote", {}), "bp": bid, "ap": ask, "t": "now"}
        hit = []
        for order in list(self.orders.values()):
            if is_option(order) and order["status"] in WORKING and self._marketable(order):
                self._fill_units(order, int(order["qty"]) - int(order["filled_qty"]), {})
                hit.append(order)
        return hit

    # ---- wire --------------------------------------------------------------------------------
    def wire(self, order: dict[str, Any], nested: bool) -> dict[str, Any]:
        """A multi-leg order with its legs when ``nested``; others as the next class shows."""
        legs = self.mleg_legs.get(order["id"])
        if legs is None:
            return super().wire(order, nested)  # type: ignore[misc]
        out = copy.deepcopy(order)
        out["legs"] = copy.deepcopy(legs) if nested else None
        return out

    # ---- submit --------------------------------------------------------------------------------
    def new_option_order(self, body: dict[str, Any], cid: str) -> dict[str, Any]:
        """Check an option order's body (422 otherwise), store it and work it."""
        kind = body.get("type")
        if kind not in ("market", "limit"):
            raise ApiError(422, f"invalid order type {kind!r} for options")
        tif = body.get("time_in_force")
        if tif not in TIFS:
            raise ApiError(422, f"invalid time_in_force {tif!r} for options")
        if body.get("take_profit") or body.get("stop_loss"):
            raise ApiError(422, "options orders do not take take_profit or stop_loss")
        qty = quantity(body, whole=True)
        limit = self._limit(body, kind, positive=body.get("order_class") != "mleg")
        now = self._now()
        order = {
            **stamps(now),
            "id": str(uuid.uuid4()),
            "client_order_id": cid,
            "qty": str(qty),
            "filled_qty": "0",
            "order_type": kind,
            "type": kind,
            "time_in_force": tif,
            "limit_price": opt(limit),
            "stop_price": None,
            "status": "accepted",
            "extended_hours": False,
        }
        if body.get("order_class") == "mleg":
            order["order_class"] = "mleg"
            legs = self._mleg_legs(body, order)
        else:
            symbol = self._contract(body.get("symbol"))
            side, intent = _side_intent(body)
            order |= self._contract_fields(symbol, side, intent) | {"order_class": "simple"}
            legs = None
        self.orders[order["id"]] = order
        if legs is not None:
            self.mleg_legs[order["id"]] = legs
        self._work_option(order)
        return order

    def _limit(self, body: dict[str, Any], kind: str, *, positive: bool) -> float | None:
        if kind != "limit":
            if body.get("limit_price") is not None:
                raise ApiError(422, "limit_price is only for limit orders")
            return None
        try:
            limit = float(body["limit_price"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(422, "limit orders require a limit_price") from None
        if not math.isfinite(limit) or (positive and limit <= 0):
            raise ApiError(422, "limit_price must be > 0")
        return limit

    def _contract(self, symbol: Any) -> str:
        """A contract the option book lists (422 "asset not found" otherwise)."""
        symbol = str(symbol or "")
        listed = any(
            isinstance(c, dict) and c.get("symbol") == symbol
            for contracts in self.options.contracts.values()
            for c in contracts
        )
        if not OCC.match(symbol) or not listed:
            raise ApiError(422, f"asset {symbol!r} not found")
        return symbol

    def _contract_fields(self, symbol: str, side: str, intent: str | None) -> dict[str, Any]:
        return {
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)),
            "symbol": symbol,
            "asset_class": "us_option",
            "side": side,
            "position_intent": intent,
        }

    def _mleg_legs(self, body: dict[str, Any], parent: dict[str, Any]) -> list[dict[str, Any]]:
        raw = body.get("legs")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            raise ApiError(422, "mleg orders require between 2 and 4 legs")
        legs, ratios = [], []
        for entry in raw:
            if not isinstance(entry, dict):
                raise ApiError(422, "each leg must be an object")
            symbol = self._contract(entry.get("symbol"))
            ratio = quantity(entry, "ratio_qty", whole=True)
            side, intent = _side_intent(entry)
            ratios.append(ratio)
            legs.append(
                {
                    **stamps(parent["created_at"]),
                    **self._contract_fields(symbol, side, intent),
                    "id": str(uuid.uuid4()),
                    "client_order_id": str(uuid.uuid4()),
                    "qty": str(int(parent["qty"]) * ratio),
                    "filled_qty": "0",
                    "order_class": "mleg",
                    "ratio_qty": str(ratio),
                    "time_in_force": parent["time_in_force"],
                    "limit_price": None,
                    "stop_price": None,
                    "status": "accepted",
                    "extended_hours": False,
                }
            )
        if len({leg["symbol"] for leg in legs}) != len(legs):
            raise ApiError(422, "legs must have unique symbols")
        if math.gcd(*ratios) != 1:
            raise ApiError(422, "ratio_qty of the legs must be relatively prime")
        return legs

    # ---- working ---------------------------------------------------------------------------------
    def _mid(self, symbol: str) -> float | None:
        snap = self.options.snapshots.get(symbol)
        quote = snap.get("latestQuote") if isinstance(snap, dict) else None
        if not isinstance(quote, dict):
            return None
        bid, ask = float(quote.get("bp") or 0), float(quote.get("ap") or 0)
        return round((bid + ask) / 2, 4) if ask > 0 and ask >= bid else None

    def _marketable(self, order: dict[str, Any]) -> bool:
        """Whether the legs' net mid meets the limit (a market order: when every leg has one)."""
        net = 0.0
        for leg in self.members(order):
            mid = self._mid(leg["symbol"])
            if mid is None:
                return False
            net -= _sign(leg["side"]) * int(leg.get("ratio_qty") or 1) * mid
        if order["limit_price"] is None:
            return True
        limit = float(order["limit_price"])
        if order.get("order_class") != "mleg":  # a single leg's limit is positive
            limit = limit if order["side"] == "buy" else -limit
        return net + limit >= -1e-9

    def _work_option(self, order: dict[str, Any]) -> None:
        policy = self.option_fill
        if policy.mode == "reject":
            for member in (order, *self.mleg_legs.get(order["id"], ())):
                member["status"] = "rejected"
                member["failed_at"] = member["updated_at"] = self._now()
            self._push("rejected", order)
            return
        for member in (order, *self.mleg_legs.get(order["id"], ())):
            member["status"] = "new"
        self._push("new", order)
        if policy.mode in ("auto", "partial") and self._marketable(order):
            units = int(order["qty"]) if policy.mode == "auto" else policy.units
            self._fill_units(order, units, {})

    def _fill_units(self, order: dict[str, Any], units: int, prices: dict[str, float]) -> None:
        total, done = int(order["qty"]), int(order["filled_qty"])
        units = min(units, total - done)
        if units <= 0 or order["status"] not in WORKING:
            return
        now, net, paid = self._now(), 0.0, 0.0
        mleg = order["id"] in self.mleg_legs
        for leg in self.members(order):
            ratio = int(leg.get("ratio_qty") or 1)
            price = prices.get(leg["symbol"], self._mid(leg["symbol"]))
            if price is None:
                raise ValueError(f"no price for {leg['symbol']}: quote it or pass prices")
            qty, had = units * ratio, int(leg["filled_qty"])
            prev = float(leg["filled_avg_price"] or 0)
            leg["filled_avg_price"] = num((prev * had + price * qty) / (had + qty))
            leg["filled_qty"] = str(had + qty)
            net += _sign(leg["side"]) * ratio * float(leg["filled_avg_price"])
            paid += _sign(leg["side"]) * ratio * price
            self._book_option(leg["symbol"], leg["side"], qty, price)
            if mleg:
                _progress(leg, int(leg["qty"]), now)
        if mleg:  # the parent: units, and the net price signed like its limit
            order["filled_qty"] = str(done + units)
            order["filled_avg_price"] = num(net)
        _progress(order, total, now)
        event = "fill" if order["status"] == "filled" else "partial_fill"
        self._push(event, order, price=abs(paid), qty=units)

    def _book_option(self, symbol: str, side: str, qty: int, price: float) -> None:
        """Cash and the option position after ``qty`` contracts traded at ``price``."""
        sign = _sign(side)
        self.cash -= sign * qty * price * OPTION_SIZE
        pos = self.positions.get(symbol)
        held = int(pos["qty"]) if pos else 0
        avg = float(pos["avg_entry_price"]) if pos else price
        new = held + sign * qty
        if new == 0:
            self.positions.pop(symbol, None)
            return
        if held == 0 or (held > 0) == (sign > 0):
            avg = (abs(held) * avg + qty * price) / abs(new)
        self.positions[symbol] = option_position_wire(symbol, new, avg)

    def end(self, order: dict[str, Any], status: str) -> None:
        """Cancel or expire a working order; a multi-leg order's working legs end with it."""
        if order["status"] in WORKING:
            for leg in self.mleg_legs.get(order["id"], ()):
                if leg["status"] in WORKING:
                    leg["status"] = status
                    leg[f"{status}_at"] = leg["updated_at"] = self._now()
        super().end(order, status)  # type: ignore[misc]


def _progress(order: dict[str, Any], total: int, now: str) -> None:
    order["status"] = "filled" if int(order["filled_qty"]) >= total else "partially_filled"
    order["updated_at"] = now
    if order["status"] == "filled":
        order["filled_at"] = now


def _side_intent(raw: dict[str, Any]) -> tuple[str, str | None]:
    """The side and position_intent of an option order or leg, checked (422 otherwise)."""
    side, intent = raw.get("side"), raw.get("position_intent")
    if intent is not None and intent not in INTENTS:
        raise ApiError(422, f"invalid position_intent {intent!r}")
    if side is None and intent is None:
        raise ApiError(422, "side or position_intent is required")
    side = side or str(intent).split("_")[0]
    if side not in ("buy", "sell"):
        raise ApiError(422, "invalid side")
    if intent is not None and not intent.startswith(side + "_"):
        raise ApiError(422, f"position_intent {intent} does not match side {side}")
    return side, intent
