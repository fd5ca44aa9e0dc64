"""The `cotrader` command. Heavy modules are imported inside commands, so --help is instant."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot import greeks_cli
from bot.backtest_cli import backtest as backtest_command

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

app = typer.Typer(
    help="cotrader: AI co-trader agents propose trades; a person approves every order.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database maintenance.", add_completion=False)
app.add_typer(db_app, name="db")
app.command("backtest")(backtest_command)
app.command("greeks", context_settings=greeks_cli.CONTEXT, epilog=greeks_cli.EPILOG)(
    greeks_cli.greeks
)


def _say(text: str) -> None:
    """A line on stdout, redacted like the log."""
    from bot.logs import redact

    print(redact(text))


def _refuse(lines: list[str], what: str = "cannot start") -> typer.Exit:
    """One redacted line per problem on stderr; the exit code for refused input (2)."""
    from bot.logs import redact

    for line in lines:
        print(redact(f"cotrader: {what}: {line}"), file=sys.stderr)
    return typer.Exit(2)


def _settings() -> Settings:
    from bot.logs import configure_redaction
    from bot.settings import SettingsError, load_settings

    try:
        s = load_settings()
    except SettingsError as e:
        raise _refuse(e.lines, "invalid setting") from None
    configure_redaction(s.secrets())
    return s


def _start(console_logs: bool = False) -> App:
    """Settings, the read-only checks of home and database, the log, the app: or exit 2 with
    one line per problem (nothing is changed before a check that refuses)."""
    from bot.preflight import StartError, open_app

    s = _settings()
    try:
        return open_app(s, console_logs=console_logs)
    except StartError as e:
        raise _refuse(e.lines) from None


def _settle_heap() -> None:
    """The desk runs for hours: move the start-up heap (the imports and the app, ~180k
    objects) out of the garbage collector's reach, so that a full collection scans only
    what the desk allocated since. On 2 cores a full collection fell from ~90 ms to a few,
    and the monitor pass's p99 (bench/monitor_pass.py) from ~60 ms to ~23 ms."""
    gc.collect()
    gc.freeze()


async def _venue_check(a: App) -> str | None:
    """None when the venue reads the account with these credentials, else why it refused."""
    from bot.preflight import venue_problem

    return await venue_problem(a.orchestrator)


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context) -> None:
    """With no command: same as `cotrader run`."""
    if ctx.invoked_subcommand is None:
        run()


@app.command()
def run() -> None:
    """Start the co-trader: the Discord bot when DISCORD_TOKEN is set, else the terminal chat."""
    s = _settings()
    if s.discord_token is None:
        print("cotrader: DISCORD_TOKEN is not set; starting the terminal chat.", file=sys.stderr)
        chat(json_lines=False)
        return
    from bot.discord_app.runner import DiscordStartError, serve

    a = _start(console_logs=True)
    _settle_heap()
    try:
        asyncio.run(serve(a, s.discord_token.get_secret_value()))
    except KeyboardInterrupt:
        pass
    except DiscordStartError as e:
        raise _refuse([str(e)]) from None
    finally:
        a.close()


@app.command()
def chat(
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per reply, for scripts.")
    ] = False,
) -> None:
    """Talk to the co-trader in the terminal (or a pipe): slash commands and plain language."""
    from bot.chat.terminal import run_chat

    a = _start()
    _settle_heap()
    try:
        code = asyncio.run(run_chat(a.orchestrator, as_json=json_lines))
    finally:
        a.close()
    raise typer.Exit(code)


