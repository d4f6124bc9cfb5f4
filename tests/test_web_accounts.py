"""Accounts, rights, the fair queue, the source view and the CLI around `clos serve`
(library level: real SQLite and real PostgreSQL for the accounts, real PDF, real threads; no
model)."""

from __future__ import annotations

import threading

import pytest
from typer.testing import CliRunner

from clos.accounts import LOCAL, Accounts, User, check_bind
from clos.cli.main import app
from clos.errors import AccessError, BusyError, ClosError, StoreError
from clos.scheduler import FairScheduler
from clos.sourceview import quote_parts, view
from clos.store import open_store

from test_store_contract import pg_url, target  # noqa: F401  (fixtures: both backends)

PDF = "corpus/deliberations-montpellier/pdf/2014-04-24-0000071251.pdf"


@pytest.fixture
def accounts(settings, target):
    """Accounts on a SQLite file, then on a PostgreSQL schema (``target``)."""
    store = open_store(settings.replace(store=target))
    yield Accounts(store)
    store.close()


def test_passwords_are_hashed_and_checked(accounts):
    assert not accounts.enabled
    accounts.add_user("agent", "mot-de-passe-1", ["rh"])
    assert accounts.enabled
    row = accounts.store.user("agent")
    assert row["password_hash"].startswith("$argon2id$") and "mot-de-passe-1" not in row["password_hash"]
    assert accounts.authenticate("agent", "mot-de-passe-1") == User("agent", ("rh",))
    assert accounts.authenticate("agent", "mauvais-mot") is None
    assert accounts.authenticate("personne", "mot-de-passe-1") is None
    actions = [e["action"] for e in accounts.audit_log(user="agent")]
    assert actions.count("login") == 1 and actions.count("login_failed") == 1
    with pytest.raises(StoreError, match="existe déjà"):
        accounts.add_user("agent", "mot-de-passe-2", [])
    with pytest.raises(AccessError, match="trop court"):
        accounts.add_user("bref", "court", [])


def test_tokens_are_shown_once_and_stored_as_digests(accounts):
    accounts.add_user("agent", "mot-de-passe-1", ["rh"])
    token = accounts.new_token("agent", "tableur")
    assert token.startswith("clos_") and len(token) > 40
    assert accounts.user_for_token(token).name == "agent"
    assert accounts.user_for_token(token + "x") is None
    assert token not in str(accounts.store.conn.execute("SELECT * FROM api_tokens").fetchall())


def test_forbidden_and_absent_collections_say_the_same(accounts):
    store = accounts.store
    store.collection_id("rh")
    store.collection_id("finances")
    accounts.add_user("agent", "mot-de-passe-1", ["rh"])
    accounts.grant("rh", "rh", read=True)
    agent = accounts.user("agent")
    assert accounts.readable(agent) == ["rh"]
    assert accounts.require(agent, "rh") == store.collection_id("rh")
    messages = []
    for name in ("finances", "inexistante"):
        with pytest.raises(AccessError) as err:
            accounts.require(agent, name)
        messages.append(err.value.message.replace(name, "X"))
    assert messages[0] == messages[1] == "Collection inconnue : « X »."
    with pytest.raises(AccessError, match="ne pouvez pas modifier"):
        accounts.require(agent, "rh", write=True)
    assert accounts.readable(LOCAL) == ["finances", "rh"]
    accounts.grant("rh", "rh", read=False, write=False)
    assert accounts.readable(agent) == []


def test_binding_beyond_loopback_needs_accounts():
    check_bind("127.0.0.1", False)
    with pytest.raises(ClosError, match="aucun compte"):
        check_bind("0.0.0.0", False)
    check_bind("0.0.0.0", True)


