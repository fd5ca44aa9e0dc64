"""Embeds for /chain and /ivrank: one expiry of a chain as a compact monospace table (our IV
and delta beside the quote, the contract nearest the asked delta marked), and an
underlying's IV rank and percentile. Numbers that do not exist show as "–", never 0."""

from __future__ import annotations

from datetime import date

import discord

from agents.chain_views import ChainView, ContractView, IVRankView
from bot.discord_app.embeds import banner, shown, when

NONE = "–"
NEAREST_MARK = "→"
TABLE_BUDGET = 3000  # characters of table in the description (limit 4096, embed 6000)
EXPIRIES_SHOWN = 9
NO_RANK = "IV rank: not enough history"
HEADER = f"  {'Strike':>8} T {'Bid':>7} {'Ask':>7} {'IV%':>5} {'Delta':>6} {'OI':>7}"
RANK_NOTE = (
    "IV rank: where today's IV sits between its 52-week low (0) and high (100). "
    "IV percentile: the share of those days with a lower IV."
)
BASIS = {
    "iv": "recorded 30-day ATM IV",
    "iv+hv_proxy": "recorded IV, older days filled with a historical-vol proxy",
    "hv_proxy": "a historical-vol proxy (no IV recorded yet)",
}


def _fmt(x: float | int | None, spec: str, width: int, scale: float = 1.0) -> str:
    s = NONE if x is None else format(x * scale if scale != 1.0 else x, spec)
    return s.rjust(width)


def _pct(x: float | None, digits: int = 1) -> str:
    return NONE if x is None else f"{x * 100:.{digits}f}%"


def side_text(side: str) -> str:
    return {"calls": "calls", "puts": "puts"}.get(side, "calls & puts")


def chain_row(c: ContractView) -> str:
    mark = NEAREST_MARK if c.nearest else " "
    return " ".join(
        (
            mark,
            _fmt(c.strike, ".2f", 8),
            "C" if c.type == "call" else "P",
            _fmt(c.bid, ".2f", 7),
            _fmt(c.ask, ".2f", 7),
            _fmt(c.iv, ".1f", 5, 100.0),
            _fmt(c.delta, ".3f", 6),
            _fmt(c.open_interest, "d", 7),
        )
    )


def _kept(view: ChainView, room: int) -> tuple[list[ContractView], int]:
    """The contracts that fit `room` rows: the marked ones first, then those nearest the
    spot; shown in the chain's order. Returns them and how many were left out."""
    cs = view.contracts
    if len(cs) <= room:
        return list(cs), 0

    def priority(i: int) -> tuple[bool, float]:
        return not cs[i].nearest, abs(cs[i].strike - view.spot)

    keep = set(sorted(range(len(cs)), key=priority)[: max(room, 0)])
    return [c for i, c in enumerate(cs) if i in keep], len(cs) - len(keep)


def chain_table(view: ChainView, budget: int = TABLE_BUDGET) -> str:
    """The monospace table (with its code fence); rows past `budget` characters are left
    out, nearest the money kept, with a "… N more" line."""
    if not view.contracts:
        return "```\nno contracts to show\n```"
    row_len = len(HEADER) + 1
    room = max(1, (budget - 8 - row_len - 48) // row_len)
    rows, more = _kept(view, room)
    lines = [HEADER, *(chain_row(c) for c in rows)]
    if more:
        lines.append(f"… {more} more not shown (ask fewer strikes)")
    return "```\n" + "\n".join(lines) + "\n```"


def _expiries(view: ChainView) -> str:
    """The listed expiries around the one shown (it in bold)."""
    listed = sorted(view.expiries)
    if not listed:
        return NONE
    i = listed.index(view.expiry) if view.expiry in listed else 0
    lo = max(0, min(i - EXPIRIES_SHOWN // 2, len(listed) - EXPIRIES_SHOWN))
    near = listed[lo : lo + EXPIRIES_SHOWN]

    def one(d: date) -> str:
        return f"**{d.isoformat()}**" if d == view.expiry else d.isoformat()

    text = " · ".join(one(d) for d in near)
    return f"{text} ({len(listed)} listed; pick one with expiry:)"


def chain_embed(view: ChainView, mode_label: str, image: str | None = None) -> discord.Embed:
    """One expiry of the chain: spot, ATM IV, IV rank, the table, the assumptions."""
    tag, _, colour = banner(mode_label)
    data = " (SIMULATED data)" if view.simulated and mode_label != "SIMULATED" else ""
    lines = [
        f"{tag} · source {view.source}{data} · quotes {when(view.as_of)}",
        f"Spot **{view.spot:,.2f}** · ATM IV **{_pct(view.atm_iv)}**",
        view.iv_rank.text if view.iv_rank is not None else NO_RANK,
    ]
    nearest = [c for c in view.contracts if c.nearest]
    if view.delta is not None:
        if nearest:
            shown_ = ", ".join(f"{c.symbol} (delta {_fmt(c.delta, '.3f', 0)})" for c in nearest)
            lines.append(f"`{NEAREST_MARK}` nearest {view.delta:.2f} delta: {shown_}")
        else:
            lines.append(f"No contract with a delta near {view.delta:.2f}.")
    if view.missing_quotes:
        lines.append(
            f"{view.missing_quotes} contract(s) without a two-sided quote: no mid, no IV ({NONE})."
        )
    head = "\n".join(lines)
    budget = min(TABLE_BUDGET, 4000 - len(head))
    e = discord.Embed(
        title=f"{view.symbol} {view.expiry.isoformat()} ({view.dte} DTE) {side_text(view.side)}",
        description=f"{head}\n{chain_table(view, budget)}",
        colour=colour,
    )
    e.add_field(name="Expiries", value=_expiries(view), inline=False)
    if view.venue_note:
        e.add_field(name="Venue IV", value=view.venue_note, inline=False)
    dividend = (
        f"dividend yield {_pct(view.dividend, 2)}"
        if view.dividend_known
        else "dividend unknown (0 assumed)"
    )
    e.set_footer(text=f"{view.note} Rate {_pct(view.rate, 2)}, {dividend}.")
    if image:
        e.set_image(url=f"attachment://{image}")
    return shown(e)


def ivrank_embed(view: IVRankView, mode_label: str) -> discord.Embed:
    """IV rank and percentile with the 52-week range and what the history is made of."""
    tag, _, colour = banner(mode_label)
    e = discord.Embed(title=f"{tag} · {view.symbol} IV rank", description=view.text, colour=colour)
    e.add_field(name="IV (30-day ATM)", value=f"`{_pct(view.iv)}`")
    e.add_field(name="IV rank", value=f"`{view.rank:.0f}`")
    e.add_field(name="IV percentile", value=f"`{view.percentile:.0f}`")
    e.add_field(name="52-week range", value=f"`{_pct(view.low)} – {_pct(view.high)}`")
    history = f"{view.days} days: {view.iv_days} of recorded IV"
    if view.proxy_days:
        history += f", {view.proxy_days} of historical-vol proxy"
    e.add_field(name="History", value=history)
    e.add_field(name="Basis", value=BASIS.get(view.basis, view.basis))
    e.set_footer(text=RANK_NOTE)
    return shown(e)


__all__ = ["NEAREST_MARK", "NO_RANK", "chain_embed", "chain_row", "chain_table", "ivrank_embed"]
