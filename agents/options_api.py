"""The orchestrator's options methods (a mixin: the orchestrator is the one API): chains,
the smile, IV rank and the after-close IV record."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from agents.chain_views import ChainView, IVRankView, SmileView
from agents.errors import BadInput
from agents.events import OptionSettled
from agents.option_book import OptionBook
from agents.option_closes import closing_orders
from agents.option_expiry import OptionExpiryAgent
from agents.option_proposals import OptionProposals
from agents.option_recheck import recheck_option
from agents.results import Card, PositionsView
from models.config import OptionsConfig
from models.domain import Actor

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

MAX_STRIKES = 60
MAX_DTE = 1500
_DAYS = re.compile(r"(\d{1,4})\s*(?:d|days?|dte)?", re.IGNORECASE)


def _shown(raw: object) -> str:
    text = str(raw).strip()
    return repr(text if len(text) <= 20 else text[:20] + "…")


def delta_arg(raw: float | str) -> float:
    """A delta as typed, as a decimal: 0.2 as is, 20 or 20% as 0.20 (percent from 1 up to
    100), a put's -0.2 as 0.2 (chains match |delta|). BadInput outside (0, 1) after that."""
    text = str(raw).strip().rstrip("%").strip()
    try:
        value = abs(float(text))
    except ValueError:
        raise BadInput(f"delta must be a number like 0.2 or 20, not {_shown(raw)}.") from None
    if 1 <= value < 100:
        value /= 100
    if not 0 < value < 1:
        raise BadInput(
            f"delta must be between 0 and 1 (0.2 or 20 both mean 0.20), not {_shown(raw)}."
        )
    return value


def expiry_arg(raw: str) -> tuple[int | None, date | None]:
    """(days, date) from what was typed: "30" (or "30d", "30dte") is the expiry nearest 30
    days away, "2027-01-15" that date. BadInput otherwise."""
    text = raw.strip()
    if m := _DAYS.fullmatch(text):
        days = int(m.group(1))
        if days > MAX_DTE:
            raise BadInput(f"Days to expiry must be between 0 and {MAX_DTE}, not {days}.")
        return days, None
    try:
        return None, date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            f"expiry must be days to expiry like 30 or a date like 2027-01-15, not {_shown(raw)}."
        ) from None


class OptionsApi:
    """Mixed into Orchestrator (its `options` ChainAgent); `_setup_options` is called from
    its constructor."""

    def _setup_options(self: Orchestrator, cfg: OptionsConfig) -> None:
        """The option strategy desk: the book, the cards, the click's re-check, the kill
        switch's closes, and expiry on the desk loop."""
        self.options_cfg = cfg
        self.option_book = OptionBook(self.store, self.options)
        self.option_ideas = OptionProposals(
            self.options, self.option_book, self.proposals, self.risk, self.broker, cfg
        )
        self.approvals.option_recheck = partial(recheck_option, self.option_ideas)
        self.controls.option_closes = partial(closing_orders, self.option_book, self.options)
        self.option_expiry = OptionExpiryAgent(
            self.store, self.broker, self.execution, self.mode, self.clock, self.publish
        )
        self.loop.every("option_expiry", self.desk_cfg.monitor_interval_s, self.settle_options)

    async def book_greeks(self: Orchestrator) -> dict[str, dict[str, float]]:
        """The book's greeks (empty without option positions)."""
        return (await self.option_book.lines())[1]

    async def with_options(self: Orchestrator, view: PositionsView) -> PositionsView:
        """/positions with the option strategy positions and the book's greeks."""
        options, greeks = await self.option_book.lines()
        if not options:
            return view
        return view.model_copy(update={"options": tuple(options), "greeks": greeks})

    async def settle_options(
        self: Orchestrator, now: datetime | None = None
    ) -> list[OptionSettled]:
        """Book the venue's settlement of expired contracts (the simulator's), and tell each."""
        return await self.option_expiry.run(now)

    async def propose_option(
        self: Orchestrator,
        symbol: str,
        strategy: str,
        contracts: object = None,
        actor: Actor = Actor.system("scanner"),
        source: str = "command",
    ) -> Card:
        """A card for the best `strategy` position on `symbol` (bull_put_spread,
        cash_secured_put, iron_condor), `contracts` units or sized by risk."""
        n = self.check_quantity(contracts)
        if n is not None and n > self.options_cfg.max_contracts:
            raise BadInput(
                f"{n} contracts is more than the {self.options_cfg.max_contracts} allowed."
            )
        return await self.option_ideas.propose(symbol, strategy, n, actor, source)

    async def option_chain(
        self: Orchestrator,
        symbol: str,
        dte: int | None = None,
        expiry: date | None = None,
        side: str | None = None,
        delta: float | None = None,
        strikes: int = 10,
    ) -> ChainView:
        """/chain: one expiry of `symbol`'s chain with our IV and greeks. BadInput for a
        days count out of range, a delta outside (0, 1), an unknown side or strike count."""
        if dte is not None and not 0 <= dte <= MAX_DTE:
            raise BadInput(f"Days to expiry must be between 0 and {MAX_DTE}, not {dte}.")
        if delta is not None and not 0 < delta < 1:
            raise BadInput(f"delta must be between 0 and 1 (0.2 or 20), not {delta:g}.")
        if side not in (None, "calls", "puts"):
            raise BadInput(f"Show calls or puts, not {side!r}.")
        if not 1 <= strikes <= MAX_STRIKES:
            raise BadInput(f"strikes must be between 1 and {MAX_STRIKES}, not {strikes}.")
        return await self.options.chain_view(symbol, dte, expiry, side, delta, strikes)

    async def option_smile(self: Orchestrator, symbol: str) -> SmileView:
        """The IV smile of the expiries near 7, 30, 60 and 120 days (the /chain chart)."""
        return await self.options.smile(symbol)

    async def iv_rank(self: Orchestrator, symbol: str) -> IVRankView:
        """IV rank and percentile of `symbol`; DataUnavailable-free: BadInput when the chain
        has no usable quotes or no history exists."""
        view = await self.options.iv_rank(symbol)
        if view is None:
            sym = self.data.normalise(symbol)
            raise BadInput(
                f"No IV rank for {sym}: its chain has no usable two-sided quotes near the money "
                "or no past IV or prices exist."
            )
        return view

    async def record_iv(self: Orchestrator, actor: Actor) -> int:
        """Record today's 30-day ATM IV of the watched, held and universe symbols."""
        held = [p.symbol for p in (await self.positions()).positions]
        universe = [i.symbol for i in self.market.universe()]
        symbols = list(dict.fromkeys([*self.watchlist(), *held, *universe]))
        return await self.options.record_close(symbols, actor.id)
