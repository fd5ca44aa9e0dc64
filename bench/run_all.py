"""Run every bench script, print their results as one JSON array, save bench/results/latest.json.

Exit code 0 when every script ran (a missed target only shows as "ok": false); 1 when a
script crashed, timed out or printed no JSON result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = (
    "scan.py",
    "approval_latency.py",
    "intent_parse.py",
    "startup.py",
    "memory.py",
    "discord_ack.py",
    "discord_approve.py",
    "discord_memory.py",
    "nl_to_card.py",
    "backtest.py",
    "bar_cache.py",
    "risk_check.py",
    "chart.py",
    "reconcile.py",
    "reconcile_venue.py",
    "recovery_time.py",
    "monitor.py",
    "monitor_pass.py",
    "monitor_discord.py",
    "options.py",
    "chains.py",
    "spread_select.py",
    "option_fill.py",
    "news_sentiment.py",
    "news.py",
    "news_discord.py",
    "reports.py",
)
TIMEOUT_S = 180.0


def _last_json(stdout: str) -> dict[str, Any] | None:
    """The last line of stdout that is a JSON object."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


def run_one(script: str) -> tuple[dict[str, Any], bool]:
    """(result object, crashed) for one bench script run as a subprocess."""
    name = script.removesuffix(".py")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(BENCH_DIR / script)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"bench": name, "ok": False, "error": f"timed out after {TIMEOUT_S:g} s"}, True
    wall = round(time.perf_counter() - t0, 1)
    result = _last_json(proc.stdout)
    if proc.returncode != 0 or result is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {
            "bench": name,
            "ok": False,
            "error": f"exit code {proc.returncode}" + ("" if result else ", no JSON result"),
            "stderr_tail": tail,
            "wall_s": wall,
        }, True
    result["wall_s"] = wall
    return result, False


def main() -> int:
    results: list[dict[str, Any]] = []
    crashed = False
    for script in SCRIPTS:
        print(f"running {script} ...", file=sys.stderr, flush=True)
        result, failed = run_one(script)
        results.append(result)
        crashed = crashed or failed
    text = json.dumps(results, indent=2)
    print(text)
    out_dir = BENCH_DIR / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(text + "\n", encoding="utf-8")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
