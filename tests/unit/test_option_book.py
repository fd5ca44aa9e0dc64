"""Option legs grouped into strategy positions (services/options/book.py), the card numbers
(agents/option_cards.py) adding up, and the plain-language strategy requests."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.llm.offline_options import option_strategy, parse_options
from agents.option_cards import entry_facts
from models.intents import IntentKind
from models.options import occ_symbol
from services.options.book import HeldContract, group
from services.options.strategies import Candidate, Leg

EXP = date(2027, 1, 15)


def occ(kind: str, strike: float, root: str = "SPY") -> str:
    return occ_symbol(root, EXP, kind, strike)  # type: ignore[arg-type]


def test_a_bull_put_spread_is_one_position_with_its_credit_and_max_loss() -> None:
    held = [
        HeldContract(occ("put", 480), -2, 2.10, "p-aaaaaaaa", "bull_put_spread"),
        HeldContract(occ("put", 475), 2, 0.90, "p-aaaaaaaa", "bull_put_spread"),
    ]
    (g,) = group(held)
    assert g.key == "p-aaaaaaaa" and g.underlying == "SPY" and g.contracts == 2
    assert g.credit == pytest.approx(1.20)
    assert g.max_profit == pytest.approx(240.0)  # 1.20 x 100 x 2
    assert g.max_loss == pytest.approx(760.0)  # (5 - 1.20) x 100 x 2
    assert g.breakevens == pytest.approx((478.80,))
    assert sorted((s.strike, s.side) for s in g.view().legs) == [(475, "buy"), (480, "sell")]


def test_two_cards_on_one_underlying_stay_two_positions_and_unknown_legs_group_by_expiry() -> None:
    held = [
        HeldContract(occ("put", 480), -1, 2.0, "p-aaaaaaaa"),
        HeldContract(occ("put", 475), 1, 1.0, "p-aaaaaaaa"),
        HeldContract(occ("put", 470), -1, 0.8, "p-bbbbbbbb"),
        HeldContract(occ("put", 465), 1, 0.3, "p-bbbbbbbb"),
        HeldContract(occ("put", 150, "AAPL"), -1, 3.0, None),
    ]
    groups = group(held)
    assert sorted(g.key for g in groups) == ["AAPL:20270115", "p-aaaaaaaa", "p-bbbbbbbb"]
    lone = next(g for g in groups if g.underlying == "AAPL")
    assert lone.strategy == "short_put" and lone.opened_by is None
    assert lone.max_loss == pytest.approx((150 - 3.0) * 100)


def test_an_iron_condor_has_two_breakevens_and_one_wing_of_max_loss() -> None:
    held = [
        HeldContract(occ("put", 470), 1, 0.5, "p-cccccccc"),
        HeldContract(occ("put", 475), -1, 1.2, "p-cccccccc"),
        HeldContract(occ("call", 525), -1, 1.1, "p-cccccccc"),
        HeldContract(occ("call", 530), 1, 0.4, "p-cccccccc"),
    ]
    (g,) = group(held)
    assert g.credit == pytest.approx(1.4)
    assert g.max_loss == pytest.approx((5 - 1.4) * 100)
    assert g.breakevens == pytest.approx((473.6, 526.4))


def _candidate(
    credit: float, short: float, width: float, name: str = "bull_put_spread"
) -> Candidate:
    def leg(k: float, side: str, mid: float) -> Leg:
        return Leg(occ("put", k), "put", k, EXP, side, 1, mid - 0.05, mid + 0.05, mid,  # type: ignore[arg-type]
                   -0.25, 0.2, 0.01, -0.02, 0.1)  # fmt: skip

    legs = (leg(short, "sell", credit + 0.5), leg(short - width, "buy", 0.5))
    return Candidate(name, EXP, 40, legs, credit, credit - 0.1, width, credit, width - credit,  # type: ignore[arg-type]
                     (short - credit,), 0.7, width - credit, 0.8, 70.0,
                     {"delta": 0.1, "gamma": -0.01, "theta": 0.02, "vega": -0.1})  # fmt: skip


@given(
    credit=st.floats(0.30, 4.0).map(lambda x: round(x, 3)),
    width=st.sampled_from([5.0, 10.0]),
    n=st.integers(1, 20),
)
def test_the_card_numbers_add_up_at_the_limit(credit: float, width: float, n: int) -> None:
    c = _candidate(credit, 480.0, width)
    f = entry_facts(c, n, date(2026, 12, 6), 500.0, 40.0, (), 1)
    lim = f["limit"]
    # a quarter of the way from the mid to the natural (0.1 below here), down to the cent
    assert credit - 0.1 - 1e-9 <= lim <= credit - 0.025 + 1e-9
    assert f["max_profit"] == pytest.approx(lim * 100 * n)
    assert f["max_loss"] == pytest.approx((width - lim) * 100 * n)
    assert f["breakevens"] == [pytest.approx(480.0 - lim)]
    assert f["max_profit"] + f["max_loss"] == pytest.approx(width * 100 * n)
    assert [leg["side"] for leg in f["legs"]] == ["sell", "buy"]
    assert all(math.isfinite(v) for v in f["greeks"].values())


@pytest.mark.parametrize(
    ("text", "strategy", "contracts"),
    [
        ("bull put spread on spy", "bull_put_spread", None),
        ("sell a put on aapl", "cash_secured_put", None),
        ("iron condor on qqq, 2 contracts", "iron_condor", 2),
        ("write a cash-secured put on msft", "cash_secured_put", None),
    ],
)
def test_plain_language_strategy_requests(text: str, strategy: str, contracts: int | None) -> None:
    sym = text.split(" on ")[1].split(",")[0].upper()
    i = parse_options(text, (sym,), text)
    assert i is not None and i.kind is IntentKind.OPTION_PROPOSE
    assert i.option_strategy == strategy and i.quantity == contracts and i.symbols == (sym,)


def test_other_option_trades_and_verbs_are_not_strategy_cards() -> None:
    assert option_strategy("buy a call on tsla") is None
    assert option_strategy("put a stop at 110 on nvda") is None
    i = parse_options("bull put spread please", (), "bull put spread please")
    assert i is not None and i.kind is IntentKind.CLARIFY and "which symbol" in (i.question or "")
