"""Graceful stop for the long-running front ends: SIGTERM (docker stop) and SIGINT (Ctrl-C)
set an event instead of killing the process, and stdin is read on a daemon thread so a
pending read never holds the process open."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TextIO

from loguru import logger

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT while the block runs (the running loop's handlers;
    the previous handlers come back afterwards)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if not stopping.is_set():
            logger.info("{} received: stopping gracefully", sig.name)
        stopping.set()

    installed = []
    for sig in SIGNALS:
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield stopping
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


class LineReader:
    """Lines from a text stream, read on a daemon thread (None at end of input)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._read, name="stdin", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                line: str | None = self._stream.readline() or None
            except (OSError, ValueError):
                line = None
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
            if line is None:
                return

    async def next(self, stopping: asyncio.Event) -> str | None:
        """The next line, or None at end of input or once `stopping` is set."""
        if self._queue.empty():
            self._wanted.set()
        getter = asyncio.ensure_future(self._queue.get())
        stop = asyncio.ensure_future(stopping.wait())
        done, _ = await asyncio.wait({getter, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if getter in done:
            return getter.result()
        getter.cancel()
        return None
