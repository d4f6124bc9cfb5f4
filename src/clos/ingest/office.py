"""Office readers: DOCX, XLSX, PPTX (python-docx, openpyxl, python-pptx), ODT, ODS, ODP (odfpy), CSV.

Tables become ``kind="table"`` sections with one line per row (« cell | cell ») so the chunker can
split them between rows and repeat the header row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Iterator

from clos.errors import IngestError
from clos.ingest.dates import iso_date
from clos.ingest.text import Outline, read_text_file
from clos.types import Document, Section

MAX_ROWS = 20_000  # per sheet or CSV file: past that a table is an export, not a document to read
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_MARKUP_COMPATIBILITY = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_HEADING_STYLE = re.compile(r"^(?:heading|titre|title)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _rows_text(rows: Iterable[list[str]]) -> str:
    return "\n".join(" | ".join(cells) for cells in rows)


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells


def check_zip_container(path: Path, label: str) -> None:
    """Fail early, in French, on what is not a readable ZIP package (encrypted, old binary, corrupt)."""
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == _OLE_MAGIC:
            # Office encrypts OOXML files inside an OLE container that holds an EncryptionInfo stream.
            if _ENCRYPTION_INFO in head + fh.read(32 * 1024 * 1024):
                raise IngestError(path, f"document {label} chiffré (mot de passe requis)")
            raise IngestError(path, "ancien format binaire Office (.doc, .xls, .ppt) non pris en charge")
    if not zipfile.is_zipfile(path):
        raise IngestError(path, f"fichier {label} corrompu (archive ZIP invalide)")
    if label in ("ODT", "ODS", "ODP"):
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = archive.read("META-INF/manifest.xml")
            except KeyError:
                manifest = b""
        if b"encryption-data" in manifest:
            raise IngestError(path, f"document {label} chiffré (mot de passe requis)")


# ------------------------------------------------------------------------------------------ DOCX
def read_docx(path: Path) -> Document:
    check_zip_container(path, "DOCX")
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile, docx.opc.exceptions.PackageNotFoundError) as exc:
        raise IngestError(path, "fichier DOCX invalide (ce n'est pas un document Word)") from exc
    p_tag, tbl_tag, sdt_tag, tc_tag, tr_tag = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:tc"), qn("w:tr")
    text_tags = (qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"))
    style_names = {s.style_id: s.name or "" for s in document.styles}

    def paragraph_text(element: Any) -> str:
        # w:t only: deleted text sits in w:delText, so this reads the document as if changes were accepted.
        parts = []
        for node in element.iter(*text_tags):
            if node.tag == text_tags[0]:
                parts.append(node.text or "")
            else:
                parts.append(" " if node.tag == text_tags[1] else "\n")
        return "\n".join(_clean(line) for line in "".join(parts).split("\n") if line.strip())

    def heading_level(element: Any) -> int | None:
        ppr = element.pPr
        if ppr is None:
            return None
        if ppr.pStyle is not None:
            name = style_names.get(ppr.pStyle.val, ppr.pStyle.val)
            if _TITLE_STYLE.match(name):
                return 0
            # French Word stores « Titre 1 » as style id « Titre1 »; accept both spellings.
            spaced_id = re.sub(r"(\D)(\d)$", r"\1 \2", ppr.pStyle.val)
            match = _HEADING_STYLE.match(name) or _HEADING_STYLE.match(spaced_id)
            if match:
                return int(match.group(1))
        outline = ppr.find(qn("w:outlineLvl"))
        value = outline.get(qn("w:val"), "") if outline is not None else ""
        return int(value) + 1 if value.isdigit() and int(value) < 9 else None

    sections: list[Section] = []
    outline = Outline()
    title_style = ""

    def walk(container: Any) -> None:
        nonlocal title_style
        for child in container.iterchildren():
            if child.tag == p_tag:
                text = paragraph_text(child)
                if not text:
                    continue
                level = heading_level(child)
                if level is None or len(text) > 300:
                    sections.append(Section(text, None, outline.path, "text"))
                    continue
                text = _clean(text)
                title_style = title_style or (text if level == 0 else "")
                sections.append(Section(text, None, outline.enter(level, text), "heading"))
            elif child.tag == tbl_tag:
                rows = []
                for tr in child.iter(tr_tag):
                    if tr.getparent() is not child:
                        continue  # nested tables stay inside the cell that holds them
                    cells = _trim([_clean(paragraph_text(tc)) for tc in tr.iterchildren(tc_tag)])
                    if cells:
                        rows.append(cells)
                if rows:
                    sections.append(Section(_rows_text(rows), None, outline.path, "table"))
            elif child.tag == sdt_tag:
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    walk(content)

    body = document.element.body
    # Text boxes are stored twice (drawing and VML fallback); reading both would double their text.
    for fallback in list(body.iter(f"{{{_MARKUP_COMPATIBILITY}}}Fallback")):
        fallback.getparent().remove(fallback)
    walk(body)
    changes = next(body.iter(qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo")), None)
    comments = next(body.iter(qn("w:commentReference"), qn("w:commentRangeStart")), None)
    header_footer: list[str] = []
    for section in document.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous:
                continue
            for paragraph in part.paragraphs:
                text = _clean(paragraph.text)
                if text and text not in header_footer:
                    header_footer.append(text)
    core = document.core_properties
    metadata: dict[str, Any] = {"tracked_changes": changes is not None, "comments": comments is not None,
                                "created": iso_date(core.created)}
    if header_footer:
        metadata["header_footer"] = " / ".join(header_footer)[:500]
    return Document(str(path), core.title or title_style, "docx", sections, metadata=metadata)


# -------------------------------------------------------------------------------- ODT, ODS, ODP
def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.10g}".replace(".", ",")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ", "minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return _clean(str(value))


def _table_sections(rows: Iterator[list[str]], heading: tuple[str, ...]) -> tuple[Section | None, bool]:
    """A table Section from raw rows: empty rows dropped, blank leading columns removed."""
    kept: list[list[str]] = []
    truncated = False
    for cells in rows:
        cells = _trim(cells)
        if cells:
            if len(kept) >= MAX_ROWS:
                truncated = True
                break
            kept.append(cells)
    if not kept:
        return None, truncated
    lead = min(next(i for i, c in enumerate(cells) if c) for cells in kept)
    return Section(_rows_text(cells[lead:] for cells in kept), None, heading, "table"), truncated


def read_xlsx(path: Path) -> Document:
    check_zip_container(path, "XLSX")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (KeyError, ValueError, zipfile.BadZipFile, openpyxl.utils.exceptions.InvalidFileException) as exc:
        raise IngestError(path, "fichier XLSX invalide (ce n'est pas un classeur Excel)") from exc
    try:
        sections, truncated = [], False
        for sheet in workbook.worksheets:
            rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            section, cut = _table_sections(rows, (sheet.title,))
            truncated |= cut
            if section:
                sections.append(section)
        props = workbook.properties
    finally:
        workbook.close()
    metadata = {"sheets": [s.heading_path[0] for s in sections], "truncated": truncated,
                "created": iso_date(props.created)}
    return Document(str(path), _clean(props.title or "") or path.stem, "xlsx", sections, metadata=metadata)


# ------------------------------------------------------------------------------------------- CSV
def read_csv(path: Path) -> Document:
    text, encoding = read_text_file(path)
    sample = text[:16384]
    sample = sample[: sample.rfind("\n")] if "\n" in sample else sample
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:  # one column, or too irregular to sniff: take the most frequent separator
        delimiter = max(";,\t|", key=sample.count) if any(d in sample for d in ";,\t|") else ","
        dialect = type("Guessed", (csv.excel,), {"delimiter": delimiter})
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        section, truncated = _table_sections(([_clean(c) for c in row] for row in reader), ())
    except csv.Error as exc:
        raise IngestError(path, "fichier CSV mal formé") from exc
    metadata = {"encoding": encoding, "delimiter": dialect.delimiter, "truncated": truncated}
    return Document(str(path), path.stem, "csv", [section] if section else [], metadata=metadata)


# ------------------------------------------------------------------------------------------ PPTX
def read_pptx(path: Path) -> Document:
    check_zip_container(path, "PPTX")
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        presentation = Presentation(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise IngestError(path, "fichier PPTX invalide (ce n'est pas une présentation PowerPoint)") from exc

    def shapes(collection: Any) -> Iterator[Any]:
        for shape in collection:
            if hasattr(shape, "shapes"):  # group shapes hold further shapes
                yield from shapes(shape.shapes)
            else:
                yield shape

    sections: list[Section] = []
    first_title = ""
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        has_title = title_shape is not None and title_shape.has_text_frame
        title = _clean(title_shape.text_frame.text) if has_title else ""
        first_title = first_title or title
        heading = (title,) if title else ()
        texts, tables = [], []
        for shape in shapes(slide.shapes):
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    line = _clean(paragraph.text.replace("\v", " "))
                    if line:
                        texts.append(line)
            elif getattr(shape, "has_table", False):
                rows = [_trim([_clean(c.text) for c in row.cells]) for row in shape.table.rows]
                if any(rows):
                    tables.append(_rows_text(r for r in rows if r))
        if texts:
            sections.append(Section("\n".join(texts), number, heading, "text"))
        sections.extend(Section(t, number, heading, "table") for t in tables)
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            notes = _clean(frame.text) if frame is not None else ""
            if notes:
                sections.append(Section(f"Notes : {notes}", number, heading, "text"))
    core = presentation.core_properties
    metadata = {"created": iso_date(core.created)}
    return Document(str(path), core.title or first_title, "pptx", sections, pages=len(presentation.slides),
                    metadata=metadata)
