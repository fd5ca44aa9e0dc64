"""The functional core of chains: OCC symbols, our IV and greeks over a chain, picking the
expiry and the strikes, the constant-maturity (30-day) IV, IV rank and percentile."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.options import OptionChain, OptionRow, is_occ, normal_occ, occ_symbol, parse_occ
from services.options.bsm import bsm, year_fraction
from services.options.chain import (
    atm_iv,
    bracketing,
    constant_maturity_iv,
    pick_expiry,
    price_chain,
    select,
)
from services.options.iv_rank import hv_series, iv_rank, rank_and_percentile

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 10:00 ET
E1, E2 = date(2026, 12, 31), date(2027, 2, 19)

# ----------------------------------------------------------------------------- OCC symbols


@given(
    root=st.from_regex(r"[A-Z]{1,6}", fullmatch=True),
    expiry=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    kind=st.sampled_from(["call", "put"]),
    mills=st.integers(1, 99_999_999),
)
def test_occ_symbols_round_trip_in_both_forms(
    root: str, expiry: date, kind: str, mills: int
) -> None:
    strike = mills / 1000
    plain = occ_symbol(root, expiry, kind, strike)  # type: ignore[arg-type]
    padded = occ_symbol(root, expiry, kind, strike, padded=True)  # type: ignore[arg-type]
    assert len(padded) == 21 and padded[:6] == root.ljust(6)
    for s in (plain, padded):
        p = parse_occ(s)
        assert (p.root, p.expiry, p.type, p.strike) == (root, expiry, kind, strike)
        assert normal_occ(s) == plain and is_occ(s)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "AAPL",
        "AAPL251340C00100000",
        "AAPL250620X00100000",
        "aapl 250620C001",
        "1AAPL250620C00100000",
    ],
)
def test_not_an_occ_symbol_is_refused(bad: str) -> None:
    assert not is_occ(bad)
    with pytest.raises(ValueError):
        parse_occ(bad)


def test_tastytrade_padded_roots_parse() -> None:
    assert parse_occ("F     270115C00012500").strike == 12.5
    assert normal_occ("SPXW  261218P05000000") == "SPXW261218P05000000"


# ----------------------------------------------------------------------------- pricing a chain
def chain(
    vol: float = 0.25, spot: float = 100.0, rate: float = 0.04, q: float = 0.01
) -> OptionChain:
    rows = []
    for e in (E1, E2):
        t = year_fraction(NOW, e)
        for k in range(80, 121, 5):
            for kind in ("call", "put"):
                p = float(bsm(kind, spot, k, t, vol, rate, q).price)
                rows.append(
                    OptionRow(
                        occ_symbol("XYZ", e, kind, k), kind, float(k), e,  # type: ignore[arg-type]
                        bid=p - 0.01, ask=p + 0.01, open_interest=10,
                    )
                )  # fmt: skip
    return OptionChain.from_rows("XYZ", rows, source="test", simulated=True, as_of=NOW)


def test_our_iv_finds_the_vol_the_quotes_were_priced_at() -> None:
    p = price_chain(chain(0.25), 100.0, NOW, 0.04, 0.01)
    quoted = p.chain.bid > 0
    assert quoted.sum() > 0.9 * len(p.chain)
    assert np.allclose(p.iv[quoted], 0.25, atol=2e-3)
    assert (p.reason[~quoted] == "no bid").all() and np.isnan(p.iv[~quoted]).all()
    assert (p.dte[p.chain.expiry == np.datetime64(E1)] == 27).all()
    calls, puts = p.chain.is_call & quoted, ~p.chain.is_call & quoted
    assert ((p.delta[calls] > 0) & (p.delta[calls] < 1)).all() and (p.delta[puts] < 0).all()
    assert (p.vega[quoted] > 0).all() and np.isnan(p.delta[~quoted]).all()


def test_no_two_sided_quote_means_no_iv_and_says_why() -> None:
    rows = [
        OptionRow("XYZ261231C00100000", "call", 100.0, E1, bid=0.0, ask=0.05),
        OptionRow("XYZ261231C00105000", "call", 105.0, E1),
        OptionRow("XYZ261231C00110000", "call", 110.0, E1, bid=2.0, ask=1.0),
        OptionRow("XYZ261231C00080000", "call", 80.0, E1, bid=0.5, ask=0.6),  # below intrinsic
    ]
    c = OptionChain.from_rows("XYZ", rows, source="t", simulated=False, as_of=NOW)
    p = price_chain(c, 100.0, NOW, 0.04, 0.0)
    reasons = dict(zip(c.symbols, p.reason.tolist(), strict=True))
    assert np.isnan(p.iv).all() and np.isnan(p.delta).all()
    assert reasons["XYZ261231C00100000"] == "no bid"
    assert reasons["XYZ261231C00105000"] == "no quote"
    assert reasons["XYZ261231C00110000"] == "crossed quote"
    assert "below" in reasons["XYZ261231C00080000"]


def test_pick_expiry_exact_nearest_and_missing() -> None:
    listed = [date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 15), date(2027, 3, 19)]
    today = date(2026, 12, 4)
    assert pick_expiry(listed, today, on=date(2027, 1, 15)) == date(2027, 1, 15)
    assert pick_expiry(listed, today, dte=10) == date(2026, 12, 11)  # 7 days beats 14
    assert pick_expiry(listed, today) == date(2027, 1, 15)  # nearest 30 days
    assert pick_expiry(listed, today, dte=0) == date(2026, 12, 11)
    with pytest.raises(ValueError, match="nearest are 2026-12-11 or 2026-12-18"):
        pick_expiry(listed, today, on=date(2026, 12, 25))


def test_select_near_the_money_and_near_a_delta() -> None:
    p = price_chain(chain(), 100.0, NOW, 0.04, 0.01)
    rows, nearest = select(p, E1, "puts", None, 3)
    assert p.chain.strike[rows].tolist() == [95.0, 100.0, 105.0] and nearest.size == 0
    assert not p.chain.is_call[rows].any()
    rows, nearest = select(p, E1, None, 0.25, 3)
    assert len(nearest) == 2  # one per type
    for i in nearest.tolist():
        others = np.flatnonzero(
            (p.chain.expiry == np.datetime64(E1)) & (p.chain.is_call == p.chain.is_call[i])
        )
        assert abs(abs(p.delta[i]) - 0.25) == pytest.approx(
            np.nanmin(np.abs(np.abs(p.delta[others]) - 0.25))
        )
        assert i in rows.tolist()


def test_atm_iv_and_the_30_day_point() -> None:
    p = price_chain(chain(0.3), 100.0, NOW, 0.04, 0.01)
    assert atm_iv(p, E1) == pytest.approx(0.3, abs=2e-3)
    # total variance is linear in T between the points; flat vol outside
    assert constant_maturity_iv([(0.05, 0.2), (0.15, 0.4)], 0.1) == pytest.approx(
        math.sqrt((0.2**2 * 0.05 + 0.4**2 * 0.15) / 2 / 0.1)
    )
    assert constant_maturity_iv([(0.05, 0.2), (0.15, 0.4)], 0.01) == 0.2
    assert constant_maturity_iv([(0.05, 0.2), (0.15, 0.4)], 1.0) == 0.4
    assert math.isnan(constant_maturity_iv([], 0.1))
    today = date(2026, 12, 4)
    listed = [today + timedelta(days=d) for d in (7, 21, 35, 63)]
    assert bracketing(listed, today) == [listed[1], listed[2]]
    assert bracketing(listed[:1], today) == listed[:1]


@given(
    v0=st.floats(0.05, 3.0), v1=st.floats(0.05, 3.0),
    t0=st.floats(0.01, 1.0), dt=st.floats(0.01, 1.0), w=st.floats(0.0, 1.0),
)  # fmt: skip
def test_interpolated_iv_lies_between_its_points_when_variance_grows(
    v0: float, v1: float, t0: float, dt: float, w: float
) -> None:
    t1 = t0 + dt
    if v1 * v1 * t1 < v0 * v0 * t0:  # calendar arbitrage: total variance must grow
        return
    v = constant_maturity_iv([(t0, v0), (t1, v1)], t0 + w * dt)
    lo, hi = min(v0, v1), max(v0, v1)
    assert lo - 1e-9 <= v <= hi + 1e-9 or (w in (0.0, 1.0))


# ----------------------------------------------------------------------------- IV rank
def test_rank_and_percentile_follow_tastytrades_definitions() -> None:
    history = [0.20, 0.30, 0.40, 0.25, 0.35]
    rank, pct, low, high = rank_and_percentile(history, 0.32)
    assert (low, high) == (0.20, 0.40)
    assert rank == pytest.approx(100 * (0.32 - 0.20) / (0.40 - 0.20))
    assert pct == pytest.approx(100 * 3 / 5)  # 0.20, 0.30, 0.25 are below
    assert rank_and_percentile(history, 0.5)[:2] == (100.0, 100.0)  # a new high
    assert rank_and_percentile([0.3, 0.3], 0.3)[0] == 0.0  # a flat range


@given(st.lists(st.floats(0.01, 5.0), min_size=1, max_size=300), st.floats(0.01, 5.0))
def test_rank_and_percentile_stay_in_range(history: list[float], today: float) -> None:
    rank, pct, low, high = rank_and_percentile(history, today)
    assert 0 <= rank <= 100 and 0 <= pct <= 100 and low <= today <= high


def test_measured_iv_wins_and_the_proxy_fills_the_rest() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(300)]
    measured = {d: 0.3 for d in days[-10:]}
    proxy = {d: 0.2 for d in days}
    r = iv_rank(0.25, measured, proxy, days)
    assert r is not None
    assert (r.iv_days, r.proxy_days, r.days, r.basis) == (10, 242, 252, "iv+hv_proxy")
    assert "10 days of IV and 242 of a 20-day historical-vol proxy" in r.describe()
    assert iv_rank(float("nan"), measured, proxy, days) is None
    assert iv_rank(0.3, {}, {}, days) is None
    only = iv_rank(0.25, {d: 0.3 for d in days}, {}, days)
    assert only is not None and only.basis == "iv" and only.days == 252


def test_hv_series_is_the_rolling_annualised_deviation() -> None:
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    hv = hv_series(closes.tolist(), 20)
    r = np.diff(np.log(closes))
    assert np.isnan(hv[:20]).all()
    assert hv[20] == pytest.approx(np.std(r[:20], ddof=1) * math.sqrt(252))
    assert hv[-1] == pytest.approx(np.std(r[-20:], ddof=1) * math.sqrt(252))
