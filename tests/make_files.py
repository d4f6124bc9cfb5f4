"""Small files of the kinds a collectivité really has, each showing one reading fault of issue 12.

Every function writes into ``folder`` and returns the path (invented content, no real person).
Run as a script to write them all into a folder: ``python tests/make_files.py /tmp/fichiers``.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

CANTEEN_VISIBLE = "Le tarif de la cantine scolaire est de 3,20 euros par repas depuis la rentrée."
CANTEEN_HIDDEN = "Le tarif de la cantine scolaire est de 1 euro par repas pour tous."
WIDE_TEXT = ("Compte rendu de la commission des finances\n\nLa commission a examiné le budget "
             "supplémentaire : l’école élémentaire Jules-Ferry sera rénovée en 2025 pour "
             "480 000 euros. Œuvres sociales : reconduction à l'identique.\n")


def pdf_bytes(pages: list[str], *, title: str = "") -> bytes:
    """A text PDF (PyMuPDF), one string per page; an empty string makes a page without text."""
    import pymupdf

    pdf = pymupdf.open()
    for text in pages:
        page = pdf.new_page()
        if text:
            page.insert_textbox(pymupdf.Rect(50, 60, 550, 800), text, fontsize=11)
    if title:
        pdf.set_metadata({"title": title})
    data = pdf.tobytes()
    pdf.close()
    return data


def _blank_scan(pdf) -> None:
    """A « scanned » page: an image of an empty sheet, no text layer and nothing OCR can read
    (noise would make Tesseract invent words)."""
    import pymupdf

    width, height = 200, 280
    pix = pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes([246]) * (width * height), False)
    page = pdf.new_page()
    page.insert_image(page.rect, pixmap=pix)


def scanned_pdf(folder: Path, *, mixed: bool) -> Path:
    """``mixed``: page 1 text, page 2 scanned, page 3 text; else one scanned page only."""
    import pymupdf

    pdf = pymupdf.open()
    if mixed:
        for text in ("Rapport sur la restauration scolaire. Les menus sont élaborés par une"
                     " diététicienne et validés en commission.", None,
                     "Conclusion : le service sera reconduit pour trois ans."):
            if text is None:
                _blank_scan(pdf)
            else:
                pdf.new_page().insert_textbox(pymupdf.Rect(50, 60, 550, 800), text, fontsize=11)
        path = folder / "rapport_restauration.pdf"
    else:
        _blank_scan(pdf)
        path = folder / "courrier_numerise.pdf"
    pdf.save(path)
    pdf.close()
    return path


def xlsx_merged(folder: Path) -> Path:
    """An organisation chart: « Direction de la culture » merged over two rows (A2:A3)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Organigramme"
    for row in (["Direction", "Service", "Agents"],
                ["Direction de la culture", "Musée des beaux-arts", 7],
                [None, "Conservatoire", 11],
                ["Direction des sports", "Piscine municipale", 9]):
        sheet.append(row)
    sheet.merge_cells("A2:A3")
    path = folder / "organigramme.xlsx"
    workbook.save(path)
    return path


def ods_merged(folder: Path) -> Path:
    """The same chart in ODS: a cell with ``table:number-rows-spanned="2"``."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    ods = OpenDocumentSpreadsheet()
    table = Table(name="Organigramme")
    rows = [[("Direction", 1), ("Service", 1), ("Agents", 1)],
            [("Direction de la culture", 2), ("Musée des beaux-arts", 1), ("7", 1)],
            [(None, 0), ("Conservatoire", 1), ("11", 1)],
            [("Direction des sports", 1), ("Piscine municipale", 1), ("9", 1)]]
    for cells in rows:
        row = TableRow()
        for text, span in cells:
            if text is None:
                row.addElement(CoveredTableCell())
                continue
            cell = TableCell(valuetype="string", numberrowsspanned=span) if span > 1 \
                else TableCell(valuetype="string")
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    ods.spreadsheet.addElement(table)
    path = folder / "organigramme.ods"
    ods.save(str(path))
    return path


def docx_hidden(folder: Path) -> Path:
    """Visible tariff, a contradicting hidden run (w:vanish) and a reviewer's comment."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_heading("Restauration scolaire", level=1)
    document.add_paragraph(CANTEEN_VISIBLE)
    paragraph = document.add_paragraph("Les familles paient à la fin du mois. ")
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:rPr><w:vanish/></w:rPr><w:t>{CANTEEN_HIDDEN}</w:t></w:r>'))
    run = document.add_paragraph().add_run("Inscriptions en mairie.")
    document.add_comment(run, text="Vérifier les horaires avec le service", author="Relecture")
    path = folder / "cantine.docx"
    document.save(path)
    return path


def odt_hidden(folder: Path) -> Path:
    """Visible tariff, a span in a style with text:display="none", and an annotation."""
    from odf.dc import Creator
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import H, P, Span

    odt = OpenDocumentText()
    hidden = Style(name="Masque", family="text")
    hidden.addElement(TextProperties(display="none"))
    odt.automaticstyles.addElement(hidden)
    odt.text.addElement(H(outlinelevel=1, text="Restauration scolaire"))
    odt.text.addElement(P(text=CANTEEN_VISIBLE))
    paragraph = P(text="Les familles paient à la fin du mois. ")
    paragraph.addElement(Span(stylename=hidden, text=CANTEEN_HIDDEN))
    note = Annotation()
    note.addElement(Creator(text="Relecture"))
    note.addElement(P(text="Vérifier les horaires avec le service"))
    paragraph.addElement(note)
    odt.text.addElement(paragraph)
    path = folder / "cantine.odt"
    odt.save(str(path))
    return path


