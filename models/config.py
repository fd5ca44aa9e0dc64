"""Tunable limits and parameters handed to the agents (built from settings by bot/app.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.monitor_types import ExitRuleConfig


class RiskLimits(BaseModel):
    """Every limit the risk engine applies (services/risk), with sane defaults.

    Percentages are of account equity. Soft limits (REDUCING) sit at `soft_limit_fraction` of
    the daily loss and drawdown limits, and at the heat cap; hard limits (HALTED) at the daily
    loss limit, the drawdown limit and `max_consecutive_rejections`.
    """

    model_config = ConfigDict(frozen=True)

    risk_per_trade_pct: float = Field(
        1.0, gt=0, le=10, description="equity at risk to the stop, sizing target"
    )
    max_risk_per_trade_pct: float = Field(
        2.0, gt=0, le=20, description="hard cap for a requested size"
    )
    max_position_pct: float = Field(
        20.0, gt=0, le=100, description="max notional per symbol, % equity"
    )
    max_open_positions: int = Field(10, ge=1, le=500)
    daily_loss_limit_pct: float = Field(3.0, gt=0, le=100)
    max_order_quantity: int = Field(100_000, ge=1)
    allow_short: bool = True
    max_sector_pct: float = Field(
        40.0, gt=0, le=100, description="max notional per sector (where known), % equity"
    )
    max_positions_per_symbol: int = Field(
        2, ge=1, le=100, description="open holdings on one underlying (stock and its options)"
    )
    max_heat_pct: float = Field(
        6.0, gt=0, le=100, description="total $ at risk to the stops, % equity"
    )
    no_stop_risk_pct: float = Field(
        10.0, gt=0, le=100, description="a holding without a stop counts this % of its value"
    )
    cash_reserve_pct: float = Field(
        5.0, ge=0, lt=100, description="cash kept after a purchase, % equity"
    )
    max_trades_per_day: int = Field(20, ge=1, le=100_000, description="opening trades a day")
    max_drawdown_pct: float = Field(
        10.0, gt=0, le=100, description="equity below its peak that halts the desk"
    )
    max_consecutive_rejections: int = Field(
        5, ge=1, le=1_000, description="broker rejections in a row that halt the desk"
    )
    soft_limit_fraction: float = Field(
        2 / 3, gt=0, lt=1, description="share of the loss/drawdown limits that starts REDUCING"
    )
    kelly_enabled: bool = True
    kelly_min_trades: int = Field(
        30, ge=5, le=100_000, description="closed trades of a strategy before Kelly sizes it"
    )
    kelly_fraction: float = Field(0.25, gt=0, le=1, description="share of full Kelly used")

    @model_validator(mode="after")
    def _sizing_within_cap(self) -> RiskLimits:
        if self.risk_per_trade_pct > self.max_risk_per_trade_pct:
            raise ValueError("risk_per_trade_pct must not exceed max_risk_per_trade_pct")
        return self


class ScannerConfig(BaseModel):
    """The scanner's filters (a symbol failing any is listed with the reason) and scoring
    windows (in daily bars)."""

    model_config = ConfigDict(frozen=True)

    min_price: float = Field(5.0, ge=0)
    max_price: float = Field(2000.0, gt=0)
    min_avg_volume: float = Field(500_000, ge=0, description="shares a day, averaged")
    min_dollar_volume: float = Field(
        10_000_000, ge=0, description="liquidity: average $ traded a day"
    )
    max_spread_pct: float = Field(0.5, ge=0)
    min_history: int = Field(60, ge=1, le=10_000, description="daily bars needed to score")
    max_bar_age_days: int = Field(
        5, ge=0, le=366, description="days the last daily bar may trail the quote (when known)"
    )
    volume_window: int = Field(20, ge=1, le=500, description="bars in the volume averages")
    momentum_window: int = Field(20, ge=1, le=500, description="bars of the momentum return")
    rs_window: int = Field(60, ge=1, le=500, description="bars of the relative-strength return")
    benchmark: str | None = Field("SPY", description="relative strength is measured against it")
    top_n: int = Field(5, ge=1, le=500)
    min_score: float = Field(50.0, ge=0, le=100)
    min_iv_rank: float | None = Field(
        None, ge=0, le=100, description="IV rank (0-100) a symbol needs; None: no IV filter"
    )

    @model_validator(mode="after")
    def _price_range(self) -> ScannerConfig:
        if self.min_price > self.max_price:
            raise ValueError("min_price must not exceed max_price")
        return self


class StrategyConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    fast: int = 20
    slow: int = 50
    atr_period: int = 14
    stop_atr: float = 2.0
    target_atr: float = 3.0
    # the vectorised strategies a scan runs (services.signals), their parameters (defaults
    # from the registry where not given), and how recent a signal must be to fire
    strategies: tuple[str, ...] = (
        "sma_cross",
        "ema_cross",
        "breakout",
        "mean_reversion",
        "volume_spike",
    )
    params: dict[str, dict[str, int | float]] = Field(default_factory=dict)
    fresh_bars: int = Field(3, ge=0, le=50)


class ExecutionConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    proposal_ttl_seconds: int = Field(900, ge=10)
    drift_tolerance_pct: float = Field(1.0, gt=0, le=50)
    bracket_orders: bool = True  # entries carry their stop and target to a venue that can


class DeskConfig(BaseModel):
    """The desk's own clock: how often its loop runs, and whether it runs scheduled jobs."""

    model_config = ConfigDict(frozen=True)

    # expire due proposals, book working orders, settle interrupted approvals
    interval_s: float = Field(5.0, gt=0, le=3600)
    risk_interval_s: float = Field(60.0, gt=0, le=86_400)  # refresh the risk state
    scheduler: bool = True  # the pre-market brief, the scans, the end of day, reconciliation
    # the monitor: a pass every so often while the session is open (and on price/fill events)
    monitor_interval_s: float = Field(60.0, gt=0, le=86_400)
    max_alerts: int = Field(500, ge=1, le=100_000)  # armed or fired alerts stored at once
    # sessions a rejected or expired card is followed for ("ideas you passed on")
    review_days: int = Field(10, ge=1, le=120)
    risk_free_rate: float = Field(0.04, ge=-0.05, le=0.5)  # options: prices, greeks, IVs
    exit_rules: ExitRuleConfig = Field(default_factory=ExitRuleConfig)
    # news: a poll of the held and watchlist symbols every so often; a headline on a held
    # symbol with |sentiment| at or over this (or a material word) raises an alert
    news_interval_s: float = Field(120.0, gt=0, le=86_400)
    news_alert_score: float = Field(0.5, gt=0, le=1)


