"""Offline intent parsing: p50/p99 per message over the parser's phrasing table (target p99
under 2 ms)."""

from __future__ import annotations

import gc
import sys
import time

import _common as c

sys.path.insert(0, str(c.REPO_ROOT))

from agents.llm.offline_parser import parse
from tests.unit.test_offline_parser import KNOWN, TABLE


def main() -> None:
    texts = [p.values[0] for p in TABLE]
    timings: list[float] = []
    gc.disable()
    try:
        for _ in range(20):
            for text in texts:
                t = time.perf_counter_ns()
                parse(text, KNOWN)
                timings.append((time.perf_counter_ns() - t) / 1e6)
    finally:
        gc.enable()
    p99 = c.percentile(timings, 99)
    c.emit(
        "intent_parse",
        {
            "messages": len(texts),
            "runs": len(timings),
            "p50_ms": round(c.percentile(timings, 50), 3),
            "p99_ms": round(p99, 3),
            "max_ms": round(max(timings), 3),
        },
        {"p99_ms": 2.0},
        ok=p99 < 2.0,
    )


if __name__ == "__main__":
    main()
