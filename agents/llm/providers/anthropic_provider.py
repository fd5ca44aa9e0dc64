"""Anthropic through the anthropic SDK (imported on first use): answers by tool use."""

from __future__ import annotations

from typing import Any

from agents.llm.providers.base import classify, import_sdk
from agents.llm.types import LLMTask, ProviderError, RawReply


class AnthropicProvider:
    def __init__(self, model: str, api_key: str | None, base_url: str | None = None) -> None:
        self.name = "anthropic"
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._client: Any = None

    async def warm(self) -> Any:
        """The client, built once; the SDK import is shared with every other caller."""
        if self._client is None:
            anthropic = await import_sdk("anthropic")
            if self._client is not None:  # another caller built it while this one waited
                return self._client
            self._client = anthropic.AsyncAnthropic(
                api_key=self._api_key, base_url=self._base_url, max_retries=0
            )
        return self._client

    async def call(self, task: LLMTask, timeout: float) -> RawReply:
        client = await self.warm()
        single = task.tools[0] if len(task.tools) == 1 else None
        tools = [
            {"name": t.name, "description": t.description, "input_schema": t.json_schema()}
            for t in task.tools
        ]
        try:
            resp = await client.messages.create(
                model=self.model,
                max_tokens=task.max_output_tokens,
                system=task.system,
                messages=[{"role": "user", "content": task.user_message()}],
                tools=tools,
                tool_choice={"type": "tool", "name": single.name} if single else {"type": "any"},
                timeout=timeout,
            )
        except Exception as e:
            raise classify(e, self.name) from None
        try:
            blocks = list(resp.content)
            tokens_in = int(resp.usage.input_tokens or 0)
            tokens_out = int(resp.usage.output_tokens or 0)
        except (AttributeError, TypeError) as e:
            raise ProviderError("malformed", "anthropic: reply without content") from e
        use = next((b for b in blocks if getattr(b, "type", "") == "tool_use"), None)
        if use is None:
            raise ProviderError("invalid", "anthropic: answered in text, not with a tool")
        args = use.input if isinstance(use.input, dict) else str(use.input)
        return RawReply(use.name, args, str(resp.model or self.model), tokens_in, tokens_out)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
