"""Implied volatility: a vectorised solver that reprices to machine precision.

Conventions are bsm.py's (T in years, prices per share, European exercise). The accuracy
reference is Peter Jäckel's "Let's Be Rational"; this is our own construction:

1. Normalise (Black, forward terms): x = ln(F/K), β = price / (e^{−rT} √(FK)). Put–call
   symmetry and "in the money = intrinsic + out of the money" reduce every contract to an
   out-of-the-money call b(x, s) = β with x ≤ 0 and s = σ√T (black.py evaluates b to a few
   ulps, including the far wings where it is 1e-300).
2. Start: s_c = √(2|x|) is b's inflection point and b(x, s_c) has a closed form. Below it,
   start from the smaller of the lower asymptote b ≈ 2π|x|/√27·Φ(−|x|/(√3 s))³ and the
   tangent at s_c (both overshoot but near the money), never below √(2π)·β (b(x, s) ≤
   s/√(2π) always); above it, from the upper asymptote e^{x/2} − b ≈ 2cosh(x/2)Φ(−s/2),
   which overshoots, while the tangent undershoots and bounds s from below.
3. Third-order Householder steps on ln b − ln β (or, for β > e^{x/2}/2, on ln(e^{x/2} − β)
   − ln(e^{x/2} − b), so prices near the upper bound keep their digits), with analytic
   derivatives of b, scaled by s so nothing overflows, and a bracket that every evaluation
   narrows: a step leaving it becomes a Newton step in ln s, else a bisection, so it never
   diverges. An element whose relative residual is below 1e-4 takes one last step and
   stops (quartic convergence leaves ~1e-17: measured, not assumed, in
   tests/unit/test_options_iv.py); on a random 1,000,000-contract grid that is 2.2
   evaluations of b per contract. Converged elements drop out; blocks of 32,768 contracts
   keep numpy's temporaries in cache; there is no Python loop over contracts.

A price outside the no-arbitrage bounds gives NaN and a reason. A price at the lower bound
(no time value, to rounding) gives 0; at the upper bound, NaN (no finite vol).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

from services.options.black import LOG_SQRT_2PI, log_otm, otm_upper_gap
from services.options.bsm import Kind, is_call_array

Array = NDArray[np.float64]

_EPS = float(np.finfo(np.float64).eps)
_BOUND_ULPS = 16.0  # a price this many ulps past a bound is at it (rounding), not past it
_STOP = 1e-4  # a residual r below it is ~r⁴/10 < 1e-17 after one more step
_BLOCK = 1 << 15  # contracts per block: 256 KB arrays stay in cache and in the heap
_MAX_STEPS = 30  # never reached in the tests; an element still moving then is reported
_SQRT3 = math.sqrt(3.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOWER_SCALE = math.sqrt(27.0) / (2.0 * math.pi)


@dataclass(frozen=True)
class IVResult:
    """Implied vols and why not, of the inputs' broadcast shape (0-d arrays for scalars).

    `iv`: annualised decimal; 0 for a price at its lower bound (no time value, to rounding:
    bsm gives the zero-vol limit there); NaN where there is none. `reason` (dtype object):
    "" where ok, else a sentence such as "below intrinsic value 5.00", "above the upper
    bound 100.00", "at the upper bound 100.00: no finite implied vol", "time must be > 0".
    """

    iv: np.ndarray
    reason: np.ndarray


def check_inputs(spot: Any, strike: Any, years: Any, vol: Any = None) -> str | None:
    """A sentence saying what is wrong with these scalar inputs, or None when they are fine."""
    named = [("spot", spot), ("strike", strike), ("time to expiry", years)]
    if vol is not None:
        named.append(("vol", vol))
    for name, value in named:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{name} must be a number, got {value!r}"
        if math.isnan(v) or math.isinf(v):
            return f"{name} must be a finite number, got {value!r}"
        if v <= 0:
            if name == "time to expiry":
                return f"time to expiry must be > 0 (got {v:g} years): the option has expired"
            if name == "vol":
                return f"vol must be > 0 (a decimal: 0.2 means 20%), got {v:g}"
            return f"{name} must be > 0, got {v:g}"
    return None


def bounds(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    rate: ArrayLike = 0.0,
    dividend: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) no-arbitrage bounds of a European option's price per share.

    Lower: the discounted forward intrinsic max(±(S·e^{−qT} − K·e^{−rT}), 0); upper: S·e^{−qT}
    for a call, K·e^{−rT} for a put.
    """
    c, s, k, t, r, q = np.broadcast_arrays(is_call_array(kind), spot, strike, years, rate, dividend)
    with np.errstate(all="ignore"):
        fwd = s * np.exp(-np.asarray(q, np.float64) * t)
        disc_k = k * np.exp(-np.asarray(r, np.float64) * t)
        lower = np.maximum(np.where(c, fwd - disc_k, disc_k - fwd), 0.0)
    return lower, np.where(c, fwd, disc_k)


