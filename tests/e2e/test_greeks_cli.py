"""`cotrader greeks` as a user runs it (a real process): Hull's textbook values, the
implied vol round trip, the JSON fields, and one clear line with exit code 2 for every
kind of bad input."""

from __future__ import annotations

import json
import math
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import CLI, env

HULL = ["--spot", "42", "--strike", "40", "--rate", "0.10", "--years", "0.5"]
FIELDS = [
    "type",
    "spot",
    "strike",
    "years",
    "days",
    "rate",
    "dividend",
    "price",
    "delta",
    "gamma",
    "theta",
    "vega",
    "rho",
    "note",
]


def textbook(s: float, k: float, r: float, t: float, v: float) -> dict[str, float]:
    """The call's price and greeks from the closed forms (no dividend), written out here
    so the CLI is checked against something it does not share."""
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(s / k) + (r + v * v / 2) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    phi = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    disc = math.exp(-r * t)
    return {
        "price": s * n(d1) - k * disc * n(d2),
        "delta": n(d1),
        "gamma": phi / (s * v * math.sqrt(t)),
        "theta": (-s * phi * v / (2 * math.sqrt(t)) - r * k * disc * n(d2)) / 365,
        "vega": s * phi * math.sqrt(t) / 100,
        "rho": k * t * disc * n(d2) / 100,
    }


def run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "greeks", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(home, **extra),
    )