def test_queue_is_fair_between_users_and_says_busy():
    scheduler = FairScheduler(max_waiting=4, per_user=3)
    gate, ran = threading.Event(), []
    try:
        blocker = scheduler.submit("x", gate.wait)  # occupies the one worker
        while blocker.position() != 0 or not blocker.future.running():
            pass
        a = [scheduler.submit("a", lambda i=i: ran.append(f"a{i}")) for i in range(3)]
        b = scheduler.submit("b", lambda: ran.append("b0"))
        assert [t.position() for t in a] == [1, 3, 4] and b.position() == 2
        with pytest.raises(BusyError, match="occupé") as busy:
            scheduler.submit("c", lambda: None)
        assert busy.value.retry_after >= 1
        assert a[2].cancel() and a[2].future.cancelled()
        gate.set()
        for t in (*a[:2], b):
            t.result(timeout=10)
        assert ran == ["a0", "b0", "a1"]
    finally:
        gate.set()
        scheduler.close()


def test_quote_parts_split_joins_and_placeholders():
    quote = "Le conseil municipal approuve [PERSONNE_2] le règlement […] un montant de 15,25 €…"
    assert quote_parts(quote) == ["Le conseil municipal approuve", "le règlement",
                                  "un montant de 15,25 €"]


def test_pdf_source_view_highlights_the_quote_on_its_page(shared):
    import pymupdf

    path = shared / PDF
    where = {"path": str(path), "title": "délibération", "format": "pdf", "page": 1, "text": ""}
    quote = "montant forfaitaire de 15,25€ par repas […] remboursement des frais de repas"
    v = view(where, quote, cited_page=1)  # cited on page 1, the words stand on page 2
    assert v.found and v.page == 2 and v.cited_page == 1
    with pymupdf.open(path) as doc:
        page_text = " ".join(doc[v.page - 1].get_text().split())
        assert not doc[0].search_for("montant forfaitaire de 15,25€")
    assert any("15,25" in w for w in v.words)
    for words in v.words:  # every highlighted box holds words of the quote, on the page shown
        assert " ".join(words.split()) in page_text
        assert set(words.lower().split()) & set(quote.lower().split())
    missing = view(where, "une phrase que ce document ne contient nulle part", cited_page=1)
    assert not missing.found and missing.page == 1 and missing.text


def test_text_source_view_marks_the_passage():
    where = {"path": "/nulle/part/note.txt", "title": "note", "format": "txt", "page": None,
             "text": "Premier point.\nLe montant   est de 12 euros\npar repas. Fin."}
    v = view(where, "Le montant est de 12 euros par repas", None)
    assert v.found
    (start, end), = v.spans
    assert v.text[start:end].split() == "Le montant est de 12 euros par repas".split()


def test_cli_accounts_grants_audit_and_bind_refusal(settings, target, monkeypatch):
    """The same commands on a SQLite file and on PostgreSQL (``CLOS_STORE``)."""
    monkeypatch.setenv("CLOS_STORE", target)
    settings = settings.replace(store=target)
    runner = CliRunner()
    out = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert out.exit_code == 1 and "aucun compte" in out.output
    out = runner.invoke(app, ["user", "add", "agent", "--group", "rh", "--password-stdin"],
                        input="mot-de-passe-1\n")
    assert out.exit_code == 0, out.output
    assert "« agent » créé" in out.output
    out = runner.invoke(app, ["collection", "grant", "rh", "--group", "rh", "--write"])
    assert out.exit_code == 1 and "Collection inconnue" in out.output
    store = open_store(settings)
    store.collection_id("rh")
    store.close()
    out = runner.invoke(app, ["collection", "grant", "rh", "--group", "rh", "--write"])
    assert out.exit_code == 0 and "lecture et écriture" in out.output
    token = runner.invoke(app, ["user", "token", "agent"]).output.strip()
    assert token.startswith("clos_")
    out = runner.invoke(app, ["audit", "--user", "agent", "--json"])
    assert out.exit_code == 0
    assert {"user_add", "token"} <= {e["action"] for e in __import__("json").loads(out.output)}
