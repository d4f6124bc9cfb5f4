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
from clos.ingest.text import read_text_file
from clos.types import Document, Section

MAX_ROWS = 20_000  # per sheet or CSV file: past that a table is an export, not a document to read
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
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
            match = _HEADING_STYLE.match(name) or _HEADING_STYLE.match(re.sub(r"(\D)(\d)$", r"\1 \2", ppr.pStyle.val))
            if match:
                return int(match.group(1))
        outline = ppr.find(qn("w:outlineLvl"))
        if outline is not None and outline.get(qn("w:val"), "").isdigit() and int(outline.get(qn("w:val"))) < 9:
            return int(outline.get(qn("w:val"))) + 1
        return None

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
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
                    sections.append(Section(text, None, tuple(t for _, t in stack), "text"))
                    continue
                text = _clean(text)
                if level == 0:
                    title_style = title_style or text
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
                sections.append(Section(text, None, tuple(t for _, t in stack), "heading"))
            elif child.tag == tbl_tag:
                rows = []
                for tr in child.iter(tr_tag):
                    if tr.getparent() is not child:
                        continue  # nested tables stay inside the cell that holds them
                    cells = _trim([_clean(paragraph_text(tc)) for tc in tr.iterchildren(tc_tag)])
                    if cells:
                        rows.append(cells)
                if rows:
                    sections.append(Section(_rows_text(rows), None, tuple(t for _, t in stack), "table"))
            elif child.tag == sdt_tag:
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    walk(content)

    body = document.element.body
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
    title = _clean(core.title or "") or title_style
    if not title:
        title = next((s.text for s in sections if s.kind == "heading"), "")
    if not title and sections:
        title = sections[0].text.split("\n")[0][:150]
    metadata: dict[str, Any] = {"tracked_changes": changes is not None, "comments": comments is not None}
    if header_footer:
        metadata["header_footer"] = " / ".join(header_footer)[:500]
    if iso_date(core.created):
        metadata["created"] = iso_date(core.created)
    return Document(str(path), title or path.stem, "docx", sections, metadata=metadata)


# -------------------------------------------------------------------------------- ODT, ODS, ODP
def _odf_load(path: Path, label: str) -> Any:
    check_zip_container(path, label)
    from odf.opendocument import load

    try:
        return load(str(path))
    except Exception as exc:  # odfpy raises KeyError, SAX and XML errors on damaged packages
        raise IngestError(path, f"fichier {label} corrompu (contenu XML illisible)") from exc


def _odf_ns() -> dict[str, str]:
    from odf import namespaces as ns

    return {"text": ns.TEXTNS, "table": ns.TABLENS, "office": ns.OFFICENS, "draw": ns.DRAWNS,
            "presentation": ns.PRESENTATIONNS, "meta": ns.METANS, "dc": ns.DCNS}


def _odf_text(node: Any) -> str:
    """Visible text of an ODF element, without annotations, deleted text or note numbers."""
    ns = _odf_ns()
    skip = {(ns["office"], "annotation"), (ns["text"], "tracked-changes"), (ns["text"], "note-citation")}
    spaces = {(ns["text"], "s"), (ns["text"], "tab")}
    out: list[str] = []

    def visit(element: Any) -> None:
        for child in element.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.append(child.data)
            elif child.nodeType == child.ELEMENT_NODE and child.qname not in skip:
                if child.qname in spaces:
                    count = child.getAttrNS(ns["text"], "c")
                    out.append(" " * (int(count) if count and count.isdigit() else 1))
                elif child.qname == (ns["text"], "line-break"):
                    out.append("\n")
                else:
                    visit(child)

    visit(node)
    return "\n".join(_clean(line) for line in "".join(out).split("\n") if line.strip())


def _odf_repeat(element: Any, attribute: str) -> int:
    value = element.getAttrNS(_odf_ns()["table"], attribute)
    return int(value) if value and value.isdigit() else 1


def _odf_table_rows(table: Any, limit: int = MAX_ROWS) -> tuple[list[list[str]], bool]:
    """Rows of an ODF table; repeated empty cells and rows (a sheet's blank tail) are not expanded."""
    ns = _odf_ns()
    cell_names = {(ns["table"], "table-cell"), (ns["table"], "covered-table-cell")}
    rows: list[list[str]] = []
    truncated = False

    def visit(element: Any) -> None:
        nonlocal truncated
        for child in element.childNodes:
            if child.nodeType != child.ELEMENT_NODE or truncated:
                continue
            if child.qname == (ns["table"], "table-row"):
                cells: list[str] = []
                for cell in child.childNodes:
                    if getattr(cell, "qname", None) in cell_names:
                        text = _odf_text(cell).replace("\n", " ")
                        cells.extend([text] * (min(_odf_repeat(cell, "number-columns-repeated"), 50) if text else 1))
                cells = _trim(cells)
                if cells:
                    for _ in range(min(_odf_repeat(child, "number-rows-repeated"), 100)):
                        if len(rows) >= limit:
                            truncated = True
                            break
                        rows.append(cells)
            elif child.qname != (ns["table"], "table"):  # header-rows, row-groups; not nested tables
                visit(child)

    visit(table)
    return rows, truncated


