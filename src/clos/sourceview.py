"""A cited passage where it stands in its file: a PDF page rendered with the quote's boxes
highlighted (PyMuPDF text search), or the chunk's text with the quote's spans marked.

Quotes are what ``verify.best_quote`` cut from a chunk: parts joined by « […] », possibly with
pseudonym placeholders ([PERSONNE_2]) the original file does not hold. Each part is searched on
its own, placeholders cut out; the page shown is the first, from the cited one, where the
parts are found (a chunk may run onto the next page).

The values the index holds pseudonymised (``secrets``, see ``clos.sourcemask``) are redacted
from the page in memory before its highlighted words are read and before it is rendered, and
replaced by their placeholders in a page's text: the file's personal data never reaches a
reader who may not see it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.sourcemask import Secret, mask_text, page_masks, redact

JOINS = re.compile(r"\s*(?:\[\s*…\s*\]|\[\.\.\.\]|…|\.\.\.)\s*")
PLACEHOLDER = re.compile(r"\[[A-ZÉ_]+_\d+\]")
MIN_PART = 12  # characters: shorter pieces match anywhere
WINDOW = 6  # words per sub-search when a whole part is not found (hyphenation, line breaks)
ZOOM = 1.5  # 108 dpi: a page readable on screen at ≈ 900 px wide
MIDDLE = 0.35  # share of a box's height cut at top and bottom to read its own line only


@dataclass
class SourceView:
    """``boxes``: highlighted rectangles in PDF points (x0, y0, x1, y1) on ``page``;
    ``words``: the text PyMuPDF finds inside each box (the test checks it against the quote);
    ``spans``: (start, end) of the quote's parts in ``text`` for non-PDF sources;
    ``masks``: (box, placeholder) of the personal data redacted on ``page`` (``render_page``
    redacts them again on its own copy)."""

    path: str
    title: str
    format: str
    quote: str
    page: int | None
    cited_page: int | None
    found: bool
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)
    masks: list[tuple[tuple[float, ...], str]] = field(default_factory=list)
    withheld: bool = False

    @property
    def is_pdf(self) -> bool:
        return self.format == "pdf" and self.page is not None and not self.withheld

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "path", "title", "format", "quote", "page", "cited_page", "found", "boxes", "words",
            "width", "height", "spans", "withheld")} | {"hidden": len(self.masks)}


def quote_parts(quote: str) -> list[str]:
    """The searchable pieces of a quote: split on « […] » joins and placeholders."""
    pieces = []
    for part in JOINS.split(quote or ""):
        pieces += [p.strip(" ,;:«»\"'") for p in PLACEHOLDER.split(part)]
    return [p for p in pieces if len(p) >= MIN_PART]


def view(where: dict[str, Any], quote: str, cited_page: int | None,
         secrets: list[Secret] | None = None) -> SourceView:
    """``where`` is ``store.chunk_source(chunk_id)``; ``cited_page`` the citation's page;
    ``secrets`` the values to hide on a PDF page (``sourcemask.secrets_of``; none: shown as
    the file has them, for a reader allowed to see them). Non-PDF sources show the chunk's
    text, pseudonymised already."""
    path = Path(where["path"])
    base = dict(path=str(path), title=where.get("title") or path.name,
                format=(where.get("format") or "").lower(), quote=quote,
                cited_page=cited_page or where.get("page"))
    withheld = False
    if base["format"] == "pdf" and path.exists():
        shown = _pdf_view(path, quote, base, secrets or [])
        if shown is not None:
            return shown
        withheld = True  # a scanned page with personal data: the indexed text instead
    text = where.get("text") or ""
    spans = _text_spans(text, quote_parts(quote) or [quote])
    return SourceView(page=where.get("page"), found=bool(spans), text=text, spans=spans,
                      withheld=withheld, **base)


def render_page(path: str | Path, page: int, boxes: list[tuple[float, float, float, float]],
                zoom: float = ZOOM,
                masks: list[tuple[tuple[float, ...], str]] | None = None) -> bytes:
    """PNG of 1-based ``page`` with ``masks`` redacted (on the copy in memory) and ``boxes``
    highlighted (yellow fill, dark outline: the mark does not rest on colour alone).
    IngestError naming the file if it cannot be rendered."""
    import pymupdf

    try:
        with pymupdf.open(path) as doc:
            if not 1 <= page <= doc.page_count:
                raise IngestError(path, f"page {page} absente ({doc.page_count} pages)")
            pg = doc[page - 1]
            redact(pg, masks or [])
            for box in boxes:
                rect = pymupdf.Rect(box)
                pg.draw_rect(rect, color=(0.1, 0.1, 0.1), fill=(1, 0.85, 0), fill_opacity=0.45,
                             width=1.2, overlay=True)
            return pg.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom)).tobytes("png")
    except (RuntimeError, ValueError) as exc:
        raise IngestError(path, f"page impossible à afficher ({exc})") from exc


def _pdf_view(path: Path, quote: str, base: dict[str, Any],
              secrets: list[Secret]) -> SourceView | None:
    """The page view, or None when ``secrets`` are to be hidden on a page without a text
    layer (a scan: the personal data is in its pixels, where no text search finds it)."""
    import pymupdf

    parts = quote_parts(quote)
    try:
        doc = pymupdf.open(path)
    except (RuntimeError, ValueError) as exc:
        raise IngestError(path, f"PDF illisible ({exc})") from exc
    with doc:
        start = max(1, min(int(base["cited_page"] or 1), doc.page_count))
        # The cited page and the next (a chunk may run across a page break): the page shown is
        # the one holding most of the quote (characters of the parts found), the cited one on
        # a tie; a part found only on the other page is not highlighted here.
        best = (0, start, [])
        for number in dict.fromkeys((start, min(start + 1, doc.page_count))):
            page = doc[number - 1]
            found = [(p, _search(page, p)) for p in parts]
            score = sum(len(p) for p, rects in found if rects)
            if score > best[0]:
                best = (score, number, [r for _, rects in found for r in rects])
        # The quote is searched on the page as filed (its parts hold no personal data: they
        # come from the pseudonymised chunk); what is read from the page for display is read
        # once the personal data is redacted.
        page = doc[best[1] - 1]  # the cited page when nothing was found
        if secrets and not page.get_text().strip():
            return None
        masks = page_masks(page, secrets) if secrets else []
        text = "" if best[0] else mask_text(page.get_text(), secrets)
        redact(page, masks)
        if best[0]:
            words = [_text_in(page, r) for r in best[2]]
            return SourceView(page=best[1], found=True, boxes=[tuple(r) for r in best[2]],
                              words=words, width=page.rect.width, height=page.rect.height,
                              masks=masks, **base)
        return SourceView(page=start, found=False, width=page.rect.width,
                          height=page.rect.height, text=text, masks=masks, **base)


def _text_in(page: Any, rect: Any) -> str:
    """The text of a highlighted box: its middle band only, since ``get_textbox`` takes any
    character touching the box and lines set tighter than their font's height overlap."""
    band = rect.height * MIDDLE
    return page.get_textbox((rect.x0, rect.y0 + band, rect.x1, rect.y1 - band)).strip()


def _search(page: Any, part: str) -> list[Any]:
    found = page.search_for(part)
    if found:
        return found
    words = part.split()
    if len(words) <= WINDOW:
        return []
    hits = []  # whole part absent (hyphenation, ligatures): its word windows, kept if most match
    windows = [" ".join(words[i:i + WINDOW]) for i in range(0, len(words), WINDOW)]
    matched = 0
    for w in windows:
        got = page.search_for(w) if len(w) >= MIN_PART else []
        matched += bool(got)
        if got:  # a window may occur more than once: the one following the previous window
            last = hits[-1] if hits else got[0]
            hits.append(min(got, key=lambda r: (r.y0 < last.y0 - 2, abs(r.y0 - last.y1),
                                                abs(r.x0 - last.x1))))
    return hits if matched * 2 >= len(windows) else []


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _text_spans(text: str, parts: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each part in ``text``, whitespace-insensitive."""
    text = _fold(text)
    spans = []
    for part in parts:
        pattern = r"\s+".join(re.escape(w) for w in _fold(part).split())
        m = re.search(pattern, text) if pattern else None
        if m:
            spans.append((m.start(), m.end()))
    return sorted(spans)
