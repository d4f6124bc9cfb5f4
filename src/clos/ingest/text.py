"""Plain text, Markdown and HTML readers, and the encoding detection all text formats share."""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path
from typing import Any

from clos.errors import IngestError
from clos.ingest.dates import find_french_date, iso_date
from clos.types import Document, Section

# Characters that make a decoding plausible for French text, and ones that betray a wrong codec
# (cp1250's « č » for « è », box drawing from cp850, C1 controls from latin-1, U+FFFD).
_FRENCH = set("éèêëàâäîïôöùûüçœæÉÈÊËÀÂÎÏÔÙÛÇŒÆ’«»€…–—°")
_NON_ASCII = re.compile(r"[^\x00-\x7f]|[\x00-\x08\x0b\x0e-\x1f]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# UTF-8 read as cp1252/latin-1: « Ã© » for « é », « â€™ » for « ’ », « Â » before a no-break space.
_MOJIBAKE = re.compile(
    r"Ã[\u0080-\u00bf]|Â[\u00a0-\u00bf]|â€[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u02dc\u2013-\u2122]"
)


class Outline:
    """The heading path while a reader walks a document in order: a heading closes deeper ones."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._stack)

    def enter(self, level: int, title: str) -> tuple[str, ...]:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return self.path


def _is_bad(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp < 0x20
        or 0x7F <= cp <= 0x9F
        or cp == 0xFFFD
        or (0x100 <= cp <= 0x24F and ch not in "œŒŸƒ")
        or 0x2500 <= cp <= 0x259F
        or 0xE000 <= cp <= 0xF8FF
        or 0xFB50 <= cp <= 0xFEFF
    )


def _french_score(text: str) -> int:
    score = 0
    for ch in _NON_ASCII.findall(text):
        if ch in _FRENCH:
            score += 1
        elif _is_bad(ch):
            score -= 3
    return score


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 (LE/BE) recognised by a BOM or, without one, by where the NUL bytes fall.

    Text in a Latin script written in UTF-16 has a NUL as the high byte of almost every character
    (« é » is E9 00 in UTF-16-LE), and UTF-32 has two or three per character; single-byte
    encodings have none. At least 90 % of the expected positions must be NUL and at most 5 % of
    the others, and the sample must decode without error. Returns the codec name or None.
    """
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    sample = data[:8192]
    for width, names in ((4, ("utf-32-le", "utf-32-be")), (2, ("utf-16-le", "utf-16-be"))):
        usable = len(sample) - len(sample) % width
        if usable < 2 * width:
            continue
        columns = [sample[i:usable:width].count(0) / (usable // width) for i in range(width)]
        # Little-endian: the low byte first, then the NULs; big-endian: NULs first.
        low_le, low_be = columns[0], columns[-1]
        high_le, high_be = min(columns[1:]), min(columns[:-1])
        for name, low, high in ((names[0], low_le, high_le), (names[1], low_be, high_be)):
            if high >= 0.9 and low <= 0.05:
                try:
                    sample[:usable].decode(name)
                except UnicodeDecodeError:
                    continue
                return name
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16/32 (with a BOM or recognised without
    one, see ``wide_encoding``), else the most French-looking of charset-normalizer's guess,
    cp1252, cp850, mac_roman and latin-1. Returns (text, encoding)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    wide = wide_encoding(data)
    if wide:
        return data.decode(wide, errors="replace").lstrip("\ufeff"), wide
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # only a multi-byte character cut at the very end
            return data.decode("utf-8", errors="replace"), "utf-8"
    sample = data[:65536]
    candidates = ["cp1252"]
    try:
        import charset_normalizer

        guess = charset_normalizer.from_bytes(sample).best()
        if guess is not None and guess.encoding not in candidates:
            candidates.append(guess.encoding)
    except Exception:  # detection is a hint only; the fixed candidates below still apply
        pass
    candidates += [c for c in ("cp850", "mac_roman", "latin-1") if c not in candidates]
    # max() keeps the first best, so cp1252 wins ties: it is what French offices write.
    best = max(candidates, key=lambda enc: _french_score(sample.decode(enc, errors="replace")))
    return data.decode(best, errors="replace"), best


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read (NUL bytes, many control codes)."""
    head = data[:8192]
    if wide_encoding(head):
        return False
    if b"\x00" in head:
        return True
    return len(_CONTROL.findall(head.decode("latin-1"))) > 0.02 * max(len(head), 1)


def looks_garbled(text: str) -> bool:
    """True when text shows mojibake (« Ã© », « â€™ ») or several replacement characters."""
    sample = text[:200_000]
    return len(_MOJIBAKE.findall(sample)) >= 2 or sample.count("\ufffd") >= 3


def read_text_file(path: Path) -> tuple[str, str]:
    """Read a text file; raise IngestError for binary content. Returns (text, encoding)."""
    data = path.read_bytes()
    if looks_binary(data):
        raise IngestError(path, "fichier binaire (ce n'est pas un fichier texte)")
    text, encoding = decode_bytes(data)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# ------------------------------------------------------------------------------------ plain text
def split_paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines, trailing spaces and empty lines removed."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.rstrip() for line in block.strip("\n").split("\n")]
        block = "\n".join(line for line in lines if line.strip())
        if block.strip():
            paragraphs.append(block.strip())
    return paragraphs


def _plain_heading(paragraph: str) -> bool:
    """A lone short line without closing punctuation, like service-public's « Pièces à fournir »."""
    if "\n" in paragraph or not 2 <= len(paragraph) <= 100 or len(paragraph.split()) > 14:
        return False
    if paragraph[-1] in ".,;:!…-–" or not (paragraph[0].isupper() or paragraph[0].isdigit()):
        return False
    return any(ch.isalpha() for ch in paragraph)


def read_txt(path: Path) -> Document:
    text, encoding = read_text_file(path)
    paragraphs = split_paragraphs(text)
    sections: list[Section] = []
    title = ""
    top: tuple[str, ...] = ()
    current: tuple[str, ...] = ()
    for i, paragraph in enumerate(paragraphs):
        has_next = i + 1 < len(paragraphs)
        if has_next and _plain_heading(paragraph):
            if i == 0:
                title = paragraph
                top = current = (paragraph,)
            else:
                current = top + (paragraph,)
            sections.append(Section(paragraph, None, current, "heading"))
        else:
            sections.append(Section(paragraph, None, current, "text"))
    return Document(str(path), title, "txt", sections, metadata={"encoding": encoding})


# -------------------------------------------------------------------------------------- markdown
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TEMPLATE_LINE = re.compile(r"^\s*(\{%.*%\}|\{:.*\}|\{\{.*\}\})\s*$")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_CODE = re.compile(r"`([^`\n]*)`")
_KRAMDOWN = re.compile(r"\{:[^}]*\}")


def _md_inline(text: str) -> str:
    """Markdown inline markup to plain text, so quotes match what a person reads."""
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    text = _STRONG.sub(r"\2", text)
    text = _CODE.sub(r"\1", text)
    text = _KRAMDOWN.sub("", text)
    return html.unescape(text)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    values: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        if line[:1].isspace() or ":" not in line:
            continue  # nested keys (eleventyNavigation: title…) are not the page's own
        key, value = line.split(":", 1)
        values[key.strip().lower()] = value.strip().strip("\"'")
    return values, text[match.end() :]


def _pipe_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [_md_inline(c.strip().replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", line)]


def _table_text(rows: list[list[str]]) -> str:
    lines = [" | ".join(c for c in cells) for cells in rows if any(c.strip() for c in cells)]
    return "\n".join(lines)


def read_md(path: Path) -> Document:
    text, encoding = read_text_file(path)
    front, body = _front_matter(text)
    lines = body.split("\n")
    sections: list[Section] = []
    outline = Outline()
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            content = _md_inline("\n".join(paragraph)).strip()
            if content:
                sections.append(Section(content, None, outline.path, "text"))
            paragraph.clear()

    def push_heading(level: int, title: str) -> None:
        title = " ".join(_md_inline(title).split())
        if title:
            sections.append(Section(title, None, outline.enter(level, title), "heading"))

    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker, code = fence.group(1), []
            i += 1
            while i < n and not lines[i].strip().startswith(marker[0] * len(marker)):
                code.append(lines[i])
                i += 1
            if "\n".join(code).strip():
                sections.append(Section("\n".join(code).strip("\n"), None, outline.path, "text"))
            i += 1
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            push_heading(len(atx.group(1)), atx.group(2) or "")
            i += 1
            continue
        if stripped.lower().startswith("<table"):
            flush()
            start = i
            while i < n and "</table>" not in lines[i].lower():
                i += 1
            from clos.ingest.web import html_table_rows  # web imports this module

            rows = html_table_rows("\n".join(lines[start : i + 1]))
            if rows:
                sections.append(Section(_table_text(rows), None, outline.path, "table"))
            i += 1
            continue
        if "|" in stripped and i + 1 < n and "|" in lines[i + 1] and _DELIMITER_ROW.match(lines[i + 1]):
            flush()
            rows = [_pipe_cells(line)]
            i += 2
            while i < n and "|" in lines[i] and lines[i].strip():
                rows.append(_pipe_cells(lines[i]))
                i += 1
            sections.append(Section(_table_text(rows), None, outline.path, "table"))
            continue
        if len(paragraph) == 1 and _SETEXT.match(line):
            title = paragraph.pop()
            push_heading(1 if stripped.startswith("=") else 2, title)
            i += 1
            continue
        if not stripped or _RULE.match(line) or _TEMPLATE_LINE.match(line):
            flush()
        else:
            paragraph.append(line.rstrip())
        i += 1
    flush()
    doc_date = iso_date(front.get("date")) or (find_french_date(front["date"]) if front.get("date") else None)
    metadata: dict[str, Any] = {"encoding": encoding}
    if front:
        metadata["front_matter"] = sorted(front)
    return Document(str(path), front.get("title", ""), "md", sections, doc_date=doc_date, metadata=metadata)


# ------------------------------------------------------------------------------------------ HTML
