"""Tunable limits and parameters handed to the agents (built from settings by bot/app.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RiskLimits(BaseModel):
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

    @model_validator(mode="after")
    def _sizing_within_cap(self) -> RiskLimits:
        if self.risk_per_trade_pct > self.max_risk_per_trade_pct:
            raise ValueError("risk_per_trade_pct must not exceed max_risk_per_trade_pct")
        return self


class ScannerConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_price: float = 5.0
    max_price: float = 2000.0
    min_avg_volume: float = 500_000
    max_spread_pct: float = 0.5
    min_history: int = 60
    top_n: int = 5
    min_score: float = 50.0


class StrategyConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    fast: int = 20
    slow: int = 50
    atr_period: int = 14
    stop_atr: float = 2.0
    target_atr: float = 3.0


class ExecutionConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    proposal_ttl_seconds: int = Field(900, ge=10)
    drift_tolerance_pct: float = Field(1.0, gt=0, le=50)
