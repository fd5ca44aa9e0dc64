"""The one list of terminal commands: usage, a one-line summary and the detail (syntax,
options, examples). `/help`, `/help COMMAND`, the chat's "help" reply, Discord's
`/help command:` and README's command table (checked by a test) all come from here."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from services.order_syntax import USAGE as PROPOSE_USAGE
from services.signals import STRATEGIES

WIDTH = 80


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str
    detail: str = ""
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


PLAIN_LANGUAGE = (
    "Anything without a slash is plain language: 'should I buy NVDA?', 'buy 10 AAPL',\n"
    "'close my TSLA', 'pnl this week', 'alert me if NVDA drops below 110',\n"
    "'trail NVDA 5%', 'show me the AAPL option chain', 'IV rank of TSLA'.\n"
    "Proposals are only executed after /approve ID."
)

COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp(
        "scan",
        "/scan [SYMBOL ...]",
        "rank the watchlist (or the symbols given) and make a card per idea that passes risk",
        "Without symbols it scans the watchlist, or the default universe when the watchlist "
        "is empty. The table shows each symbol's score 0-100 with its breakdown, the day's "
        "change in % and the side the score favours (long or short).",
        ("/scan", "/scan NVDA AMD TSLA"),
    ),
    CommandHelp(
        "analyze",
        "/analyze SYMBOL",
        "indicators, score breakdown, which strategies fire, and the chart as a PNG file",
        "Proposes nothing. The candlestick chart (SMAs, Bollinger bands, volume, the signals "
        "marked) is written to SYMBOL-analysis.png in the working directory; its path is "
        "printed.",
        ("/analyze NVDA",),
    ),
    CommandHelp(
        "backtest",
        "/backtest SYMBOL STRATEGY [KEY=VALUE ...] [cash=N] [commission=RATE]",
        "a strategy over the symbol's daily history: the metrics and an equity chart PNG",
        f"Strategies: {', '.join(STRATEGIES)}. KEY=VALUE sets a strategy parameter; cash= "
        "is the starting cash (default 10,000); commission= a fraction per side (0.002 is "
        "0.2%). Signals at the close, fills at the next open. The equity chart is written to "
        "SYMBOL-backtest-STRATEGY.png in the working directory.",
        ("/backtest AAPL sma_cross fast=10 slow=30", "/backtest NVDA breakout cash=50000"),
    ),
    CommandHelp(
        "greeks",
        "/greeks call|put spot=S strike=K days=D|years=T|expiry=DATE vol=V|price=P "
        "[rate=R] [dividend=Q]",
        "price and greeks of an option (Black-Scholes-Merton), or its implied vol from a price",
        "Numbers are decimals: vol=0.25 is 25% (25% is also understood). Give one of days= "
        "(calendar days), years= or expiry=YYYY-MM-DD (16:00 ET that day), and vol= to price "
        "the option or price= (per share) to solve its implied vol and give the greeks there. "
        "rate= defaults to COTRADER_RISK_FREE_RATE, else 0.04; dividend= (a continuous yield) "
        "to 0. Theta is per calendar day, vega and rho per 1 percentage point. American "
        "single-stock options are priced as European. Same as `cotrader greeks`.",
        (
            "/greeks call spot=100 strike=105 days=30 vol=0.25",
            "/greeks put spot=100 strike=95 expiry=2027-01-15 price=3.2 rate=0.045",
            "/greeks call spot=42 strike=40 years=0.5 vol=0.2 rate=0.1",
        ),
    ),
    CommandHelp(
        "chain",
        "/chain SYMBOL [DTE|EXPIRY] [calls|puts] [delta=0.2] [strikes=N]",
        "an option chain: bid, ask, our IV and greeks, open interest, IV rank",
        "One expiry: the one nearest DTE calendar days (30 when not given) or on EXPIRY "
        "(YYYY-MM-DD). calls or puts shows one side. Without delta= it shows the N strikes "
        "(default 10) nearest the money; with it, N strikes around the contract whose "
        "|delta| is nearest (0.2 and 20 both mean 0.20), marked with an arrow. IV is solved "
        "from each mid; a contract without a two-sided quote has none. Rate: "
        "COTRADER_RISK_FREE_RATE; dividend: the symbol's yield where known. The simulator's "
        "chains are SIMULATED.",
        ("/chain AAPL", "/chain NVDA 45 puts delta=0.2", "/chain SPY 2027-01-15 calls strikes=20"),
    ),
    CommandHelp(
        "news",
        "/news [SYMBOL ...] [HOURS]",
        "headlines with their sentiment and a digest per symbol",
        "Without symbols: the held and watchlist ones. HOURS (default 24) is how far back. "
        "Each headline has its source, time, symbols, link and sentiment (offline scorer: "
        "VADER with a finance word list). A material headline on a holding (strong "
        "sentiment, or words like halt, guidance, lawsuit, downgrade, recall) is also "
        "posted as one alert with the position's P&L. Headlines are data: nothing in them "
        "is ever followed. The simulator's headlines are SIMULATED stories about its own "
        "price moves.",
        ("/news", "/news TSLA NVDA 48"),
    ),
    CommandHelp(
        "report",
        "/report [day|week|month|YYYY-MM-DD]",
        "a performance report with charts: markdown, trades and equity CSVs, two PNGs",
        "Default: today. Equity at start and end against SPY, realised and unrealised P&L "
        "(the same figures as /pnl), trades opened and closed, win rate, profit factor, "
        "expectancy, Sharpe, Sortino, max drawdown, exposure, fees and slippage, P&L by "
        "strategy and by symbol, risk events, cards approved and passed on (and what the "
        "ideas you passed on would have done), LLM calls and cost. Files go to "
        "COTRADER_HOME/reports. Daily, weekly and monthly reports are also posted after "
        "the close.",
        ("/report", "/report week", "/report 2026-12-01"),
    ),
    CommandHelp(
        "suggestions",
        "/suggestions [apply|dismiss ID]",
        "setting changes the weekly trade reviews suggest, with their evidence",
        "Every closed trade is reviewed (entry, execution, volatility, risk, timing, "
        "greeks). With at least 30 closed trades, the week's review suggests settings whose "
        "trades lost. Nothing changes until an approver applies one; /settings revert "
        "undoes it.",
        ("/suggestions", "/suggestions apply s-1a2b3c4d", "/suggestions dismiss s-1a2b3c4d"),
        ("suggestion",),
    ),
    CommandHelp(
        "settings",
        "/settings [revert ID]",
        "the settings changed at run time, and undoing one",
        "Lists each change (who, when, from which suggestion) and whether it is in force. "
        "revert ID (approvers) puts the setting back to its value before that change.",
        ("/settings", "/settings revert 3"),
    ),
    CommandHelp(
        "ivrank",
        "/ivrank SYMBOL",
        "IV rank and IV percentile of the 30-day at-the-money implied vol over a year",
        "Rank: where today's IV sits between its 52-week low and high (0-100). Percentile: the "
        "share of the past year's days with a lower IV. Venues other than the simulator "
        "build the series from an after-close record; until a year exists, missing days use "
        "a 20-day historical-vol proxy, and the answer says how many days of each.",
        ("/ivrank TSLA",),
        ("iv",),
    ),
    CommandHelp(
        "propose",
        PROPOSE_USAGE,
        "your own trade: a card with entry, stop, target, size and risk, to approve",
        "Parts in any order after the symbol. Side: buy, sell, or short (the word short is "
        "needed to open a short while you hold the symbol; a sell that reduces a long is an "
        "exit). Size: shares (10), dollars ($5000) or a percentage (5% of equity; of the "
        "position for an exit); without one, risk sizes it. limit= makes a limit order "
        "(else market); stop= and target= replace the ATR stop and target; tif= is day "
        "(default), gtc (good till cancelled) or opg (at the next open). A part that "
        "cannot be honoured is refused by name and nothing is created. Options: name a "
        "strategy (bull_put_spread, cash_secured_put or iron_condor; short forms bps, csp, "
        "ic) and optionally the contracts: the card is the best position the seed rules "
        "find on the chain (legs, credit, max profit and loss, breakevens, POP, greeks), "
        "sent as one multi-leg limit order.",
        (
            "/propose AAPL buy 10",
            "/propose SPY bull_put_spread 2",
            "/propose NVDA $5000 limit=120.50",
            "/propose TSLA short 5% stop=260 target=210 tif=gtc",
        ),
    ),
    CommandHelp(
        "close",
        "/close SYMBOL [QTY | PCT%]",
        "an exit proposal for all (or part) of a position; it needs its own approval",
        "Without a size it closes the whole position. QTY is shares; PCT% a percentage of "
        "the position (rounded down to whole shares; the card's notes say how). The card "
        "shows the P&L the exit realises at its price.",
        ("/close NVDA", "/close NVDA 50%", "/close AAPL 5"),
    ),
    CommandHelp(
        "movestop",
        "/movestop SYMBOL PRICE|trail PCT%|trail N atr|breakeven",
        "a card that moves an open position's stop; approved, it replaces the working stop",
        "PRICE is the new stop; trail PCT% follows the price at that distance, trail N atr at "
        "N times the ATR; breakeven moves it to the entry price. It is a proposal "
        "like any other: nothing changes at the venue until someone approves it.",
        (
            "/movestop NVDA 110",
            "/movestop NVDA trail 5%",
            "/movestop NVDA trail 2 atr",
            "/movestop NVDA breakeven",
        ),
    ),
    CommandHelp(
        "approve",
        "/approve ID",
        "approve a proposal: re-checked on a fresh quote, then executed once",
        "Refused when the proposal expired, the price drifted past tolerance or a limit now "
        "fails. A proposal executes at most once, whatever the retries.",
        ("/approve p-abcd2345",),
    ),
    CommandHelp(
        "reject", "/reject ID [reason]", "reject a proposal", "", ("/reject p-abcd2345 too late",)
    ),
    CommandHelp(
        "pending",
        "/pending",
        "one line per card waiting for a decision, then approvals still being executed",
        "Approvals whose order the venue has not acknowledged yet show their state, e.g. "
        "'sent, outcome unknown, checking'. /card ID shows a whole card.",
    ),
    CommandHelp(
        "card",
        "/card ID",
        "the whole card: every part of the order, every risk check, the full rationale",
        "Also the venue's dry run (buying power and fees) when the broker gives one, and "
        "the order once approved.",
        ("/card p-abcd2345",),
    ),
    CommandHelp(
        "cancel",
        "/cancel ORDER_ID",
        "cancel a working order (its client id, as /orders open shows it); approvers only",
        "Reduces risk, so it needs no proposal; it is recorded. Cancelling an entry's "
        "protective stop or target leaves the position without it at the venue.",
        ("/cancel p-abcd2345", "/cancel p-abcd2345-sl"),
    ),
    CommandHelp(
        "positions",
        "/positions",
        "positions marked to market, cash, equity, buying power",
        aliases=("pos",),
    ),
    CommandHelp(
        "orders",
        "/orders [open]",
        "recent (or only working) orders, with protective stop/target orders, prices and tif",
        "Each row: client id (what /cancel takes), symbol, side, role (main, stop or "
        "target), quantity, type and price, time in force, filled, average price, status.",
        ("/orders", "/orders open"),
    ),
    CommandHelp(
        "pnl",
        "/pnl [day|week|month|all]",
        "realised and unrealised P&L for the period",
        "",
        ("/pnl week",),
    ),
    CommandHelp(
        "risk",
        "/risk [SYMBOL [buy|sell] QTY]",
        "the desk's risk state, every limit's use, 1-day VaR, correlation; a what-if",
        "With a symbol and quantity, the book's VaR before and after that trade.",
        ("/risk", "/risk NVDA buy 20"),
    ),
    CommandHelp(
        "monitor",
        "/monitor",
        "run a monitor pass now: every open position's exit rules and every armed alert",
        "The desk runs the same pass by itself every COTRADER_MONITOR_INTERVAL_S seconds "
        "(default 60) while the session is open. Exit "
        "rules: a stop or target reached with no working order at the venue, trailing stop, "
        "stop to breakeven after +1R, time stop, end of day for day trades, large adverse "
        "and profit moves. What it finds is an alert, or an exit or stop card to approve: "
        "never an order, and one open card per position and reason.",
    ),
    CommandHelp(
        "alert",
        "/alert SYMBOL above|below PRICE | SYMBOL move PCT | position SYMBOL loss|gain PCT "
        "| remove ID | rearm ID",
        "a price, day-move or position alert; it fires once, then rearm ID sets it again",
        "above|below PRICE fires when the price crosses it; move PCT when the day's move "
        "reaches PCT% either way; position SYMBOL loss|gain PCT when the open position's "
        "P&L reaches PCT% of its entry. Numbers may be written 5%, +5 or $200. Alerts are "
        "stored (they survive restarts) and only tell: none trades.",
        (
            "/alert AAPL above 200",
            "/alert TSLA move 5%",
            "/alert position NVDA loss 5",
            "/alert remove A3",
            "/alert rearm A3",
        ),
    ),
    CommandHelp(
        "alerts",
        "/alerts",
        "every alert: id, symbol, condition, level, armed or fired",
    ),
    CommandHelp(
        "reconcile",
        "/reconcile",
        "compare the broker's positions and orders with our books (changes nothing)",
    ),
    CommandHelp(
        "pause",
        "/pause [reason]",
        "stop new entry proposals (exits still allowed); the reason is recorded",
    ),
    CommandHelp(
        "resume",
        "/resume [rebase] [reason]",
        "restart new entry proposals after a pause, a halt or the kill switch",
        "Lands in ACTIVE, or REDUCING while a soft limit holds; refused while the daily loss "
        "limit holds. rebase accepts a drawdown: the peak restarts from today's equity.",
        ("/resume", "/resume rebase new month"),
    ),
    CommandHelp(
        "kill",
        "/kill [flatten | confirm NONCE | cancel NONCE]",
        "cancel working orders, expire pending proposals, halt; flatten asks to confirm",
        "/kill acts at once. /kill flatten also closes every position at market, so it "
        "first says what will happen and gives a code: /kill confirm NONCE within the "
        "window goes ahead, /kill cancel NONCE drops it. Only /resume restarts the desk.",
        ("/kill", "/kill flatten", "/kill confirm k3ipr1xa"),
    ),
    CommandHelp(
        "watchlist",
        "/watchlist [list | add SYMBOL ... | remove SYMBOL ...]",
        "what /scan looks at by default",
        "add is all or nothing: one unknown symbol and none is added.",
        ("/watchlist add AMD NVDA", "/watchlist remove AMD"),
        ("watch",),
    ),
    CommandHelp(
        "why",
        "/why ID",
        "the proposal and its whole recorded chain: signal, risk, rationale, clicks, fills",
        "",
        ("/why p-abcd2345",),
    ),
    CommandHelp("status", "/status", "mode, broker, data, LLM, desk state, counts, equity"),
    CommandHelp(
        "sim",
        "/sim shock SYMBOL PCT",
        "move the simulated market for a symbol now, e.g. -15 or +8; approvers only",
        "The simulator only (refused on a real broker's prices). PCT is between -90 and "
        "+500, not zero. The shock is stored: every process on this database prices the "
        "moved market, from now on, cumulatively; it is recorded as a sim.shock event. The "
        "reply shows the price before and after, labelled SIMULATED.",
        ("/sim shock NVDA -15", "/sim shock AAPL +8"),
    ),
    CommandHelp(
        "help",
        "/help [COMMAND]",
        "this list; with a command, its syntax, options and examples",
        "",
        ("/help", "/help propose"),
        ("h", "?"),
    ),
    CommandHelp("quit", "/quit", "leave the chat", aliases=("exit", "q")),
)

BY_NAME: dict[str, CommandHelp] = {key: c for c in COMMANDS for key in (c.name, *c.aliases)}


def usage(name: str) -> str:
    return BY_NAME[name].usage


def find(name: str) -> CommandHelp | None:
    """A command by name or alias ('/propose', 'Propose' and 'pos' work)."""
    return BY_NAME.get(name.strip().lstrip("/").lower())


def help_text() -> str:
    """Every command with its one line, then how plain language works."""
    lines = ["Commands (/help COMMAND for the syntax, options and examples):"]
    for c in COMMANDS:
        lines.append(textwrap.fill(f"{c.usage} — {c.summary}", WIDTH, subsequent_indent="    "))
    return "\n".join([*lines, PLAIN_LANGUAGE])


def command_text(c: CommandHelp) -> str:
    """One command in full: usage, summary, detail, aliases, examples."""
    lines = [
        textwrap.fill(f"Usage: {c.usage}", WIDTH, subsequent_indent="       "),
        textwrap.fill(f"{c.summary[:1].upper()}{c.summary[1:]}.", WIDTH),
    ]
    if c.detail:
        lines.append(textwrap.fill(c.detail, WIDTH))
    if c.aliases:
        lines.append("Also: " + ", ".join(f"/{a}" for a in c.aliases))
    if c.examples:
        lines.append("Examples:")
        lines += [f"  {e}" for e in c.examples]
    return "\n".join(lines)
