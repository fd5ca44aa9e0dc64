"""`cotrader backtest`: run a registered strategy over a CSV or the simulator's history.

Heavy modules (numpy, pandas, the app) are imported inside the command so `--help` stays
instant. Bad input prints one clear line on stderr and exits with code 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from services.backtest import OHLCV, BacktestResult

SIM_HISTORY_LIMIT = 100_000  # ask for all of it; the simulator returns what it has


class _BadInput(Exception):
    """A problem with the command line itself (reported like a BacktestError)."""


def _fail(message: str) -> typer.Exit:
    from bot.logs import redact

    print(redact(f"cotrader backtest: {message}"), file=sys.stderr)
    return typer.Exit(2)


def _sim_bars(symbol: str) -> OHLCV:
    """The symbol's daily history from the configured market (the built-in simulator)."""
    from agents.errors import CotraderError
    from bot.preflight import StartError, open_app
    from bot.settings import SettingsError, load_settings
    from services.backtest import ohlcv_from_domain

    try:
        app = open_app(load_settings())
    except (SettingsError, StartError) as e:
        raise _BadInput("; ".join(e.lines)) from None
    try:
        data = app.orchestrator.data
        sym = data.normalise(symbol)
        bars = asyncio.run(data.daily_bars(sym, SIM_HISTORY_LIMIT))
    except CotraderError as e:
        raise _BadInput(str(e)) from None
    finally:
        app.close()
    return ohlcv_from_domain(bars)


def _render(result: BacktestResult, source: str) -> None:
    from rich.console import Console
    from rich.table import Table

    s = result.summary()
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    span = f"{str(s['start'])[:10]} to {str(s['end'])[:10]}"
    title = f"{result.strategy}({params}) on {s['symbol'] or source}, {span}"
    table = Table(show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")

    def fmt(key: str, unit: str = "", nd: int = 2) -> str:
        v = s.get(key)
        return "n/a" if v is None else f"{v:,.{nd}f}{unit}"

    rows = [
        ("Bars", f"{s['bars']:,}"),
        ("Trades", f"{s['trades']:,}"),
        ("Return", fmt("return_pct", " %")),
        ("Buy & hold return", fmt("buy_hold_return_pct", " %")),
        ("CAGR", fmt("cagr_pct", " %")),
        ("Volatility (ann.)", fmt("volatility_ann_pct", " %")),
        ("Sharpe", fmt("sharpe", nd=3)),
        ("Sortino", fmt("sortino", nd=3)),
        ("Calmar", fmt("calmar", nd=3)),
        ("Max drawdown", fmt("max_drawdown_pct", " %")),
        ("Max drawdown duration", fmt("max_drawdown_duration_days", " days", 0)),
        ("Win rate", fmt("win_rate_pct", " %")),
        ("Profit factor", fmt("profit_factor", nd=3)),
        ("Expectancy", fmt("expectancy_pct", " %", 3)),
        ("Kelly", fmt("kelly", nd=3)),
        ("Exposure", fmt("exposure_pct", " %")),
        ("Commissions", fmt("commissions")),
        ("Final equity", fmt("equity_final")),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console = Console(markup=False, highlight=False)
    console.print(title)
    console.print(table)
    console.print(
        "Signals at each bar's close, fills at the next open, whole units; "
        f"annualised over {s['periods_per_year']} periods a year."
    )


def backtest(
    strategy: Annotated[
        str, typer.Option("--strategy", help="Strategy name, e.g. sma_cross, breakout.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Strategy parameter KEY=VALUE (repeatable)."),
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Daily bars of this symbol from the market.")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="CSV with Date, Open, High, Low, Close, Volume columns."),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date (YYYY-MM-DD).")] = None,
    cash: Annotated[float, typer.Option("--cash", help="Starting cash.")] = 10_000.0,
    commission: Annotated[
        float, typer.Option("--commission", help="Fraction of traded value per side.")
    ] = 0.0,
    slippage: Annotated[
        float, typer.Option("--slippage", help="Fraction every fill moves against you.")
    ] = 0.0,
    stop_loss: Annotated[
        float | None, typer.Option("--stop-loss", help="Stop, fraction of the signal close.")
    ] = None,
    take_profit: Annotated[
        float | None, typer.Option("--take-profit", help="Target, fraction of the signal close.")
    ] = None,
    long_only: Annotated[bool, typer.Option("--long-only", help="Never go short.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Write the equity and drawdown chart (PNG) to FILE."),
    ] = None,
) -> None:
    """Backtest a strategy: signals at the close, fills at the next open, whole units."""
    from services.backtest import BacktestConfig, BacktestError
    from services.backtest.runner import backtest as run
    from services.signals import get_strategy, resolve_params

    try:
        if (symbol is None) == (csv is None):
            raise _BadInput("give exactly one of --symbol SYM or --csv FILE")
        if chart is not None and not chart.parent.is_dir():
            raise _BadInput(
                f"cannot write the chart to {chart}: directory {chart.parent} does not exist"
            )
        get_strategy(strategy)
        params = resolve_params(strategy, param or [])
        config = BacktestConfig(
            cash=cash,
            commission=commission,
            slippage=slippage,
            stop_loss=stop_loss,
            take_profit=take_profit,
            allow_short=not long_only,
        )
        bars = read_csv(csv) if csv is not None else _sim_bars(symbol or "")
        bars = bars.between(start, end)
        result = run(bars, strategy, params, config)
    except (BacktestError, _BadInput) as e:
        raise _fail(str(e)) from None
    source = f"csv:{csv}" if csv is not None else "sim"
    if chart is not None:
        _write_chart(result, chart)
    if json_out:
        out: dict[str, Any] = {"source": source, **result.to_dict()}
        if chart is not None:
            out["chart"] = str(chart)
        print(json.dumps(out, allow_nan=False))
    else:
        _render(result, source)
        if chart is not None:
            print(f"Equity and drawdown chart written to {chart}")


def _write_chart(result: BacktestResult, path: Path) -> None:
    """The run's equity curve with its drawdown underneath, as a PNG at `path` (one clear
    line and exit 2 when it cannot be drawn or written)."""
    from services.chart_data import ChartError
    from services.charts import render_equity

    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    title = f"{result.strategy}({params}) on {result.symbol}: equity and drawdown"
    try:
        png = render_equity(result.equity, result.time, title=title)
    except ChartError as e:
        raise _fail(f"cannot draw the chart: {e}") from None
    try:
        path.write_bytes(png)
    except OSError as e:
        why = f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else "")
        raise _fail(f"cannot write the chart to {path}: {why}") from None


def read_csv(path: str | Path, symbol: str | None = None) -> OHLCV:
    """Bars from a CSV with Date, Open, High, Low, Close, Volume columns (the file I/O stays
    here; services.backtest validates the frame)."""
    import pandas as pd

    from services.backtest.errors import DataError
    from services.backtest.frames import ohlcv_from_frame

    p = Path(path)
    if not p.is_file():
        raise DataError(f"CSV file not found: {p}")
    try:
        df = pd.read_csv(p)
    except pd.errors.EmptyDataError:
        raise DataError(f"CSV file {p} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise DataError(f"CSV file {p} is not readable as CSV: {e}") from None
    if "date" not in {str(c).strip().lower() for c in df.columns} and len(df.columns):
        first = df.columns[0]
        if str(first).startswith("Unnamed") or str(first).strip() == "":
            df = df.rename(columns={first: "Date"})  # an unnamed index column, as pandas writes
    return ohlcv_from_frame(df, symbol if symbol is not None else p.stem.upper())
