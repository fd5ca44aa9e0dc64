"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio) through the openai SDK.

The SDK is imported on first use. Typed answers come from a forced tool call; with one tool
and `structured=True` (OpenAI proper) a JSON-schema structured output is used instead.
"""

from __future__ import annotations

import json
from typing import Any

from agents.llm.providers.base import classify, import_sdk
from agents.llm.types import LLMTask, ProviderError, RawReply


class OpenAIProvider:
    def __init__(
        self,
        name: str,
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        structured: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self.structured = structured
        self._client: Any = None

    async def warm(self) -> Any:
        """The client, built once; the SDK import is shared with every other caller."""
        if self._client is None:
            openai = await import_sdk("openai")
            if self._client is not None:  # another caller built it while this one waited
                return self._client
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or "not-needed",
                base_url=self._base_url,
                max_retries=0,  # the chain retries (tenacity) and falls through
            )
        return self._client

    async def call(self, task: LLMTask, timeout: float) -> RawReply:
        client = await self.warm()
        messages = [
            {"role": "system", "content": task.system},
            {"role": "user", "content": task.user_message()},
        ]
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": task.max_output_tokens,
            "timeout": timeout,
        }
        single = task.tools[0] if len(task.tools) == 1 else None
        if single is not None and self.structured:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": single.name, "schema": single.json_schema()},
            }
        else:
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.json_schema(),
                    },
                }
                for t in task.tools
            ]
            kwargs["tool_choice"] = (
                {"type": "function", "function": {"name": single.name}} if single else "required"
            )
        try:
            resp = await client.chat.completions.create(**kwargs)
        except Exception as e:
            raise classify(e, self.name) from None
        return self._reply(resp, single.name if single and self.structured else None)

    def _reply(self, resp: Any, structured_tool: str | None) -> RawReply:
        try:
            usage = resp.usage
            tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
            tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
            message = resp.choices[0].message
        except (AttributeError, IndexError, TypeError) as e:
            raise ProviderError("malformed", f"{self.name}: reply without a message") from e
        model = str(getattr(resp, "model", "") or self.model)
        if structured_tool is not None and not message.tool_calls:
            return RawReply(
                structured_tool, _json_or_raw(message.content or ""), model, tokens_in, tokens_out
            )
        calls = message.tool_calls or []
        if not calls:
            raise ProviderError("invalid", f"{self.name}: answered in text, not with a tool")
        fn = calls[0].function
        return RawReply(fn.name, _json_or_raw(fn.arguments or ""), model, tokens_in, tokens_out)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _json_or_raw(text: str) -> dict[str, Any] | str:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text
    return value if isinstance(value, dict) else text
