"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.providers.base import Provider
from agents.orchestrator import Orchestrator
from bot.settings import Settings, SettingsError
from brokers.base import MarketData
from models.domain import Instrument
from models.store import Store

AVAILABLE_BROKERS = ("sim",)
AVAILABLE_DATA = ("sim", "alpaca")


@dataclass
class App:
    settings: Settings
    store: Store
    orchestrator: Orchestrator

    def close(self) -> None:
        self.store.dispose()
        close_market = getattr(self.orchestrator.market, "close", None)
        if callable(close_market):
            close_market()


def llm_providers(settings: Settings) -> list[Provider]:
    """The configured LLM providers, in order (none: the offline writer and parser serve)."""
    from agents.llm.providers.anthropic_provider import AnthropicProvider
    from agents.llm.providers.openai_provider import OpenAIProvider

    def key(v: SecretStr | None) -> str | None:
        return v.get_secret_value() if v is not None else None

    names = settings.llm_providers
    if names == "offline":
        return []
    order = ["openai", "anthropic", "compat"] if names == "auto" else names.split(",")
    out: list[Provider] = []
    for name in order:
        if name == "openai" and settings.openai_api_key is not None:
            out.append(
                OpenAIProvider(
                    "openai",
                    settings.openai_model,
                    key(settings.openai_api_key),
                    settings.openai_base_url,
                )
            )
        elif name == "anthropic" and settings.anthropic_api_key is not None:
            out.append(
                AnthropicProvider(
                    settings.anthropic_model,
                    key(settings.anthropic_api_key),
                    settings.anthropic_base_url,
                )
            )
        elif name == "compat" and settings.llm_compat_base_url:
            out.append(
                OpenAIProvider(
                    "compat",
                    settings.llm_compat_model,
                    key(settings.llm_compat_api_key),
                    settings.llm_compat_base_url,
                    structured=False,
                )
            )
        elif names != "auto":
            raise SettingsError(
                [f"COTRADER_LLM_PROVIDERS names {name}, but its key/base URL is not set"]
            )
    return out


def llm_description(settings: Settings) -> str:
    """Which analyst serves, for `cotrader doctor`."""
    providers = llm_providers(settings)
    if not providers:
        return "offline (no LLM key configured)"
    return " → ".join(f"{p.name}:{p.model}" for p in providers) + " → offline"


def alpaca_market(settings: Settings, clock: Callable[[], datetime] | None = None) -> MarketData:
    """Alpaca market data (COTRADER_DATA=alpaca): real prices for whichever broker is chosen,
    the simulator's included. Both keys are required; APCA_API_DATA_URL overrides the host."""
    key_id, secret = settings.apca_api_key_id, settings.apca_api_secret_key
    pairs = (("APCA_API_KEY_ID", key_id), ("APCA_API_SECRET_KEY", secret))
    missing = [n for n, v in pairs if v is None or not v.get_secret_value().strip()]
    if missing or key_id is None or secret is None:
        raise SettingsError([f"{n}: required for COTRADER_DATA=alpaca (not set)" for n in missing])
    from brokers.alpaca.data import AlpacaMarketData
    from brokers.sim.universe import DEFAULT_UNIVERSE
    from services.market_calendar import MarketCalendar

    universe = [
        Instrument(symbol=s.symbol, name=s.name, sector=s.sector, is_etf=s.is_etf)
        for s in DEFAULT_UNIVERSE
    ]
    return AlpacaMarketData(
        key_id.get_secret_value().strip(),
        secret.get_secret_value().strip(),
        feed=settings.alpaca_feed,
        url_override=settings.apca_api_data_url,
        universe=universe,
        session_open=MarketCalendar().is_open,
        clock=clock,
    )


def build(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    market_clock: Callable[[], datetime] | None = None,
) -> App:
    """Open the store (upgrading its schema), pick the adapters, wire the orchestrator."""
    if settings.broker not in AVAILABLE_BROKERS or settings.data not in AVAILABLE_DATA:
        raise SettingsError(
            [
                f"COTRADER_BROKER={settings.broker} / COTRADER_DATA={settings.data}: only the "
                "built-in simulator broker (with simulated or Alpaca market data) is available "
                "in this build"
            ]
        )
    from brokers.sim.broker import SimBroker, SimCosts
    from brokers.sim.market import SimMarket
    from brokers.sim.universe import DEFAULT_UNIVERSE, synthetic_specs

    specs = DEFAULT_UNIVERSE + synthetic_specs(settings.sim_extra_symbols, settings.sim_seed)
    market: MarketData = (
        alpaca_market(settings, market_clock)  # checks its keys before anything is created
        if settings.data == "alpaca"
        else SimMarket(seed=settings.sim_seed, clock=market_clock, specs=specs)
    )
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.upgrade()
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
        llm=LLMChain(llm_providers(settings), store, settings.chain_config(), clock=clock),
        rationale_wait_s=settings.llm_rationale_wait_s,
        guard=ReplyGuard(settings.secrets()),
        reply_budget_s=settings.llm_reply_budget_s,
    )
    return App(settings=settings, store=store, orchestrator=orch)
