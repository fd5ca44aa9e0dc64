"""Who is executing an approval: one id per desk instance, and whether its owner still lives.

An approval is leased to the instance that took the click (`lease_owner`, `lease_until` on
the proposal). Recovery takes an approval over only when its owner is gone: this process
after the approval left memory, a dead process on this host (its pid is gone, or the pid now
belongs to a later process), or, on another host, once the lease ran out.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

LEASE = timedelta(minutes=2)  # an approval's owner on another host is presumed gone after this
_HOST = socket.gethostname().replace(":", "_")[:64]
_PROCESS = secrets.token_hex(4)  # tells this process from an earlier one with the same pid
_RETIRED: set[str] = set()  # desks of this process that have ended (their app was closed)


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    process: str
    desk: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.process}:{self.desk}"

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        parts = (text or "").rsplit(":", 3)
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2], parts[3])


def new_owner() -> Owner:
    """A fresh id for one desk (an orchestrator) in this process."""
    return Owner(_HOST, os.getpid(), _PROCESS, secrets.token_hex(4))


def retire(owner: Owner) -> None:
    """This desk has ended: another desk in this process may recover what it held."""
    _RETIRED.add(owner.desk)


def owner_state(owner: str | None, me: Owner) -> str:
    """'me', 'alive' (another desk that may still be working), 'gone', or 'unknown' (another
    host: only the lease's end tells)."""
    o = Owner.parse(owner)
    if o is None:
        return "gone"  # no owner recorded (an approval from before leases existed)
    if o == me:
        return "me"
    if o.host != me.host:
        return "unknown"
    if o.pid == me.pid:
        if o.process != me.process:
            return "gone"  # an earlier process that had this pid
        return "gone" if o.desk in _RETIRED else "alive"
    try:
        os.kill(o.pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        return "alive"
    return "gone" if _zombie(o.pid) else "alive"


def _zombie(pid: int) -> bool:
    """A process that has exited but not been reaped still answers kill(pid, 0)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False
