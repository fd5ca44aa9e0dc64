"""USD per million tokens (input, output) for cost accounting; unknown models cost the default.

Prices change: override with COTRADER_LLM_PRICES ("model=in/out,model=in/out").
"""

from __future__ import annotations

DEFAULT_PRICE = (1.0, 4.0)
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
    "claude-sonnet-4-5": (3.00, 15.00),
}


def parse_prices(spec: str) -> dict[str, tuple[float, float]]:
    """'gpt-x=0.1/0.4,other=1/2' -> {model: (in, out)}; raises ValueError naming the bad part."""
    out: dict[str, tuple[float, float]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            model, prices = part.split("=", 1)
            p_in, p_out = (float(x) for x in prices.split("/", 1))
        except ValueError:
            raise ValueError(f"bad price {part!r}: expected model=IN/OUT in USD per 1M") from None
        if p_in < 0 or p_out < 0:
            raise ValueError(f"bad price {part!r}: negative")
        out[model.strip()] = (p_in, p_out)
    return out


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    table: dict[str, tuple[float, float]] | None = None,
    local: bool = False,
) -> float:
    """Cost of one call; a local (OpenAI-compatible) server costs nothing unless priced."""
    prices = {**PRICES, **(table or {})}
    if model in prices:
        p_in, p_out = prices[model]
    elif local:
        return 0.0
    else:
        p_in, p_out = DEFAULT_PRICE
    return (input_tokens * p_in + output_tokens * p_out) / 1_000_000
