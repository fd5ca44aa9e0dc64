"""Strategy settings (a base of Settings): which strategies a scan runs and their parameters."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from models.config import StrategyConfig
from services.backtest.errors import BacktestError
from services.signals import STRATEGIES, resolve_params


def parse_strategy_params(spec: str) -> dict[str, dict[str, int | float]]:
    """'sma_cross.fast=20,sma_cross.slow=50' -> {'sma_cross': {'fast': 20, 'slow': 50}},
    validated against each strategy's declared parameters (ValueError naming the problem)."""
    raw: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, rest = part.partition(".")
        if not rest or "=" not in rest:
            raise ValueError(f"bad strategy parameter {part!r}: expected STRATEGY.KEY=VALUE")
        raw.setdefault(name.strip(), []).append(rest.strip())
    out: dict[str, dict[str, int | float]] = {}
    for name, items in raw.items():
        try:
            resolved = resolve_params(name, items)
        except BacktestError as e:
            raise ValueError(str(e)) from None
        given = {item.partition("=")[0].strip() for item in items}  # only what was set
        out[name] = {k: v for k, v in resolved.items() if k in given and isinstance(v, int | float)}
    return out


class StrategySettings(BaseSettings):
    strategies: str = ",".join(STRATEGIES)  # what a scan runs, comma-separated
    strategy_params: str = ""  # e.g. "sma_cross.fast=20,sma_cross.slow=50"
    strategy_fresh_bars: int = Field(3, ge=0, le=50)

    @model_validator(mode="after")
    def _strategies_known(self) -> StrategySettings:
        names = [n.strip() for n in self.strategies.split(",") if n.strip()]
        bad = [n for n in names if n not in STRATEGIES]
        if bad:
            raise ValueError(
                f"COTRADER_STRATEGIES: unknown strategy {bad[0]!r}; known: {', '.join(STRATEGIES)}"
            )
        parse_strategy_params(self.strategy_params)
        return self

    def strategy(self) -> StrategyConfig:
        names = tuple(n.strip() for n in self.strategies.split(",") if n.strip())
        params = parse_strategy_params(self.strategy_params)
        return StrategyConfig(strategies=names, params=params, fresh_bars=self.strategy_fresh_bars)
