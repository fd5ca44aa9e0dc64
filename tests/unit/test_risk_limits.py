"""The book-level limits, each alone: sector concentration, holdings per symbol, portfolio
heat, cash reserve, daily trades, drawdown, broker rejections; sizing cut to fit them; the
router; bad input."""

from __future__ import annotations

import math

import pytest

from models.config import RiskLimits
from models.domain import Side
from services.risk import (
    DeskState,
    Holding,
    PortfolioView,
    RiskInputError,
    evaluate,
)
from tests.unit.risk_helpers import LIMITS, check, entry, failed, pf

TECH = {"AAPL": "Tech", "MSFT": "Tech", "XOM": "Energy"}

# ----------------------------------------------------------------------------- sector


def test_sector_concentration_fails_alone_with_its_numbers() -> None:
    # MSFT $3,200 (32%) + AAPL 25 x $40 = $4,200 = 42% of equity in Tech > 40%
    view = pf(positions={"MSFT": (80, 40.0, 39.0)}, sectors=TECH)
    d = entry(requested=25, view=view)
    assert failed(d) == {"sector_concentration"}
    c = check(d, "sector_concentration")
    assert (c.value, c.limit) == (pytest.approx(42.0), 40.0)
    assert c.detail == "Tech would be 42.0% of equity > 40%"


def test_sizing_is_cut_to_the_sector_room() -> None:
    view = pf(positions={"MSFT": (80, 40.0, 39.0)}, sectors=TECH)
    d = entry(view=view)  # $800 of room at $40 = 20 shares, under the 25 of the fixed fraction
    assert d.approved and d.quantity == 20
    assert "25 cut to 20 by sector concentration" in d.sizing
    assert check(d, "sector_concentration").value == pytest.approx(40.0)


def test_other_sectors_and_unknown_sectors_do_not_count() -> None:
    view = pf(positions={"XOM": (80, 40.0, 39.0), "SPY": (50, 40.0, 39.0)}, sectors=TECH)
    d = entry(requested=25, view=view)
    assert check(d, "sector_concentration").value == pytest.approx(10.0)
    unknown = entry(requested=25, view=pf(), symbol="SPY")
    c = check(unknown, "sector_concentration")
    assert c.passed and c.detail == "sector unknown"


# ----------------------------------------------------------------------------- per symbol


OPTION = Holding(2, 5.0, None, underlying="AAPL")


def test_holdings_on_one_underlying_are_counted_together() -> None:
    view = pf(positions={"AAPL261218C00050000": OPTION})
    d = entry(requested=10, view=view, limits=RiskLimits(max_positions_per_symbol=1))
    assert failed(d) == {"symbol_positions"}
    c = check(d, "symbol_positions")
    assert (c.value, c.limit, c.detail) == (2, 1, "2 open on AAPL > 1")
    # the option's $10 counts in the symbol's size too
    assert check(d, "position_size").value == pytest.approx(4.1)


def test_adding_to_a_holding_is_not_a_new_one() -> None:
    view = pf(positions={"AAPL": (10, 40.0, 36.0)})
    d = entry(requested=5, view=view, limits=RiskLimits(max_positions_per_symbol=1))
    assert check(d, "symbol_positions").value == 1
    assert d.approved


# ----------------------------------------------------------------------------- heat


def test_heat_over_the_cap_fails_alone() -> None:
    # MSFT risks $500 to its stop (5%); 30 AAPL risk $120 more: 6.2% > 6%
    d = entry(requested=30, view=pf(positions={"MSFT": (100, 50.0, 45.0)}))
    assert failed(d) == {"portfolio_heat"}
    c = check(d, "portfolio_heat")
    assert (c.value, c.limit) == (pytest.approx(6.2), 6.0)
    assert c.detail == "6.20% of equity at risk to stops > 6%"


def test_heat_at_the_cap_passes() -> None:
    d = entry(requested=25, view=pf(positions={"MSFT": (100, 50.0, 45.0)}))
    assert check(d, "portfolio_heat").passed
    assert check(d, "portfolio_heat").value == pytest.approx(6.0)


