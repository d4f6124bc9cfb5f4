"""OCR of PDF pages without a text layer (Tesseract + French data, issue 12): mixed PDFs, what
Clos says when OCR cannot run, and real deliberation pages rasterised then read back."""

from __future__ import annotations

import logging
import shutil

import pytest
from rapidfuzz.distance import Levenshtein

import make_pdfs
from clos.ingest import chunk_document, read_document
from clos.ingest import ocr as ocr_module
from clos.pipeline import Clos
from clos.settings import Settings

DEMO = "deliberations-montpellier/pdf/2014-04-24-0000071251.pdf"
QUESTION = ("Quel est le montant forfaitaire remboursé par repas aux agents de la Ville de "
            "Montpellier en déplacement ?")

needs_tesseract = pytest.mark.skipif(ocr_module.tesseract_status("fra") is not None,
                                     reason="Tesseract et ses données françaises sont absents")


def char_accuracy(read: str, reference: str) -> float:
    """1 − normalised Levenshtein distance between the whitespace-normalised texts (1.0: same)."""
    return 1.0 - Levenshtein.normalized_distance(" ".join(read.split()), " ".join(reference.split()))


@pytest.fixture(autouse=True)
def _fresh_status():
    ocr_module.tesseract_status.cache_clear()
    ocr_module._WARNED.clear()
    yield
    ocr_module.tesseract_status.cache_clear()


@needs_tesseract
def test_scanned_page_of_a_mixed_pdf_is_read_by_ocr(tmp_path):
    doc = read_document(make_pdfs.mixed_scan(tmp_path / "piscine.pdf"))
    page_two = " ".join(s.text for s in doc.sections if s.page == 2)
    assert "3,80 euros" in page_two and "2,10 euros" in page_two
    assert char_accuracy(page_two, " ".join(make_pdfs.SCAN_TEXT)) >= 0.97
    note = next(n for n in doc.notes if n.kind == "ocr")
    assert note.page == 2 and 60 <= note.detail["confidence"] <= 100
    assert "Page 2 lue par OCR" in note.message
    assert doc.metadata["pages_ocr"] == [2] and doc.metadata["pages_without_text"] == []
    assert {s.page for s in doc.sections} == {1, 2, 3}
    chunk = next(c for c in chunk_document(doc) if "3,80" in c.text)
    assert chunk.page_for("à 3,80 euros pour les adultes") == 2


def test_without_ocr_the_scanned_page_is_named_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CLOS_OCR", "false")
    path = make_pdfs.mixed_scan(tmp_path / "piscine.pdf")
    with caplog.at_level(logging.WARNING, logger="clos.ingest"):
        doc = read_document(path)
        read_document(path)
    notes = [n for n in doc.notes if n.kind == "page_without_text"]
    assert len(notes) == 1 and notes[0].detail["pages"] == [2]
    assert notes[0].message.startswith("Page(s) sans texte non lue(s) : 2")
    assert "désactivée" in notes[0].message
    assert doc.metadata["pages_without_text"] == [2]
    assert {s.page for s in doc.sections} == {1, 3}  # the other pages are read all the same
    warnings = [r for r in caplog.records if "OCR impossible" in r.getMessage()]
    assert len(warnings) == 1  # said once per process, not once per file


def test_missing_tesseract_or_language_data_is_said_in_french(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOS_OCR_LANGUAGE", "xyz")
    doc = read_document(make_pdfs.mixed_scan(tmp_path / "piscine.pdf"))
    note = next(n for n in doc.notes if n.kind == "page_without_text")
    if shutil.which("tesseract"):
        assert "données de langue « xyz »" in note.message
    ocr_module.tesseract_status.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this PATH
    doc = read_document(make_pdfs.mixed_scan(tmp_path / "piscine2.pdf"))
    note = next(n for n in doc.notes if n.kind == "page_without_text")
    assert "Tesseract (OCR) n'est pas installé" in note.message and note.detail["pages"] == [2]


@needs_tesseract
def test_rasterised_deliberation_reads_back_and_answers_the_same(corpus, tmp_path):
    """The demo deliberation's first two pages as a scan (200 dpi, no text layer): ≥ 0.97
    character accuracy against the text layer, and the demo question finds the same figure on
    the same page."""
    original = corpus / DEMO
    scan = make_pdfs.image_only_pdf(original, tmp_path / "scan" / original.name, dpi=200, pages=[1, 2])
    text_doc, ocr_doc = read_document(original), read_document(scan)
    assert ocr_doc.metadata["pages_ocr"] == [1, 2]
    assert all(n.detail["confidence"] >= 80 for n in ocr_doc.notes if n.kind == "ocr")
    for page in (1, 2):
        read = " ".join(s.text for s in ocr_doc.sections if s.page == page)
        reference = " ".join(s.text for s in text_doc.sections if s.page == page)
        assert char_accuracy(read, reference) >= 0.97, page
    assert ocr_doc.metadata.get("acte_id") == text_doc.metadata["acte_id"]

    with Clos(Settings.load()) as clos:  # indexed as read (ingest would OCR the file again)
        clos.index_document(clos.store.collection_id("scan"), ocr_doc)
        hits = clos.retrieve(QUESTION, collection="scan")
    best = hits[0]
    assert "15,25" in best.text and best.page_for("montant forfaitaire de 15,25") == 2
