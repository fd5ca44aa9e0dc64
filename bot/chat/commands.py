"""Terminal slash commands: parse a line, call one orchestrator method, return a Reply."""

from __future__ import annotations

import shlex
from pathlib import Path

from agents.conversation import Conversation
from agents.errors import BadInput, CotraderError
from agents.orchestrator import Orchestrator
from agents.results import Reply
from bot.chat import monitor_commands as mon
from bot.chat import trade_commands as trade
from bot.chat.chain_command import chain_reply, ivrank_reply
from bot.chat.greeks_command import greeks_reply
from bot.chat.help import command_text, find, help_text, usage
from bot.chat.news_command import news_reply
from bot.chat.report_command import report_reply, settings_reply, suggestions_reply
from bot.text_views import reconcile_lines, risk_lines
from models.domain import Actor

MAX_LINE = 4000


def _side_qty(rest: list[str], cmd: str) -> tuple[str, str | None]:
    """`[buy|sell] [QTY]` after a symbol: the side (default buy) and the quantity, if any."""
    side = "buy"
    if rest and rest[0].lower() in ("buy", "sell", "b", "s", "long", "short"):
        side, rest = rest[0], rest[1:]
    if len(rest) > 1:
        raise BadInput(f"Too many arguments. Usage: {usage(cmd)}")
    return side, (rest[0] if rest else None)


def help_reply(args: list[str]) -> Reply:
    """`/help` (every command) or `/help COMMAND` (its syntax, options and examples)."""
    if not args:
        return Reply(kind="help", text=help_text())
    entry = find(args[0])
    if entry is None:
        shown = args[0] if len(args[0]) <= 20 else args[0][:20] + "…"
        raise BadInput(f"No command {shown!r}. /help lists them.")
    return Reply(kind="help", text=command_text(entry), payload={"command": entry.name})


class QuitRequested(Exception):
    """The user asked to leave."""


def _args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _need(args: list[str], n: int, cmd: str) -> None:
    if len(args) < n:
        raise BadInput(f"Usage: {usage(cmd)}")


