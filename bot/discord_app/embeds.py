"""Orchestrator results as Discord embeds. Every card says its mode; every embed fits, and
every embed passes the log's redactor (`shown`) before it leaves."""

from __future__ import annotations

import json
from datetime import datetime

import discord

from agents.results import (
    AnalysisView,
    Card,
    KillReport,
    OrdersView,
    PnlView,
    PositionsView,
    ScanReport,
    SimShockView,
    StatusView,
    WhyView,
)
from bot.discord_app.limits import clip, fit
from bot.discord_app.option_card_embeds import add_option_fields, payoff_name
from bot.logs import redact_data
from bot.text_views import (
    breakdown,
    entry_text,
    greeks_lines,
    option_position_lines,
    order_price,
    preview_line,
    risk_text,
    side_word,
)

MODE_BANNER = {
    "SIMULATED": ("🧪 SIMULATED", "Built-in simulator: no real money, simulated prices.", 0x3498DB),
    "PAPER": ("📝 PAPER", "Broker paper account: no real money.", 0xF1C40F),
    "LIVE": ("🔴 LIVE", "LIVE ACCOUNT: REAL MONEY.", 0xE74C3C),
}
STATUS_COLOUR = {
    "filled": 0x2ECC71,
    "partially_filled": 0x27AE60,
    "submitted": 0x1ABC9C,
    "approved": 0x1ABC9C,
    "rejected": 0x95A5A6,
    "expired": 0x95A5A6,
    "superseded": 0x95A5A6,
    "canceled": 0x95A5A6,
    "failed": 0xE67E22,
}


