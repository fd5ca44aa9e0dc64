"""The slash syntax of a trade request: every part kept, or refused by name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain import Side, TimeInForce
from services.inputs import InputError
from services.order_syntax import parse_order_args


def test_every_part_is_kept() -> None:
    s = parse_order_args(
        "AAPL", ["buy", "10", "limit=180", "stop=170.5", "target=$200", "tif=gtc"], 10_000
    )
    assert (s.side, s.quantity, s.limit, s.stop, s.target, s.tif) == (
        Side.BUY,
        10,
        180.0,
        170.5,
        200.0,
        TimeInForce.GTC,
    )


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["$500"], "amount", 500.0),
        (["$1,250.50"], "amount", 1250.5),
        (["5%"], "pct", 5.0),
        (["short", "10"], "short", True),
        (["tif=opg"], "tif", TimeInForce.OPG),
        (["sell"], "side", Side.SELL),
        (["LIMIT=99.5"], "limit", 99.5),
    ],
)
def test_sizes_sides_and_options(args: list[str], field: str, value: object) -> None:
    assert getattr(parse_order_args("MSFT", args, 10_000), field) == value


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["10", "20"], "One size only"),
        (["limit=abc"], "limit must be a price"),
        (["stop=-5"], "stop must be a positive price"),
        (["tif=ioc"], "tif must be day, gtc or opg"),
        (["when=now"], "Unknown option 'when'"),
        (["150%"], "at most 100%"),
        (["buy", "short"], "Give the side once"),
        (["0"], "at least 1 share"),
        (["limit=1", "limit=2"], "given twice"),
        (["99999999"], "share limit"),
    ],
)
def test_bad_parts_are_named(args: list[str], needle: str) -> None:
    with pytest.raises(InputError) as e:
        parse_order_args("MSFT", args, 10_000)
    assert needle in str(e.value)


@given(st.lists(st.text(max_size=12), max_size=6))
def test_never_raises_anything_but_input_error(args: list[str]) -> None:
    try:
        spec = parse_order_args("MSFT", args, 10_000)
    except InputError:
        return
    assert spec.symbol == "MSFT"
    assert sum(x is not None for x in (spec.quantity, spec.amount, spec.pct)) <= 1


@given(
    qty=st.integers(1, 10_000),
    limit=st.floats(0.01, 100_000, allow_nan=False).map(lambda x: round(x, 2)),
)
def test_round_trip_of_a_limit_order(qty: int, limit: float) -> None:
    spec = parse_order_args("MSFT", [str(qty), f"limit={limit}"], 10_000)
    assert spec.quantity == qty and spec.limit == pytest.approx(limit)
    assert f"limit {limit:,.2f}" in spec.readback()
