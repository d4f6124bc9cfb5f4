"""Layout of one PDF page as a person reads it: visible lines, in reading order, without the
page furniture (running headers and footers, transmission stamps), with tables found.

    page_lines(page, number)      (visible lines, hidden spans) of a text page
    strip_furniture(pages)        drop running headers/footers and prefecture stamps from every
                                  page; what they said that matters is returned as metadata
    reading_order(lines, width)   lines of a page, columns read one after the other

Why PyMuPDF's ``get_text("dict")`` and our own rules rather than pymupdf4llm: on 8 Montpellier
deliberations (15 pages), pymupdf4llm 2.0 took 13.7 s against 0.13 s for ``get_text()`` (ratio
0.009, far under the 0.5 goal), ran OCR on pages that have a text layer, glued « LEVY-RAMEAU »
into « LEVYRAMEAU » and left the prefecture stamp in the body text. ``get_text("dict")`` costs
what ``get_text()`` costs and gives each span's box, size, weight and colour, which is all the
rules below need. Tables: see ``pdf_tables``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from clos.ingest.normalise import normalise_chars

# Text smaller than this is not meant to be read: 3 pt is about 1 mm of cap height, below any
# printed legal mention (the smallest in the corpus, the list of council members, is 7 pt).
TINY_PT = 3.0
# A gap wider than this many font sizes inside a line separates two columns or two cells: a
# word space is 0.25–0.5 em, and justified lines of the 123 deliberations never reach 1.5 em
# (bench_reading: no word lost or reordered against the text layer on all of them).
_GAP = 1.5
# Page bands where running headers and footers live (fraction of the page height): 14 % of an
# A4 page is 4.2 cm, a header margin (1.25–2.5 cm) plus two lines of header.
_BAND = 0.14
_ALNUM = re.compile(r"[^\W_]")
_MARKER = re.compile(r"^(?:[-–—•▪◦*]|\d{1,3}[.)°]?|[a-zA-Z][.)]|[IVXLC]{1,5}[.)])$")


@dataclass
class Line:
    """One visual line (or one column's part of it) on a page, in PDF points (origin top left)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    page: int
    block: int = 0
    spans: list[tuple[tuple[float, float, float, float], str]] = field(default_factory=list, repr=False)
    letters: int = -1  # letters and digits in ``text``
    ocr: bool = False  # read by OCR: ``block`` is then Tesseract's paragraph

    def __post_init__(self) -> None:
        if self.letters < 0:
            self.letters = len(_ALNUM.findall(self.text))


@dataclass
class Hidden:
    """Text present in the PDF that a reader of the page cannot see."""

    text: str
    page: int
    reason: str  # white | tiny | outside


def _bold(span: dict[str, Any]) -> bool:
    return bool(span["flags"] & 16) or "bold" in span["font"].lower()


def _near_white(color: int) -> bool:
    return all(((color >> shift) & 0xFF) >= 0xF0 for shift in (16, 8, 0))


def _dark_fills(page: Any) -> list[Any]:
    """Filled shapes that are not white, and images: white text on them is visible (a coloured
    banner, a photograph's caption)."""
    import pymupdf

    fills = [pymupdf.Rect(info["bbox"]) for info in page.get_image_info()]
    for drawing in page.get_drawings():
        fill = drawing.get("fill")
        if fill and sum(fill) < 2.7:
            fills.append(pymupdf.Rect(drawing["rect"]))
    return fills


def page_lines(page: Any, number: int, textpage: Any = None) -> tuple[list[Line], list[Hidden]]:
    """Visible lines of a page (stream order) and the hidden spans (white, tiny, off the page).

    A line whose spans leave a gap wider than 1.5 font sizes is cut there, so the two halves of
    a row stored across two columns (or two table cells) become two lines. A short list marker
    (« I) », « - », « 1. ») stays with the text after it.
    """
    import pymupdf

    flags = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_MEDIABOX_CLIP
    # No clip: text written off the page is read, to be set apart as hidden (same cost).
    data = page.get_text("dict", flags=flags, textpage=textpage, clip=pymupdf.INFINITE_RECT())
    box = page.rect
    lines: list[Line] = []
    hidden: dict[str, list[str]] = defaultdict(list)
    fills: list[Any] | None = None
    for block in data["blocks"]:
        for raw in block.get("lines", ()):
            pieces: list[list[dict[str, Any]]] = []
            for span in raw["spans"]:
                text = span["text"]
                if not text.strip():
                    if pieces:
                        pieces[-1].append(span)
                    continue
                x0, y0, x1, y1 = span["bbox"]
                reason = None
                if span["size"] < TINY_PT:
                    reason = "tiny"
                elif x1 <= box.x0 or x0 >= box.x1 or y1 <= box.y0 or y0 >= box.y1:
                    reason = "outside"
                elif _near_white(span["color"]):
                    if fills is None:
                        fills = _dark_fills(page)
                    centre = pymupdf.Point((x0 + x1) / 2, (y0 + y1) / 2)
                    if not any(f.contains(centre) for f in fills):
                        reason = "white"
                if reason:
                    hidden[reason].append(normalise_chars(text))
                    continue
                if pieces:
                    last = [s for s in pieces[-1] if s["text"].strip()]
                    gap = span["bbox"][0] - last[-1]["bbox"][2]
                    marker = _MARKER.match("".join(s["text"] for s in pieces[-1]).strip())
                    if gap > _GAP * span["size"] and not marker:
                        pieces.append([span])
                        continue
                    pieces[-1].append(span)
                else:
                    pieces.append([span])
            for spans in pieces:
                line = _line(spans, number, block.get("number", 0))
                if not line.text:
                    continue
                prev = lines[-1] if lines else None
                if prev and _MARKER.match(prev.text) and prev.x1 <= line.x0 \
                        and prev.y0 < line.y1 and line.y0 < prev.y1:
                    # « I) » or « - » stored as a line of its own before its text: one line.
                    lines[-1] = Line(f"{prev.text} {line.text}", prev.x0, min(prev.y0, line.y0),
                                     line.x1, max(prev.y1, line.y1), line.size, line.bold, number,
                                     line.block, prev.spans + line.spans)
                    continue
                lines.append(line)
    found = [Hidden(" ".join(" ".join(texts).split()), number, reason)
             for reason, texts in hidden.items() if " ".join(texts).strip()]
    return lines, found


def _line(spans: list[dict[str, Any]], page: int, block: int) -> Line:
    raw = "".join(s["text"] for s in spans).rstrip()
    # A soft hyphen ending the line stays, so the paragraph joins the word's halves (normalise).
    text = normalise_chars(raw) + ("\u00ad" if raw.endswith("\u00ad") else "")
    solid = [s for s in spans if s["text"].strip()] or spans
    main = max(solid, key=lambda s: len(s["text"].strip()))
    weight = sum(len(s["text"].strip()) for s in solid if _bold(s))
    boxes = [s["bbox"] for s in solid]
    return Line(" ".join(text.split()), min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes), round(main["size"], 1),
                weight * 2 > sum(len(s["text"].strip()) for s in solid), page, block,
                [(tuple(s["bbox"]), normalise_chars(s["text"])) for s in solid])