def _money(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def _px(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def when(t: datetime, style: str = "R") -> str:
    """A Discord timestamp: shown in each reader's own time zone."""
    return f"<t:{int(t.timestamp())}:{style}>"


def shown(e: discord.Embed) -> discord.Embed:
    """The embed as it may be shown: every text in it redacted, then fitted to the limits."""
    return fit(discord.Embed.from_dict(redact_data(e.to_dict())))


def banner(mode_label: str) -> tuple[str, str, int]:
    return MODE_BANNER.get(mode_label, (mode_label, mode_label, 0x7F8C8D))


def outcome(c: Card) -> str | None:
    """What happened to the proposal, for the card's last field (None while pending)."""
    if c.status == "pending":
        return None
    who = f" by {c.decided_by}" if c.decided_by else ""
    match c.status:
        case "filled" | "partially_filled" | "submitted" | "approved":
            line = f"✅ Approved{who}"
            if c.order:
                o = c.order
                line += (
                    f"\nOrder `{o.client_order_id}` ({o.broker_order_id or 'no broker id'}): "
                    f"{o.status_text}, {o.filled_quantity}/{o.quantity} filled"
                    + (f" @ {_px(o.avg_fill_price)}" if o.avg_fill_price else "")
                )
            return line
        case "rejected":
            return f"❌ Rejected{who}" + (f": {c.status_reason}" if c.status_reason else "")
        case "expired":
            return f"⌛ EXPIRED: {c.status_reason or 'not decided in time'}. Nothing was sent."
        case "superseded":
            return f"↪️ Superseded: {c.status_reason}. Nothing was sent."
        case _:
            return f"⚠️ {c.status.upper()}{who}: {c.status_reason or 'see /why'}"


def card_embed(c: Card) -> discord.Embed:
    tag, note, colour = banner(c.mode_label)
    verb = "EXIT" if c.kind == "exit" else "SHORT" if c.short else "ENTRY"
    e = discord.Embed(
        title=f"{tag} · {c.title}",
        description=clip(c.rationale, 1500),
        colour=STATUS_COLOUR.get(c.status, colour),
        timestamp=c.created_at,
    )
    e.set_author(name=f"{tag} · {verb} PROPOSAL {c.id} · {note}")
    if c.option is not None:
        return _option_card(e, c, tag)
    e.add_field(name="Entry", value=entry_text(c))
    venue = " (at the venue)" if c.protective else ""
    e.add_field(name="Stop", value=_px(c.stop) + (venue if c.stop else ""))
    e.add_field(name="Target", value=_px(c.target) + (venue if c.target else ""))
    if c.kind == "exit":
        e.add_field(name="Realises", value=risk_text(c).removeprefix("realises "))
    else:
        e.add_field(name="Risk", value=f"{_money(c.risk_amount)} ({c.risk_pct:.2f}% of equity)")
    rr = f"{c.reward_risk:.2f}" if c.reward_risk is not None else "-"
    e.add_field(name="Reward:risk", value=rr)
    e.add_field(name="Notional", value=_money(c.notional))
    if c.notes:
        e.add_field(name="Notes", value="\n".join(f"• {n}" for n in c.notes), inline=False)
    e.add_field(
        name="Strategy",
        value=f"{c.strategy} · score {c.score:.0f}/100 · confidence {c.confidence:.0%}",
        inline=False,
    )
    checks = "\n".join(
        f"{'✅' if ck.passed else '❌'} **{ck.name}**: {ck.detail}" for ck in c.checks
    )
    e.add_field(name=f"Risk checks ({c.sizing or 'sized'})", value=checks or "-", inline=False)
    if venue := preview_line(c.preview, c.broker):
        e.add_field(name="Venue dry run", value=clip(venue, 1000), inline=False)
    if c.status == "pending":
        e.add_field(
            name="Expires",
            value=f"{when(c.expires_at)} ({when(c.expires_at, 'T')}); the price is re-checked "
            "at the click",
            inline=False,
        )
    done = outcome(c)
    if done:
        e.add_field(name="Outcome", value=done, inline=False)
    e.set_footer(text=f"{tag} · {c.id} · /why {c.id} replays every step")
    return shown(e)


def _option_card(e: discord.Embed, c: Card, tag: str) -> discord.Embed:
    """An option card: its legs and numbers, the checks, the outcome; the payoff chart is
    the attached image (posted with the card)."""
    add_option_fields(e, c)
    checks = "\n".join(
        f"{'✅' if ck.passed else '❌'} **{ck.name}**: {ck.detail}" for ck in c.checks
    )
    if checks:
        e.add_field(name=f"Risk checks ({c.sizing or 'sized'})", value=checks, inline=False)
    if c.status == "pending":
        e.add_field(
            name="Expires",
            value=f"{when(c.expires_at)}; the net price is re-checked at the click",
            inline=False,
        )
    if done := outcome(c):
        e.add_field(name="Outcome", value=done, inline=False)
    if c.kind == "entry":
        e.set_image(url=f"attachment://{payoff_name(c)}")
    e.set_footer(text=f"{tag} · {c.id} · /why {c.id} replays every step")
    return shown(e)


def scan_embed(r: ScanReport) -> discord.Embed:
    tag, _, colour = banner(r.mode_label)
    lines = ["```", f"{'sym':<6}{'score':>6}{'last':>10}{'chg%':>7} {'side':<6} breakdown"]
    for x in r.ranked[:15]:
        chg = "-" if x.change_pct is None else f"{x.change_pct:+.2f}"
        lines.append(
            f"{x.symbol:<6}{x.score:>6.0f}{x.last or 0:>10.2f}{chg:>7} {side_word(x.side):<6} "
            f"{breakdown(x.components)}"
        )
    lines.append("```")
    e = discord.Embed(
        title=f"{tag} · scan of {r.scanned} symbols",
        description="\n".join(lines) if r.ranked else "Nothing passed the filters.",
        colour=colour,
    )
    e.add_field(name="Proposals", value=", ".join(c.id for c in r.cards) or "none", inline=False)
    if r.filtered:
        listed = "\n".join(f"{x.symbol}: {'; '.join(x.reasons)}" for x in r.filtered[:8])
        more = f"\n… and {len(r.filtered) - 8} more" if len(r.filtered) > 8 else ""
        e.add_field(name="Filtered out", value=listed + more, inline=False)
    for n in r.notes[:5]:
        e.add_field(name="Note", value=n, inline=False)
    return shown(e)


def analysis_embed(a: AnalysisView, image: str | None = None) -> discord.Embed:
    tag, _, colour = banner(a.mode_label)
    e = discord.Embed(title=f"{tag} · {a.symbol} analysis", description=a.verdict, colour=colour)
    ind = "\n".join(f"{k}: {v:,.4g}" for k, v in a.indicators.items())
    e.add_field(name="Indicators", value=f"```{ind}```", inline=True)
    comps = "\n".join(
        f"{c.name}: {c.points:g}/{c.max_points:g} ({c.detail})" for c in a.scan.components
    )
    e.add_field(name=f"Score {a.scan.score:.0f}/100", value=comps or "-", inline=False)
    if a.signals:
        sig = "\n".join(
            f"{'🔔' if n in a.firing else '·'} {n}: {v:+.0f}"
            + (f" ({since} bars)" if since is not None else "")
            for n, (v, since) in a.signals.items()
        )
        e.add_field(name="Strategies (signal, bars since it turned)", value=sig, inline=False)
    if a.iv_rank is not None:
        e.add_field(name="IV rank", value=a.iv_rank.text, inline=False)
    if image:
        e.set_image(url=f"attachment://{image}")
    return shown(e)


def positions_embed(p: PositionsView) -> discord.Embed:
    tag, _, colour = banner(p.mode_label)
    lines = [f"{'sym':<6}{'qty':>7}{'avg':>10}{'last':>10}{'P&L':>11}{'%':>7}"]
    for x in p.positions:
        lines.append(
            f"{x.symbol:<6}{x.quantity:>7}{x.avg_price:>10.2f}{x.price:>10.2f}"
            f"{x.unrealized_pnl:>11,.2f}{x.unrealized_pct:>+7.2f}"
        )
    body = "```\n" + "\n".join(lines) + "\n```" if p.positions else "No open positions."
    if p.options:
        opts = "```\n" + "\n".join(option_position_lines(p)) + "\n```"
        body = opts if not p.positions else body + "\n" + opts
    e = discord.Embed(title=f"{tag} · positions", description=clip(body, 3900), colour=colour)
    if greeks := greeks_lines(p.greeks):
        e.add_field(name="Greeks", value=clip("\n".join(greeks), 1000), inline=False)
    e.add_field(name="Cash", value=_money(p.cash))
    e.add_field(name="Equity", value=_money(p.equity))
    e.add_field(name="Buying power", value=_money(p.buying_power))
    return shown(e)


def orders_embed(o: OrdersView) -> discord.Embed:
    tag, _, colour = banner(o.mode_label)
    lines = [
        f"{'client id':<14}{'sym':<6}{'side':<5}{'role':<7}{'qty':>6}{'fill':>6} "
        f"{'price':<11}{'tif':<4}{'avg':>9} status"
    ]
    for x in o.orders[:30]:
        lines.append(
            f"{x.client_order_id:<14}{x.symbol:<6}{x.side:<5}{x.role:<7}{x.quantity:>6}"
            f"{x.filled_quantity:>6} {order_price(x):<11}{x.time_in_force:<4}"
            f"{x.avg_fill_price or 0:>9.2f} {x.status}"
        )
    body = "```\n" + "\n".join(lines) + "\n```" if o.orders else "No orders."
    return shown(discord.Embed(title=f"{tag} · orders", description=body, colour=colour))


def pnl_embed(p: PnlView) -> discord.Embed:
    tag, _, colour = banner(p.mode_label)
    e = discord.Embed(title=f"{tag} · P&L ({p.period.value})", colour=colour)
    e.add_field(name="Realised", value=_money(p.realized))
    e.add_field(name="Unrealised", value=_money(p.unrealized))
    e.add_field(name="Total", value=_money(p.total))
    e.add_field(name="Commissions", value=_money(p.commissions))
    wr = f"{p.win_rate:.0%}" if p.win_rate is not None else "-"
    e.add_field(name="Trades closed", value=f"{p.trades_closed} (win rate {wr})")
    chg = f" ({p.equity_change_pct:+.2f}%)" if p.equity_change_pct is not None else ""
    e.add_field(name="Equity", value=_money(p.equity) + chg)
    if p.since:
        e.set_footer(text=f"since {p.since:%Y-%m-%d %H:%M} UTC")
    return shown(e)


def status_embed(s: StatusView) -> discord.Embed:
    tag, note, colour = banner(s.mode_label)
    state = s.state.upper() if s.state in ("halted", "reducing") else s.state
    e = discord.Embed(title=f"{tag} · status", description=note, colour=colour)
    e.add_field(name="Desk", value=state + (f" ({s.reason})" if s.reason else ""))
    e.add_field(name="Broker", value=s.broker)
    e.add_field(name="Data", value=s.data)
    e.add_field(name="LLM", value=s.llm, inline=False)
    e.add_field(name="LLM spend", value=s.llm_spend, inline=False)
    breakers = "tripped: desk halted" if s.halted else "none tripped"
    e.add_field(name="Circuit breakers", value=breakers)
    e.add_field(name="Market", value="open" if s.market_open else "closed")
    e.add_field(name="Equity", value=_money(s.equity))
    e.add_field(
        name="Book",
        value=f"{s.pending} pending · {s.open_orders} open orders · {s.positions} positions",
        inline=False,
    )
    if greeks := greeks_lines(s.greeks):
        e.add_field(name="Greeks", value=clip("\n".join(greeks), 1000), inline=False)
    for n in s.notes[:3]:
        e.add_field(name="Note", value=n, inline=False)
    return shown(e)


def why_text(w: WhyView) -> str:
    """The full chain of events behind a proposal, one line each."""
    lines = []
    for ev in w.events:
        ctx = json.dumps(ev.context, default=str, separators=(",", ":"))
        lines.append(f"{ev.ts:%Y-%m-%d %H:%M:%S} {ev.type} by {ev.actor}: {ctx}")
    return "\n".join(lines)


def why_embed(w: WhyView) -> discord.Embed:
    e = card_embed(w.card)
    steps = "\n".join(f"`{ev.ts:%H:%M:%S}` **{ev.type}** · {ev.actor}" for ev in w.events[-20:])
    e.insert_field_at(
        0, name=f"Chain of events ({len(w.events)})", value=steps or "-", inline=False
    )
    meta = w.card.rationale_meta
    if meta:
        e.add_field(
            name="Rationale by",
            value=", ".join(f"{k}: {v}" for k, v in meta.items()),
            inline=False,
        )
    return shown(e)


def kill_embed(k: KillReport) -> discord.Embed:
    e = discord.Embed(title="🛑 Kill switch: desk HALTED", colour=0xE74C3C)
    e.add_field(name="Orders canceled", value=", ".join(k.canceled_orders) or "none", inline=False)
    e.add_field(
        name="Proposals expired", value=", ".join(k.expired_proposals) or "none", inline=False
    )
    if k.flattened:
        flat = "\n".join(f"{o.side} {o.quantity} {o.symbol}: {o.status}" for o in k.flatten_orders)
        e.add_field(name="Flatten orders", value=flat or "no positions", inline=False)
    elif k.open_positions:
        e.add_field(
            name="Still open",
            value=", ".join(k.open_positions) + " (use /kill flatten:True to close them)",
            inline=False,
        )
    e.set_footer(text="Only a person can /resume.")
    return shown(e)


def alert_embed(kind: str, text: str, mode_label: str) -> discord.Embed:
    tag, _, colour = banner(mode_label)
    icons = {
        "fill": "💰",
        "kill": "🛑",
        "expired": "⌛",
        "halted": "⛔",
        "brief": "🌅",
        "state": "🚦",
        "reconcile": "🧾",
        "rejected": "❌",
        "recovered": "🩹",
        "order": "📨",
    }
    red = kind in ("kill", "halted", "error", "reconcile", "rejected") or (
        kind == "state" and "HALTED" in text
    )
    return shown(
        discord.Embed(
            title=f"{icons.get(kind, '🔔')} {tag} · {kind}",
            description=text,
            colour=0xE74C3C if red else colour,
        )
    )


def sim_shock_embed(s: SimShockView) -> discord.Embed:
    """`/sim shock`: the move, the price before and after, labelled SIMULATED."""
    tag, note, colour = banner(s.mode)
    arrow = "📉" if s.pct < 0 else "📈"
    e = discord.Embed(
        title=f"{arrow} {tag} · {s.symbol} shocked {s.pct:+g}%",
        description="The simulated market moved now; every desk on this database sees it.",
        colour=colour,
    )
    e.set_author(name=f"{tag} MARKET SHOCK")
    e.add_field(name="Before", value=_px(s.before))
    e.add_field(name="After", value=_px(s.after))
    e.add_field(name="By", value=s.by)
    e.set_footer(text=f"{note} Recorded as a sim.shock event.")
    return shown(e)
