"""The desk's risk state, like a trading desk's: ACTIVE -> REDUCING -> HALTED.

Escalation is automatic and sticky: `next_state` only ever moves up (ACTIVE to REDUCING to
HALTED); only a person's `resume` moves down, and it refuses while a limit that stops trading
still holds. What a resume accepts and what it refuses:

- daily loss at its hard limit: refused; it clears by itself at the next trading day, when
  the day's starting equity is taken again.
- drawdown at its limit: refused, unless the person re-bases the peak (`rebase_peak=True`):
  they accept the loss and the limit is measured from today's equity from then on.
- consecutive broker rejections: a resume acknowledges them (the count restarts from the
  resume; the caller counts only later orders).
- portfolio heat over its cap (soft): refused back to ACTIVE; reduce or tighten stops first.
  A resume out of HALTED while only a soft limit holds lands in REDUCING.
- a halt with no limit behind it (the kill switch): resumes to ACTIVE.

A resume from ACTIVE (a person's own pause) follows the same rules, so it can land in
REDUCING directly rather than a moment later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.config import RiskLimits
from models.domain import RiskState
from services.risk.errors import ResumeRefused
from services.risk.view import DeskState, PortfolioView


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """What the state machine looks at (the caller gathers it; nothing here reads a clock)."""

    equity: float
    day_start_equity: float
    peak_equity: float
    heat_pct: float
    consecutive_rejections: int = 0

    @classmethod
    def of(cls, pf: PortfolioView, limits: RiskLimits) -> RiskFacts:
        return cls(
            equity=pf.equity,
            day_start_equity=pf.day_start_equity,
            peak_equity=pf.peak,
            heat_pct=pf.heat_pct(limits.no_stop_risk_pct),
            consecutive_rejections=pf.consecutive_rejections,
        )

    @property
    def day_pnl_pct(self) -> float:
        if self.day_start_equity <= 0:
            return 0.0
        return (self.equity / self.day_start_equity - 1) * 100

    @property
    def drawdown_pct(self) -> float:
        peak = max(self.peak_equity, self.equity)
        return (1 - self.equity / peak) * 100 if peak > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Breach:
    """One limit crossed: `hard` ones halt, soft ones start REDUCING."""

    name: str  # daily_loss | drawdown | broker_rejections | portfolio_heat
    hard: bool
    value: float
    limit: float
    detail: str


@dataclass(frozen=True, slots=True)
class Transition:
    """The state after looking at the facts (or after a resume), and why."""

    previous: RiskState
    state: RiskState
    reason: str
    breaches: tuple[Breach, ...] = ()

    @property
    def changed(self) -> bool:
        return self.state is not self.previous

    @property
    def expire_pending(self) -> bool:
        """True when the desk just halted: pending proposals must be expired."""
        return self.changed and self.state is RiskState.HALTED


def breaches(facts: RiskFacts, limits: RiskLimits) -> tuple[Breach, ...]:
    """Every hard and soft limit the facts cross, hard ones first."""
    soft_at = limits.soft_limit_fraction
    day, dd = facts.day_pnl_pct, facts.drawdown_pct
    day_lim, dd_lim = limits.daily_loss_limit_pct, limits.max_drawdown_pct
    hard: list[Breach] = []
    soft: list[Breach] = []
    if day <= -day_lim:
        hard.append(
            Breach("daily_loss", True, day, -day_lim, f"daily loss {day:+.2f}% hit -{day_lim:g}%")
        )
    elif day <= -day_lim * soft_at:
        soft.append(
            Breach(
                "daily_loss",
                False,
                day,
                -day_lim * soft_at,
                f"daily loss {day:+.2f}% reached {soft_at:.0%} of the -{day_lim:g}% limit",
            )
        )
    if dd >= dd_lim:
        hard.append(
            Breach("drawdown", True, dd, dd_lim, f"drawdown {dd:.2f}% hit the {dd_lim:g}% limit")
        )
    elif dd >= dd_lim * soft_at:
        soft.append(
            Breach(
                "drawdown",
                False,
                dd,
                dd_lim * soft_at,
                f"drawdown {dd:.2f}% reached {soft_at:.0%} of the {dd_lim:g}% limit",
            )
        )
    n, n_lim = facts.consecutive_rejections, limits.max_consecutive_rejections
    if n >= n_lim:
        hard.append(Breach("broker_rejections", True, n, n_lim, f"{n} broker rejections in a row"))
    if facts.heat_pct > limits.max_heat_pct:
        soft.append(
            Breach(
                "portfolio_heat",
                False,
                facts.heat_pct,
                limits.max_heat_pct,
                f"heat {facts.heat_pct:.2f}% over the {limits.max_heat_pct:g}% cap",
            )
        )
    return (*hard, *soft)


def next_state(
    current: RiskState, facts: RiskFacts, limits: RiskLimits, reason: str = ""
) -> Transition:
    """Escalate when the facts cross a limit; never de-escalate (that takes a person).

    `reason` is the current state's recorded reason, kept while the state holds.
    """
    found = breaches(facts, limits)
    hard = [b for b in found if b.hard]
    if current is RiskState.HALTED:
        return Transition(current, current, reason, found)
    if hard:
        return Transition(current, RiskState.HALTED, "; ".join(b.detail for b in hard), found)
    if current is RiskState.REDUCING:
        return Transition(current, current, reason, found)
    if found:
        return Transition(current, RiskState.REDUCING, "; ".join(b.detail for b in found), found)
    return Transition(current, current, reason, found)


def acknowledged(facts: RiskFacts, rebase_peak: bool) -> RiskFacts:
    """The facts as a resume sees them: rejections acknowledged, the peak re-based if asked."""
    return replace(
        facts,
        consecutive_rejections=0,
        peak_equity=facts.equity if rebase_peak else facts.peak_equity,
    )


def resume(
    current: RiskState,
    facts: RiskFacts,
    limits: RiskLimits,
    *,
    by: str,
    why: str = "",
    rebase_peak: bool = False,
) -> Transition:
    """A person's resume: the lowest state the facts allow, or ResumeRefused saying what
    still holds and how it clears (see the module docstring for the policy)."""
    said = why.strip() or "no reason given"
    found = breaches(acknowledged(facts, rebase_peak), limits)
    hard = [b for b in found if b.hard]
    if hard:
        raise ResumeRefused("Resume refused: " + _explain(hard, facts))
    if found and current is RiskState.REDUCING:
        raise ResumeRefused("Still REDUCING: " + _explain(found, facts))
    if found:
        return Transition(
            current,
            RiskState.REDUCING,
            f"resumed by {by} ({said}) into REDUCING: " + "; ".join(b.detail for b in found),
            found,
        )
    return Transition(current, RiskState.ACTIVE, f"resumed by {by}: {said}", found)


def _explain(held: list[Breach], facts: RiskFacts) -> str:
    """What still holds and how each clears."""
    parts = []
    for b in held:
        if b.name == "daily_loss":
            parts.append(f"{b.detail}; it clears at the next trading day")
        elif b.name == "drawdown":
            parts.append(
                f"{b.detail} (peak ${facts.peak_equity:,.2f}, equity ${facts.equity:,.2f}); "
                "resume with rebase_peak to accept the loss and measure from today's equity"
            )
        elif b.name == "portfolio_heat":
            parts.append(f"{b.detail}; reduce positions or tighten stops first")
        else:
            parts.append(b.detail)
    return "; ".join(parts) + ". Nothing was changed."


def desk_state(state: RiskState, reason: str = "", paused: bool = False) -> DeskState:
    """The DeskState the checks take, from the engine's state and a person's pause."""
    return DeskState(
        paused=paused,
        halted=state is RiskState.HALTED,
        reducing=state is RiskState.REDUCING,
        reason=reason,
    )
