"""`cotrader analyze SYMBOL [--chart FILE] [--json]` as a process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.test_cli import CLI, env


def test_analyze_prints_the_strategies_and_writes_the_chart(tmp_path: Path) -> None:
    png = tmp_path / "nvda.png"
    r = subprocess.run(
        [*CLI, "analyze", "nvda", "--chart", str(png), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(tmp_path / "h"),
    )
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["symbol"] == "NVDA" and 0 <= body["scan"]["score"] <= 100
    assert set(body["signals"]) == {
        "sma_cross",
        "ema_cross",
        "breakout",
        "mean_reversion",
        "volume_spike",
    }
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    bad = subprocess.run(
        [*CLI, "analyze", "ZZZZ"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(tmp_path / "h"),
    )
    assert bad.returncode == 2 and "ZZZZ" in bad.stderr and "Traceback" not in bad.stderr
