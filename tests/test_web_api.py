"""The real server on loopback, through HTTP: logins, tokens, rights on every route, uploads,
the busy answer, the OpenAI-compatible API with the official client (real gemma3-270m), and
schemathesis on the OpenAPI description."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from clos.errors import BusyError
from webserver import PASSWORD, PDF_NAME, QUESTION, SECRET_TEXT, csrf_of, session, start

FORBIDDEN_WORDS = ("finances", "Horizon", "48 000", "budget-confidentiel")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start(tmp_path_factory.mktemp("web-api"))
    yield srv
    srv.stop()


def client(server, user: str | None = "agent") -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.tokens[user]}"} if user else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=600)


def no_leak(text: str) -> None:
    for word in FORBIDDEN_WORDS:
        assert word not in text, f"« {word} » a fuité"


def test_pages_and_api_need_a_login(server):
    with client(server, None) as c:
        r = c.get("/discuter", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/connexion"
        r = c.get("/v1/models")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "Jeton" in r.json()["error"]["message"]
        assert c.get("/api/collections").status_code == 401
        r = c.get("/connexion")
        assert r.status_code == 200 and '<html lang="fr">' in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        token = csrf_of(r.text)
        r = c.post("/connexion", data={"name": "agent", "password": "faux", "csrf_token": token})
        assert r.status_code == 401 and "incorrect" in r.text
        token = csrf_of(r.text)
        r = c.post("/connexion", data={"name": "agent", "password": PASSWORD,
                                       "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/discuter?collection=rh").status_code == 200
        # A form posted from another site is refused even with the session and its token.
        token = csrf_of(c.get("/discuter").text)
        r = c.post("/collections", data={"name": "pirate", "csrf_token": token},
                   headers={"Origin": "http://evil.example"})
        assert r.status_code == 403


def test_state_changing_requests_need_the_session_csrf_token(server):
    """Forms and fetch requests carried by the session cookie must send the session's token
    (form field or X-CSRF-Token): without it, or with another session's, HTTP 403 in French;
    API callers with a Bearer token need none (a browser never adds that header by itself)."""
    with httpx.Client(base_url=server.url, timeout=600) as c:
        r = c.post("/connexion", data={"name": "agent", "password": PASSWORD})
        assert r.status_code == 403 and "Jeton de sécurité" in r.text  # login CSRF too
    with session(server, "admin") as admin, session(server, "agent") as agent:
        token = csrf_of(admin.get("/documents").text)
        other = csrf_of(agent.get("/documents").text)
        assert token != other
        for data in ({"name": "sans-jeton"}, {"name": "autre-jeton", "csrf_token": other},
                     {"name": "jeton-vide", "csrf_token": ""}):
            r = admin.post("/collections", data=data, follow_redirects=False)
            assert r.status_code == 403, data
            assert "Jeton de sécurité absent ou périmé" in r.text
            assert '<html lang="fr">' in r.text  # the error page, in French
        names = [c["name"] for c in server.service.store.collections()]
        assert not {"sans-jeton", "autre-jeton", "jeton-vide"} & set(names)
        # With the token the request reaches the route (which refuses this name on its own).
        r = admin.post("/collections", data={"name": "nom invalide !", "csrf_token": token},
                       follow_redirects=False)
        assert r.status_code == 400 and "Nom de collection invalide" in r.text
        # fetch() from the page: JSON API through the session, token in the header.
        r = agent.post("/api/ask", json={"question": "Une question ?", "collection": "rh"})
        assert r.status_code == 403
        assert r.json() == {"detail": "Jeton de sécurité absent ou périmé : rechargez la page "
                                      "puis recommencez."}
        r = agent.delete("/api/documents/999999")
        assert r.status_code == 403
        r = agent.delete("/api/documents/999999", headers={"X-CSRF-Token": other})
        assert r.status_code == 404 and r.json()["detail"] == "Document inconnu."
        # Multipart upload form: the token travels as one of its fields.
        r = agent.post("/documents/televerser", data={"collection": "rh"},
                       files=[("files", ("a.txt", b"texte"))])
        assert r.status_code == 403
        r = agent.post("/deconnexion", follow_redirects=False)
        assert r.status_code == 403  # logging someone out is a state change too
        r = agent.post("/deconnexion", data={"csrf_token": other}, follow_redirects=False)
        assert r.status_code == 303
    with client(server, "agent") as api:  # Bearer token: no CSRF token needed
        assert api.delete("/api/documents/999999").status_code == 404


def test_each_user_sees_only_the_collections_of_its_groups(server):
    with client(server, "agent") as c:
        assert [m["id"] for m in c.get("/v1/models").json()["data"]] == ["rh"]
        assert [x["name"] for x in c.get("/api/collections").json()] == ["rh"]
    with client(server, "autre") as c:
        assert [m["id"] for m in c.get("/v1/models").json()["data"]] == ["finances"]
    with client(server, "admin") as c:
        assert sorted(m["id"] for m in c.get("/v1/models").json()["data"]) == ["finances", "rh"]


def test_forbidden_collection_answers_like_an_absent_one_everywhere(server):
    def routes(name):
        question = "Quel montant pour Horizon ?"
        return [("POST", "/api/ask", {"json": {"question": question, "collection": name}}),
                ("POST", "/v1/chat/completions", {"json": {"model": name, "messages": [
                    {"role": "user", "content": question}]}}),
                ("GET", f"/api/documents?collection={name}", {}),
                ("GET", f"/api/report?collection={name}", {}),
                ("GET", f"/discuter?collection={name}", {}),
                ("GET", f"/documents?collection={name}", {}),
                ("GET", f"/rapport?collection={name}", {}),
                ("GET", f"/rapport/contenu?collection={name}", {})]

    with client(server, "agent") as api, session(server, "agent") as pages:
        for forbidden, absent in zip(routes("finances"), routes("nulle-part")):
            bodies = []
            for (method, url, kw), name in ((forbidden, "finances"), (absent, "nulle-part")):
                c = api if url.startswith(("/api", "/v1")) else pages
                r = c.request(method, url, **kw)
                assert r.status_code == 404, (url, r.status_code)
                assert "Collection inconnue" in r.text
                bodies.append(r.text.replace(name, "X"))
                no_leak(r.text.replace("« finances »", "").replace("=finances", ""))
            assert bodies[0] == bodies[1], forbidden[1]
        assert "finances" not in pages.get("/discuter").text
        assert "finances" not in pages.get("/documents").text
        # The finances document's id is not reachable either.
        other = server.service.store.documents(server.service.store.collection_id("finances"))[0]
        token = {"X-CSRF-Token": csrf_of(pages.get("/discuter").text)}
        for c, headers in ((api, {}), (pages, token)):
            r = c.delete(f"/api/documents/{other['id']}", headers=headers)
            assert r.status_code == 404 and r.json()["detail"] == "Document inconnu."
        assert server.service.store.document(other["id"]) is not None


def test_pseudonyms_are_revealed_to_administrators_only_and_audited(server):
    with client(server, "autre") as c:  # reads finances, is no administrator
        r = c.get("/api/pseudonyms", params={"collection": "finances"})
        assert r.status_code == 404 and "administrateurs" in r.json()["detail"]
    with client(server, "admin") as c:
        r = c.get("/api/pseudonyms", params={"collection": "finances"})
        assert r.status_code == 200 and isinstance(r.json(), list)
    (entry,) = [e for e in server.service.accounts.audit_log(user="admin")
                if e["action"] == "reveal"]
    assert entry["detail"]["count"] == len(r.json())


def test_upload_checks_each_file_and_names_it(server):
    big = b"x" * (server.settings.upload_max_mb * 1024 * 1024 + 1)
    files = [("files", ("note.txt", "Note de service : la cantine ferme à 14 heures.".encode())),
             ("files", ("virus.exe", b"MZ...")), ("files", ("vide.txt", b"")),
             ("files", ("enorme.txt", big))]
    with client(server, "agent") as c:
        r = c.post("/api/documents", data={"collection": "rh"}, files=files)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["indexed"] == ["note.txt"]
        reasons = {e["file"]: e["reason"] for e in body["errors"]}
        assert reasons["virus.exe"] == "format non pris en charge (.exe)"
        assert reasons["vide.txt"] == "fichier vide"
        assert reasons["enorme.txt"].startswith("fichier trop volumineux")
        docs = c.get("/api/documents", params={"collection": "rh"}).json()
        assert [d["name"] for d in docs] == ["note.txt"]
    with session(server, "agent") as pages:  # the folder's status on the Documents page
        html = pages.get("/documents?collection=rh").text
        assert "Dernière indexation" in html and "1 indexé(s)" in html
    with client(server, "agent") as c:
        assert c.delete(f"/api/documents/{docs[0]['id']}").json() == {"deleted": "note.txt"}
        assert c.get("/api/documents", params={"collection": "rh"}).json() == []
    with client(server, "autre") as c:  # read-only on finances
        r = c.post("/api/documents", data={"collection": "finances"},
                   files=[("files", ("a.txt", b"texte"))])
        assert r.status_code == 404 and "modifier" in r.json()["detail"]
    actions = [e["action"] for e in server.service.accounts.audit_log(user="agent")]
    assert "upload" in actions and "delete" in actions


def test_a_full_queue_answers_busy_with_retry_after(server):
    scheduler, gate = server.service.scheduler, threading.Event()
    held = []
    try:
        def fill():
            while True:
                try:
                    held.append(scheduler.submit(f"charge{len(held)}", gate.wait))
                except BusyError:
                    return

        fill()  # every waiting place, then the one the worker freed by taking the first job
        while not held[0].future.running():
            time.sleep(0.01)
        fill()
        with client(server, "agent") as c:
            r = c.post("/api/ask", json={"question": "Une question ?", "collection": "rh"})
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        assert "occupé" in r.json()["detail"]
    finally:
        gate.set()
        for t in held:
            t.result(timeout=30)


def test_the_stream_tells_the_queue_position_then_answers(server):
    scheduler, gate = server.service.scheduler, threading.Event()
    blocker = scheduler.submit("quelquun", gate.wait)
    events = []
    try:
        with client(server, "agent") as c, c.stream(
                "POST", "/api/ask", json={"question": "Zorglub xylophone quantique ?",
                                          "collection": "rh", "stream": True}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            event = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, __import__("json").loads(line[6:])))
                    if event == "queue" and not gate.is_set():
                        assert events[-1][1]["position"] == 1  # behind the job running
                        gate.set()
    finally:
        gate.set()
        blocker.result(timeout=30)
    kinds = [e for e, _ in events]
    assert kinds[0] == "queue" and kinds[-1] in ("answer", "error")
    if kinds[-1] == "answer":  # the collection may be empty at this point: both are answers
        assert events[-1][1]["refused"] is True


@pytest.mark.slow
def test_openai_client_gets_answers_with_their_sources(server, shared):
    from openai import NotFoundError, OpenAI

    pdf = shared / "corpus" / "deliberations-montpellier" / "pdf" / PDF_NAME
    with client(server, "agent") as c:
        r = c.post("/api/documents", data={"collection": "rh"},
                   files=[("files", (PDF_NAME, pdf.read_bytes(), "application/pdf"))])
        assert r.json()["indexed"] == [PDF_NAME]
    api = OpenAI(base_url=server.url + "/v1", api_key=server.tokens["agent"], max_retries=0,
                 timeout=600)
    assert [m.id for m in api.models.list()] == ["rh"]
    done = api.chat.completions.create(model="rh", messages=[
        {"role": "system", "content": "Réponds en français."},
        {"role": "user", "content": QUESTION}])
    extra = done.model_extra["clos"]
    assert done.choices[0].message.content and done.usage.completion_tokens > 0
    assert extra["refused"] is False and extra["citations"], extra
    cite = extra["citations"][0]
    assert cite["source"].endswith(PDF_NAME) and cite["page"] and cite["quote"]
    assert extra["impact"]["energy_wh"] > 0
    # The same through the JSON API, then its « how it was made » record, owner only.
    with client(server, "agent") as c:
        answer = c.get(f"/api/answers/{extra['id']}").json()
        assert answer["question"] == QUESTION and answer["collection"] == "rh"
    with client(server, "autre") as c:
        assert c.get(f"/api/answers/{extra['id']}").status_code == 404
    # Streaming: draft tokens, then a final chunk carrying the checked answer and its sources.
    chunks = list(api.chat.completions.create(model="rh", stream=True, messages=[
        {"role": "user", "content": "Quelle est la couleur préférée du maire de Montpellier ?"}]))
    final = chunks[-1].model_extra["clos"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert final["refused"] is True and final["citations"] == []
    assert final["answer"] == "Je n'ai pas trouvé cette information dans les documents."
    with pytest.raises(NotFoundError) as err:
        api.chat.completions.create(model="finances", messages=[{"role": "user",
                                                                 "content": "Horizon ?"}])
    assert "Collection inconnue" in str(err.value)
    no_leak(str(err.value).replace("« finances »", ""))


def test_openapi_holds_under_schemathesis(server):
    """Every GET operation of the OpenAPI description, a few generated cases each (bounded:
    5 examples per operation, loopback): no server error, responses as described, no leak.
    POST routes call the model or index files: the other tests of this file drive them."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(server.url + "/api/openapi.json")
    auth = {"Authorization": f"Bearer {server.tokens['agent']}"}
    seen = []
    for result in schema.include(method="GET").get_all_operations():
        operation = result.ok()

        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=auth)
            case.validate_response(response)
            no_leak(response.text)
            seen.append(case.path)

        check()
    assert {"/api/collections", "/api/documents", "/api/answers/{answer_id}",
            "/v1/models"} <= set(seen)


def test_the_streamed_draft_drops_the_prompt_scaffolding():
    """A small model sometimes echoes the excerpt fences (« >>> ») before it answers: the
    draft streamed to the page (and to OpenAI clients) never shows them, even split across
    tokens; a lone « > » that is no fence is kept."""
    from clos.answer.compose import Unscaffold

    u = Unscaffold()
    pieces = [">>", "> Le montant", " est de 15,25 €", " [1]", ". >", ">", "> ", "<<", "<fin",
              " si a > b", " [passage retiré par Clos : consigne adressée à l'assistant]", " >"]
    shown = [u.feed(p) for p in pieces] + [u.flush()]
    assert "".join(shown) == " Le montant est de 15,25 € [1].  fin si a > b  >"
    assert shown[0] == ""  # held, not flashed, until the next token settles it
