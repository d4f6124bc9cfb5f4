"""Reading reports and unreviewed documents (migration 006), on both backends through the store
contract's fixtures (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

from test_store_contract import _doc, _put, pg_url, store, target  # noqa: F401  (fixtures)


def test_reading_reports_replace_list_and_forget(store):  # noqa: F811
    cid = store.collection_id("courrier")
    notes = [{"kind": "page_without_text", "message": "Page(s) sans texte non lue(s) : 2",
              "page": 2, "detail": {"pages": [2]}}]
    store.save_reading_report(cid, "/a.pdf", "partial", ["page 2 non lue"], notes)
    store.save_reading_report(cid, "/b.docx", "failed", ["fichier DOCX corrompu"], [])
    store.save_reading_report(cid, "/a.pdf", "indexed", [], [])  # read again, whole this time
    reports = store.reading_reports(cid)
    assert [(r["path"], r["status"], r["reasons"]) for r in reports] == [
        ("/a.pdf", "indexed", []), ("/b.docx", "failed", ["fichier DOCX corrompu"])]
    assert store.reading_reports(store.collection_id("autre")) == []
    store.forget_reading_reports(cid, ["/b.docx"])
    assert [r["path"] for r in store.reading_reports(cid)] == ["/a.pdf"]


def test_documents_without_review_are_listed(store):  # noqa: F811
    cid = store.collection_id("rh")
    doc_id = _put(store, cid, _doc("/note.txt", "Les congés sont posés en ligne."))
    assert store.unreviewed_paths(cid) == ["/note.txt"]
    store.save_review(cid, doc_id, {"path": "/note.txt", "decision": "index",
                                    "pii_policy": "pseudonymise"}, [], [])
    assert store.unreviewed_paths(cid) == []
