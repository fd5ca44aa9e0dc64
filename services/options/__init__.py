"""Options maths: Black–Scholes–Merton prices and greeks, implied volatility, bounds.

Pure numpy/scipy, vectorised. Conventions (bsm.py): T in years (calendar days / 365, to
16:00 ET on the expiry date), theta per calendar day, vega and rho per percentage point,
prices per share, European exercise (American single-stock options priced as European).
"""

from services.options.bsm import (
    AMERICAN_NOTE,
    DAYS_PER_YEAR,
    EXPIRY_TIME,
    Greeks,
    bsm,
    is_call_array,
    parse_kind,
    year_fraction,
)
from services.options.iv import IVResult, bounds, check_inputs, implied_vol

__all__ = [
    "AMERICAN_NOTE",
    "DAYS_PER_YEAR",
    "EXPIRY_TIME",
    "Greeks",
    "IVResult",
    "bounds",
    "bsm",
    "check_inputs",
    "implied_vol",
    "is_call_array",
    "parse_kind",
    "year_fraction",
]
