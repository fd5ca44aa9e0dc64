"""Named crash points on the execution path, for the crash-recovery tests.

`COTRADER_FAILPOINTS=approve.after_order` makes the process kill itself with SIGKILL (no
clean-up, like a power cut) when execution reaches that point; `name=raise` raises
`Crash` instead (an in-process test of the same state). Unset, a failpoint costs one set
lookup and does nothing. Points: approve.before_order (approved, re-checked, no order row),
approve.after_order (order row `pending_submit`, nothing sent), approve.after_submit (the
venue answered, nothing booked), exit.after_lift (an exit took the position's protective
orders off at the venue, the exit itself not sent yet).
"""

from __future__ import annotations

import os
import signal

from loguru import logger

POINTS = frozenset(
    {"approve.before_order", "approve.after_order", "approve.after_submit", "exit.after_lift"}
)


class Crash(BaseException):
    """Raised at an armed failpoint in `raise` mode; nothing catches it on purpose."""


_armed: dict[str, str] = {}


def arm(spec: str | None) -> None:
    """Arm `name[=kill|raise],...` (replacing what was armed); unknown names are ignored."""
    _armed.clear()
    for part in (spec or "").split(","):
        name, _, how = part.strip().partition("=")
        if name in POINTS:
            _armed[name] = how or "kill"


def hit(name: str) -> None:
    """Crash here if `name` is armed."""
    how = _armed.get(name)
    if how is None:
        return
    if how == "raise":
        raise Crash(name)
    logger.warning("failpoint {}: killing the process", name)
    logger.complete()
    os.kill(os.getpid(), signal.SIGKILL)


arm(os.environ.get("COTRADER_FAILPOINTS"))
