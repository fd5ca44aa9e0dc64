"""What goes into a backtest (its settings) and what comes out (trades, equity, metrics)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from services.backtest.errors import ConfigError
from services.backtest.metrics import Metrics, drawdown

Sizing = Literal["equity", "units", "risk"]
SIZINGS: tuple[str, ...] = ("equity", "units", "risk")


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """Settings of a run. The defaults are backtesting.py's compatible mode: all available
    equity per trade, exclusive orders, no slippage, open trades closed at the end.

    - cash: starting equity; commission: fraction of traded value paid on entry and on exit
    - slippage: fraction every fill moves against the trader (0 in the compatible mode)
    - sizing: "equity" buys `fraction` × |signal| of available equity; "units" a fixed
      `units`; "risk" sizes so a `stop_loss` move loses `fraction` of equity (capped by cash)
    - stop_loss / take_profit: fractions of the signal bar's close (None = off)
    - allow_short: False turns short signals into "flat"
    - close_at_end: close open trades on the last bar (at its open, as backtesting.py)
    - periods_per_year: annualisation; None infers it from the dates like backtesting.py
    """

    cash: float = 10_000.0
    commission: float = 0.0
    slippage: float = 0.0
    sizing: Sizing = "equity"
    fraction: float = 1.0
    units: int = 1
    stop_loss: float | None = None
    take_profit: float | None = None
    allow_short: bool = True
    close_at_end: bool = True
    periods_per_year: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cash) and self.cash > 0):
            raise ConfigError(f"cash must be a positive amount, got {self.cash}")
        if not 0 <= self.commission < 0.1:
            raise ConfigError(f"commission must be a fraction in [0, 0.1), got {self.commission}")
        if not 0 <= self.slippage < 0.1:
            raise ConfigError(f"slippage must be a fraction in [0, 0.1), got {self.slippage}")
        if self.sizing not in SIZINGS:
            raise ConfigError(f"sizing must be one of {', '.join(SIZINGS)}, got {self.sizing!r}")
        if not 0 < self.fraction <= 1:
            raise ConfigError(f"fraction must be in (0, 1], got {self.fraction}")
        if isinstance(self.units, bool) or not isinstance(self.units, int) or self.units < 1:
            raise ConfigError(f"units must be a whole number >= 1, got {self.units!r}")
        if self.stop_loss is not None and not 0 < self.stop_loss < 1:
            raise ConfigError(f"stop_loss must be a fraction in (0, 1), got {self.stop_loss}")
        if self.take_profit is not None and not self.take_profit > 0:
            raise ConfigError(f"take_profit must be a positive fraction, got {self.take_profit}")
        if self.sizing == "risk" and self.stop_loss is None:
            raise ConfigError("sizing 'risk' needs a stop_loss (the risk is measured to the stop)")
        if self.periods_per_year is not None and self.periods_per_year < 1:
            raise ConfigError(f"periods_per_year must be >= 1, got {self.periods_per_year}")

    @classmethod
    def backtesting_py(cls, cash: float = 10_000.0, commission: float = 0.0) -> BacktestConfig:
        """The mode that reproduces `Backtest(data, S, cash=, commission=,
        exclusive_orders=True, finalize_trades=True)` with `buy()`/`sell()` of full size."""
        return cls(cash=cash, commission=commission)

    @property
    def backtesting_py_compatible(self) -> bool:
        """True when the run should match backtesting.py's numbers."""
        return (
            self.slippage == 0
            and self.sizing == "equity"
            and self.fraction == 1
            and self.close_at_end
            and self.periods_per_year is None
        )


