"""OpenDocument readers (ODT, ODS, ODP) with odfpy: headings, tables, slides, tracked changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import iso_date
from clos.ingest.office import MAX_ROWS, _clean, _rows_text, _trim, check_zip_container
from clos.ingest.text import Outline
from clos.types import Document, Section


def _odf_load(path: Path, label: str) -> Any:
    check_zip_container(path, label)
    from odf.opendocument import load

    try:
        return load(str(path))
    except Exception as exc:  # odfpy raises KeyError, SAX and XML errors on damaged packages
        raise IngestError(path, f"fichier {label} corrompu (contenu XML illisible)") from exc


# The ODF namespaces are fixed by the standard; spelled out so odfpy loads only when a file needs it.
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
_H, _P, _TBL, _ROW = (_TEXT, "h"), (_TEXT, "p"), (_TABLE, "table"), (_TABLE, "table-row")
_CELLS = {(_TABLE, "table-cell"), (_TABLE, "covered-table-cell")}
_HIDDEN = {(_OFFICE, "annotation"), (_TEXT, "tracked-changes"), (_TEXT, "note-citation")}
# Tables of contents and indexes repeat headings; deleted text and slide notes are not the body.
_NOT_BODY = {(_TEXT, n) for n in ("table-of-content", "illustration-index", "alphabetical-index",
                                  "bibliography", "tracked-changes", "sequence-decls")}
_NOT_BODY.add((_PRESENTATION, "notes"))


class Hidden:
    """What an ODF body hides: style names that hide text, and the text found under them.

    Hidden text is ``text:hidden-text`` / ``text:hidden-paragraph`` fields, sections with
    ``text:display="none"`` and spans or paragraphs whose style says ``text:display="none"``;
    annotations (comments) are kept apart too. Neither is ever body text.
    """

    def __init__(self, document: Any = None) -> None:
        self.styles: set[str] = _hidden_styles(document) if document is not None else set()
        self.parts: list[str] = []
        self.comments: list[str] = []
        self.sections: list[Section] = []

    def hides(self, element: Any) -> bool:
        if element.qname in _HIDDEN_FIELDS:
            return True
        if element.getAttrNS(_TEXT, "display") == "none":
            return True
        return bool(self.styles) and element.getAttrNS(_TEXT, "style-name") in self.styles

    def take(self) -> str:
        text = " ".join(self.parts)
        self.parts.clear()
        return text


_HIDDEN_FIELDS = {(_TEXT, "hidden-text"), (_TEXT, "hidden-paragraph")}


def _hidden_styles(document: Any) -> set[str]:
    """Names of the styles (automatic or named) whose text properties say display="none"."""
    from odf import style

    hidden = set()
    for props in document.getElementsByType(style.TextProperties):
        if props.getAttrNS(_TEXT, "display") == "none":
            parent = props.parentNode
            name = parent.getAttrNS("urn:oasis:names:tc:opendocument:xmlns:style:1.0", "name")
            if name:
                hidden.add(name)
    return hidden


def _odf_text(node: Any, hidden: Hidden | None = None) -> str:
    """Visible text of an ODF element, without annotations, deleted text or note numbers.

    With ``hidden``, the text of hidden spans and of annotations goes there instead of nowhere."""
    out: list[str] = []

    def visit(element: Any, into: list[str]) -> None:
        for child in element.childNodes:
            if child.nodeType == child.TEXT_NODE:
                into.append(child.data)
            elif child.nodeType != child.ELEMENT_NODE:
                continue
            elif child.qname == (_OFFICE, "annotation"):
                if hidden is not None:  # its paragraphs, not its author (dc:creator) or date
                    note: list[str] = []
                    for line in child.childNodes:
                        if getattr(line, "qname", None) in (_P, (_TEXT, "list")):
                            visit(line, note)
                            note.append(" ")
                    if _clean("".join(note)):
                        hidden.comments.append(_clean("".join(note)))
            elif child.qname in _HIDDEN:
                continue
            elif hidden is not None and hidden.hides(child):
                part: list[str] = []
                if child.qname in _HIDDEN_FIELDS:  # the hidden text is an attribute of the field
                    part.append(child.getAttrNS(_TEXT, "string-value") or "")
                visit(child, part)
                if _clean("".join(part)):
                    hidden.parts.append(_clean("".join(part)))
            elif child.qname in ((_TEXT, "s"), (_TEXT, "tab")):
                count = child.getAttrNS(_TEXT, "c")
                into.append(" " * (int(count) if count and count.isdigit() else 1))
            elif child.qname == (_TEXT, "line-break"):
                into.append("\n")
            else:
                visit(child, into)

    visit(node, out)
    return "\n".join(_clean(line) for line in "".join(out).split("\n") if line.strip())


def _odf_repeat(element: Any, attribute: str) -> int:
    value = element.getAttrNS(_TABLE, attribute)
    return int(value) if value and value.isdigit() else 1


def _odf_table_rows(table: Any) -> tuple[list[list[str]], bool]:
    """Rows of an ODF table; repeated empty cells and rows (a sheet's blank tail) are not expanded.

    A cell spanning several rows (``table:number-rows-spanned``) has its text repeated on each
    row it covers, in its first column, so every row reads whole.
    """
    rows: list[list[str]] = []
    spans: dict[int, tuple[int, str]] = {}  # column → (rows still covered, text)

    def read_row(row: Any) -> list[str]:
        cells: list[str] = []
        column = 0
        for cell in row.childNodes:
            if getattr(cell, "qname", None) not in _CELLS:
                continue
            text = _odf_text(cell).replace("\n", " ")
            repeat = _odf_repeat(cell, "number-columns-repeated")
            if not text and column in spans and cell.qname == (_TABLE, "covered-table-cell"):
                text = spans[column][1]
            down = _odf_repeat(cell, "number-rows-spanned")
            if down > 1 and text:
                spans[column] = (down, text)
            # A long blank run is a sheet's empty tail: one cell is enough to keep the columns.
            cells.extend([text] * (min(repeat, 50) if text or repeat < 50 else 1))
            column += repeat
        for column in list(spans):  # one row of each span is used up
            left, text = spans[column]
            if left <= 1:
                del spans[column]
            else:
                spans[column] = (left - 1, text)
        return cells

    def visit(element: Any) -> bool:
        for child in element.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.qname == _ROW:
                cells = read_row(child)
                if _trim(cells):
                    for _ in range(min(_odf_repeat(child, "number-rows-repeated"), 100)):
                        if len(rows) >= MAX_ROWS:
                            return True
                        rows.append(cells)
            elif child.qname != _TBL and visit(child):  # header rows, row groups; not nested tables
                return True
        return False

    truncated = visit(table)
    return rows, truncated


def _odf_walk(element: Any, sections: list[Section], outline: Outline, page: int | None = None,
              hidden: Hidden | None = None) -> None:
    """Headings, paragraphs and tables of an ODF body, in reading order; hidden text and
    annotations go to ``hidden`` (its ``sections``), never to ``sections``."""
    for child in element.childNodes:
        if child.nodeType != child.ELEMENT_NODE or child.qname in _NOT_BODY:
            continue
        if hidden is not None and child.qname not in (_H, _P) and hidden.hides(child):
            text = _odf_text(child)  # a hidden section: all of it
            if text:
                hidden.sections.append(Section(text, page, outline.path, "text"))
            continue
        if child.qname in (_H, _P):
            if hidden is not None and hidden.hides(child):
                hidden.parts.append(_odf_text(child))
                text = ""
            else:
                text = _odf_text(child, hidden)
            if text and child.qname == _H:
                level = child.getAttrNS(_TEXT, "outline-level") or "1"
                text = _clean(text)
                sections.append(Section(text, page, outline.enter(int(level) if level.isdigit() else 1, text),
                                        "heading"))
            elif text:
                sections.append(Section(text, page, outline.path, "text"))
        elif child.qname == _TBL:
            rows, _ = _odf_table_rows(child)
            if rows:
                sections.append(Section(_rows_text(rows), page, outline.path, "table"))
        else:
            _odf_walk(child, sections, outline, page, hidden)  # lists, sections, frames and text boxes
        if hidden is not None and hidden.parts:
            text = hidden.take()
            if text.strip():
                hidden.sections.append(Section(text, page, outline.path, "text"))


def _odf_facts(document: Any) -> tuple[str, dict[str, Any]]:
    """Title from the ODF metadata, tracked changes, annotations and creation date."""
    from odf import dc, meta, office, text

    title = _clean(" ".join(_odf_text(t) for t in document.getElementsByType(dc.Title)))
    changes = any(tc.childNodes for tc in document.getElementsByType(text.TrackedChanges))
    created = document.getElementsByType(meta.CreationDate)
    modified = document.getElementsByType(dc.Date)
    return title, {
        "tracked_changes": changes,
        "comments": bool(document.getElementsByType(office.Annotation)),
        "created": iso_date(_odf_text(created[0])) if created else None,
        "modified": iso_date(_odf_text(modified[0])) if modified else None,
    }


def read_odt(path: Path) -> Document:
    from clos.ingest.word import hidden_notes

    document = _odf_load(path, "ODT")
    sections: list[Section] = []
    hidden = Hidden(document)
    _odf_walk(document.text, sections, Outline(), hidden=hidden)
    title, metadata = _odf_facts(document)
    remarks = [Section(text, None, (), "comment") for text in hidden.comments]
    doc = Document(str(path), title, "odt", sections, metadata=metadata,
                   hidden=hidden.sections + remarks)
    doc.notes.extend(hidden_notes(hidden.sections, remarks))
    return doc


def read_ods(path: Path) -> Document:
    document = _odf_load(path, "ODS")
    sections, truncated = [], False
    for table in document.spreadsheet.childNodes:
        if getattr(table, "qname", None) == _TBL:
            name = table.getAttrNS(_TABLE, "name") or ""
            rows, cut = _odf_table_rows(table)
            truncated |= cut
            if rows:
                sections.append(Section(_rows_text(rows), None, (name,) if name else (), "table"))
    title, metadata = _odf_facts(document)
    metadata.update(sheets=[s.heading_path[0] for s in sections if s.heading_path], truncated=truncated)
    return Document(str(path), title or path.stem, "ods", sections, metadata=metadata)


def read_odp(path: Path) -> Document:
    from odf.draw import Frame

    document = _odf_load(path, "ODP")
    sections: list[Section] = []
    slides = [p for p in document.presentation.childNodes if getattr(p, "qname", None) == (_DRAW, "page")]
    first_title = ""
    for number, slide in enumerate(slides, start=1):
        frames = slide.getElementsByType(Frame)
        titles = (_clean(_odf_text(f)) for f in frames if f.getAttrNS(_PRESENTATION, "class") == "title")
        title = next(titles, "")
        first_title = first_title or title
        heading = (title,) if title else ()
        found: list[Section] = []
        _odf_walk(slide, found, Outline(), number)
        text = "\n".join(s.text for s in found if s.kind != "table")
        if text:  # one section per slide, as for PPTX; tables stay tables
            sections.append(Section(text, number, heading, "text"))
        sections.extend(Section(s.text, number, heading, "table") for s in found if s.kind == "table")
    meta_title, metadata = _odf_facts(document)
    return Document(str(path), meta_title or first_title, "odp", sections, pages=len(slides),
                    metadata=metadata)


# ------------------------------------------------------------------------------------------ XLSX