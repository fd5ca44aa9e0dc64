"""`cotrader backtest` as a user runs it: a CSV or the simulator, JSON or a table, and one
clear line with exit code 2 for every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from backtesting.test import GOOG
from typer.testing import CliRunner

from bot.cli import app

CLI = [sys.executable, "-m", "bot.cli", "backtest"]
REPO = Path(__file__).resolve().parents[2]
REQUIRED = {
    "trades",
    "return_pct",
    "max_drawdown_pct",
    "win_rate_pct",
    "sharpe",
    "profit_factor",
    "equity_final",
    "exposure_pct",
}


@pytest.fixture
def goog_csv(tmp_path: Path) -> Path:
    path = tmp_path / "goog.csv"
    GOOG.rename_axis("Date").to_csv(path)
    return path


def write(tmp_path: Path, df: pd.DataFrame) -> Path:
    path = tmp_path / "bars.csv"
    df.to_csv(path, index=False)
    return path


def small(n: int = 60) -> pd.DataFrame:
    df = GOOG.iloc[:n].rename_axis("Date").reset_index()
    df["Date"] = df["Date"].dt.strftime("%Y-%m-%d")
    return df


def invoke(*args: str):
    return CliRunner().invoke(app, ["backtest", *args])


def env(home: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("COTRADER_")}
    e["COTRADER_HOME"] = str(home)
    e["PYTHONPATH"] = str(REPO)
    return e


def test_csv_json_matches_the_backtesting_py_readme_example(goog_csv: Path, tmp_path: Path) -> None:
    p = subprocess.run(
        [
            *CLI,
            "--strategy",
            "sma_cross",
            "--param",
            "fast=10",
            "--param",
            "slow=20",
            "--csv",
            str(goog_csv),
            "--cash",
            "10000",
            "--commission",
            "0.002",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env(tmp_path / "home"),
        cwd=tmp_path,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) >= REQUIRED
    assert out["trades"] == 94 and out["params"] == {"fast": 10, "slow": 20}
    assert out["return_pct"] == pytest.approx(455.745129, abs=1e-5)
    assert out["max_drawdown_pct"] == pytest.approx(-33.931592, abs=1e-5)
    assert out["sharpe"] == pytest.approx(0.596858, abs=1e-5)
    assert out["win_rate_pct"] == pytest.approx(53.191489, abs=1e-5)
    assert len(out["trade_list"]) == 94 and out["trade_list"][0]["entry_bar"] == 63


def test_table_output_is_readable(goog_csv: Path) -> None:
    r = invoke("--strategy", "sma_cross", "--csv", str(goog_csv), "--commission", "0.002")
    assert r.exit_code == 0, r.stderr
    for text in (
        "sma_cross(fast=10, slow=20) on GOOG",
        "Trades",
        "94",
        "Sharpe",
        "0.597",
        "Max drawdown",
        "-33.93 %",
        "Profit factor",
        "Final equity",
        "55,574.51",
    ):
        assert text in r.stdout


def test_date_range_and_other_strategies(goog_csv: Path) -> None:
    r = invoke(
        "--strategy",
        "breakout",
        "--param",
        "n=30",
        "--csv",
        str(goog_csv),
        "--start",
        "2010-01-01",
        "--end",
        "2011-12-31",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (
        out["start"] == "2010-01-04"
        and out["end"] == "2011-12-30"
        and out["bars"] == len(GOOG.loc["2010":"2011"])
    )
    for name in ("ema_cross", "mean_reversion", "volume_spike"):
        res = invoke("--strategy", name, "--csv", str(goog_csv), "--long-only", "--json")
        assert res.exit_code == 0, res.stderr
        assert json.loads(res.stdout)["strategy"] == name


def test_simulator_history_by_symbol(tmp_path: Path) -> None:
    p = subprocess.run(
        [*CLI, "--strategy", "sma_cross", "--symbol", "aapl", "--json"],
        capture_output=True,
        text=True,
        env=env(tmp_path / "home"),
        cwd=tmp_path,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["symbol"] == "AAPL" and out["source"] == "sim" and out["bars"] > 500
    assert out["trades"] > 0
    bad = subprocess.run(
        [*CLI, "--strategy", "sma_cross", "--symbol", "NOPE1"],
        capture_output=True,
        text=True,
        env=env(tmp_path / "home"),
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and "Unknown symbol 'NOPE1'" in bad.stderr
    assert "Traceback" not in bad.stderr
    typo = subprocess.run(
        [*CLI, "--strategy", "sma_cross", "--symbol", "appl"],
        capture_output=True,
        text=True,
        env=env(tmp_path / "home"),
        cwd=tmp_path,
        timeout=120,
    )
    assert typo.returncode == 2
    assert typo.stderr.strip() == "cotrader backtest: Unknown symbol APPL. Did you mean AAPL?"


def test_chart_writes_the_equity_and_drawdown_png(goog_csv: Path, tmp_path: Path) -> None:
    png = tmp_path / "equity.png"
    p = subprocess.run(
        [*CLI, "--strategy", "sma_cross", "--csv", str(goog_csv), "--chart", str(png), "--json"],
        capture_output=True,
        text=True,
        env=env(tmp_path / "home"),
        cwd=tmp_path,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["chart"] == str(png) and out["trades"] == 94
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    table = tmp_path / "table.png"
    r = invoke("--strategy", "sma_cross", "--csv", str(goog_csv), "--chart", str(table))
    assert r.exit_code == 0, r.stderr
    assert f"Equity and drawdown chart written to {table}" in r.stdout
    assert table.read_bytes().startswith(b"\x89PNG")


def test_chart_in_a_missing_directory_is_one_line_and_exit_2(
    goog_csv: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "equity.png"
    r = invoke("--strategy", "sma_cross", "--csv", str(goog_csv), "--chart", str(target))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (
        f"cotrader backtest: cannot write the chart to {target}: "
        f"directory {target.parent} does not exist\n"
    )
    assert not target.parent.exists()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    r = invoke("--strategy", "sma_cross", "--csv", str(goog_csv), "--chart", str(folder))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(f"cotrader backtest: cannot write the chart to {folder}: ")
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def bad_frames() -> list:
    no_close = small().drop(columns=["Close"])
    with_nan = small()
    with_nan.loc[7, "Low"] = float("nan")
    dup = small()
    dup.loc[5, "Date"] = dup.loc[4, "Date"]
    unsorted = small()
    unsorted.loc[[10, 11], "Date"] = unsorted.loc[[11, 10], "Date"].to_numpy()
    words = small().astype({"Volume": object})
    words.loc[3, "Volume"] = "lots"
    bad_date = small()
    bad_date.loc[2, "Date"] = "yesterday"
    return [
        pytest.param(no_close, "missing column(s) Close", id="missing column"),
        pytest.param(with_nan, "column Low has 1 missing (NaN)", id="NaN"),
        pytest.param(dup, "duplicated date 2004-08-25", id="duplicated date"),
        pytest.param(unsorted, "dates are not sorted: 2004-09-02 (row 12)", id="unsorted"),
        pytest.param(words, "column Volume holds 'lots', not a number (row 4)", id="text"),
        pytest.param(bad_date, "column Date holds a value that is not a date", id="bad date"),
        pytest.param(small(1), "need at least 2 bars", id="one row"),
    ]


@pytest.mark.parametrize(("frame", "message"), bad_frames())
def test_bad_csv_is_named_with_exit_code_2(
    tmp_path: Path, frame: pd.DataFrame, message: str
) -> None:
    r = invoke("--strategy", "sma_cross", "--csv", str(write(tmp_path, frame)))
    assert r.exit_code == 2
    assert r.stderr.startswith("cotrader backtest: ") and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "smacross"], "unknown strategy 'smacross'; known: breakout"),
        (["--strategy", "sma_cross", "--param", "speed=3"], "no parameter 'speed'"),
        (["--strategy", "sma_cross", "--param", "fast=ten"], "fast must be an integer"),
        (["--strategy", "sma_cross", "--param", "fast"], "'fast' is not KEY=VALUE"),
        (["--strategy", "sma_cross", "--param", "fast=40"], "must be less than slow"),
        (
            ["--strategy", "sma_cross", "--param", "slow=9000"],
            "2148 bars are too few for sma_cross(fast=10, slow=9000)",
        ),
        (["--strategy", "sma_cross", "--start", "2030-01-01"], "no bars between 2030-01-01"),
        (["--strategy", "sma_cross", "--start", "last week"], "start date 'last week' is not"),
        (
            ["--strategy", "sma_cross", "--start", "2012-01-01", "--end", "2011-01-01"],
            "start date 2012-01-01 is after end date 2011-01-01",
        ),
        (["--strategy", "sma_cross", "--cash", "-5"], "cash must be a positive amount"),
        (["--strategy", "sma_cross", "--commission", "0.5"], "commission must be a fraction"),
        (["--strategy", "sma_cross", "--symbol", "AAPL"], "exactly one of --symbol"),
    ],
)
def test_bad_arguments_are_named_with_exit_code_2(
    goog_csv: Path, args: list[str], message: str
) -> None:
    r = invoke(*args, "--csv", str(goog_csv))
    assert r.exit_code == 2
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_no_source_or_a_missing_file(tmp_path: Path) -> None:
    r = invoke("--strategy", "sma_cross")
    assert r.exit_code == 2 and "exactly one of --symbol SYM or --csv FILE" in r.stderr
    r = invoke("--strategy", "sma_cross", "--csv", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "CSV file not found" in r.stderr
