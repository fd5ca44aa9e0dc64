"""Natural language: text -> typed intent -> one orchestrator call. Never an order.

A trading intent yields a proposal card with a read-back of what was understood; the
decision stays with the Approve/Reject buttons (or /approve in the terminal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agents.errors import CotraderError
from agents.llm.offline_parser import parse
from agents.results import Reply
from models.domain import Actor, Period
from models.intents import Intent, IntentKind

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

Parser = Callable[[str, frozenset[str]], Intent]

HELP = (
    "Try: 'scan', 'should I buy NVDA?', 'buy 10 AAPL', 'close my TSLA', 'positions', "
    "'orders', 'pnl this week', 'add AMD to my watchlist', 'why p-xxxxxxxx', 'pause', "
    "'resume', 'status'. Trades are only proposed here; a person approves each one."
)


class Conversation:
    def __init__(self, orch: Orchestrator, parser: Parser | None = None) -> None:
        self.orch = orch
        self.parser: Parser = parser or (lambda text, known: parse(text, known))
        self._known = frozenset(orch.data.known())

    async def handle(self, text: str, actor: Actor) -> Reply:
        intent = self.parser(text, self._known)
        self.orch.store.events.add(
            "chat.intent",
            actor.id,
            context={
                "kind": intent.kind.value,
                "readback": intent.readback,
                "symbols": list(intent.symbols),
                "chars": len(text),
            },
        )
        try:
            return await self._dispatch(intent, actor)
        except CotraderError as e:
            return Reply(
                kind="error", text=f"{intent.readback}: {e}" if intent.readback else str(e)
            )

    async def _dispatch(self, i: Intent, actor: Actor) -> Reply:
        o = self.orch
        k = IntentKind
        if i.kind in (k.PROPOSE, k.CLOSE) and not i.symbols:
            return Reply(kind="clarify", text="Which symbol? e.g. 'buy 10 AAPL'.")
        match i.kind:
            case k.PROPOSE:
                card = await o.propose(i.symbols[0], i.side, i.quantity, actor, source="chat")
                return Reply(
                    kind="proposal",
                    text=f"Understood: {i.readback}. Proposal {card.id} awaits approval.",
                    payload=card,
                )
            case k.CLOSE:
                card = await o.close(i.symbols[0], i.quantity, actor)
                return Reply(
                    kind="proposal",
                    text=f"Understood: {i.readback}. Exit proposal {card.id} awaits approval.",
                    payload=card,
                )
            case k.SCAN:
                return Reply(
                    kind="scan", text="Scan", payload=await o.scan(i.symbols or None, actor)
                )
            case k.ANALYZE:
                rep = await o.scan(i.symbols[:1] or None, actor) if i.symbols else None
                if rep is None:
                    return Reply(kind="clarify", text="Which symbol should I analyse?")
                return Reply(kind="scan", text=f"Analysis of {i.symbols[0]}", payload=rep)
            case k.POSITIONS:
                return Reply(kind="positions", text="Positions", payload=await o.positions())
            case k.ORDERS:
                return Reply(kind="orders", text="Orders", payload=o.orders())
            case k.PNL:
                return Reply(kind="pnl", text="P&L", payload=await o.pnl(i.period or Period.DAY))
            case k.WATCHLIST_ADD:
                added = [s for s in i.symbols if o.watch(s, actor)]
                return Reply(
                    kind="watchlist",
                    text=f"Watching {', '.join(added) or 'nothing new'}"
                    f"; watchlist: {', '.join(o.watchlist()) or '(empty)'}",
                )
            case k.WATCHLIST_REMOVE:
                for s in i.symbols:
                    o.unwatch(s, actor)
                return Reply(
                    kind="watchlist", text=f"Watchlist: {', '.join(o.watchlist()) or '(empty)'}"
                )
            case k.WATCHLIST_LIST:
                return Reply(
                    kind="watchlist", text=f"Watchlist: {', '.join(o.watchlist()) or '(empty)'}"
                )
            case k.PAUSE:
                o.pause(actor, "paused from chat")
                return Reply(kind="state", text="Paused: no new entry proposals until /resume.")
            case k.RESUME:
                o.resume(actor, "resumed from chat")
                return Reply(kind="state", text="Resumed.")
            case k.STATUS:
                return Reply(kind="status", text="Status", payload=await o.status())
            case k.WHY:
                if not i.proposal_id:
                    return Reply(kind="clarify", text="Which proposal? e.g. 'why p-abcd2345'.")
                return Reply(kind="why", text="Why", payload=o.why(i.proposal_id))
            case k.HELP:
                return Reply(kind="help", text=HELP)
            case k.CLARIFY:
                return Reply(kind="clarify", text=i.question or "Could you say that again?")
            case k.SMALL_TALK | k.REFUSE:
                return Reply(kind=i.kind.value, text=i.reply or HELP)
            case _:
                return Reply(kind="unknown", text=i.reply or f"I did not understand. {HELP}")
