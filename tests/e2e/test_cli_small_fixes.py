"""Small CLI refusals, as processes: dates the backtester cannot hold, mixed date formats,
a chart that cannot be written, several unknown symbols. Each is exit 2 and a line that
names the real problem."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.startup_helpers import cotrader

HEADER = "Date,Open,High,Low,Close,Volume\n"


def csv(tmp_path: Path, name: str, dates: list[str]) -> Path:
    path = tmp_path / name
    rows = [f"{d},{100 + i},{101 + i},{99 + i},{100.5 + i},1000" for i, d in enumerate(dates)]
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def test_backtest_csv_refuses_far_dates_and_names_mixed_formats(tmp_path: Path) -> None:
    far = csv(tmp_path, "far.csv", [f"2300-01-{d:02d}" for d in range(2, 30)])
    r = cotrader(tmp_path / "h", "backtest", "--strategy", "sma_cross", "--csv", str(far))
    assert r.returncode == 2, r.stdout[-500:]
    assert "date 2300-01-02 (row 1) is outside the dates the backtester handles" in r.stderr
    assert "1678" not in r.stdout + r.stderr
    mixed = csv(
        tmp_path,
        "mixed.csv",
        [f"2024-01-{d:02d}" for d in range(2, 20)] + ["01/02/2024", "01/03/2024"],
    )
    r = cotrader(tmp_path / "h", "backtest", "--strategy", "sma_cross", "--csv", str(mixed))
    assert r.returncode == 2
    assert "mixes date formats: '2024-01-02' (row 1) and '01/02/2024' (row 19)" in r.stderr
    assert "duplicated" not in r.stderr


def test_analyze_chart_to_an_unwritable_path(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "chart.png"
    r = cotrader(tmp_path / "h", "analyze", "NVDA", "--chart", str(target), stdin="")
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.startswith("cotrader: analyze: cannot write the chart to ")
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_scan_names_every_unknown_symbol(tmp_path: Path) -> None:
    r = cotrader(tmp_path / "h", "scan", "ZZZZ", "AAPL", "QQQQX", "--json", stdin="")
    assert r.returncode == 2, r.stderr[-2000:]
    body = json.loads(r.stdout)
    assert body["kind"] == "error" and not body["ok"]
    assert "Unknown symbols 'ZZZZ', 'QQQQX'" in body["text"]
    plain = cotrader(tmp_path / "h", "scan", "ZZZZ", "NOPE1", stdin="")
    assert plain.returncode == 2 and "'ZZZZ', 'NOPE1'" in plain.stdout