def _odf_facts(document: Any) -> tuple[str, dict[str, Any]]:
    """Title from the ODF metadata, tracked changes, annotations and creation date."""
    from odf import dc, meta, office, text

    title = _clean(" ".join(_odf_text(t) for t in document.getElementsByType(dc.Title)))
    changes = any(region for tc in document.getElementsByType(text.TrackedChanges) for region in tc.childNodes)
    facts: dict[str, Any] = {
        "tracked_changes": changes,
        "comments": bool(document.getElementsByType(office.Annotation)),
    }
    created = document.getElementsByType(meta.CreationDate)
    if created and iso_date(_odf_text(created[0])):
        facts["created"] = iso_date(_odf_text(created[0]))
    return title, facts


def read_odt(path: Path) -> Document:
    document = _odf_load(path, "ODT")
    ns = _odf_ns()
    skip = {(ns["text"], n) for n in ("table-of-content", "illustration-index", "alphabetical-index",
                                      "bibliography", "tracked-changes", "sequence-decls")}
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []

    def walk(element: Any) -> None:
        for child in element.childNodes:
            if child.nodeType != child.ELEMENT_NODE or child.qname in skip:
                continue
            path_now = tuple(t for _, t in stack)
            if child.qname == (ns["text"], "h"):
                text = _clean(_odf_text(child))
                if text:
                    level_attr = child.getAttrNS(ns["text"], "outline-level")
                    level = int(level_attr) if level_attr and level_attr.isdigit() else 1
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    stack.append((level, text))
                    sections.append(Section(text, None, tuple(t for _, t in stack), "heading"))
            elif child.qname == (ns["text"], "p"):
                text = _odf_text(child)
                if text:
                    sections.append(Section(text, None, path_now, "text"))
            elif child.qname == (ns["table"], "table"):
                rows, _ = _odf_table_rows(child)
                if rows:
                    sections.append(Section(_rows_text(rows), None, path_now, "table"))
            else:
                walk(child)  # lists, sections, frames and text boxes hold paragraphs

    walk(document.text)
    title, metadata = _odf_facts(document)
    if not title:
        title = next((s.text for s in sections if s.kind == "heading"), "")
    if not title and sections:
        title = sections[0].text.split("\n")[0][:150]
    return Document(str(path), title or path.stem, "odt", sections, metadata=metadata)


def read_ods(path: Path) -> Document:
    document = _odf_load(path, "ODS")
    ns = _odf_ns()
    sections, truncated = [], False
    for table in document.spreadsheet.childNodes:
        if getattr(table, "qname", None) != (ns["table"], "table"):
            continue
        name = table.getAttrNS(ns["table"], "name") or ""
        rows, cut = _odf_table_rows(table)
        truncated |= cut
        if rows:
            sections.append(Section(_rows_text(rows), None, (name,) if name else (), "table"))
    title, metadata = _odf_facts(document)
    metadata.update(sheets=[s.heading_path[0] for s in sections if s.heading_path], truncated=truncated)
    return Document(str(path), title or path.stem, "ods", sections, metadata=metadata)


def read_odp(path: Path) -> Document:
    document = _odf_load(path, "ODP")
    ns = _odf_ns()
    sections: list[Section] = []
    slides = [p for p in document.presentation.childNodes if getattr(p, "qname", None) == (ns["draw"], "page")]
    first_title = ""
    for number, slide in enumerate(slides, start=1):
        title, texts, tables = "", [], []

        def visit(element: Any) -> None:
            nonlocal title
            for child in element.childNodes:
                if child.nodeType != child.ELEMENT_NODE or child.qname == (ns["presentation"], "notes"):
                    continue
                if child.qname == (ns["table"], "table"):
                    rows, _ = _odf_table_rows(child)
                    if rows:
                        tables.append(_rows_text(rows))
                elif child.qname in ((ns["text"], "p"), (ns["text"], "h")):
                    text = _odf_text(child)
                    if text:
                        texts.append(text)
                elif child.qname == (ns["draw"], "frame") and \
                        child.getAttrNS(ns["presentation"], "class") == "title" and not title:
                    title = _clean(_odf_text(child))
                    visit(child)
                else:
                    visit(child)

        visit(slide)
        first_title = first_title or title
        heading = (title,) if title else ()
        if texts:
            sections.append(Section("\n".join(texts), number, heading, "text"))
        sections.extend(Section(t, number, heading, "table") for t in tables)
    meta_title, metadata = _odf_facts(document)
    title = meta_title or first_title
    return Document(str(path), title or path.stem, "odp", sections, pages=len(slides), metadata=metadata)


# ------------------------------------------------------------------------------------------ XLSX
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
    metadata: dict[str, Any] = {"sheets": [s.heading_path[0] for s in sections], "truncated": truncated}
    if iso_date(props.created):
        metadata["created"] = iso_date(props.created)
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
        title = _clean(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
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
            notes = _clean(slide.notes_slide.notes_text_frame.text) if slide.notes_slide.notes_text_frame else ""
            if notes:
                sections.append(Section(f"Notes : {notes}", number, heading, "text"))
    core = presentation.core_properties
    metadata: dict[str, Any] = {}
    if iso_date(core.created):
        metadata["created"] = iso_date(core.created)
    title = _clean(core.title or "") or first_title
    return Document(str(path), title or path.stem, "pptx", sections, pages=len(presentation.slides),
                    metadata=metadata)