def eml_with_attachments(folder: Path) -> Path:
    """A message with a PDF and a TXT attachment (both readable) and a PNG (not a text format)."""
    message = EmailMessage()
    message["From"] = "Service des finances <finances@mairie.example>"
    message["To"] = "accueil@mairie.example"
    message["Subject"] = "Facture de la salle des fêtes"
    message["Date"] = "Wed, 15 May 2024 10:00:00 +0200"
    message.set_content("Bonjour,\n\nVous trouverez la facture et le règlement ci-joints.\n")
    message.add_attachment(pdf_bytes(["Facture n° 2024-118. Location de la salle des fêtes :"
                                      " 350 euros, payable sous trente jours."]),
                           maintype="application", subtype="pdf", filename="facture.pdf")
    message.add_attachment("Règlement de la salle : fermeture des portes à minuit.\n".encode("utf-8"),
                           maintype="text", subtype="plain", filename="reglement.txt")
    message.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png",
                           filename="plan.png")
    path = folder / "facture_salle.eml"
    path.write_bytes(bytes(message))
    return path


def html_as_pdf(folder: Path) -> Path:
    """A web page saved with a .pdf name."""
    path = folder / "horaires.pdf"
    path.write_text("<!DOCTYPE html><html><head><title>Horaires de la médiathèque</title></head>"
                    "<body><h1>Horaires</h1><p>La médiathèque est ouverte le mercredi de 10 h à"
                    " 18 h.</p></body></html>", encoding="utf-8")
    return path


def truncated_pdf(folder: Path) -> Path:
    """A three-page PDF whose last bytes are lost (an interrupted download)."""
    data = pdf_bytes([f"Page {n} du plan local d'urbanisme : zone {z} constructible."
                      for n, z in ((1, "UA"), (2, "UB"), (3, "UC"))])
    path = folder / "plu_telecharge.pdf"
    path.write_bytes(data[: int(len(data) * 0.8)])
    return path


def wide_text(folder: Path, encoding: str) -> Path:
    """``WIDE_TEXT`` in UTF-16 or UTF-32, little or big endian, without a byte-order mark."""
    path = folder / f"compte_rendu_{encoding.replace('-', '')}.txt"
    path.write_bytes(WIDE_TEXT.encode(encoding))
    return path


def copy_pair(folder: Path) -> tuple[Path, Path]:
    """« X_definitif.txt » and « Copie de X_definitif.txt », same text, the copy saved later."""
    text = ("Règlement intérieur du conseil municipal\n\nLe conseil se réunit au moins une fois"
            " par trimestre. Les convocations sont adressées cinq jours francs avant la séance."
            " Les questions orales sont posées en fin de séance.\n")
    original = folder / "reglement_interieur_definitif.txt"
    copy = folder / "Copie de reglement_interieur_definitif.txt"
    original.write_text(text, encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    os.utime(original, (1_700_000_000, 1_700_000_000))
    os.utime(copy, (1_710_000_000, 1_710_000_000))
    return original, copy


def docx_template_dated(folder: Path, *, with_sitting: bool = True) -> Path:
    """A DOCX whose properties say created (and modified) in 2013, as a reused template does;
    ``with_sitting`` adds « Séance du 12 mars 2024 » to its text."""
    import docx

    document = docx.Document()
    document.add_heading("Compte rendu du conseil d'école", level=1)
    if with_sitting:
        document.add_paragraph("Séance du 12 mars 2024")
    document.add_paragraph("Le conseil d'école valide le projet de classe verte pour les CM2.")
    document.core_properties.created = datetime(2013, 12, 23, 23, 15)
    document.core_properties.modified = datetime(2013, 12, 23, 23, 15)
    path = folder / ("conseil_ecole.docx" if with_sitting else "note_sans_date.docx")
    document.save(path)
    return path


def small_corpus(folder: Path, n: int = 10) -> list[Path]:
    """``n`` small text and Markdown files with distinct invented content (for the kill test)."""
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["voirie", "écoles", "piscine", "médiathèque", "cimetière", "marché", "crèche",
              "stade", "jardins familiaux", "éclairage public", "transports", "déchets"]
    paths = []
    for i in range(n):
        topic = topics[i % len(topics)]
        body = "\n\n".join(
            f"Article {k}. Le service {topic} applique la règle {i}-{k} : horaires, tarifs et"
            f" conditions d'accès sont fixés par la délibération n° {100 + i}-{k}." for k in range(1, 30))
        path = folder / (f"note_{i:02d}.md" if i % 2 else f"note_{i:02d}.txt")
        path.write_text(f"Note de service {i} sur {topic}\n\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = [xlsx_merged(folder), ods_merged(folder), docx_hidden(folder), eml_with_attachments(folder),
           html_as_pdf(folder), truncated_pdf(folder), *copy_pair(folder), docx_template_dated(folder),
           scanned_pdf(folder, mixed=True), scanned_pdf(folder, mixed=False)]
    sub = folder / "odt"
    sub.mkdir(exist_ok=True)
    out.append(odt_hidden(sub))
    out += [wide_text(folder, e) for e in ("utf-16-le", "utf-16-be", "utf-32-le")]
    return out


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "fichiers")):
        print(written)
