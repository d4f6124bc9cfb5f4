"""The contract of an answer-generating backend (embedded llama.cpp, OpenAI-compatible server)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol


@dataclass
class Prompt:
    """A fixed ``system`` part (cacheable across questions) and the per-question ``user`` part."""

    system: str
    user: str
    # For base (completion) models: the whole text to complete, used instead of system/user.
    completion: str | None = None


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float
    total_s: float
    finish_reason: str = "stop"


class LLM(Protocol):
    name: str

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float,
        on_token: Callable[[str], None] | None = None,
    ) -> Generation: ...

    def count_tokens(self, text: str) -> int: ...

    def close(self) -> None: ...
