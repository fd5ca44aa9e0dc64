"""`cotrader run` leaves on SIGTERM (docker stop) within 10 s with exit code 0, the Discord
gateway closed, the desk loop and the streams stopped."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.e2e.discord.world import run_process
from tests.e2e.test_graceful_stop import stopped_within
from tests.fakes.discord import FakeDiscord


async def test_cotrader_run_stops_on_sigterm(fake: FakeDiscord, tmp_path: Path) -> None:
    home = tmp_path / "runhome"
    proc = await run_process(fake, home)
    await fake.ready(timeout=60)
    assert fake.gateway.live()
    proc.send_signal(signal.SIGTERM)
    code, err = await stopped_within(proc, 10)
    assert code == 0, err
    assert "Traceback" not in err
    assert fake.gateway.live() == []  # the gateway was closed, not dropped
    logs = "".join(f.read_text() for f in (home / "logs").glob("*.log"))
    assert "SIGTERM received: stopping gracefully" in logs