@app.command()
def scan(
    symbols: Annotated[list[str] | None, typer.Argument(help="Symbols (default: universe)")] = None,
    json_lines: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Scan once, print the ranking and the proposals it made, and exit."""
    from rich.console import Console

    from agents.errors import CotraderError, UnknownSymbol
    from agents.results import Reply
    from bot.chat.render import render, reply_json
    from brokers.base import BrokerError

    a = _start()

    async def work() -> Reply | str:
        if why := await _venue_check(a):
            return why
        unknown = []
        for sym in symbols or ():
            try:
                a.orchestrator.data.normalise(sym)
            except UnknownSymbol:
                unknown.append(sym if len(sym) <= 12 else sym[:12] + "…")
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            plural = "s" if len(unknown) > 1 else ""
            return Reply(
                kind="error", text=f"Unknown symbol{plural} {names}: not in this market's universe."
            )
        rep = await a.orchestrator.scan(symbols or None)
        return Reply(kind="scan", text="Scan", payload=rep)

    try:
        reply = asyncio.run(work())
    except (CotraderError, BrokerError) as e:
        reply = Reply(kind="error", text=str(e))
    finally:
        a.close()
    if isinstance(reply, str):
        raise _refuse([reply])
    if json_lines:
        print(reply_json(reply))
    else:
        render(reply, Console(markup=False, highlight=False))
    raise typer.Exit(2 if reply.kind == "error" else 0)


@app.command()
def analyze(
    symbol: Annotated[str, typer.Argument(help="The symbol")],
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write the candlestick chart PNG here.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Indicators, score breakdown, which strategies fire, and optionally the chart."""
    from rich.console import Console

    from agents.errors import CotraderError
    from bot.logs import redact_data
    from brokers.base import BrokerError

    a = _start()

    async def work() -> tuple[Any, bytes | None] | str:
        if why := await _venue_check(a):
            return why
        view = await a.orchestrator.analyze(symbol)
        png = await a.orchestrator.analysis_chart(view.symbol) if chart else None
        return view, png

    try:
        done = asyncio.run(work())
    except (CotraderError, BrokerError) as e:
        raise _refuse([str(e)], "analyze") from None
    finally:
        a.close()
    if isinstance(done, str):
        raise _refuse([done])
    view, png = redact_data(done[0]), done[1]
    if chart and png:
        try:
            chart.write_bytes(png)
        except OSError as e:
            why = f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else "")
            raise _refuse([f"cannot write the chart to {chart}: {why}"], "analyze") from None
    if json_out:
        print(view.model_dump_json())
        raise typer.Exit(0)
    con = Console(markup=False, highlight=False)
    con.print(f"[{view.mode_label}] {view.symbol}: {view.verdict}")
    con.print(f"Score {view.scan.score:.0f}/100")
    for c in view.scan.components:
        con.print(f"  {c.name}: {c.points:g}/{c.max_points:g} ({c.detail})")
    for k, v in view.indicators.items():
        con.print(f"  {k}: {v:,.4g}")
    for n, (sig, since) in view.signals.items():
        mark = "FIRES" if n in view.firing else ""
        con.print(f"  {n}: signal {sig:+.0f}, {since} bars since it turned {mark}".rstrip())
    if chart:
        con.print(f"chart written to {chart}")
    raise typer.Exit(0)


@app.command()
def report(
    period: Annotated[
        str, typer.Option("--period", help="day, week or month (the one containing --date).")
    ] = "day",
    on: Annotated[
        str | None, typer.Option("--date", help="A day in the period, YYYY-MM-DD (default today).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the files here (default COTRADER_HOME/reports)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the figures and files as JSON.")
    ] = False,
) -> None:
    """Write a performance report (markdown, trades and equity CSVs, charts) and print it."""
    from datetime import date

    from agents.errors import CotraderError
    from bot.logs import redact_data
    from brokers.base import BrokerError

    if period.lower() not in ("day", "week", "month"):
        raise _refuse([f"--period {period!r}: day, week or month"], "report")
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise _refuse([f"--date {on!r} is not a date (YYYY-MM-DD)"], "report") from None
    a = _start()

    async def work() -> Any:
        if why := await _venue_check(a):
            return why
        return await a.orchestrator.report(period.lower(), out_dir=out, day=day)

    try:
        view = asyncio.run(work())
    except (CotraderError, BrokerError) as e:
        raise _refuse([str(e)], "report") from None
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        raise _refuse([f"cannot write the report: {e.strerror or e}{where}"], "report") from None
    finally:
        a.close()
    if isinstance(view, str):
        raise _refuse([view])
    if json_out:
        print(json.dumps(redact_data({"kind": "report", **view.figures}), default=str))
        raise typer.Exit(0)
    from agents.report_views import report_text

    print(report_text(view))
    raise typer.Exit(0)


@app.command()
def doctor() -> None:
    """What is configured (secrets only as set/unset), and every problem that would stop a
    start, one line each: settings, home, database (integrity too), keys. Exit 2 if any."""
    from bot.doctor import report

    lines, code = report()
    for line in lines:
        print(line)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest."""
    from bot.preflight import StartError, safe_url, upgrade_database

    s = _settings()
    try:
        upgrade_database(s)
    except StartError as e:
        raise _refuse(e.lines) from None
    _say(f"database at {safe_url(s.db_url)} is up to date")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