def _time(t: np.datetime64 | None) -> str | None:
    if t is None:
        return None
    s = str(np.datetime64(t, "s"))
    return s[:10] if s.endswith("T00:00:00") else s


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip. Bars are indices into the run's bars; size is signed whole units
    (negative = short); prices are fill prices; pnl and commission are in cash; return_pct
    is net of commission, relative to the entry price. An open trade has no exit bar and is
    valued at the last close."""

    entry_bar: int
    exit_bar: int | None
    entry_time: np.datetime64
    exit_time: np.datetime64 | None
    size: int
    entry_price: float
    exit_price: float
    pnl: float
    return_pct: float
    commission: float
    exit_reason: str  # signal | stop | target | end | bankrupt | open

    @property
    def side(self) -> str:
        return "long" if self.size > 0 else "short"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entry_time"], d["exit_time"] = _time(self.entry_time), _time(self.exit_time)
        for k in ("entry_price", "exit_price", "pnl", "return_pct", "commission"):
            d[k] = _num(d[k])
        d["side"] = self.side
        return d


@dataclass(frozen=True, slots=True, eq=False)
class TradeLog:
    """The closed trades as columns (one row a trade, in time order); `returns` are
    fractions net of commission, `reason` says what closed each trade."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "entry_bar",
        "exit_bar",
        "size",
        "entry_price",
        "exit_price",
        "pnl",
        "returns",
        "commission",
        "reason",
    )
    entry_bar: NDArray[np.int64]
    exit_bar: NDArray[np.int64]
    size: NDArray[np.int64]
    entry_price: NDArray[np.float64]
    exit_price: NDArray[np.float64]
    pnl: NDArray[np.float64]
    returns: NDArray[np.float64]
    commission: NDArray[np.float64]
    reason: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.entry_bar)

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int, int, float, float, float, str]]) -> TradeLog:
        """From (entry bar, exit bar, size, entry price, exit price, commission, reason)
        rows; P&L and returns follow backtesting.py (commission on both sides, returns
        relative to the entry price)."""
        if not rows:
            i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
            return cls(i, i, i, f, f, f, f, f, ())
        entry, exit_, size, pin, pout, fee, why = zip(*rows, strict=True)
        sz = np.asarray(size, dtype=np.int64)
        p_in, p_out, fees = np.asarray(pin), np.asarray(pout), np.asarray(fee)
        return cls(
            entry_bar=np.asarray(entry, dtype=np.int64),
            exit_bar=np.asarray(exit_, dtype=np.int64),
            size=sz,
            entry_price=p_in,
            exit_price=p_out,
            pnl=sz * (p_out - p_in) - fees,
            returns=np.sign(sz) * (p_out / p_in - 1) - fees / (np.abs(sz) * p_in),
            commission=fees,
            reason=tuple(why),
        )


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    """A finished run: closed trades (`trade_log` as columns, `trades` as objects), the
    equity at every bar's close, the metrics (see services.backtest.metrics) and what
    produced them. `open_position` is (entry bar, signed size, entry price) of a trade left
    open (only when close_at_end is off); `drawdown` is derived from the equity."""

    symbol: str
    strategy: str
    params: dict[str, Any]
    config: BacktestConfig
    time: NDArray[np.datetime64]
    close: NDArray[np.float64]
    equity: NDArray[np.float64]
    trade_log: TradeLog
    open_position: tuple[int, int, float] | None
    metrics: Metrics
    warmup: int = 0

    @property
    def trades(self) -> tuple[Trade, ...]:
        """The closed trades, oldest first."""
        lg, t = self.trade_log, self.time
        return tuple(
            Trade(
                entry_bar=e,
                exit_bar=x,
                entry_time=t[e],
                exit_time=t[x],
                size=s,
                entry_price=pi,
                exit_price=po,
                pnl=pl,
                return_pct=r * 100,
                commission=fee,
                exit_reason=why,
            )
            for e, x, s, pi, po, pl, r, fee, why in zip(
                lg.entry_bar.tolist(),
                lg.exit_bar.tolist(),
                lg.size.tolist(),
                lg.entry_price.tolist(),
                lg.exit_price.tolist(),
                lg.pnl.tolist(),
                lg.returns.tolist(),
                lg.commission.tolist(),
                lg.reason,
                strict=True,
            )
        )

    @property
    def open_trade(self) -> Trade | None:
        """The trade still open at the end, valued at the last close (else None)."""
        if self.open_position is None:
            return None
        bar, size, price = self.open_position
        last = float(self.close[-1])
        fee = abs(size) * price * self.config.commission
        side = 1 if size > 0 else -1
        return Trade(
            entry_bar=bar,
            exit_bar=None,
            entry_time=self.time[bar],
            exit_time=None,
            size=size,
            entry_price=price,
            exit_price=last,
            pnl=size * (last - price) - fee,
            return_pct=(side * (last / price - 1) - fee / (abs(size) * price)) * 100,
            commission=fee,
            exit_reason="open",
        )

    @property
    def drawdown(self) -> NDArray[np.float64]:
        """Drawdown from the running equity peak at each bar, as a fraction (0.2 = 20 %)."""
        return drawdown(self.equity)

    def summary(self) -> dict[str, Any]:
        """The metrics with NaN as None (JSON-ready), plus what was run."""
        return {
            "symbol": self.symbol,
            "strategy": self.strategy,
            "params": dict(self.params),
            "start": _time(self.time[0]),
            "end": _time(self.time[-1]),
            "bars": len(self.time),
            **{k: (v if isinstance(v, int) else _num(v)) for k, v in self.metrics.items()},
        }

    def to_dict(self, series: bool = False) -> dict[str, Any]:
        """summary() with the trades, the open trade, and optionally the equity and
        drawdown series (for a chart)."""
        out = self.summary()
        out["config"] = asdict(self.config)
        out["trade_list"] = [t.to_dict() for t in self.trades]
        ot = self.open_trade
        out["open_trade"] = ot.to_dict() if ot else None
        if series:
            out["time"] = [_time(t) for t in self.time]
            out["equity"] = [float(x) for x in self.equity]
            out["drawdown"] = [float(x) for x in self.drawdown]
        return out