def test_a_holding_without_a_stop_counts_its_share_of_value() -> None:
    d = entry(requested=1, view=pf(positions={"MSFT": (100, 50.0)}))  # 10% of $5,000
    assert check(d, "portfolio_heat").value == pytest.approx(5.04)


def test_a_stop_through_the_price_risks_nothing_and_shorts_count_upwards() -> None:
    view = pf(positions={"MSFT": (100, 50.0, 55.0), "TSLA": (-10, 100.0, 110.0)})
    d = entry(requested=1, view=view)  # MSFT 0, TSLA $100, AAPL $4
    assert check(d, "portfolio_heat").value == pytest.approx(1.04)


def test_adding_moves_the_whole_holding_to_the_new_stop() -> None:
    # 50 AAPL risk $50 to 39; adding 10 with a stop at 36 puts 60 x $4 = $240 at risk
    d = entry(requested=10, view=pf(positions={"AAPL": (50, 40.0, 39.0)}))
    assert check(d, "portfolio_heat").value == pytest.approx(2.4)


def test_sizing_with_no_heat_left_is_zero_and_says_why() -> None:
    d = entry(view=pf(positions={"MSFT": (100, 50.0, 44.0)}))  # already 6% at risk
    assert d.quantity == 0 and not d.approved
    assert failed(d) == {"quantity"}
    assert check(d, "quantity").detail.endswith("(cut to 0 by portfolio heat)")
    assert "25 cut to 0 by portfolio heat" in d.sizing


# ----------------------------------------------------------------------------- cash


def test_cash_reserve_fails_alone() -> None:
    d = entry(requested=26, view=pf(cash=1_500.0))  # $1,500 - $1,040 = 4.6% < 5%
    assert failed(d) == {"cash_reserve"}
    c = check(d, "cash_reserve")
    assert (c.value, c.limit) == (pytest.approx(4.6), 5.0)
    assert c.detail == "cash after 4.6% of equity < the 5% reserve"


def test_sizing_keeps_the_cash_reserve() -> None:
    d = entry(view=pf(cash=1_200.0))  # $700 above the $500 reserve: 17 shares
    assert d.approved and d.quantity == 17
    assert "cut to 17 by cash reserve" in d.sizing


def test_a_short_sale_does_not_spend_cash() -> None:
    d = entry(side=Side.SELL, stop=44.0, view=pf(cash=600.0))
    assert check(d, "cash_reserve").passed and d.quantity == 25


# ----------------------------------------------------------------------------- the day


@pytest.mark.parametrize(("done", "passed"), [(19, True), (20, False), (35, False)])
def test_daily_trades(done: int, passed: bool) -> None:
    d = entry(view=pf(trades_today=done))
    assert check(d, "daily_trades").passed is passed
    assert failed(d) == (set() if passed else {"daily_trades"})
    if not passed:
        assert check(d, "daily_trades").detail == f"{done} trades today: the limit is 20"


def test_drawdown_from_the_peak_fails_alone() -> None:
    d = entry(view=pf(peak=11_200.0))  # 10.71% below the peak
    assert failed(d) == {"drawdown"}
    c = check(d, "drawdown")
    assert (c.value, c.limit) == (pytest.approx(10.7143, abs=1e-4), 10.0)
    assert "hit the 10% drawdown limit" in c.detail


def test_drawdown_within_the_limit_and_a_peak_below_equity() -> None:
    assert check(entry(view=pf(peak=10_500.0)), "drawdown").passed
    low = check(entry(view=pf(peak=9_000.0)), "drawdown")  # equity is the new peak
    assert low.passed and low.value == 0.0


@pytest.mark.parametrize(("n", "passed"), [(0, True), (4, True), (5, False)])
def test_broker_rejections(n: int, passed: bool) -> None:
    d = entry(view=pf(rejections=n))
    assert failed(d) == (set() if passed else {"broker_rejections"})
    assert check(d, "broker_rejections").value == n


