"""Reports as processes: `/report` through `cotrader chat --json` (kind `report`, the figures
`/pnl` shows) and `cotrader report --period … [--date] [--out] [--json]`; bad input is one
line on stderr, exit 2, no traceback and no file."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from tests.e2e.test_cli import CLI, Chat, env


def test_report_in_chat_and_as_a_command_agree_with_pnl(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chat = Chat(home)
    card = chat.send("/propose AAPL buy 10")
    assert card["kind"] == "proposal", card
    assert chat.send(f"/approve {card['proposal']['id']}")["kind"] == "approved"
    close = chat.send("/close AAPL")
    assert chat.send(f"/approve {close['proposal']['id']}")["kind"] == "approved"
    pnl = chat.send("/pnl day")
    rep = chat.send("/report")
    assert rep["kind"] == "report" and rep["ok"] and rep["period"] == "day", rep
    fig = rep["figures"]
    assert fig["realised"] == pnl["realized"] and fig["trades_closed"] == 1
    assert set(rep["files"]) >= {"markdown", "trades_csv", "equity_csv", "equity_chart"}
    said = chat.send("weekly report")
    assert said["kind"] == "report" and said["period"] == "week", said
    assert chat.quit()[0] == 0

    out = tmp_path / "out"
    r = subprocess.run(
        [*CLI, "report", "--period", "day", "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=180, env=env(home),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["kind"] == "report" and body["realised"] == pnl["realized"]
    assert all(Path(p).parent == out and Path(p).exists() for p in body["files"].values())
    with Path(body["files"]["trades_csv"]).open() as f:
        rows = list(csv.DictReader(f))
    assert [x["symbol"] for x in rows] == ["AAPL"]
    assert round(sum(float(x["realised_pnl"]) for x in rows), 2) == pnl["realized"]
    text = subprocess.run(
        [*CLI, "report", "--period", "week"], capture_output=True, text=True, timeout=180,
        env=env(home),
    )  # fmt: skip
    assert text.returncode == 0 and "Report week of" in text.stdout and "Files:" in text.stdout


def test_bad_report_arguments_exit_2_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for args, words in (
        (["--period", "year"], "day, week or month"),
        (["--date", "2026-13-40"], "is not a date"),
        (["--date", "2999-01-01"], "has not started"),
        (["--out", str(blocker / "reports")], "cannot write the report"),
    ):
        r = subprocess.run(
            [*CLI, "report", *args], capture_output=True, text=True, timeout=180, env=env(home)
        )
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, lines
    assert not list(tmp_path.rglob("report-*.md"))
