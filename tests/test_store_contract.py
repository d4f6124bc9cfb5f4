"""The store contract, run against both backends: SQLite (a file per test) and a real
PostgreSQL server (127.0.0.1:5432, trust auth, database ``test``; a fresh schema per test,
dropped after). PostgreSQL tests are skipped, with the reason, only when the server cannot be
reached — and fail instead when ``CLOS_REQUIRE_POSTGRES=1`` (CI).

The governance tests of test_govern run here too, on each backend, through its ``store`` fixture.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from datetime import date

import pytest

from clos.errors import StoreError
from clos.retrieve.analyzer import analyze
from clos.store import is_postgres, store_at
from clos.types import Answer, Citation, Timings, Usage

# The governance tests, collected again here with this module's ``store`` (both backends).
from test_store import _doc, _put
from test_govern import (  # noqa: F401
    test_allow_list_and_policies,
    test_birth_date_taken_as_document_date_is_dropped,
    test_duplicates_and_versions_across_runs,
    test_governed_copy_holds_no_personal_data,
    test_placeholders_consistent_across_documents_and_revealed,
)

PG_URL = os.environ.get("CLOS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> str | None:
    """None when the test server answers, else why not (French)."""
    try:
        import psycopg
    except ImportError:
        return "le pilote psycopg n'est pas installé"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"serveur injoignable ({exc})".strip()


def forget_vault_key(schema: str) -> None:
    """Delete the pseudonym key a test's store created (``cache_dir/secrets``, one per store)."""
    import psycopg

    from clos.settings import Settings
    from clos.store.pg_vault import key_name

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (f"{schema}.pseudonym_vault_key",))
        if found.fetchone()[0] is None:
            return
        row = conn.execute(f"SELECT store_id FROM {schema}.pseudonym_vault_key").fetchone()
    (Path(Settings.load().cache_dir) / "secrets" / key_name(row[0])).unlink(missing_ok=True)


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def require_postgres() -> None:
    """Skip the test (fail it with ``CLOS_REQUIRE_POSTGRES=1``) when the server is unreachable."""
    why = postgres_reachable()
    if why is not None:
        message = f"PostgreSQL à {PG_URL} : {why}."
        if os.environ.get("CLOS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def pg_url():
    """A PostgreSQL store URL on a fresh schema, dropped after the test."""
    require_postgres()
    schema = f"clos_test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL}?schema={schema}"
    forget_vault_key(schema)
    drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """Where a store lives: a SQLite file, or a PostgreSQL URL (own schema)."""
    if request.param == "sqlite":
        return str(tmp_path / "db.sqlite3")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(target):
    s = store_at(target)
    yield s
    s.close()


# ------------------------------------------------------------------ documents and search
def test_replace_search_and_delete(store):
    cid = store.collection_id("rh")
    assert store.collection_id("rh") == cid
    assert store.collection_id("absente", create=False) is None
    a = _put(store, cid, _doc("/a.txt", "Les frais de déplacement des agents sont remboursés."))
    _put(store, cid, _doc("/b.txt", "Le budget primitif est voté en mars."))
    hits = store.search(cid, '"frais" OR "deplac"', 10)
    assert [h.path for h in hits] == ["/a.txt"]
    assert hits[0].heading_path == ("Chapitre",) and hits[0].score > 0
    # Replacing a document leaves no stale chunk behind in the index.
    a2 = _put(store, cid, _doc("/a.txt", "Les indemnités kilométriques sont fixées par arrêté."))
    assert a2 != a
    assert store.search(cid, '"frais"', 10) == []
    assert len(store.search(cid, '"kilometr"', 10)) == 1
    assert store.document_id(cid, "/a.txt") == a2
    assert store.delete_documents([a2]) == 1
    assert store.search(cid, '"kilometr"', 10) == []
    assert store.chunk_count(cid) == 1 and store.chunk_count() == 1
    assert store.term_document_frequencies(["kilometr", "budget"]) == {"budget": 1}
    assert store.document_hashes(cid).keys() == {"/b.txt"}
    assert [(c["name"], c["documents"]) for c in store.collections()] == [("rh", 1)]
    assert store.stats()["chunks"] == 1


def test_collections_are_isolated(store):
    one, two = store.collection_id("un"), store.collection_id("deux")
    _put(store, one, _doc("/x.txt", "subvention association sportive"))
    assert store.search(two, '"subvent"', 5) == []
    assert len(store.search(one, '"subvent"', 5)) == 1


def test_fts_query_syntax_in_terms_is_harmless(store):
    cid = store.collection_id("c")
    _put(store, cid, _doc("/a.txt", "article L.2121-29 du code"))
    assert len(store.search(cid, '"2121_29"', 5)) == 1
    assert store.chunk_terms(store.search(cid, '"2121_29"', 5)[0].chunk_id)[0].split()[:2] == \
        ["articl", "l2121_29"]
    with pytest.raises(StoreError, match="La recherche a échoué"):
        store.search(cid, 'NEAR(', 5)


def test_near_queries_find_terms_close_to_each_other(store):
    cid = store.collection_id("c")
    _put(store, cid, _doc("/near.txt", "Les frais de déplacement des agents sont remboursés."))
    _put(store, cid, _doc("/far.txt", "Les frais sont payés. " + "Autre phrase sans rapport. " * 6
                          + "Déplacement prévu."))
    found = [h.path for h in store.search(cid, 'NEAR("frais" "deplac", 3)', 5)]
    assert found == ["/near.txt"]


def test_the_chunk_count_follows_writes_of_another_connection(target):
    store, other = store_at(target), store_at(target)
    cid = store.collection_id("rh")
    _put(store, cid, _doc("/a.txt", "Les frais de déplacement des agents sont remboursés."))
    before = store.generation()
    assert store.chunk_count() == 1
    _put(other, other.collection_id("rh"), _doc("/c.txt", "Le CCAS anime la prévention."))
    other.close()
    assert store.chunk_count() == 2 and store.generation() != before
    store.close()


def test_repeated_block_spans_replace_a_chunks_index_terms(store):
    """Migration 017: a chunk's repeated-block spans are recorded and its index terms replaced,
    statistics included (PostgreSQL keeps its own document frequencies)."""
    cid = store.collection_id("c")
    text = "Vu le code général des collectivités territoriales.\nLa subvention est accordée."
    _put(store, cid, _doc("/a.txt", text))
    _put(store, cid, _doc("/b.txt", "Vu le code général des collectivités territoriales."))
    rows = store.collection_chunks(cid)
    assert [(r["text"], r["boilerplate"], r["title"]) for r in rows] == [
        (text, (), "Titre"), ("Vu le code général des collectivités territoriales.", (), "Titre")]
    assert rows[0]["heading_path"] == ("Chapitre",)
    assert store.term_document_frequencies(["collect"]) == {"collect": 2}
    store.set_chunk_boilerplate(cid, [
        (rows[0]["id"], ((0, 52),), " ".join(analyze("La subvention est accordée.")), "titr"),
        (rows[1]["id"], ((0, 52),), "", "")])
    assert store.search(cid, '"collect"', 5) == []
    assert [h.path for h in store.search(cid, '"subvent"', 5)] == ["/a.txt"]
    assert store.term_document_frequencies(["collect", "subvent"]) == {"subvent": 1}
    assert store.chunk_terms(rows[1]["id"]) == ("", "")
    assert [r["boilerplate"] for r in store.collection_chunks(cid)] == [((0, 52),), ((0, 52),)]
    assert store.boilerplate_counts(cid) == {"chunks": 2, "chunks_marked": 2}
    store.set_chunk_boilerplate(cid, [(rows[1]["id"], (), " ".join(analyze(rows[1]["text"])), "")])
    assert [h.path for h in store.search(cid, '"collect"', 5)] == ["/b.txt"]
    assert store.boilerplate_counts(cid)["chunks_marked"] == 1
    assert store.chunk_count(cid) == 2


# --------------------------------------------------------------------------- vectors
def test_vectors_pending_stored_and_read_back(store, target):
    cid = store.collection_id("c")
    _put(store, cid, _doc("/a.txt", "premier passage"))
    _put(store, cid, _doc("/b.txt", "second passage"))
    pending = store.pending_vectors(cid, "m", 10)
    assert [text for _, text in pending] == ["premier passage", "second passage"]
    version = store.data_version()
    blobs = {cid_: bytes([i]) * 8 for i, (cid_, _) in enumerate(pending)}
    assert store.add_vectors("m", blobs.items()) == 2
    if is_postgres(target):  # SQLite's counts other connections' commits only
        assert store.data_version() != version
    assert store.pending_vectors(cid, "m", 10) == []
    ids, vectors = store.vectors(cid, "m")
    assert dict(zip(ids, vectors)) == blobs
    first = ids[0]
    assert store.vectors_of([first, 999999], "m") == {first: blobs[first]}
    store.add_vectors("m", [(first, b"\x09" * 8)])  # replaced, not duplicated
    assert store.vectors_of([first], "m") == {first: b"\x09" * 8}
    hits = store.hits(ids)
    assert sorted(h.chunk_id for h in hits) == sorted(ids) and all(h.score == 0 for h in hits)
    assert store.stats()["vectors"] == 2


# --------------------------------------------------------------------------- journals
def test_answers_and_runs_are_logged(store):
    cid = store.collection_id("c")
    answer = Answer(question="Q ?", answer="R [1].", refused=False,
                    citations=[Citation(1, "/a.pdf", 2, "citation", 5)], model="m",
                    usage=Usage(100, 20), timings=Timings(0.01, 1.0, 2.0))
    answer_id = store.log_answer(cid, answer)
    row = store.answers()[0]
    assert row["id"] == answer_id and row["prompt_tokens"] == 100 and "/a.pdf" in row["citations"]
    run = store.start_run(cid)
    store.log_ingest_error(run, "/x.pdf", "PDF chiffré")
    store.finish_run(run, files_seen=3, files_failed=1)
    assert store.stats()["answers"] == 1


# -------------------------------------------------------------------------- accounts
def test_accounts_grants_audit_and_conversations(store):
    """The account store (store/accounts.py) on both backends, the web pages' reads included."""
    rh, fin = store.collection_id("rh"), store.collection_id("finances")
    assert store.user_count() == 0
    uid = store.add_user("agent", "$argon2id$h", ["rh", "rh", "lecteurs"])
    with pytest.raises(StoreError, match="existe déjà"):
        store.add_user("agent", "$argon2id$autre", [])
    assert store.add_user_groups("agent", ["rh", "paie"]) and not store.add_user_groups("x", ["a"])
    user = store.user("agent")
    assert (user["id"], user["groups"], user["disabled"]) == (uid, ["lecteurs", "paie", "rh"], 0)
    assert store.set_password_hash("agent", "$argon2id$neuf") and \
        store.user("agent")["password_hash"] == "$argon2id$neuf"
    assert not store.set_password_hash("personne", "h") and store.user("personne") is None
    assert [u["name"] for u in store.users()] == ["agent"] and store.user_count() == 1

    store.add_token(uid, "d" * 64, "tableur")
    assert store.user_by_token("d" * 64)["name"] == "agent" and store.user_by_token("e") is None
    used = store.conn.execute("SELECT last_used_at FROM api_tokens").fetchone()[0]
    assert used and used.endswith("Z")

    store.grant(rh, "rh", read=True, write=True)
    store.grant(fin, "rh", read=True, write=False)
    store.grant(fin, "finances", read=False, write=True)  # write implies read
    assert store.collection_rights(["rh"]) == {"rh": (True, True), "finances": (True, False)}
    assert store.collection_rights(["finances", "autre"]) == {"finances": (True, True)}
    assert store.collection_rights([]) == {}
    store.grant(fin, "rh", read=False, write=False)
    assert [(g["collection"], g["group_name"]) for g in store.grants()] == [
        ("finances", "finances"), ("rh", "rh")]

    first = store.audit("agent", "login")
    second = store.audit("admin", "upload", "rh", {"fichiers": ["é.pdf"]})
    assert second > first
    entries = store.audit_entries()
    assert [e["action"] for e in entries] == ["upload", "login"]
    assert entries[0]["detail"] == {"fichiers": ["é.pdf"]} and entries[0]["collection"] == "rh"
    assert [e["action"] for e in store.audit_entries(user="agent")] == ["login"]
    assert store.audit_entries(since="2999-01-01") == [] and len(store.audit_entries(limit=1)) == 1

    doc_id = _put(store, rh, _doc("/rh/note.txt", "Les frais de repas sont remboursés."))
    answer = Answer("Q ?", "R.", False, [], "m", Usage(1, 2), Timings())
    a1, a2 = store.log_answer(rh, answer), store.log_answer(None, answer)
    store.save_conversation_answer(a1, "agent", rh, {"answer": "première"})
    store.save_conversation_answer(a1, "agent", rh, {"answer": "R."})  # replaced, not doubled
    store.save_conversation_answer(a2, "agent", None, {"answer": "sans collection"})
    talk = store.conversation("agent")
    assert [(t["answer_id"], t["collection"], t["payload"]["answer"]) for t in talk] == [
        (a1, "rh", "R."), (a2, None, "sans collection")]
    assert [t["answer_id"] for t in store.conversation("agent", rh)] == [a1]
    assert store.conversation("autre") == []
    assert store.conversation_answer(a1)["user_name"] == "agent"
    assert store.conversation_answer(999_999) is None

    (listed,) = store.documents(rh)
    assert (listed["id"], listed["path"], listed["chunks"]) == (doc_id, "/rh/note.txt", 1)
    assert store.document(doc_id)["collection"] == "rh" and store.document(999_999) is None
    chunk_id = store.search(rh, '"rembours"', 5)[0].chunk_id
    source = store.chunk_source(chunk_id)
    assert (source["document_id"], source["collection"], source["page"]) == (doc_id, "rh", 1)
    assert store.chunk_source(999_999) is None
    assert store.vector_progress(rh, "m") == (0, 1)
    store.add_vectors("m", [(chunk_id, b"\x00" * 8)])
    assert store.vector_progress(rh, "m") == (1, 1) and store.vector_progress(fin, "m") == (0, 0)
    assert store.last_run(rh) is None
    run = store.start_run(rh)
    store.log_ingest_error(run, "/rh/x.pdf", "PDF chiffré")
    assert store.last_run(rh)["errors"] == [{"path": "/rh/x.pdf", "reason": "PDF chiffré"}]


def test_accounts_and_journal_writes_leave_the_search_caches_valid(store, target):
    """Searches cache vectors and term statistics until ``data_version`` moves: logins,
    tokens, the audit log, conversations, answers and impacts change nothing they read."""
    cid = store.collection_id("rh")
    _put(store, cid, _doc("/rh/a.txt", "Les frais de repas sont remboursés."))
    before = store.data_version()
    uid = store.add_user("agent", "$argon2id$h", ["rh"])
    store.add_token(uid, "d" * 64)
    store.user_by_token("d" * 64)
    store.grant(cid, "rh", read=True, write=False)
    store.audit("agent", "ask", "rh", {"question": "Q ?"})
    answer_id = store.log_answer(cid, Answer("Q ?", "R.", False, [], "m", Usage(1, 2), Timings()))
    store.save_conversation_answer(answer_id, "agent", cid, {"answer": "R."})
    store.add_impact({"kind": "answer", "ref_id": answer_id, "collection_id": cid,
                      "energy_wh": 0.1, "gco2e": 0.01, "method": "cpu"})
    assert store.data_version() == before
    if is_postgres(target):  # SQLite's counter moves for other connections' commits only
        _put(store, cid, _doc("/rh/b.txt", "Le budget est voté en mars."))
        assert store.data_version() > before


# ------------------------------------------------------------------------ governance
def test_governance_rows_follow_the_document_but_pseudonyms_stay(store, settings):
    from test_govern import HR, NIR, TODAY, doc

    from clos.govern import Governor, reveal

    cid = store.collection_id("rh")
    g = Governor(store, settings, cid, today=TODAY)
    review = g.review(doc(HR))
    doc_id = store.replace_document(cid, review.document, [], [], size=0)
    g.record(review, doc_id)
    rows = store.review_rows(cid)
    assert len(rows) == 1 and rows[0]["pii"]
    assert NIR not in repr(rows) and "Sophie MARTIN" not in repr(rows)
    store.delete_documents([doc_id])
    assert store.review_rows(cid) == []
    assert len(reveal(store, cid)) >= 4


def test_pseudonym_numbers_are_assigned_once_per_value(store):
    cid = store.collection_id("rh")
    assert store.pseudonym_number(cid, "PERSONNE", "sophie martin", "Sophie MARTIN") == 1
    assert store.pseudonym_number(cid, "PERSONNE", "jean dupont", "Jean DUPONT") == 2
    assert store.pseudonym_number(cid, "PERSONNE", "sophie martin", "S. Martin") == 1
    assert store.pseudonym_number(cid, "IBAN", "fr76", "FR76") == 1
    assert store.pseudonyms_with_word(cid, "PERSONNE", "martin") == [("sophie martin",
                                                                       "Sophie MARTIN")]
    assert [p["n"] for p in store.pseudonyms(cid, "PERSONNE")] == [1, 2]


# ---------------------------------------------------------------------------- ledger
def test_ledger_record_and_summary(store, settings):
    from test_impact import _fill

    from clos.impact import ledger

    answer = _fill(store, settings)
    s = ledger.summary(store, by="user")
    t = s["totals"]
    assert (t["answers"], t["ingest_runs"], t["ingest_documents"]) == (2, 1, 2)
    assert t["energy_wh"] == pytest.approx(3.4)
    assert t["cloud_energy_wh"][0] == pytest.approx(2 * answer.cloud.energy_wh[0], rel=1e-5)
    assert t["completion_tokens"] == 600
    by_user = {g["key"]: g for g in s["groups"]}
    assert by_user["alice"]["energy_wh"] == pytest.approx(3.2) and by_user["bob"]["answers"] == 1
    assert [d["key"] for d in s["trend"]] == ["2025-05-01", "2025-05-02"]
    assert s["methods"] == {"rapl": 3} and s["cloud_models"] == ["gpt-4o"]
    by_collection = {g["key"] for g in ledger.summary(store, by="collection")["groups"]}
    assert by_collection == {"mairie", "ecoles"}
    later = ledger.summary(store, since=date(2025, 5, 2))
    assert later["totals"]["answers"] == 1 and later["totals"]["ingest_runs"] == 0
    assert ledger.summary(store, since=date(2030, 1, 1))["groups"] == []
    documents = store.impact_kind_totals("ingest_document")  # bench_impact's per-document figure
    assert documents["rows"] == 2 and documents["energy_wh"] == pytest.approx(3.0)
    assert documents["gco2e"] == pytest.approx(3.0 / 1000 * 52)
    assert store.impact_kind_totals("nothing") == {"rows": 0, "energy_wh": 0.0, "gco2e": 0.0}


# ---------------------------------------------------------------------------- errors
def test_a_database_error_is_a_french_store_error(store):
    cid = store.collection_id("c")
    with pytest.raises(StoreError, match="Erreur de la base de données") as err:
        store.save_review(cid, 123456789, {"path": "/x", "decision": "index",
                                           "pii_policy": "keep"}, [], [])  # no such document
    assert err.value.__cause__ is not None


def test_an_unreachable_server_is_a_clear_error():
    store = store_at("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreError, match="Impossible d'ouvrir la base PostgreSQL"):
        store.collection_id("c")
    with pytest.raises(StoreError, match="schéma"):
        store_at("postgresql://postgres@127.0.0.1/test?schema=Robert'); DROP")


# ------------------------------------------------------------ same ranking on both stores
def test_postgres_ranks_as_sqlite_fts5_bm25_on_a_real_set(shared, pg_url, tmp_path, settings):
    """kb532 (service-public, body only; 200 of its documents) indexed by the real pipeline in
    both stores: for 40 questions, the 40 best chunks and their BM25 scores are the same."""
    from clos.eval import load
    from clos.eval.runner import index_set
    from clos.pipeline import Clos
    from clos.retrieve.lexical import match_expression

    evalset = load(shared / "eval" / "service-public" / "spf_qr_test_kb532.json", body_only=True)
    stores = {}
    with Clos(settings.replace(data_dir=tmp_path / "sqlite")) as lite, \
            Clos(settings.replace(data_dir=tmp_path / "pg", store=pg_url)) as pg:
        for name, clos in (("sqlite", lite), ("postgresql", pg)):
            index_set(clos, evalset, "kb", evalset.documents[:200])
            stores[name] = (clos.store, clos.store.collection_id("kb"))
        assert lite.store.chunk_count() == pg.store.chunk_count() > 300
        compared = 0
        for q in evalset.sample(40, seed=3):
            terms = list(dict.fromkeys(analyze(q.question)))
            if not terms:
                continue
            match = match_expression(terms)
            a, b = (s.search(cid, match, 40) for s, cid in stores.values())
            assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-9, abs=1e-12)
            # Same chunks in the same order, except among exactly tied scores.
            key = lambda hits: [(round(h.score, 9), h.path, h.text[:40]) for h in hits]  # noqa: E731
            last = round(a[-1].score, 9) if a else None
            assert [k for k in sorted(key(a)) if k[0] != last] == \
                [k for k in sorted(key(b)) if k[0] != last]
            compared += 1
        assert compared >= 35


# Questions on six pages of the CNIL guide (test_dense.FILES): paraphrases the words miss, and
# questions the words alone answer.
HYBRID_QUESTIONS = [
    "Comment éviter le piratage de mon application ?",
    "Qu'est-ce qu'une donnée personnelle ?",
    "Comment documenter son code ?",
    "Que faut-il savoir sur les cookies et les traceurs ?",
    "Comment protéger le dépôt de code source ?",
    "Faut-il chiffrer les mots de passe ?",
    "Que préparer avant de commencer un développement ?",
    "Quels outils pour vérifier la qualité du code ?",
]


@pytest.mark.slow
def test_hybrid_retrieval_gives_the_same_top_hits_on_both_stores(corpus, pg_url, tmp_path,
                                                                 settings):
    """Six pages of the CNIL guide ingested by the real pipeline with the built-in e5 vectors
    into each store (the second reads the same vectors back from the embeddings cache): for
    every question, the hybrid retriever gives the same 5 best passages in the same order, with
    the same fused scores and cosines."""
    import shutil

    from test_dense import ANSWERING, CNIL, FILES

    from clos.pipeline import Clos
    from clos.retrieve.dense import HybridRetriever

    folder = tmp_path / "cnil"
    folder.mkdir()
    for name in FILES:
        shutil.copy(corpus / CNIL / name, folder / name)
    dense = settings.replace(embedder="multilingual-e5-small", embedding_cache=True,
                             cache_dir=tmp_path / "cache")
    tops, paths = {}, {}
    for name, store in (("sqlite", ""), ("postgresql", pg_url)):
        with Clos(dense.replace(data_dir=tmp_path / name, store=store)) as clos:
            assert isinstance(clos.retriever, HybridRetriever)
            report = clos.ingest([folder], collection="cnil")
            assert report.failed == 0 and report.vectors == report.chunks > 10
            tops[name] = [clos.retrieve(q, collection="cnil")[:5] for q in HYBRID_QUESTIONS]
            assert clos.retriever.fallback is None
            paths[name] = (bool(getattr(clos.store, "has_pgvector", bool)()
                                and clos.store.uses_pgvector()),
                           clos.retriever.index._cache == {})
    for lite, pg in zip(tops["sqlite"], tops["postgresql"]):
        assert len(lite) == 5
        assert [(h.path, h.text) for h in lite] == [(h.path, h.text) for h in pg]
        # Cosines agree to 1e-6 (pgvector's float sums in SQL against numpy's); the fused score
        # divides them by the dense top's span (≈ 0.1–0.2), which scales that gap up to ~1e-5.
        assert [h.similarity for h in lite] == pytest.approx([h.similarity for h in pg], rel=1e-6)
        assert [h.score for h in lite] == pytest.approx([h.score for h in pg], abs=1e-5)
    # With pgvector the PostgreSQL store ranked its vectors itself: no matrix in the process.
    assert paths["postgresql"] in ((True, True), (False, False))
    assert paths["sqlite"] == (False, False)
    # The vectors count on both: the page answering the paraphrase, which shares no word with
    # it (test_dense), is among the first five.
    for name in tops:
        assert any(h.path.endswith(ANSWERING) for h in tops[name][0]), name


def test_postgres_migrations_mirror_every_sqlite_table_and_column(pg_url, tmp_path):
    """A SQLite migration without its PostgreSQL counterpart (pg_migrations) fails here."""
    from clos.store.copy import SKIP, _columns, _table_names

    lite, pg = store_at(tmp_path / "db.sqlite3"), store_at(pg_url)
    tables = {t for t in _table_names(lite) if t not in SKIP}
    assert tables <= set(_table_names(pg))
    for table in sorted(tables):
        assert set(_columns(lite, table)) == set(_columns(pg, table)), table
    assert pg.schema_version() >= 5
    lite.close()
    pg.close()


def test_doctor_reports_an_unreachable_store_as_a_failed_check(settings):
    from clos.doctor import run_checks

    checks = run_checks(settings.replace(store="postgresql://postgres@127.0.0.1:1/test"))
    index = [c for c in checks if c.name == "index"]
    assert len(index) == 1 and not index[0].ok
    assert "Impossible d'ouvrir la base PostgreSQL" in index[0].detail


# ------------------------------------------------------------------ dense search (pgvector)
class _Named:
    """The retriever's embedder as ``_dense`` sees it: a name (the query vector is given)."""

    def __init__(self, name: str) -> None:
        self.name = name


def _with_vectors(store, name: str, n: int, seed: int, dim: int = 32) -> tuple[int, dict]:
    """A collection of ``n`` one-chunk documents with random unit vectors of model « m »."""
    import numpy as np

    from clos.types import Chunk, Document, Section

    cid = store.collection_id(name)
    texts = [f"passage {name} {i}" for i in range(n)]
    doc = Document(path=f"/{name}.txt", title="T", format="txt",
                   sections=[Section(t) for t in texts], content_hash=name)
    chunks = [Chunk(text=t, ordinal=i, page=1, heading_path=(), tokens=3)
              for i, t in enumerate(texts)]
    store.replace_document(cid, doc, chunks, [(" ".join(analyze(t)), "") for t in texts], 10)
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim)).astype("<f4")
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    store.add_vectors("m", [(c.id, v.tobytes()) for c, v in zip(chunks, matrix)])
    return cid, {c.id: v for c, v in zip(chunks, matrix)}


