"""The last gate on any model-written text shown to a user: no secret, no system prompt."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Credential shapes, caught even when the value is not one we hold.
CREDENTIAL = re.compile(
    r"(sk-(?:ant-)?[A-Za-z0-9_\-]{16,}|(?:PK|AK|CK)[A-Z0-9]{16,}|"
    r"(?i:bearer)\s+[A-Za-z0-9._\-]{20,}|[MN][A-Za-z\d]{23,}\.[\w-]{6}\.[\w-]{27,})"
)
LEAK_WINDOW = 60  # characters of a system prompt that, quoted verbatim, count as a leak

REFUSAL = (
    "I can't share that. I can scan, analyse, propose trades for your approval and report on "
    "the book; approvals, settings and secrets are out of reach from chat."
)


class ReplyGuard:
    def __init__(self, secrets: Iterable[str] = (), prompts: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._prompts = [" ".join(p.split()).lower() for p in prompts if p]

    def add_prompt(self, prompt: str) -> None:
        flat = " ".join(prompt.split()).lower()
        if flat not in self._prompts:
            self._prompts.append(flat)

    def leaks(self, text: str) -> bool:
        """True when `text` holds a secret, a credential shape or a slice of a system prompt."""
        if any(s in text for s in self.secrets) or CREDENTIAL.search(text):
            return True
        flat = " ".join(text.split()).lower()
        if len(flat) < LEAK_WINDOW:
            return False
        for prompt in self._prompts:
            for i in range(0, max(1, len(prompt) - LEAK_WINDOW + 1), LEAK_WINDOW // 2):
                if prompt[i : i + LEAK_WINDOW] in flat:
                    return True
        return False

    def clean(self, text: str) -> str:
        """The text itself, or a refusal when it would leak."""
        return REFUSAL if self.leaks(text) else text
