"""Issue 12, pipeline side: every file accounted for in `clos ingest` (text and --json) and in the
corpus report; e-mail attachments indexed, cited and never duplicated; « Copie de … » never kept;
a document left without its review by an interrupted run is read again."""

from __future__ import annotations

import json
import os
from email.message import EmailMessage

import pytest
from typer.testing import CliRunner

import make_files as mf
from clos.cli.main import app
from clos.pipeline import Clos


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "dossier"
    root.mkdir()
    mf.scanned_pdf(root, mixed=False)
    mf.scanned_pdf(root, mixed=True)
    mf.eml_with_attachments(root)
    mf.html_as_pdf(root)
    mf.truncated_pdf(root)
    mf.docx_hidden(root)
    (root / "rapport_final.docx").write_bytes(os.urandom(2048))
    mf.small_corpus(root / "notes", 2)
    return root


def test_ingest_names_every_file_not_read_whole(folder):
    code, out = run("ingest", str(folder), "--json")
    assert code == 0, out
    data = json.loads(out)
    files = {e["path"].removeprefix(str(folder) + "/"): e for e in data["files"]}
    assert files["courrier_numerise.pdf"]["status"] == "excluded"
    assert files["courrier_numerise.pdf"]["reasons"][0].startswith("aucun texte lisible (page(s) numérisée(s)")
    restauration = files["rapport_restauration.pdf"]
    assert restauration["status"] == "partial"
    assert restauration["reasons"][0].startswith("Page(s) sans texte non lue(s) : 2 — ")
    assert files["facture_salle.eml"]["status"] == "partial"
    assert files["facture_salle.eml"]["reasons"] == [
        "pièce jointe « plan.png » non lue : format non pris en charge (.png)"]
    assert files["facture_salle.eml#piece-jointe/facture.pdf"]["status"] == "indexed"
    assert files["horaires.pdf"]["reasons"] == ["le contenu est du HTML, pas du PDF : lu comme tel"]
    assert files["plu_telecharge.pdf"]["status"] == "partial"
    assert "tronqué" in files["plu_telecharge.pdf"]["reasons"][0]
    assert files["cantine.docx"]["status"] == "partial"
    assert files["rapport_final.docx"]["status"] == "failed"
    assert files["notes/note_00.txt"] == {"path": str(folder / "notes/note_00.txt"),
                                          "status": "indexed", "reasons": []}
    assert data["failed"] == 1 and data["errors"][0]["path"].endswith("rapport_final.docx")

    # A second run reads only what changed or failed: the failure is listed again, and only it.
    code, out = run("ingest", str(folder))
    assert code == 0, out
    flat = " ".join(out.split())
    assert "Fichiers à vérifier (1)" in flat and "rapport_final.docx — en erreur" in flat
    assert "courrier_numerise.pdf" not in flat

    # The corpus report keeps them all, with their reasons, across runs.
    code, out = run("report", "--json")
    assert code == 0, out
    reading = {r["path"].removeprefix(str(folder) + "/"): r for r in json.loads(out)["reading"]}
    assert reading["courrier_numerise.pdf"]["status"] == "excluded"
    assert reading["rapport_restauration.pdf"]["status"] == "partial"
    assert reading["rapport_final.docx"]["status"] == "failed"
    assert "notes/note_00.txt" not in reading
    code, out = run("report", "--html", str(folder.parent / "rapport.html"))
    page = (folder.parent / "rapport.html").read_text()
    assert "Fichiers non lus en entier" in page and "facture_salle.eml › facture.pdf" in page
    assert "courrier_numerise.pdf" in page and "aucun texte lisible" in page


def test_attachments_are_indexed_cited_and_never_duplicated(tmp_path, settings):
    root = tmp_path / "courriels"
    root.mkdir()
    message = mf.eml_with_attachments(root)
    with Clos(settings) as clos:
        first = clos.ingest([root])
        assert first.indexed == 3  # the message and its two readable attachments
        hits = clos.retrieve("location de la salle des fêtes 350 euros")
        assert hits[0].path == f"{message}#piece-jointe/facture.pdf"
        assert clos.retrieve("fermeture des portes à minuit")[0].path.endswith("#piece-jointe/reglement.txt")
        again = clos.ingest([root], sync=True)
        assert again.skipped == 1 and again.indexed == 0 and again.removed == 0
        cid = clos.store.collection_id(settings.collection)
        assert len(clos.store.document_hashes(cid)) == 3

        # The message changes and loses its TXT attachment: that attachment leaves the index.
        email = EmailMessage()
        email["Subject"], email["Date"] = "Facture de la salle des fêtes", "Thu, 16 May 2024 09:00:00 +0200"
        email.set_content("Version corrigée, sans le règlement.")
        email.add_attachment(mf.pdf_bytes(["Facture n° 2024-118 corrigée : 320 euros."]),
                             maintype="application", subtype="pdf", filename="facture.pdf")
        message.write_bytes(bytes(email))
        changed = clos.ingest([root], sync=True)
        assert changed.indexed == 2
        paths = sorted(clos.store.document_hashes(cid))
        assert paths == [str(message), f"{message}#piece-jointe/facture.pdf"]
        assert "320 euros" in clos.retrieve("facture corrigée 320 euros")[0].text


@pytest.mark.parametrize("copy_first", [True, False])
def test_copy_of_a_file_is_never_the_one_kept(tmp_path, settings, copy_first):
    root = tmp_path / "reglements"
    root.mkdir()
    original, copy = mf.copy_pair(root)
    with Clos(settings) as clos:
        if copy_first:  # the copy is indexed alone first, then the original arrives
            clos.ingest([copy])
        report = clos.ingest([root])
        cid = clos.store.collection_id(settings.collection)
        assert sorted(clos.store.document_hashes(cid)) == [str(original)]
        entry = next(e for e in report.files if e.path == str(copy))
        assert entry.status == "excluded" and "reglement_interieur_definitif.txt" in entry.reasons[0]


def test_document_left_without_review_is_read_again(tmp_path, settings):
    root = tmp_path / "notes"
    paths = mf.small_corpus(root, 2)
    with Clos(settings) as clos:
        cid = clos.store.collection_id(settings.collection)
        # What a run killed between indexing and recording the review leaves behind.
        from clos.ingest import file_hash, read_document

        doc = read_document(paths[0])
        doc.content_hash = file_hash(paths[0])
        clos.index_document(cid, doc)
        assert clos.store.unreviewed_paths(cid) == [str(paths[0])]
        report = clos.ingest([root])
        assert report.indexed == 2 and report.skipped == 0
        assert clos.store.unreviewed_paths(cid) == []
        assert len(clos.store.document_hashes(cid)) == 2
