"""Issue 12, reader side: one test per fault kind, each on a small file built by tests/make_files.py.

Tables with merged labels, hidden text and comments, e-mail attachments, content that is not what
its extension says, truncated PDFs, UTF-16/32 without BOM, template dates in file properties.
"""

from __future__ import annotations

import zipfile
from datetime import date

import pytest

import make_files as mf
from clos.errors import IngestError
from clos.govern.flags import document_date, flag_document
from clos.ingest import chunk_document, read_document
from clos.ingest.accounting import status_of, summarise
from clos.ingest.dates import anchored_date, plausible_property_date
from clos.ingest.sniff import pdf_damage, sniff

ROW = "Direction de la culture | Conservatoire | 11"


# ------------------------------------------------------------------------------ tables
@pytest.mark.parametrize("make", [mf.xlsx_merged, mf.ods_merged], ids=["xlsx", "ods"])
def test_label_merged_over_rows_is_on_every_row(tmp_path, make):
    doc = read_document(make(tmp_path))
    table = next(s for s in doc.sections if s.kind == "table")
    assert table.text.split("\n") == [
        "Direction | Service | Agents",
        "Direction de la culture | Musée des beaux-arts | 7",
        ROW,
        "Direction des sports | Piscine municipale | 9",
    ]
    # Cut in chunks of one row each, the conservatoire's row keeps its direction and the header.
    chunks = chunk_document(doc, target_tokens=24, max_tokens=36)
    row_chunk = next(c for c in chunks if "Conservatoire" in c.text)
    assert row_chunk.text.startswith("Direction | Service | Agents\n") and ROW in row_chunk.text


def test_docx_vertically_merged_cell_is_on_every_row(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Direction", "Service"
    merged = table.cell(1, 0).merge(table.cell(2, 0))
    merged.text = "Direction de la culture"
    table.cell(1, 1).text, table.cell(2, 1).text = "Musée", "Conservatoire"
    document.save(tmp_path / "services.docx")
    doc = read_document(tmp_path / "services.docx")
    assert doc.sections[0].text.split("\n") == [
        "Direction | Service", "Direction de la culture | Musée", "Direction de la culture | Conservatoire"]


# ------------------------------------------------------------------------------ hidden text
@pytest.mark.parametrize("make", [mf.docx_hidden, mf.odt_hidden], ids=["docx", "odt"])
def test_hidden_text_and_comments_are_set_apart_and_flagged(tmp_path, make):
    doc = read_document(make(tmp_path))
    assert mf.CANTEEN_VISIBLE in doc.text
    assert "1 euro" not in doc.text and "Vérifier les horaires" not in doc.text
    assert [(s.kind, s.text) for s in doc.hidden] == [
        ("text", mf.CANTEEN_HIDDEN), ("comment", "Vérifier les horaires avec le service")]
    assert {n.kind for n in doc.notes} == {"hidden_text", "comment"}
    assert status_of(doc.notes) == "partial"
    assert all("1 euro" not in c.text for c in chunk_document(doc))  # never reaches the index
    flag = next(f for f in flag_document(doc, today=date(2026, 1, 1), max_age_years=10)
                if f.kind == "texte_masque")
    assert "1 euro par repas" in flag.reason and "Vérifier les horaires" in flag.reason


def test_hidden_text_flag_masks_personal_data(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    paragraph = document.add_paragraph("Note sur les subventions. ")
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:rPr><w:vanish/></w:rPr>'
        "<w:t>Contacter M. Jean Dupontel au 06 12 34 56 78.</w:t></w:r>"))
    document.save(tmp_path / "note.docx")
    doc = read_document(tmp_path / "note.docx")
    reason = next(f.reason for f in flag_document(doc, today=date(2026, 1, 1), max_age_years=10)
                  if f.kind == "texte_masque")
    assert "06 12 34 56 78" not in reason and "[TELEPHONE]" in reason


# ------------------------------------------------------------------------------ e-mail attachments
def test_eml_attachments_are_documents_of_their_own(tmp_path):
    path = mf.eml_with_attachments(tmp_path)
    doc = read_document(path)
    assert "350 euros" not in doc.text  # the message's body is the message's
    parts = {a.path.rsplit("/", 1)[-1]: a for a in doc.attachments}
    assert set(parts) == {"facture.pdf", "reglement.txt"}
    facture = parts["facture.pdf"]
    assert facture.path == f"{path}#piece-jointe/facture.pdf" and facture.format == "pdf"
    assert "350 euros" in facture.text and facture.metadata["parent"] == str(path)
    assert facture.content_hash and facture.mtime == pytest.approx(path.stat().st_mtime)
    skipped = [n for n in doc.notes if n.kind == "attachment_skipped"]
    assert [n.detail["attachment"] for n in skipped] == ["plan.png"]
    assert "format non pris en charge (.png)" in skipped[0].message
    assert status_of(doc.notes) == "partial"


