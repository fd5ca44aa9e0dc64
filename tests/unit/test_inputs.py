"""Typed quantities and sides: property tests over anything a person might type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain import Side
from services.inputs import InputError, parse_quantity, parse_side

MAX = 100_000


@pytest.mark.parametrize(
    ("raw", "want"),
    [("10", 10), (" 1,000 ", 1000), ("1_000", 1000), ("5.0", 5), (7, 7), (None, None), ("", None)],
)
def test_valid_quantities(raw: object, want: int | None) -> None:
    assert parse_quantity(raw, MAX) == want


@pytest.mark.parametrize(
    "raw",
    ["0", "-5", "1e12", "ten", "2.5", "nan", "inf", "-inf", "1e400", True, "0x10", "5 shares"],
)
def test_bad_quantities_say_why(raw: object) -> None:
    with pytest.raises(InputError) as e:
        parse_quantity(raw, MAX)
    assert "Quantity" in str(e.value)


@given(st.one_of(st.text(max_size=50), st.integers(), st.floats(allow_nan=True)))
def test_any_input_is_a_valid_quantity_or_a_clear_error(raw: object) -> None:
    try:
        q = parse_quantity(raw, MAX)
    except InputError as e:
        assert str(e)
        return
    assert q is None or (isinstance(q, int) and 1 <= q <= MAX)


@given(st.text(max_size=30))
def test_any_side_text_is_buy_sell_or_a_clear_error(raw: str) -> None:
    try:
        side = parse_side(raw)
    except InputError as e:
        assert "buy or sell" in str(e)
        return
    assert side in (Side.BUY, Side.SELL)
    assert raw.strip().lower() in ("buy", "b", "long", "sell", "s", "short")
