"""The desk's events as one sentence a trader reads (the terminal's alert lines, the text of
Discord's alert embeds). Agents publish facts; the words are chosen here, once."""

from __future__ import annotations

from agents import events as ev
from agents.results import ReconcileView
from bot.logs import redact


def reconcile_alert(view: ReconcileView) -> str:
    """A reconciliation that found differences: the summary and up to ten of them."""
    lines = [f"[{view.mode_label}] Reconciliation: {view.report.summary()}"]
    lines += [f"• {d.detail}" for d in view.report.discrepancies[:10]]
    if len(view.report.discrepancies) > 10:
        lines.append(f"… and {len(view.report.discrepancies) - 10} more (/reconcile)")
    if view.bad_data:
        lines.append(f"Venue data refused (not booked): {'; '.join(view.bad_data[:5])}")
    lines.append("Nothing was changed: review and correct by hand.")
    return "\n".join(lines)


def _ref(e: ev.OrderEvent) -> str:
    who = f", approved by {e.approver}" if e.approver else ""
    return f"({e.proposal_id or e.client_order_id}{who})"


def _order(e: ev.OrderEvent) -> str:
    tag = f"[{e.mode_label}]"
    match e:
        case ev.OrderFilled():
            px = f" @ {e.avg_price:.2f}" if e.avg_price else ""
            state = "filled" if e.complete else "partially filled"
            return f"{tag} {e.side} {e.filled}/{e.quantity} {e.symbol}{px} {state} {_ref(e)}"
        case ev.OrderUnknown():
            return (
                f"{tag} {e.side} {e.quantity} {e.symbol} sent to {e.venue}: outcome unknown, "
                f"checking with the venue {_ref(e)}; you will be told when it is booked"
            )
        case ev.OrderWorking():
            return f"{tag} {e.side} {e.quantity} {e.symbol} working at {e.venue} {_ref(e)}"
        case ev.OrderRejected():
            why = f": {e.reason}" if e.reason else ""
            return (
                f"{tag} the broker rejected {e.side} {e.quantity} {e.symbol} "
                f"({e.client_order_id}){why}"
            )
        case _:
            return (
                f"{tag} order {e.client_order_id} ({e.side} {e.quantity} {e.symbol}) "
                f"canceled with {e.filled} filled"
            )


def _recovered(e: ev.Recovered) -> str:
    what = f"{e.quantity} {e.symbol}"
    if e.by_reconciliation:
        return (
            f"[{e.mode_label}] reconciliation: {e.symbol}: our order {e.client_order_id} "
            f"({e.side} {e.quantity}) was held as {e.reason} but the venue has it {e.outcome} "
            f"with {e.filled} filled; booked"
        )
    match e.outcome:
        case "filled":
            px = f" @ {e.avg_price:.2f}" if e.avg_price else ""
            text = f"filled {what}{px}"
        case "partially_filled":
            text = f"partially filled {e.filled}/{what}"
        case "new":
            text = f"{e.side} {what} is working at the venue"
        case "unknown":
            text = f"{e.side} {what}: sent, outcome unknown, checking ({e.reason})"
        case "pending_submit":
            text = f"{e.side} {what}: being sent"
        case "failed":
            text = f"{e.side} {what} not sent: {e.reason}. Nothing was sent"
        case _:
            text = f"{e.side} {what} {e.outcome}" + (f": {e.reason}" if e.reason else "")
    who = f"{e.approver}: " if e.approver else ""
    how = "recovered after a restart" if e.after_restart else "the venue answered"
    return f"[{e.mode_label}] {who}{how}: {text} ({e.proposal_id or e.client_order_id})"


def _state(e: ev.RiskStateChanged) -> str:
    head = f"[{e.mode_label}] Desk {e.state.upper()}: {e.reason}"
    if e.by is not None:
        return head
    if e.state == "halted":
        what = "no new proposals; pending ones expired" + (
            f" ({', '.join(e.expired)})" if e.expired else ""
        )
    else:
        what = "only position-reducing proposals until a person resumes"
    return f"{head}. {what}. Only a person can /resume."


def _job(e: ev.JobEvent) -> str:
    match e:
        case ev.PremarketBrief():
            wl = ", ".join(e.watchlist) or "the whole universe"
            stories = " Top stories: " + " | ".join(e.top_stories) if e.top_stories else ""
            return (
                f"Pre-market brief for {e.day:%a %d %b}. Session {e.session}. "
                f"Scans at 09:35 and 12:00 ET on {wl}.{stories}"
            )
        case ev.ScanPosted():
            n = len(e.report.cards)
            return f"Scheduled scan ({e.job}): {e.report.scanned} scanned, {n} proposal(s)."
        case ev.EndOfDay():
            return (
                f"End of day {e.day:%a %d %b}: realised {e.pnl.realized:+,.2f}, "
                f"unrealised {e.pnl.unrealized:+,.2f}."
            )
        case ev.ReconcileDone():
            return f"[{e.view.mode_label}] {e.view.report.summary()}"
        case ev.JobFailed():
            return f"Scheduled {e.job} failed: {e.error}"
    return f"{e.job} done"


