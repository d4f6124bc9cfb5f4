"""Generations kept on disk by prompt digest, for evaluation only (``settings.generation_cache``).

Calibrating the refusal decision and the checks that run *after* the model (issue 16) means
re-scoring the same model outputs many times; at ≈ 100 prompt tokens/s on two cores, asking the
84 questions of the domain set again costs ≈ 40 min. With a fixed seed and the same prompt, the
embedded model gives the same text, so a generation is stored once under the digest of (model,
prompt, max_tokens, temperature, seed) and replayed. A replayed ``Generation`` carries the times
measured when it was generated (``ttft_s``, ``total_s``): a replay never reports a faster model.

Files: ``cache_dir/generations/<sha256>.json`` (one small JSON object each). Never used by
``clos ask`` or the web app: only ``clos eval`` and ``bench/`` turn it on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from clos.llm.protocol import LLM, Generation, Prompt

__all__ = ["ReplayLLM"]


class ReplayLLM:
    """``inner`` (an LLM, loaded on first miss by ``load``) behind the on-disk replay cache."""

    def __init__(self, load: Callable[[], LLM], folder: Path | str, *, name: str,
                 seed: int | None) -> None:
        self._load, self._inner = load, None
        self.folder, self.name, self.seed = Path(folder), name, seed
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def inner(self) -> LLM:
        if self._inner is None:
            self._inner = self._load()
        return self._inner

    @property
    def spec(self):  # the prompt template is chosen from the model's spec (compose)
        return getattr(self.inner, "spec", None)

    def _path(self, prompt: Prompt, max_tokens: int, temperature: float) -> Path:
        key = json.dumps([self.name, prompt.system, prompt.user, prompt.completion, max_tokens,
                          temperature, self.seed], ensure_ascii=False)
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def generate(self, prompt: Prompt, *, max_tokens: int, temperature: float,
                 on_token: Callable[[str], None] | None = None) -> Generation:
        """The stored generation for this prompt, else the inner model's (then stored)."""
        path = self._path(prompt, max_tokens, temperature)
        if path.exists():
            gen = Generation(**json.loads(path.read_text(encoding="utf-8")))
            if on_token is not None and gen.text:
                on_token(gen.text)
            return gen
        gen = self.inner.generate(prompt, max_tokens=max_tokens, temperature=temperature,
                                  on_token=on_token)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(gen), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return gen

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
