"""The options calculator behind `cotrader greeks`, the terminal chat's /greeks and
Discord's /greeks: the inputs in, the Black–Scholes–Merton price and five greeks out (or
the implied vol solved from a price, and the greeks at that vol). Every bad input is
refused with one sentence (BadInput) before anything is computed.

Conventions (those of services/options): numbers are decimals (0.2 means 20%); T in
years, calendar days / 365, an expiry date meaning 16:00 ET that day; theta per calendar
day; vega and rho per one percentage point; prices per share. American single-stock
options are priced as European, and every answer carries that note."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from agents.errors import BadInput

DEFAULT_RATE = 0.04
DAYS_PER_YEAR = 365.0
MAX_YEARS = 100.0
MAX_VOL = 10.0  # 1,000%: past it, 20 meant 20% far more often than 2,000%
MAX_RATE = 1.0  # |rate| and |dividend| as decimals: 4 meant 4%
NOTE = (
    "American single-stock options are priced as European (no early exercise). "
    "Prices per share; theta per calendar day; vega and rho per 1 percentage point."
)
KINDS = ("call", "put")
_OPTIONAL = ("vol", "iv", "expiry")  # left out of the JSON when not used


def _shown(raw: object) -> str:
    text = str(raw).strip()
    return repr(text if len(text) <= 20 else text[:20] + "…")


def number(raw: float | int | str | None, name: str, decimal: bool = False) -> float | None:
    """`raw` as a finite float (None stays None); for a `decimal` (vol, rate, dividend)
    '25%' means 0.25. BadInput naming `name` for anything else."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadInput(f"{name} must be a number, not {_shown(raw)}.")
    if isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("_", "")
        scale = 1.0
        if decimal and text.endswith("%"):
            text, scale = text[:-1].strip(), 0.01
        try:
            value = float(text) * scale
        except ValueError:
            raise BadInput(f"{name} must be a number, not {_shown(raw)}.") from None
    else:
        value = float(raw)
    if not math.isfinite(value):
        raise BadInput(f"{name} must be a finite number, not {_shown(raw)}.")
    return value