# ----------------------------------------------------------------------- reading order
def reading_order(lines: list[Line], width: float) -> list[Line]:
    """The lines of one page in reading order.

    Stream order is kept unless the page has two columns (a vertical gutter no line crosses,
    with at least 3 lines on each side, side by side) AND the stream jumps between them row by
    row; then each band between full-width lines is read left column first, then right.
    """
    if len(lines) < 6:
        return lines
    gutter = _gutter(lines, width)
    if gutter is None:
        return lines
    side = ["L" if ln.x1 <= gutter else "R" if ln.x0 >= gutter else "F" for ln in lines]
    columns = [s for s in side if s != "F"]
    switches = sum(1 for a, b in zip(columns, columns[1:]) if a != b)
    if switches <= max(2, min(columns.count("L"), columns.count("R")) // 2):
        return lines  # already read column by column
    ordered: list[Line] = []
    band: list[Line] = []
    for line in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        if line.x0 < gutter < line.x1:  # a full-width line closes the band above it
            ordered.extend(_band(band, gutter))
            band = []
            ordered.append(line)
        else:
            band.append(line)
    ordered.extend(_band(band, gutter))
    return ordered


def _band(band: list[Line], gutter: float) -> list[Line]:
    left = sorted((ln for ln in band if ln.x1 <= gutter), key=lambda ln: (ln.y0, ln.x0))
    right = sorted((ln for ln in band if ln.x0 >= gutter), key=lambda ln: (ln.y0, ln.x0))
    return left + right


def _gutter(lines: list[Line], width: float) -> float | None:
    rows: dict[int, int] = defaultdict(int)
    for ln in lines:
        rows[round(ln.y0 / 3)] += 1
    if sum(1 for n in rows.values() if n >= 2) < 3:
        return None  # fewer than 3 rows hold two lines side by side: one column
    best: tuple[int, float] | None = None
    x = width * 0.3
    while x <= width * 0.7:
        crossing = sum(1 for ln in lines if ln.x0 < x < ln.x1)
        left = [ln for ln in lines if ln.x1 <= x]
        right = [ln for ln in lines if ln.x0 >= x]
        if len(left) >= 3 and len(right) >= 3 and crossing * 5 <= len(lines):
            overlap = sum(1 for a in left if any(b.y0 < a.y1 and a.y0 < b.y1 for b in right))
            if overlap >= 3 and (best is None or (crossing, -overlap) < (best[0], 0)):
                best = (crossing, x)
        x += 4.0
    return best[1] if best else None


# ----------------------------------------------------------------------- page furniture
_STAMP_ANCHOR = re.compile(
    r"accusé de réception|ministère de l.intérieur|acte certifié exécutoire|envoi préfecture|"
    r"réception en préfecture|date de télétransmission|date de réception préfecture|"
    r"^\d{3}-\d{9}-\d{8}-\S+-(?:DE|AR|AI|CC|AU|BF|DC|PA|AP|ID|CA)$", re.IGNORECASE)
_ACTE_ID = re.compile(r"\b(\d{3}-\d{9}-\d{8}-[0-9A-Za-z_]+-[A-Z]{2})\b")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)$")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:page\s*)?\d{1,4}(?:\s*(?:/|sur)\s*\d{1,4})?[-–—\s]*$", re.IGNORECASE)


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _iso(text: str) -> str | None:
    match = _DMY.match(text.strip())
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def _stamp(lines: list[Line], meta: dict[str, Any]) -> set[int]:
    """Indices of a page's prefecture-transmission stamp lines; its facts go into ``meta``."""
    anchors = [i for i, ln in enumerate(lines) if _STAMP_ANCHOR.search(ln.text)]
    if len(anchors) < 2:
        return set()
    x0 = min(lines[i].x0 for i in anchors) - 12
    x1 = max(lines[i].x1 for i in anchors) + 60
    y0 = min(lines[i].y0 for i in anchors) - 12
    y1 = max(lines[i].y1 for i in anchors) + 12
    inside = {i for i, ln in enumerate(lines)
              if ln.x0 >= x0 and ln.x1 <= x1 and ln.y0 >= y0 and ln.y1 <= y1
              and (i in anchors or _iso(ln.text) or _ACTE_ID.search(ln.text) or len(ln.text) < 40)}
    for i in inside:
        found = _ACTE_ID.search(lines[i].text)
        if found:
            meta.setdefault("acte_id", found.group(1))
        if "exécutoire" in lines[i].text.lower():
            meta["acte_executoire"] = True
    for label, key in (("envoi préfecture", "prefecture_sent"),
                       ("réception en préfecture", "prefecture_received")):
        label_line = next((lines[i] for i in inside if label in lines[i].text.lower()), None)
        if label_line is None:
            continue
        inline = re.search(r"(\d{1,2}/\d{1,2}/\d{4})", label_line.text)
        dates = [lines[i] for i in inside if _iso(lines[i].text)]
        if inline:
            meta.setdefault(key, _iso(inline.group(1)))
        elif dates:
            middle = (label_line.y0 + label_line.y1) / 2
            best = min(dates, key=lambda d: abs((d.y0 + d.y1) / 2 - middle))
            meta.setdefault(key, _iso(best.text))
    return inside


