"""Logging: loguru for everything (stdlib logging routed in), rotation, secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from loguru import logger

# Shapes of well-known credentials, redacted even when not configured here.
_PATTERNS = [
    re.compile(r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}\b"),  # Discord
    re.compile(r"(?i)(authorization:\s*(?:bearer|bot)\s+)[^\s'\"]+"),
    re.compile(r"(?i)(apca-api-(?:key-id|secret-key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
]
MASK = "***"


class Redactor:
    """Replaces configured secret values and credential-shaped strings with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, MASK)
        for p in _PATTERNS:
            text = p.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text

    def patch(self, record: Any) -> None:
        """loguru patcher: redact the message, and fold any traceback into it, redacted."""
        msg = record["message"]
        exc = record["exception"]
        if exc is not None:
            tb = "".join(traceback.format_exception(exc.type, exc.value, exc.traceback))
            msg = f"{msg}\n{tb.rstrip()}"
            record["exception"] = None
        record["message"] = self(msg)


class _Intercept(logging.Handler):
    """Routes stdlib logging (discord.py, httpx, alembic...) into loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(
    home: Path, level: str = "INFO", secrets: Iterable[str] = (), console: bool = False
) -> Redactor:
    """Log to COTRADER_HOME/logs/cotrader.log (rotated at 10 MB, 10 kept), redacted."""
    red = Redactor(secrets)
    logger.remove()
    logger.configure(patcher=red.patch)
    logdir = home / "logs"
    logdir.mkdir(parents=True, exist_ok=True)

    logger.add(
        logdir / "cotrader.log",
        level=level,
        rotation="10 MB",
        retention=10,
        encoding="utf-8",
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}:{line} | {message}",
        backtrace=False,
        diagnose=False,  # never dump local variables (they may hold secrets)
        enqueue=False,
    )
    if console:
        logger.add(sys.stderr, level="WARNING", format="{level}: {message}", diagnose=False)
    logging.basicConfig(handlers=[_Intercept()], level=0, force=True)
    for noisy in ("discord", "httpx", "httpcore", "alembic", "apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    return red
