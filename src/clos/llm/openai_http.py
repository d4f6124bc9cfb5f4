"""OpenAI-compatible chat server backend (vLLM, llama.cpp server, Ollama) for department servers.

Only the standard library: a department server sits on the local network, never on the internet.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Callable

from clos.errors import GenerationError
from clos.llm.protocol import Generation, Prompt


class OpenAIHttpLLM:
    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise GenerationError(f"Adresse de serveur invalide : « {base_url} ».")
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.api_key = api_key
        self.timeout = timeout

    def count_tokens(self, text: str) -> int:
        # The server owns the tokenizer; ~3.6 characters per token is close for French text.
        return max(1, round(len(text) / 3.6))

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float,
        on_token: Callable[[str], None] | None = None,
    ) -> Generation:
        body = {
            "model": self.name, "stream": True, "max_tokens": max_tokens,
            "temperature": temperature, "stream_options": {"include_usage": True},
            "messages": [{"role": "system", "content": prompt.system},
                         {"role": "user", "content": prompt.user}],
        }
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})},
        )
        start, ttft, pieces, usage, finish = time.perf_counter(), 0.0, [], {}, "stop"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                for raw in response:
                    line = raw.decode("utf-8").strip()
                    if not line.startswith("data:") or line == "data: [DONE]":
                        continue
                    event = json.loads(line[5:])
                    usage = event.get("usage") or usage
                    for choice in event.get("choices", []):
                        piece = (choice.get("delta") or {}).get("content") or ""
                        if piece:
                            ttft = ttft or time.perf_counter() - start
                            pieces.append(piece)
                            if on_token:
                                on_token(piece)
                        finish = choice.get("finish_reason") or finish
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GenerationError(
                f"Le serveur de modèle {self.base_url} ne répond pas correctement : {exc}"
            ) from exc
        text = "".join(pieces)
        total = time.perf_counter() - start
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or self.count_tokens(prompt.system + prompt.user)),
            completion_tokens=int(usage.get("completion_tokens") or self.count_tokens(text)),
            ttft_s=ttft or total, total_s=total, finish_reason=finish,
        )

    def close(self) -> None:
        pass