def _price_alert(e: ev.PriceAlert) -> str:
    """An alert that fired: its id, why, the position it concerns, how to set it again."""
    why = e.reason.rstrip(".")
    price = f"{e.price:,.2f}"
    if price not in why:
        why += f" ({e.symbol} {price})"
    held = ""
    if e.held and e.condition not in ("loss", "gain"):
        pnl = f", {e.pnl_pct:+.2f}% open P&L" if e.pnl_pct is not None else ""
        held = f" You hold {e.held:+,} {e.symbol}{pnl}."
    return (
        f"[{e.mode_label}] Alert {e.alert_id} fired: {why}.{held} It fires once; "
        f"/alert rearm {e.alert_id} sets it again."
    )


def _exit_signal(e: ev.ExitSignal) -> str:
    """An exit rule that fired, and the card it raised (or why none): never an order."""
    rule = e.rule.replace("_", " ")
    why = e.reason.rstrip(".")
    head = f"[{e.mode_label}] {e.symbol} {rule} at {e.price:,.2f} ({e.pnl_pct:+.2f}%): {why}"
    if e.proposal_id:
        what = "stop card" if e.action == "stop_move" else "exit card"
        stop = f" (new stop {e.new_stop:,.2f})" if e.new_stop is not None else ""
        return (
            f"{head}. {what[:1].upper()}{what[1:]} {e.proposal_id}{stop} waits for a click: "
            f"/card {e.proposal_id}, /approve {e.proposal_id}."
        )
    return f"{head}." + (f" {e.note.rstrip('.')}." if e.note else "")


def _news(e: ev.NewsAlert) -> str:
    """A material headline on a holding: quoted, with its tone and the position's P&L."""
    pnl = "" if e.pnl is None else f", P&L ${e.pnl:+,.2f}"
    words = f"; material: {', '.join(e.material)}" if e.material else ""
    return (
        f'[{e.mode_label}] News on {e.symbol} (held {e.held:+,}{pnl}): "{e.headline}" '
        f"({e.source}, {e.label} {e.score:+.2f}{words}). Review the position: /close "
        f"{e.symbol} makes an exit card; nothing is done on its own."
    )


def _settled(e: ev.OptionSettled) -> str:
    held = f"{'long' if e.contracts > 0 else 'short'} {abs(e.contracts)}"
    text = f"[{e.mode_label}] {e.symbol} ({held}) expired: {e.fate}"
    if e.shares:
        verb = "bought" if e.shares > 0 else "sold"
        text += f", {abs(e.shares):,} {e.underlying} shares {verb} at {e.strike:,.2f}"
    return text + "."


def event_text(e: ev.DeskEvent) -> str:
    """One sentence for an event (redacted like the log)."""
    match e:
        case ev.OrderEvent():
            text = _order(e)
        case ev.Recovered():
            text = _recovered(e)
        case ev.RiskStateChanged():
            text = _state(e)
        case ev.ProposalExpired():
            text = f"Proposal {e.proposal_id} ({e.side} {e.quantity} {e.symbol}) expired."
        case ev.ProposalSuperseded():
            text = f"Proposal {e.proposal_id} ({e.symbol}) was replaced by {e.by}."
        case ev.KillSwitch():
            text = (
                f"KILL by {e.by}: {len(e.canceled)} orders canceled, "
                f"{len(e.expired)} proposals expired"
                + (f", {e.flattened} positions flattened" if e.flatten else "")
                + ". Desk halted until /resume."
            )
        case ev.Reconciled():
            text = (
                reconcile_alert(e.view)
                if e.view is not None
                else f"[{e.mode_label}] Reconciliation failed: {e.failed}"
            )
        case ev.StreamStopped():
            text = (
                f"[{e.mode_label}] The {e.venue} order stream stopped ({e.error}); fills are "
                "still booked by polling."
            )
        case ev.LlmBudgetReached():
            text = (
                f"LLM budget reached at {e.provider} today (${e.spent_usd:.2f}, "
                f"{e.tokens:,} tokens): falling back to the next provider or the offline "
                "writer until tomorrow."
            )
        case ev.PriceAlert():
            text = _price_alert(e)
        case ev.ExitSignal():
            text = _exit_signal(e)
        case ev.OptionSettled():
            text = _settled(e)
        case ev.NewsAlert():
            text = _news(e)
        case ev.JobEvent():
            text = _job(e)
        case _:
            text = e.kind
    return redact(text)
