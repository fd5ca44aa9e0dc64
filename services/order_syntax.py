"""The slash syntax of a trade request, parsed into an OrderSpec (pure; InputError only):

    SYMBOL [buy|sell|short] [QTY | $AMOUNT | PCT%] [limit=PRICE] [stop=PRICE]
           [target=PRICE] [tif=day|gtc|opg]

The same for the terminal's /propose and Discord's /propose options.
"""

from __future__ import annotations

import math
import re

from pydantic import ValidationError

from models.domain import Side, TimeInForce
from models.order_spec import OrderSpec
from services.inputs import InputError, parse_quantity

USAGE = (
    "/propose SYMBOL [buy|sell|short] [QTY | $AMOUNT | PCT%] [limit=PRICE] [stop=PRICE] "
    "[target=PRICE] [tif=day|gtc|opg]"
)
_SIDES = {"buy": Side.BUY, "b": Side.BUY, "long": Side.BUY, "sell": Side.SELL, "s": Side.SELL}
_PRICE_KEYS = {
    "limit": "limit",
    "lmt": "limit",
    "stop": "stop",
    "sl": "stop",
    "target": "target",
    "tp": "target",
}
_AMOUNT_RE = re.compile(r"^\$([0-9][0-9,_]*(?:\.[0-9]+)?)$")
_PCT_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)%$")
MAX_AMOUNT = 1e9


def parse_price(raw: str, name: str) -> float:
    """A positive, finite price ('180', '180.5', '$180')."""
    text = raw.strip().lstrip("$").replace(",", "")
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{name} must be a price, e.g. {name}=180.50, not {raw[:20]!r}.") from None
    if not math.isfinite(v) or v <= 0 or v > 1e7:
        raise InputError(f"{name} must be a positive price, not {raw[:20]!r}.")
    return round(v, 4)


def parse_order_args(symbol: str, args: list[str], max_quantity: int) -> OrderSpec:
    """`args` after the symbol, in any order. Every part is kept or refused by name."""
    fields: dict[str, object] = {"symbol": symbol}
    size_seen: str | None = None
    for raw in args:
        tok = raw.strip()
        low = tok.lower()
        if not tok:
            continue
        if "=" in tok:
            key, _, val = low.partition("=")
            if key in _PRICE_KEYS:
                name = _PRICE_KEYS[key]
                if name in fields:
                    raise InputError(f"{name}= is given twice.")
                fields[name] = parse_price(val, name)
            elif key == "tif":
                try:
                    fields["tif"] = TimeInForce(val)
                except ValueError:
                    raise InputError(f"tif must be day, gtc or opg, not {val[:10]!r}.") from None
            else:
                raise InputError(f"Unknown option {key[:20]!r}. Usage: {USAGE}")
            continue
        if low in _SIDES or low == "short":
            if "side" in fields:
                raise InputError("Give the side once: buy, sell or short.")
            fields["side"] = Side.SELL if low == "short" else _SIDES[low]
            fields["short"] = low == "short"
            continue
        if size_seen is not None:
            raise InputError(f"One size only ({size_seen!r} and {tok[:20]!r}). Usage: {USAGE}")
        size_seen = tok[:20]
        if m := _AMOUNT_RE.match(tok):
            amount = float(m[1].replace(",", "").replace("_", ""))
            if not 0 < amount <= MAX_AMOUNT:
                raise InputError(f"The amount must be above $0, not {tok[:20]!r}.")
            fields["amount"] = amount
        elif m := _PCT_RE.match(tok):
            pct = float(m[1])
            if not 0 < pct <= 100:
                raise InputError(f"A percentage must be above 0% and at most 100%, not {tok!r}.")
            fields["pct"] = pct
        else:
            fields["quantity"] = parse_quantity(tok, max_quantity)
    try:
        return OrderSpec(**fields)  # type: ignore[arg-type]
    except ValidationError as e:
        raise InputError(e.errors()[0]["msg"].removeprefix("Value error, ")) from None
