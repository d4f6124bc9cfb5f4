"""`clos serve` as a department deploys it, through HTTP on loopback: accounts on a PostgreSQL
store (log in, the session, a token, the audit log; and test_web_api's route-level rights tests
again, on a server whose store is PostgreSQL), the posture shown on every page with what it
forbids (« À propos »), and uploads made dense-searchable in the background."""

from __future__ import annotations

import httpx

import pytest

from clos.posture import POSTURES, PRUDENT_MIN_RELEVANCE
from webserver import csrf_of, session, start

from test_store_contract import pg_url  # noqa: F401  (fixture: a fresh PostgreSQL schema)
# Rights on every route, logins, uploads, reveals: run again here on PostgreSQL (``server``).
from test_web_api import (  # noqa: F401
    test_each_user_sees_only_the_collections_of_its_groups,
    test_forbidden_collection_answers_like_an_absent_one_everywhere,
    test_pages_and_api_need_a_login,
    test_pseudonyms_are_revealed_to_administrators_only_and_audited,
    test_state_changing_requests_need_the_session_csrf_token,
    test_upload_checks_each_file_and_names_it,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """webserver.start on a PostgreSQL schema of its own (the module's tests share it)."""
    import uuid

    from test_store_contract import PG_URL, drop_schema, forget_vault_key, require_postgres

    require_postgres()
    schema = f"clos_test_{uuid.uuid4().hex[:12]}"
    srv = start(tmp_path_factory.mktemp("web-pg"), CLOS_STORE=f"{PG_URL}?schema={schema}")
    yield srv
    srv.stop()
    forget_vault_key(schema)
    drop_schema(schema)


def test_accounts_and_login_work_on_a_postgres_store(pg_url, tmp_path):
    srv = start(tmp_path / "data", CLOS_STORE=pg_url)
    try:
        store = srv.service.store
        assert type(store).__name__ == "PostgresStore"
        assert {u["name"] for u in store.users()} == {"agent", "autre", "admin"}
        with httpx.Client(base_url=srv.url, timeout=120) as anonymous:
            token = csrf_of(anonymous.get("/connexion").text)
            r = anonymous.post("/connexion", data={"name": "agent", "password": "faux",
                                                   "csrf_token": token})
            assert r.status_code == 401 and "incorrect" in r.text
            assert anonymous.get("/discuter", follow_redirects=False).status_code == 303
        with session(srv, "agent") as c:
            page = c.get("/discuter?collection=rh")
            assert page.status_code == 200 and "agent" in page.text
            assert c.get("/discuter?collection=finances").status_code == 404
            assert [x["name"] for x in c.get("/api/collections").json()] == ["rh"]
        with session(srv, "autre") as c:  # the document uploaded at start, read back from PG
            docs = c.get("/documents?collection=finances")
            assert docs.status_code == 200 and "budget-confidentiel.txt" in docs.text
        api = httpx.get(f"{srv.url}/v1/models", timeout=60,
                        headers={"Authorization": f"Bearer {srv.tokens['admin']}"})
        assert sorted(m["id"] for m in api.json()["data"]) == ["finances", "rh"]
        actions = [e["action"] for e in store.audit_entries(user="agent")]
        assert actions.count("login") == 1 and actions.count("login_failed") == 1
        rows = store.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        assert rows >= 4  # in PostgreSQL itself: logins, the upload, the collections
    finally:
        srv.stop()


def test_every_page_names_the_posture_and_about_lists_what_it_forbids(tmp_path):
    srv = start(tmp_path / "data", CLOS_POSTURE="prudente",
                CLOS_MIN_RELEVANCE=str(PRUDENT_MIN_RELEVANCE))
    try:
        prudente = POSTURES["prudente"]
        with httpx.Client(base_url=srv.url, timeout=120) as anonymous:
            footer = anonymous.get("/connexion").text
            assert 'id="posture"' in footer and f">{prudente.label}</strong>" in footer
            assert f"({len(prudente.forbids)} interdiction(s))" in footer
            assert anonymous.get("/a-propos", follow_redirects=False).status_code == 303
        with session(srv, "agent") as c:
            assert f">{prudente.label}</strong>" in c.get("/discuter").text
            about = c.get("/a-propos")
            assert about.status_code == 200 and "<h1>À propos</h1>" in about.text
            for item in prudente.forbids:  # as written, escaped by the template
                assert item.replace("'", "&#39;") in about.text
            assert "Aucun : les modèles tournent sur cette machine" in about.text
            c.cookies.set("lang", "en")
            english = c.get("/a-propos").text
            assert "What it forbids" in english and '<ul id="posture-forbids" lang="fr">' in english
    finally:
        srv.stop()


NOTE = ("Note de service. Les agents qui utilisent leur véhicule personnel pour une mission "
        "sont indemnisés selon le barème kilométrique fixé par arrêté ministériel. La demande "
        "est adressée au service des ressources humaines avec l'ordre de mission signé.")


def test_an_upload_becomes_dense_searchable_in_the_background(tmp_path):
    """Uploaded through HTTP, indexed by words at once; its vectors follow with no manual
    step (the upload's own report has none), and a search then ranks it by similarity. Chunks
    left without vectors before the server started get theirs too."""
    from clos.pipeline import Clos
    from webserver import make_settings

    # Chunks an earlier run left without vectors (a `clos ingest` killed in its vectors phase).
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "ancienne-note.txt").write_text(NOTE, encoding="utf-8")
    settings = make_settings(tmp_path / "data", CLOS_EMBEDDER="multilingual-e5-small")
    with Clos(settings) as before:
        assert before.ingest([tmp_path / "old"], collection="archives", vectors=False).chunks
    srv = start(tmp_path / "data", CLOS_EMBEDDER="multilingual-e5-small")
    try:
        clos = srv.service.clos
        assert srv.service.vectors.wait_idle(300)  # the start-up pass over existing chunks
        archives = clos.store.collection_id("archives", create=False)
        assert clos.store.pending_vectors(archives, clos.embedder.name, 10) == []
        with httpx.Client(base_url=srv.url, timeout=600,
                          headers={"Authorization": f"Bearer {srv.tokens['agent']}"}) as c:
            r = c.post("/api/documents", data={"collection": "rh"},
                       files={"files": ("note-frais.txt", NOTE.encode(), "text/plain")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["indexed"] == ["note-frais.txt"] and body["report"]["vectors"] == 0
        cid = clos.store.collection_id("rh")
        assert srv.service.vectors.wait_idle(300), "les vecteurs n'ont pas été calculés"
        assert clos.store.pending_vectors(cid, clos.embedder.name, 10) == []
        ids, _ = clos.store.vectors(cid, clos.embedder.name)
        assert ids and srv.service.vectors.done >= len(ids)
        with session(srv, "agent") as c:  # the Documents page says so
            status = c.get("/documents?collection=rh").text
        assert f"{len(ids)} extrait(s) sur {len(ids)} ont leur vecteur" in status
        assert "arrière-plan" not in status
        # Words the note does not hold: found by similarity, with its cosine.
        hits = clos.retriever.search(cid, "remboursement des trajets en voiture", 3)
        assert hits and hits[0].path.endswith("note-frais.txt")
        assert hits[0].similarity is not None and hits[0].similarity > 0.5
    finally:
        srv.stop()