# ----------------------------------------------------------------------------- desk, router


def test_reducing_desk_refuses_an_opening_trade_and_says_so() -> None:
    d = entry(desk=DeskState(reducing=True, reason="heat 7.00% over the 6% cap"))
    assert failed(d) == {"desk_state"}
    assert check(d, "desk_state").detail == (
        "desk REDUCING, only position-reducing trades: heat 7.00% over the 6% cap "
        "(a person must /resume)"
    )


def test_router_sends_reducing_orders_to_the_exit_rule_in_any_state() -> None:
    view = pf(positions={"AAPL": (100, 40.0, 36.0)})
    halted = DeskState(halted=True, reason="daily loss")
    d = evaluate("AAPL", Side.SELL, 40.0, None, 40, view, LIMITS, halted)
    assert d.approved and d.sizing == "position exit"
    exit_all = evaluate("AAPL", Side.SELL, 40.0, None, None, view, LIMITS, halted, "exit")
    assert exit_all.approved and exit_all.quantity == 100
    opening = evaluate("AAPL", Side.BUY, 40.0, 36.0, 5, view, LIMITS, halted)
    assert not opening.approved and "desk_state" in failed(opening)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("price", "stop", "requested", "match"),
    [
        (math.nan, 36.0, None, "entry price must be a finite number"),
        (0.0, 36.0, None, "entry price must be greater than 0"),
        (40.0, math.inf, None, "stop price must be a finite number"),
        (40.0, -1.0, None, "stop price must not be negative"),
        (40.0, 36.0, -3, "quantity must be a whole number"),
        (40.0, 36.0, True, "quantity must be a whole number"),
    ],
)
def test_bad_numbers_are_a_typed_error(
    price: float, stop: float, requested: int | None, match: str
) -> None:
    with pytest.raises(RiskInputError, match=match):
        entry(price=price, stop=stop, requested=requested)


def test_bad_book_is_a_typed_error() -> None:
    with pytest.raises(RiskInputError, match="holding price"):
        Holding(1, math.nan)
    with pytest.raises(RiskInputError, match="whole shares"):
        Holding(1.5, 10.0)  # type: ignore[arg-type]
    with pytest.raises(RiskInputError, match="equity"):
        PortfolioView(math.inf, 0.0, 0.0, 0.0)
    with pytest.raises(RiskInputError, match="must not be negative"):
        PortfolioView(1.0, 0.0, 0.0, 0.0, trades_today=-1)


# ----------------------------------------------------------------------------- settings


def test_every_limit_is_a_cotrader_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import load_settings

    defaults = load_settings(_env_file=None).risk_limits()
    assert defaults == RiskLimits()
    assert defaults.max_consecutive_rejections == 5
    assert defaults.soft_limit_fraction == pytest.approx(2 / 3)
    assert (defaults.kelly_min_trades, defaults.kelly_fraction) == (30, 0.25)
    monkeypatch.setenv("COTRADER_MAX_HEAT_PCT", "4.5")
    monkeypatch.setenv("COTRADER_MAX_TRADES_PER_DAY", "7")
    monkeypatch.setenv("COTRADER_KELLY_ENABLED", "false")
    lim = load_settings(_env_file=None, max_drawdown_pct=12, cash_reserve_pct=0).risk_limits()
    assert (lim.max_heat_pct, lim.max_trades_per_day, lim.kelly_enabled) == (4.5, 7, False)
    assert (lim.max_drawdown_pct, lim.cash_reserve_pct) == (12.0, 0.0)


def test_a_bad_limit_setting_is_named() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as e:
        load_settings(_env_file=None, max_heat_pct=0, soft_limit_fraction=1.5)
    names = {line.split(":")[0] for line in e.value.lines}
    assert names == {"COTRADER_MAX_HEAT_PCT", "COTRADER_SOFT_LIMIT_FRACTION"}