class GreeksView(BaseModel):
    """One option priced: the inputs as used, the price and the five greeks. `vol` when
    the vol was given, `iv` when it was solved from `price`; `expiry` when given."""

    model_config = ConfigDict(frozen=True)

    type: Literal["call", "put"]
    spot: float
    strike: float
    years: float
    days: float
    expiry: date | None = None
    rate: float
    dividend: float
    vol: float | None = None
    iv: float | None = None
    price: float
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float
    note: str = NOTE

    @model_serializer(mode="wrap")
    def _drop_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        for key in _OPTIONAL:
            if out.get(key) is None:
                out.pop(key, None)
        return out

    @property
    def sigma(self) -> float:
        """The vol the greeks used: the given one or the implied one."""
        return self.vol if self.vol is not None else float(self.iv or 0.0)

    def title(self) -> str:
        """'Call, spot 42, strike 40, 182.5 days (0.5000 years)' and the expiry if given."""
        when = f" to {self.expiry.isoformat()} 16:00 ET" if self.expiry else ""
        return (
            f"{self.type.capitalize()}, spot {self.spot:,.4g}, strike {self.strike:,.4g}, "
            f"{_days(self.days)} days{when} ({self.years:.4f} years)"
        )

    def assumptions(self) -> str:
        """The vol (given or implied), rate and dividend, in percent."""
        vol = f"vol {self.sigma:.2%}" if self.iv is None else "vol implied by the price"
        return f"{vol}, rate {self.rate:.2%}, dividend {self.dividend:.2%}"

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) for the price and each greek, with its unit."""
        out = [("price", _px(self.price))]
        if self.iv is not None:
            out.append(("implied vol", f"{self.iv:.4%}"))
        return [
            *out,
            ("delta", f"{self.delta:.4f}"),
            ("gamma", f"{self.gamma:.5f}"),
            ("theta /day", f"{self.theta:.4f}"),
            ("vega /1pt", f"{self.vega:.4f}"),
            ("rho /1pt", f"{self.rho:.4f}"),
        ]

    def text(self) -> str:
        """The whole answer as plain lines (the chat's reply text)."""
        rows = self.rows()
        nw, vw = max(len(n) for n, _ in rows), max(len(v) for _, v in rows)
        lines = [self.title(), self.assumptions()]
        lines += [f"  {n:<{nw}}  {v:>{vw}}" for n, v in rows]
        return "\n".join([*lines, self.note])


def _days(days: float) -> str:
    return f"{days:,.0f}" if abs(days - round(days)) < 1e-9 else f"{days:,.4g}"


def _px(x: float) -> str:
    """A price in a sentence: 4 decimals, or 6 significant digits when huge."""
    return f"{x:,.4f}" if abs(x) < 1e9 else f"{x:.6g}"


def _first(x: Any) -> float:
    return float(np.asarray(x, dtype=float).reshape(-1)[0])


def _kind(kind: str | None) -> Literal["call", "put"]:
    k = (kind or "").strip().lower()
    if k == "call":
        return "call"
    if k == "put":
        return "put"
    if not k:
        raise BadInput("Which option? Give its type: call or put.")
    raise BadInput(f"Unknown option type {_shown(kind)}: give call or put.")


def _time(
    days: float | None, years: float | None, expiry: date | str | None, now: datetime
) -> tuple[float, float, date | None]:
    """T in years, in days, and the expiry as a date, from exactly one of days, years or
    expiry (days as given stay exact)."""
    from services.options.bsm import year_fraction

    given = [n for n, v in (("days", days), ("years", years), ("expiry", expiry)) if v is not None]
    if not given:
        raise BadInput("Give the time to expiry: days, years or expiry.")
    if len(given) > 1:
        raise BadInput(f"Give one of days, years or expiry, not {' and '.join(given)}.")
    if days is not None:
        if days <= 0:
            raise BadInput(f"days must be above 0, not {days:g}.")
        return _capped(days / DAYS_PER_YEAR), days, None
    if years is not None:
        if years <= 0:
            raise BadInput(f"years must be above 0, not {years:g}.")
        return _capped(years), years * DAYS_PER_YEAR, None
    exp = _date(expiry)
    t = year_fraction(now, exp)
    if t <= 0:
        raise BadInput(f"expiry {exp.isoformat()} has passed (options expire at 16:00 ET).")
    return _capped(t), t * DAYS_PER_YEAR, exp


def _capped(t: float) -> float:
    if t > MAX_YEARS:
        raise BadInput(f"The time must be at most {MAX_YEARS:g} years, not {t:,.4g}.")
    return t


def _date(raw: date | str | None) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise BadInput(f"expiry must be a date like 2027-01-15, not {_shown(raw)}.") from None


def _check_decimal(value: float, name: str, cap: float, example: str) -> None:
    """Refuse a decimal past `cap` in size: most likely a percentage typed as a number."""
    if abs(value) > cap:
        span = f"at most {cap:g}" if name == "vol" else f"between -{cap:g} and {cap:g}"
        raise BadInput(
            f"{name} {value:g} would be {value:,.0%}: it is a decimal ({example}), {span}."
        )


def greeks_view(
    kind: str | None,
    spot: float | str | None,
    strike: float | str | None,
    *,
    days: float | str | None = None,
    years: float | str | None = None,
    expiry: date | str | None = None,
    vol: float | str | None = None,
    price: float | str | None = None,
    rate: float | str | None = DEFAULT_RATE,
    dividend: float | str | None = 0.0,
    now: datetime,
) -> GreeksView:
    """The price and greeks of one option at `vol`, or the implied vol of `price` and the
    greeks there. Numbers may be strings (as typed); BadInput with one sentence when an
    input is missing, not a number, out of range, or the price is outside its bounds."""
    from services.options.bsm import bsm
    from services.options.iv import bounds, check_inputs, implied_vol

    k = _kind(kind)
    s, x = number(spot, "spot"), number(strike, "strike")
    if s is None or x is None:
        raise BadInput(f"Give the {'spot' if s is None else 'strike'} price.")
    for name, v in (("spot", s), ("strike", x)):
        if v <= 0:
            raise BadInput(f"{name} must be above 0, not {v:g}.")
    t, d, exp = _time(number(days, "days"), number(years, "years"), expiry, now)
    r = number(rate, "rate", decimal=True)
    q = number(dividend, "dividend", decimal=True)
    r = DEFAULT_RATE if r is None else r
    q = 0.0 if q is None else q
    _check_decimal(r, "rate", MAX_RATE, "0.04 means 4%")
    _check_decimal(q, "dividend", MAX_RATE, "0.015 means 1.5%")
    v, p = number(vol, "vol", decimal=True), number(price, "price")
    if v is None and p is None:
        raise BadInput("Give vol (to price the option) or price (to solve its implied vol).")
    if v is not None and p is not None:
        raise BadInput(
            "Give vol (to price the option) or price (to solve its implied vol), not both."
        )
    if v is not None:
        if v <= 0:
            raise BadInput(f"vol must be above 0, not {v:g} (0.25 means 25%).")
        _check_decimal(v, "vol", MAX_VOL, "0.25 means 25%")
    why = check_inputs(s, x, t, v)
    if why:
        raise BadInput(why if why.endswith(".") else why + ".")
    iv: float | None = None
    if p is not None:
        if p <= 0:
            raise BadInput(f"price must be above 0, not {p:g}.")
        lo, hi = (_first(b) for b in bounds(k, s, x, t, r, q))
        if p < lo:
            raise BadInput(
                f"price {_px(p)} is below the {k}'s lower bound {_px(lo)} (its intrinsic value, "
                "discounted at the rate and dividend): no vol gives it."
            )
        if p >= hi:
            what = (
                "the spot, discounted at the dividend" if k == "call" else "the discounted strike"
            )
            raise BadInput(
                f"price {_px(p)} is at or above the {k}'s upper bound {_px(hi)} ({what}): "
                "no vol gives it."
            )
        res = implied_vol(k, p, s, x, t, r, q)
        iv = _first(res.iv)
        if not math.isfinite(iv):
            reason = str(np.asarray(res.reason).reshape(-1)[0]) or "no vol reprices it"
            raise BadInput(f"price {_px(p)} has no implied vol: {reason}.")
    g = bsm(k, s, x, t, iv if iv is not None else v, r, q)
    out = {n: _first(getattr(g, n)) for n in ("price", "delta", "gamma", "theta", "vega", "rho")}
    if not all(math.isfinite(val) for val in out.values()):
        raise BadInput("These inputs are too extreme to price: check spot, strike, time and vol.")
    return GreeksView(
        type=k,
        spot=s,
        strike=x,
        years=t,
        days=d,
        expiry=exp,
        rate=r,
        dividend=q,
        vol=v,
        iv=iv,
        **{**out, "price": p if p is not None else out["price"]},
    )


__all__ = ["DEFAULT_RATE", "KINDS", "NOTE", "GreeksView", "greeks_view", "number"]
