"""/greeks on Discord: the calculator answers anyone with a public embed (price, the five
greeks, the European-pricing note); a price gives back its implied vol; every bad input
is refused privately with one sentence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from tests.conftest import Clock
from tests.e2e.discord.world import VIEWER_ID, field, running
from tests.fakes.discord import FakeDiscord

HULL: dict[str, Any] = {"spot": 42, "strike": 40, "days": 182.5, "rate": 0.1}


def value(embed: dict[str, Any], name: str) -> float:
    return float(field(embed, name).strip("`").replace(",", "").rstrip("%"))


async def test_greeks_answers_with_an_embed_and_solves_the_vol(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        call = await fake.slash("greeks", {"type": "call", **HULL, "vol": 0.2}, user=VIEWER_ID)
        msg = await call.response()
        assert not call.ephemeral
        e = msg["embeds"][0]
        assert "Call" in e["title"] and "spot 42" in e["title"] and "182.5 days" in e["title"]
        assert "vol 20.00%" in e["description"] and "rate 10.00%" in e["description"]
        assert value(e, "Price") == pytest.approx(4.7594, abs=1e-4)
        assert value(e, "Delta") == pytest.approx(0.7791, abs=1e-4)
        for name in ("Gamma", "Theta /day", "Vega /1pt", "Rho /1pt"):
            field(e, name)
        assert "European" in e["footer"]["text"] and "per calendar day" in e["footer"]["text"]

        put = await fake.slash("greeks", {"type": "put", **HULL, "vol": 0.2})
        assert value((await put.response())["embeds"][0], "Price") == pytest.approx(0.81, abs=5e-3)

        solved = await fake.slash("greeks", {"type": "call", **HULL, "price": 4.759422392871532})
        e = (await solved.response())["embeds"][0]
        assert value(e, "Implied vol") == pytest.approx(20.0, abs=1e-4)
        assert "implied by the price" in e["description"]

        expiry = (clock() + timedelta(days=30)).date().isoformat()
        dated = await fake.slash(
            "greeks", {"type": "put", "spot": 100, "strike": 95, "expiry": expiry, "vol": 0.3}
        )
        assert f"to {expiry} 16:00 ET" in (await dated.response())["embeds"][0]["title"]


BAD: list[tuple[dict[str, Any], str]] = [
    ({"spot": -42, "days": 30, "vol": 0.2}, "spot must be above 0"),
    ({"days": 0, "vol": 0.2}, "days must be above 0"),
    ({"days": 30, "vol": 0}, "vol must be above 0"),
    ({"days": 30, "vol": 25}, "it is a decimal"),
    ({"days": 30, "vol": 0.2, "price": 3}, "not both"),
    ({"days": 30}, "Give vol"),
    ({"vol": 0.2}, "Give the time to expiry"),
    ({"days": 30, "expiry": "2099-01-01", "vol": 0.2}, "not days and expiry"),
    ({"expiry": "next friday", "vol": 0.2}, "a date like 2027-01-15"),
    ({"expiry": "2020-01-17", "vol": 0.2}, "has passed"),
    ({"days": 30, "price": 1, "rate": 0.1}, "below the call's lower bound"),
    ({"days": 30, "price": 50}, "upper bound 42.0000"),
]


async def test_bad_input_is_refused_privately(
    fake: FakeDiscord, make_app: Callable[..., App], clock: Clock
) -> None:
    async with running(fake, make_app, clock):
        for options, said in BAD:
            h = await fake.slash("greeks", {"type": "call", "spot": 42, "strike": 40, **options})
            msg = await h.response()
            assert h.ephemeral and not msg.get("embeds"), options
            assert said in msg["content"] and "\n" not in msg["content"], (options, msg)
