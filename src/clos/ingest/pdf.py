"""PDF reader (PyMuPDF): every page as a person reads it, with page numbers kept for citations.

Per page (``pdf_layout``): visible lines only (white, microscopic or off-page text goes to
``Document.hidden`` with a ``hidden_text`` note), columns read one after the other, ruled tables
as tables. Across pages: running headers, footers, page numbers and the prefecture transmission
stamp leave the body text (the stamp's acte identifier and dates become metadata). Pages without
a text layer are read by OCR (``ocr``) or, when Tesseract is missing, named in a
``page_without_text`` note. Lines are joined into paragraphs with words cut at line ends put
back together and ligatures/soft hyphens normalised (``normalise``).

Headings come from two signs: a font clearly larger than the body text (rare sizes only), or a
bold short line that is numbered (« I) », « A) », « 1. », « 1.2 », « Article 3 ») or set in
capitals. Their path flows across page breaks: each style of numbering holds its level, so
« A) » under « I) » stays there until the next « I) »-style heading, whatever the page.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import find_french_date
from clos.ingest.normalise import join_lines, word_vocabulary
from clos.ingest.pdf_layout import Hidden, Line, page_lines, reading_order, strip_furniture
from clos.ingest.pdf_tables import find_tables
from clos.types import Document, ReadingNote, Section

_HEADING_RATIO = 1.12  # 12 pt body → headings from 13.5 pt; Word's « Titre 2 » is often 13–14 pt
_HEADING_SHARE = 0.15
_FINE_PRINT = 8.0  # pt; body text is set from 9 to 12 pt, notes and lists of names below 8
_MAX_HEADING_CHARS = 300
_MAX_MARKED_CHARS = 220
_MAX_DEPTH = 6
_PDF_DATE = re.compile(r"D:((?:19|20)\d\d)(\d\d)(\d\d)")
_JUNK_TITLE = re.compile(
    r"^(untitled|sans titre|document\d*|microsoft word|diapositive \d+)$|\.(docx?|odt|pdf|rtf)$", re.IGNORECASE
)
# Headings that name a part of a document, never the document itself.
_GENERIC = re.compile(r"^(introduction|sommaire|table des matières|préambule|avant-propos|synthèse|"
                      r"résumé|conclusion|annexes?|glossaire)\W*$", re.IGNORECASE)
_ROMAN = re.compile(r"^([IVXLC]{1,6})\s*[).\-–]\s*\S")
_LETTER = re.compile(r"^([A-Za-z])\s*[).]\s*\S")
_DIGITS = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\s*[).°]?\s+(?=[^\d\s])")
_NAMED = re.compile(r"^(article|titre|chapitre|section|partie|annexe)\s+(\d+|[ivxlc]+|premier|unique|[a-z])\b",
                    re.IGNORECASE)
_ITEM = re.compile(r"^(?:[-–—•▪◦*]\s|(?:\d{1,3}|[a-zA-Z]|[IVXLC]{1,5})[.)]\s)")
_REASONS = {"white": "texte blanc sur fond blanc", "tiny": "texte microscopique",
            "outside": "texte hors de la page"}


def _meta_title(value: str | None) -> str:
    title = " ".join((value or "").split())
    title = re.sub(r"^Microsoft (Word|PowerPoint|Excel) - ", "", title)
    if len(title) < 3 or _JUNK_TITLE.search(title) or not any(ch.isalpha() for ch in title):
        return ""
    return title


def _iso_pdf_date(value: str | None) -> str | None:
    match = _PDF_DATE.match(value or "")
    if not match:
        return None
    from clos.ingest.dates import iso_date

    return iso_date("-".join(match.groups()))


def _heading_threshold(sizes: Counter) -> float:
    """Smallest font size that marks a heading: clearly larger than the body text, and rare.

    The rarity rule matters on short deliberations where a 7 pt list of council members outweighs
    the 12 pt body: sizes used by more than 15 % of the characters are never headings. For the
    same reason the body size is the commonest size of 8 pt or more (text below is fine print:
    lists of members, notes), else the commonest of all.
    """
    if not sizes:
        return float("inf")
    readable = Counter({size: n for size, n in sizes.items() if size >= _FINE_PRINT})
    body = (readable or sizes).most_common(1)[0][0]
    total = sum(sizes.values())
    threshold, covered = float("inf"), 0
    for size in sorted(sizes, reverse=True):
        covered += sizes[size]
        if covered > _HEADING_SHARE * total or size < body * _HEADING_RATIO:
            break
        threshold = size
    return threshold


def _columns(table: str) -> int:
    return table.split("\n", 1)[0].count(" | ")


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() not in {"0", "false", "non", "no", "off", ""}


def _ocr_settings() -> tuple[bool, str]:
    from clos.errors import ConfigError
    from clos.settings import Settings

    try:
        settings = Settings.load()
    except ConfigError:
        return True, "fra"
    return _truthy(settings.ocr), str(settings.ocr_language or "fra")


# ----------------------------------------------------------------------------- paragraphs
def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Consecutive lines of one style with no blank line between them; list items apart."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups:
            prev = groups[-1][-1]
            if line.ocr and prev.ocr:  # Tesseract found the paragraphs already
                if line.block == prev.block:
                    groups[-1].append(line)
                else:
                    groups.append([line])
                continue
            same_style = abs(line.size - prev.size) <= 0.5 and line.bold == prev.bold
            # Baseline to baseline: about 1.15–1.3 font sizes within a paragraph, twice that
            # across a blank line; a line above the previous one starts another column.
            pitch = line.y0 - prev.y0
            size = max(line.size, prev.size)
            moved = abs(line.x0 - prev.x0) > 4 * size and line.x0 > prev.x1
            if same_style and 0.5 * size <= pitch <= 1.6 * size and not moved \
                    and not _ITEM.match(line.text):
                groups[-1].append(line)
                continue
        groups.append([line])
    return groups


def _style(text: str, bold: bool, stack_styles: list[Any]) -> Any:
    """The numbering style of a bold heading line, or None when the line is not a heading."""
    if not bold or len(text) > _MAX_MARKED_CHARS or sum(ch.isalpha() for ch in text) < 3:
        return None
    named = _NAMED.match(text)
    if named:
        return ("named", named.group(1).lower())
    roman = _ROMAN.match(text)
    letter = _LETTER.match(text)
    if roman and (len(roman.group(1)) > 1 or roman.group(1) == "I" and ("letter", True) not in stack_styles):
        return ("roman",)
    if letter:
        return ("letter", letter.group(1).isupper())
    digits = _DIGITS.match(text)
    if digits:
        return ("digits", digits.group(1).count(".") + 1)
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 6 and sum(ch.isupper() for ch in letters) >= 0.85 * len(letters) \
            and not text.rstrip().endswith("."):
        return ("caps",)
    return None


class _Headings:
    """The heading path: each numbering style holds its level; larger fonts rank above all."""

    def __init__(self) -> None:
        self.stack: list[tuple[Any, str]] = []

    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def push(self, style: Any, text: str) -> None:
        if style[0] == "size":
            while self.stack and (self.stack[-1][0][0] != "size" or self.stack[-1][0][1] <= style[1] + 0.5):
                self.stack.pop()
        else:
            styles = [s for s, _ in self.stack]
            if style in styles:
                del self.stack[styles.index(style):]
        self.stack.append((style, text))
        if len(self.stack) > _MAX_DEPTH:
            del self.stack[1]


# ----------------------------------------------------------------------------- reader
def read_pdf(path: Path, *, ocr: bool | None = None, ocr_language: str | None = None) -> Document:
    """Read a PDF into a Document: sections with pages and heading paths, notes, hidden text.

    ``ocr``/``ocr_language`` default to the settings (``ocr``, ``ocr_language``), read only when
    a page has no text layer. Raises ``IngestError`` for a damaged or encrypted file.
    """
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)  # we report failures ourselves, in French
    try:
        pdf = pymupdf.open(path, filetype="pdf")
    except Exception as exc:
        raise IngestError(path, "fichier PDF corrompu ou illisible") from exc
    notes: list[ReadingNote] = []
    hidden: list[Hidden] = []
    with pdf:
        if pdf.needs_pass:
            raise IngestError(path, "PDF chiffré (mot de passe requis)")
        info = pdf.metadata or {}
        page_count = pdf.page_count
        pages: list[list[Line]] = []
        sizes: list[tuple[float, float]] = []
        empty: list[int] = []
        try:
            for number, page in enumerate(pdf, start=1):
                lines, masked = page_lines(page, number)
                hidden.extend(masked)
                if sum(ln.letters for ln in lines) < 3:  # a scanned page: at most stray marks
                    empty.append(number)
                    lines = []
                pages.append(lines)
                sizes.append((page.rect.width, page.rect.height))
            scanned = [n for n in empty if pdf[n - 1].get_images()]
            ocr_pages = _read_scans(pdf, scanned, pages, notes, ocr, ocr_language)
            pages, furniture = strip_furniture(pages, [h for _, h in sizes])
            # After the stamp is gone: its label/date rows look like a table's.
            tables = [find_tables(pdf[n], lines) if lines else [] for n, lines in enumerate(pages)]
        except IngestError:
            raise
        except Exception as exc:
            raise IngestError(path, "fichier PDF endommagé (texte illisible)") from exc

    vocab = word_vocabulary(ln.text for lines in pages for ln in lines)
    size_chars: Counter = Counter()
    for lines in pages:
        for ln in lines:
            size_chars[ln.size] += ln.letters
    threshold = _heading_threshold(size_chars)

    sections: list[Section] = []
    heads = _Headings()
    page_one_headings: list[str] = []
    last_heading_y = 0.0  # top of the last heading's last line, to join a title set on two lines
    for number, (lines, found, (width, _)) in enumerate(zip(pages, tables, sizes), start=1):
        items: list[tuple[float, Any]] = []
        inside = set()
        for bbox, rows in found:
            for i, ln in enumerate(lines):
                cx, cy = (ln.x0 + ln.x1) / 2, (ln.y0 + ln.y1) / 2
                if bbox[0] - 1 <= cx <= bbox[2] + 1 and bbox[1] - 1 <= cy <= bbox[3] + 1:
                    inside.add(i)
        body = reading_order([ln for i, ln in enumerate(lines) if i not in inside], width)
        for group in _paragraphs(body):
            items.append((group[0].y0, group))
        for bbox, rows in found:
            position = next((k for k, (_, g) in enumerate(items) if not isinstance(g, str) and g[0].y0 > bbox[1]),
                            len(items))
            items.insert(position, (bbox[1], "\n".join(" | ".join(r) for r in rows)))
        for _, item in items:
            if isinstance(item, str):
                previous = sections[-1] if sections else None
                if previous and previous.kind == "table" and previous.page == number - 1 \
                        and item is items[0][1] and _columns(previous.text) == _columns(item):
                    # A table continued from the previous page: its header row again, so each
                    # of its chunks says what the columns are.
                    item = previous.text.split("\n", 1)[0] + "\n" + item
                sections.append(Section(item, number, heads.path(), "table"))
                continue
            text = join_lines((ln.text for ln in item), vocab)
            size, bold = item[0].size, all(ln.bold for ln in item)
            if size >= threshold and len(text) <= _MAX_HEADING_CHARS and sum(ln.letters for ln in item) >= 3:
                style: Any = ("size", size)
            else:
                style = _style(text, bold, [s for s, _ in heads.stack]) if bold else None
            if style is None:
                sections.append(Section(text, number, heads.path(), "text"))
                continue
            previous = heads.stack[-1] if heads.stack else None
            if style[0] == "size" and previous and previous[0] == style and sections \
                    and sections[-1].kind == "heading" and sections[-1].page == number \
                    and 0 < item[0].y0 - last_heading_y <= 1.8 * size:
                # A title set on two lines of the same size, cut into two blocks by the layout.
                text = join_lines([previous[1], text], vocab)
                heads.stack[-1] = (style, text)
                sections[-1] = Section(text, number, heads.path(), "heading")
                if number == 1 and page_one_headings:
                    page_one_headings[-1] = text
                last_heading_y = item[-1].y0
                continue
            last_heading_y = item[-1].y0
            heads.push(style, text)
            sections.append(Section(text, number, heads.path(), "heading"))
            if number == 1:
                page_one_headings.append(text)

    for item in hidden:
        notes.append(ReadingNote(
            "hidden_text", f"Page {item.page} : {_REASONS[item.reason]} non indexé (« {item.text[:80]} »).",
            page=item.page, detail={"reason": item.reason, "text": item.text}))

    title = _meta_title(info.get("title"))
    if not title:
        # A heading that is only the meeting date (« Séance publique du 24 avril 2014 ») is a
        # poor title, and so is a part's name (« Introduction »): a running header is better.
        named = [h for h in page_one_headings if find_french_date(h) is None and not _GENERIC.match(h)]
        headers = [h for h in furniture.get("running_headers", ()) if sum(c.isalpha() for c in h) >= 8]
        title = (named or headers or page_one_headings or [""])[0]
    if not title:
        first = next((s.text for s in sections if sum(ch.isalpha() for ch in s.text) >= 8), "")
        title = first[:150]
    unread = [n for n in empty if n not in ocr_pages]
    metadata: dict[str, Any] = {
        "has_text_layer": len(empty) < page_count,
        "pages_without_text": unread,
        "encrypted": bool(info.get("encryption")),
        "created": _iso_pdf_date(info.get("creationDate")),
        **furniture,
    }
    if ocr_pages:
        metadata["pages_ocr"] = sorted(ocr_pages)
    if any(tables):
        metadata["tables"] = sum(len(t) for t in tables)
    return Document(str(path), title or path.stem, "pdf", sections, pages=page_count,
                    metadata=metadata, notes=notes,
                    hidden=[Section(h.text, h.page, (), "hidden") for h in hidden])


def _read_scans(pdf: Any, scanned: list[int], pages: list[list[Line]], notes: list[ReadingNote],
                ocr: bool | None, language: str | None) -> dict[int, float]:
    """OCR the scanned pages in place; page → mean confidence. Says once why it cannot."""
    from clos.ingest.ocr import ocr_page, tesseract_status, warn_once

    if not scanned:
        return {}
    if ocr is None or language is None:
        enabled, configured = _ocr_settings()
        ocr = enabled if ocr is None else ocr
        language = language or configured
    reason = None if ocr else "l'OCR est désactivée (réglage ocr = false)"
    reason = reason or tesseract_status(language)
    done: dict[int, float] = {}
    if reason is None:
        for number in scanned:
            lines, confidence = ocr_page(pdf[number - 1], number, language)
            if sum(ln.letters for ln in lines) >= 3:
                pages[number - 1] = lines
                done[number] = confidence
                notes.append(ReadingNote(
                    "ocr", f"Page {number} lue par OCR (confiance moyenne {confidence:.0f} %).",
                    page=number, detail={"confidence": confidence, "language": language}))
    else:
        warn_once(reason)
    missed = [n for n in scanned if n not in done]
    if missed:
        listed = ", ".join(str(n) for n in missed)
        why = reason or "l'OCR n'y a reconnu aucun texte"
        notes.append(ReadingNote(
            "page_without_text", f"Page(s) sans texte non lue(s) : {listed} — {why}.",
            page=missed[0], detail={"pages": missed, "reason": why}))
    return done
