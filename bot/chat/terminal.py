"""`cotrader chat`: the front end that needs no Discord. Reads a terminal or a pipe."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from loguru import logger
from rich.console import Console

from agents.errors import CotraderError
from agents.events import DeskEvent, ScanPosted
from agents.orchestrator import Orchestrator
from agents.results import Reply
from bot.chat.commands import CommandHandler, QuitRequested
from bot.chat.render import render, reply_json
from bot.event_text import event_text
from bot.signals import LineReader, stop_signals
from brokers.base import BrokerError
from models.domain import Actor


def local_actor() -> Actor:
    """The person at this terminal: the account's owner, so an approver."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "local"
    return Actor(id=f"terminal:{user}", name=user, can_approve=True)


async def run_chat(
    orch: Orchestrator,
    as_json: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    files: Path | None = None,
) -> int:
    """Read lines until /quit, end of input, SIGTERM or SIGINT; every line gets an answer,
    none kills us. A signal stops taking lines, lets an approval in flight reach a booked or
    known state, closes the streams and returns 0. Charts go to `files` (default: the
    working directory)."""
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    con = Console(file=out, highlight=False, soft_wrap=True, markup=False)
    interactive = inp.isatty() and not as_json
    handler = CommandHandler(orch, local_actor(), files)

    def emit(reply: Reply) -> None:
        if as_json:
            out.write(reply_json(reply) + "\n")
            out.flush()
        else:
            render(reply, con)

    async def on_event(e: DeskEvent) -> None:
        payload = e.report if isinstance(e, ScanPosted) else e
        emit(Reply(kind=f"alert.{e.kind}", text=event_text(e), payload=payload))

    orch.subscribe(on_event)
    orch.llm.warm_in_background()
    try:
        await orch.start()
    except (CotraderError, BrokerError) as e:
        emit(Reply(kind="error", text=f"Cannot start: {e}"))
        await orch.stop()
        return 2
    lines = LineReader(inp)
    try:
        with stop_signals() as stopping:
            return await _loop(orch, handler, emit, lines, stopping, out, con, as_json, interactive)
    finally:
        await orch.stop()


async def _loop(
    orch: Orchestrator,
    handler: CommandHandler,
    emit: Callable[[Reply], None],
    lines: LineReader,
    stopping: asyncio.Event,
    out: TextIO,
    con: Console,
    as_json: bool,
    interactive: bool,
) -> int:
    st = await orch.status()
    banner = (
        f"cotrader [{st.mode_label}] broker {st.broker}, data {st.data}, LLM {st.llm}. "
        "/help lists commands; /quit leaves."
    )
    if as_json:
        out.write(
            json.dumps({"kind": "ready", "ok": True, "mode": st.mode_label, "text": banner}) + "\n"
        )
        out.flush()
    else:
        con.print(banner)
    while not stopping.is_set():
        if interactive:
            out.write("cotrader> ")
            out.flush()
        line = await lines.next(stopping)
        if line is None:
            break
        try:
            reply = await handler.handle(line)
        except QuitRequested:
            emit(Reply(kind="bye", text="Bye."))
            break
        except Exception as e:  # the process never dies on input
            logger.exception("chat line failed")
            reply = Reply(
                kind="error",
                text=f"Internal error ({type(e).__name__}); it was "
                "logged and nothing was changed by this line.",
            )
        if reply is not None:
            emit(reply)
    if stopping.is_set():
        logger.info("stop signal: leaving the chat")
        emit(Reply(kind="bye", text="Stopping: signal received."))
    try:
        await orch.record_day()
    except Exception:  # leaving must never fail
        logger.exception("daily snapshot at exit failed")
    return 0
