"""Strategy settings: which strategies a scan runs and their parameters, validated."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from models.config import StrategyConfig
from services.signals import STRATEGIES


def test_defaults_run_every_strategy_with_its_registry_parameters() -> None:
    st = load_settings().strategy()
    assert st.strategies == tuple(STRATEGIES) and st.params == {} and st.fresh_bars == 3


def test_parameters_and_the_list_come_from_settings() -> None:
    st = load_settings(
        strategies="sma_cross,breakout",
        strategy_params="sma_cross.fast=20, sma_cross.slow=50, breakout.n=55",
        strategy_fresh_bars=5,
    ).strategy()
    assert st == StrategyConfig(
        strategies=("sma_cross", "breakout"),
        params={"sma_cross": {"fast": 20, "slow": 50}, "breakout": {"n": 55}},
        fresh_bars=5,
    )
    assert isinstance(st.params["sma_cross"]["fast"], int)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"strategies": "sma_cross,astrology"}, "unknown strategy 'astrology'"),
        ({"strategy_params": "sma_cross.speed=3"}, "no parameter 'speed'"),
        ({"strategy_params": "sma_cross.fast=30,sma_cross.slow=10"}, "fast"),
        ({"strategy_params": "fast=3"}, "STRATEGY.KEY=VALUE"),
    ],
)
def test_bad_strategy_settings_stop_start_up_with_the_reason(kw: dict, message: str) -> None:
    with pytest.raises(SettingsError) as e:
        load_settings(**kw)
    assert message in str(e.value)