class OptionsConfig(BaseModel):
    """Option strategies (seed defaults): whether scans surface option ideas, the risk
    limits of option positions (their max loss is their risk), and the options approval
    level this desk may trade at (None: the venue's, or the simulator's full level)."""

    model_config = ConfigDict(frozen=True)

    scan_ideas: bool = False  # COTRADER_OPTIONS=1: scans also card option ideas
    strategies: tuple[str, ...] = ("bull_put_spread", "iron_condor", "cash_secured_put")
    max_trade_pct: float = Field(
        20.0, gt=0, le=100, description="max loss (a cash-secured put: capital) of one trade"
    )
    max_heat_pct: float = Field(
        30.0, gt=0, le=100, description="max loss of every open option position together"
    )
    max_symbol_pct: float = Field(
        30.0, gt=0, le=100, description="capital tied up on one underlying"
    )
    max_contracts: int = Field(100, ge=1, le=10_000)
    level: int | None = Field(None, ge=0, le=4, description="options approval level")
    drift_tolerance: float = Field(
        0.10, ge=0, le=100, description="net price move ($/share) a card tolerates at the click"
    )
    scan_ideas_max: int = Field(3, ge=1, le=50, description="option cards one scan makes")
    min_iv_rank: float = Field(25.0, ge=0, le=100, description="the underlying's IV rank")
