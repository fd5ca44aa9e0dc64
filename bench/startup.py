"""Wall time of `cotrader --help`, and of `cotrader chat --json` until its "ready" line.

Cold chat runs each get a fresh COTRADER_HOME (the database is created and migrated);
warm runs reuse a home whose database already exists.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import _common as c

HELP_RUNS = 5
COLD_RUNS = 5
WARM_RUNS = 5
TARGET_HELP_S = 0.5
READY_TIMEOUT_S = 60.0


def time_help() -> list[float]:
    """Seconds per `cotrader --help` run."""
    out: list[float] = []
    with c.temp_home() as home:
        for _ in range(HELP_RUNS):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [*c.cotrader_cmd(), "--help"],
                cwd=home,
                env=c.clean_env(home),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            out.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(f"cotrader --help exited {proc.returncode}: {proc.stderr}")
    return out


def time_ready(home: Path) -> float:
    """Seconds from spawning `cotrader chat --json` to its first stdout line (kind ready)."""
    t0 = time.perf_counter()
    proc = c.start_chat(home)
    try:
        assert proc.stdout is not None
        line = c.LineReader(proc.stdout).line(READY_TIMEOUT_S)
        elapsed = time.perf_counter() - t0
        if line is None or json.loads(line).get("kind") != "ready":
            raise RuntimeError(f"chat did not report ready: {line!r}")
        return elapsed
    finally:
        c.stop_chat(proc)


def main() -> None:
    helps = time_help()
    cold: list[float] = []
    for _ in range(COLD_RUNS):
        with c.temp_home() as home:
            cold.append(time_ready(home))
    warm: list[float] = []
    with c.temp_home() as home:
        time_ready(home)  # creates and migrates the database
        for _ in range(WARM_RUNS):
            warm.append(time_ready(home))
    help_median = c.median(helps)
    figures = {
        "command": " ".join(c.cotrader_cmd()),
        "help_runs": HELP_RUNS,
        "help_min_s": c.rnd(min(helps)),
        "help_median_s": c.rnd(help_median),
        "chat_ready_cold_runs": COLD_RUNS,
        "chat_ready_cold_median_s": c.rnd(c.median(cold)),
        "chat_ready_cold_min_s": c.rnd(min(cold)),
        "chat_ready_warm_runs": WARM_RUNS,
        "chat_ready_warm_median_s": c.rnd(c.median(warm)),
        "chat_ready_warm_min_s": c.rnd(min(warm)),
    }
    c.emit(
        "startup",
        figures,
        {"help_median_s": f"< {TARGET_HELP_S:g}"},
        ok=help_median < TARGET_HELP_S,
    )


if __name__ == "__main__":
    main()
