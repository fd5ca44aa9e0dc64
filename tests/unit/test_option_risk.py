"""The option risk checks (services/risk/option_checks.py): max loss is the risk, the seed
limits (trade cap, heat 30%, 2 per symbol, concentration), the approval level, buying
power, and fixed-fraction sizing on the max loss."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.config import OptionsConfig, RiskLimits
from services.risk import DeskState, PortfolioView
from services.risk.option_checks import (
    OptionExposure,
    OptionTrade,
    evaluate_option,
    size_contracts,
)

CFG = OptionsConfig()
LIMITS = RiskLimits()
SPREAD = OptionTrade("SPY", "bull_put_spread", max_loss=380.0, capital=380.0, credit=120.0)
CSP = OptionTrade("AAPL", "cash_secured_put", max_loss=17_415.0, capital=17_415.0, credit=335.0)


def pf(equity: float = 100_000.0, bp: float = 100_000.0) -> PortfolioView:
    return PortfolioView(equity=equity, cash=equity, buying_power=bp, day_start_equity=equity)


def check(d, name):  # type: ignore[no-untyped-def]
    return next(c for c in d.checks if c.name == name)


def run(t=SPREAD, n=None, held=OptionExposure(), level=3, bp=100_000.0, need=None, **kw):  # type: ignore[no-untyped-def]
    return evaluate_option(t, n, pf(**kw), held, LIMITS, CFG, DeskState(), level, bp, need)


def test_a_spread_is_sized_on_its_max_loss_and_the_risk_is_the_max_loss() -> None:
    d = run()
    # 1% of 100k = $1,000 over $380 a contract: 2 contracts, $760 at risk
    assert d.approved and d.quantity == 2
    assert d.risk_amount == 760.0 and d.risk_pct == 0.76
    assert check(d, "portfolio_heat").value == 0.76


def test_a_cash_secured_put_takes_one_contract_when_one_fits_the_trade_cap() -> None:
    d = run(CSP)
    assert d.approved and d.quantity == 1
    assert check(d, "risk_per_trade").value == 17.415
    assert check(d, "buying_power").value == 17_415.0


def test_a_put_too_big_for_the_account_is_refused_with_the_numbers() -> None:
    d = run(CSP, equity=50_000.0)
    assert not d.approved and d.quantity == 0
    assert "one risks $17,415.00" in check(d, "quantity").detail


def test_heat_counts_the_open_option_positions() -> None:
    d = run(n=2, held=OptionExposure(open_max_loss=29_500.0))
    ck = check(d, "portfolio_heat")
    assert not ck.passed and ck.value == 30.26 and "> 30%" in ck.detail


def test_at_most_two_positions_per_symbol() -> None:
    assert run(held=OptionExposure(symbol_positions=1)).approved
    d = run(held=OptionExposure(symbol_positions=2))
    assert not d.approved and check(d, "symbol_positions").detail == "3 open on SPY > 2"


def test_concentration_counts_the_capital_already_on_the_underlying() -> None:
    d = run(CSP, held=OptionExposure(symbol_capital=15_000.0))
    assert not check(d, "concentration").passed


def test_the_approval_level_decides_spreads() -> None:
    d = run(level=1)
    ck = check(d, "option_level")
    assert not d.approved and "needs options level 3" in ck.detail
    assert run(CSP, level=1).approved


def test_the_venues_dry_run_need_replaces_the_computed_one() -> None:
    d = evaluate_option(SPREAD, 2, pf(), OptionExposure(), LIMITS, CFG, DeskState(), 3,
                        500.0, 900.0, "venue dry run")  # fmt: skip
    ck = check(d, "buying_power")
    assert not ck.passed and ck.value == 900.0 and "venue dry run" in ck.detail


def test_a_halted_desk_opens_nothing() -> None:
    d = evaluate_option(SPREAD, None, pf(), OptionExposure(), LIMITS, CFG,
                        DeskState(halted=True, reason="drawdown"), 3, 1e6)  # fmt: skip
    assert not d.approved and not check(d, "desk_state").passed


@given(
    max_loss=st.floats(1.0, 50_000.0),
    equity=st.floats(1_000.0, 10_000_000.0),
)
def test_sizing_never_risks_more_than_the_budget_unless_one_contract_fits_the_cap(
    max_loss: float, equity: float
) -> None:
    t = OptionTrade("X", "bull_put_spread", max_loss, max_loss, 1.0)
    n = size_contracts(t, equity, LIMITS, CFG)
    assert 0 <= n <= CFG.max_contracts
    if n > 1:
        assert n * max_loss <= equity * LIMITS.risk_per_trade_pct / 100 + 1e-6
    if n == 1:
        assert max_loss <= equity * max(LIMITS.risk_per_trade_pct, CFG.max_trade_pct) / 100 + 1e-6
    if n == 0:
        assert max_loss / equity * 100 > CFG.max_trade_pct
