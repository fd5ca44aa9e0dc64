"""Options maths: implied vol and greeks for 1,000,000 contracts, the worst reprice error
over a grid, and peers in the same run.

Pure core only (services.options). The contracts are a random grid: spot 100, moneyness
K/S 0.5–2, T 1 day–3 years, vol 5%–300% (all log-uniform), rate 0–5%, dividend 0–3%, calls
and puts. Throughput is the best of REPEATS wall times, on one thread and on two threads
(numpy releases the GIL; the machine may be shared, so the load average is shown). The
reprice error is |bsm(implied_vol(P)) − P| per share; the grid (moneyness 0.5–2, 1 day–3
years, vol 5%–300%, spot 100) is the issue's. Peers on PEER_N of the same contracts: a
scipy `brentq` loop over a plain-Python Black–Scholes price, and `py_lets_be_rational`
(Jäckel's algorithm in pure Python) when it is importable; it is not a dependency.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import _common as c
import numpy as np

N = 1_000_000
REPEATS = 3
PEER_N = 2_000
TARGET_IV_PER_S = 2_000_000
TARGET_REPRICE_ABS = 1e-9


def _contracts(n: int, seed: int = 16) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def log_uniform(lo: float, hi: float) -> np.ndarray:
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))

    return {
        "kind": rng.random(n) < 0.5,  # True = call
        "spot": np.full(n, 100.0),
        "strike": 100.0 / log_uniform(0.5, 2.0),
        "years": log_uniform(1 / 365, 3.0),
        "vol": log_uniform(0.05, 3.0),
        "rate": rng.uniform(0.0, 0.05, n),
        "dividend": rng.uniform(0.0, 0.03, n),
    }


def _best(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """(best wall seconds, the last result)."""
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _on_threads(fn: Callable[..., Any], cols: list[np.ndarray], workers: int) -> None:
    """fn over pieces of the columns on `workers` threads."""
    pieces = np.array_split(np.arange(cols[0].size), 8 * workers)
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(lambda i: fn(*(col[i] for col in cols)), pieces))


def _reprice_errors(kind: np.ndarray, price: np.ndarray, a: dict[str, np.ndarray]) -> dict:
    from services.options import bsm, implied_vol

    args = (a["spot"], a["strike"], a["years"])
    res = implied_vol(kind, price, *args, a["rate"], a["dividend"])
    ok = res.reason == ""
    again = bsm(kind, *args, np.where(ok, res.iv, 0.0), a["rate"], a["dividend"]).price
    err = np.abs(again - price)[ok]
    pos = price[ok] > 0
    return {
        "contracts": int(price.size),
        "no_iv": int((~ok).sum()),
        "at_intrinsic_iv_0": int((res.iv == 0).sum()),
        "worst_abs": float(err.max()),
        "worst_rel": float((err[pos] / price[ok][pos]).max()),
    }


def _grid() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    m, t, v, call = np.meshgrid(
        np.geomspace(0.5, 2.0, 61),
        np.geomspace(1 / 365, 3.0, 41),
        np.geomspace(0.05, 3.0, 41),
        [True, False],
        indexing="ij",
    )
    n = m.size
    a = {
        "spot": np.full(n, 100.0),
        "strike": 100.0 * m.ravel(),
        "years": t.ravel(),
        "vol": v.ravel(),
        "rate": np.full(n, 0.04),
        "dividend": np.full(n, 0.015),
    }
    from services.options import bsm

    price = bsm(call.ravel(), a["spot"], a["strike"], a["years"], a["vol"], 0.04, 0.015).price
    return call.ravel(), price, a


def _bs_scalar(call: bool, s: float, k: float, t: float, v: float, r: float, q: float) -> float:
    """Black–Scholes–Merton in plain Python (the brentq peer's pricer)."""
    sq = v * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / sq
    d2 = d1 - sq
    sign = 1.0 if call else -1.0
    n1 = 0.5 * math.erfc(-sign * d1 / math.sqrt(2.0))
    n2 = 0.5 * math.erfc(-sign * d2 / math.sqrt(2.0))
    return sign * (s * math.exp(-q * t) * n1 - k * math.exp(-r * t) * n2)


def _brentq_peer(kind: np.ndarray, price: np.ndarray, a: dict[str, np.ndarray]) -> dict:
    from scipy.optimize import brentq

    failures, worst = 0, 0.0
    t0 = time.perf_counter()
    for i in range(price.size):
        row = (bool(kind[i]), a["spot"][i], a["strike"][i], a["years"][i])
        r, q, p = a["rate"][i], a["dividend"][i], price[i]
        try:
            v = brentq(lambda v, row=row, r=r, q=q, p=p: _bs_scalar(*row, v, r, q) - p, 1e-6, 10.0,
                       xtol=1e-15, rtol=8.9e-16, maxiter=200)  # fmt: skip
        except (ValueError, RuntimeError):
            failures += 1
            continue
        worst = max(worst, abs(_bs_scalar(*row, v, r, q) - p))
    dt = time.perf_counter() - t0
    return {
        "contracts": int(price.size),
        "us_per_iv": c.rnd(dt / price.size * 1e6, 2),
        "failures": failures,
        "worst_abs": float(worst),
    }


def _lets_be_rational_peer(kind: np.ndarray, price: np.ndarray, a: dict[str, np.ndarray]) -> Any:
    try:
        from py_lets_be_rational import implied_volatility_from_a_transformed_rational_guess as lbr
    except ImportError:
        return "not installed"
    from services.options import bsm

    t, r, q = a["years"], a["rate"], a["dividend"]
    fwd = a["spot"] * np.exp((r - q) * t)
    undiscounted = price * np.exp(r * t)
    ivs = np.full(price.size, np.nan)
    failures = 0
    t0 = time.perf_counter()
    for i in range(price.size):
        try:  # it raises where a price lost its time value to rounding (deep in the money)
            ivs[i] = lbr(undiscounted[i], fwd[i], a["strike"][i], t[i], 1.0 if kind[i] else -1.0)
        except Exception:
            failures += 1
    dt = time.perf_counter() - t0
    ok = np.isfinite(ivs)
    cols = [a[k][ok] for k in ("spot", "strike", "years")]
    back = np.asarray(bsm(kind[ok], *cols, ivs[ok], r[ok], q[ok]).price)
    return {
        "contracts": int(price.size),
        "us_per_iv": c.rnd(dt / price.size * 1e6, 2),
        "failures": failures,
        "worst_abs": float(np.max(np.abs(back - price[ok]))) if ok.any() else None,
    }


def measure(n: int = N) -> dict[str, object]:
    from services.options import bsm, implied_vol

    a = _contracts(n)
    kind = a["kind"]
    inputs = [a["spot"], a["strike"], a["years"], a["vol"], a["rate"], a["dividend"]]
    bsm(kind[:1000], *(x[:1000] for x in inputs))  # warm up
    greeks_s, greeks = _best(lambda: bsm(kind, *inputs))
    price = np.asarray(greeks.price)
    iv_cols = [kind, price, a["spot"], a["strike"], a["years"], a["rate"], a["dividend"]]
    iv_s, res = _best(lambda: implied_vol(*iv_cols))
    iv2_s, _ = _best(lambda: _on_threads(implied_vol, iv_cols, 2))
    greeks2_s, _ = _best(lambda: _on_threads(bsm, [kind, *inputs], 2))
    sample = np.random.default_rng(3).choice(n, PEER_N, replace=False)
    peer_args = {k: v[sample] for k, v in a.items()}
    grid_kind, grid_price, grid_args = _grid()
    return {
        "contracts": n,
        "iv_per_s": round(n / min(iv_s, iv2_s)),
        "iv_per_s_1_thread": round(n / iv_s),
        "iv_per_s_2_threads": round(n / iv2_s),
        "iv_ns_per_contract_1_thread": c.rnd(iv_s / n * 1e9, 1),
        "greeks_per_s": round(n / min(greeks_s, greeks2_s)),
        "greeks_per_s_1_thread": round(n / greeks_s),
        "greeks_per_s_2_threads": round(n / greeks2_s),
        "iv_failures": int((res.reason != "").sum()),
        "reprice_random": _reprice_errors(kind, price, a),
        "reprice_grid": _reprice_errors(grid_kind, grid_price, grid_args),
        "peers": {
            "brentq": _brentq_peer(kind[sample], price[sample], peer_args),
            "py_lets_be_rational": _lets_be_rational_peer(kind[sample], price[sample], peer_args),
        },
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    figures = measure()
    grid = figures["reprice_grid"]
    assert isinstance(grid, dict)
    ok = (
        int(figures["iv_per_s"]) >= TARGET_IV_PER_S  # type: ignore[call-overload]
        and grid["worst_abs"] <= TARGET_REPRICE_ABS
        and grid["no_iv"] == 0
        and figures["iv_failures"] == 0
    )
    targets = {
        "iv_per_s": f">= {TARGET_IV_PER_S}",
        "reprice_grid.worst_abs": f"<= {TARGET_REPRICE_ABS}",
    }
    c.emit("options", figures, targets, ok)


if __name__ == "__main__":
    main()
