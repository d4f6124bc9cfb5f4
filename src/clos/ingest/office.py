"""Office readers: XLSX, PPTX (openpyxl, python-pptx), CSV, and what the DOCX (word.py) and
OpenDocument (opendocument.py) readers share.

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