def _numpy_top(vectors: dict, query, k: int) -> list[tuple[int, float]]:
    """The exact top by numpy's dot product (unit vectors: the cosine), best first."""
    sims = {c: float(v @ query) for c, v in vectors.items()}
    return sorted(sims.items(), key=lambda p: (-p[1], p[0]))[:k]


def _retriever_top(store, cid: int, query, k: int, lexical=()):
    """The dense top the hybrid retriever uses (ranked by the store or by numpy), best first,
    with every candidate's cosine, and the retriever."""
    from clos.retrieve.dense import HybridRetriever
    from clos.retrieve.lexical import LexicalRetriever

    retriever = HybridRetriever(LexicalRetriever(store), _Named("m"), pool=k)
    top, sims = retriever._dense(cid, query, list(lexical))
    return sorted(top, key=lambda c: (-sims[c], c)), sims, retriever


def _queries(seed: int, dim: int = 32, n: int = 5):
    import numpy as np

    q = np.random.default_rng(seed).standard_normal((n, dim)).astype("<f4")
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_dense_search_equals_numpys_exact_search(store, target):
    """Same top, same order, cosines to 1e-6 whichever ranks (pgvector in SQL or numpy), the
    other collection's vectors left out; lexical hits outside the top get their cosine too."""
    cid, vectors = _with_vectors(store, "v", 240, seed=1)
    _, others = _with_vectors(store, "autre", 60, seed=2)
    for query in _queries(3):
        expected = _numpy_top(vectors, query, 20)
        outside = [c for c, _ in _numpy_top(vectors, query, 240)[-3:]]
        top, sims, retriever = _retriever_top(store, cid, query, 20, store.hits(outside))
        assert top == [c for c, _ in expected]
        assert [sims[c] for c in top] == pytest.approx([s for _, s in expected], abs=1e-6)
        assert [sims[c] for c in outside] == pytest.approx(
            [float(vectors[c] @ query) for c in outside], abs=1e-6)
        assert not set(sims) & set(others)
    if is_postgres(target) and store.has_pgvector():
        assert store.uses_pgvector() and store.last_dense == "exact"
        assert retriever.index._cache == {}  # no process-side matrix
    else:
        assert store.nearest(cid, "m", query, 20) is None
        assert retriever.index._cache  # numpy over the blobs read from the store


