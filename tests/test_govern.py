"""Governance stage on a real SQLite store: flags, duplicates across runs, pseudonymised copies,
policies, the dry run, the report and the CLI."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from stdnum.fr import nir as std_nir
from typer.testing import CliRunner

from clos import govern
from clos.errors import GovernanceError
from clos.govern import Governor, flag_document, reveal
from clos.govern.report import build_report, render_html, render_rich
from clos.store import open_store
from clos.types import Document, Section
from clos.cli.main import app

TODAY = date(2025, 6, 1)
NIR = "2 85 05 78 006 084 " + std_nir.calc_check_digits("2850578006084")
IBAN = "FR76 3000 6000 0112 3456 7890 189"
PROSE = ("La commission a examiné le dossier et rappelle que les aides sont attribuées selon les "
         "critères fixés par le règlement intérieur. Le montant est versé en une seule fois. ") * 4


def doc(text: str, path: str = "/docs/note.txt", **kw) -> Document:
    return Document(path=path, title=kw.pop("title", Path(path).stem), format=kw.pop("format", "txt"),
                    sections=[Section(t) for t in text.split("\n\n")], **kw)


def kinds(d: Document, **kw) -> list[str]:
    return [f.kind for f in flag_document(d, today=TODAY, max_age_years=10, **kw)]


@pytest.fixture
def store(settings):
    s = open_store(settings)
    yield s
    s.close()


# ------------------------------------------------------------------ flags
def test_draft_markings():
    assert "brouillon" in kinds(doc("BROUILLON\n\n" + PROSE))
    assert "brouillon" in kinds(doc("Projet de délibération\n\n" + PROSE))
    assert "brouillon" in kinds(doc(PROSE, path="/docs/rapport_version_de_travail.docx"))
    assert "brouillon" in kinds(doc(PROSE + " Montant : [à compléter]"))


def test_prose_about_drafts_is_not_a_draft():
    text = ("Les documents administratifs diffusés doivent être achevés : les brouillons, documents "
            "de travail et notes préalables ne sont pas communicables, et le caractère confidentiel "
            "de certaines informations doit être protégé par l'administration qui les détient. "
            + PROSE)
    assert kinds(doc(PROSE + "\n\n" + text)) == []


def test_confidential_markings():
    assert "confidentiel" in kinds(doc("CONFIDENTIEL\n\n" + PROSE))
    assert "confidentiel" in kinds(doc("Diffusion restreinte\n\n" + PROSE))
    assert "confidentiel" in kinds(doc(PROSE + "\n\nNe pas diffuser."))


def test_obsolete_by_date_and_repeal():
    assert "obsolete" in kinds(doc(PROSE, path="/docs/2010-03-01-arrete.txt"))
    assert "obsolete" not in kinds(doc(PROSE, path="/docs/2023-03-01-arrete.txt"))
    assert "obsolete" in kinds(doc("Arrêté abrogé par l'arrêté du 3 mars 2021.\n\n" + PROSE))
    assert "obsolete" not in kinds(doc(PROSE + " La délibération n° 12 est abrogée."))


def test_birth_date_is_not_the_document_date():
    d = doc(PROSE, doc_date="1985-03-12")
    assert "obsolete" in kinds(d)
    assert "obsolete" not in kinds(d, not_dates=["1985-03-12"])


def test_quality_flags():
    assert kinds(doc("Vu.")) == ["qualite"]
    scanned = doc("", path="/docs/scan.pdf", format="pdf", pages=3, metadata={"has_text_layer": False})
    assert "qualite" in kinds(scanned)
    garbled = doc(PROSE.replace("é", "Ã©").replace("è", "Ã¨"))
    assert "qualite" in kinds(garbled)


def test_language():
    english = ("The council has reviewed the application and the amount will be paid to the "
               "association in one instalment, which is consistent with the rules that were adopted "
               "by the board for this year and for the previous ones. ") * 4
    assert kinds(doc(english)) == ["langue"]
    assert "langue" not in kinds(doc(PROSE))


def _docx_with_revisions(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("Rapport au conseil municipal sur la tarification de la restauration scolaire.")
    d.save(path)
    # python-docx cannot write tracked changes: add a w:ins run to the XML, as Word does.
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode()
    xml = xml.replace("</w:p>", '<w:ins w:id="1" w:author="Relecteur" w:date="2024-01-01T00:00:00Z">'
                      "<w:r><w:t> Tarif modifié.</w:t></w:r></w:ins></w:p>", 1)
    parts["word/document.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return path


def test_docx_with_tracked_changes_is_a_draft(tmp_path):
    path = _docx_with_revisions(tmp_path / "rapport.docx")
    bare = doc(PROSE, path=str(path), format="docx")  # without reader metadata: the file says it
    flags = flag_document(bare, today=TODAY, max_age_years=10)
    assert [f.kind for f in flags] == ["brouillon"]
    assert "modifications suivies" in flags[0].reason
    try:
        from clos.ingest import read_document
    except ImportError:
        return
    read = read_document(path)
    assert "brouillon" in [f.kind for f in flag_document(read, today=TODAY, max_age_years=10)]


# ------------------------------------------------------------------ Governor
HR = (f"Madame Sophie MARTIN, née le 12/03/1985, numéro de sécurité sociale {NIR}, domiciliée "
      f"12 rue des Lilas, 34000 Montpellier, est recrutée. Traitement versé sur l'IBAN {IBAN}.\n\n"
      "Mme Martin prendra ses fonctions le 1er septembre. Le Maire, Philippe SAUREL.")


def test_governed_copy_holds_no_personal_data(store, settings):
    cid = store.collection_id("rh")
    d = doc(HR, path="/docs/arrete.txt", title="Arrêté Sophie MARTIN",
            metadata={"author": "Paul Durand", "header_footer": "Dossier de Sophie MARTIN"})
    d.sections[0].heading_path = ("Recrutement de Sophie MARTIN",)
    review = Governor(store, settings, cid, today=TODAY).review(d)
    governed = review.document
    everything = json.dumps([governed.title, governed.text, governed.metadata,
                             [s.heading_path for s in governed.sections]], ensure_ascii=False)
    for secret in ("MARTIN", "Martin", NIR, NIR.replace(" ", ""), IBAN, "1985", "Lilas", "SAUREL",
                   "Durand"):
        assert secret not in everything, secret
    assert "[NIR_1]" in governed.text and "[IBAN_1]" in governed.text
    assert governed.text.count("[PERSONNE_1]") == 2  # "Sophie MARTIN" and later "Martin"
    assert review.decision == "index"
    # Findings keep original offsets into Document.text, for the record.
    original = d.text
    assert all(original[f.start:f.end] == f.text for f in review.findings)
    assert {f.type for f in review.findings} >= {"NIR", "IBAN", "PERSONNE", "ADRESSE", "DATE_NAISSANCE"}


def test_birth_date_taken_as_document_date_is_dropped(store, settings):
    d = doc(HR, path="/docs/arrete.txt", doc_date="1985-03-12")
    review = Governor(store, settings, store.collection_id("rh"), today=TODAY).review(d)
    assert review.document.doc_date is None and "obsolete" not in [f.kind for f in review.flags]


def test_placeholders_consistent_across_documents_and_revealed(store, settings):
    cid = store.collection_id("rh")
    g = Governor(store, settings, cid, today=TODAY)
    first = g.review(doc("Mme Sophie MARTIN est nommée.\n\n" + PROSE, path="/a.txt")).document.text
    second = Governor(store, settings, cid).review(
        doc("MARTIN Sophie et Jean DUPONT.\n\n" + PROSE, path="/b.txt")).document.text
    assert "[PERSONNE_1]" in first
    assert second.startswith("[PERSONNE_1] et [PERSONNE_2].")
    mapping = {r["placeholder"]: r["original"] for r in reveal(store, cid)}
    assert mapping["[PERSONNE_1]"] == "Sophie MARTIN"
    assert mapping["[PERSONNE_2]"] == "Jean DUPONT"


def test_allow_list_and_policies(store, settings):
    cid = store.collection_id("conseil")
    govern.allow(store, cid, ["Philippe Saurel"])
    review = Governor(store, settings, cid).review(doc(HR))
    assert "Philippe SAUREL" in review.document.text
    assert review.kept_counts() == {"PERSONNE": 1}

    govern.set_policy(store, cid, settings, pii_policy="redact")
    assert "Mme [PERSONNE] prendra" in Governor(store, settings, cid).review(doc(HR)).document.text

    govern.set_policy(store, cid, settings, pii_policy="exclude")
    excluded = Governor(store, settings, cid).review(doc(HR))
    assert excluded.decision == "exclude" and excluded.document.sections == []

    govern.set_policy(store, cid, settings, pii_policy="keep", flag_actions={"langue": "exclude"},
                      max_age_years=5)
    policy = govern.get_policy(store, cid, settings)
    assert (policy.pii_policy, policy.action("langue"), policy.max_age_years) == ("keep", "exclude", 5)
    assert policy.action("confidentiel") == "exclude"  # defaults stay
    with pytest.raises(GovernanceError):
        govern.set_policy(store, cid, settings, flag_actions={"brouillon": "publier"})


def _index(store, cid, review) -> int:
    """What the pipeline does with a governed document (chunks are not this test's subject)."""
    return store.replace_document(cid, review.document, [], [], size=0)


def test_duplicates_and_versions_across_runs(store, settings):
    cid = store.collection_id("docs")
    base = ("Le présent rapport expose la politique tarifaire de la restauration scolaire pour "
            "l'année. Les tarifs sont calculés selon le quotient familial des foyers. ") * 6
    v1 = doc(base + "Première version du barème.", path="/docs/bareme_v1.txt", doc_date="2024-01-10")
    run1 = Governor(store, settings, cid, today=TODAY)
    r1 = run1.review(v1)
    run1.record(r1, _index(store, cid, r1))

    # A second run, a new Governor: the signature of v1 comes from the database.
    v2 = doc(base + "Deuxième version du barème, avec un tarif social pour les familles.",
             path="/docs/bareme_v2.txt", doc_date="2024-03-01")
    run2 = Governor(store, settings, cid, today=TODAY)
    r2 = run2.review(v2)
    assert r2.decision == "index" and [m.other.path for m in r2.supersedes] == ["/docs/bareme_v1.txt"]
    run2.record(r2, _index(store, cid, r2))
    assert set(store.document_hashes(cid)) == {"/docs/bareme_v2.txt"}  # v1 left the index

    copy = doc(base + "Deuxième version du barème, avec un tarif social pour les familles.",
               path="/archives/copie bareme.txt", doc_date="2024-03-01")
    r3 = Governor(store, settings, cid, today=TODAY).review(copy)
    assert [f.kind for f in r3.flags] == ["doublon"] and r3.decision == "exclude"
    run2.record(r3, None)

    report = build_report(store, cid, collection="docs", settings=settings)
    linked = {(Path(f["path"]).name, f["kind"], Path(f["related_path"]).name) for f in report["duplicates"]}
    assert linked == {("bareme_v1.txt", "version", "bareme_v2.txt"),
                      ("copie bareme.txt", "doublon", "bareme_v2.txt")}
    assert report["totals"] == {"documents": 3, "indexed": 1, "index_with_warning": 0, "excluded": 2,
                                "pages": 0, "with_pii": 0, "flagged": 2}
    assert govern.excluded_paths(store, cid).keys() == {"/docs/bareme_v1.txt", "/archives/copie bareme.txt"}


def test_governance_rows_follow_the_document_but_pseudonyms_stay(store, settings):
    cid = store.collection_id("rh")
    g = Governor(store, settings, cid, today=TODAY)
    review = g.review(doc(HR))
    doc_id = _index(store, cid, review)
    g.record(review, doc_id)
    count = lambda table: store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
    assert count("governance_reviews") == 1 and count("governance_pii_counts") > 0
    store.delete_documents([doc_id])
    assert count("governance_reviews") == 0 and count("governance_pii_counts") == 0
    # The mapping survives the document, apart from the index and encrypted: the originals are
    # nowhere in the index database, nor in clear in the vault's file.
    assert count("governance_pseudonyms") == 0
    assert len(store.pseudonym_vault().entries(cid)) >= 4
    dump = "\n".join(store.conn.iterdump())
    vault = "\n".join(store.pseudonym_vault().conn.iterdump())
    path = store.pseudonym_vault().path
    files = [p.read_bytes().decode("latin-1") for p in (path, path.with_name(path.name + "-wal"))
             if p.exists()]
    for text in (dump, vault, *files):
        assert NIR not in text and "Sophie MARTIN" not in text and "MARTIN" not in text


# ------------------------------------------------------------------ dry run, report, CLI
@pytest.fixture
def folder(tmp_path, corpus):
    root = tmp_path / "docs"
    (root / "deliberations").mkdir(parents=True)
    pdfs = sorted((corpus / "deliberations-montpellier" / "pdf").glob("*.pdf"))[:2]
    for p in pdfs:
        shutil.copy(p, root / "deliberations" / p.name)
    (root / "rh").mkdir()
    (root / "rh" / "arrete.txt").write_text(HR + "\n\n" + PROSE, encoding="utf-8")
    (root / "rh" / "BROUILLON-note.txt").write_text("BROUILLON\n\n" + PROSE, encoding="utf-8")
    return root


def test_scan_is_a_dry_run(folder, settings):
    result = govern.scan([folder], settings, today=TODAY)
    assert not settings.db_path.exists()
    by_name = {Path(f["path"]).name: f for f in result["files"]}
    arrete = by_name["arrete.txt"]
    assert {p["type"] for p in arrete["pii"]} >= {"NIR", "IBAN", "PERSONNE"}
    assert set(arrete["pii"][0]) == {"type", "start", "end", "text", "confidence"}
    assert [f["kind"] for f in by_name["BROUILLON-note.txt"]["flags"]] == ["brouillon"]
    assert result["summary"]["files"] == 4 and result["summary"]["pii"]["NIR"] == 1


def test_cli_scan_report_and_policy(folder, settings, store, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["files"] == 4

    cid = store.collection_id(settings.collection)
    g = Governor(store, settings, cid, today=TODAY)
    from clos.ingest import iter_files, read_document

    for path in iter_files([folder]):
        review = g.review(read_document(path))
        g.record(review, _index(store, cid, review) if review.decision != "exclude" else None)

    out = tmp_path / "rapport.html"
    result = runner.invoke(app, ["report", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<svg" in page and "<table>" in page and "<script" not in page
    assert "Données personnelles trouvées" in page and "Nom de personne" in page
    assert NIR not in page and "Sophie MARTIN" not in page

    result = runner.invoke(app, ["report", "--json"])
    data = json.loads(result.stdout)
    assert data["totals"]["documents"] == 4 and data["pii"]["NIR"]["count"] == 1

    result = runner.invoke(app, ["policy", "set", "--pii", "redact", "--action", "brouillon=exclude"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["policy", "set", "--action", "brouillon"])
    assert result.exit_code == 1 and "motif=décision" in result.output
    result = runner.invoke(app, ["policy", "allow", "Philippe Saurel"])
    assert "Philippe Saurel" in result.output
    result = runner.invoke(app, ["policy", "reveal"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["policy", "reveal", "--confirm"])
    assert "[NIR_1]" in result.output


def test_report_renders_empty_and_rich(store, settings):
    from rich.console import Console

    cid = store.collection_id("vide")
    report = build_report(store, cid, collection="vide", settings=settings)
    assert report["totals"]["documents"] == 0
    assert "Aucun document signalé." in render_html(report)
    console = Console(record=True, width=100)
    console.print(render_rich(report))
    assert "Rapport du corpus" in console.export_text()
