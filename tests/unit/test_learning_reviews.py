"""Trade reviews: a clean trade has no tag, each taxonomy rule fires with its numbers on a
trade that breaks it, and tag texts round-trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.learning.reviews import (
    CATEGORIES,
    ReviewInput,
    ReviewTag,
    outcome,
    parse_tag,
    r_multiple,
    review_trade,
)

OPEN = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
ENTRY = OPEN + timedelta(minutes=30)


def clean(**kw: Any) -> ReviewInput:
    """A long that breaks no rule: bought at the mid, sold near 1.3 R on a trailing stop."""
    base = ReviewInput(
        symbol="AAPL",
        strategy="breakout",
        side="long",
        quantity=100,
        entry_time=ENTRY,
        exit_time=ENTRY + timedelta(days=4),
        entry_price=100.0,
        exit_price=104.0,
        realised_pnl=398.0,
        fees=2.0,
        stop=97.0,
        target=106.0,
        exit_reason="monitor:trailing",
        facts={"last": 100.0, "bid": 99.99, "ask": 100.01, "rsi14": 60.0, "atr14": 2.0},
        quote_bid=99.99,
        quote_ask=100.01,
        exit_quote_bid=103.99,
        exit_quote_ask=104.01,
        risk_pct=1.0,
        max_risk_pct=2.0,
        session_open=OPEN,
    )
    return dataclasses.replace(base, **kw)


def texts(x: ReviewInput) -> list[str]:
    return [t.text for t in review_trade(x)]


def option_trade(**kw: Any) -> ReviewInput:
    """A bull put spread sold for 1.50 (mid 1.55), 30 DTE, closed for a 2.60 debit."""
    opt = {
        "dte": 30,
        "credit": 1.55,
        "natural_credit": 1.50,
        "iv_rank": 45.0,
        "max_loss": 350.0,
        "underlying_price": 100.0,
        "legs": [
            {"type": "put", "strike": 95, "side": "sell", "delta": -0.25},
            {"type": "put", "strike": 90, "side": "buy", "delta": -0.12},
        ],
        "greeks": {"delta": 13.0, "gamma": -1.0, "theta": 4.0, "vega": -8.0},
    }
    opt.update(kw.pop("opt", {}))
    base = ReviewInput(
        symbol="SPY",
        strategy="bull_put_spread",
        side="short",
        quantity=1,
        entry_time=ENTRY,
        exit_time=ENTRY + timedelta(days=5),
        entry_price=1.50,
        exit_price=2.60,
        realised_pnl=-111.3,
        fees=1.3,
        stop=3.0,
        target=0.75,
        exit_reason="manual",
        facts={"option": opt},
        quote_bid=99.99,
        quote_ask=100.01,
        option=True,
    )
    return dataclasses.replace(base, **kw)


def test_a_clean_trade_has_no_tag() -> None:
    assert review_trade(clean()) == ()
    assert outcome(clean()) == "win" and r_multiple(clean()) == pytest.approx(1.33)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"facts": {"rsi14": 78.0}}, "entry:rsi_stretched rsi=78"),
        ({"facts": {"score": 55.5}}, "entry:low_score score=55.5"),
        ({"quote_bid": 99.2, "quote_ask": 99.4}, "entry:chased pct=0.7"),
        ({"quote_bid": 99.5, "quote_ask": 100.5}, "execution:wide_spread spread_pct=1"),
        (
            {"exit_quote_bid": 104.2, "exit_quote_ask": 104.3},
            "execution:slippage bps=23.98 entry_bps=0 exit_bps=23.98",
        ),
        ({"facts": {"atr14": 5.0, "last": 100.0}}, "volatility:high_atr atr_pct=5"),
        ({"stop": None}, "risk:no_stop"),
        ({"risk_pct": 2.5}, "risk:oversized risk_pct=2.5 max=2"),
        (
            {"exit_price": 106.0, "realised_pnl": 598.0, "exit_reason": "target"},
            "risk:target_reached r=1.99",
        ),
        ({"entry_time": OPEN + timedelta(minutes=5)}, "timing:open_entry minutes=5"),
        ({"exit_price": 102.0, "realised_pnl": 198.0}, "timing:early_exit r=0.66 share=0.33"),
    ],
)
def test_each_rule_fires_with_its_numbers(kw: dict[str, Any], expected: str) -> None:
    assert expected in texts(clean(**kw))


def test_a_short_mirrors_the_rsi_and_the_fill() -> None:
    short = clean(
        side="short",
        stop=103.0,
        target=94.0,
        exit_price=96.0,
        realised_pnl=398.0,
        exit_quote_bid=95.99,
        exit_quote_ask=96.01,
    )
    assert texts(short) == []
    assert "entry:rsi_stretched rsi=25" in texts(dataclasses.replace(short, facts={"rsi14": 25}))
    assert texts(dataclasses.replace(short, facts={"rsi14": 78})) == []  # fine for a short
    sold_low = dataclasses.replace(short, entry_price=99.0)  # 1 % under the mid
    assert "entry:chased pct=1" in texts(sold_low)


def test_a_gapped_stop_tags_the_slip_the_gap_and_the_quick_stop() -> None:
    x = clean(
        exit_time=ENTRY + timedelta(hours=3),
        exit_price=95.5,
        realised_pnl=-452.0,
        exit_reason="stop",
        exit_quote_bid=95.49,
        exit_quote_ask=95.51,
    )
    assert outcome(x) == "loss" and r_multiple(x) == pytest.approx(-1.51)
    assert texts(x) == [
        "volatility:gap_through_stop pct=1.55",
        "risk:stop_slipped r=-1.51",
        "timing:quick_stop minutes=180",
    ]


def test_a_stop_within_1_2_r_is_not_a_slip_and_a_day_is_not_quick() -> None:
    x = clean(
        exit_time=ENTRY + timedelta(days=2),
        exit_price=97.0,
        realised_pnl=-302.0,
        exit_reason="stop",
        exit_quote_bid=96.99,
        exit_quote_ask=97.01,
    )
    assert texts(x) == []


def test_a_loser_held_long() -> None:
    x = clean(exit_time=ENTRY + timedelta(days=12, hours=6), exit_price=99.0, realised_pnl=-102.0)
    assert "timing:held_long days=12.25" in texts(x)
    assert "timing:held_long" not in " ".join(texts(clean(exit_time=ENTRY + timedelta(days=12))))


def test_outcome_and_r() -> None:
    assert outcome(clean(realised_pnl=0.004)) == "flat"
    assert outcome(clean(realised_pnl=-0.01)) == "loss"
    assert r_multiple(clean(stop=None)) is None
    assert r_multiple(clean(realised_pnl=-300.0)) == -1.0


def test_an_option_trade_reviews_its_greeks_and_credit() -> None:
    x = option_trade(
        opt={
            "iv_rank": 22.0,
            "dte": 9,
            "legs": [{"type": "put", "strike": 98, "side": "sell", "delta": -0.41}],
            "greeks": {"gamma": -20.0, "vega": -6.0},
        }
    )
    got = texts(x)
    assert r_multiple(x) == pytest.approx(-0.74)  # R = 1.50 x 1 x 100
    assert "entry:iv_rank_low iv_rank=22" in got
    assert "entry:delta_rich delta=0.41" in got
    assert "execution:slippage bps=322.58 entry_bps=322.58" not in got  # under 500 bps
    assert "greeks:short_dte dte=4" in got
    assert "greeks:gamma_risk gamma=-20 pct=11.43" in got  # 0.5 x 20 x 2^2 / 350
    assert "greeks:vega_short vega=-6 pct=26.95" in got  # 6 x 5 / 111.30
    assert not any(t.startswith(("risk:no_stop", "volatility:high_atr")) for t in got)


def test_an_option_trade_without_findings() -> None:
    x = option_trade(exit_price=0.90, realised_pnl=58.7, exit_reason="manual")
    assert texts(x) == []  # 80 % of the way to the 0.75 target: not early
    worthless = option_trade(
        exit_time=ENTRY + timedelta(days=30),
        exit_price=0.0,
        realised_pnl=148.7,
        exit_reason="expired_worthless",
    )
    assert texts(worthless) == ["risk:target_reached r=0.99"]


def test_option_execution_is_measured_against_the_mid_credit() -> None:
    x = option_trade(entry_price=1.40, opt={"natural_credit": 1.20})
    got = texts(x)
    assert "execution:slippage bps=967.74 entry_bps=967.74" in got  # 0.15 under 1.55
    assert "execution:wide_spread spread_pct=45.16" in got  # 2 x 0.35 / 1.55


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="side"):
        clean(side="buy")
    with pytest.raises(ValueError, match="category"):
        ReviewTag("luck", "bad_luck")
    with pytest.raises(ValueError, match="snake_case"):
        ReviewTag("entry", "Bad Code")
    for text in ("rsi_stretched rsi=7", "entry:rsi rsi", "entry:rsi rsi=x", ""):
        with pytest.raises(ValueError):
            parse_tag(text)


names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(
    category=st.sampled_from(CATEGORIES),
    code=names,
    numbers=st.lists(st.tuples(names, values), max_size=4),
)
def test_tag_text_round_trips(category: str, code: str, numbers: list[tuple[str, float]]) -> None:
    tag = ReviewTag(category, code, tuple(numbers))
    assert parse_tag(tag.text) == tag
    assert parse_tag(tag.text).text == tag.text
    pairs = zip(tag.numbers, numbers, strict=True)
    assert all(k == key and abs(v - round(raw, 2)) < 1e-9 for (k, v), (key, raw) in pairs)
    assert ".00 " not in tag.text + " " and "e+" not in tag.text


def test_numbers_are_compact() -> None:
    tag = ReviewTag("risk", "stop_slipped", (("r", -1.404),))
    assert tag.text == "risk:stop_slipped r=-1.4"
    assert ReviewTag("entry", "x", (("a", 78.0), ("b", -0.001))).text == "entry:x a=78 b=0"
