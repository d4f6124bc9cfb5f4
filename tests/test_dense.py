"""Dense retrieval: the built-in French-capable embedder, vectors in the store, hybrid fusion."""

from __future__ import annotations

import os
import shutil

import pytest

from clos.pipeline import Clos
from clos.retrieve.dense import HybridRetriever, VectorIndex, to_blob
from clos.retrieve.embedders import (
    E5_SMALL,
    CachedEmbedder,
    E5SmallEmbedder,
    LlamaEmbedder,
    load_embedder,
)
from clos.retrieve.lexical import LexicalRetriever
from clos.store import open_store

CNIL = "cnil-guide-rgpd-developpeur"
# A question that shares no stem with the page that answers it (« attaques informatiques »).
PARAPHRASE = "Comment éviter le piratage de mon application ?"
ANSWERING = "18-Se prémunir contre les attaques informatiques.md"
FILES = ["01-Identifier les données personnelles.md", "02-Préparer son developpement.md",
         "10-Veiller à la qualité de votre code et sa documentation.md", ANSWERING,
         "16-Analyser les traceurs.md", "04-Gérer son code source.md"]


@pytest.fixture(scope="module")
def e5():
    embedder = E5SmallEmbedder()
    yield embedder
    embedder.close()


def test_e5_places_a_french_paraphrase_closest(e5):
    passages = e5.embed_passages([
        "Le tarif de la restauration scolaire est fixé à 3,50 euros par repas.",
        "Le conseil municipal approuve le compte administratif de l'exercice.",
        "La piscine municipale ouvre le dimanche matin.",
    ])
    assert passages.shape == (3, 384)
    assert abs(float(passages[0] @ passages[0]) - 1.0) < 1e-4
    sims = passages @ e5.embed_query("Combien coûte un déjeuner à la cantine ?")
    assert int(sims.argmax()) == 0


