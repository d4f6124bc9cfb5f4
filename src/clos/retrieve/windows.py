"""Sentence windows: a chunk's dense score is the best cosine among its own vector and the
vectors of its ~40-word windows (max-sim), an option (``dense_windows``).

One chunk vector averages a whole passage; a question usually targets one or two of its
sentences. Measured on both French development sets (``bench/bench_tried.py``, windows part),
hybrid retrieval ranked better with windows: service-public kb532 R@1 0.867 → 0.905, PIAF v1.0
R@1 0.743 → 0.755, R@5 0.909 → 0.911; answers did not gain (100 PIAF questions: same gold
0.49, refusals 0.23 → 0.26 on answerable ones). The price is at ingestion (3.5 windows per
kb532 chunk: embedding took 1.7–1.9× as long), hence off by default. The windows of a chunk are
stored as one blob (rows of float32) under the embedder's name + ``WINDOWS``, so no schema change
was needed, they go with their chunk, and they are read only for the candidates of a search,
never held in memory."""

from __future__ import annotations

from clos.retrieve.embedders import Embedder, numpy
from clos.store.protocol import VectorStore

WINDOWS = "+windows"
WINDOW_WORDS = 40


def window_model(embedder: Embedder) -> str:
    return embedder.name + WINDOWS


def sentence_windows(text: str, words: int = WINDOW_WORDS) -> list[str]:
    """Consecutive sentences grouped until ``words`` words; none when the chunk is one window."""
    # The same sentence breaks as the excerpts cut for the prompt; imported here so that loading
    # the retrieve stage does not load the answer stage and the LLM registry behind it.
    from clos.answer.prompts import PASSAGE_BREAK

    out, current = [], []
    for sentence in (s.strip() for s in PASSAGE_BREAK.split(text)):
        if sentence:
            current.append(sentence)
            if sum(len(s.split()) for s in current) >= words:
                out.append(" ".join(current))
                current = []
    if current:
        if out and sum(len(s.split()) for s in current) < words // 2:
            out[-1] += " " + " ".join(current)  # a short tail joins the window before it
        else:
            out.append(" ".join(current))
    return out if len(out) > 1 else []


def window_blobs(embedder: Embedder, chunks: list[tuple[int, str]]) -> list[tuple[int, bytes]]:
    """(chunk id, its windows' vectors as one float32 blob); an empty blob marks a chunk that is
    a single window, so it is not embedded again."""
    np = numpy()
    texts, owners = [], []
    for chunk_id, text in chunks:
        for window in sentence_windows(text):
            texts.append(window)
            owners.append(chunk_id)
    vectors = embedder.embed_passages(texts) if texts else []
    rows: dict[int, list] = {chunk_id: [] for chunk_id, _ in chunks}
    for owner, vector in zip(owners, vectors):
        rows[owner].append(vector)
    return [(chunk_id, np.asarray(vs, dtype="<f4").tobytes() if vs else b"")
            for chunk_id, vs in rows.items()]


def best_window_similarity(store: VectorStore, model: str, chunk_ids: list[int], vector) -> dict[int, float]:
    """Chunk id → the best cosine between ``vector`` and one of the chunk's windows (chunks
    without windows are absent)."""
    np = numpy()
    out = {}
    for chunk_id, blob in store.vectors_of(chunk_ids, model).items():
        if blob:
            windows = np.frombuffer(blob, dtype="<f4").reshape(-1, len(vector))
            out[chunk_id] = float((windows @ vector).max())
    return out
