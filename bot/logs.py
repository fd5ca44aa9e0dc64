"""Logging: loguru for everything (stdlib logging routed in), rotation, secrets redacted.

The same redactor guards what people see: `redact(text)` and `redact_data(obj)` apply the
active one (configured with the secrets by `setup_logging` or `configure_redaction`) to
terminal, JSON and Discord output.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from dataclasses import fields, is_dataclass, replace
from enum import Enum
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


_active = Redactor()


def configure_redaction(secrets: Iterable[str] = ()) -> Redactor:
    """Make a redactor knowing `secrets` the one every front end's output goes through."""
    global _active
    _active = Redactor(secrets)
    return _active


def redact(text: str) -> str:
    """`text` with every configured secret and credential-shaped string replaced by ***."""
    return _active(text) if text else text


def redact_data(obj: Any) -> Any:
    """A copy of `obj` with every string in it redacted: str, list, tuple, dict, pydantic
    models (frozen ones too) and dataclasses; anything else (enum members included, even
    str ones) is returned as is."""
    if isinstance(obj, Enum):
        return obj
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, list | tuple | set | frozenset):
        items = [redact_data(x) for x in obj]
        return type(obj)(items) if not hasattr(obj, "_fields") else type(obj)(*items)
    if isinstance(obj, dict):
        return {redact_data(k): redact_data(v) for k, v in obj.items()}
    model_fields = getattr(type(obj), "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(obj, "model_copy"):
        update = {name: redact_data(getattr(obj, name)) for name in model_fields}
        return obj.model_copy(update=update)
    if is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: redact_data(getattr(obj, f.name)) for f in fields(obj) if f.init}
        return replace(obj, **changes)
    return obj


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
    """Log to COTRADER_HOME/logs/cotrader.log (rotated at 10 MB, 10 kept), redacted; the
    same redactor becomes the active one for what people see."""
    red = configure_redaction(secrets)
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
    floor = max(logging.INFO, logger.level(level).no)  # TRACE is loguru's, not stdlib's
    for noisy in ("discord", "httpx", "httpcore", "alembic", "apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(floor)
    return red