# ------------------------------------------------------------------------------ bytes, not names
def test_html_saved_as_pdf_is_read_as_html(tmp_path):
    path = mf.html_as_pdf(tmp_path)
    assert sniff(path) == "html"
    doc = read_document(path)
    assert doc.format == "html" and doc.metadata["extension_format"] == "pdf"
    assert "mercredi de 10 h à 18 h" in doc.text
    assert [n.message for n in doc.notes] == ["le contenu est du HTML, pas du PDF : lu comme tel"]


def test_plain_zip_named_docx_says_what_it_is(tmp_path):
    path = tmp_path / "rapport.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photos/plan.txt", "pas un document Word")
    with pytest.raises(IngestError) as info:
        read_document(path)
    assert info.value.reason == "le contenu est une archive ZIP, pas un document Word (DOCX)"


def test_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    path = mf.xlsx_merged(tmp_path).rename(tmp_path / "organigramme.csv")
    doc = read_document(path)
    assert doc.format == "xlsx" and ROW in doc.text
    assert doc.notes[0].kind == "format_mismatch"


def test_truncated_pdf_is_damaged_not_a_scan(tmp_path):
    path = mf.truncated_pdf(tmp_path)
    assert pdf_damage(path).startswith("PDF tronqué ou endommagé")
    doc = read_document(path)
    assert "zone UA constructible" in doc.text and doc.metadata["damaged"]
    assert doc.notes[-1].kind == "truncated" and status_of(doc.notes) == "partial"
    reasons = [f.reason for f in flag_document(doc, today=date(2026, 1, 1), max_age_years=10)]
    assert not any("OCR" in r for r in reasons) and any("tronqué" in r for r in reasons)
    # Cut inside its first page, nothing is left: a clear failure, not « needs OCR ».
    data = mf.pdf_bytes(["Texte perdu " * 200])
    cut = tmp_path / "coupe.pdf"
    cut.write_bytes(data[:400])
    with pytest.raises(IngestError) as info:
        read_document(cut)
    assert "tronqué ou endommagé" in info.value.reason and "OCR" not in info.value.reason
    assert pdf_damage(mf.scanned_pdf(tmp_path, mixed=True)) is None  # a sound file is sound


def test_scanned_page_in_a_text_pdf_is_named(tmp_path):
    doc = read_document(mf.scanned_pdf(tmp_path, mixed=True))
    (note,) = [n for n in doc.notes if n.kind == "page_without_text"]
    assert note.detail["pages"] == [2] and status_of(doc.notes) == "partial"
    (reason,) = summarise(doc.notes)
    assert reason.startswith("Page(s) sans texte non lue(s) : 2 — ")
    # A blank page (no text, no image) is not a loss: no note, the file is read whole.
    blank = tmp_path / "avec_page_blanche.pdf"
    blank.write_bytes(mf.pdf_bytes(["Délibération sur les tarifs de la piscine.", ""]))
    doc = read_document(blank)
    assert doc.metadata["pages_without_text"] == [2] and doc.notes == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_bom_is_read(tmp_path, encoding):
    path = mf.wide_text(tmp_path, encoding)
    doc = read_document(path)
    assert doc.metadata["encoding"] == encoding
    assert doc.text == mf.WIDE_TEXT.strip().replace("\n\n", "\n\n")
    assert "l’école élémentaire" in doc.text and "Œuvres" in doc.text


# ------------------------------------------------------------------------------ dates
def test_template_creation_date_is_not_the_document_date(tmp_path):
    doc = read_document(mf.docx_template_dated(tmp_path))
    assert doc.metadata["created"] == "2013-12-23"
    assert doc.doc_date == "2024-03-12" and doc.metadata["date_source"] == "content"
    assert document_date(doc) == date(2024, 3, 12)
    undated = read_document(mf.docx_template_dated(tmp_path, with_sitting=False))
    assert undated.doc_date is None  # better no date than the template's


def test_dates_from_the_content_first():
    assert anchored_date("Vu la loi du 7 juillet 1983.\nSéance publique du jeudi 24 avril 2014") == "2014-04-24"
    tail = "x" * 5000 + "\nFait à Sète, le 3 juin 2024\nLe maire"
    assert anchored_date("Délibération sur les tarifs. " + tail) == "2024-06-03"
    assert plausible_property_date("1999-05-01") is None
    assert plausible_property_date("2013-01-27") is None  # python-pptx's template
    mtime_2024 = 1_710_000_000  # 2024-03-09
    assert plausible_property_date("2024-03-01", mtime_2024) == "2024-03-01"
    assert plausible_property_date("2025-01-01", mtime_2024) is None  # after the file's own mtime
