"""The provider chain: cache, budgets, retries, circuit breakers, validation, offline last.

Providers are tried in order. A provider is skipped while its breaker is open or its budget
is spent; a call is retried (tenacity, with backoff or the server's retry-after) only on
429/5xx/timeouts; a reply that is not one valid call of a declared tool counts as a failure
and moves down the chain, and so does any exception a provider raises (a broken SDK import,
a bug): that provider failed, never the caller's request. The offline answer always comes
last, so every task is answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loguru import logger
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from agents.llm.providers.base import Provider, unexpected
from agents.llm.providers.pricing import cost_usd
from agents.llm.types import LLMResult, LLMTask, ProviderError, RawReply
from models.llm_tables import LLMCall
from models.store import Store
from services.market_calendar import ET

Fallback = Callable[[], tuple[str, BaseModel]]
Accept = Callable[[str, BaseModel], str | None]
# told once per provider and trading day when its budget is spent: (provider, USD, tokens)
BudgetFn = Callable[[str, float, int], Awaitable[None]]


@dataclass(frozen=True)
class ChainConfig:
    timeout_s: float = 20.0
    attempts: int = 3  # per provider, counting the first
    max_retry_wait_s: float = 8.0  # a longer retry-after moves on to the next provider
    breaker_failures: int = 3
    breaker_cooldown_s: float = 120.0
    daily_cost_usd: float = 2.0  # per provider
    daily_tokens: int = 1_000_000  # per provider
    request_max_cost_usd: float = 0.05
    cache_ttl_s: float = 86_400.0
    prices: dict[str, tuple[float, float]] | None = None


class Breaker:
    """Opens after `failures` failures in a row; half-opens after `cooldown` seconds."""

    def __init__(self, failures: int, cooldown: float, now: Callable[[], float]) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.now = now
        self.count = 0
        self.opened_at: float | None = None

    def available(self) -> bool:
        if self.opened_at is None:
            return True
        return self.now() - self.opened_at >= self.cooldown  # half-open: one try

    def success(self) -> None:
        self.count = 0
        self.opened_at = None

    def failure(self) -> bool:
        """Record a failure; True when this one opened the breaker."""
        self.count += 1
        if self.count >= self.failures:
            was_closed = self.opened_at is None
            self.opened_at = self.now()
            return was_closed
        return False


class LLMChain:
    def __init__(
        self,
        providers: Sequence[Provider],
        store: Store,
        cfg: ChainConfig | None = None,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.providers = list(providers)
        self.store = store
        self.cfg = cfg or ChainConfig()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.breakers = {
            p.name: Breaker(self.cfg.breaker_failures, self.cfg.breaker_cooldown_s, monotonic)
            for p in self.providers
        }
        self._sleep = sleep
        self._alerts: list[BudgetFn] = []
        self._budget_told: set[tuple[str, str]] = set()
        self._warm_task: asyncio.Task[None] | None = None

    @property
    def online(self) -> bool:
        """True when at least one real provider is configured."""
        return bool(self.providers)

    def describe(self) -> str:
        if not self.providers:
            return "offline (no LLM key configured)"
        names = " → ".join(f"{p.name}:{p.model}" for p in self.providers)
        return f"{names} → offline"

    def health(self) -> list[str]:
        """One line per provider whose circuit breaker is open."""
        out = []
        for p in self.providers:
            b = self.breakers[p.name]
            if b.opened_at is not None and not b.available():
                left = b.cooldown - (b.now() - b.opened_at)
                out.append(f"LLM {p.name}: circuit open (repeated failures); retry in {left:.0f}s")
        return out

    def subscribe(self, fn: BudgetFn) -> None:
        self._alerts.append(fn)

    async def warm(self) -> None:
        """Import the SDKs in the background so the first call does not pay for it.

        A provider that cannot start is logged; its calls will fail and fall through.
        """
        await asyncio.gather(*(self._warm_one(p) for p in self.providers))

    @staticmethod
    async def _warm_one(provider: Provider) -> None:
        try:
            await provider.warm()
        except Exception as e:
            logger.warning(
                "LLM provider {} could not start: {}: {}", provider.name, type(e).__name__, e
            )

    def warm_in_background(self) -> None:
        """Start `warm` on the running loop (start-up does not wait for it)."""
        if self.providers and self._warm_task is None:
            self._warm_task = asyncio.get_running_loop().create_task(self.warm())

    async def aclose(self) -> None:
        """Stop a warm-up still running, then close every provider (one failing stops none)."""
        warming, self._warm_task = self._warm_task, None
        if warming is not None and not warming.done():
            warming.cancel()
            await asyncio.wait([warming])
        for p in self.providers:
            try:
                await p.aclose()
            except Exception as e:
                logger.warning("LLM provider {} did not close: {}", p.name, type(e).__name__)

    # ------------------------------------------------------------------ run
    async def run(
        self, task: LLMTask, fallback: Fallback, accept: Accept | None = None
    ) -> LLMResult:
        """One validated answer: from the cache, the first provider that succeeds, or offline."""
        digest = task.request_hash()
        hit = self._from_cache(task, digest, accept)
        if hit is not None:
            return hit
        failures: list[str] = []
        for provider in self.providers:
            reason = await self._unavailable(provider, task)
            if reason:
                failures.append(f"skipped: {reason}")
                continue
            t0 = time.perf_counter()
            try:
                raw = await self._call_with_retries(provider, task)
                tool, value = self._validate(task, raw)
                if accept is not None and (problem := accept(tool, value)):
                    raise ProviderError("invalid", f"{provider.name}: {problem}")
            except Exception as exc:  # whatever a provider raises, that provider failed
                e = exc if isinstance(exc, ProviderError) else self._unexpected(provider, exc)
                latency = (time.perf_counter() - t0) * 1000
                failures.append(f"{e.kind}: {e}")
                self._record(task, digest, provider, None, e, latency)
                if self.breakers[provider.name].failure():
                    logger.warning("LLM provider {} skipped for a while: {}", provider.name, e)
                continue
            latency = (time.perf_counter() - t0) * 1000
            self.breakers[provider.name].success()
            cost = self._record(task, digest, provider, (raw, tool, value), None, latency)
            return LLMResult(
                tool=tool,
                value=value,
                provider=provider.name,
                model=raw.model,
                prompt_version=task.prompt_version,
                input_tokens=raw.input_tokens,
                output_tokens=raw.output_tokens,
                cost_usd=cost,
                latency_ms=latency,
                failures=tuple(failures),
            )
        tool, value = fallback()
        return LLMResult(
            tool=tool,
            value=value,
            provider="offline",
            model="rules",
            prompt_version=task.prompt_version,
            failures=tuple(failures),
        )

    async def _call_with_retries(self, provider: Provider, task: LLMTask) -> RawReply:
        cfg = self.cfg

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            after = getattr(exc, "retry_after", None)
            if isinstance(after, int | float) and after >= 0:
                return float(after)
            return min(cfg.max_retry_wait_s, 0.25 * 2 ** (state.attempt_number - 1))

        def retryable(exc: BaseException) -> bool:
            if not isinstance(exc, ProviderError) or not exc.retryable:
                return False
            return exc.retry_after is None or exc.retry_after <= cfg.max_retry_wait_s

        kwargs = {"sleep": self._sleep} if self._sleep else {}
        retrying = AsyncRetrying(
            stop=stop_after_attempt(cfg.attempts),
            wait=wait,
            retry=retry_if_exception(retryable),
            reraise=True,
            **kwargs,
        )
        async for attempt in retrying:
            with attempt:
                try:
                    return await provider.call(task, cfg.timeout_s)
                except ProviderError:
                    raise
                except Exception as e:
                    raise self._unexpected(provider, e) from e
        raise ProviderError("server", f"{provider.name}: no attempt made")  # pragma: no cover

    @staticmethod
    def _unexpected(provider: Provider, exc: BaseException) -> ProviderError:
        """Log a provider's unclassified exception (with its traceback) as its failure."""
        logger.opt(exception=exc).warning(
            "LLM provider {} failed unexpectedly: {}", provider.name, type(exc).__name__
        )
        return unexpected(exc, provider.name)

    @staticmethod
    def _validate(task: LLMTask, raw: RawReply) -> tuple[str, BaseModel]:
        if not isinstance(raw, RawReply):
            raise ProviderError("malformed", f"returned {type(raw).__name__}, not a reply")
        spec = task.tool(raw.tool)
        if spec is None:
            raise ProviderError("invalid", f"called an undeclared tool {raw.tool[:40]!r}")
        if not isinstance(raw.arguments, dict):
            raise ProviderError("invalid", f"{raw.tool}: arguments are not a JSON object")
        try:
            return raw.tool, spec.model.model_validate(raw.arguments)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ())) or raw.tool
            raise ProviderError("invalid", f"{raw.tool}: {where}: {first.get('msg')}") from None

    # ------------------------------------------------------------------ budgets
    def _day(self) -> str:
        return self.clock().astimezone(ET).date().isoformat()

    def usage(self) -> dict[str, object]:
        """Calls, tokens and cost today (ET trading day) and in total, for /status."""
        return self.store.llm.summary(self._day())

    async def _unavailable(self, provider: Provider, task: LLMTask) -> str | None:
        if not self.breakers[provider.name].available():
            return f"{provider.name}: skipped (circuit open after repeated failures)"
        cfg = self.cfg
        est_in = (len(task.system) + len(task.user_message())) // 4
        local = self._local(provider)
        est = cost_usd(provider.model, est_in, task.max_output_tokens, cfg.prices, local)
        if est > cfg.request_max_cost_usd:
            return f"{provider.name}: request would cost ~${est:.4f}, over the per-request cap"
        spent, tokens = self.store.llm.day_usage(self._day(), provider.name)
        if spent + est <= cfg.daily_cost_usd and tokens + est_in <= cfg.daily_tokens:
            return None
        key = (provider.name, self._day())
        if key not in self._budget_told:
            self._budget_told.add(key)
            logger.warning(
                "LLM budget reached at {} today (${:.2f}, {} tokens)", provider.name, spent, tokens
            )
            for fn in self._alerts:
                try:
                    await fn(provider.name, spent, tokens)
                except Exception as e:  # a listener must never break the chain
                    logger.warning("budget listener failed: {}", e)
        return f"{provider.name}: daily budget spent"

    @staticmethod
    def _local(provider: Provider) -> bool:
        return provider.name not in ("openai", "anthropic")

    # ------------------------------------------------------------------ record and cache
    def _record(
        self,
        task: LLMTask,
        digest: str,
        provider: Provider,
        ok: tuple[RawReply, str, BaseModel] | None,
        error: ProviderError | None,
        latency_ms: float,
    ) -> float:
        """Write the usage/audit row of one call; returns its cost."""
        raw = ok[0] if ok else None
        tokens_in = raw.input_tokens if raw else 0
        tokens_out = raw.output_tokens if raw else 0
        model = raw.model if raw else provider.model
        cost = cost_usd(model, tokens_in, tokens_out, self.cfg.prices, self._local(provider))
        response = {"tool": ok[1], "arguments": ok[2].model_dump(mode="json")} if ok else {}
        self.store.llm.record(
            LLMCall(
                ts=self.clock(),
                day=self._day(),
                provider=provider.name,
                model=model,
                purpose=task.purpose,
                prompt_version=task.prompt_version,
                request_hash=digest,
                ok=ok is not None,
                error=f"{error.kind}: {error}"[:300] if error else "",
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=cost,
                latency_ms=round(latency_ms, 2),
                proposal_id=task.proposal_id,
                response=response,
            )
        )
        return cost

    def _from_cache(self, task: LLMTask, digest: str, accept: Accept | None) -> LLMResult | None:
        since = self.clock() - timedelta(seconds=self.cfg.cache_ttl_s)
        row = self.store.llm.cached(digest, since)
        if row is None:
            return None
        spec = task.tool(str(row.response.get("tool", "")))
        if spec is None:
            return None
        try:
            value = spec.model.model_validate(row.response.get("arguments", {}))
        except ValidationError:
            return None
        if accept is not None and accept(spec.name, value):
            return None
        self.store.llm.record(
            LLMCall(
                ts=self.clock(),
                day=self._day(),
                provider=row.provider,
                model=row.model,
                purpose=task.purpose,
                prompt_version=task.prompt_version,
                request_hash=digest,
                ok=True,
                cached=True,
                proposal_id=task.proposal_id,
                response={"from_call": row.id},
            )
        )
        return LLMResult(
            tool=spec.name,
            value=value,
            provider=row.provider,
            model=row.model,
            prompt_version=task.prompt_version,
            cached=True,
        )
