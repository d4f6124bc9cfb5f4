"""Readers: real corpus files, fixtures built with the real libraries, and files that must fail."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from clos.errors import IngestError
from clos.ingest import SUPPORTED_EXTENSIONS, file_hash, iter_files, read_document
from clos.ingest.dates import date_from_filename, find_french_date
from clos.ingest.text import decode_bytes

DELIBERATION = "deliberations-montpellier/pdf/2014-04-24-0000071216.pdf"


def _section_with(doc, phrase):
    return next(s for s in doc.sections if phrase in s.text)


# ------------------------------------------------------------------------------ real corpus
def test_montpellier_deliberation_pages_title_and_date(corpus):
    doc = read_document(corpus / DELIBERATION)
    assert doc.format == "pdf" and doc.pages == 2
    assert doc.path == str(corpus / DELIBERATION)
    assert doc.title == "Personnel Municipal - Instances Paritaires"
    assert doc.doc_date == "2014-04-24"
    assert doc.metadata["has_text_layer"] is True and doc.metadata["pages_without_text"] == []
    assert doc.mtime == pytest.approx(os.path.getmtime(corpus / DELIBERATION))
    assert doc.content_hash == ""
    assert _section_with(doc, "Monsieur le Maire rapporte").page == 1
    assert _section_with(doc, "Le Conseil adopte").page == 2
    assert _section_with(doc, "élections professionnelles prévues en décembre 2014").page == 2
    assert {s.page for s in doc.sections} == {1, 2}
    body = _section_with(doc, "Conformément aux articles 29, 32 et 33-1")
    assert body.heading_path[-1] == "Personnel Municipal - Instances Paritaires"


def test_etalab_guide_markdown_headings(corpus):
    path = corpus / "guides-etalab/annotation/4-les-logiciels-d-annotation.md"
    doc = read_document(path)
    assert doc.format == "md"
    assert doc.title == "Les critères de sélection des logiciels d'annotation"
    section = _section_with(doc, "Lorsque le logiciel a une communauté")
    assert section.heading_path == (doc.title, "Le caractère open source")
    assert "permalink" not in doc.text  # front matter stripped
    assert "(https://" not in doc.text and "[article]" not in doc.text  # links reduced to their text
    assert doc.metadata["encoding"] == "utf-8"


def test_markdown_front_matter_title_and_html_table(corpus):
    doc = read_document(corpus / "rgaa/src/obligations/champ-application.md")
    assert doc.title == "Rappel du champ d’application"
    assert "layout:" not in doc.text
    annex = read_document(corpus / "cgct/annexes/autres-annexes/article-annexe-xi.md")
    table = next(s for s in annex.sections if s.kind == "table")
    assert table.text.split("\n")[0].startswith("RÉGIONS | PREMIER collège")
    assert "Alsace | 25 | 25 | 25 | 4 | 3 | 78" in table.text.split("\n")


def test_service_public_fiche_text(corpus):
    doc = read_document(corpus / "service-public-fiches/F10009_apa-a-domicile--demande_--a-paris.txt")
    assert doc.format == "txt" and doc.title == "Apa à domicile"
    assert doc.metadata["encoding"] == "utf-8" and doc.metadata["mojibake"] is False
    assert "allocation personnalisée d'autonomie" in doc.text
    assert doc.pages is None


# ------------------------------------------------------------------------------ built fixtures
def _make_pdf(path: Path, pages: list[list[tuple[str, float]]], **save) -> Path:
    import pymupdf

    pdf = pymupdf.open()
    for lines in pages:
        page = pdf.new_page()
        y = 72.0
        for text, size in lines:
            page.insert_text((72, y), text, fontsize=size)
            y += size * 2
    pdf.set_metadata({"title": "", "creationDate": "D:20240315120000"})
    pdf.save(path, **save)
    return path


def test_generated_pdf_headings_empty_page_and_title(tmp_path):
    body = "Le conseil approuve le budget primitif de la commune pour l'exercice."
    path = _make_pdf(tmp_path / "budget.pdf", [
        [("Budget primitif 2024", 20), (body, 11), (body, 11), (body, 11)],
        [],
        [("Annexe financière", 20), ("Montant total des investissements : 1 200 000 euros.", 11)],
    ])
    doc = read_document(path)
    assert doc.pages == 3 and doc.title == "Budget primitif 2024"
    assert doc.metadata["pages_without_text"] == [2] and doc.metadata["has_text_layer"] is True
    assert doc.doc_date == "2024-03-15" and doc.metadata["date_source"] == "metadata"
    annex = _section_with(doc, "Montant total")
    assert annex.page == 3 and annex.heading_path == ("Annexe financière",)
    assert _section_with(doc, "Le conseil approuve").heading_path == ("Budget primitif 2024",)


def test_docx_headings_table_tracked_changes_and_comments(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_heading("Rapport d'orientation budgétaire", level=1)
    document.add_heading("Investissements", level=2)
    paragraph = document.add_paragraph("Le budget de la voirie est ")
    paragraph._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="Agent" w:date="2024-01-01T00:00:00Z">'
        "<w:r><w:t>en hausse</w:t></w:r></w:ins>"))
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="2" w:author="Agent" w:date="2024-01-01T00:00:00Z">'
        "<w:r><w:delText>en baisse</w:delText></w:r></w:del>"))
    run = document.add_paragraph().add_run("Voir la délibération du 12 mars 2024.")
    document.add_comment(run, text="Chiffre à vérifier", author="Relecteur")
    table = document.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Commune", "Population"), ("Montpellier", "285 121"), ("Sète", "44 270")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    path = tmp_path / "rob.docx"
    document.save(path)

    doc = read_document(path)
    assert doc.format == "docx" and doc.pages is None
    assert doc.title == "Rapport d'orientation budgétaire"
    assert doc.metadata["tracked_changes"] is True and doc.metadata["comments"] is True
    assert "Le budget de la voirie est en hausse" in doc.text and "en baisse" not in doc.text
    assert "Chiffre à vérifier" not in doc.text  # comments are metadata, not content
    section = _section_with(doc, "en hausse")
    assert section.heading_path == ("Rapport d'orientation budgétaire", "Investissements")
    tables = [s for s in doc.sections if s.kind == "table"]
    assert tables[0].text == "Commune | Population\nMontpellier | 285 121\nSète | 44 270"
    assert doc.doc_date == "2024-03-12"

    plain = docx.Document()
    plain.add_paragraph("Note simple.")
    plain.save(tmp_path / "note.docx")
    facts = read_document(tmp_path / "note.docx").metadata
    assert facts["tracked_changes"] is False and facts["comments"] is False


def test_docx_text_box_is_read_once(tmp_path):
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    paragraph = document.add_paragraph("Avant l'encadré. ")
    # Word stores a text box twice: the drawing and a VML fallback for old readers.
    box = "<w:txbxContent><w:p><w:r><w:t>Horaires d'ouverture</w:t></w:r></w:p></w:txbxContent>"
    paragraph._p.append(parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"))
    document.save(tmp_path / "affiche.docx")
    assert read_document(tmp_path / "affiche.docx").text == "Avant l'encadré. Horaires d'ouverture"


def test_odt_headings_table_tracked_changes_and_annotation(tmp_path):
    from odf.dc import Creator, Title
    from odf.dc import Date as DcDate
    from odf.namespaces import XMLNS
    from odf.office import Annotation, ChangeInfo
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, ChangedRegion, Deletion, List, ListItem, P, TrackedChanges

    odt = OpenDocumentText()
    odt.meta.addElement(Title(text="Compte rendu du conseil"))
    odt.text.addElement(H(outlinelevel=1, text="Conseil municipal"))
    changes, region = TrackedChanges(), ChangedRegion(check_grammar=False)
    region.setAttrNS(XMLNS, "id", "ct1")
    deletion, info = Deletion(), ChangeInfo()
    info.addElement(Creator(text="Agent"))
    info.addElement(DcDate(text="2024-01-01T00:00:00"))
    deletion.addElement(info)
    deletion.addElement(P(text="Paragraphe supprimé"))
    region.addElement(deletion)
    changes.addElement(region)
    odt.text.addElement(changes)
    paragraph = P(text="Le budget est voté à l'unanimité.")
    note = Annotation()
    note.addElement(Creator(text="Relecteur"))
    note.addElement(P(text="Remarque interne"))
    paragraph.addElement(note)
    odt.text.addElement(paragraph)
    odt.text.addElement(H(outlinelevel=2, text="Voirie"))
    items = List()
    item = ListItem()
    item.addElement(P(text="Réfection de la rue de la Loge"))
    items.addElement(item)
    odt.text.addElement(items)
    table = Table(name="Tableau1")
    for cells in (["Commune", "Population"], ["Sète", "44 270"]):
        row = TableRow()
        for text in cells:
            cell = TableCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    odt.text.addElement(table)
    odt.save(str(tmp_path / "cr.odt"))

    doc = read_document(tmp_path / "cr.odt")
    assert doc.format == "odt" and doc.title == "Compte rendu du conseil"
    assert doc.metadata["tracked_changes"] is True and doc.metadata["comments"] is True
    assert "Paragraphe supprimé" not in doc.text and "Remarque interne" not in doc.text
    assert _section_with(doc, "Réfection").heading_path == ("Conseil municipal", "Voirie")
    assert any(s.kind == "table" and s.text == "Commune | Population\nSète | 44 270" for s in doc.sections)


def test_xlsx_sheets_as_tables(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Subventions"
    sheet.append(["Association", "Montant", "Vote"])
    sheet.append(["Club de handball", 1500.5, datetime(2024, 4, 24)])
    sheet.append([None, None, None])
    sheet.append(["Comité des fêtes", 800, date(2024, 5, 2)])
    other = workbook.create_sheet("Notes")
    other["B2"] = "Budget prévisionnel"
    workbook.save(tmp_path / "subventions.xlsx")

    doc = read_document(tmp_path / "subventions.xlsx")
    assert doc.format == "xlsx" and doc.metadata["sheets"] == ["Subventions", "Notes"]
    first, second = doc.sections
    assert first.kind == "table" and first.heading_path == ("Subventions",)
    assert first.text.split("\n") == [
        "Association | Montant | Vote",
        "Club de handball | 1500,5 | 2024-04-24",
        "Comité des fêtes | 800 | 2024-05-02",
    ]
    assert second.text == "Budget prévisionnel"  # the blank column A is not kept
    # A date cell is data, not the document's date: only the workbook's own creation date counts.
    assert doc.metadata["date_source"] == "metadata" and doc.doc_date == doc.metadata["created"]


def test_ods_sheet_without_expanding_blank_repeats(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    ods = OpenDocumentSpreadsheet()
    table = Table(name="Budget")
    for cells in (["Poste", "Montant"], ["Voirie", "1200"], ["Écoles", "3400"]):
        row = TableRow()
        for text in cells:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=text))
            row.addElement(cell)
        row.addElement(TableCell(numbercolumnsrepeated=16000))
        table.addElement(row)
    table.addElement(TableRow(numberrowsrepeated=1_000_000))
    ods.spreadsheet.addElement(table)
    ods.save(str(tmp_path / "budget.ods"))

    doc = read_document(tmp_path / "budget.ods")
    assert doc.format == "ods" and doc.metadata["sheets"] == ["Budget"]
    assert [(s.kind, s.heading_path, s.text) for s in doc.sections] == [
        ("table", ("Budget",), "Poste | Montant\nVoirie | 1200\nÉcoles | 3400")
    ]


def test_csv_cp1252_semicolons(tmp_path):
    path = tmp_path / "élus.csv"
    path.write_bytes("Nom;Fonction;Délégation\nDupré;Adjointe;Écoles et périscolaire\n".encode("cp1252"))
    doc = read_document(path)
    assert doc.format == "csv" and doc.metadata["encoding"] == "cp1252" and doc.metadata["delimiter"] == ";"
    assert doc.sections[0].kind == "table"
    assert doc.sections[0].text == "Nom | Fonction | Délégation\nDupré | Adjointe | Écoles et périscolaire"


def test_pptx_one_section_per_slide(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for title, body in (("Projet de territoire", "Trois axes prioritaires"), ("Calendrier", "Vote en juin")):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    shape = deck.slides[1].shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1))
    for (r, c), text in {(0, 0): "Étape", (0, 1): "Date", (1, 0): "Vote", (1, 1): "Juin"}.items():
        shape.table.cell(r, c).text = text
    deck.slides[0].notes_slide.notes_text_frame.text = "Insister sur la mobilité."
    deck.save(tmp_path / "projet.pptx")

    doc = read_document(tmp_path / "projet.pptx")
    assert doc.format == "pptx" and doc.pages == 2 and doc.title == "Projet de territoire"
    assert _section_with(doc, "Trois axes").page == 1
    assert _section_with(doc, "Vote en juin").heading_path == ("Calendrier",)
    assert _section_with(doc, "Étape | Date").kind == "table"
    assert _section_with(doc, "mobilité").page == 1


def test_odp_slides_are_pages(tmp_path):
    from odf.draw import Frame, Page, TextBox
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    odp = OpenDocumentPresentation()
    layout = PageLayout(name="PL")
    odp.automaticstyles.addElement(layout)
    master = MasterPage(name="M", pagelayoutname=layout)
    odp.masterstyles.addElement(master)
    for number, (title, body) in enumerate((("Mobilités", "Plan vélo"), ("Budget", "Deux millions")), 1):
        page = Page(masterpagename=master, name=f"diapo{number}")
        for kind, text in (("title", title), ("outline", body)):
            frame = Frame(width="20cm", height="3cm", x="1cm", y=f"{number * 4}cm")
            frame.setAttrNS(PRESENTATIONNS, "class", kind)
            box = TextBox()
            box.addElement(P(text=text))
            frame.addElement(box)
            page.addElement(frame)
        odp.presentation.addElement(page)
    odp.save(str(tmp_path / "mobilites.odp"))

    doc = read_document(tmp_path / "mobilites.odp")
    assert doc.format == "odp" and doc.pages == 2 and doc.title == "Mobilités"
    assert [(s.page, s.heading_path) for s in doc.sections] == [(1, ("Mobilités",)), (2, ("Budget",))]
    assert "Deux millions" in doc.sections[1].text


def test_html_headings_tables_and_dropped_chrome(tmp_path):
    page = """<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Marchés publics</title>
    <style>body { color: red }</style><script>var secret = 1;</script></head><body>
    <nav><a href="/">Accueil</a> menu</nav>
    <h1>Commande publique</h1><p>Les seuils sont <b>révisés</b> tous les deux ans.</p>
    <h2>Seuils</h2><table><tr><th>Procédure</th><th>Seuil</th></tr><tr><td>MAPA</td><td>40 000 €</td></tr></table>
    <div>Texte libre<br>sur deux lignes</div></body></html>"""
    path = tmp_path / "marches.html"
    path.write_bytes(page.encode("cp1252"))
    doc = read_document(path)
    assert doc.format == "html" and doc.title == "Marchés publics"
    assert doc.metadata["encoding"] == "cp1252"
    assert "secret" not in doc.text and "color" not in doc.text and "Accueil" not in doc.text
    assert _section_with(doc, "révisés").text == "Les seuils sont révisés tous les deux ans."
    table = _section_with(doc, "MAPA")
    assert table.kind == "table" and table.text == "Procédure | Seuil\nMAPA | 40 000 €"
    assert table.heading_path == ("Commande publique", "Seuils")
    assert _section_with(doc, "Texte libre").text == "Texte libre\nsur deux lignes"


def test_eml_headers_body_and_attachments(tmp_path):
    message = EmailMessage()
    message["From"] = "Marie Durand <marie.durand@mairie.example>"
    message["To"] = "service.urbanisme@mairie.example"
    message["Subject"] = "Permis de construire de la rue Foch"
    message["Date"] = "Tue, 14 May 2024 09:30:00 +0200"
    message.set_content("Bonjour,\n\nLe dossier est complet.\n\nCordialement.")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="plan.pdf")
    path = tmp_path / "permis.eml"
    path.write_bytes(bytes(message))

    doc = read_document(path)
    assert doc.format == "eml" and doc.title == "Permis de construire de la rue Foch"
    assert doc.doc_date == "2024-05-14" and doc.metadata["date_source"] == "document"
    header = doc.sections[0].text
    assert "De : Marie Durand <marie.durand@mairie.example>" in header and "Objet : Permis" in header
    assert "Le dossier est complet." in [s.text for s in doc.sections]
    assert doc.metadata["attachments"] == ["plan.pdf"] and "%PDF" not in doc.text

    html_only = EmailMessage()
    html_only["Subject"] = "Réunion"
    html_only.set_content("<html><body><h1>Ordre du jour</h1><p>Voirie et écoles.</p></body></html>",
                          subtype="html")
    (tmp_path / "reunion.eml").write_bytes(bytes(html_only))
    doc = read_document(tmp_path / "reunion.eml")
    assert doc.metadata["body_format"] == "html"
    assert _section_with(doc, "Voirie et écoles.").heading_path == ("Ordre du jour",)


def test_cp1252_text_and_mojibake_flag(tmp_path):
    text = "Délibération n° 12 : l’école élémentaire sera rénovée à la rentrée. Coût : 12 000 €.\n"
    (tmp_path / "note.txt").write_bytes(text.encode("cp1252"))
    doc = read_document(tmp_path / "note.txt")
    assert doc.metadata["encoding"] == "cp1252" and doc.text == text.strip()
    assert doc.metadata["mojibake"] is False
    garbled = text.encode("utf-8").decode("cp1252")  # what a wrong conversion leaves behind
    (tmp_path / "garbled.txt").write_text(garbled, encoding="utf-8")
    assert read_document(tmp_path / "garbled.txt").metadata["mojibake"] is True


def test_decode_bytes_prefers_french_readings():
    sample = "Réunion du comité : l’élève a été reçu à l’école, où il a été félicité. Œuvre, ça."
    assert decode_bytes(sample.encode("utf-8-sig")) == (sample, "utf-8-sig")
    assert decode_bytes(sample.encode("cp1252")) == (sample, "cp1252")
    dos = sample.replace("’", "'").replace("Œ", "OE")
    assert decode_bytes(dos.encode("cp850"))[0] == dos


# ------------------------------------------------------------------------------ failures
def _error(path) -> IngestError:
    with pytest.raises(IngestError) as info:
        read_document(path)
    error = info.value
    assert path.name in str(error) and str(error).startswith("Impossible de lire")
    return error


def test_corrupted_docx(tmp_path):
    path = tmp_path / "rapport-final.docx"
    path.write_bytes(os.urandom(4096))
    assert _error(path).reason == "fichier DOCX corrompu (archive ZIP invalide)"


def test_encrypted_pdf(tmp_path):
    import pymupdf

    path = _make_pdf(tmp_path / "confidentiel.pdf", [[("Données protégées", 12)]],
                     encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="admin")
    error = _error(path)
    assert error.reason == "PDF chiffré (mot de passe requis)"


def test_empty_binary_unsupported_and_damaged_files(tmp_path):
    (tmp_path / "vide.pdf").write_bytes(b"")
    assert _error(tmp_path / "vide.pdf").reason == "fichier vide"
    (tmp_path / "photo.txt").write_bytes(bytes(range(256)) * 20)
    assert "binaire" in _error(tmp_path / "photo.txt").reason
    (tmp_path / "donnees.json").write_text("{}")
    assert _error(tmp_path / "donnees.json").reason == "format non pris en charge (.json)"
    (tmp_path / "casse.pdf").write_bytes(b"%PDF-1.4 pas vraiment un PDF")
    assert "PDF" in _error(tmp_path / "casse.pdf").reason
    (tmp_path / "ancien.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    assert "ancien format" in _error(tmp_path / "ancien.docx").reason
    error = _error(tmp_path / "absent.md")
    assert error.reason == "fichier introuvable"


def test_errors_keep_the_technical_cause(tmp_path):
    path = tmp_path / "tableau.xlsx"
    with __import__("zipfile").ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    error = _error(path)
    assert error.__cause__ is not None and "XLSX" in error.reason


# ------------------------------------------------------------------------------ files and dates
def test_iter_files_walks_sorted_and_reports_unsupported(tmp_path):
    for name in ("b/2.md", "b/1.txt", "a.pdf", ".cache/x.md", "b/.hidden.txt", "c/data.json",
                 "c/~$brouillon.docx", "z.EML"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = list(iter_files([tmp_path]))
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.pdf", "z.EML", "b/1.txt", "b/2.md"]
    skipped: list[IngestError] = []
    named = list(iter_files([tmp_path / "c/data.json", str(tmp_path / "b/1.txt"), tmp_path / "nope.pdf",
                             tmp_path / "b"], skipped=skipped))
    assert named == [tmp_path / "b/1.txt", tmp_path / "b/2.md"]  # no duplicate for b/1.txt
    assert [(Path(e.path).name, e.reason) for e in skipped] == [
        ("data.json", "format non pris en charge (.json)"),
        ("nope.pdf", "fichier ou dossier introuvable"),
    ]
    assert {".pdf", ".docx", ".odt", ".xlsx", ".ods", ".csv", ".pptx", ".odp", ".html", ".md", ".txt",
            ".eml"} <= set(SUPPORTED_EXTENSIONS)


def test_file_hash_is_sha256(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "gros.pdf").write_bytes(data)
    assert file_hash(tmp_path / "gros.pdf") == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("text, expected", [
    ("Séance publique du jeudi 24 avril 2014", "2014-04-24"),
    ("Conseil du 1er mars 2020 à 18h", "2020-03-01"),
    ("réunion du 3 AOUT 2019", "2019-08-03"),
    ("Publiée le : 25/04/2014", "2014-04-25"),
    ("version 2021-06-30 du schéma", "2021-06-30"),
    ("Vu la loi n° 83-597 du 7 juillet 1983 ; Fait à Montpellier, le 12 mai 2014", "2014-05-12"),
    ("Vu la loi n° 83-597 du 7 juillet 1983", "1983-07-07"),
    ("le 31 février 2014 n'existe pas", None),
    ("aucune date ici, seulement 2014", None),
])
def test_find_french_date(text, expected):
    assert find_french_date(text) == expected


def test_date_from_filename():
    assert date_from_filename("2014-04-24-0000071216.pdf") == "2014-04-24"
    assert date_from_filename("cr_conseil_24.04.2014.odt") == "2014-04-24"
    assert date_from_filename("F10009_apa-a-domicile.txt") is None


def test_import_stays_light():
    code = ("import sys, clos.ingest; heavy = {'pymupdf', 'docx', 'odf', 'openpyxl', 'pptx', 'bs4', "
            "'charset_normalizer'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_birth_dates_are_not_document_dates():
    from clos.ingest.dates import find_french_date

    assert find_french_date("Mme Durand, née le 12 mars 1975 à Lyon. Courrier du 3 juin 2021.") \
        == "2021-06-03"
    assert find_french_date("Date de naissance : 12/03/1975.") is None
