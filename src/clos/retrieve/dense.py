"""Dense retrieval with any GGUF embedding model through llama.cpp's embedding mode.

Off by default: with the models Clos ships (gemma3-270m, a base model; Qwen2.5-Coder 1.5B) the
vectors are neither good enough nor fast enough on a CPU (see ``bench/bench_eval.py --dense``).
A French-capable embedding GGUF given by path (``query_prefix``/``passage_prefix`` for E5-style
models) plugs in here unchanged, and ``HybridRetriever`` fuses it with the lexical ranking.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from clos.errors import ModelError, RetrievalError
from clos.types import Hit


def _numpy():
    try:
        import numpy
    except ImportError as exc:  # pragma: no cover - numpy comes with spaCy
        raise RetrievalError("La recherche dense demande numpy : pip install numpy") from exc
    return numpy


class LlamaEmbedder:
    """L2-normalised mean-pooled sentence vectors from a GGUF file; the model loads on first use."""

    def __init__(self, model_path: Path | str, *, n_ctx: int = 512, n_threads: int = 0,
                 query_prefix: str = "", passage_prefix: str = "", max_chars: int = 2000) -> None:
        self.path = Path(model_path)
        if n_ctx < 64 or max_chars < 1:
            raise ValueError("n_ctx must be at least 64 and max_chars positive")
        self.n_ctx, self.n_threads, self.max_chars = n_ctx, n_threads or os.cpu_count() or 1, max_chars
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._llm = None

    @property
    def llm(self):
        if self._llm is None:
            if not self.path.exists():
                raise ModelError(f"Modèle d'embeddings introuvable : {self.path}")
            try:
                from llama_cpp import LLAMA_POOLING_TYPE_MEAN, Llama
            except ImportError as exc:
                raise ModelError("llama-cpp-python n'est pas installé : lancez « make install ».") from exc
            try:
                from clos.llm.llamacpp import _quiet_stderr, _silence_llama_log

                _silence_llama_log()
                with _quiet_stderr():
                    self._llm = Llama(model_path=str(self.path), embedding=True, n_ctx=self.n_ctx,
                                      n_batch=self.n_ctx, n_ubatch=self.n_ctx,
                                      n_threads=self.n_threads, n_threads_batch=self.n_threads,
                                      pooling_type=LLAMA_POOLING_TYPE_MEAN, verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"Impossible de charger le modèle d'embeddings {self.path} : {exc}") from exc
        return self._llm

    def _embed(self, texts: Sequence[str], prefix: str):
        np = _numpy()
        if not texts:
            return np.zeros((0, 0), dtype="float32")
        try:
            # truncate=True cuts each text to the context; max_chars spares tokenising a book.
            vectors = self.llm.embed([prefix + t[: self.max_chars] for t in texts],
                                     normalize=False, truncate=True)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"Le calcul des embeddings a échoué : {exc}") from exc
        matrix = np.asarray(vectors, dtype="float32").reshape(len(texts), -1)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)

    def embed_passages(self, texts: Sequence[str]):
        return self._embed(texts, self.passage_prefix)

    def embed_query(self, text: str):
        return self._embed([text], self.query_prefix)[0]

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


class DenseIndex:
    """Chunk vectors in memory, saved to and loaded from one ``.npz`` file."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self._known: set[int] = set()
        self._rows: list = []
        self._matrix = None

    def __contains__(self, chunk_id: int) -> bool:
        return chunk_id in self._known

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, chunk_ids: Iterable[int], vectors) -> None:
        for cid, row in zip(chunk_ids, vectors):
            if int(cid) in self._known:
                continue
            self._known.add(int(cid))
            self.ids.append(int(cid))
            self._rows.append(row)
        self._matrix = None

    @property
    def matrix(self):
        np = _numpy()
        if self._matrix is None:
            self._matrix = np.vstack(self._rows) if self._rows else np.zeros((0, 1), "float32")
        return self._matrix

    def similarities(self, vector) -> dict[int, float]:
        """Cosine similarity of every indexed chunk to ``vector`` (rows are normalised)."""
        if not self.ids:
            return {}
        return dict(zip(self.ids, (self.matrix @ vector).tolist()))

    def save(self, path: Path | str) -> None:
        np = _numpy()
        np.savez(Path(path), ids=np.array(self.ids, dtype="int64"), vectors=self.matrix)

    @classmethod
    def load(cls, path: Path | str) -> DenseIndex:
        np = _numpy()
        data = np.load(Path(path))
        index = cls()
        index.add(data["ids"].tolist(), list(data["vectors"]))
        return index


class HybridRetriever:
    """The lexical retriever's pool re-ranked by reciprocal-rank fusion with dense similarity.

    Only chunks the lexical pool holds can come back (the store fetches hits by query), so this
    fuses rankings over ``pool`` candidates; ``dense_weight`` 0 gives the lexical order back.
    Pool chunks without a vector yet are embedded on first need and kept in ``index``.
    """

    def __init__(self, lexical, embedder: LlamaEmbedder, index: DenseIndex, *,
                 dense_weight: float = 1.0, pool: int = 100, rrf_k: int = 60) -> None:
        if dense_weight < 0 or pool < 1 or rrf_k < 1:
            raise ValueError("dense_weight must not be negative, pool and rrf_k positive")
        self.lexical, self.embedder, self.index = lexical, embedder, index
        self.dense_weight, self.pool, self.rrf_k = dense_weight, pool, rrf_k

    def search(self, collection_id: int, query: str, k: int) -> list[Hit]:
        from clos.retrieve.lexical import diversify

        max_per_doc = self.lexical.max_per_doc
        self.lexical.max_per_doc = 10**6  # diversity is applied after fusion
        try:
            hits = self.lexical.search(collection_id, query, max(self.pool, k))
        finally:
            self.lexical.max_per_doc = max_per_doc
        if not hits or not self.dense_weight:
            return diversify(hits, k, max_per_doc)
        missing = [h for h in hits if h.chunk_id not in self.index]
        if missing:  # vectors are computed on first need and kept
            self.index.add([h.chunk_id for h in missing],
                           self.embedder.embed_passages([h.text for h in missing]))
        sims = self.index.similarities(self.embedder.embed_query(query))
        dense_order = sorted((h for h in hits if h.chunk_id in sims),
                             key=lambda h: -sims[h.chunk_id])
        fused = {h.chunk_id: 1.0 / (self.rrf_k + r) for r, h in enumerate(hits, 1)}
        for r, h in enumerate(dense_order, 1):
            fused[h.chunk_id] += self.dense_weight / (self.rrf_k + r)
        hits.sort(key=lambda h: -fused[h.chunk_id])
        return diversify(hits, k, max_per_doc)
