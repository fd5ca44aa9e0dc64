"""Shared helpers for the benchmark scripts: isolation, percentiles, JSON output, processes."""

from __future__ import annotations

import gc
import json
import math
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import App

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"

# Make `import bot` work from any cwd even without the editable install.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Vendor variables that would change what the app does (they are stripped, never read).
_VENDOR_VARS = (
    "DISCORD_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "TT_SECRET",
    "TT_REFRESH",
)


# ----------------------------------------------------------------------------- isolation


@contextmanager
def temp_home(prefix: str = "cotrader-bench-") -> Iterator[Path]:
    """A throw-away COTRADER_HOME, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as d:
        yield Path(d)


def clean_env(home: Path | None = None) -> dict[str, str]:
    """The current environment without COTRADER_* or vendor keys, plus COTRADER_HOME=home."""
    drop = {v.upper() for v in _VENDOR_VARS}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith("COTRADER_") and k.upper() not in drop
    }
    if home is not None:
        env["COTRADER_HOME"] = str(home)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if cotrader_cmd()[0] == sys.executable:  # `python -m bot.cli` needs the repo importable
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
    return env


def isolate_process_env() -> None:
    """Strip COTRADER_* and vendor keys from this process (in-process benches use defaults)."""
    clean = clean_env()
    for k in list(os.environ):
        if k not in clean:
            del os.environ[k]


def build_app(home: Path, **overrides: Any) -> App:
    """A fresh App on the built-in simulator with its database and logs under `home`.

    Mirrors `cotrader chat` (logging to a file, schema upgrade) but ignores any `.env`.
    """
    from bot.app import build
    from bot.logs import setup_logging
    from bot.settings import load_settings

    isolate_process_env()
    settings = load_settings(home=home, _env_file=None, **overrides)
    setup_logging(settings.home_dir, settings.log_level, settings.secrets(), console=False)
    app = build(settings)
    gc.collect()  # as `cotrader chat` and `run` do (bot/cli.py _settle_heap)
    gc.freeze()
    return app


def close_app(app: App) -> None:
    """Dispose the app's engine and detach loguru from the temp home."""
    from loguru import logger

    app.close()
    logger.remove()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on a throwaway local PostgreSQL cluster (the test suite's: Debian's
    `postgresql` binaries, fsync and synchronous commit off); its SQLAlchemy URL."""
    from tests.pg import start_cluster

    cluster = start_cluster()
    try:
        yield cluster.create_database()
    finally:
        cluster.stop()


# ----------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (0..100) with linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    k = (len(xs) - 1) * min(max(pct, 0.0), 100.0) / 100.0
    lo = math.floor(k)
    hi = math.ceil(k)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (k - lo))


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def ms(ns: int) -> float:
    """Nanoseconds as milliseconds."""
    return ns / 1e6


def rnd(x: float, nd: int = 3) -> float | None:
    """Rounded for JSON (NaN becomes null)."""
    return None if math.isnan(x) else round(x, nd)


def latency(ms_values: Sequence[float], nd: int = 3) -> dict[str, Any]:
    """count, p50, p90, p99 and max of latencies in ms, rounded for JSON."""
    return {
        "count": len(ms_values),
        "p50_ms": rnd(percentile(ms_values, 50), nd),
        "p90_ms": rnd(percentile(ms_values, 90), nd),
        "p99_ms": rnd(percentile(ms_values, 99), nd),
        "max_ms": rnd(max(ms_values), nd) if ms_values else None,
    }


# ----------------------------------------------------------------------------- output


def emit(name: str, figures: Mapping[str, Any], targets: Mapping[str, Any], ok: bool) -> None:
    """Print the one JSON object a bench script produces."""
    out: dict[str, Any] = {"bench": name, **figures, "targets": dict(targets), "ok": ok}
    print(json.dumps(out), flush=True)


# ----------------------------------------------------------------------------- processes


def cotrader_cmd() -> list[str]:
    """The `cotrader` console script of the venv, else `python -m bot.cli`."""
    exe = Path(sys.executable).parent / "cotrader"
    if exe.is_file() and os.access(exe, os.X_OK):
        return [str(exe)]
    found = REPO_ROOT / ".venv" / "bin" / "cotrader"
    if found.is_file() and os.access(found, os.X_OK):
        return [str(found)]
    on_path = shutil.which("cotrader")
    if on_path:
        return [on_path]
    return [sys.executable, "-m", "bot.cli"]


class LineReader:
    """Reads a child's stdout on a thread so every wait can have a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self._q: queue.Queue[str | None] = queue.Queue()
        self._t = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._t.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._q.put(line)
        self._q.put(None)

    def line(self, timeout: float) -> str | None:
        """The next line, or None at end of output; raises TimeoutError."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no output within {timeout:.0f} s") from None

    def reply(self, timeout: float) -> dict[str, Any]:
        """The next JSON reply that is not an alert (alerts are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            raw = self.line(max(0.1, deadline - time.monotonic()))
            if raw is None:
                raise EOFError("the chat ended before replying")
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and not str(obj.get("kind", "")).startswith("alert."):
                return obj


def start_chat(home: Path) -> subprocess.Popen[str]:
    """`cotrader chat --json` with COTRADER_HOME=home, cwd=home (so no stray .env is read)."""
    return subprocess.Popen(
        [*cotrader_cmd(), "chat", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        cwd=home,
        env=clean_env(home),
    )


def stop_chat(proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Send /quit, close stdin and wait; kill only this child if it does not leave."""
    try:
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.write("/quit\n")
            proc.stdin.flush()
            proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
