"""Terminal slash commands: parse a line, call one orchestrator method, return a Reply."""

from __future__ import annotations

import shlex

from agents.conversation import Conversation
from agents.errors import BadInput, CotraderError
from agents.orchestrator import Orchestrator
from agents.results import Reply
from bot.text_views import reconcile_lines, risk_lines
from models.domain import Actor

MAX_LINE = 4000

USAGE = {
    "scan": "/scan [SYMBOL ...]",
    "propose": "/propose SYMBOL [buy|sell] [QTY]",
    "close": "/close SYMBOL [QTY]",
    "approve": "/approve ID",
    "reject": "/reject ID [reason]",
    "positions": "/positions",
    "orders": "/orders [open]",
    "pnl": "/pnl [day|week|month|all]",
    "pending": "/pending",
    "pause": "/pause [reason]",
    "resume": "/resume [rebase] [reason]",
    "risk": "/risk [SYMBOL [buy|sell] QTY]",
    "reconcile": "/reconcile",
    "kill": "/kill [flatten]",
    "watchlist": "/watchlist [list | add SYMBOL ... | remove SYMBOL ...]",
    "why": "/why ID",
    "status": "/status",
    "help": "/help",
    "quit": "/quit",
}

HELP_TEXT = "\n".join(
    [
        "Commands:",
        *(f"  {u}" for u in USAGE.values()),
        "Anything without a slash is plain language: 'should I buy NVDA?', 'buy 10 AAPL',",
        "'close my TSLA', 'pnl this week'. Proposals are only executed after /approve ID.",
    ]
)


def _side_qty(rest: list[str], cmd: str) -> tuple[str, str | None]:
    """`[buy|sell] [QTY]` after a symbol: the side (default buy) and the quantity, if any."""
    side = "buy"
    if rest and rest[0].lower() in ("buy", "sell", "b", "s", "long", "short"):
        side, rest = rest[0], rest[1:]
    if len(rest) > 1:
        raise BadInput(f"Too many arguments. Usage: {USAGE[cmd]}")
    return side, (rest[0] if rest else None)


class QuitRequested(Exception):
    """The user asked to leave."""


def _args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _need(args: list[str], n: int, cmd: str) -> None:
    if len(args) < n:
        raise BadInput(f"Usage: {USAGE[cmd]}")


class CommandHandler:
    def __init__(self, orch: Orchestrator, actor: Actor) -> None:
        self.orch = orch
        self.actor = actor
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
            return await self.conversation.handle(text, self.actor)
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
                return Reply(kind="help", text=HELP_TEXT)
            case "scan":
                return Reply(kind="scan", text="Scan", payload=await o.scan(args or None, me))
            case "propose":
                _need(args, 1, cmd)
                side, qty = _side_qty(args[1:], cmd)
                card = await o.propose(args[0], side, qty, me, source="command")
                return Reply(kind="proposal", text=f"Proposal {card.id}", payload=card)
            case "close":
                _need(args, 1, cmd)
                card = await o.close(args[0], args[1] if len(args) > 1 else None, me)
                return Reply(kind="proposal", text=f"Exit proposal {card.id}", payload=card)
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
                flatten = bool(args) and args[0].lower() in ("flatten", "confirm")
                rep = await o.kill(me, flatten=flatten)
                return Reply(kind="kill", text="Kill switch", payload=rep)
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
            raise BadInput(f"Usage: {USAGE['watchlist']}")
        wl = o.watchlist()
        return Reply(
            kind="watchlist",
            text="Watchlist: " + (", ".join(wl) or "(empty: scans use the default universe)"),
            payload=wl,
        )