def as_json(home: Path, *args: str, **extra: str) -> dict[str, Any]:
    r = run(home, *args, "--json", **extra)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def test_hull_call_and_put_with_the_table_and_json(tmp_path: Path) -> None:
    table = run(tmp_path, "call", *HULL, "--vol", "0.2")
    assert table.returncode == 0, table.stderr
    for word in ("price", "4.7594", "delta", "gamma", "theta /day", "vega /1pt", "rho /1pt"):
        assert word in table.stdout, word
    assert "priced as European" in table.stdout

    call = as_json(tmp_path, "call", *HULL, "--vol", "0.2")
    assert list(call) == [*FIELDS[:7], "vol", *FIELDS[7:]]
    assert call["type"] == "call" and call["vol"] == 0.2 and "iv" not in call
    assert call["years"] == 0.5 and call["days"] == pytest.approx(182.5)
    assert round(call["price"], 2) == 4.76  # Hull, Options, Futures and Other Derivatives
    for name, value in textbook(42, 40, 0.10, 0.5, 0.2).items():
        assert call[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert call["delta"] == pytest.approx(0.7791, abs=1e-4)
    note = call["note"]
    assert "European" in note and "theta per calendar day" in note
    assert "vega and rho per 1 percentage point" in note

    put = as_json(tmp_path, "put", *HULL, "--vol", "0.2")
    assert round(put["price"], 2) == 0.81 and put["type"] == "put"
    assert put["delta"] == pytest.approx(call["delta"] - 1, abs=1e-12)  # no dividend
    # put-call parity: C - P = S - K e^{-rT}
    assert call["price"] - put["price"] == pytest.approx(42 - 40 * 0.951229424500714, abs=1e-9)


def test_days_and_a_dividend(tmp_path: Path) -> None:
    by_days = as_json(
        tmp_path, "call", "--spot", "42", "--strike", "40", "--days", "182.5", "--vol", "0.2"
    )
    assert by_days["years"] == pytest.approx(0.5) and by_days["days"] == 182.5
    assert by_days["rate"] == 0.04  # the documented default
    paying = as_json(
        tmp_path,
        "call",
        *HULL,
        "--vol",
        "20%",
        "--dividend",
        "0.03",
    )
    assert paying["vol"] == pytest.approx(0.2) and paying["dividend"] == 0.03
    assert paying["price"] < 4.7594


def test_the_rate_defaults_to_the_setting(tmp_path: Path) -> None:
    args = ("put", "--spot", "100", "--strike", "100", "--days", "30", "--vol", "0.3")
    assert as_json(tmp_path, *args, COTRADER_RISK_FREE_RATE="0.05")["rate"] == 0.05
    assert (
        as_json(tmp_path, *args, "--rate", "0.01", COTRADER_RISK_FREE_RATE="0.05")["rate"] == 0.01
    )
    for value in ("lots", "0.9"):  # not a number; not a sane rate
        bad = run(tmp_path, *args, COTRADER_RISK_FREE_RATE=value)
        assert bad.returncode == 2 and "COTRADER_RISK_FREE_RATE" in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("kind", ["call", "put"])
def test_a_price_gives_back_the_vol(tmp_path: Path, kind: str) -> None:
    priced = as_json(tmp_path, kind, *HULL, "--vol", "0.2")
    solved = as_json(tmp_path, kind, *HULL, "--price", repr(priced["price"]))
    assert "vol" not in solved
    assert solved["iv"] == pytest.approx(0.2, abs=1e-12)
    assert solved["price"] == priced["price"]
    for greek in ("delta", "gamma", "theta", "vega", "rho"):
        assert solved[greek] == pytest.approx(priced[greek], rel=1e-9), greek
    table = run(tmp_path, kind, *HULL, "--price", repr(priced["price"]))
    assert table.returncode == 0 and "implied vol" in table.stdout and "20.0000%" in table.stdout


def test_an_expiry_date_is_at_four_pm_new_york(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    expiry = date.today() + timedelta(days=60)
    before = datetime.now(UTC)
    body = as_json(
        tmp_path,
        "call",
        "--spot",
        "100",
        "--strike",
        "105",
        "--expiry",
        expiry.isoformat(),
        "--vol",
        "0.25",
    )
    close = datetime(expiry.year, expiry.month, expiry.day, 16, tzinfo=ZoneInfo("America/New_York"))
    assert body["expiry"] == expiry.isoformat()
    assert body["years"] == pytest.approx((close - before).total_seconds() / 86400 / 365, abs=1e-5)
    assert body["days"] == pytest.approx(body["years"] * 365)


BAD = [
    (["call", "--spot", "0", "--strike", "40", "--days", "30", "--vol", "0.2"], "spot"),
    (["call", "--spot", "-5", "--strike", "40", "--days", "30", "--vol", "0.2"], "spot"),
    (["call", "--spot", "42", "--strike", "0", "--days", "30", "--vol", "0.2"], "strike"),
    (["call", "--spot", "42", "--strike", "40", "--days", "0", "--vol", "0.2"], "days"),
    (["call", "--spot", "42", "--strike", "40", "--years", "-1", "--vol", "0.2"], "years"),
    (
        ["call", "--spot", "42", "--strike", "40", "--expiry", "2020-01-17", "--vol", "0.2"],
        "passed",
    ),
    (["call", "--spot", "42", "--strike", "40", "--expiry", "soon", "--vol", "0.2"], "expiry"),
    (["call", "--spot", "42", "--strike", "40", "--days", "30", "--vol", "0"], "vol"),
    (["call", "--spot", "42", "--strike", "40", "--days", "30", "--vol", "-0.2"], "vol"),
    (["call", "--spot", "42", "--strike", "40", "--days", "30", "--vol", "abc"], "vol"),
    (["call", "--spot", "42", "--strike", "40", "--days", "30", "--vol", "nan"], "vol"),
    (["call", "--spot", "42", "--strike", "40", "--days", "30", "--vol", "25"], "decimal"),
    (["call", "--spot", "x", "--strike", "40", "--days", "30", "--vol", "0.2"], "spot"),
    (["call", *HULL, "--price", "1"], "lower bound 3.95"),
    (["put", *HULL, "--price", "39"], "upper bound 38.04"),
    (["call", *HULL, "--price", "42.5"], "upper bound 42.0"),
    (["call", *HULL, "--price", "0"], "price"),
    (["straddle", *HULL, "--vol", "0.2"], "straddle"),
    ([*HULL, "--vol", "0.2"], "call or put"),
    (["call", *HULL, "--vol", "0.2", "--price", "4"], "not both"),
    (["call", *HULL], "vol"),
    (["call", *HULL, "--days", "30", "--vol", "0.2"], "days and years"),
    (["call", "--spot", "42", "--strike", "40", "--vol", "0.2"], "days, years or expiry"),
    (["call", *HULL, "--vol", "0.2", "--rate", "5"], "rate"),
    (["call", *HULL, "--vol", "0.2", "--bogus", "1"], "--bogus"),
]


@pytest.mark.parametrize(("args", "said"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path, args: list[str], said: str) -> None:
    r = run(tmp_path, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("cotrader greeks: ") and said in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_help_documents_the_units_and_the_default_rate(tmp_path: Path) -> None:
    r = run(tmp_path, "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for part in ("--spot", "--expiry", "--price", "0.04", "COTRADER_RISK_FREE_RATE", "European"):
        assert part in text, part


def test_greeks_in_the_chat_answers_kind_greeks(tmp_path: Path) -> None:
    from tests.e2e.test_cli import Chat

    c = Chat(tmp_path / "h")
    out = c.send("/greeks call spot=42 strike=40 years=0.5 vol=0.2 rate=0.1")
    assert out["kind"] == "greeks" and round(out["price"], 2) == 4.76
    assert [k for k in FIELDS if k not in out] == [] and out["vol"] == 0.2
    solved = c.send(f"/greeks call spot=42 strike=40 years=0.5 rate=0.1 price={out['price']!r}")
    assert solved["iv"] == pytest.approx(0.2, abs=1e-12)
    bad = c.send("/greeks call spot=42 strike=40 years=0.5 rate=0.1 price=50")
    assert bad["kind"] == "error" and "upper bound 42.0000" in bad["text"]
    code, _ = c.quit()
    assert code == 0
