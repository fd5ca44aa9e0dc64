"""Option strategies, the pure part (issue 17's groundwork): the payoff at expiry with its
max profit, max loss, breakevens and probability of profit, and the seed rules' search for
the best bull put spread, cash-secured put and iron condor on a chain."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains
from services.options.chain import PricedChain, price_chain
from services.options.payoff import LegSpec, payoff, prob_of_profit, profile
from services.options.strategies import (
    RULES,
    STRATEGY_NAMES,
    Liquidity,
    StrategyRules,
    UnderlyingRules,
    liquidity_problem,
    select,
    underlying_problems,
)

NOW = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # Thursday 14:00 ET: a day's volume traded

# ----------------------------------------------------------------------------- payoff


@given(
    k=st.floats(20, 500), width=st.sampled_from([1.0, 2.5, 5.0, 10.0]),
    credit=st.floats(0.05, 0.95),
)  # fmt: skip
def test_a_bull_put_spread_adds_up(k: float, width: float, credit: float) -> None:
    c = credit * width
    legs = [LegSpec("put", k, "sell"), LegSpec("put", k - width, "buy")]
    p = profile(legs, c)
    assert p.max_profit == pytest.approx(c)
    assert p.max_loss == pytest.approx(width - c)
    assert p.breakevens == pytest.approx((k - c,))
    assert payoff(legs, c, k + 50) == pytest.approx(c)
    assert payoff(legs, c, max(k - width - 1, 0.0)) == pytest.approx(c - width)


@given(
    legs=st.lists(
        st.builds(
            LegSpec,
            st.sampled_from(["call", "put"]),
            st.floats(10, 200).map(lambda x: round(x, 1)),
            st.sampled_from(["buy", "sell"]),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=4,
    ),
    credit=st.floats(-20, 20),
)
def test_the_profile_bounds_the_payoff_and_breakevens_are_zeros(
    legs: list[LegSpec], credit: float
) -> None:
    p = profile(legs, credit)
    grid = np.linspace(0, 400, 4001)
    values = payoff(legs, credit, grid)
    assert values.max() <= p.max_profit + 1e-9 and -values.min() <= p.max_loss + 1e-9
    for b in p.breakevens:
        assert payoff(legs, credit, b) == pytest.approx(0, abs=1e-7)
    sign_changes = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
    for i in sign_changes:  # every crossing on the grid is a breakeven
        assert any(grid[i] - 1e-6 <= b <= grid[i + 1] + 1e-6 for b in p.breakevens)
    pop = prob_of_profit(legs, credit, 100.0, 0.1, 0.3)
    assert 0.0 <= pop <= 1.0


def test_an_iron_condor_and_a_cash_secured_put_add_up() -> None:
    ic = [
        LegSpec("put", 95, "buy"),
        LegSpec("put", 100, "sell"),
        LegSpec("call", 110, "sell"),
        LegSpec("call", 115, "buy"),
    ]
    p = profile(ic, 2.0)
    assert (p.max_profit, p.max_loss, p.breakevens) == (2.0, 3.0, (98.0, 112.0))
    csp = profile([LegSpec("put", 50, "sell")], 1.5)
    assert (csp.max_profit, csp.max_loss, csp.breakevens) == (1.5, 48.5, (48.5,))
    naked_call = profile([LegSpec("call", 50, "sell")], 1.0)
    assert naked_call.max_loss == float("inf")
    # the lognormal mass between the breakevens, nothing else
    pop = prob_of_profit(ic, 2.0, 105.0, 30 / 365, 0.2)
    assert 0.5 < pop < 0.9
    assert prob_of_profit(ic, 2.0, 105.0, 30 / 365, 1e-9) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- the rules
@pytest.fixture(scope="module")
def priced() -> dict[str, PricedChain]:
    import asyncio

    async def build() -> dict[str, PricedChain]:
        m = SimMarket(seed=42, clock=lambda: NOW)
        c = SimOptionChains(m)
        out = {}
        for sym in ("SPY", "AAPL", "TSLA", "KO"):
            listed = await c.option_expiries(sym)
            ch = await c.option_chain(sym, listed[:12])
            q = await m.quote(sym)
            out[sym] = price_chain(ch, (q.bid + q.ask) / 2, m.now(), 0.04, ch.dividend or 0.0)
        return out

    return asyncio.run(build())


@pytest.mark.parametrize("name", STRATEGY_NAMES)
@pytest.mark.parametrize("symbol", ["SPY", "AAPL", "TSLA"])
def test_every_candidate_obeys_its_rules(
    priced: dict[str, PricedChain], name: str, symbol: str
) -> None:
    p, rules, liq = priced[symbol], RULES[name], Liquidity()  # type: ignore[index]
    s = select(name, p)  # type: ignore[arg-type]
    assert s.best is not None and s.best is s.candidates[0]
    assert [c.score for c in s.candidates] == sorted((c.score for c in s.candidates), reverse=True)
    for c in s.candidates:
        assert rules.dte[0] <= c.dte <= rules.dte[1] and c.credit >= rules.min_credit
        shorts = [leg for leg in c.legs if leg.side == "sell"]
        longs = [leg for leg in c.legs if leg.side == "buy"]
        for leg in shorts:
            band = rules.put_delta if leg.type == "put" else rules.call_delta
            assert band is not None and band[0] <= abs(leg.delta) <= band[1]
        for leg in c.legs:
            assert leg.expiry == c.expiry and leg.quantity == 1
            i = p.chain.symbols.index(leg.symbol)
            assert liquidity_problem(p, i, liq) is None
        assert c.credit == pytest.approx(
            sum(leg.mid for leg in shorts) - sum(leg.mid for leg in longs)
        )
        assert c.natural_credit <= c.credit
        if name == "cash_secured_put":
            [put] = c.legs
            assert c.max_loss == pytest.approx(put.strike - c.credit) == c.capital
            assert c.breakevens == pytest.approx((put.strike - c.credit,))
        else:
            assert rules.width is not None and rules.width[0] <= c.width <= rules.width[1]
            assert c.max_profit == pytest.approx(c.credit)
            assert c.max_loss == pytest.approx(c.width - c.credit)
            assert len(c.breakevens) == (2 if name == "iron_condor" else 1)
        assert 0.5 < c.pop < 1 and 0 <= c.score <= 100


def test_every_failure_says_why(priced: dict[str, PricedChain]) -> None:
    s = select("bull_put_spread", priced["AAPL"])
    texts = [r.text() for r in s.rejected]
    assert any("DTE outside 25-45" in t for t in texts), texts
    strict = StrategyRules((25, 45), (0.20, 0.30), None, (5.0, 10.0), min_credit=50.0)
    none = select("bull_put_spread", priced["AAPL"], strict)
    assert none.best is None and any(
        "credit" in r.reason and "< 50.00" in r.reason for r in none.rejected
    )
    thin = select("iron_condor", priced["SPY"], liq=Liquidity(min_open_interest=10**9))
    assert thin.best is None
    assert any("open interest" in r.reason for r in thin.rejected)


def test_underlying_filters() -> None:
    rules = UnderlyingRules()
    assert underlying_problems(100.0, 5e6, 40.0, rules) == []
    assert underlying_problems(10.0, 5e5, 10.0, rules) == [
        "price 10.00 outside 20-500",
        "average volume 500,000 < 1,000,000",
        "IV rank 10 < 25",
    ]
    assert underlying_problems(100.0, 5e6, None, rules) == ["no IV rank"]


def test_a_roll_goes_to_a_later_expiry_under_the_same_rules(priced: dict[str, PricedChain]) -> None:
    from services.options.strategies import roll

    p = priced["AAPL"]
    expiring = p.chain.expiries()[1]  # a position in its last week or two
    rolled = roll("bull_put_spread", p, expiring)
    assert rolled.best is not None and rolled.best.expiry > expiring
    assert all(c.expiry > expiring for c in rolled.candidates)
    rules = RULES["bull_put_spread"]
    assert all(rules.dte[0] <= c.dte <= rules.dte[1] for c in rolled.candidates)
    assert roll("bull_put_spread", p, p.chain.expiries()[-1]).best is None  # nothing later
