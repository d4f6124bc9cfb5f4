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
from clos.types import Document, ReadingNote, Section

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
    hidden_styles = _docx_hidden_styles(document, qn)
    hidden_parts: list[str] = []  # text of hidden runs met since the last flush

    def paragraph_text(element: Any) -> str:
        # w:t only: deleted text sits in w:delText, so this reads the document as if changes were accepted.
        # Runs the author hid (w:vanish, directly or by style) are kept apart: never body text.
        parts, hidden = [], []
        for node in element.iter(*text_tags):
            target = hidden if _docx_hidden(node, hidden_styles, qn) else parts
            if node.tag == text_tags[0]:
                target.append(node.text or "")
            else:
                target.append(" " if node.tag == text_tags[1] else "\n")
        if "".join(hidden).strip():
            hidden_parts.append(_clean("".join(hidden)))
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
    hidden: list[Section] = []
    outline = Outline()
    title_style = ""

    def flush_hidden() -> None:
        if hidden_parts:
            hidden.append(Section(" ".join(hidden_parts), None, outline.path, "text"))
            hidden_parts.clear()

    def walk(container: Any) -> None:
        nonlocal title_style
        for child in container.iterchildren():
            if child.tag == p_tag:
                text = paragraph_text(child)
                flush_hidden()
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
                above: dict[int, str] = {}  # grid column → text of the cell a vertical merge started
                for tr in child.iter(tr_tag):
                    if tr.getparent() is not child:
                        continue  # nested tables stay inside the cell that holds them
                    cells = _trim(_docx_row(tr, tc_tag, paragraph_text, above, qn))
                    if cells:
                        rows.append(cells)
                flush_hidden()
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
                                "created": iso_date(core.created), "modified": iso_date(core.modified)}
    if header_footer:
        metadata["header_footer"] = " / ".join(header_footer)[:500]
    remarks = [Section(text, None, (), "comment") for text in _docx_comments(document)]
    doc = Document(str(path), core.title or title_style, "docx", sections, metadata=metadata,
                   hidden=hidden + remarks)
    doc.notes.extend(hidden_notes(hidden, remarks))
    return doc


def hidden_notes(hidden: list[Section], comments: list[Section]) -> list[ReadingNote]:
    """The reading notes saying that hidden text and comments were set apart, not indexed."""
    notes = []
    if hidden:
        notes.append(ReadingNote("hidden_text", f"{len(hidden)} passage(s) de texte masqué par"
                                 " l'auteur, non indexé(s)", detail={"count": len(hidden)}))
    if comments:
        notes.append(ReadingNote("comment", f"{len(comments)} commentaire(s) de relecture, non"
                                 " indexé(s)", detail={"count": len(comments)}))
    return notes


_OFF = {"0", "false", "off"}


def _docx_hidden_styles(document: Any, qn: Any) -> set[str]:
    """Ids of paragraph and character styles that hide their text (w:vanish in their run properties)."""
    hidden = set()
    for style in document.styles.element.iterchildren(qn("w:style")):
        rpr = style.find(qn("w:rPr"))
        vanish = rpr.find(qn("w:vanish")) if rpr is not None else None
        if vanish is not None and vanish.get(qn("w:val"), "true").lower() not in _OFF:
            hidden.add(style.get(qn("w:styleId")))
    return hidden


def _docx_hidden(node: Any, hidden_styles: set[str], qn: Any) -> bool:
    """Whether the text node's run is hidden: its own w:vanish, else its character style, else the
    paragraph's style (a run's own setting wins, as in Word)."""
    run = node.getparent()
    rpr = run.find(qn("w:rPr")) if run is not None else None
    if rpr is not None:
        vanish = rpr.find(qn("w:vanish"))
        if vanish is not None:
            return vanish.get(qn("w:val"), "true").lower() not in _OFF
        style = rpr.find(qn("w:rStyle"))
        if style is not None and style.get(qn("w:val")) in hidden_styles:
            return True
    if not hidden_styles:
        return False
    paragraph = run
    while paragraph is not None and paragraph.tag != qn("w:p"):
        paragraph = paragraph.getparent()
    ppr = paragraph.find(qn("w:pPr")) if paragraph is not None else None
    pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return pstyle is not None and pstyle.get(qn("w:val")) in hidden_styles


