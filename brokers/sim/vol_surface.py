"""The simulator's implied-volatility surface and its option prices (the venue's own model,
independent of the analysis code that reads its quotes back).

The surface follows the symbol's simulated volatility regime, so realised and implied vol
move together: the at-the-money variance starts at today's regime variance and reverts to
the long-run level as the expiry lengthens (term structure), with a variance risk premium;
across strikes it has the equity skew (puts richer than calls), steeper for index ETFs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

Floats = NDArray[np.float64]

VRP = 1.08  # implied over expected realised vol
KAPPA = 6.0  # per year: how fast variance reverts to its long-run level (~1.4-month half-life)
_SKEW = {False: (-0.25, 0.08), True: (-0.35, 0.10)}  # (slope, curvature): stocks, ETFs
_Z_CAP = 6.0


def atm_vol(base: float, mult: Floats | float, years: Floats | float) -> Floats:
    """At-the-money implied vol at `years` for a symbol of long-run vol `base` whose regime
    multiplier today is `mult`: the mean expected variance to expiry, times the premium."""
    t = np.maximum(np.asarray(years, np.float64), 1e-9)
    kt = KAPPA * t
    reach = np.where(kt < 1e-6, 1.0 - kt / 2, -np.expm1(-kt) / kt)
    now_var, long_var = (base * np.asarray(mult, np.float64)) ** 2, base * base
    return VRP * np.sqrt(long_var + (now_var - long_var) * reach)


def surface_vol(
    base: float,
    mult: float,
    years: Floats,
    log_moneyness: Floats,
    etf: bool = False,
) -> Floats:
    """Implied vol at each (T, ln(K/F)): the ATM vol times a smile in standardised moneyness
    z = ln(K/F) / (σ_atm √T), σ = σ_atm √(1 + a z + b z²) (a² < 4b keeps it positive)."""
    atm = atm_vol(base, mult, years)
    z = np.clip(log_moneyness / (atm * np.sqrt(years)), -_Z_CAP, _Z_CAP)
    a, b = _SKEW[etf]
    return atm * np.sqrt(1.0 + a * z + b * z * z)


def bs_price(
    is_call: NDArray[np.bool_],
    spot: float,
    strike: Floats,
    years: Floats,
    vol: Floats,
    rate: float,
    dividend: float,
) -> Floats:
    """European Black–Scholes–Merton price per share (the simulator's market makers)."""
    sd = vol * np.sqrt(years)
    fwd = spot * np.exp((rate - dividend) * years)
    d1 = np.log(fwd / strike) / sd + sd / 2
    d2 = d1 - sd
    disc = np.exp(-rate * years)
    call = disc * (fwd * ndtr(d1) - strike * ndtr(d2))
    put = disc * (strike * ndtr(-d2) - fwd * ndtr(-d1))
    return np.maximum(np.where(is_call, call, put), 0.0)


def strike_step(price: float, far: bool) -> float:
    """The listed strike increment near `price` (doubled for far expiries)."""
    step = 0.5 if price < 25 else 1.0 if price < 100 else 2.5 if price < 250 else 5.0
    if price >= 1000:
        step = 10.0
    return step * 2 if far else step


def quote_prices(theo: Floats, spread_mult: float, z: Floats) -> tuple[Floats, Floats]:
    """Bid and ask around the model price: $0.01 ticks under $3 and $0.05 above, a spread
    that widens with the price, the symbol's stock spread and distance from the money. A
    contract worth less than a tick is bid at zero."""
    tick = np.where(theo < 3.0, 0.01, 0.05)
    spread = np.maximum(tick, spread_mult * (0.01 + 0.012 * theo) * (1 + 0.15 * np.abs(z)))
    bid = np.floor((theo - spread / 2) / tick + 1e-9) * tick
    ask = np.ceil((theo + spread / 2) / tick - 1e-9) * tick
    bid = np.round(np.maximum(bid, 0.0), 2)
    ask = np.round(np.maximum(ask, bid + tick), 2)
    return bid, ask


def standardised(log_moneyness: Floats, atm: Floats, years: Floats) -> Floats:
    """ln(K/F) in at-the-money standard deviations."""
    return log_moneyness / (atm * np.sqrt(years))


__all__ = [
    "KAPPA",
    "VRP",
    "atm_vol",
    "bs_price",
    "quote_prices",
    "standardised",
    "strike_step",
    "surface_vol",
]
