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


def test_threads_opening_a_new_database_at_once_all_get_it(tmp_path):
    """`clos serve`'s threads (and two processes) may open a new index together: one migrates,
    the others wait and find it done; a collection created by two at once is one row."""
    import threading

    for attempt in range(10):
        store, errors, ids = SQLiteStore(tmp_path / f"db{attempt}.sqlite3"), [], []

        def first_use():
            try:
                ids.append(store.collection_id("rh"))
            except StoreError as exc:  # before: « table … already exists », « locked »
                errors.append(exc)

        threads = [threading.Thread(target=first_use) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(set(ids)) == 1 and len(ids) == 4
        assert store.schema_version() == migrations()[-1][0]
        store.close()


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


def test_an_answer_is_read_back_with_its_key_passage_and_trace(tmp_path):
    from clos.types import AnswerTrace

    store = SQLiteStore(tmp_path / "db.sqlite3")
    cid = store.collection_id("c")
    key = Citation(0, "/a.pdf", 2, "Le repas est facturé 3,85 €.", 5)
    trace = AnswerTrace(terms=["repas"], hits=[{"rank": 1, "chunk_id": 5, "in_prompt": True}],
                        prompt={"system": "S", "user": "U"}, raw_output="3,85 € [1]",
                        sentences=[{"text": "3,85 €", "supported": True,
                                    "facts_found": ["3,85 €"], "facts_missing": []}],
                        decision={"refused": False, "signals": {"coverage": 0.8}})
    answer = Answer(question="Combien ?", answer="3,85 € [1].", refused=False,
                    citations=[Citation(1, "/a.pdf", 2, "citation", 5)], model="m",
                    usage=Usage(100, 20), timings=Timings(0.01, 1.0, 2.0), key_passage=key,
                    verified=True, warnings=["w"], grounding=0.9, trace=trace)
    back = store.answer(store.log_answer(cid, answer))
    assert back.key_passage == key and back.verified and back.trace == trace
    assert back.citations == answer.citations and back.warnings == ["w"] and back.id
    refusal = Answer(question="Q ?", answer="Non.", refused=True, citations=[], model="m",
                     usage=Usage(), timings=Timings(), closest=[key], refusal_reason="silence")
    back = store.answer(store.log_answer(cid, refusal))
    assert back.refused and back.closest == [key] and back.refusal_reason == "silence"
    assert back.trace is None and store.answer(10_000) is None and store.schema_version() >= 10
