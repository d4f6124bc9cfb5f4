"""PDF reading as a person reads (issue 12): one test per fault kind, each on a PDF built by
tests/make_pdfs.py, plus the same faults on the real Montpellier deliberations."""

from __future__ import annotations

import re

import pytest

import make_pdfs
from clos.ingest import chunk_document, read_document
from clos.ingest.normalise import dehyphenate_pair, join_lines, normalise_chars

DEMO = "deliberations-montpellier/pdf/2014-04-24-0000071251.pdf"


def _body(doc) -> str:
    return "\n".join(s.text for s in doc.sections)


# ------------------------------------------------------------------------------ normalisation
def test_normalisation_rules():
    assert normalise_chars("ﬁnancement ﬂux eﬃcace eﬀet aﬄux") == "financement flux efficace effet afflux"
    assert normalise_chars("rembourse\u00adment") == "remboursement"
    assert join_lines(["une subven-", "tion du Pa-", "trimoine"]) == "une subvention du Patrimoine"
    # Names and compounds keep their hyphen; digits are not words to join.
    assert join_lines(["Jean-", "Pierre LEVY-", "RAMEAU"]) == "Jean-Pierre LEVY-RAMEAU"
    assert join_lines(["c'est-", "à-dire", "sous-", "préfet"]) == "c'est-à-dire sous-préfet"
    assert join_lines(["de 2014-", "2020"]) == "de 2014-2020"
    # The document's own spelling decides: « porte-parole » seen whole elsewhere keeps its hyphen.
    assert not dehyphenate_pair("porte", "parole", {"porte-parole"})
    assert dehyphenate_pair("parte", "nariat", {"partenariat"})


def test_words_broken_at_line_ends_soft_hyphens_and_ligatures(tmp_path):
    doc = read_document(make_pdfs.broken_words(tmp_path / "mots.pdf"))
    text = _body(doc)
    for word in ("subvention", "Patrimoine", "Jean-Pierre", "LEVY-RAMEAU", "remboursement",
                 "c'est-à-dire", "financement", "flux", "vérifiés", "effectifs", "suffisants",
                 "affluents", "versé"):
        assert word in text, word
    assert not re.search(r"subven\b|rembourse ment|\u00ad|[\ufb00-\ufb06]", text)
    chunks = chunk_document(doc)
    assert all("\u00ad" not in c.text and not re.search("[\ufb00-\ufb06]", c.text) for c in chunks)


# ------------------------------------------------------------------------------ reading order
def test_two_columns_stored_row_by_row_are_read_column_by_column(tmp_path):
    doc = read_document(make_pdfs.two_columns(tmp_path / "colonnes.pdf"))
    text = " ".join(_body(doc).split())
    assert " ".join(make_pdfs.LEFT_STORY.split()) in text
    assert " ".join(make_pdfs.RIGHT_STORY.split()) in text
    assert text.index("Le marché de Noël") < text.index("La piscine municipale")


def test_single_column_real_deliberation_keeps_its_order(corpus):
    doc = read_document(corpus / DEMO)
    text = _body(doc)
    assert text.index("Le décret n°2007-23") < text.index("PRINCIPES") < text.index("Tout agent")


# ------------------------------------------------------------------------------ furniture
def test_running_header_and_page_footer_leave_the_text_and_title_is_not_introduction(tmp_path):
    doc = read_document(make_pdfs.running_report(tmp_path / "rapport.pdf"))
    text = _body(doc)
    assert "Page 1 / 5" not in text and "Page 3 / 5" not in text
    assert make_pdfs.REPORT_TITLE not in text and make_pdfs.REPORT_FOOTER not in text
    assert doc.title == make_pdfs.REPORT_TITLE
    assert doc.metadata["running_headers"] == [make_pdfs.REPORT_TITLE]
    assert "Tarifs" in [s.text for s in doc.sections if s.kind == "heading"]
    assert {s.page for s in doc.sections} == {1, 2, 3, 4, 5}
    for chunk in chunk_document(doc):
        assert "Direction de l'éducation" not in chunk.text


def test_prefecture_stamp_becomes_metadata(tmp_path):
    doc = read_document(make_pdfs.stamped(tmp_path / "deliberation.pdf"))
    text = _body(doc)
    for stamp in ("Accusé de réception", "Ministère", "exécutoire", "Envoi Préfecture", "10/01/2025",
                  make_pdfs.STAMP_ID):
        assert stamp not in text
    assert doc.metadata["acte_id"] == make_pdfs.STAMP_ID
    assert doc.metadata["prefecture_sent"] == doc.metadata["prefecture_received"] == "2025-01-10"
    assert [s.page for s in doc.sections if "Article" in s.text] == [1, 2, 3]


def test_real_deliberation_stamp_is_metadata_not_text(corpus):
    doc = read_document(corpus / DEMO)
    assert doc.metadata["acte_id"] == "034-213401722-20140424-0000071251-DE"
    assert doc.metadata["prefecture_sent"] == "2014-04-28"
    chunks = chunk_document(doc)
    assert not any("Accusé de réception" in c.text or "0000071251-DE" in c.text for c in chunks)


# ------------------------------------------------------------------------------ headings, pages
def test_heading_at_the_foot_of_a_page_flows_to_its_text(tmp_path):
    doc = read_document(make_pdfs.heading_at_break(tmp_path / "frais.pdf"))
    meal = next(s for s in doc.sections if "17,50" in s.text)
    assert meal.page == 2
    assert meal.heading_path[-2:] == ("I) CONDITIONS DE REMBOURSEMENT",
                                      "A) Remboursement des repas du midi et du soir :")
    night = next(s for s in doc.sections if "nuitée remboursée" in s.text)
    assert night.heading_path[-1] == "B) Remboursement des nuitées :"
    chunk = next(c for c in chunk_document(doc) if "17,50" in c.text)
    assert "A) Remboursement des repas du midi et du soir :" in chunk.text
    assert (chunk.page, chunk.page_end, chunk.page_starts[0]) == (2, 2, (0, 1))
    assert chunk.page_for("montant forfaitaire de 17,50 € par repas") == 2
    assert chunk.page_for("A) Remboursement des repas") == 1