def strip_furniture(pages: list[list[Line]], heights: list[float]) -> tuple[list[list[Line]], dict[str, Any]]:
    """Remove stamps, running headers/footers and page numbers from every page.

    A header or footer is a line in the top or bottom 14 % of the page whose text, digits
    aside (« Page 2 / 5 » = « Page 3 / 5 »), comes back on at least half the pages (two at
    least). A prefecture stamp is recognised by its wording (« Accusé de réception – Ministère
    de l'intérieur », « Acte certifié exécutoire », « Envoi Préfecture »…, the wording of the
    @CTES transmission stamp every deliberation carries) and its acte identifier; its dates and
    identifier become metadata: ``acte_id``, ``prefecture_sent``, ``prefecture_received``.
    """
    meta: dict[str, Any] = {}
    kept = []
    for lines in pages:
        drop = _stamp(lines, meta)
        kept.append([ln for i, ln in enumerate(lines) if i not in drop])
    sizes: Counter = Counter()
    for lines in kept:
        for ln in lines:
            sizes[ln.size] += ln.letters
    # Running headers are set no larger than the body text; a repeated larger line is a heading.
    largest = sizes.most_common(1)[0][0] * 1.12 if sizes else 0.0
    count: Counter = Counter()
    for lines, height in zip(kept, heights):
        keys = {_key(ln.text) for ln in lines if _in_band(ln, height) and ln.size <= largest}
        count.update(keys)
    threshold = max(2, (len(pages) + 1) // 2)
    repeated = {k for k, n in count.items() if n >= threshold and any(ch.isalpha() for ch in k)}
    headers: list[str] = []
    footers: list[str] = []
    out = []
    for lines, height in zip(kept, heights):
        page = []
        for ln in lines:
            if _in_band(ln, height) and ln.size <= largest and \
                    (_key(ln.text) in repeated or _PAGE_NUMBER.match(ln.text)):
                target = headers if ln.y1 < height * 0.5 else footers
                if _key(ln.text) in repeated and not any(_key(t) == _key(ln.text) for t in target):
                    target.append(ln.text)
                continue
            page.append(ln)
        out.append(page)
    if headers:
        meta["running_headers"] = headers
    if footers:
        meta["running_footers"] = footers
    return out, meta


def _in_band(line: Line, height: float) -> bool:
    return line.y1 <= height * _BAND or line.y0 >= height * (1 - _BAND)
