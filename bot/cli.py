"""The `cotrader` command. Heavy modules are imported inside commands, so --help is instant."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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


def _settings() -> Settings:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as e:
        for line in e.lines:
            print(f"cotrader: invalid setting: {line}", file=sys.stderr)
        raise typer.Exit(2) from None


def _start(console_logs: bool = False) -> App:
    from bot.app import build
    from bot.logs import setup_logging
    from bot.settings import SettingsError

    s = _settings()
    setup_logging(s.home_dir, s.log_level, s.secrets(), console=console_logs)
    try:
        return build(s)
    except SettingsError as e:
        for line in e.lines:
            print(f"cotrader: cannot start: {line}", file=sys.stderr)
        raise typer.Exit(2) from None


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
    try:
        asyncio.run(serve(a, s.discord_token.get_secret_value()))
    except KeyboardInterrupt:
        pass
    except DiscordStartError as e:
        print(f"cotrader: cannot start: {e}", file=sys.stderr)
        raise typer.Exit(2) from None
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

    from agents.errors import CotraderError
    from agents.results import Reply
    from bot.chat.render import render, reply_json

    a = _start()
    try:
        rep = asyncio.run(a.orchestrator.scan(symbols or None))
        reply = Reply(kind="scan", text="Scan", payload=rep)
    except CotraderError as e:
        reply = Reply(kind="error", text=str(e))
    finally:
        a.close()
    if json_lines:
        print(reply_json(reply))
    else:
        render(reply, Console(markup=False, highlight=False))
    raise typer.Exit(1 if reply.kind == "error" else 0)


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

    a = _start()

    async def work() -> tuple[Any, bytes | None]:
        view = await a.orchestrator.analyze(symbol)
        png = await a.orchestrator.analysis_chart(view.symbol) if chart else None
        return view, png

    try:
        view, png = asyncio.run(work())
    except CotraderError as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(2) from None
    finally:
        a.close()
    if chart and png:
        chart.write_bytes(png)
    if json_out:
        print(view.model_dump_json())
    else:
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
def doctor() -> None:
    """What is configured: mode, broker, data, LLM, database; secrets only as set/unset."""
    from bot.app import llm_description
    from bot.settings import SECRET_FIELDS

    s = _settings()
    rows = [
        ("mode", s.mode.label + (" (armed)" if s.armed else "")),
        ("broker", s.broker),
        ("data", s.data_source),
        ("LLM", llm_description(s)),
        ("database", _safe_url(s.db_url)),
        ("discord guild", str(s.discord_guild_id or "unset (global commands)")),
        ("alert channel", str(s.alert_channel_id or "unset (no channel alerts)")),
        (
            "approvers",
            ", ".join(
                [f"role {r}" for r in s.approver_role_ids]
                + [f"user {u}" for u in s.approver_user_ids]
            )
            or "the server owner",
        ),
        ("home", str(s.home_dir)),
    ]
    for name in SECRET_FIELDS:
        rows.append((name.upper(), "set" if getattr(s, name) is not None else "unset"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


def _safe_url(url: str) -> str:
    """A database URL with any password masked."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest."""
    from models.store import Store

    s = _settings()
    s.home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(s.db_url)
    store.upgrade()
    store.dispose()
    print(f"database at {_safe_url(s.db_url)} is up to date")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
