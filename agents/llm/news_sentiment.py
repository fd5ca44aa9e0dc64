"""A headline's sentiment from the LLM: the headline and summary go in as data (inside the
delimiters, never instructions); the answer is a typed {score in [-1, 1], label, why}. It is
refused when `why` states a number the headline does not have, when the label contradicts
the score, or when it quotes a secret or our instructions; then the offline scorer's stands.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agents.llm.chain import LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.offline_writer import load_template
from agents.llm.types import LLMTask, ToolSpec
from models.news import Headline, Sentiment
from services.rationale_check import only_known_numbers, stated_numbers
from services.sentiment import label_for, score

PROMPT = "news_sentiment.v1"


class HeadlineTone(BaseModel):
    """What the model must fill in (also the JSON schema it is given)."""

    score: float = Field(ge=-1, le=1, description="-1 plainly bad ... 1 plainly good")
    label: Literal["negative", "neutral", "positive"]
    why: str = Field(default="", max_length=200)


TOOL = ToolSpec("score_headline", "Score one headline's sentiment.", HeadlineTone)


class NewsSentiment:
    """Scores headlines with the LLM chain when it is online, else (and on refusal) offline."""

    def __init__(self, chain: LLMChain, guard: ReplyGuard | None = None) -> None:
        self.chain = chain
        self.guard = guard or ReplyGuard()
        self._system = load_template(PROMPT)
        self.guard.add_prompt(self._system)

    async def score(self, h: Headline) -> Sentiment:
        offline = score(h.headline, h.summary)
        if not self.chain.online:
            return offline
        known = [v for _, v in stated_numbers(f"{h.headline} {h.summary}")]

        def accept(_tool: str, value: BaseModel) -> str | None:
            assert isinstance(value, HeadlineTone)
            if label_for(value.score) != value.label and abs(value.score) >= 0.3:
                return f"label {value.label} contradicts score {value.score:+.2f}"
            if not only_known_numbers(value.why, known):
                return "why states a number the headline does not have"
            if self.guard.leaks(value.why):
                return "why quotes a secret or the instructions"
            return None

        def fallback() -> tuple[str, BaseModel]:
            return TOOL.name, HeadlineTone(score=offline.score, label=offline.label)  # type: ignore[arg-type]

        task = LLMTask(
            purpose="news_sentiment",
            prompt_version=PROMPT,
            system=self._system,
            data={"headline": h.headline, "summary": h.summary[:1000], "symbols": list(h.symbols)},
            tools=(TOOL,),
            max_output_tokens=120,
        )
        result = await self.chain.run(task, fallback, accept)
        if result.provider == "offline":
            return offline
        v = result.value
        assert isinstance(v, HeadlineTone)
        return Sentiment(score=v.score, label=v.label, why=self.guard.clean(v.why)[:300],
                         scorer=f"llm:{result.provider}")  # fmt: skip


__all__ = ["HeadlineTone", "NewsSentiment"]