class Counting:
    """A real embedder that records what it was asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.passages, self.queries = inner, inner.name, [], []

    def embed_passages(self, texts):
        self.passages += list(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        self.queries.append(text)
        return self.inner.embed_query(text)

    def close(self):
        pass


def test_the_cache_embeds_each_text_once_across_folders(tmp_path, e5):
    path = tmp_path / "cache" / "embeddings.sqlite3"
    first = CachedEmbedder(Counting(e5), path)
    a = first.embed_passages(["Le maire préside le conseil.", "La piscine ouvre le dimanche."])
    first.close()
    counting = Counting(e5)
    second = CachedEmbedder(counting, path)
    b = second.embed_passages(["La piscine ouvre le dimanche.", "Tarte aux pommes."])
    assert counting.passages == ["Tarte aux pommes."]  # the other came from the file
    assert abs(float(a[1] @ b[0]) - 1.0) < 1e-6 and b.shape == (2, 384)
    q = second.embed_query("Qui préside le conseil ?")
    assert counting.queries == ["Qui préside le conseil ?"]  # always computed: search latency
    assert abs(float(q @ e5.embed_query("Qui préside le conseil ?")) - 1.0) < 1e-6
    assert second.embed_passages([]).shape[0] == 0


def test_store_keeps_vectors_per_model_and_drops_them_with_their_document(settings, e5):
    from clos.types import Chunk, Document, Section

    store = open_store(settings)
    assert store.schema_version() >= 4
    cid = store.collection_id("c")
    doc = Document(path="/a.txt", title="A", format="txt", sections=[Section(text="x")],
                   content_hash="h")
    chunks = [Chunk(text="Le maire préside le conseil.", ordinal=0, page=None, heading_path=(),
                    tokens=6),
              Chunk(text="Tarte aux pommes.", ordinal=1, page=None, heading_path=(), tokens=4)]
    doc_id = store.replace_document(cid, doc, chunks, [("maire", ""), ("tart", "")], size=1)
    assert [c for c, _ in store.pending_vectors(cid, E5_SMALL, 10)] == [c.id for c in chunks]
    vectors = e5.embed_passages([c.text for c in chunks])
    store.add_vectors(E5_SMALL, [(c.id, to_blob(v)) for c, v in zip(chunks, vectors)])
    assert store.pending_vectors(cid, E5_SMALL, 10) == []
    assert store.pending_vectors(cid, "another-model", 10) != []  # spaces never mix
    index = VectorIndex(store, E5_SMALL)
    ids, matrix = index.get(cid)
    assert ids.tolist() == [c.id for c in chunks] and matrix.shape == (2, 384)
    assert abs(float(matrix[1] @ vectors[1]) - 1.0) < 1e-5  # float32 round trip
    store.delete_documents([doc_id])
    index.invalidate()
    assert len(index.get(cid)[0]) == 0
    assert store.stats()["vectors"] == 0
    store.close()


def test_hybrid_search_embeds_the_question_once_per_answer(settings, e5):
    from clos.types import Chunk, Document, Section

    store = open_store(settings)
    cid = store.collection_id("c")
    texts = ["Le tarif de la cantine scolaire est de 3,50 euros par repas.",
             "La piscine municipale ouvre le dimanche matin."]
    for i, text in enumerate(texts):
        doc = Document(path=f"/{i}.txt", title="", format="txt", sections=[Section(text=text)],
                       content_hash=str(i))
        chunk = Chunk(text=text, ordinal=0, page=None, heading_path=(), tokens=12)
        store.replace_document(cid, doc, [chunk], [(w, "") for w in text.lower().split()], size=1)
        store.add_vectors(E5_SMALL, [(chunk.id, to_blob(e5.embed_passages([text])[0]))])
    counting = Counting(e5)
    hybrid = HybridRetriever(LexicalRetriever(store, max_per_doc=2), counting)
    question = "Combien coûte un déjeuner à la cantine ?"
    hits = hybrid.search(cid, question, 2)
    assert hits[0].text == texts[0] and hits[0].similarity is not None
    hybrid.query_vector(question)  # the grounding check reuses the search's vector
    assert counting.queries == [question]
    hybrid.search(cid, "Quand ouvre la piscine ?", 2)
    assert len(counting.queries) == 2
    hybrid.close()
    store.close()


def test_fetching_only_the_dense_rows_that_can_rank_changes_no_result(settings, e5):
    from clos.types import Chunk, Document, Section

    topics = ["la cantine scolaire", "la piscine municipale", "le conseil municipal",
              "les impôts locaux", "la bibliothèque", "le stationnement", "les déchets",
              "le permis de construire", "la crèche", "le marché public", "l'état civil",
              "les associations"]
    store = open_store(settings)
    cid = store.collection_id("c")
    for i, topic in enumerate(topics):
        texts = [f"Les horaires et les tarifs de {topic} sont fixés par délibération.",
                 f"Pour toute question sur {topic}, adressez-vous à la mairie."]
        doc = Document(path=f"/{i}.txt", title="", format="txt",
                       sections=[Section(text=" ".join(texts))], content_hash=str(i))
        chunks = [Chunk(text=t, ordinal=n, page=None, heading_path=(), tokens=14)
                  for n, t in enumerate(texts)]
        store.replace_document(cid, doc, chunks,
                               [(" ".join(t.lower().split()), "") for t in texts], size=1)
        store.add_vectors(E5_SMALL, [(c.id, to_blob(v))
                                     for c, v in zip(chunks, e5.embed_passages(texts))])
    hybrid = HybridRetriever(LexicalRetriever(store, max_per_doc=1), e5, pool=30,
                             lexical_pool=60)
    for question in ("Combien coûte le repas des enfants ?", "Où garer ma voiture ?"):
        everything = hybrid.search(cid, question, 50)  # every candidate fetched
        assert len(everything) == len(topics)  # one chunk per document
        assert [h.chunk_id for h in hybrid.search(cid, question, 3)] == \
            [h.chunk_id for h in everything[:3]]
    hybrid.close()
    store.close()


@pytest.mark.slow
def test_ingest_embeds_every_chunk_and_hybrid_finds_a_paraphrase(corpus, tmp_path, dense):
    folder = tmp_path / "cnil"
    folder.mkdir()
    for name in FILES:
        shutil.copy(corpus / CNIL / name, folder / name)
    with Clos() as clos:
        assert isinstance(clos.retriever, HybridRetriever)
        report = clos.ingest([folder], collection="cnil")
        stats = clos.store.stats()
        assert report.failed == 0 and stats["vectors"] == stats["chunks"] > 0
        cid = clos.store.collection_id("cnil")
        lexical = [h.path for h in clos.retriever.lexical.search(cid, PARAPHRASE, 2)]
        hybrid = clos.retriever.search(cid, PARAPHRASE, 2)
        assert not any(p.endswith(ANSWERING) for p in lexical)
        assert any(h.path.endswith(ANSWERING) for h in hybrid)
        assert all(h.similarity is not None and 0 <= h.relevance <= 1 for h in hybrid)
        # A changed file gets new vectors; the old ones go with its old chunks.
        (folder / ANSWERING).write_text("Le chiffrement protège les mots de passe des usagers.",
                                        encoding="utf-8")
        clos.ingest([folder], collection="cnil")
        stats = clos.store.stats()
        assert stats["vectors"] == stats["chunks"]
        top = clos.retrieve("Comment protéger les mots de passe ?", collection="cnil")[0]
        assert "chiffrement protège" in top.text


@pytest.mark.slow
def test_ingest_with_windows_stores_them_and_search_uses_them(corpus, tmp_path, dense, monkeypatch):
    from clos.retrieve.windows import window_model

    monkeypatch.setenv("CLOS_DENSE_WINDOWS", "true")
    folder = tmp_path / "cnil"
    folder.mkdir()
    for name in FILES[:2]:
        shutil.copy(corpus / CNIL / name, folder / name)
    with Clos() as clos:
        assert clos.retriever.windows == window_model(clos.embedder)
        report = clos.ingest([folder], collection="cnil")
        stats = clos.store.stats()
        assert report.failed == 0 and stats["vectors"] == stats["chunks"] > 0
        cid = clos.store.collection_id("cnil")
        ids, _ = clos.retriever.index.get(cid)
        blobs = clos.store.vectors_of(ids.tolist(), clos.retriever.windows)
        assert set(blobs) == set(ids.tolist())  # every chunk done, even a single-window one
        assert any(len(b) >= 2 * 384 * 4 for b in blobs.values())
        hits = clos.retrieve("Comment identifier les données personnelles ?", collection="cnil")
        assert hits and hits[0].path.endswith(FILES[0]) and hits[0].similarity is not None


def test_embedder_setting_chooses_the_backend(settings, tmp_path):
    from clos.errors import RetrievalError

    assert load_embedder(settings) is None  # the suite indexes lexically unless a test opts in
    assert isinstance(load_embedder(settings.replace(embedder=E5_SMALL)), E5SmallEmbedder)
    gguf = load_embedder(settings.replace(embedder=str(tmp_path / "m.gguf")))
    assert isinstance(gguf, LlamaEmbedder) and gguf.name == "gguf:m.gguf"
    with pytest.raises(RetrievalError, match="inconnu"):
        load_embedder(settings.replace(embedder="bert-anglais"))
    with Clos(settings) as clos:
        assert isinstance(clos.retriever, LexicalRetriever)


@pytest.mark.slow
def test_a_gguf_model_embeds_through_llama_cpp_and_fuses(settings, corpus, tmp_path):
    """Any GGUF embedding model plugs in by path; tested with the GGUF model Clos ships."""
    from clos.llm.registry import BUILTIN, ensure

    path = ensure(BUILTIN["gemma3-270m"], settings.models_dir)
    folder = tmp_path / "cnil"
    folder.mkdir()
    for name in FILES[:3]:
        shutil.copy(corpus / CNIL / name, folder / name)
    with Clos(settings.replace(embedder=str(path))) as clos:
        assert clos.embedder.name == f"gguf:{path.name}"
        clos.ingest([folder], collection="g")
        stats = clos.store.stats()
        assert stats["vectors"] == stats["chunks"] > 0
        hits = clos.retrieve("données personnelles", collection="g")
        assert hits and all(h.similarity is not None for h in hits)
        assert len({h.chunk_id for h in hits}) == len(hits)


def test_importing_clos_stops_openblas_threads_spinning_unless_the_user_chose():
    import subprocess
    import sys

    code = "import os, clos, numpy; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip() == "4"
    env["OPENBLAS_THREAD_TIMEOUT"] = "10"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip() == "10"


LONG = (
    "Le conseil municipal s'est réuni le 12 mars sous la présidence du maire. Il a approuvé le "
    "compte administratif de l'exercice écoulé et voté les taux des taxes locales sans hausse. "
    "La commission des travaux a présenté le calendrier de rénovation de la voirie du centre, "
    "qui commencera au printemps et durera six mois selon les services techniques. "
    "Le tarif de la cantine scolaire est fixé à 3,50 euros par repas pour chaque enfant inscrit. "
    "Les associations sportives recevront une subvention exceptionnelle pour leurs "
    "déplacements en compétition régionale et nationale cette saison, après examen des dossiers."
)


def test_sentence_windows_group_sentences_and_leave_a_short_chunk_whole():
    from clos.retrieve.windows import sentence_windows

    windows = sentence_windows(LONG)
    assert len(windows) >= 2
    assert " ".join(windows).split() == LONG.split()  # every word once, in order
    assert all(len(w.split()) >= 20 for w in windows)
    assert sentence_windows("Le maire préside le conseil. La piscine ouvre le dimanche.") == []


def test_windows_option_scores_a_long_chunk_by_its_best_sentence(settings, e5):
    from clos.retrieve.dense import embed_chunks, embed_pending
    from clos.retrieve.windows import sentence_windows, window_model
    from clos.types import Chunk, Document, Section

    store = open_store(settings)
    cid = store.collection_id("c")
    short = "La piscine municipale ouvre le dimanche matin."
    chunks, docs = [], []
    for i, text in enumerate([LONG, short]):
        doc = Document(path=f"/{i}.txt", title="", format="txt", sections=[Section(text=text)],
                       content_hash=str(i))
        chunk = Chunk(text=text, ordinal=0, page=None, heading_path=(), tokens=len(text) // 5)
        docs.append(store.replace_document(cid, doc, [chunk],
                                           [(w, "") for w in text.lower().split()], size=1))
        chunks.append(chunk)
    # Chunk vectors first, as an index built before the option was turned on.
    embed_chunks(store, e5, [(c.id, c.text) for c in chunks])
    counting = Counting(e5)
    embed_pending(store, counting, cid, windows=True)
    assert counting.passages == sentence_windows(LONG)  # only the missing windows
    blobs = store.vectors_of([c.id for c in chunks], window_model(e5))
    assert len(blobs[chunks[0].id]) == len(sentence_windows(LONG)) * 384 * 4
    assert blobs[chunks[1].id] == b""  # one window: the chunk vector is enough
    question = "Combien coûte un repas à la cantine ?"
    plain = HybridRetriever(LexicalRetriever(store, max_per_doc=2), e5)
    windowed = HybridRetriever(LexicalRetriever(store, max_per_doc=2), e5, windows=True)
    before = {h.chunk_id: h.similarity for h in plain.search(cid, question, 2)}
    after = {h.chunk_id: h.similarity for h in windowed.search(cid, question, 2)}
    best = max(float(v @ e5.embed_query(question))
               for v in e5.embed_passages(sentence_windows(LONG)))
    assert after[chunks[0].id] == pytest.approx(max(before[chunks[0].id], best), abs=1e-5)
    assert after[chunks[0].id] > before[chunks[0].id] + 0.01
    assert after[chunks[1].id] == pytest.approx(before[chunks[1].id], abs=1e-6)
    store.delete_documents(docs)
    assert store.vectors_of([c.id for c in chunks], window_model(e5)) == {}  # with their chunk
    plain.close()
    windowed.close()
    store.close()
