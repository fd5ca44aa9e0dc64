"""Reports and learning in the terminal: `/report [day|week|month|YYYY-MM-DD]` (kind
`report`), `/suggestions [apply|dismiss ID]` and `/settings [revert ID]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.errors import BadInput
from agents.report_views import report_text
from agents.results import Reply
from bot.chat.help import usage
from models.domain import Actor

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator


async def report_reply(o: Orchestrator, args: list[str]) -> Reply:
    if len(args) > 1:
        raise BadInput(f"Usage: {usage('report')}")
    view = await o.report(args[0] if args else None)
    return Reply(kind="report", text=report_text(view), payload=view)


def suggestions_reply(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    sub = args[0].lower() if args else "list"
    if sub in ("apply", "dismiss"):
        if len(args) != 2:
            raise BadInput(f"Usage: {usage('suggestions')}")
        if sub == "apply":
            change = o.apply_suggestion(args[1], me)
            text = (
                f"Applied {args[1]}: {change.key} {change.old_value:g} → {change.new_value:g} "
                f"(change #{change.id}; undo with /settings revert {change.id})"
            )
            return Reply(kind="settings", text=text, payload=change)
        s = o.dismiss_suggestion(args[1], me)
        return Reply(kind="suggestions", text=f"Dismissed {s.id}: {s.title}", payload=s)
    if sub != "list" or len(args) > 1:
        raise BadInput(f"Usage: {usage('suggestions')}")
    items = o.suggestions()
    lines = [s.line for s in items] or ["No suggestions yet (they need 30 closed trades)."]
    return Reply(
        kind="suggestions",
        text="\n".join(lines),
        payload={"suggestions": [s.model_dump(mode="json") for s in items]},
    )


def settings_reply(o: Orchestrator, me: Actor, args: list[str]) -> Reply:
    if args and args[0].lower() == "revert":
        if len(args) != 2:
            raise BadInput(f"Usage: {usage('settings')}")
        c = o.revert_setting(args[1], me)
        old = "?" if c.old_value is None else f"{c.old_value:g}"
        return Reply(
            kind="settings",
            text=f"Reverted change #{c.id}: {c.key} is {old} again (was {c.new_value:g}).",
            payload=c,
        )
    if args:
        raise BadInput(f"Usage: {usage('settings')}")
    view = o.settings_view()
    return Reply(kind="settings", text=view.text, payload=view)
