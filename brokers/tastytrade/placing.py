"""Placing one order or complex order at Tastytrade exactly once (TastytradeBroker's `_place`).

`send()` goes out once. A reply that says the order may exist (a 5xx, a timeout, a dropped
connection after sending) is followed by `find()` (the broker's look-up by our client id)
before anything else; only when the venue clearly has nothing is it sent once more. A failed
look-up raises instead of resending; an unreadable 2xx reply is looked up, never resent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx2
from loguru import logger
from pydantic import ValidationError
from tastytrade.utils import TastytradeError

from brokers.base import BrokerError
from brokers.tastytrade.convert import BrokerDataError, describe, rejection
from brokers.tastytrade.transport import UNSENT, HttpStatus
from models.domain import OrderRequest

if TYPE_CHECKING:
    from brokers.tastytrade.broker import TastytradeBroker


class TastytradePlacer:
    """The broker's exactly-once placement (a mixin over its transport and `_bad`)."""

    async def _place[T](
        self: TastytradeBroker,
        request: OrderRequest,
        send: Callable[[], Awaitable[T]],
        find: Callable[[], Awaitable[T | None]],
    ) -> T:
        """`send()` once; after an unknown outcome `find()` first, and send again only when
        the venue clearly has nothing (once)."""
        t, cid = self._t, request.client_order_id
        resent = False
        for attempt in range(1, t.policy.attempts + 1):
            try:
                return await send()
            except HttpStatus as e:
                if not e.transient:
                    err = t.error("order", e)
                    raise (err if e.login else rejection(request, err)) from None
                delay = t.retry_delay(e, attempt)
                unknown = e.status >= 500 and not e.login
                if e.status == 401 and not e.login:
                    await t.read("login", t.reauth)
            except UNSENT as e:
                delay, unknown = t.retry_delay(e, attempt), False
            except httpx2.HTTPError:  # timed out or dropped after sending
                delay, unknown = t.policy.backoff(attempt), True
            except (ValidationError, TastytradeError) as e:
                # the venue accepted something but its reply is unreadable: look, never resend
                found = await find()
                if found is not None:
                    return found
                detail = describe(e) if isinstance(e, ValidationError) else "unreadable"
                raise self._bad(BrokerDataError(f"order reply malformed ({detail})")) from None
            if unknown:
                logger.warning("tastytrade: order {} outcome unknown; looking it up", cid)
                try:
                    found = await find()
                except BrokerError as e:
                    raise BrokerError(
                        f"order {cid}: outcome unknown and the look-up failed "
                        f"({e}); not resent, check the venue"
                    ) from None
                if found is not None:
                    return found
                if resent:
                    break
                resent = True
            if delay is None or attempt == t.policy.attempts:
                break
            await t.sleep(delay)
        raise BrokerError(f"order {cid} could not be placed at Tastytrade")