def _docx_row(tr: Any, tc_tag: str, text_of: Any, above: dict[int, str], qn: Any) -> list[str]:
    """Cells of a DOCX table row; a cell continuing a vertical merge repeats the merged text, so
    each row reads whole (« Direction de la culture | Conservatoire | 11 »)."""
    cells, column = [], 0
    for tc in tr.iterchildren(tc_tag):
        tcpr = tc.find(qn("w:tcPr"))
        span = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
        merge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
        text = _clean(text_of(tc))
        if merge is not None and merge.get(qn("w:val"), "continue") == "continue":
            text = text or above.get(column, "")
        elif merge is not None:
            above[column] = text
        else:
            above.pop(column, None)
        cells.append(text)
        value = span.get(qn("w:val")) if span is not None else "1"
        column += int(value) if value and value.isdigit() else 1
    return cells


def _docx_comments(document: Any) -> list[str]:
    """Text of the reviewers' comments (word/comments.xml), for governance, never for the index."""
    try:
        comments = document.comments  # python-docx ≥ 1.2
    except (AttributeError, KeyError, ValueError):
        return []
    texts = []
    for comment in comments:
        text = _clean(" ".join(p.text for p in comment.paragraphs))
        if text:
            texts.append(text)
    return texts


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


_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _xlsx_merges(path: Path, member: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of one sheet as (min_col, min_row, max_col, max_row), 1-based.

    Read-only openpyxl does not expose them, so the sheet's XML is scanned for ``<mergeCell
    ref="A2:A3"/>`` in 1 MiB blocks: no second XML parse of a large sheet.
    """
    from openpyxl.utils.cell import range_boundaries

    found: list[tuple[int, int, int, int]] = []
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as fh:
            carry = b""
            for block in iter(lambda: fh.read(1 << 20), b""):
                data = carry + block
                cut = data.rfind(b"<")  # a tag cut at the block's end is read with the next block
                for match in _MERGE_REF.finditer(data, 0, cut if cut > 0 else len(data)):
                    found.append(range_boundaries(match.group(1).decode("ascii")))
                carry = data[cut:] if cut > 0 else b""
            for match in _MERGE_REF.finditer(carry):
                found.append(range_boundaries(match.group(1).decode("ascii")))
    except (KeyError, zipfile.BadZipFile, ValueError):
        return []
    return found


class MergeFiller:
    """Repeat a merged label on every row its range covers, in the range's first column.

    A label merged over two rows (« Direction de la culture » beside « Musée » and
    « Conservatoire ») is stored in its first cell only; a chunk holding the second row would
    lose it. Ranges are (min_col, min_row, max_col, max_row), 1-based; rows are numbered from 1.
    """

    def __init__(self, ranges: Iterable[tuple[int, int, int, int]]) -> None:
        self.starts: dict[int, list[tuple[int, int]]] = {}
        for min_col, min_row, _max_col, max_row in ranges:
            if max_row > min_row:
                self.starts.setdefault(min_row, []).append((min_col, max_row))
        self.filled = 0

    def rows(self, rows: Iterable[list[str]]) -> Iterator[list[str]]:
        active: list[tuple[int, int, str]] = []  # (column, last row, text)
        for number, cells in enumerate(rows, start=1):
            active = [a for a in active if a[1] >= number]
            for column, text in ((c, t) for c, _, t in active):
                while len(cells) < column:
                    cells.append("")
                if not cells[column - 1]:
                    cells[column - 1] = text
                    self.filled += 1
            for column, last in self.starts.get(number, ()):
                text = cells[column - 1] if column <= len(cells) else ""
                if text:
                    active.append((column, last, text))
            yield cells


def read_xlsx(path: Path) -> Document:
    check_zip_container(path, "XLSX")
    import openpyxl

    # A file object, not the path: openpyxl refuses a workbook whose name does not end in .xlsx,
    # and the bytes (not the name) decided that this is one.
    handle = path.open("rb")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (KeyError, ValueError, zipfile.BadZipFile, openpyxl.utils.exceptions.InvalidFileException) as exc:
        handle.close()
        raise IngestError(path, "fichier XLSX invalide (ce n'est pas un classeur Excel)") from exc
    try:
        sections, truncated, filled = [], False, 0
        for sheet in workbook.worksheets:
            rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            member = getattr(sheet, "_worksheet_path", None)  # read-only sheets know their XML part
            merges = _xlsx_merges(path, member) if member else []
            filler = MergeFiller(merges)
            section, cut = _table_sections(filler.rows(rows), (sheet.title,))
            truncated |= cut
            filled += filler.filled
            if section:
                sections.append(section)
        props = workbook.properties
    finally:
        workbook.close()
        handle.close()
    metadata = {"sheets": [s.heading_path[0] for s in sections], "truncated": truncated,
                "created": iso_date(props.created), "modified": iso_date(props.modified),
                "merged_cells_filled": filled}
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
    metadata = {"created": iso_date(core.created), "modified": iso_date(core.modified)}
    return Document(str(path), core.title or first_title, "pptx", sections, pages=len(presentation.slides),
                    metadata=metadata)
