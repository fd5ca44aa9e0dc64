"""Natural language: text -> typed intent -> one orchestrator call. Never an order.

A trading intent yields a proposal card with a read-back of what was understood; the
decision stays with the Approve/Reject buttons (or /approve in the terminal).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agents import monitor_chat
from agents.errors import CotraderError
from agents.llm.enrich import reply_deadline
from agents.llm.intent_llm import IntentLLM
from agents.llm.offline_parser import parse
from agents.options_chat import option_propose_reply, options_reply
from agents.report_views import report_text
from agents.results import Reply
from models.domain import Actor, Period
from models.intents import Intent, IntentKind

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

Parser = Callable[[str, frozenset[str]], Intent]

HELP = (
    "Try: 'scan', 'should I buy NVDA?', 'buy 10 AAPL at 180 limit', 'buy $500 of MSFT', "
    "'sell half my NVDA', 'short 10 TSLA', 'close my TSLA', 'analyze NVDA', 'positions', "
    "'orders', 'pnl this week', 'add AMD to my watchlist', 'why p-xxxxxxxx', 'pause', "
    "'resume', 'status', 'alert me if NVDA drops below 110', 'show my alerts', 'trail NVDA "
    "5%', 'run the monitor'. Trades are only proposed here; a person approves each one."
)


OFFLINE_NOTE = (
    "(No LLM key is configured, so the offline parser and writer serve: common phrasings "
    "work; set OPENAI_API_KEY or ANTHROPIC_API_KEY for free-form questions.)"
)


class Conversation:
    """Rules first (instant and free), the LLM for what they miss; never an order.

    `reply_budget_s` is how long a front end may wait for a card: an LLM rationale that is
    not ready by then is edited into the card later.
    """

    def __init__(
        self,
        orch: Orchestrator,
        parser: Parser | None = None,
        reply_budget_s: float | None = None,
        rules_first: bool = True,
    ) -> None:
        self.orch = orch
        self.parser: Parser = parser or (lambda text, known: parse(text, known))
        self._known = frozenset(orch.data.known())
        self.llm = IntentLLM(orch.llm, orch.guard) if orch.llm.online else None
        self.reply_budget_s = reply_budget_s or orch.reply_budget_s
        self._told_offline = False
        self.rules_first = rules_first  # False: every message goes to the LLM (when online)

    async def handle(self, text: str, actor: Actor) -> Reply:
        token = reply_deadline.set(time.monotonic() + self.reply_budget_s)
        try:
            reply = await self._handle(text, actor)
        finally:
            reply_deadline.reset(token)
        if self.llm is None and not self._told_offline and reply.kind == "unknown":
            self._told_offline = True
            reply = reply.model_copy(update={"text": f"{reply.text}\n{OFFLINE_NOTE}"})
        return reply

    async def _handle(self, text: str, actor: Actor) -> Reply:
        intent = self.parser(text, self._known)
        parser = "offline"
        ask_llm = intent.kind is IntentKind.UNKNOWN or not self.rules_first
        if ask_llm and self.llm is not None:
            intent, result = await self.llm.parse(text, self._known, await self.facts())
            parser = f"{result.provider}:{result.model}" if result else parser
        self.orch.store.events.add(
            "chat.intent",
            actor.id,
            context={
                "kind": intent.kind.value,
                "readback": intent.readback,
                "symbols": list(intent.symbols),
                "chars": len(text),
                "parser": parser,
            },
        )
        try:
            return await self._dispatch(intent, actor)
        except CotraderError as e:
            return Reply(
                kind="error", text=f"{intent.readback}: {e}" if intent.readback else str(e)
            )

    async def facts(self) -> dict[str, Any]:
        """What the desk knows now, for the model to answer questions from (data, not rules)."""
        o = self.orch
        pos = await o.positions()
        pnl = await o.pnl(Period.DAY)
        return {
            "mode": o.mode.label,
            "market_open": o.market.is_open(),
            "cash": round(pos.cash, 2),
            "equity": round(pos.equity, 2),
            "buying_power": round(pos.buying_power, 2),
            "positions": [
                {k: v for k, v in p.model_dump(mode="json").items() if k != "mode_label"}
                for p in pos.positions
            ],
            "pnl_today": {
                "realized": pnl.realized,
                "unrealized": pnl.unrealized,
                "total": pnl.total,
            },
            "watchlist": o.watchlist(),
            "pending_proposals": [
                {"id": c.id, "side": c.side, "quantity": c.quantity, "symbol": c.symbol}
                for c in o.pending()[:10]
            ],
            "desk": o.risk.desk().label,
        }

    async def _dispatch(self, i: Intent, actor: Actor) -> Reply:
        o = self.orch
        k = IntentKind
        if i.kind in (k.PROPOSE, k.CLOSE) and not i.symbols:
            return Reply(kind="clarify", text="Which symbol? e.g. 'buy 10 AAPL'.")
        match i.kind:
            case k.PROPOSE | k.CLOSE:
                card = await o.propose_order(i.order_spec(), actor, "chat", i.strategy)
                what = "Exit proposal" if card.kind == "exit" else "Proposal"
                return Reply(
                    kind="proposal",
                    text=f"Understood: {i.readback}. {what} {card.id} awaits approval.",
                    payload=card,
                )
            case k.SCAN:
                return Reply(
                    kind="scan", text="Scan", payload=await o.scan(i.symbols or None, actor)
                )
            case k.ANALYZE:
                if not i.symbols:
                    return Reply(kind="clarify", text="Which symbol should I analyse?")
                view = await o.analyze(i.symbols[0])  # indicators and chart: no proposal
                return Reply(kind="analysis", text=f"Analysis of {view.symbol}", payload=view)
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
                text = await o.resume(actor, "resumed from chat")
                return Reply(kind="state", text=text)
            case k.STATUS:
                return Reply(kind="status", text="Status", payload=await o.status())
            case k.WHY:
                if not i.proposal_id:
                    return Reply(kind="clarify", text="Which proposal? e.g. 'why p-abcd2345'.")
                return Reply(kind="why", text="Why", payload=o.why(i.proposal_id))
            case k.CHAIN | k.IV_RANK:
                return await options_reply(o, i)
            case k.OPTION_PROPOSE:
                return await option_propose_reply(o, i, actor)
            case k.NEWS:
                view = await o.news(i.symbols or None, i.hours)
                return Reply(kind="news", text=view.text, payload=view)
            case k.REPORT:
                view = await o.report((i.period or Period.DAY).value)
                return Reply(kind="report", text=report_text(view), payload=view)
            case k.WHY_MOVE:
                answer = await o.why_move(i.symbols[0])
                return Reply(kind="why_move", text=answer.text, payload=answer)
            case _ if i.kind in monitor_chat.MONITOR_KINDS:
                return await monitor_chat.dispatch(o, i, actor)
            case k.HELP:
                return Reply(kind="help", text=HELP)
            case k.CLARIFY:
                return Reply(kind="clarify", text=i.question or "Could you say that again?")
            case k.ANSWER if i.reply is None:
                return await self._answer(i)
            case k.SMALL_TALK | k.REFUSE | k.ANSWER:
                return Reply(kind=i.kind.value, text=i.reply or HELP)
            case _:
                return Reply(kind="unknown", text=i.reply or f"I did not understand. {HELP}")

    async def _answer(self, i: Intent) -> Reply:
        """A question the desk's own numbers answer (the parser leaves the text to us)."""
        pos = await self.orch.positions()
        if "buying power" in i.readback:
            return Reply(
                kind="answer",
                text=f"[{pos.mode_label}] Buying power {_usd(pos.buying_power)} (cash "
                f"{_usd(pos.cash)}, equity {_usd(pos.equity)}).",
            )
        return Reply(kind="answer", text=i.readback or HELP)


def _usd(v: float) -> str:
    return f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}"
