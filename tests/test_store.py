import pytest

from clos.errors import StoreError

from clos.retrieve.analyzer import analyze
from clos.store.sqlite import SQLiteStore, migrations
from clos.types import Answer, Chunk, Citation, Document, Section, Timings, Usage


def _doc(path, text, title="Titre"):
    return Document(path=path, title=title, format="txt", sections=[Section(text)],
                    content_hash=f"h-{path}-{len(text)}")


def _put(store, cid, doc):
    chunks = [Chunk(text=s.text, ordinal=i, page=1, heading_path=("Chapitre",), tokens=10)
              for i, s in enumerate(doc.sections)]
    terms = [(" ".join(analyze(c.text)), " ".join(analyze(doc.title))) for c in chunks]
    return store.replace_document(cid, doc, chunks, terms, size=len(doc.text))


def test_migrations_are_numbered_and_applied_once(tmp_path):
    numbers = [n for n, _, _ in migrations()]
    assert numbers == sorted(numbers) and numbers[0] == 1
    store = SQLiteStore(tmp_path / "db.sqlite3")
    assert store.schema_version() == numbers[-1]
    store.close()
    again = SQLiteStore(tmp_path / "db.sqlite3")
    rows = again.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert rows == len(numbers)
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_replace_search_and_delete(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3")
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
    assert store.delete_documents([a2]) == 1
    assert store.search(cid, '"kilometr"', 10) == []
    assert store.chunk_count(cid) == 1
    assert store.conn.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0] == 1


def test_collections_are_isolated(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3")
    one, two = store.collection_id("un"), store.collection_id("deux")
    _put(store, one, _doc("/x.txt", "subvention association sportive"))
    assert store.search(two, '"subvent"', 5) == []
    assert len(store.search(one, '"subvent"', 5)) == 1


def test_answers_and_runs_are_logged(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3")
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
    r = store.conn.execute("SELECT * FROM ingest_runs WHERE id=?", (run,)).fetchone()
    assert r["files_seen"] == 3 and r["finished_at"]


def test_fts_query_syntax_in_terms_is_harmless(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3")
    cid = store.collection_id("c")
    _put(store, cid, _doc("/a.txt", "article L.2121-29 du code"))
    assert len(store.search(cid, '"2121_29"', 5)) == 1
    with pytest.raises(StoreError, match="La recherche a échoué"):
        store.search(cid, 'NEAR(', 5)


def test_chunk_count_is_kept_until_this_or_another_connection_writes(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3")
    cid = store.collection_id("rh")
    _put(store, cid, _doc("/a.txt", "Les frais de déplacement des agents sont remboursés."))
    assert store.chunk_count() == 1
    statements = []
    store.conn.set_trace_callback(statements.append)
    assert store.chunk_count() == 1 and not any("COUNT" in s for s in statements)
    _put(store, cid, _doc("/b.txt", "Le budget primitif est voté en mars."))  # this connection
    assert store.chunk_count() == 2
    other = SQLiteStore(tmp_path / "db.sqlite3")  # another process or thread
    _put(other, other.collection_id("rh"), _doc("/c.txt", "Le CCAS anime la prévention."))
    other.close()
    assert store.chunk_count() == 3
    store.close()


def test_a_driver_error_leaves_every_role_as_a_french_store_error(tmp_path):
    from clos.govern import allow_list
    from clos.impact import ledger

    store = SQLiteStore(tmp_path / "db.sqlite3")
    cid = store.collection_id("c")
    store.conn.execute("DROP TABLE governance_allowlist")
    store.conn.execute("DROP TABLE impacts")
    with pytest.raises(StoreError, match="Erreur de la base de données") as err:
        allow_list(store, cid)
    assert "governance_allowlist" in str(err.value.__cause__)
    with pytest.raises(StoreError, match="Erreur de la base de données"):
        ledger.summary(store)


def test_no_sql_outside_the_store():
    """ALL SQL lives in clos/store: no module elsewhere reaches for a connection."""
    from pathlib import Path

    import clos

    root = Path(clos.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("store/") or rel == "retrieve/embedders.py":  # its own cache file
            continue
        text = path.read_text(encoding="utf-8")
        if ".conn." in text or "store.conn" in text or "import sqlite3" in text:
            offenders.append(rel)
    assert offenders == []
