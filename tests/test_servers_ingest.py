"""Ingestion at scale: documents searchable as soon as they are read and indexed lexically,
vectors computed after by batches, searches using vectors where they exist."""

from __future__ import annotations

import pytest

from clos.pipeline import Clos
from clos.settings import Settings

TEXTS = {
    "piscine.txt": "La piscine municipale est ouverte du mardi au dimanche, de 10 heures à 19 heures.",
    "cantine.txt": "Le tarif de la cantine scolaire est fixé à 3,20 euros par repas pour l'année.",
    "voirie.txt": "Les travaux de voirie de la rue des Lilas commencent le 4 mars et durent six semaines.",
}


class Recorder:
    """An ingestion progress that searches when the vectors phase starts."""

    def __init__(self, clos: Clos) -> None:
        self.clos, self.calls, self.hits_at_start, self.done = clos, [], None, []

    def start(self, total: int) -> None:
        self.calls.append(("start", total))

    def advance(self, path: str, *, pages: int = 0, error: str | None = None) -> None:
        self.calls.append(("advance", path))

    def vectors_start(self, total: int) -> None:
        self.calls.append(("vectors", total))
        self.hits_at_start = self.clos.retrieve("horaires de la piscine municipale")

    def vectors_advance(self, done: int) -> None:
        self.done.append(done)


@pytest.mark.slow
def test_searchable_before_vectors_then_dense(tmp_path, dense):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TEXTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    with Clos(Settings.load()) as clos:
        progress = Recorder(clos)
        report = clos.ingest([docs], progress=progress)
        # Searchable by words before any vector existed: lexical hits, no similarity yet.
        assert progress.hits_at_start and "piscine" in progress.hits_at_start[0].text
        assert all(h.similarity is None for h in progress.hits_at_start)
        assert progress.calls[-1] == ("vectors", report.chunks)
        assert progress.done and progress.done[-1] == report.vectors == report.chunks == 3
        after = clos.retrieve("horaires de la piscine municipale")
        assert after[0].similarity is not None and "piscine" in after[0].text


@pytest.mark.slow
def test_search_mixes_chunks_with_and_without_vectors(tmp_path, dense):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "piscine.txt").write_text(TEXTS["piscine.txt"], encoding="utf-8")
    with Clos(Settings.load()) as clos:
        clos.ingest([docs])
        # A second document indexed lexically only (as during an ingestion still embedding).
        (docs / "cantine.txt").write_text(TEXTS["cantine.txt"], encoding="utf-8")
        clos._defer_vectors = True
        from clos.ingest import read_document

        cid = clos.store.collection_id("default")
        clos.index_document(cid, read_document(docs / "cantine.txt"))
        clos._defer_vectors = False
        hits = {h.text[:10]: h for h in clos.retrieve("tarif de la cantine scolaire")}
        assert any("cantine" in h.text and h.similarity is None for h in hits.values())
        hits = clos.retrieve("piscine ouverte le dimanche")
        assert "piscine" in hits[0].text and hits[0].similarity is not None
        assert clos.embed_pending(cid) == 1
        assert clos.retrieve("tarif de la cantine scolaire")[0].similarity is not None


def test_embeddings_server_down_leaves_documents_searchable(tmp_path, monkeypatch):
    from servers.spawn import free_port

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "piscine.txt").write_text(TEXTS["piscine.txt"], encoding="utf-8")
    monkeypatch.setenv("CLOS_EMBEDDER", "multilingual-e5-small")
    monkeypatch.setenv("CLOS_EMBEDDER_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("CLOS_LLM_RETRIES", "0")
    with Clos(Settings.load()) as clos:
        report = clos.ingest([docs])
        assert report.indexed == 1 and report.vectors == 0 and report.failed == 0
        (where, reason), = report.errors
        assert where == "(vecteurs)" and "ne répond pas" in reason and "prochain" in reason
        clos.retriever = clos.retriever.lexical  # searching by words needs no server
        assert "piscine" in clos.retrieve("horaires de la piscine")[0].text
