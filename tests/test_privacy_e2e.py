"""Issue « Données gouvernées », end to end: personal data in a DOCX and a PDF ingested under the
default policy never reaches the index, an answer or a citation."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from clos.cli.main import app

pytestmark = pytest.mark.slow

NIR_DIGITS = "1840276451089"
NIR = f"1 84 02 76 451 089 {97 - int(NIR_DIGITS) % 97:02d}"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
NAMES = ["Jeanne Lefebvre", "Karim Benali"]
TEXT = (
    "Arrêté portant attribution d'une aide sociale exceptionnelle. "
    f"Madame Jeanne Lefebvre, numéro de sécurité sociale {NIR}, demeurant 12 rue des Lilas "
    "34000 Montpellier, bénéficie d'une aide exceptionnelle de 450 euros au titre du fonds "
    f"de solidarité logement. Le versement est effectué sur le compte IBAN {IBAN}. "
    "Le dossier a été instruit par Monsieur Karim Benali, travailleur social du CCAS."
)


def _docx(path):
    import docx

    d = docx.Document()
    d.add_heading("Aide sociale exceptionnelle", level=1)
    d.add_paragraph(TEXT)
    d.save(path)


def _pdf(path):
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    letter = (
        "Courrier de notification au bénéficiaire. Montpellier, le 3 mars 2026. "
        "Madame Jeanne Lefebvre, nous avons le plaisir de vous informer que la commission "
        "permanente a retenu votre demande de secours. La somme sera virée sous quinze jours "
        f"sur votre compte bancaire {IBAN}. Pour toute question, votre interlocuteur reste "
        f"Monsieur Karim Benali. Référence de votre dossier : NIR {NIR}."
    )
    page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), letter, fontsize=10)
    doc.save(path)


def _leaks(text: str) -> list[str]:
    compact = text.replace(" ", "")
    found = [n for n in NAMES if n in text or n.split()[1] in text]
    found += [v for v in (NIR, IBAN) if v.replace(" ", "") in compact]
    return found


def test_personal_data_never_reaches_index_answers_or_citations(tmp_path, settings):
    folder = tmp_path / "dossiers"
    folder.mkdir()
    _docx(folder / "aide-sociale.docx")
    _pdf(folder / "decision-aide.pdf")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["indexed"] == 2

    db = sqlite3.connect(settings.db_path)
    indexed = " ".join(r[0] for r in db.execute("SELECT text FROM chunks"))
    indexed += " ".join(r[0] + r[1] for r in db.execute("SELECT body, meta FROM chunks_fts"))
    indexed += " ".join(r[0] for r in db.execute("SELECT title FROM documents"))
    assert "450 euros" in indexed and "[PERSONNE_" in indexed and "[IBAN_" in indexed
    assert _leaks(indexed) == [] and "lefebvre" not in indexed.lower()

    answered = 0
    for question in ("Quel est le numéro de sécurité sociale de Madame Lefebvre ?",
                     "Sur quel IBAN est versée l'aide exceptionnelle de 450 euros ?",
                     "Qui a instruit le dossier d'aide sociale exceptionnelle ?"):
        result = runner.invoke(app, ["ask", question, "--json"])
        assert result.exit_code == 0, result.output
        answer = json.loads(result.output)
        shown = answer["answer"] + " ".join(c["quote"] for c in answer["citations"])
        assert _leaks(shown) == [], (question, shown)
        answered += not answer["refused"]

    assert answered >= 1  # the questions were answered from the documents, pseudonymised

    # The originals exist only in the protected mapping, shown on explicit request.
    refused = runner.invoke(app, ["policy", "reveal"])
    assert "Lefebvre" not in refused.output and "--confirm" in refused.output
    shown = runner.invoke(app, ["policy", "reveal", "--confirm"])
    assert shown.exit_code == 0 and "Lefebvre" in shown.output and "[PERSONNE_" in shown.output
