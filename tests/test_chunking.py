"""Chunking: sizes, pages, headings, sentence and row boundaries, on built and real documents."""

from __future__ import annotations

import re

import pytest

from clos.ingest import chunk_document, count_tokens, read_document
from clos.types import Document, Section

SENTENCE = ("Le conseil municipal approuve la convention de partenariat avec la métropole "
            "pour l'entretien des espaces verts de la commune. ")


def _doc(*sections: Section, fmt: str = "txt") -> Document:
    return Document(path="x", title="x", format=fmt, sections=list(sections))


def _words(text: str) -> list[str]:
    return text.split()


def test_count_tokens_approximates_french():
    assert count_tokens("") == 0
    assert count_tokens("a") == 1
    # ~4 characters per token for running French text.
    assert 25 <= count_tokens(SENTENCE) <= 40
    # Digits and capitals cost more than lower-case letters: Qwen splits numbers digit by digit.
    assert count_tokens("2014 2015 2016") > count_tokens("abcd efgh ijkl")
    assert count_tokens("CONSEIL MUNICIPAL") > count_tokens("conseil municipal")


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError):
        chunk_document(_doc(Section("x")), target_tokens=500, max_tokens=400)
    with pytest.raises(ValueError):
        chunk_document(_doc(Section("x")), target_tokens=0)


def test_empty_and_blank_sections_give_no_chunk():
    assert chunk_document(_doc()) == []
    assert chunk_document(_doc(Section("  \n\t "), Section(""))) == []


def test_long_paragraph_cut_between_sentences_into_balanced_chunks():
    text = SENTENCE * 60  # ≈ 1,900 tokens in one paragraph
    chunks = chunk_document(_doc(Section(text, heading_path=("Espaces verts",))))
    assert len(chunks) >= 5
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert 200 <= chunk.tokens <= 400
        assert chunk.tokens == count_tokens(chunk.text)
        assert chunk.text.endswith("commune.") and chunk.text.startswith("Le conseil")
        assert chunk.heading_path == ("Espaces verts",)
    assert _words(" ".join(c.text for c in chunks)) == _words(text)  # nothing lost, nothing repeated


def test_chunks_cross_a_page_break_only_where_one_side_is_tiny():
    # Issue 12: a section's few lines at the top of the next page join its start, and the
    # chunk records both pages and where page 2 starts; full pages stay apart.
    sections = [Section(SENTENCE * 4, page=1), Section(SENTENCE * 2, page=1),
                Section("Fin de la page deux.", page=2), Section(SENTENCE * 14, page=3)]
    chunks = chunk_document(_doc(*sections, fmt="pdf"))
    first = chunks[0]
    assert (first.page, first.page_end) == (1, 2) and first.text.endswith("Fin de la page deux.")
    assert first.page_starts == ((0, 1), (first.text.index("Fin de la page"), 2))
    assert first.page_for("Fin de la page deux.") == 2 and first.page_for(SENTENCE[:40]) == 1
    assert all(c.page == 3 and c.page_end is None for c in chunks[1:])
    assert all(c.tokens <= 400 for c in chunks)


def test_heading_at_the_foot_of_a_page_joins_its_text_on_the_next():
    sections = [Section(SENTENCE * 8, page=1, heading_path=("Budget",)),
                Section("A) Repas", page=1, heading_path=("Budget", "A) Repas"), kind="heading"),
                Section("Le repas est remboursé 15,25 € au plus.", page=2,
                        heading_path=("Budget", "A) Repas")),
                Section(SENTENCE * 8, page=2, heading_path=("Budget", "A) Repas"))]
    chunks = chunk_document(_doc(*sections, fmt="pdf"))
    meal = next(c for c in chunks if "15,25" in c.text)
    # Its text is on page 2, the heading alone on page 1: the chunk cites page 2.
    assert meal.text.startswith("A) Repas\n\nLe repas") and (meal.page, meal.page_end) == (2, 2)
    assert meal.page_starts[0] == (0, 1)
    assert meal.page_for("Le repas est remboursé 15,25 €") == 2 and meal.page_for("A) Repas") == 1
    assert chunks[0].page == 1 and chunks[0].page_end is None


def test_sections_under_different_headings_stay_apart():
    sections = [
        Section("Voirie", heading_path=("Voirie",), kind="heading"),
        Section(SENTENCE * 5, heading_path=("Voirie",)),
        Section("Écoles", heading_path=("Écoles",), kind="heading"),
        Section(SENTENCE * 5, heading_path=("Écoles",)),
    ]
    chunks = chunk_document(_doc(*sections))
    assert [c.heading_path for c in chunks] == [("Voirie",), ("Écoles",)]
    assert chunks[0].text.startswith("Voirie\n\n") and chunks[1].text.startswith("Écoles\n\n")


