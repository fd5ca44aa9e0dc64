"""What the monitor hands back to front ends: alerts, a pass's findings. Plain values."""

from __future__ import annotations

from datetime import datetime

from agents.results import View

CONDITION_TEXT = {
    "above": "above {v}",
    "below": "below {v}",
    "move": "moves {v}% on the day",
    "loss": "position loses {v}%",
    "gain": "position gains {v}%",
}


def _num(v: float) -> str:
    return f"{v:,.2f}" if v >= 1 else f"{v:g}"


class AlertView(View):
    """One price or position alert: `level` is the price (above/below) or the percent
    (move, loss, gain). `status`: armed, fired or removed."""

    id: str
    symbol: str
    condition: str
    level: float
    status: str
    created_by: str
    created_at: datetime
    fired_at: datetime | None = None
    observed: float | None = None  # the price, move % or P&L % it fired at
    reason: str = ""  # why it fired, in words

    @property
    def text(self) -> str:
        """'AAPL above 200.00', 'NVDA position loses 5%'."""
        v = _num(self.level) if self.condition in ("above", "below") else f"{self.level:g}"
        return f"{self.symbol} " + CONDITION_TEXT[self.condition].format(v=v)


class AlertsView(View):
    """Every alert that is armed or fired (removed ones are gone), in the order set."""

    alerts: tuple[AlertView, ...]
    limit: int  # COTRADER_MAX_ALERTS

    @property
    def armed(self) -> int:
        return sum(a.status == "armed" for a in self.alerts)


class Finding(View):
    """One thing a monitor pass found: an exit rule that fired (`rule` as in
    services/exit_rules: stop_hit, target_hit, trailing_stop, ...) or an alert (`rule` is
    "alert", `alert_id` set). `action`: exit (an exit card), stop_move (a stop card), alert
    (nothing to do but tell). `proposal_id`: the card it raised, if any; `note`: why no card
    (e.g. one is already open for this position and reason)."""

    rule: str
    action: str
    symbol: str
    price: float
    level: float | None = None
    pnl_pct: float | None = None
    r_multiple: float | None = None
    days_held: float | None = None
    reason: str
    quantity: int | None = None
    new_stop: float | None = None
    alert_id: str | None = None
    proposal_id: str | None = None
    note: str = ""


class MonitorView(View):
    """One monitor pass: how much it checked and what it found."""

    mode_label: str
    at: datetime
    positions: int  # open positions checked
    alerts: int  # armed alerts checked
    priced: int  # symbols with a price this pass
    findings: tuple[Finding, ...]
    ms: float  # how long the pass took

    @property
    def summary(self) -> str:
        head = (
            f"[{self.mode_label}] Checked {self.positions} position"
            f"{'s' if self.positions != 1 else ''} and {self.alerts} alert"
            f"{'s' if self.alerts != 1 else ''}"
        )
        if not self.findings:
            return head + ": nothing to act on."
        return head + f": {len(self.findings)} finding{'s' if len(self.findings) != 1 else ''}."
