"""DOCX reader (python-docx): headings from styles, tables with merged cells repeated on each row,
text boxes once; hidden runs (w:vanish) and reviewers' comments set apart in ``Document.hidden``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import iso_date
from clos.ingest.office import _clean, _rows_text, _trim, check_zip_container
from clos.ingest.text import Outline
from clos.types import Document, ReadingNote, Section

_MARKUP_COMPATIBILITY = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_HEADING_STYLE = re.compile(r"^(?:heading|titre|title)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)


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
