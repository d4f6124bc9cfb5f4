"""`clos migrate-store`: an index copied SQLite → PostgreSQL → SQLite keeps every row (counts
and checksums), searches the same, and an interrupted copy resumes where it stopped."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from clos.cli.main import app
from clos.pipeline import Clos
from clos.retrieve.lexical import match_expression
from clos.retrieve.analyzer import analyze
from clos.store import store_at
from clos.store.copy import _primary_key, _table_names, copy_store
from clos.types import Answer, Timings, Usage

from test_pseudonym_vault import schema_text
from test_store_contract import pg_url  # noqa: F401  (fixture)

TEXTS = {
    "rh/arrete.txt": "Madame Sophie MARTIN est recrutée comme adjointe administrative. "
                     "Les frais de déplacement des agents sont remboursés par la commune.",
    "rh/BROUILLON-note.txt": "BROUILLON\n\nNote sur les astreintes des agents techniques.",
    "finances/budget.txt": "Le budget primitif est voté en mars par le conseil municipal. "
                           "Les subventions aux associations sportives sont reconduites.",
    "ecoles/cantine.txt": "Les tarifs de la restauration scolaire dépendent du quotient familial.",
}


@pytest.fixture
def source(tmp_path, settings):
    """A SQLite data folder filled by the real pipeline (governance, ledger, an answer)."""
    docs = tmp_path / "docs"
    for name, text in TEXTS.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    with Clos(settings.replace(data_dir=data)) as clos:
        clos.ingest([docs], collection="mairie")
        cid = clos.store.collection_id("mairie")
        clos.store.log_answer(cid, Answer("Q ?", "R.", False, [], "m", Usage(1, 2), Timings()))
        # Distinct unit vectors (pgvector's column is rebuilt from them in PostgreSQL).
        clos.store.add_vectors("m", [(h.chunk_id, _unit(i))
                                     for i, h in enumerate(clos.store.search(cid, '"agent"', 10))])
    return data


def _unit(i: int) -> bytes:
    import numpy as np

    return np.asarray([np.cos(i), np.sin(i), 0.5], dtype="<f4").tobytes()


def _dense(store, query):
    """(chunk id, cosine) of the collection's vectors by the store's pgvector ranking, or by
    numpy over its blobs, best first."""
    import numpy as np

    cid = store.collection_id("mairie", create=False)
    ranked = store.nearest(cid, "m", query, 10)
    if ranked is not None:
        return ranked
    ids, blobs = store.vectors(cid, "m")
    sims = [float(np.frombuffer(b, "<f4") @ query) / float(np.linalg.norm(np.frombuffer(b, "<f4")))
            for b in blobs]
    return sorted(zip(ids, sims), key=lambda p: (-p[1], p[0]))


def _search(store, question):
    cid = store.collection_id("mairie", create=False)
    return [(h.path, round(h.score, 9)) for h in
            store.search(cid, match_expression(analyze(question)), 10)]


def test_sqlite_to_postgres_and_back_loses_nothing(source, pg_url, tmp_path):
    lite, pg, back = store_at(source), store_at(pg_url), store_at(tmp_path / "back.sqlite3")
    report = copy_store(lite, pg, batch=3)
    assert all(r.same for r in report) and {r.table for r in report} >= {
        "documents", "chunks", "chunk_vectors", "governance_reviews", "governance_pseudonyms",
        "impacts", "answers", "(index lexical)"}
    assert sum(r.copied for r in report) > 20
    # The vault travels, decrypted and encrypted again under each store's key, never in clear.
    (vault,) = [r for r in report if r.table == "(pseudonymes chiffrés)"]
    assert vault.copied >= 1 and vault.source_rows == vault.target_rows >= 1
    assert "MARTIN" not in schema_text(pg)
    copy_store(pg, back)
    cid = lite.collection_id("mairie")
    people = [[(e["type"], e["n"], e["original"]) for e in s.pseudonym_vault().entries(cid)]
              for s in (lite, pg, back)]
    assert people[0] == people[1] == people[2] and ("PERSONNE", 1, "Sophie MARTIN") in people[0]
    assert back.pseudonym_vault().path == tmp_path / "pseudonyms.sqlite3"
    for question in ("frais de déplacement des agents", "budget voté en mars", "restauration scolaire"):
        assert _search(lite, question) == _search(pg, question) == _search(back, question)
        assert _search(lite, question)
    assert lite.stats()["chunks"] == pg.stats()["chunks"] == back.stats()["chunks"]
    # The vectors too: pgvector's column (when the server has it) ranks as numpy on the blobs.
    import numpy as np

    query = np.asarray([0.6, 0.8, 0.0], dtype="<f4")
    assert pg.conn.execute("SELECT COUNT(*) FROM chunk_vectors").fetchone()[0] >= 2
    expected = _dense(lite, query)
    for other in (pg, back):
        got = _dense(other, query)
        assert [c for c, _ in got] == [c for c, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert pg.last_dense == ("exact" if pg.has_pgvector() else None)
    # New rows get new ids after the copied ones.
    cid = pg.collection_id("nouvelle")
    assert cid > max(c for c in [lite.collection_id("mairie")])
    for s in (lite, pg, back):
        s.close()


class Interrupted(Exception):
    pass


def test_an_interrupted_copy_resumes(source, pg_url):
    lite, pg = store_at(source), store_at(pg_url)
    seen = []

    def stop_in_chunks(table, n):
        seen.append(table)
        if table == "governance_pii_counts":
            raise Interrupted

    with pytest.raises(Interrupted):
        copy_store(lite, pg, batch=1, progress=stop_in_chunks)
    assert "documents" in seen and "(index lexical)" not in seen
    report = copy_store(lite, pg, batch=1)
    assert all(r.same for r in report)
    copied = {r.table: r.copied for r in report}
    assert copied["documents"] == 0 and copied["(index lexical)"] > 0  # only what was missing
    again = copy_store(lite, pg)
    assert all(r.same for r in again)
    # A third run copies nothing again but the last key group of composite-key tables.
    composite = {r.table for r in again if r.table in _table_names(lite)
                 and len(_primary_key(lite, r.table)) > 1}
    assert {"chunk_vectors", "governance_pseudonyms", "governance_pii_counts"} <= composite
    assert {r.table for r in again if r.copied} <= composite
    lite.close()
    pg.close()


def test_cli_migrate_store_reports_in_french(source, pg_url, tmp_path):
    result = CliRunner().invoke(app, ["migrate-store", str(source), pg_url])
    assert result.exit_code == 0, result.output
    assert "Copie vérifiée" in result.output and "identiques" in result.output
    said = " ".join(result.output.split())
    assert re.search(r"Pseudonymes copiés : [1-9]", said)
    assert "secrets/pseudonyms-" in said.replace(" ", "")
    bad = CliRunner().invoke(app, ["migrate-store", str(source), str(source)])
    assert bad.exit_code == 1 and "même base" in bad.output


def test_the_pipeline_on_postgres_ingests_governs_and_retrieves_as_on_sqlite(source, pg_url,
                                                                              settings):
    docs = source.parent / "docs"
    with Clos(settings.replace(data_dir=source.parent / "pgdata", store=pg_url)) as clos:
        report = clos.ingest([docs], collection="mairie")
        assert report.indexed >= 3
        on_pg = [h.path for h in clos.retrieve("frais de déplacement des agents",
                                               collection="mairie")]
        rows = {r["path"]: r for r in clos.store.review_rows(clos.store.collection_id("mairie"))}
        assert any(f["kind"] == "brouillon" for r in rows.values() for f in r["flags"])
        assert "[PERSONNE_1]" in " ".join(h.text for h in clos.retrieve("adjointe administrative",
                                                                        collection="mairie"))
    with Clos(settings.replace(data_dir=source)) as clos:
        on_sqlite = [h.path for h in clos.retrieve("frais de déplacement des agents",
                                                   collection="mairie")]
    assert on_pg == on_sqlite and on_pg[0].endswith("arrete.txt")


def test_eval_retrieval_runs_on_postgres_with_the_same_figures(pg_url, tmp_path):
    """`clos eval retrieval --store postgresql://…` indexes in a scratch schema, dropped after."""
    import json

    import psycopg

    from test_store_contract import PG_URL

    topics = {"cantine": "Les tarifs de la restauration scolaire suivent le quotient familial.",
              "piscine": "La piscine municipale ouvre le dimanche matin en été.",
              "voirie": "Les nids-de-poule sont signalés au service de la voirie.",
              "etat-civil": "Un acte de naissance se demande à la mairie du lieu de naissance.",
              "dechets": "Les encombrants sont collectés le premier lundi du mois."}
    questions = {"cantine": "Comment sont calculés les tarifs de la cantine scolaire ?",
                 "piscine": "Quand la piscine municipale ouvre-t-elle ?",
                 "voirie": "À quel service signaler un nid-de-poule ?",
                 "etat-civil": "Où demander un acte de naissance ?",
                 "dechets": "Quand les encombrants sont-ils collectés ?"}
    squad = {"version": "test", "data": [{"title": name, "paragraphs": [{
        "context": text, "qas": [{"id": name, "question": questions[name], "answers": []}]}]}
        for name, text in topics.items()]}
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")

    def schemas() -> set[str]:
        with psycopg.connect(PG_URL) as conn:
            return {r[0] for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'clos_tmp_%'")}

    before = schemas()
    figures = {}
    for name, flags in (("sqlite", []), ("postgresql", ["--store", pg_url])):
        result = CliRunner().invoke(app, ["eval", "retrieval", "--squad", str(path), "--json",
                                          "--out-dir", str(tmp_path / name), *flags])
        assert result.exit_code == 0, result.output
        figures[name] = json.loads(result.output[result.output.index("{"):])["metrics"]
    assert schemas() == before
    for key in ("R@1", "R@5", "MRR@10"):
        assert figures["sqlite"][key] == figures["postgresql"][key]
    assert figures["postgresql"]["R@5"] == 1.0
