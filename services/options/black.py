"""Normalised Black: the out-of-the-money call b(x, s) at full double precision.

With F the forward, K the strike, x = ln(F/K) and s = σ√T (the total volatility), an
undiscounted call is √(FK)·b(x, s, call) where

    b(x, s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2).

Every option reduces to an out-of-the-money call (x ≤ 0): a put is a call at −x, and an
in-the-money option is its intrinsic value plus the out-of-the-money one. With u = |x|/s and
t = s/2 the two Φ terms above cancel when u ≫ t (far out of the money) or when t is tiny
(near the money, days to expiry, low vol): a few ulps of each become large errors in b. So:

- u ≥ 4 and t ≤ 1: substituting τ = x²/(2σ²) in b = ∫₀^s ∂b/∂σ dσ gives
  b = |x|/(4√π)·∫_{τ₀}^∞ e^{−τ − x²/(16τ)} τ^{−3/2} dτ with τ₀ = u²/2, a smooth integrand on
  the scale τ₀: Gauss–Laguerre after shifting by τ₀ (16 nodes, fewer as u grows), and
  ln b = −τ₀ + ln(...) never underflows;
- else t < 0.2: the odd Taylor series in t of b = e^{−(u²+t²)/2}/√(2π)·(M(u−t) − M(u+t)),
  M the Mills ratio, whose coefficients I_n(u) = ∫₀^∞ vⁿ e^{−uv − v²/2} dv come by forward
  recurrence (stable for u < 4);
- else the formula above: its terms then differ by 10% or more.

The relative error is then a few ulps times the problem's own condition number 1 + u²
(tested against 40-digit arithmetic). The distance to the upper bound,
c = e^{x/2} − b = e^{x/2}Φ(u − t) + e^{−x/2}Φ(−u − t), is a sum of positive terms, and
∂b/∂s = exp(−(u² + t²)/2)/√(2π) is closed-form.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfcx, ndtr

Array = NDArray[np.float64]

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LAG_FROM_U = 4.0  # Gauss-Laguerre from here (tau0 >= 8)
# Gauss-Laguerre nodes by u: each tier keeps b to a few ulps (tested against 40 digits)
_LAG_TIERS = tuple(
    (u_from, np.polynomial.laguerre.laggauss(nodes))
    for u_from, nodes in ((4.0, 16), (6.0, 10), (8.0, 7), (12.0, 5))
)
_LAG_BELOW_T = 1.0  # beyond it the integrand is less smooth; the direct formula is fine there
_TAYLOR_BELOW_T = 0.2  # above it the direct formula loses < 2 digits to cancellation
_INV_4_SQRT_PI = 0.25 / math.sqrt(math.pi)
_CHUNK = 2048  # rows per Gauss-Laguerre block: (rows, nodes) arrays of at most 256 KB


def otm_direct(x: Array, s: Array) -> Array:
    """b(x, s) by the defining formula: accurate unless |x|/s ≫ s/2."""
    h = x / s
    t = 0.5 * s
    return np.exp(0.5 * x) * ndtr(h + t) - np.exp(-0.5 * x) * ndtr(h - t)


def otm_upper_gap(x: Array, s: Array) -> Array:
    """c = e^{x/2} − b(x, s) for x ≤ 0: the distance to the upper bound, without cancellation."""
    h = x / s
    t = 0.5 * s
    return np.exp(0.5 * x) * ndtr(-h - t) + np.exp(-0.5 * x) * ndtr(h - t)


def _log_laguerre(x: Array, u: Array, nodes: Array, weights: Array) -> Array:
    """ln b by Gauss–Laguerre on the shifted integral (u ≥ 4), with the given nodes."""
    out = np.empty_like(u)
    for a in range(0, u.size, _CHUNK):
        xs, us = x[a : a + _CHUNK], u[a : a + _CHUNK]
        tau0 = 0.5 * us * us
        inv = 1.0 / (tau0[:, None] + nodes)
        g = np.exp((xs * xs * -0.0625)[:, None] * inv) * (inv * np.sqrt(inv))
        out[a : a + _CHUNK] = np.log(np.abs(xs) * _INV_4_SQRT_PI * (g @ weights)) - tau0
    return out


def _taylor_terms(t_max: float) -> int:
    """How many odd terms make t^(2k)/(3·5·…·(2k+1)) < 1e-17 for t ≤ t_max."""
    k, size, t2 = 1, t_max, t_max * t_max
    while size > 1e-17 * max(t_max, 1e-300) and k < 40:
        size *= t2 / (2 * k + 1)
        k += 1
    return k


def _log_taylor(u: Array, t: Array) -> Array:
    """ln b from the odd Taylor series in t (u < 4, t < 0.2)."""
    i_prev = math.sqrt(0.5 * math.pi) * erfcx(u / math.sqrt(2.0))  # I_0 = M(u)
    i_cur = 1.0 - u * i_prev  # I_1
    coef = t.copy()
    total = coef * i_cur
    t2 = t * t
    n = 1
    for _ in range(_taylor_terms(float(t.max())) if t.size else 0):
        i_next = n * i_prev - u * i_cur  # I_{n+1}
        i_prev, i_cur = i_next, (n + 1) * i_cur - u * i_next  # I_{n+2}
        coef = coef * t2 / ((n + 1) * (n + 2))
        total = total + coef * i_cur
        n += 2
    return -0.5 * (u * u + t2) - LOG_SQRT_2PI + np.log(2.0 * total)


def log_otm(x: Array, s: Array) -> Array:
    """ln b(x, s) for x ≤ 0 and s > 0 (1-D arrays of one shape), to a few ulps times u²."""
    u = -x / s
    t = 0.5 * s
    out = np.empty_like(u)
    far = (u >= _LAG_FROM_U) & (t <= _LAG_BELOW_T)
    near = ~far & (t < _TAYLOR_BELOW_T)  # so u < 4
    rest = np.flatnonzero(~(far | near))
    if rest.size:
        out[rest] = np.log(otm_direct(x[rest], s[rest]))
    tiny_t = near & (t < 0.03)  # about half the Taylor terms
    for mask in (near & ~tiny_t, tiny_t):
        i = np.flatnonzero(mask)
        if i.size:
            out[i] = _log_taylor(u[i], t[i])
    far_i = np.flatnonzero(far)
    if far_i.size:
        tier = np.searchsorted([u_from for u_from, _ in _LAG_TIERS[1:]], u[far_i], side="right")
        for k, (_, nodes) in enumerate(_LAG_TIERS):
            i = far_i[tier == k]
            if i.size:
                out[i] = _log_laguerre(x[i], u[i], *nodes)
    return out


def otm(x: Array, s: Array) -> Array:
    """b(x, s) for x ≤ 0 and s ≥ 0 (1-D arrays of one shape); 0 at s = 0."""
    out = np.zeros(np.shape(x))
    pos = s > 0
    if pos.any():
        out[pos] = np.exp(log_otm(x[pos], s[pos]))
    return out
