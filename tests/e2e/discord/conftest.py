"""Fixtures for the Discord end-to-end tests: a loopback Discord with a small cast."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.discord.world import ALERT_CHANNEL, people
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord import payloads as p


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    channels = {p.CHANNEL_ID: "trading-desk", ALERT_CHANNEL: "alerts"}
    async with FakeDiscord(channels=channels) as f:
        people(f)
        yield f
        # Nothing the bot sent was refused by Discord's rules (limits, double acks, late acks).
        assert [(v.method, v.path, v.code, v.message) for v in f.violations] == []
