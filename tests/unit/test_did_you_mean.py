"""An unknown symbol is refused with the closest known one when one is clearly meant:
"Unknown symbol APPL. Did you mean AAPL?"."""

from __future__ import annotations

import pytest

from agents.data import DataAgent
from agents.errors import BadInput, UnknownSymbol
from bot.app import App
from brokers.sim.market import SimMarket
from models.domain import Actor


@pytest.fixture(scope="module")
def data() -> DataAgent:
    return DataAgent(SimMarket())


def test_the_message_names_the_suggestion_only_when_there_is_one() -> None:
    assert str(UnknownSymbol("APPL", "AAPL")) == "Unknown symbol APPL. Did you mean AAPL?"
    plain = UnknownSymbol("ZZZZ")
    assert str(plain) == "Unknown symbol 'ZZZZ': not in this market's universe."
    assert plain.suggestion is None and isinstance(plain, BadInput)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("APPL", "AAPL"), ("appl", "AAPL"), ("MSFR", "MSFT"), ("NVDIA", "NVDA"), ("SPYY", "SPY")],
)
def test_a_typo_gets_the_closest_known_symbol(data: DataAgent, typed: str, meant: str) -> None:
    assert data.suggest(typed) == meant
    with pytest.raises(UnknownSymbol) as e:
        data.normalise(typed)
    assert str(e.value) == f"Unknown symbol {typed.upper()}. Did you mean {meant}?"
    assert e.value.suggestion == meant


@pytest.mark.parametrize("typed", ["ZZZZ", "NOPE1", "XYZ", "Q"])
def test_nothing_alike_gets_no_guess(data: DataAgent, typed: str) -> None:
    assert data.suggest(typed) is None
    with pytest.raises(UnknownSymbol, match="not in this market's universe") as e:
        data.normalise(typed)
    assert "Did you mean" not in str(e.value)


def test_a_known_symbol_is_never_refused_or_suggested(data: DataAgent) -> None:
    assert data.normalise(" $aapl ") == "AAPL"
    assert data.suggest("AAPL") != "AAPL"  # a symbol is never offered for itself


def test_a_tie_is_not_a_guess() -> None:
    from dataclasses import replace

    from brokers.sim.universe import DEFAULT_UNIVERSE

    alike = [replace(DEFAULT_UNIVERSE[0], symbol=s) for s in ("ABCD", "ABCE")]
    agent = DataAgent(SimMarket(specs=alike))
    assert agent.suggest("ABCF") is None  # equally close to both


async def test_propose_appl_through_the_orchestrator(app: App, trader: Actor) -> None:
    orch = app.orchestrator
    with pytest.raises(UnknownSymbol) as e:
        await orch.propose("APPL", "buy", 5, trader)
    assert str(e.value) == "Unknown symbol APPL. Did you mean AAPL?"
    assert orch.store.proposals.list(["pending"]) == []  # nothing was written
    with pytest.raises(UnknownSymbol, match="Did you mean AAPL"):
        await orch.analyze("appl")