class CommandHandler:
    """One line in, one Reply out. `files` is where /analyze and /backtest write charts."""

    def __init__(self, orch: Orchestrator, actor: Actor, files: Path | None = None) -> None:
        self.orch = orch
        self.actor = actor
        self.files = files or Path.cwd()
        self.conversation = Conversation(orch)

    async def handle(self, line: str) -> Reply | None:
        """One line in, one reply out (None for an empty line). Never raises CotraderError."""
        text = line.strip()
        if not text:
            return None
        if len(text) > MAX_LINE:
            return Reply(
                kind="error",
                text=f"That line is {len(text):,} characters; the limit "
                f"is {MAX_LINE:,}. Nothing was done.",
            )
        try:
            if text.startswith("/"):
                return await self._command(text)
            reply = await self.conversation.handle(text, self.actor)
            return help_reply([]) if reply.kind == "help" else reply
        except CotraderError as e:
            return Reply(kind="error", text=str(e), payload=getattr(e, "decision", None))

    async def _command(self, text: str) -> Reply:
        parts = _args(text[1:])
        if not parts:
            raise BadInput("Empty command. /help lists them.")
        cmd, args = parts[0].lower(), parts[1:]
        o, me = self.orch, self.actor
        match cmd:
            case "quit" | "exit" | "q":
                raise QuitRequested
            case "help" | "h" | "?":
                return help_reply(args)
            case "scan":
                return Reply(kind="scan", text="Scan", payload=await o.scan(args or None, me))
            case "propose":
                return await trade.propose(o, me, args)
            case "close":
                return await trade.close(o, me, args)
            case "cancel":
                return await trade.cancel(o, me, args)
            case "card":
                return trade.card(o, args)
            case "analyze" | "analyse":
                return await trade.analyze(o, args, self.files)
            case "backtest":
                return await trade.backtest(o, args, self.files)
            case "greeks":
                return greeks_reply(args, o.clock(), o.desk_cfg.risk_free_rate)
            case "chain":
                return await chain_reply(o, args)
            case "ivrank" | "iv":
                return await ivrank_reply(o, args)
            case "news":
                return await news_reply(o, args)
            case "report":
                return await report_reply(o, args)
            case "suggestions" | "suggestion":
                return suggestions_reply(o, me, args)
            case "settings":
                return settings_reply(o, me, args)
            case "approve":
                _need(args, 1, cmd)
                card = await o.approve(args[0], me)
                state = card.order.status_text if card.order else card.status
                return Reply(kind="approved", text=f"Approved {card.id}: {state}", payload=card)
            case "reject":
                _need(args, 1, cmd)
                card = o.reject(args[0], me, " ".join(args[1:]))
                return Reply(kind="rejected", text=f"Rejected {card.id}", payload=card)
            case "positions" | "pos":
                return Reply(kind="positions", text="Positions", payload=await o.positions())
            case "orders":
                open_only = bool(args) and args[0].lower() == "open"
                return Reply(kind="orders", text="Orders", payload=o.orders(open_only))
            case "pnl":
                view = await o.pnl(args[0] if args else "day")
                await o.record_day()
                return Reply(kind="pnl", text="P&L", payload=view)
            case "pending":
                return Reply(kind="pending", text="Pending proposals", payload=o.pending())
            case "pause":
                o.pause(me, " ".join(args))
                return Reply(kind="state", text="Paused: no new entry proposals until /resume.")
            case "resume":
                rebase = bool(args) and args[0].lower() in ("rebase", "rebase-peak")
                text = await o.resume(me, " ".join(args[1:] if rebase else args), rebase)
                return Reply(kind="state", text=text)
            case "kill":
                return await trade.kill(o, me, args)
            case "watchlist" | "watch":
                return self._watchlist(args)
            case "why":
                _need(args, 1, cmd)
                return Reply(kind="why", text="Why", payload=o.why(args[0]))
            case "status":
                return Reply(kind="status", text="Status", payload=await o.status())
            case "risk":
                side, qty = _side_qty(args[1:], cmd)
                rep = await o.risk_report(args[0] if args else None, side, qty)
                return Reply(kind="risk", text="\n".join(risk_lines(rep)), payload=rep)
            case "sim":
                if len(args) != 3 or args[0].lower() != "shock":
                    raise BadInput(f"Usage: {usage(cmd)}")
                shock = await o.sim_shock(args[1], args[2], me)
                return Reply(kind="sim.shock", text=shock.summary, payload=shock)
            case "monitor":
                return await mon.monitor(o, me, args)
            case "alert":
                return await mon.alert(o, me, args)
            case "alerts":
                return mon.alerts(o, args)
            case "movestop":
                return await mon.movestop(o, me, args)
            case "reconcile":
                view = await o.reconcile(me)
                return Reply(kind="reconcile", text="\n".join(reconcile_lines(view)), payload=view)
            case _:
                shown = cmd if len(cmd) <= 20 else cmd[:20] + "…"
                raise BadInput(f"Unknown command /{shown}. /help lists them.")

    def _watchlist(self, args: list[str]) -> Reply:
        o, me = self.orch, self.actor
        sub = args[0].lower() if args else "list"
        syms = args[1:]
        if sub == "add":
            _need(syms, 1, "watchlist")
            valid = [o.data.normalise(s) for s in syms]  # all or nothing
            for s in valid:
                o.watch(s, me)
        elif sub in ("remove", "rm", "del"):
            _need(syms, 1, "watchlist")
            missing = [s for s in syms if s.upper().lstrip("$") not in o.watchlist()]
            if missing:
                raise BadInput(f"Not on the watchlist: {', '.join(m[:12] for m in missing)}.")
            for s in syms:
                o.unwatch(s, me)
        elif sub != "list":
            raise BadInput(f"Usage: {usage('watchlist')}")
        wl = o.watchlist()
        return Reply(
            kind="watchlist",
            text="Watchlist: " + (", ".join(wl) or "(empty: scans use the default universe)"),
            payload=wl,
        )
