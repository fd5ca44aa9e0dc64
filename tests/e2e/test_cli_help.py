"""`/help` and `/help COMMAND` in a real `cotrader chat --json`, and README's terminal
command table against the one registry of commands (bot/chat/help.py)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.chat.help import COMMANDS
from tests.e2e.test_cli import Chat

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_terminal_usages() -> list[str]:
    """The first cell of each row of README's terminal command table, unescaped."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commands you can type", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| `")]
    out = []
    for row in rows:
        m = re.match(r"\| `((?:[^`])+)` \|", row)
        assert m, row
        out.append(m[1].replace("\\|", "|"))
    return out


def test_readme_lists_exactly_the_registry_commands_with_their_usage() -> None:
    assert readme_terminal_usages() == [c.usage for c in COMMANDS]


def test_help_lists_every_command_and_help_command_gives_the_detail(tmp_path: Path) -> None:
    c = Chat(tmp_path / "h")
    listing = c.send("/help")
    assert listing["kind"] == "help"
    for cmd in COMMANDS:
        assert cmd.usage in listing["text"].replace("\n    ", " "), cmd.name
    assert len(listing["text"].splitlines()) < 3 * len(COMMANDS)

    detail = c.send("/help propose")
    assert detail["kind"] == "help" and detail["command"] == "propose"
    for part in ("limit=PRICE", "tif=day|gtc|opg", "$AMOUNT", "PCT%", "Examples:"):
        assert part in detail["text"], part
    assert "/propose TSLA short 5% stop=260 target=210 tif=gtc" in detail["text"]
    assert c.send("/help /kill")["command"] == "kill"  # a slash or an alias is fine
    assert c.send("/help pos")["command"] == "positions"
    assert "/kill confirm" in c.send("/help kill")["text"]

    bad = c.send("/help frobnicate")
    assert bad["kind"] == "error" and "No command 'frobnicate'" in bad["text"]
    plain = c.send("help")  # the chat's own "help" answers with the same list
    assert plain["kind"] == "help" and plain["text"] == listing["text"]
    code, _ = c.quit()
    assert code == 0


def test_every_registered_command_is_understood(tmp_path: Path) -> None:
    """No name in the registry answers 'Unknown command' (quit aside, which leaves)."""
    c = Chat(tmp_path / "h")
    harmless = {"kill": "/kill frobnicate"}  # a plain /kill would halt the desk
    for cmd in COMMANDS:
        if cmd.name == "quit":
            continue
        reply = c.send(harmless.get(cmd.name, f"/{cmd.name}"))
        assert "Unknown command" not in reply["text"], (cmd.name, reply)
    code, _ = c.quit()
    assert code == 0
