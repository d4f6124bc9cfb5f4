"""HTML reader (BeautifulSoup + lxml): h1–h6 become the heading path, tables are read row by row."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import iso_date
from clos.ingest.text import Outline, _table_text, decode_bytes, looks_binary
from clos.types import Document, Section

_DROP = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "head", "button",
         "select", "canvas", "object", "embed", "math"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "aside", "li", "ul", "ol",
           "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "address", "hr", "form",
           "fieldset", "details", "summary", "body", "html", "center", "caption", "legend"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_META_DATE = re.compile(r"^(date|dc\.date|dcterms\.(date|created|issued)|article:published_time)$", re.I)


def _clean(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def html_table_rows(markup_or_table: Any) -> list[list[str]]:
    """Rows of the first HTML table (markup string or a bs4 ``table`` tag), cells as clean text."""
    table = markup_or_table
    if isinstance(table, str):
        from bs4 import BeautifulSoup

        table = BeautifulSoup(table, "lxml").find("table")
        if table is None:
            return []
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue  # a nested table's rows belong to the cell that holds it
        cells = [" ".join(td.get_text(" ").split()) for td in tr.find_all(["td", "th"], recursive=False)]
        if any(cells):
            rows.append(cells)
    return rows


def html_to_sections(markup: str) -> tuple[str, list[Section], str | None]:
    """Turn HTML into (title, sections, date from meta tags): headings, paragraphs, tables."""
    from bs4 import BeautifulSoup, NavigableString
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    skipped = (Comment, Declaration, Doctype, ProcessingInstruction)

    soup = BeautifulSoup(markup, "lxml")
    title = _clean(soup.title.get_text(" ")) if soup.title else ""
    meta = soup.find("meta", attrs={"name": _META_DATE}) or soup.find("meta", attrs={"property": _META_DATE})
    doc_date = iso_date(meta.get("content")) if meta else None
    for tag in soup.find_all(list(_DROP)):
        tag.decompose()
    sections: list[Section] = []
    outline = Outline()
    buffer: list[str] = []

    def flush() -> None:
        text = _clean("".join(buffer))
        buffer.clear()
        if text:
            sections.append(Section(text, None, outline.path, "text"))

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, skipped):
                continue
            if isinstance(child, NavigableString):
                buffer.append(str(child).replace("\n", " "))
                continue
            name = child.name
            if name in _HEADINGS:
                flush()
                text = " ".join(child.get_text(" ").split())
                if text:
                    sections.append(Section(text, None, outline.enter(_HEADINGS[name], text), "heading"))
            elif name == "table":
                flush()
                rows = html_table_rows(child)
                if rows:
                    sections.append(Section(_table_text(rows), None, outline.path, "table"))
            elif name == "br":
                buffer.append("\n")
            elif name in _BLOCKS:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(soup)
    flush()
    return title, sections, doc_date


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)


def read_html(path: Path) -> Document:
    data = path.read_bytes()
    if looks_binary(data):
        raise IngestError(path, "fichier binaire (ce n'est pas une page HTML)")
    declared = _META_CHARSET.search(data[:4096])
    text = encoding = None
    if declared and not data.startswith(codecs.BOM_UTF8):
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
            # Browsers read a latin-1 or ASCII declaration as cp1252, and so do the pages' authors.
            encoding = "cp1252" if encoding in ("iso8859-1", "ascii") else encoding
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            text = None  # a wrong declaration is common; detect instead
    if text is None:
        text, encoding = decode_bytes(data)
    title, sections, doc_date = html_to_sections(text)
    return Document(str(path), title, "html", sections, doc_date=doc_date,
                    metadata={"encoding": encoding})