def test_real_deliberation_heading_path_flows_across_page_break(corpus):
    doc = read_document(corpus / DEMO)
    section = next(s for s in doc.sections if "15,25€" in s.text)
    assert section.page == 2
    assert section.heading_path[-1] == "A) Remboursement des repas du midi et du soir :"
    assert any(h.startswith("I) MODALITES") for h in section.heading_path)
    chunk = next(c for c in chunk_document(doc) if "15,25€" in c.text)
    assert "A) Remboursement des repas du midi et du soir" in chunk.text
    assert chunk.page_for("montant forfaitaire de 15,25€ par repas") == 2
    assert chunk.page == chunk.page_end == 2  # a citation of the chunk names page 2


# ------------------------------------------------------------------------------ tables
def test_ruled_table_is_a_table_with_its_rows(tmp_path):
    doc = read_document(make_pdfs.ruled_table(tmp_path / "effectifs.pdf"))
    table = next(s for s in doc.sections if s.kind == "table")
    assert table.text.split("\n") == [" | ".join(row) for row in make_pdfs.TABLE]
    text = " ".join(s.text for s in doc.sections if s.kind != "table")
    assert "Conservatoire" not in text  # cells are not repeated as loose text
    assert text.index("ci-dessous") < text.index("stables")


def test_long_table_chunks_each_start_with_the_header_row(tmp_path):
    doc = read_document(make_pdfs.ruled_table(tmp_path / "ateliers.pdf", extra_rows=40))
    table = next(s for s in doc.sections if s.kind == "table")
    assert len(table.text.split("\n")) == len(make_pdfs.TABLE) + 40
    chunks = [c for c in chunk_document(doc, target_tokens=120, max_tokens=160) if " | " in c.text]
    assert len(chunks) >= 3
    header = " | ".join(make_pdfs.TABLE[0])
    tables = [[row for row in c.text.split("\n") if " | " in row] for c in chunks]
    assert all(rows[0] == header for rows in tables)  # the header opens each chunk's table
    rows = [row for rows in tables for row in rows[1:]]
    assert "Direction de la culture | Conservatoire | 11" in rows and len(rows) == len(set(rows))


def test_real_deliberation_tables_and_continued_header(corpus):
    doc = read_document(corpus / "deliberations-montpellier/pdf/2014-04-24-0000071216.pdf")
    tables = [s for s in doc.sections if s.kind == "table"]
    assert [t.page for t in tables] == [1, 2]
    assert "Commission Administrative paritaire catégorie A | 4 | 4 | 4 | 4" in tables[0].text.split("\n")
    # The table goes on at the top of page 2: its header row comes with it.
    assert tables[1].text.split("\n")[0] == tables[0].text.split("\n")[0]
    assert "Comité Technique Paritaire (CTP) | 15 | 15 | 15 | 15" in tables[1].text.split("\n")
    demo = read_document(corpus / DEMO)
    km = next(s for s in demo.sections if s.kind == "table")
    assert "6 et 7 chevaux fiscaux | 0.32€/Km" in km.text.split("\n") and km.page == 2


# ------------------------------------------------------------------------------ hidden text
def test_white_tiny_and_off_page_text_is_hidden_not_body(tmp_path):
    doc = read_document(make_pdfs.hidden_text(tmp_path / "cache.pdf"))
    text = _body(doc)
    assert "4 500 euros" in text and make_pdfs.BANNER in text
    for secret in (make_pdfs.HIDDEN_WHITE, make_pdfs.HIDDEN_TINY, make_pdfs.HIDDEN_OUTSIDE):
        assert secret.split(":")[0] not in text
    hidden = {s.text for s in doc.hidden}
    assert {make_pdfs.HIDDEN_WHITE, make_pdfs.HIDDEN_TINY, make_pdfs.HIDDEN_OUTSIDE} <= hidden
    reasons = {n.detail["reason"] for n in doc.notes if n.kind == "hidden_text"}
    assert reasons == {"white", "tiny", "outside"}
    assert all(n.page == 1 and n.message.startswith("Page 1") for n in doc.notes if n.kind == "hidden_text")
    assert not any("99 000" in c.text for c in chunk_document(doc))


# ------------------------------------------------------------------------------ real corpus
@pytest.mark.parametrize("name", ["2014-04-24-0000071251", "2014-04-24-0000071216", "2014-05-22-0000072185"])
def test_real_deliberations_lose_no_word(corpus, name):
    """Everything PyMuPDF's plain text holds is read, bar the stamp (same words, whitespace aside)."""
    import pymupdf

    path = corpus / f"deliberations-montpellier/pdf/{name}.pdf"
    doc = read_document(path)
    with pymupdf.open(path) as pdf:
        raw = " ".join(page.get_text() for page in pdf)
    read = set(re.findall(r"\w+", " ".join(s.text for s in doc.sections)))
    stamp = set(re.findall(r"\w+", "Accusé de réception Ministère de l'intérieur Acte Certifié "
                                   "exécutoire Envoi Préfecture Réception en " + doc.metadata["acte_id"]))
    lost = {w for w in re.findall(r"\w+", raw) if w not in read and w not in stamp and not w.isdigit()}
    assert not lost, sorted(lost)[:20]
