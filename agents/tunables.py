"""The settings a person may change at run time (a suggestion's Apply, `/settings revert`):
numeric fields of the risk limits, the scanner, the exit rules and the option desk, and the
strategies' parameters. Keys read `risk.risk_per_trade_pct`, `scanner.min_score`,
`exits.max_holding_days`, `options.min_iv_rank` or `STRATEGY.PARAM` (`breakout.rsi_max`).

Each value is checked by the model that owns it (its bounds and cross-field rules) before
anything changes; the new config replaces the old one in every agent that reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from agents.errors import BadInput
from models.config import StrategyConfig
from services.backtest.errors import BacktestError
from services.signals import STRATEGIES, resolve_params

Number = float | int
# numbers read once at start-up by agents that keep their own copy: not changed at run time
FIXED = frozenset({"risk.max_order_quantity"})


@dataclass(frozen=True)
class Family:
    """One config object: how to read it and how to put a new one in place."""

    get: Callable[[], BaseModel]
    put: Callable[[BaseModel], None]


def _numeric(model: BaseModel, field: str) -> bool:
    info = type(model).model_fields.get(field)
    if info is None:
        return False
    value = getattr(model, field)
    return isinstance(value, int | float) and not isinstance(value, bool)


class Tunables:
    def __init__(
        self,
        families: dict[str, Family],
        strategy: Callable[[], StrategyConfig],
        put_strategy: Callable[[StrategyConfig], None],
    ) -> None:
        self.families = families
        self._strategy = strategy
        self._put_strategy = put_strategy

    def names(self) -> list[str]:
        """Every key that can be changed, in a stable order."""
        out = [
            f"{name}.{f}"
            for name, fam in self.families.items()
            for f in type(fam.get()).model_fields
            if _numeric(fam.get(), f) and f"{name}.{f}" not in FIXED
        ]
        out += [
            f"{s}.{k}"
            for s, spec in STRATEGIES.items()
            for k, t in spec.types.items()
            if t in (int, float)
        ]
        return out

    def _split(self, key: str) -> tuple[str, str]:
        family, _, field = key.strip().partition(".")
        if not field:
            raise BadInput(f"{key!r} is not a setting: expected e.g. risk.risk_per_trade_pct.")
        return family, field

    def value(self, key: str) -> Number:
        """The value in force now."""
        family, field = self._split(key)
        if key.strip() in FIXED:
            raise BadInput(f"{key} is read at start-up only: change it in the configuration.")
        if family in self.families:
            model = self.families[family].get()
            if not _numeric(model, field):
                raise BadInput(f"{key} is not a number setting that can be changed here.")
            return getattr(model, field)
        if family in STRATEGIES:
            params = self._params(family, self._strategy().params.get(family, {}))
            if field not in params:
                raise BadInput(f"Strategy {family} has no parameter {field!r}.")
            value = params[field]
            if not isinstance(value, int | float):
                raise BadInput(f"{key} is not a number setting.")
            return value
        raise BadInput(f"Unknown setting {key!r}.")

    def set(self, key: str, value: float) -> Number:
        """Check `value` and put it in force; returns it as stored (int or float). BadInput
        (nothing changed) when the owning model refuses it."""
        family, field = self._split(key)
        self.value(key)  # known and numeric
        if family in self.families:
            fam = self.families[family]
            old = fam.get()
            kind = type(getattr(old, field))
            try:
                new = type(old).model_validate({**old.model_dump(), field: kind(value)})
            except (ValidationError, ValueError) as e:
                raise BadInput(f"{key}={value:g} refused: {_first_error(e)}") from None
            fam.put(new)
            return getattr(new, field)
        cfg = self._strategy()
        mine = dict(cfg.params.get(family, {}))
        mine[field] = value
        resolved = self._params(family, mine)
        numbers = {k: v for k, v in resolved.items() if isinstance(v, int | float)}
        self._put_strategy(cfg.model_copy(update={"params": {**cfg.params, family: numbers}}))
        return numbers[field]

    @staticmethod
    def _params(strategy: str, given: dict[str, Number]) -> dict[str, object]:
        try:
            return dict(resolve_params(strategy, dict(given)))
        except BacktestError as e:
            raise BadInput(str(e)) from None


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return str(err.get("msg", e))
    return str(e)