def implied_vol(
    kind: Kind,
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    rate: ArrayLike = 0.0,
    dividend: ArrayLike = 0.0,
) -> IVResult:
    """Black–Scholes–Merton implied volatility (annualised decimal) of each price.

    `kind` is "call"/"put", an array of them, or bools (True = call); all arguments
    broadcast together and the result has their common shape (0-d for scalars).
    """
    calls = is_call_array(kind)
    values = (price, spot, strike, years, rate, dividend)
    shape = np.broadcast_shapes(calls.shape, *(np.shape(v) for v in values))
    c = np.broadcast_to(calls, shape).ravel()
    cols = [np.broadcast_to(np.asarray(v, np.float64), shape).ravel() for v in values]
    n = c.size
    iv = np.empty(n)
    reason = np.empty(n, dtype=object)
    for a in range(0, n, _BLOCK):
        part = slice(a, a + _BLOCK)
        iv[part], reason[part] = _implied_block(c[part], *(col[part] for col in cols))
    return IVResult(iv=iv.reshape(shape), reason=reason.reshape(shape))


def _implied_block(
    c: NDArray[np.bool_], p: Array, s: Array, k: Array, t: Array, r: Array, q: Array
) -> tuple[Array, NDArray[np.object_]]:
    """implied_vol on one block of flat arrays (blocks keep the temporaries in cache)."""
    n = p.size
    iv = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    problems = (
        (~((s > 0) & np.isfinite(s)), "spot must be > 0"),
        (~((k > 0) & np.isfinite(k)), "strike must be > 0"),
        (~((t > 0) & np.isfinite(t)), "time must be > 0"),
        (~np.isfinite(r), "rate must be a number"),
        (~np.isfinite(q), "dividend must be a number"),
        (~np.isfinite(p), "price must be a number"),
    )
    bad = np.zeros(n, bool)
    for mask, text in problems:
        if mask.any():
            reason[mask & ~bad] = text
            bad |= mask
    with np.errstate(all="ignore"):
        fwd = s * np.exp(-q * t)  # S·e^{−qT}
        disc_k = k * np.exp(-r * t)  # K·e^{−rT}
        lower = np.maximum(np.where(c, fwd - disc_k, disc_k - fwd), 0.0)
        upper = np.where(c, fwd, disc_k)
        slack = _BOUND_ULPS * _EPS * np.maximum(lower, np.abs(p))
        below = ~bad & (p < lower - slack)
        above = ~bad & (p >= upper - slack)
    for i in np.flatnonzero(below):
        reason[i] = f"below intrinsic value {lower[i]:.2f}"
    for i in np.flatnonzero(above):
        reason[i] = (
            f"above the upper bound {upper[i]:.2f}"
            if p[i] > upper[i] + slack[i]
            else f"at the upper bound {upper[i]:.2f}: no finite implied vol"
        )
    ok = np.flatnonzero(~(bad | below | above))
    if ok.size == 0:
        return iv, reason
    fwd, disc_k, t = fwd[ok], disc_k[ok], t[ok]
    # normalised: x = ln(F/K), the out-of-the-money part β = (price − intrinsic)/(e^{−rT}√(FK))
    x = -np.abs(np.log(fwd / disc_k))
    beta = (p[ok] - lower[ok]) / np.sqrt(fwd * disc_k)
    total = np.zeros(ok.size)  # at the lower bound (no time value): vol 0
    top = np.flatnonzero(beta >= np.exp(0.5 * x))  # the upper bound, after rounding
    for i in top:
        reason[ok[i]] = f"at the upper bound {upper[ok[i]]:.2f}: no finite implied vol"
    total[top] = np.nan
    live = np.flatnonzero((beta > 0) & (beta < np.exp(0.5 * x)))
    if live.size:
        total[live], failed = solve_otm(x[live], beta[live])
        reason[ok[live[failed]]] = "the solver did not converge"
    iv[ok] = total / np.sqrt(t)
    return iv, reason


