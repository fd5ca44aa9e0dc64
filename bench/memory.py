"""Peak RSS of `cotrader chat --json`: right after start, and after a short session.

The peak (ru_maxrss) of each child is read with os.wait4, i.e. the resource module's rusage
of that one process. The session pipes /scan, /approve <first id>, /positions, /pnl, /quit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c

REPLY_TIMEOUT_S = 60.0


def _wait_peak_mb(proc: subprocess.Popen[str], timeout: float = 30.0) -> tuple[int, float]:
    """(exit code, peak RSS in MB) of a child that is leaving, reaped with os.wait4.

    If it has not left within `timeout` seconds it is killed (this child only).
    """
    if proc.stdin and not proc.stdin.closed:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    kib = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return proc.returncode, kib / 1024


def _send(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def _status_rss_mb(pid: int) -> float | None:
    """Current VmRSS from /proc (Linux only), else None."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for row in text.splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return None


def startup_peak(home: Path) -> tuple[float, float | None]:
    """(peak RSS MB of a chat that starts and quits at once, VmRSS MB when ready)."""
    proc = c.start_chat(home)
    assert proc.stdout is not None
    reader = c.LineReader(proc.stdout)
    try:
        first = reader.reply(REPLY_TIMEOUT_S)
        if first.get("kind") != "ready":
            raise RuntimeError(f"chat did not report ready: {first}")
        ready_rss = _status_rss_mb(proc.pid)
        _send(proc, "/quit")
    except BaseException:
        proc.kill()
        raise
    code, peak = _wait_peak_mb(proc)
    if code != 0:
        raise RuntimeError(f"chat exited {code}")
    return peak, ready_rss


def _first_id(reply: dict[str, Any]) -> str | None:
    for p in reply.get("proposals") or []:
        if isinstance(p, dict) and p.get("id"):
            return str(p["id"])
    return None


def session_peak(home: Path) -> tuple[float, dict[str, Any]]:
    """(peak RSS MB, what the session did) for /scan, /approve, /positions, /pnl, /quit."""
    proc = c.start_chat(home)
    assert proc.stdout is not None
    reader = c.LineReader(proc.stdout)
    info: dict[str, Any] = {}
    try:
        reader.reply(REPLY_TIMEOUT_S)  # ready
        _send(proc, "/scan")
        scan = reader.reply(REPLY_TIMEOUT_S)
        pid = _first_id(scan)
        info["scan_proposals"] = len(scan.get("proposals") or [])
        if pid is None:  # no idea this time: make one so that there is something to approve
            _send(proc, "/propose SPY buy 1")
            prop = reader.reply(REPLY_TIMEOUT_S)
            pid = str((prop.get("proposal") or prop).get("id") or "")
        _send(proc, f"/approve {pid}")
        approved = reader.reply(REPLY_TIMEOUT_S)
        info["approve_kind"] = approved.get("kind")
        info["approve_status"] = (approved.get("proposal") or approved).get("status")
        for cmd in ("/positions", "/pnl"):
            _send(proc, cmd)
            info[cmd[1:] + "_kind"] = reader.reply(REPLY_TIMEOUT_S).get("kind")
        info["session_rss_before_quit_mb"] = c.rnd(_status_rss_mb(proc.pid) or float("nan"), 1)
        _send(proc, "/quit")
        info["quit_kind"] = reader.reply(REPLY_TIMEOUT_S).get("kind")
    except BaseException:
        proc.kill()
        raise
    code, peak = _wait_peak_mb(proc)
    if code != 0:
        raise RuntimeError(f"chat exited {code}")
    return peak, info


def main() -> None:
    with c.temp_home() as home:
        start_mb, ready_mb = startup_peak(home)
    with c.temp_home() as home:
        sess_mb, info = session_peak(home)
    figures: dict[str, Any] = {
        "command": " ".join([*c.cotrader_cmd(), "chat", "--json"]),
        "peak_rss_start_mb": c.rnd(start_mb, 1),
        "rss_ready_mb": c.rnd(ready_mb, 1) if ready_mb is not None else None,
        "peak_rss_session_mb": c.rnd(sess_mb, 1),
        **info,
    }
    c.emit("memory", figures, {}, ok=True)


if __name__ == "__main__":
    main()
