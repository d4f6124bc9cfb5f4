"""Answers from any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, llama.cpp's server,
Ollama, the State's Albert API), streamed token by token.

The transport, timeouts, retries and French errors are ``clos.llm.servers``'s (httpx + tenacity).
A request is retried only until its first token: once text reached the user, a failure ends the
answer with a GenerationError rather than a second, different, answer.
"""

from __future__ import annotations

import json
import time
from typing import Callable

from clos.errors import GenerationError, ModelError
from clos.llm import servers
from clos.llm.protocol import Generation, Prompt


class OpenAIHttpLLM:
    """Chat model ``model`` served at ``base_url`` (".../v1"). ``timeout``: seconds allowed
    between two pieces of the response; ``retries``: extra attempts before the first token."""

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 120,
                 retries: int = 2, stop: tuple[str, ...] = ()) -> None:
        self.base_url = servers.check_url(base_url, "de modèle")
        if timeout <= 0 or retries < 0:
            raise GenerationError("Le délai doit être positif et le nombre d'essais au moins 0.")
        self.name = model
        self.timeout, self.retries, self.stop = timeout, retries, tuple(stop)
        self._client = servers.make_client(self.base_url, api_key=api_key, timeout=timeout)
        # What the last request sent, for logs and for the tests that check what left the machine.
        self.last_request: dict | None = None

    def count_tokens(self, text: str) -> int:
        # The server owns the tokenizer; ~3.6 characters per token is close for French text.
        return max(1, round(len(text) / 3.6))

    def _body(self, prompt: Prompt, max_tokens: int, temperature: float) -> dict:
        if prompt.completion is not None:
            messages = [{"role": "user", "content": prompt.completion}]
        else:
            messages = [{"role": "system", "content": prompt.system},
                        {"role": "user", "content": prompt.user}]
        body = {"model": self.name, "stream": True, "max_tokens": max_tokens,
                "temperature": temperature, "stream_options": {"include_usage": True},
                "messages": messages}
        if self.stop:
            body["stop"] = list(self.stop)
        return body

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float,
        on_token: Callable[[str], None] | None = None,
    ) -> Generation:
        """Stream the answer; GenerationError (French) when the server is down, slow or wrong."""
        body = self._body(prompt, max_tokens, temperature)
        self.last_request = body
        start = time.perf_counter()
        out = {"pieces": [], "usage": {}, "finish": "stop", "ttft": 0.0}

        def attempt() -> None:
            h = servers.httpx()
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    response.raise_for_status()
                try:
                    self._read_events(response, out, start, on_token)
                except h.HTTPError as exc:
                    if not out["pieces"]:
                        raise  # nothing shown yet: another attempt is safe
                    raise GenerationError(
                        f"Le serveur de modèle {self.base_url} s'est interrompu au milieu de la "
                        f"réponse : {servers.server_error(exc, what='de modèle', url=self.base_url, timeout=self.timeout)}"
                    ) from exc

        try:
            servers.with_retries(attempt, retries=self.retries, what="de modèle",
                                 url=self.base_url, timeout=self.timeout)
        except GenerationError:
            raise
        except ModelError as exc:
            raise GenerationError(exc.message, detail=exc.detail) from exc
        text = "".join(out["pieces"])
        total = time.perf_counter() - start
        usage = out["usage"]
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens")
                              or self.count_tokens(json.dumps(body["messages"], ensure_ascii=False))),
            completion_tokens=int(usage.get("completion_tokens") or self.count_tokens(text)),
            ttft_s=out["ttft"] or total, total_s=total, finish_reason=out["finish"],
        )

    def _read_events(self, response, out: dict, start: float, on_token) -> None:
        """Server-sent events: ``data: {json}`` lines until ``data: [DONE]``."""
        for line in response.iter_lines():
            line = line.strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                event = json.loads(data)
            except ValueError as exc:
                raise GenerationError(f"Réponse illisible du serveur de modèle {self.base_url} : "
                                      f"{data[:200]!r}") from exc
            if event.get("error"):
                raise GenerationError(f"Le serveur de modèle {self.base_url} signale une erreur : "
                                      f"{event['error']}")
            out["usage"] = event.get("usage") or out["usage"]
            for choice in event.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    out["ttft"] = out["ttft"] or time.perf_counter() - start
                    out["pieces"].append(piece)
                    if on_token:
                        on_token(piece)
                out["finish"] = choice.get("finish_reason") or out["finish"]

    def close(self) -> None:
        self._client.close()
