"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from agents.orchestrator import Orchestrator
from bot.settings import Settings, SettingsError
from models.store import Store

AVAILABLE_BROKERS = ("sim",)


@dataclass
class App:
    settings: Settings
    store: Store
    orchestrator: Orchestrator

    def close(self) -> None:
        self.store.dispose()


def llm_description(settings: Settings) -> str:
    """Which analyst serves (the LLM providers arrive with their own issue)."""
    keys = [
        n
        for n, v in (("openai", settings.openai_api_key), ("anthropic", settings.anthropic_api_key))
        if v is not None
    ]
    if keys:
        return "offline (keys set for " + ", ".join(keys) + "; LLM providers not in this build)"
    return "offline (no LLM key configured)"


def build(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    market_clock: Callable[[], datetime] | None = None,
) -> App:
    """Open the store (upgrading its schema), pick the adapters, wire the orchestrator."""
    if settings.broker not in AVAILABLE_BROKERS or settings.data != "sim":
        raise SettingsError(
            [
                f"COTRADER_BROKER={settings.broker} / COTRADER_DATA={settings.data}: only the "
                "built-in simulator is available in this build (unset both to use it)"
            ]
        )
    from brokers.sim.broker import SimBroker, SimCosts
    from brokers.sim.market import SimMarket
    from brokers.sim.universe import DEFAULT_UNIVERSE, synthetic_specs

    settings.home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.upgrade()
    specs = DEFAULT_UNIVERSE + synthetic_specs(settings.sim_extra_symbols, settings.sim_seed)
    market = SimMarket(seed=settings.sim_seed, clock=market_clock, specs=specs)
    broker = SimBroker(
        store,
        market,
        starting_cash=settings.sim_cash,
        costs=SimCosts(
            slippage_bps=settings.sim_slippage_bps,
            commission_per_share=settings.sim_commission_per_share,
        ),
    )
    orch = Orchestrator(
        store,
        broker,
        market,
        mode=settings.mode,
        risk_limits=settings.risk_limits(),
        scanner=settings.scanner(),
        strategy=settings.strategy(),
        execution=settings.execution(),
        clock=clock,
        llm_name=llm_description(settings),
    )
    return App(settings=settings, store=store, orchestrator=orch)
