"""Terminal commands that make or undo orders, or research them: /propose, /close, /cancel,
/card, /kill (with its confirmation), /analyze, /backtest. Each parses its arguments,
calls one orchestrator method and returns a Reply; nothing is created on bad input."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from agents.errors import BadInput, CotraderError, NotAuthorized
from agents.killswitch import CONFIRM_WITHIN
from agents.option_proposals import is_strategy
from agents.orchestrator import Orchestrator
from agents.results import AnalysisView, BacktestView, Reply
from bot.chat.help import usage
from bot.text_views import (
    analysis_lines,
    backtest_span,
    backtest_table,
    backtest_title,
    write_chart,
)
from models.domain import Actor
from models.order_spec import OrderSpec
from services.inputs import InputError
from services.order_syntax import parse_order_args


@dataclass(frozen=True)
class Charted:
    """An analysis or backtest and where its chart was written (or why it was not)."""

    view: AnalysisView | BacktestView
    chart: str | None = None
    problem: str | None = None


def order_spec(orch: Orchestrator, symbol: str, args: list[str]) -> OrderSpec:
    """The slash syntax after a symbol, as an OrderSpec (terminal and Discord alike)."""
    try:
        return parse_order_args(symbol, args, orch.proposals.max_quantity)
    except InputError as e:
        raise BadInput(str(e)) from None


def close_spec(orch: Orchestrator, symbol: str, size: str | None) -> OrderSpec:
    """`/close SYMBOL [QTY | PCT%]`: an exit of shares or a percentage of the position."""
    spec = order_spec(orch, symbol, [size] if size else [])
    if spec.amount is not None or spec.side is not None or spec.limit or spec.stop:
        raise BadInput(
            f"/close takes shares or a percentage of the position (e.g. 50%), not "
            f"{(size or '')[:20]!r}. Usage: {usage('close')}"
        )
    return OrderSpec(symbol=spec.symbol, exit=True, quantity=spec.quantity, pct=spec.pct)


def _need(args: list[str], low: int, high: int, cmd: str) -> None:
    if len(args) < low:
        raise BadInput(f"Usage: {usage(cmd)}")
    if len(args) > high:
        raise BadInput(f"Too many arguments ({args[high][:20]!r}). Usage: {usage(cmd)}")


async def propose(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    _need(args, 1, 12, "propose")
    if len(args) > 1 and is_strategy(args[1]):  # /propose SPY bull_put_spread [CONTRACTS]
        _need(args, 2, 3, "propose")
        card = await o.propose_option(args[0], args[1], args[2] if len(args) > 2 else None, me)
        return Reply(kind="proposal", text=f"Proposal {card.id}: {card.title}", payload=card)
    spec = order_spec(o, args[0], args[1:])
    card = await o.propose_order(spec, me, source="command")
    return Reply(
        kind="proposal", text=f"Proposal {card.id} (asked: {spec.readback()})", payload=card
    )


async def close(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    _need(args, 1, 2, "close")
    spec = close_spec(o, args[0], args[1] if len(args) > 1 else None)
    card = await o.propose_order(spec, me, source="command")
    return Reply(
        kind="proposal", text=f"Exit proposal {card.id} (asked: {spec.readback()})", payload=card
    )


async def cancel(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    _need(args, 1, 1, "cancel")
    view = await o.cancel_order(args[0], me)
    return Reply(
        kind="canceled",
        text=f"Order {view.client_order_id} ({view.side} {view.quantity} {view.symbol}): "
        f"{view.status_text or view.status}",
        payload=view,
    )


def card(o: Orchestrator, args: list[str]) -> Reply:
    _need(args, 1, 1, "card")
    c = o.proposal(args[0])
    return Reply(kind="card", text=f"Proposal {c.id}", payload=c)


def _window() -> str:
    secs = int(CONFIRM_WITHIN.total_seconds())
    return f"{secs // 60} minutes" if secs % 60 == 0 and secs >= 120 else f"{secs} s"


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


async def kill(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    """/kill at once; /kill flatten asks first; /kill confirm|cancel NONCE answers."""
    sub = args[0].lower() if args else ""
    if not args:
        report = await o.kill(me, flatten=False)
        return Reply(kind="kill", text="Kill switch", payload=report)
    if sub == "flatten":
        _need(args, 1, 1, "kill")
        return await _ask_kill(o, me)
    if sub in ("confirm", "cancel") and len(args) == 2:
        nonce = args[1].strip().lower()[:16]
        if sub == "cancel":
            o.cancel_kill(nonce)
            return Reply(kind="state", text=f"Kill {nonce} canceled; nothing was done.")
        try:
            o.confirm_kill(me, nonce)
        except NotAuthorized:
            raise BadInput(
                f"No kill request {nonce!r} of yours is waiting; nothing was done. "
                "/kill flatten asks again."
            ) from None
        report = await o.kill(me, flatten=True)
        return Reply(kind="kill", text="Kill switch", payload=report)
    if sub == "confirm":
        raise BadInput(
            "Confirm with the code /kill flatten gave: /kill confirm NONCE. Nothing was done."
        )
    raise BadInput(f"Usage: {usage('kill')}")


async def _ask_kill(o: Orchestrator, me: Actor) -> Reply:
    nonce = o.request_kill(me, True)
    working = len(o.orders(open_only=True).orders)
    pending = sum(1 for c in o.pending() if c.status == "pending")
    try:
        held = [f"{p.symbol} {p.quantity:,}" for p in (await o.positions()).positions]
    except CotraderError:
        held = []
    flat = f"close {_n(len(held), 'position')} at market" + (
        f" ({', '.join(held[:8])}{' …' if len(held) > 8 else ''})" if held else ""
    )
    text = (
        f"This will cancel {_n(working, 'working order')}, expire "
        f"{_n(pending, 'pending proposal')}, HALT the desk, then {flat}. Type "
        f"/kill confirm {nonce} within {_window()} to go ahead (/kill cancel {nonce} drops "
        "it). Nothing was done yet."
    )
    payload = {"nonce": nonce, "flatten": True, "confirm": f"/kill confirm {nonce}"}
    return Reply(kind="confirm", text=text, payload=payload)


async def analyze(o: Orchestrator, args: list[str], files: Path) -> Reply:
    _need(args, 1, 1, "analyze")
    view = await o.analyze(args[0])
    try:
        png: bytes | None = await o.analysis_chart(view.symbol)
    except CotraderError as e:  # the numbers still help without the picture
        return _charted(view, analysis_lines(view), None, files, f"no chart: {e}")
    return _charted(view, analysis_lines(view), png, files / f"{view.symbol}-analysis.png")


async def backtest(o: Orchestrator, args: list[str], files: Path) -> Reply:
    _need(args, 2, 24, "backtest")
    symbol, strategy, params = args[0], args[1], []
    cash, commission = 10_000.0, 0.0
    for a in args[2:]:
        key, eq, val = a.partition("=")
        if key.lower() == "cash" and eq:
            cash = _number(val, "cash", 1.0, 1e10)
        elif key.lower() == "commission" and eq:
            commission = _number(val, "commission", 0.0, 0.2)
        else:
            params.append(a)
    view = await o.backtest(symbol, strategy, params, cash, commission)
    lines = [f"[{view.mode_label}] {backtest_title(view)}", backtest_span(view)]
    lines.append(backtest_table(view))
    path = files / f"{view.symbol}-backtest-{view.strategy}.png"
    return _charted(view, lines, view.chart_png, path)


def _number(raw: str, name: str, low: float, high: float) -> float:
    try:
        v = float(raw.replace(",", "").replace("_", "").lstrip("$"))
    except ValueError:
        raise BadInput(f"{name} must be a number, not {raw[:20]!r}.") from None
    if not math.isfinite(v) or not low <= v <= high:
        raise BadInput(f"{name} must be between {low:g} and {high:g}, not {raw[:20]!r}.")
    return v


def _charted(
    view: AnalysisView | BacktestView,
    lines: list[str],
    png: bytes | None,
    path: Path,
    problem: str | None = None,
) -> Reply:
    """The reply, with the chart written to `path` (or the reason it was not)."""
    chart = None
    if png and problem is None:
        problem = write_chart(path, png)
        chart = None if problem else str(path.resolve())
    if chart:
        lines = [*lines, f"Chart written to {chart}"]
    elif problem:
        lines = [*lines, f"Chart: {problem}"]
    kind = "analysis" if isinstance(view, AnalysisView) else "backtest"
    return Reply(kind=kind, text="\n".join(lines), payload=Charted(view, chart, problem))