def _require_pgvector(store) -> None:
    if not store.has_pgvector():
        pytest.skip("pgvector absent du serveur (scripts/install_pgvector.sh)")


def _columns_of(store, table: str) -> set[str]:
    return {r[0] for r in store.conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ?", (table,)).fetchall()}


def test_pgvector_is_used_when_available_and_bytea_with_numpy_otherwise(pg_url, monkeypatch):
    from clos.store import pg_vectors

    off = store_at(pg_url + "&pgvector=off")  # as on a server without the extension
    _require_pgvector(off)
    cid, vectors = _with_vectors(off, "v", 240, seed=4)
    assert not off.uses_pgvector() and "embedding" not in _columns_of(off, "chunk_vectors")
    assert 12 not in {r[0] for r in off.conn.execute("SELECT number FROM schema_migrations")}
    query = _queries(5, n=1)[0]
    expected = _numpy_top(vectors, query, 20)
    top, _, retriever = _retriever_top(off, cid, query, 20)
    assert off.nearest(cid, "m", query, 20) is None and retriever.index._cache
    assert top == [c for c, _ in expected]
    off.close()

    on = store_at(pg_url)  # the same schema once the extension is there: 012, then filled
    assert on.uses_pgvector() and "embedding" in _columns_of(on, "chunk_vectors")
    assert on.conn.execute("SELECT COUNT(*) FROM chunk_vectors WHERE embedding IS NULL"
                           ).fetchone()[0] == 0
    top, sims, retriever = _retriever_top(on, cid, query, 20)
    assert top == [c for c, _ in expected] and on.last_dense == "exact"
    assert [sims[c] for c in top] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert retriever.index._cache == {}

    # Above the size, through the model's HNSW index (ef_search ≥ these 240 vectors: exact).
    assert on.index_vectors("m") is None  # below HNSW_MIN_VECTORS: no index
    name = on.index_vectors("m", minimum=1)
    assert name and on.index_vectors("m") == name
    monkeypatch.setattr(pg_vectors, "HNSW_MIN_VECTORS", 100)
    got = on.nearest(cid, "m", query, 20)
    assert on.last_dense == "hnsw" and [c for c, _ in got] == [c for c, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)
    plan = "\n".join(r[0] for r in on.conn.execute(
        "EXPLAIN SELECT chunk_id FROM chunk_vectors WHERE model = 'm' ORDER BY"
        " (embedding::vector(32)) <=> ?::vector(32) LIMIT 20",
        (pg_vectors.vector_text(query.tobytes()),)).fetchall())
    assert name in plan
    on.close()
