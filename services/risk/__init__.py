"""The risk engine (pure): checks with their numbers, sizing, the desk's risk state, VaR.

Modules: view (the book as the engine sees it), measure (one candidate's numbers), checks,
sizing, states (ACTIVE / REDUCING / HALTED), var (VaR, correlation, what-if), report (for
/risk), errors.
"""

from services.risk.checks import (
    CHECK_NAMES,
    drift_pct,
    evaluate,
    evaluate_entry,
    evaluate_exit,
    is_reducing,
)
from services.risk.errors import ResumeRefused, RiskInputError
from services.risk.measure import Candidate
from services.risk.report import LimitUse, RiskReport, risk_report
from services.risk.sizing import (
    Sizing,
    StrategyStats,
    fixed_fraction_size,
    kelly_fraction,
    kelly_risk_pct,
    size_entry,
)
from services.risk.states import (
    Breach,
    RiskFacts,
    RiskState,
    Transition,
    breaches,
    desk_state,
    next_state,
    resume,
)
from services.risk.var import (
    PortfolioRisk,
    VarFigure,
    WhatIf,
    historical_var,
    parametric_var,
    portfolio_risk,
    returns_from_closes,
    what_if,
)
from services.risk.view import DeskState, Holding, PortfolioView

__all__ = [
    "CHECK_NAMES",
    "Breach",
    "Candidate",
    "DeskState",
    "Holding",
    "LimitUse",
    "PortfolioRisk",
    "PortfolioView",
    "ResumeRefused",
    "RiskFacts",
    "RiskInputError",
    "RiskReport",
    "RiskState",
    "Sizing",
    "StrategyStats",
    "Transition",
    "VarFigure",
    "WhatIf",
    "breaches",
    "desk_state",
    "drift_pct",
    "evaluate",
    "evaluate_entry",
    "evaluate_exit",
    "fixed_fraction_size",
    "historical_var",
    "is_reducing",
    "kelly_fraction",
    "kelly_risk_pct",
    "next_state",
    "parametric_var",
    "portfolio_risk",
    "resume",
    "returns_from_closes",
    "risk_report",
    "size_entry",
    "what_if",
]
