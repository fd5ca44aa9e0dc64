"""The chat's /greeks: KEY=VALUE parts in any order, aliases, the rate's default, the
reply's JSON fields, and a clear refusal for every bad line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from agents.errors import BadInput
from agents.options_calc import GreeksView
from bot.chat.greeks_command import greeks_reply, parse
from bot.chat.render import reply_json

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
RATE = 0.04  # the desk's COTRADER_RISK_FREE_RATE default


def reply(line: str, default_rate: float = RATE) -> dict:
    r = greeks_reply(line.split(), NOW, default_rate)
    assert r.kind == "greeks" and isinstance(r.payload, GreeksView)
    return json.loads(reply_json(r))


def test_parse_takes_the_type_and_the_parts_in_any_order() -> None:
    assert parse(["spot=100", "CALL", "K=105", "dte=30", "iv=25%"]) == (
        "CALL",
        {"spot": "100", "strike": "105", "days": "30", "vol": "25%"},
    )
    assert parse(
        ["put", "s=1", "k=2", "t=0.5", "price=3", "r=0.01", "q=0.02", "exp=2027-01-15"]
    ) == (
        "put",
        {
            "spot": "1",
            "strike": "2",
            "years": "0.5",
            "price": "3",
            "rate": "0.01",
            "dividend": "0.02",
            "expiry": "2027-01-15",
        },
    )


def test_the_reply_carries_the_json_fields() -> None:
    out = reply("call spot=42 strike=40 years=0.5 vol=0.2 rate=0.1")
    assert out["kind"] == "greeks" and out["ok"] is True
    assert out["type"] == "call" and out["vol"] == 0.2 and "iv" not in out
    assert round(out["price"], 2) == 4.76
    for key in ("spot", "strike", "years", "days", "rate", "dividend", "delta", "gamma"):
        assert key in out, key
    for key in ("theta", "vega", "rho", "note"):
        assert key in out, key
    assert out["days"] == pytest.approx(182.5) and out["dividend"] == 0.0
    assert "European" in out["note"] and "per calendar day" in out["note"]
    text = out["text"]
    assert text.startswith("Call, spot 42, strike 40, 182.5 days")
    assert "4.7594" in text and "theta /day" in text and "European" in text


def test_a_price_solves_the_implied_vol() -> None:
    priced = reply("put spot=42 strike=40 years=0.5 vol=0.2 rate=0.1")
    assert round(priced["price"], 2) == 0.81
    solved = reply(f"put spot=42 strike=40 years=0.5 price={priced['price']!r} rate=0.1")
    assert solved["iv"] == pytest.approx(0.2, abs=1e-12) and "vol" not in solved
    assert solved["delta"] == pytest.approx(priced["delta"], rel=1e-9)
    assert "implied vol" in solved["text"]


def test_an_expiry_is_at_four_pm_new_york() -> None:
    out = reply("call spot=100 strike=105 expiry=2026-03-04 vol=0.25")
    # 10:00 on the 2nd to 16:00 on the 4th, New York: 2 days and 6 hours
    assert out["days"] == pytest.approx(2.25) and out["years"] == pytest.approx(2.25 / 365)
    assert out["expiry"] == "2026-03-04"
    assert "to 2026-03-04 16:00 ET" in out["text"]
    view = greeks_reply(
        ["call", "spot=100", "strike=105", "expiry=2026-03-04", "vol=0.25"], NOW, RATE
    )
    assert view.payload.expiry == date(2026, 3, 4)


def test_the_rate_defaults_to_the_desks_setting() -> None:
    line = "call spot=100 strike=100 days=30 vol=0.3"
    assert reply(line)["rate"] == 0.04
    assert reply(line, 0.05)["rate"] == 0.05
    assert reply(line + " rate=0.01", 0.05)["rate"] == 0.01
    assert reply(line + " rate=4.5%")["rate"] == pytest.approx(0.045)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("", "Usage: /greeks call|put"),
        ("call", "Give the spot price"),
        ("spot=42 strike=40 days=30 vol=0.2", "call or put"),
        ("straddle spot=42 strike=40 days=30 vol=0.2", "Unknown option type 'straddle'"),
        ("call put spot=42", "One option type only"),
        ("call spot=42 spot=43 strike=40 days=30 vol=0.2", "spot= is given twice"),
        ("call spot=42 strike=40 days=30 colour=red", "Unknown part 'colour=red'"),
        ("call spot= strike=40 days=30 vol=0.2", "spot= needs a value"),
        ("call spot=0 strike=40 days=30 vol=0.2", "spot must be above 0"),
        ("call spot=42 strike=-40 days=30 vol=0.2", "strike must be above 0"),
        ("call spot=42 strike=40 days=0 vol=0.2", "days must be above 0"),
        ("call spot=42 strike=40 expiry=2026-02-27 vol=0.2", "has passed"),
        ("call spot=42 strike=40 expiry=friday vol=0.2", "a date like"),
        ("call spot=42 strike=40 days=30 years=1 vol=0.2", "not days and years"),
        ("call spot=42 strike=40 vol=0.2", "Give the time to expiry"),
        ("call spot=42 strike=40 days=30 vol=0", "vol must be above 0"),
        ("call spot=42 strike=40 days=30 vol=abc", "vol must be a number"),
        ("call spot=42 strike=40 days=30 vol=inf", "vol must be a finite number"),
        ("call spot=42 strike=40 days=30", "Give vol"),
        ("call spot=42 strike=40 days=30 vol=0.2 price=3", "not both"),
        ("call spot=42 strike=40 years=0.5 rate=0.1 price=1", "below the call's lower bound 3.95"),
        ("call spot=42 strike=40 years=0.5 price=45", "upper bound 42.0000"),
        ("put spot=42 strike=40 years=0.5 rate=0.1 price=39", "upper bound 38.0492"),
    ],
)
def test_bad_lines_are_refused_with_one_clear_sentence(line: str, said: str) -> None:
    with pytest.raises(BadInput) as e:
        greeks_reply(line.split(), NOW, RATE)
    assert said in str(e.value)
    assert "\n" not in str(e.value)
