"""The offline analyst: a rationale written from the proposal's facts by a versioned template.

It states only numbers it was handed, so it always passes the grounding check that the LLM
analyst (a later issue) must pass. It is also the fallback when an LLM is slow or wrong.
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from models.domain import Side, TradeIdea

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
TEMPLATE = "rationale_offline.v1"


class Rationale(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    provider: str
    model: str
    prompt_version: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    fallback_reason: str = ""  # why an LLM's rationale was not used, when one was tried

    def meta(self) -> dict[str, object]:
        return self.model_dump(exclude={"text"})


@lru_cache(maxsize=8)
def load_template(name: str) -> str:
    """A prompt template from prompts/, without its '#' comment header."""
    raw = (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8")
    return "\n".join(line for line in raw.splitlines() if not line.startswith("#")).strip()


def write_offline(
    idea: TradeIdea,
    quantity: int,
    risk_amount: float,
    risk_pct: float,
    mode_label: str,
    kind: str = "entry",
) -> Rationale:
    """Fill the template from the idea and the risk decision."""
    t0 = time.perf_counter()
    if kind == "stop":
        return Rationale(
            text=_stop_text(idea, quantity, mode_label),
            provider="offline",
            model="template",
            prompt_version=TEMPLATE,
            latency_ms=round((time.perf_counter() - t0) * 1000, 3),
        )
    if kind == "exit":
        action = "Close: " + ("sell" if idea.side is Side.SELL else "buy back")
    else:
        action = "Buy" if idea.side is Side.BUY else "Sell short"
    above = "below" if idea.side is Side.BUY else "above"
    text = load_template(TEMPLATE).format(
        symbol=idea.symbol,
        action=action,
        quantity=quantity,
        entry=f"{idea.entry:.2f}",
        stop=f"{idea.stop:.2f}",
        target=f"{idea.target:.2f}",
        strategy_line=idea.summary or idea.strategy,
        score=f"{idea.score:.0f}",
        risk_amount=f"{risk_amount:,.2f}",
        risk_pct=f"{risk_pct:.2f}",
        reward_risk=f"{idea.reward_risk:.2f}",
        invalidation=f"a close {above} the stop at {idea.stop:.2f} ends the idea.",
        risks=(
            "a gap through the stop can lose more than planned; "
            "trend signals lag and whipsaw in sideways markets."
        ),
        mode_label=mode_label,
    )
    return Rationale(
        text=text,
        provider="offline",
        model="template",
        prompt_version=TEMPLATE,
        latency_ms=round((time.perf_counter() - t0) * 1000, 3),
    )


def _stop_text(idea: TradeIdea, quantity: int, mode_label: str) -> str:
    """A stop-move card's rationale: the old and new level and what a hit would do."""
    f = idea.facts
    old, avg = f.get("old_stop"), f.get("avg_price")
    was = f"{old:.2f}" if isinstance(old, int | float) else "none"
    sign = 1 if idea.side is Side.SELL else -1
    lines = [
        f"Move the {idea.symbol} stop from {was} to {idea.stop:.2f} for the {quantity:,} "
        f"shares held: {idea.summary}.",
    ]
    if isinstance(avg, int | float):
        locked = sign * (idea.stop - avg) * quantity
        word = "locks in" if locked >= 0 else "limits the loss to"
        lines.append(
            f"If it is hit, the position closes near {idea.stop:.2f}, which {word} "
            f"{abs(locked):,.2f} against the {avg:.2f} average entry (gaps can fill worse)."
        )
    lines.append(f"[{mode_label}]")
    return " ".join(lines)