def solve_otm(x: Array, beta: Array) -> tuple[Array, NDArray[np.bool_]]:
    """(s, failed): the total vol s = σ√T with b(x, s) = β, for x ≤ 0 and 0 < β < e^{x/2}."""
    ax = -x
    sc = np.sqrt(2.0 * ax)  # the inflection point
    bmax = np.exp(0.5 * x)  # the upper bound
    bc = 0.5 * bmax - ndtr(-sc) / bmax  # b(x, s_c)
    low = beta < bc
    s0, hi = np.empty_like(beta), np.full_like(beta, np.inf)
    lo = _SQRT_2PI * beta  # b(x, s) ≤ b(0, s) ≤ s/√(2π) (near the money with tiny s, ≈ s)
    with np.errstate(all="ignore"):
        tangent = sc + (beta - bc) * _SQRT_2PI / bmax  # b'(x, s_c) = e^{x/2}/√(2π)
        i = np.flatnonzero(low)  # both starts overshoot
        if i.size:
            z = np.minimum(np.cbrt(_LOWER_SCALE * beta[i] / ax[i]), 0.5)
            s_low = ax[i] / (_SQRT3 * -ndtri(z))
            s0[i] = np.maximum(np.minimum(np.minimum(s_low, tangent[i]), sc[i]), lo[i])
            hi[i] = 1.01 * sc[i] + 1e-300  # generous: b(x, s_c) is rounded
        j = np.flatnonzero(~low)  # the upper asymptote overshoots, the tangent undershoots
        if j.size:
            bj = bmax[j]
            lo[j] = np.maximum(lo[j], 0.99 * np.maximum(sc[j], tangent[j]))
            s_up = -2.0 * ndtri(np.minimum((bj - beta[j]) / (bj + 1.0 / bj), 0.5))
            s0[j] = np.maximum(s_up, lo[j])  # s_up loses a tiny β to 1 − β
    odd = np.flatnonzero(~((s0 >= lo) & (s0 < hi)))
    s0[odd] = np.where(np.isfinite(hi[odd]), 0.5 * (lo[odd] + hi[odd]), 2.0 * lo[odd] + 1.0)
    gap = beta > 0.5 * bmax
    out = np.empty_like(beta)
    failed = np.zeros(beta.shape, bool)
    for g, on_gap in ((np.flatnonzero(~gap), False), (np.flatnonzero(gap), True)):
        if g.size:
            target = np.log(bmax[g] - beta[g] if on_gap else beta[g])
            out[g], failed[g] = _householder(x[g], target, s0[g], lo[g], hi[g], on_gap)
    return out, failed


def _householder(
    x: Array, target: Array, s: Array, lo: Array, hi: Array, on_gap: bool
) -> tuple[Array, NDArray[np.bool_]]:
    """Safeguarded third-order Householder steps on ln b − ln β (or, `on_gap`, on
    ln(e^{x/2} − β) − ln(e^{x/2} − b)); `target` is ln β (or ln(e^{x/2} − β)).

    Elements whose residual is below _STOP take that last step and are done (their output
    is set; they may take further, harmless steps until a quarter or more of the remaining
    elements are done and the arrays shrink).
    """
    out = np.full_like(s, np.nan)
    finished = np.zeros(s.shape, bool)
    idx = np.arange(s.size)
    x, s, lo, hi = x.copy(), s.copy(), lo.copy(), hi.copy()
    sign = 1.0 if on_gap else -1.0  # the objective's f''/f' = b''/b' + sign·rate, and so on
    for _ in range(_MAX_STEPS):
        h = x / s
        h2 = h * h
        log_dbds = -0.5 * (h2 + 0.25 * s * s) - LOG_SQRT_2PI  # ln ∂b/∂s
        if on_gap:
            lf = np.log(otm_upper_gap(x, s))
            resid = target - lf  # > 0 when b(s) > β: s too high
        else:
            lf = log_otm(x, s)
            resid = lf - target
        # in units of s, so nothing overflows at s = 1e-300: the elasticity s·f' (f' = b'/b
        # or b'/(e^{x/2} − b)), s·b''/b', s² times b's third derivative over b', and the step / s
        el = np.exp(log_dbds - lf + np.log(s))
        g2 = h2 - 0.25 * s * s
        g3 = g2 * g2 - 3.0 * h2 - 0.25 * s * s
        gamma = g2 + sign * el
        delta = g3 + el * (3.0 * sign * g2 + 2.0 * el)
        nu = -resid / el
        with np.errstate(all="ignore"):
            new = s * (
                1.0 + nu * (1.0 + 0.5 * gamma * nu) / (1.0 + nu * (gamma + delta * nu / 6.0))
            )
        high = resid > 0
        np.minimum(hi, s, out=hi, where=high)
        np.maximum(lo, s, out=lo, where=~high)
        inside = (new >= lo) & (new <= hi)  # False for NaN too
        wild = np.flatnonzero(~inside)
        if wild.size:  # a Newton step in ln s instead, else bisect (in ln s when possible)
            lw, hw, sw = lo[wild], hi[wild], s[wild]
            with np.errstate(all="ignore"):
                alt = sw * np.exp(np.clip(nu[wild], -700.0, 700.0))
            mid = np.where(np.isfinite(hw), np.where(lw > 0, np.sqrt(lw * hw), 0.5 * hw), 2.0 * sw)
            new[wild] = np.where((alt > lw) & (alt < hw), alt, mid)
        # done: a small residual and a step inside the bracket, or a bracket closed to ulps
        done = ((np.abs(resid) <= _STOP) & inside) | (hi - lo <= 4.0 * _EPS * s)
        s = new
        n_done = int(np.count_nonzero(done))
        if n_done:
            out[idx[done]] = s[done]
            finished[idx[done]] = True
            if n_done == idx.size:
                break
            if 4 * n_done >= idx.size:
                keep = ~done
                idx, x, s, lo, hi, target = (a[keep] for a in (idx, x, s, lo, hi, target))
    out[~finished] = np.nan  # still moving after _MAX_STEPS
    return out, ~finished
