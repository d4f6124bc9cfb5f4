"""PDF reader (PyMuPDF): the text layer page by page, headings guessed from font size.

``get_text("dict")`` costs about the same as plain ``get_text()`` in PyMuPDF and gives each line's
font size, so headings come almost for free: a line clearly larger than the body text (the size
most characters use) is a heading, and its size orders it under larger headings.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import find_french_date
from clos.types import Document, Section

_HEADING_RATIO = 1.12  # 12 pt body → headings from 13.5 pt; Word's « Titre 2 » is often 13–14 pt
_HEADING_SHARE = 0.15
_MAX_HEADING_CHARS = 300
_MAX_DEPTH = 4
_PDF_DATE = re.compile(r"D:((?:19|20)\d\d)(\d\d)(\d\d)")
_JUNK_TITLE = re.compile(
    r"^(untitled|sans titre|document\d*|microsoft word|diapositive \d+)$|\.(docx?|odt|pdf|rtf)$", re.IGNORECASE
)


def _join_lines(lines: list[str]) -> str:
    out = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[0].isalpha():
            out += line  # a word cut at the line end: « LEVY-\nRAMEAU »
        elif out:
            out += " " + line
        else:
            out = line
    return out


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


def _extract(pdf: Any, flags: int) -> tuple[list[list[list[tuple[float, str]]]], Counter, list[int]]:
    """Pages → blocks → (font size, line text), the characters per size, and pages with no text."""
    pages: list[list[list[tuple[float, str]]]] = []
    sizes: Counter = Counter()
    empty: list[int] = []
    for number, page in enumerate(pdf, start=1):
        blocks = []
        letters = 0
        for block in page.get_text("dict", flags=flags)["blocks"]:
            lines = []
            for line in block.get("lines", ()):
                spans = line["spans"]
                text = "".join(span["text"] for span in spans)
                if not text.strip():
                    continue
                # The line's size is the one its longest span uses; trailing blank spans vary.
                size = round(max(spans, key=lambda s: len(s["text"].strip()))["size"], 1)
                visible = len(text) - text.count(" ")
                sizes[size] += visible
                letters += visible
                lines.append((size, text))
            if lines:
                blocks.append(lines)
        if letters < 3:  # a scanned page has no text layer, at most stray marks
            empty.append(number)
        pages.append(blocks)
    return pages, sizes, empty


def _heading_threshold(sizes: Counter) -> float:
    """Smallest font size that marks a heading: clearly larger than the body text, and rare.

    The rarity rule matters on short deliberations where a 7 pt list of council members outweighs
    the 12 pt body: sizes used by more than 15 % of the characters are never headings.
    """
    if not sizes:
        return float("inf")
    body = sizes.most_common(1)[0][0]
    total = sum(sizes.values())
    threshold, covered = float("inf"), 0
    for size in sorted(sizes, reverse=True):
        covered += sizes[size]
        if covered > _HEADING_SHARE * total or size < body * _HEADING_RATIO:
            break
        threshold = size
    return threshold


def read_pdf(path: Path) -> Document:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)  # we report failures ourselves, in French
    try:
        pdf = pymupdf.open(path, filetype="pdf")
    except Exception as exc:
        raise IngestError(path, "fichier PDF corrompu ou illisible") from exc
    with pdf:
        if pdf.needs_pass:
            raise IngestError(path, "PDF chiffré (mot de passe requis)")
        info = pdf.metadata or {}
        page_count = pdf.page_count
        try:
            pages, sizes, empty = _extract(pdf, pymupdf.TEXTFLAGS_TEXT)
        except Exception as exc:
            raise IngestError(path, "fichier PDF endommagé (texte illisible)") from exc

    threshold = _heading_threshold(sizes)
    sections: list[Section] = []
    stack: list[tuple[float, str]] = []
    page_one_headings: list[str] = []

    def heading_path() -> tuple[str, ...]:
        return tuple(text for _, text in stack)

    for number, blocks in enumerate(pages, start=1):
        run: list[str] = []  # consecutive heading lines of one size, possibly over several blocks
        run_size = 0.0

        def close_run() -> None:
            nonlocal run_size
            if not run:
                return
            text = _join_lines(run)
            run.clear()
            if len(text) > _MAX_HEADING_CHARS:  # a whole paragraph in large type is not a heading
                sections.append(Section(text, number, heading_path(), "text"))
                return
            while stack and stack[-1][0] <= run_size + 0.5:
                stack.pop()
            del stack[_MAX_DEPTH - 1 :]
            stack.append((run_size, text))
            sections.append(Section(text, number, heading_path(), "heading"))
            if number == 1:
                page_one_headings.append(text)

        for lines in blocks:
            body: list[str] = []
            for size, text in lines:
                is_heading = (
                    size >= threshold
                    and len(text) <= _MAX_HEADING_CHARS
                    and sum(ch.isalpha() for ch in text) >= 3
                )
                if is_heading:
                    if body:
                        sections.append(Section(_join_lines(body), number, heading_path(), "text"))
                        body = []
                    if run and abs(size - run_size) > 0.5:
                        close_run()
                    run.append(text)
                    run_size = size
                else:
                    close_run()
                    body.append(text)
            if body:
                sections.append(Section(_join_lines(body), number, heading_path(), "text"))
        close_run()

    title = _meta_title(info.get("title"))
    if not title:
        # A heading that is only the meeting date (« Séance publique du 24 avril 2014 ») is a poor title.
        undated = [h for h in page_one_headings if find_french_date(h) is None]
        title = (undated or page_one_headings or [""])[0]
    if not title:
        first = next((s.text for s in sections if sum(ch.isalpha() for ch in s.text) >= 8), "")
        title = first[:150]
    metadata: dict[str, Any] = {
        "has_text_layer": len(empty) < page_count,
        "pages_without_text": empty,
        "encrypted": bool(info.get("encryption")),
        "created": _iso_pdf_date(info.get("creationDate")),
    }
    return Document(str(path), title or path.stem, "pdf", sections, pages=page_count, metadata=metadata)
