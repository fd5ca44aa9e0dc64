"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.providers.base import Provider
from agents.orchestrator import Orchestrator
from bot.settings import Settings, SettingsError
from brokers.alpaca.ratelimit import RateLimiter
from brokers.base import Broker, MarketData, NewsSource, OptionChains
from models.domain import Instrument, Mode
from models.store import Store


@dataclass
class App:
    settings: Settings
    store: Store
    orchestrator: Orchestrator

    def close(self) -> None:
        """Release what is synchronous to release (async venues close in `orchestrator.stop`).
        The desk ends here: what it still held becomes another desk's to recover."""
        self.orchestrator.retire()
        self.store.dispose()
        for part in (self.orchestrator.market, self.orchestrator.broker):
            close = getattr(part, "close", None)
            if callable(close) and not inspect.iscoroutinefunction(close):
                close()


def upgrade_store(url: str) -> None:
    """Bring the database at `url` to the newest schema (`cotrader db upgrade`)."""
    store = Store(url)
    try:
        store.upgrade()
    finally:
        store.dispose()


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


def _secret(v: SecretStr | None) -> str | None:
    return v.get_secret_value().strip() or None if v is not None else None


def required(settings: Settings, names: tuple[str, ...], why: str) -> list[str]:
    """The values of vendor secrets `names` (env spelling), or SettingsError naming each one
    that is missing. Values are never put in a message."""
    values = [_secret(getattr(settings, n.lower())) for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if v is None]
    if missing:
        raise SettingsError([f"{n}: required for {why} (not set)" for n in missing])
    return [v for v in values if v is not None]


ALPACA_KEYS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY")


def alpaca_market(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    limiter: RateLimiter | None = None,
) -> MarketData:
    """Alpaca market data (COTRADER_DATA=alpaca): real prices for whichever broker is chosen,
    the simulator's included. Both keys are required; APCA_API_DATA_URL overrides the host."""
    key_id, secret = required(settings, ALPACA_KEYS, "COTRADER_DATA=alpaca")
    from brokers.alpaca.data import AlpacaMarketData
    from brokers.sim.universe import DEFAULT_UNIVERSE
    from services.market_calendar import MarketCalendar

    universe = [
        Instrument(symbol=s.symbol, name=s.name, sector=s.sector, is_etf=s.is_etf)
        for s in DEFAULT_UNIVERSE
    ]
    return AlpacaMarketData(
        key_id,
        secret,
        feed=settings.alpaca_feed,
        url_override=settings.apca_api_data_url,
        universe=universe,
        session_open=MarketCalendar().is_open,
        clock=clock,
        limiter=limiter,
    )


def alpaca_broker(settings: Settings, limiter: RateLimiter) -> Broker:
    """Alpaca trading: the paper endpoint unless the live gate is open. A key of the other
    kind (Alpaca's paper key ids start PK, live ones AK) is refused before any request."""
    key_id, secret = required(settings, ALPACA_KEYS, "COTRADER_BROKER=alpaca")
    live = settings.mode is Mode.LIVE
    if live and key_id.startswith("PK"):
        raise SettingsError(
            ["APCA_API_KEY_ID is a paper key (PK…): COTRADER_MODE=live needs live credentials"]
        )
    if not live and key_id.startswith("AK"):
        raise SettingsError(
            ["APCA_API_KEY_ID is a live key (AK…): paper mode needs the paper account's keys"]
        )
    from brokers.alpaca.broker import AlpacaBroker

    return AlpacaBroker(
        key_id, secret, paper=not live, url_override=settings.apca_api_base_url, limiter=limiter
    )


def tastytrade_broker(settings: Settings) -> Broker:
    """Tastytrade: its certification sandbox in paper mode, production only when live."""
    secret, refresh = required(settings, ("TT_SECRET", "TT_REFRESH"), "COTRADER_BROKER=tastytrade")
    from brokers.tastytrade.broker import TastytradeBroker

    return TastytradeBroker(
        secret,
        refresh,
        account_number=settings.tastytrade_account,
        api_base=settings.tastytrade_api_base,
        sandbox=settings.mode is not Mode.LIVE,
    )