def test_tiny_section_joins_its_neighbour_and_a_small_tail_is_not_left_alone():
    sections = [
        Section("Budget", heading_path=("Budget",), kind="heading"),
        Section("Introduction", heading_path=("Budget", "Introduction"), kind="heading"),
        Section("Le budget est présenté.", heading_path=("Budget", "Introduction")),
        Section("Dépenses", heading_path=("Budget", "Dépenses"), kind="heading"),
        Section(SENTENCE * 8, heading_path=("Budget", "Dépenses")),
        Section("Vote final.", heading_path=("Budget", "Dépenses")),
    ]
    chunks = chunk_document(_doc(*sections))
    assert len(chunks) == 1
    assert chunks[0].text.startswith("Budget\n\nIntroduction\n\nLe budget est présenté.\n\nDépenses")
    assert chunks[0].text.endswith("Vote final.")
    assert chunks[0].heading_path == ("Budget",)  # common ancestor of the merged sections


def test_heading_shares_a_chunk_with_the_start_of_a_long_paragraph():
    sections = [Section("Urbanisme", heading_path=("Urbanisme",), kind="heading"),
                Section(SENTENCE * 13, heading_path=("Urbanisme",))]  # heading + 420 tokens
    chunks = chunk_document(_doc(*sections))
    assert len(chunks) == 2 and chunks[0].text.startswith("Urbanisme\n\nLe conseil")
    assert min(c.tokens for c in chunks) > 150


def test_table_split_between_rows_with_header_repeated():
    header = "Association | Objet | Montant voté"
    rows = [f"Association sportive n° {i} | Subvention de fonctionnement annuelle | {1000 + i} €"
            for i in range(200)]
    chunks = chunk_document(_doc(Section("\n".join([header, *rows]), kind="table",
                                         heading_path=("Subventions",))))
    assert len(chunks) > 5
    seen = []
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[0] == header and chunk.tokens <= 400
        assert chunk.heading_path == ("Subventions",)
        seen.extend(lines[1:])
    assert seen == rows  # every row whole, once, in order


def test_no_chunk_exceeds_the_maximum_even_without_spaces_or_punctuation():
    blob = "x" * 20000
    words = " ".join(["commune"] * 3000)
    numbers = " ".join(str(n) for n in range(4000))
    for text in (blob, words, numbers):
        chunks = chunk_document(_doc(Section(text)))
        assert chunks and all(0 < c.tokens <= 400 for c in chunks)
        assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_abbreviations_do_not_end_sentences():
    text = ("M. Dupont présente le rapport de l'art. L. 2121-29 du code. " + SENTENCE) * 30
    for chunk in chunk_document(_doc(Section(text))):
        assert not re.search(r"(M|art|L)\.$", chunk.text)


def test_smaller_targets_give_smaller_chunks():
    doc = _doc(Section(SENTENCE * 40))
    small = chunk_document(doc, target_tokens=100, max_tokens=150)
    assert all(c.tokens <= 150 for c in small) and len(small) > len(chunk_document(doc))


def test_real_deliberation_chunks_cite_one_page(corpus):
    doc = read_document(corpus / "deliberations-montpellier/pdf/2014-04-24-0000071216.pdf")
    chunks = chunk_document(doc)
    assert {c.page for c in chunks} == {1, 2}
    assert all(100 <= c.tokens <= 400 for c in chunks)
    page_two = next(c for c in chunks if "Le Conseil adopte" in c.text)
    assert page_two.page == 2 and "Monsieur le Maire rapporte" not in page_two.text
    assert page_two.heading_path[-1] == "Personnel Municipal - Instances Paritaires"
    # Chunking only regroups the text: every word of the document is in exactly one chunk.
    assert _words(" ".join(c.text for c in chunks)) == _words(doc.text)


def test_real_guide_chunks_follow_headings(corpus):
    doc = read_document(corpus / "guides-etalab/annotation/4-les-logiciels-d-annotation.md")
    chunks = chunk_document(doc)
    assert len(chunks) > 3 and all(c.tokens <= 400 for c in chunks)
    open_source = next(c for c in chunks if "Lorsque le logiciel a une communauté" in c.text)
    assert open_source.heading_path[-1] == "Le caractère open source"
    assert all(c.heading_path and c.heading_path[0] == doc.title for c in chunks)
