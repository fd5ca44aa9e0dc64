"""`cotrader greeks`: the price and five greeks of a call or put (Black–Scholes–Merton),
or the implied vol solved from a price and the greeks at that vol.

The numbers are taken as text and checked by agents.options_calc (shared with the chat's
and Discord's /greeks), so any bad input prints one clear line on stderr and exits 2:
never a usage panel or a traceback. Heavy modules are imported inside the command."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from agents.options_calc import GreeksView

# Unknown options and extra words reach the command, which refuses them in one line.
CONTEXT: dict[str, Any] = {"ignore_unknown_options": True, "allow_extra_args": True}

EPILOG = (
    "Numbers are decimals: --vol 0.2 is 20% (20% is also understood). "
    "T is calendar days / 365; an --expiry date means 16:00 ET that day. "
    "Theta is per calendar day, vega and rho per 1 percentage point, prices per share. "
    "American single-stock options are priced as European. "
    "Examples: cotrader greeks call --spot 100 --strike 105 --days 30 --vol 0.25; "
    "cotrader greeks put --spot 100 --strike 95 --expiry 2027-01-15 --price 3.2 --json"
)


def _fail(message: str) -> typer.Exit:
    from bot.logs import redact

    print(redact(f"cotrader greeks: {message}"), file=sys.stderr)
    return typer.Exit(2)


def _render(view: GreeksView) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=box.SIMPLE, padding=(0, 1))
    table.add_column("name")
    table.add_column("value", justify="right")
    for name, value in view.rows():
        table.add_row(name, value)
    console = Console(markup=False, highlight=False)
    console.print(view.title())
    console.print(view.assumptions())
    console.print(table)
    console.print(view.note)


def _default_rate() -> float:
    """COTRADER_RISK_FREE_RATE from the settings (.env included), else 0.04; BadInput with
    the settings' own line when it is not a sane number."""
    from agents.errors import BadInput
    from bot.settings import SettingsError, load_settings

    try:
        return float(load_settings().risk_free_rate)
    except SettingsError as e:
        raise BadInput(e.lines[0]) from None


def greeks(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Argument(help="call or put.", show_default=False, metavar="call|put")
    ] = None,
    spot: Annotated[
        str | None, typer.Option("--spot", metavar="S", help="The underlying's price.")
    ] = None,
    strike: Annotated[
        str | None, typer.Option("--strike", metavar="K", help="The strike price.")
    ] = None,
    days: Annotated[
        str | None,
        typer.Option("--days", metavar="D", help="Calendar days to expiry (may be fractional)."),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", metavar="T", help="Years to expiry.")
    ] = None,
    expiry: Annotated[
        str | None,
        typer.Option(
            "--expiry", metavar="DATE", help="Expiry date YYYY-MM-DD (at 16:00 ET that day)."
        ),
    ] = None,
    vol: Annotated[
        str | None,
        typer.Option("--vol", metavar="V", help="Volatility as a decimal (0.25 is 25%)."),
    ] = None,
    price: Annotated[
        str | None,
        typer.Option(
            "--price", metavar="P", help="The option's price per share: solve its implied vol."
        ),
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(
            "--rate",
            metavar="R",
            help="Risk-free rate as a decimal; default COTRADER_RISK_FREE_RATE, else 0.04.",
        ),
    ] = None,
    dividend: Annotated[
        str | None,
        typer.Option(
            "--dividend", metavar="Q", help="Continuous dividend yield as a decimal; default 0."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Price and greeks of a call or put: give exactly one of --days, --years or --expiry,
    and --vol to price it or --price to solve its implied vol."""
    from agents.errors import BadInput
    from agents.options_calc import greeks_view

    try:
        extra = list(ctx.args)
        if kind is not None and kind.startswith("-"):
            extra.insert(0, kind)
            kind = None
        if extra:
            shown = extra[0] if len(extra[0]) <= 20 else extra[0][:20] + "…"
            what = "option" if shown.startswith("-") else "argument"
            raise BadInput(f"unknown {what} {shown!r}; see cotrader greeks --help.")
        view = greeks_view(
            kind,
            spot,
            strike,
            days=days,
            years=years,
            expiry=expiry,
            vol=vol,
            price=price,
            rate=rate if rate is not None else _default_rate(),
            dividend=dividend if dividend is not None else 0.0,
            now=datetime.now(UTC),
        )
    except BadInput as e:
        raise _fail(str(e)) from None
    if json_out:
        print(json.dumps(view.model_dump(mode="json"), allow_nan=False))
    else:
        _render(view)