def option_chains(
    settings: Settings, market: MarketData, broker: Broker, limiter: RateLimiter
) -> OptionChains | None:
    """Where option chains come from: the simulator's own for simulated data; else the
    venue's (Tastytrade's chains when it is the broker, quoted by Alpaca's option data when
    Alpaca keys exist, else by its DXLink streamer; Alpaca's otherwise)."""
    from brokers.sim.market import SimMarket

    if isinstance(market, SimMarket) and settings.broker != "tastytrade":
        from brokers.sim.options import SimOptionChains

        return SimOptionChains(market, rate=settings.risk_free_rate)
    alpaca = alpaca_options(settings, limiter) if settings.data_source == "alpaca" else None
    if settings.broker == "tastytrade":
        from brokers.tastytrade.options import TastytradeOptionChains

        return TastytradeOptionChains.for_broker(broker, quotes=alpaca)
    return alpaca


def news_source(settings: Settings, market: MarketData, limiter: RateLimiter) -> NewsSource | None:
    """Where headlines come from: the simulator's own stories on simulated data; Alpaca's
    news API (and its stream) when Alpaca keys exist; else none."""
    from brokers.sim.market import SimMarket

    if isinstance(market, SimMarket):
        from brokers.sim.news import SimNews

        return SimNews(market)
    if settings.apca_api_key_id and settings.apca_api_secret_key:
        from brokers.alpaca.news import AlpacaNews

        key_id, secret = required(settings, ALPACA_KEYS, "Alpaca news")
        return AlpacaNews(key_id, secret, url_override=settings.apca_api_data_url, limiter=limiter)
    return None


def alpaca_options(settings: Settings, limiter: RateLimiter) -> OptionChains:
    """Alpaca's option contracts and snapshots (COTRADER_DATA=alpaca)."""
    key_id, secret = required(settings, ALPACA_KEYS, "COTRADER_DATA=alpaca")
    from brokers.alpaca.options import AlpacaOptionChains

    return AlpacaOptionChains(
        key_id,
        secret,
        paper=settings.mode is not Mode.LIVE,
        trading_url_override=settings.apca_api_base_url,
        data_url_override=settings.apca_api_data_url,
        feed=settings.alpaca_options_feed,
        limiter=limiter,
    )


def build(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    market_clock: Callable[[], datetime] | None = None,
) -> App:
    """Open the store (upgrading its schema), pick the adapters, wire the orchestrator.
    Credentials are checked before anything is created."""
    limiter = RateLimiter()  # one budget for every Alpaca request: data and trading
    broker: Broker | None = None
    if settings.broker == "alpaca":
        broker = alpaca_broker(settings, limiter)
    elif settings.broker == "tastytrade":
        broker = tastytrade_broker(settings)
    market: MarketData | None = None
    if settings.data_source == "alpaca":
        market = alpaca_market(settings, market_clock, limiter)
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.upgrade()
    if market is None:
        from brokers.sim.market import SimMarket
        from brokers.sim.universe import DEFAULT_UNIVERSE, synthetic_specs

        specs = DEFAULT_UNIVERSE + synthetic_specs(settings.sim_extra_symbols, settings.sim_seed)
        # shocks (/sim shock) live in the store: every process on it sees the same market
        market = SimMarket(seed=settings.sim_seed, clock=market_clock, specs=specs, store=store)
    if broker is None:
        from brokers.sim.broker import SimBroker, SimCosts
        from brokers.sim.market import SimMarket
        from brokers.sim.options import SimOptionChains

        sim_options = None
        if isinstance(market, SimMarket):  # option orders fill against the simulated chain
            sim_options = SimOptionChains(market, rate=settings.risk_free_rate)
        broker = SimBroker(
            store,
            market,
            starting_cash=settings.sim_cash,
            costs=SimCosts(
                slippage_bps=settings.sim_slippage_bps,
                commission_per_share=settings.sim_commission_per_share,
            ),
            options=sim_options,
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
        desk=settings.desk(),
        clock=clock,
        llm=LLMChain(llm_providers(settings), store, settings.chain_config(), clock=clock),
        rationale_wait_s=settings.llm_rationale_wait_s,
        guard=ReplyGuard(settings.secrets()),
        reply_budget_s=settings.llm_reply_budget_s,
        chains=option_chains(settings, market, broker, limiter),
        options=settings.options_config(),
        news=news_source(settings, market, limiter),
        reports_dir=settings.home_dir / "reports",
    )
    return App(settings=settings, store=store, orchestrator=orch)
