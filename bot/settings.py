"""Settings from the environment and `.env`: ours under COTRADER_, vendors' under their names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.llm_settings import LLMSettings, vendor
from bot.strategy_settings import StrategySettings
from models.config import (
    DeskConfig,
    ExecutionConfig,
    OptionsConfig,
    RiskLimits,
    ScannerConfig,
)
from models.domain import Mode
from models.monitor_types import ExitRuleConfig

SECRET_FIELDS = (
    "discord_token",
    "openai_api_key",
    "anthropic_api_key",
    "apca_api_key_id",
    "apca_api_secret_key",
    "tt_secret",
    "tt_refresh",
    "llm_compat_api_key",
)


IdList = Annotated[tuple[int, ...], NoDecode]
MAX_CASH = 1e12  # a trillion dollars: beyond it a number is a typo, not an account


class Settings(LLMSettings, StrategySettings):
    model_config = SettingsConfigDict(
        env_prefix="COTRADER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        populate_by_name=True,
        allow_inf_nan=False,  # every float setting (and its bases'): finite or refused
    )

    mode: Mode = Mode.SIM
    broker: Literal["sim", "alpaca", "tastytrade"] = "sim"
    data: Literal["sim", "alpaca"] | None = None  # None: the broker's natural source
    alpaca_feed: Literal["iex", "sip", "delayed_sip", "otc", "boats", "overnight"] = "iex"
    # Alpaca's option data: indicative (free, delayed) or opra (a subscription)
    alpaca_options_feed: Literal["indicative", "opra"] = "indicative"
    database_url: str | None = None
    home: Path = Path("~/.cotrader")
    armed: bool = False
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # the simulator
    sim_seed: int = 42
    sim_cash: float = Field(100_000.0, gt=0, le=MAX_CASH)
    sim_slippage_bps: float = Field(2.0, ge=0, le=500)
    sim_commission_per_share: float = Field(0.0, ge=0, le=10)
    sim_extra_symbols: int = Field(0, ge=0, le=2000)  # SYN001... added to the universe

    # proposals and risk
    proposal_ttl_seconds: int = Field(900, ge=10, le=86_400)
    drift_tolerance_pct: float = Field(1.0, gt=0, le=50)
    desk_interval_s: float = Field(5.0, gt=0, le=3600)  # expiry, bookings, recovery
    risk_interval_s: float = Field(60.0, gt=0, le=86_400)  # the risk state's refresh
    risk_per_trade_pct: float = Field(1.0, gt=0, le=10)
    max_risk_per_trade_pct: float = Field(2.0, gt=0, le=20)
    max_position_pct: float = Field(20.0, gt=0, le=100)
    max_open_positions: int = Field(10, ge=1, le=500)
    daily_loss_limit_pct: float = Field(3.0, gt=0, le=100)
    max_order_quantity: int = Field(100_000, ge=1, le=1_000_000_000)
    allow_short: bool = True
    max_sector_pct: float = Field(40.0, gt=0, le=100)
    max_positions_per_symbol: int = Field(2, ge=1, le=100)
    max_heat_pct: float = Field(6.0, gt=0, le=100)
    no_stop_risk_pct: float = Field(10.0, gt=0, le=100)
    cash_reserve_pct: float = Field(5.0, ge=0, lt=100)
    max_trades_per_day: int = Field(20, ge=1, le=100_000)
    max_drawdown_pct: float = Field(10.0, gt=0, le=100)
    max_consecutive_rejections: int = Field(5, ge=1, le=1_000)
    soft_limit_fraction: float = Field(2 / 3, gt=0, lt=1)
    kelly_enabled: bool = True
    kelly_min_trades: int = Field(30, ge=5, le=100_000)
    kelly_fraction: float = Field(0.25, gt=0, le=1)

    # Discord (ids are Discord snowflakes; lists are comma-separated)
    discord_guild_id: int | None = None
    chat_channel_ids: IdList = ()
    alert_channel_id: int | None = None
    approver_role_ids: IdList = ()
    approver_user_ids: IdList = ()
    discord_message_content: bool = True
    discord_api_base: str | None = None  # testing: point discord.py at a loopback Discord
    scheduler: bool = True

    # the scanner: a minimum IV rank (0-100) every scan asks for; None: no IV filter
    scan_min_iv_rank: float | None = Field(None, ge=0, le=100)
    # options: the risk-free rate (a decimal) for prices, greeks and implied vols
    risk_free_rate: float = Field(0.04, ge=-0.05, le=0.5)
    # option strategies: scans card option ideas too; the approval level (unset: the
    # venue's); the underlying's least IV rank; the option risk limits (% of equity)
    options: bool = False
    # news: the poll interval, and the |sentiment| of a headline on a holding that alerts
    news_interval_s: float = Field(120.0, gt=0, le=86_400)
    news_alert_score: float = Field(0.5, gt=0, le=1)
    review_days: int = Field(10, ge=1, le=120)  # sessions a passed-on idea is followed
    options_level: int | None = Field(None, ge=0, le=4)
    options_min_iv_rank: float = Field(25.0, ge=0, le=100)
    options_max_trade_pct: float = Field(20.0, gt=0, le=100)
    options_max_heat_pct: float = Field(30.0, gt=0, le=100)

    # the monitor (exit rules: see models/monitor_types.py for what each number means)
    monitor_interval_s: float = Field(60.0, gt=0, le=86_400)
    max_alerts: int = Field(500, ge=1, le=100_000)
    exit_trail_mode: Literal["atr", "pct"] = "atr"
    exit_trail_atr: float = Field(2.0, gt=0, le=50)
    exit_trail_pct: float = Field(10.0, gt=0, lt=100)
    exit_breakeven_r: float = Field(1.0, gt=0, le=100)
    exit_max_holding_days: float = Field(20.0, gt=0, le=3650)
    exit_adverse_pct: float = Field(10.0, gt=0, le=100)
    exit_profit_pct: float = Field(15.0, gt=0, le=10_000)

    # vendors' own variable names
    discord_token: SecretStr | None = Field(None, validation_alias=vendor("DISCORD_TOKEN"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=vendor("OPENAI_API_KEY"))
    anthropic_api_key: SecretStr | None = Field(None, validation_alias=vendor("ANTHROPIC_API_KEY"))
    apca_api_key_id: SecretStr | None = Field(None, validation_alias=vendor("APCA_API_KEY_ID"))
    apca_api_secret_key: SecretStr | None = Field(
        None, validation_alias=vendor("APCA_API_SECRET_KEY")
    )
    # testing: point alpaca-py's market data client at a loopback Alpaca (its url_override)
    apca_api_data_url: str | None = Field(None, validation_alias=vendor("APCA_API_DATA_URL"))
    # testing: point alpaca-py's trading client (and its trade stream) at a loopback Alpaca
    apca_api_base_url: str | None = Field(None, validation_alias=vendor("APCA_API_BASE_URL"))
    tt_secret: SecretStr | None = Field(None, validation_alias=vendor("TT_SECRET"))
    tt_refresh: SecretStr | None = Field(None, validation_alias=vendor("TT_REFRESH"))
    tastytrade_api_base: str | None = None  # testing: a loopback Tastytrade
    tastytrade_account: str | None = None  # the account number (default: the first one)
    bracket_orders: bool = True  # entries carry their stop and target to the venue (bracket/OTOCO)

    @field_validator("chat_channel_ids", "approver_role_ids", "approver_user_ids", mode="before")
    @classmethod
    def _id_list(cls, v: object) -> object:
        if isinstance(v, str):
            parts = [p.strip() for p in v.replace(";", ",").split(",")]
            bad = [p for p in parts if p and not p.isdigit()]
            if bad:
                raise ValueError(f"expected comma-separated numeric ids, got {bad[0][:24]!r}")
            return tuple(int(p) for p in parts if p)
        if isinstance(v, int):
            return (v,)
        return v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(v.strip())
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL: use e.g. sqlite:////path/to/cotrader.db or "
                "postgresql+psycopg://user:password@host:5432/cotrader"
            ) from None
        return v.strip()

    @field_validator("discord_api_base")
    @classmethod
    def _api_base(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.strip().rstrip("/")
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8080/api/v10")
        return v

    @field_validator("apca_api_data_url", "apca_api_base_url", "tastytrade_api_base")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.strip().rstrip("/").removesuffix("/v2")
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8081")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        problems: list[str] = []
        if self.mode is Mode.SIM and self.broker != "sim":
            problems.append(
                f"COTRADER_MODE=sim trades the built-in simulator; set COTRADER_MODE=paper "
                f"to use COTRADER_BROKER={self.broker}"
            )
        if self.mode is not Mode.SIM and self.broker == "sim":
            problems.append(
                f"COTRADER_MODE={self.mode.value} needs a real broker "
                "(COTRADER_BROKER=alpaca or tastytrade)"
            )
        if self.mode is Mode.LIVE and not self.armed:
            problems.append("COTRADER_MODE=live also needs COTRADER_ARMED=1 (the live gate)")
        if self.mode is Mode.LIVE and self.data_source == "sim":
            problems.append(
                "COTRADER_MODE=live never trades on simulated prices: set COTRADER_DATA=alpaca "
                "(with APCA_API_KEY_ID and APCA_API_SECRET_KEY)"
            )
        if self.max_risk_per_trade_pct < self.risk_per_trade_pct:
            problems.append(
                "COTRADER_MAX_RISK_PER_TRADE_PCT must be at least COTRADER_RISK_PER_TRADE_PCT"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- derived values
    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def data_source(self) -> str:
        """Where prices come from: as set, else Alpaca for an Alpaca broker (or whenever its
        keys are set), else the simulator."""
        if self.data is not None:
            return self.data
        keys = self.apca_api_key_id is not None and self.apca_api_secret_key is not None
        return "alpaca" if self.broker == "alpaca" or (self.broker != "sim" and keys) else "sim"

    @property
    def db_url(self) -> str:
        """Paper and live never share a database file by default, nor do two brokers."""
        if self.database_url:
            return self.database_url
        name = self.mode.value if self.broker == "sim" else f"{self.mode.value}-{self.broker}"
        return f"sqlite:///{self.home_dir / f'cotrader-{name}.db'}"

    def secrets(self) -> list[str]:
        """Every configured secret value, the database password included (for redaction)."""
        out = []
        for name in SECRET_FIELDS:
            v = getattr(self, name)
            if v is not None and v.get_secret_value():
                out.append(v.get_secret_value())
        if self.database_url:
            from sqlalchemy.engine import make_url

            password = make_url(self.database_url).password
            if password:
                out.append(str(password))
        return out

    def risk_limits(self) -> RiskLimits:
        return RiskLimits(
            risk_per_trade_pct=self.risk_per_trade_pct,
            max_risk_per_trade_pct=self.max_risk_per_trade_pct,
            max_position_pct=self.max_position_pct,
            max_open_positions=self.max_open_positions,
            daily_loss_limit_pct=self.daily_loss_limit_pct,
            max_order_quantity=self.max_order_quantity,
            allow_short=self.allow_short,
            max_sector_pct=self.max_sector_pct,
            max_positions_per_symbol=self.max_positions_per_symbol,
            max_heat_pct=self.max_heat_pct,
            no_stop_risk_pct=self.no_stop_risk_pct,
            cash_reserve_pct=self.cash_reserve_pct,
            max_trades_per_day=self.max_trades_per_day,
            max_drawdown_pct=self.max_drawdown_pct,
            max_consecutive_rejections=self.max_consecutive_rejections,
            soft_limit_fraction=self.soft_limit_fraction,
            kelly_enabled=self.kelly_enabled,
            kelly_min_trades=self.kelly_min_trades,
            kelly_fraction=self.kelly_fraction,
        )

    def execution(self) -> ExecutionConfig:
        return ExecutionConfig(
            proposal_ttl_seconds=self.proposal_ttl_seconds,
            drift_tolerance_pct=self.drift_tolerance_pct,
            bracket_orders=self.bracket_orders,
        )

    def desk(self) -> DeskConfig:
        return DeskConfig(
            interval_s=self.desk_interval_s,
            risk_interval_s=self.risk_interval_s,
            scheduler=self.scheduler,
            monitor_interval_s=self.monitor_interval_s,
            risk_free_rate=self.risk_free_rate,
            max_alerts=self.max_alerts,
            news_interval_s=self.news_interval_s,
            news_alert_score=self.news_alert_score,
            review_days=self.review_days,
            exit_rules=ExitRuleConfig(
                trail_mode=self.exit_trail_mode,
                trail_atr=self.exit_trail_atr,
                trail_pct=self.exit_trail_pct,
                breakeven_r=self.exit_breakeven_r,
                max_holding_days=self.exit_max_holding_days,
                adverse_pct=self.exit_adverse_pct,
                profit_pct=self.exit_profit_pct,
            ),
        )

    def options_config(self) -> OptionsConfig:
        return OptionsConfig(
            scan_ideas=self.options,
            level=self.options_level,
            min_iv_rank=self.options_min_iv_rank,
            max_trade_pct=self.options_max_trade_pct,
            max_heat_pct=self.options_max_heat_pct,
        )

    def scanner(self) -> ScannerConfig:
        return ScannerConfig(min_iv_rank=self.scan_min_iv_rank)


class SettingsError(Exception):
    """Invalid settings: `lines` holds one clear line per problem (never a secret value);
    `fields` the names of the settings at fault (empty for a problem between settings)."""

    def __init__(self, lines: list[str], fields: tuple[str, ...] = ()) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.fields = fields


def _env_name(loc: tuple[object, ...]) -> str:
    if not loc:
        return "settings"
    name = str(loc[0])
    vendors = (*SECRET_FIELDS, "apca_api_data_url", "apca_api_base_url")
    if name.upper() in {f.upper() for f in vendors}:
        return name.upper()
    return "COTRADER_" + name.upper()


def load_settings(**overrides: object) -> Settings:
    """Settings, or SettingsError with one line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        lines: list[str] = []
        fields: list[str] = []
        for err in e.errors(include_input=False, include_url=False):
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("loc"):
                lines.append(f"{_env_name(err['loc'])}: {msg}")
                fields.append(str(err["loc"][0]))
            else:
                lines.extend(msg.split("; "))
        raise SettingsError(lines, tuple(fields)) from None
