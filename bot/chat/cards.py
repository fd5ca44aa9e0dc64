"""Proposal cards in the terminal: a compact card (about 12 lines at 80 columns), the whole
card (`/card ID`), and one line per card (`/pending`)."""

from __future__ import annotations

import textwrap
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agents.results import Card
from bot.text_views import (
    entry_text,
    money,
    preview_line,
    protection_text,
    risk_text,
    size_text,
    tif_text,
)

INNER = 76  # an 80-column terminal less the panel's borders and padding
RATIONALE_LINES = 2
NOTE_LINES = 2


def _style(c: Card) -> str:
    return "red" if c.mode_label == "LIVE" else "cyan"


def _title(c: Card) -> str:
    return f"[{c.mode_label}] {c.title} · {c.id}"


def _subtitle(c: Card) -> str | None:
    return f"/approve {c.id} · /reject {c.id}" if c.status == "pending" else None


def _line(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


def rationale_lines(c: Card, width: int = INNER, most: int = RATIONALE_LINES) -> list[str]:
    """The rationale in at most `most` lines; cut short with a pointer to /card ID."""
    lines = textwrap.wrap(" ".join(c.rationale.split()), width) or ["(no rationale yet)"]
    if len(lines) <= most:
        return lines
    more = f"… /card {c.id} for the whole card"
    last = textwrap.shorten(lines[most - 1], max(10, width - len(more) - 1), placeholder="")
    return [*lines[: most - 1], f"{last} {more}".lstrip()]


def status_text(c: Card) -> str:
    """'pending, expires 14:32:10 UTC' or the outcome, with the order's fill."""
    if c.status == "pending":
        return f"Expires {c.expires_at:%H:%M:%S} UTC; re-checked at /approve"
    text = c.status.replace("_", " ") + (f": {c.status_reason}" if c.status_reason else "")
    if c.decided_by:
        text += f" (by {c.decided_by})"
    if c.order:
        o = c.order
        text += (
            f"; order {o.status_text or o.status}, {o.filled_quantity:,}/{o.quantity:,}"
            f" @ {money(o.avg_fill_price)}"
        )
    return "Status: " + text


def compact_lines(c: Card) -> list[str]:
    """The card's body: entry, protection, size and risk, notes, rationale, status."""
    if c.option is not None:
        lines = option_lines(c)
        lines += [f"Note: {n}" for n in c.notes[:NOTE_LINES]]
        failed = [ck.name for ck in c.checks if not ck.passed]
        if failed:
            lines.append("Failed checks: " + ", ".join(failed))
        return [*lines, *rationale_lines(c), status_text(c)]
    lines = [f"Entry {entry_text(c)}"]
    if prot := protection_text(c):
        lines.append(prot[:1].upper() + prot[1:])
    lines.append(f"Size {size_text(c)} · {risk_text(c)}")
    notes = list(c.notes)
    if len(notes) > NOTE_LINES:
        notes = [*notes[: NOTE_LINES - 1], f"… and {len(notes) - NOTE_LINES + 1} more notes"]
    lines += [f"Note: {n}" for n in notes]
    failed = [ck.name for ck in c.checks if not ck.passed]
    if failed:
        lines.append("Failed checks: " + ", ".join(failed))
    lines += rationale_lines(c)
    lines.append(status_text(c))
    return lines


def render_card(c: Card) -> Panel:
    """The compact card: fits about 12 lines of an 80-column terminal."""
    return Panel(
        Group(*(_line(x) for x in compact_lines(c))),
        title=_title(c),
        subtitle=_subtitle(c),
        border_style=_style(c),
    )


def render_full_card(c: Card) -> Panel:
    """`/card ID`: every part, every check with its numbers, the venue's dry run, the
    whole rationale and the order."""
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    t.add_row("Trade", f"{c.title} ({c.kind}, {c.order_type}, {tif_text(c.time_in_force)})")
    if c.option is not None:  # an option card: its legs and numbers instead of entry/stop
        rows = option_lines(c)
        legs = [r.strip() for r in rows if r.startswith("  ")]
        for i, leg in enumerate(legs):
            t.add_row("Legs" if i == 0 else "", leg)
        for r in rows[len(legs) :]:
            t.add_row("", r)
    else:
        t.add_row("Entry", entry_text(c))
        t.add_row("Stop / target", protection_text(c) or "none")
    t.add_row("Size", f"{size_text(c)}" + (f" ({c.sizing})" if c.sizing else ""))
    t.add_row("Risk" if c.kind != "exit" else "Exit", risk_text(c))
    if c.kind == "exit" and c.risk_amount:
        t.add_row("Risk", f"{money(c.risk_amount)} ({c.risk_pct:.2f}% of equity)")
    for n in c.notes:
        t.add_row("Note", n)
    t.add_row("Strategy", f"{c.strategy}, score {c.score:.0f}, confidence {c.confidence:.2f}")
    for ck in c.checks:
        t.add_row(("✓ " if ck.passed else "✗ ") + ck.name, ck.detail)
    if line := preview_line(c.preview, c.broker):
        t.add_row("Venue", line)
    t.add_row("Rationale", c.rationale or "(no rationale yet)")
    t.add_row("Created", f"{c.created_at:%Y-%m-%d %H:%M:%S} UTC")
    t.add_row("Expires", f"{c.expires_at:%Y-%m-%d %H:%M:%S} UTC")
    t.add_row("Status", c.status if c.status == "pending" else status_text(c)[len("Status: ") :])
    return Panel(t, title=_title(c), subtitle=_subtitle(c), border_style=_style(c))


def pending_line(c: Card) -> str:
    """One card in one line: id, title, price, tif, risk or realised P&L, expiry (UTC) or
    the order's state."""
    px = f"lmt {c.limit_price:,.2f}" if c.limit_price is not None else f"≈{c.entry:,.2f}"
    tif = "" if c.time_in_force == "day" else f" {c.time_in_force}"
    if c.status == "pending":
        state = f"expires {c.expires_at:%H:%M}"
    else:
        state = c.order.status_text if c.order and c.order.status_text else c.status
    risk = risk_text(c).replace(" of equity)", ")")
    return f"{c.id}  {c.title} @ {px}{tif} · {risk} · {state}"


OPTION_FIELDS = (
    "legs",
    "credit",
    "limit",
    "max_profit",
    "max_loss",
    "breakevens",
    "pop",
    "dte",
    "greeks",
    "capital",
    "buying_power",
    "expiry",
    "contracts",
    "underlying_price",
    "iv_rank",
)


def option_lines(c: Card) -> list[str]:
    """An option card's body: the legs, the net price, what it can make and lose."""
    o = c.option or {}
    out = []
    for leg in o.get("legs", []):
        quote = f"{leg['bid']}/{leg['ask']}" if leg.get("bid") is not None else "no quote"
        delta = f" Δ {leg['delta']:+.2f}" if leg.get("delta") is not None else ""
        out.append(
            f"  {leg['side'].upper():4} {leg['quantity']}x {leg['symbol']}"
            f" {leg['strike']:g}{leg['type'][0].upper()} {quote}{delta}"
        )
    credit = o.get("credit")
    if c.kind == "exit":
        verb = "debit" if o.get("debit") else "credit"
        out.append(f"Net {verb} {money(o.get('limit'))} limit · realises {money(c.realizes)}")
        return out
    be = ", ".join(f"{b:,.2f}" for b in o.get("breakevens", []))
    out.append(
        f"Credit {money(credit)} (limit {money(o.get('limit'))}) · {o.get('dte')} DTE"
        f" · POP {float(o.get('pop', 0)) * 100:.0f}%"
    )
    out.append(
        f"Max profit {money(o.get('max_profit'))} · max loss {money(o.get('max_loss'))}"
        f" · breakeven {be}"
    )
    g = o.get("greeks") or {}
    bp = o.get("buying_power") or {}
    out.append(
        f"Δ {g.get('delta', 0):+.1f} θ {g.get('theta', 0):+.2f}/day ν {g.get('vega', 0):+.2f}"
        f" · capital {money(o.get('capital'))} · BP {money(bp.get('effect'))}"
        f" ({bp.get('source', 'computed')})"
    )
    return out


def card_json(c: Card) -> dict[str, Any]:
    """A card for scripts: every part the terminal shows, and more (an option card adds
    its legs and numbers at the top level)."""
    out = _card_json(c)
    if c.option is not None:
        out.update({k: c.option.get(k) for k in OPTION_FIELDS if k in c.option})
        out["option_strategy"] = c.option.get("strategy")
    return out


def _card_json(c: Card) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "kind": c.kind,
        "symbol": c.symbol,
        "side": c.side,
        "short": c.short,
        "quantity": c.quantity,
        "order_type": c.order_type,
        "limit_price": c.limit_price,
        "time_in_force": c.time_in_force,
        "entry": c.entry,
        "stop": c.stop,
        "target": c.target,
        "protective": c.protective,
        "risk_amount": c.risk_amount,
        "risk_pct": c.risk_pct,
        "reward_risk": c.reward_risk,
        "notional": c.notional,
        "realizes": c.realizes,
        "notes": list(c.notes),
        "strategy": c.strategy,
        "score": c.score,
        "status": c.status,
        "status_reason": c.status_reason,
        "mode": c.mode_label,
        "expires_at": c.expires_at.isoformat(),
        "checks": [ck.model_dump() for ck in c.checks],
        "rationale": c.rationale,
        "order": c.order.model_dump(mode="json") if c.order else None,
        "broker": c.broker,
        "preview": c.preview,
    }
