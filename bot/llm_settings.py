"""LLM settings (a base of Settings): providers, models, endpoints, budgets and timing."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from agents.llm.chain import ChainConfig
from agents.llm.providers.pricing import parse_prices

ProviderName = Literal["openai", "anthropic", "compat"]
MAX_PRICE = 10_000.0  # USD per million tokens; more is a typo


def vendor(name: str) -> AliasChoices:
    """A setting read under a vendor's own variable name (OPENAI_API_KEY, not COTRADER_…)."""
    return AliasChoices(name, name.lower())


class LLMSettings(BaseSettings):
    # which providers, in order; "auto" = every one with a key (openai, anthropic, compat)
    llm_providers: str = "auto"
    openai_model: str = "gpt-4o-mini"
    anthropic_model: str = "claude-haiku-4-5"
    # the SDKs' own endpoint variables, honoured (also from .env)
    openai_base_url: str | None = Field(None, validation_alias=vendor("OPENAI_BASE_URL"))
    anthropic_base_url: str | None = Field(None, validation_alias=vendor("ANTHROPIC_BASE_URL"))
    # any OpenAI-compatible server (Ollama, vLLM, LM Studio)
    llm_compat_base_url: str | None = None
    llm_compat_model: str = "llama3.1"
    llm_compat_api_key: SecretStr | None = None
    # timing
    llm_timeout_s: float = Field(20.0, gt=0, le=300)
    llm_retries: int = Field(2, ge=0, le=6)
    llm_breaker_failures: int = Field(3, ge=1, le=100)
    llm_breaker_cooldown_s: float = Field(120.0, ge=0, le=86_400)
    llm_rationale_wait_s: float = Field(3.0, ge=0, le=60)
    llm_reply_budget_s: float = Field(1.1, gt=0, le=60)
    # budgets (per provider per trading day, and per request)
    llm_daily_cost_usd: float = Field(2.0, ge=0, le=10_000)
    llm_daily_tokens: int = Field(1_000_000, ge=0, le=1_000_000_000_000)
    llm_request_max_cost_usd: float = Field(0.05, ge=0, le=100)
    llm_prices: str = ""  # "model=IN/OUT,..." USD per million tokens, overrides the table

    @field_validator("llm_providers")
    @classmethod
    def _providers(cls, v: str) -> str:
        names = [p.strip().lower() for p in v.split(",") if p.strip()]
        if names == ["auto"] or names == ["offline"]:
            return names[0]
        bad = [n for n in names if n not in ("openai", "anthropic", "compat")]
        if bad or not names:
            raise ValueError(
                f"unknown provider {bad[0] if bad else '(empty)'!r}: use auto, offline, or a "
                "comma-separated list of openai, anthropic, compat"
            )
        return ",".join(names)

    @field_validator("llm_prices")
    @classmethod
    def _prices(cls, v: str) -> str:
        for model, pair in parse_prices(v).items():
            if not all(math.isfinite(p) and p <= MAX_PRICE for p in pair):
                raise ValueError(
                    f"price of {model!r} must be a finite number of USD per 1M tokens, "
                    f"at most {MAX_PRICE:,.0f}"
                )
        return v

    @field_validator("openai_base_url", "anthropic_base_url", "llm_compat_base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.strip().rstrip("/")
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v

    def chain_config(self) -> ChainConfig:
        return ChainConfig(
            timeout_s=self.llm_timeout_s,
            attempts=self.llm_retries + 1,
            breaker_failures=self.llm_breaker_failures,
            breaker_cooldown_s=self.llm_breaker_cooldown_s,
            daily_cost_usd=self.llm_daily_cost_usd,
            daily_tokens=self.llm_daily_tokens,
            request_max_cost_usd=self.llm_request_max_cost_usd,
            prices=parse_prices(self.llm_prices) or None,
        )
