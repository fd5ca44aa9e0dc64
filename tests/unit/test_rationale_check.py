"""The grounding check a rationale must pass before a trader sees it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.rationale_check import check_rationale, stated_numbers

FACTS = {
    "entry": 187.34,
    "stop": 183.1,
    "target": 193.7,
    "quantity": 50.0,
    "risk_amount": 212.0,
    "risk_pct": 0.21,
    "sma#20": 20.0,
    "sma20": 185.02,
    "reward_risk": 1.5,
}


def test_numbers_are_read_as_written_and_names_are_skipped() -> None:
    got = stated_numbers("Buy 50 AAPL at $187.34; SMA20 185.02, risk $1,212.50 (0.21%), Q3 10-K")
    assert [raw for raw, _ in got] == ["50", "$187.34", "185.02", "$1,212.50", "0.21"]
    assert [v for _, v in got] == [50.0, 187.34, 185.02, 1212.5, 0.21]


def test_a_grounded_rationale_passes_with_rounding() -> None:
    text = (
        "Buy 50 AAPL near 187.3: price holds above the 20-day average at 185.02. "
        "A close below 183.10 ends the idea; target 193.7 for 1.5 reward to risk."
    )
    r = check_rationale(text, FACTS, "AAPL", "buy")
    assert r.ok, r.problems
    assert r.numbers_checked == 6  # '20-day' is a name, not a stated number


def test_an_invented_number_is_refused_and_named() -> None:
    r = check_rationale("Buy AAPL near 187.34; it should reach 240 by March.", FACTS, "AAPL", "buy")
    assert not r.ok
    assert any("240" in p for p in r.problems)


def test_wrong_symbol_wrong_side_and_promises_are_refused() -> None:
    wrong = check_rationale("Buy MSFT at 187.34", FACTS, "AAPL", "buy")
    assert "does not name AAPL" in wrong.problems
    short = check_rationale("Sell short AAPL at 187.34", FACTS, "AAPL", "buy")
    assert "argues a short for a buy proposal" in short.problems
    promise = check_rationale("AAPL at 187.34 is a guaranteed winner", FACTS, "AAPL", "buy")
    assert any("promises" in p for p in promise.problems)
    # short-term is not a short; an exit may say "sell"
    assert check_rationale("AAPL short-term trend up at 187.34", FACTS, "AAPL", "buy").ok
    assert check_rationale("Sell short AAPL at 187.34", FACTS, "AAPL", "buy", kind="exit").ok


def test_empty_text_is_refused() -> None:
    assert not check_rationale("  ", FACTS, "AAPL", "buy").ok


@given(st.text(max_size=400))
def test_any_text_is_judged_without_raising(text: str) -> None:
    r = check_rationale(text, FACTS, "AAPL", "buy")
    assert isinstance(r.ok, bool)
    assert r.ok == (not r.problems)


@given(st.floats(min_value=1000, max_value=1e6, allow_nan=False))
def test_a_number_far_from_every_fact_never_passes(x: float) -> None:
    r = check_rationale(f"Buy AAPL; fair value {x:.2f}", FACTS, "AAPL", "buy")
    assert not r.ok
