"""Personal data hidden from a source page: the values pseudonymised in the index
([PERSONNE_1], [IBAN_2]…) are still in clear in the original file, so a PDF page rendered for a
citation would show them. ``page_masks`` finds them on a page and ``redact`` removes them from
the page held in memory (PyMuPDF redaction: the text under the box is deleted, image pixels
under it blanked, the file on disk untouched) before the page is searched or rendered;
``mask_text`` puts the placeholders back into a page's extracted text.

Which values: the placeholders the document's own chunks hold, mapped to their originals by the
pseudonym vault (``store.pseudonyms``). A value is searched as written (PyMuPDF's
``search_for``, case-insensitive); a person's name also word by word, so « M. Dupont » is
hidden when the vault holds « Jean DUPONT » (the index gave both the same placeholder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from clos.govern.lexicon import PARTICLES
from clos.govern.names import name_key

PLACEHOLDER = re.compile(r"\[([A-ZÉ_]+?)_(\d+)\]")
WORD = re.compile(r"[^\W\d_]+(?:[\-'’][^\W\d_]+)*")
MIN_NAME_PART = 2  # letters: « Li » is a name, an initial « J » is not searched alone
FILL = (0.12, 0.12, 0.12)  # dark box; the placeholder is written on it in white when it fits
MIN_LABEL_SIZE = 4.0  # points: a smaller label is left out (the box alone says it is hidden)


@dataclass(frozen=True)
class Secret:
    """One pseudonymised value: ``placeholder`` as the index writes it, ``original`` as the
    file does (from the vault: never shown, only searched)."""

    placeholder: str
    type: str
    original: str

    def name_parts(self) -> frozenset[str]:
        """Accent- and case-free words of a person's name, civilities and particles out."""
        if self.type != "PERSONNE":
            return frozenset()
        return frozenset(p for p in name_key(self.original).split()
                         if len(p) >= MIN_NAME_PART and p not in PARTICLES)


def secrets_of(texts: Iterable[str], entries: Iterable[dict[str, Any]]) -> list[Secret]:
    """The vault ``entries`` (``{"type", "n", "original"}``, ``store.pseudonyms`` rows) whose
    placeholder occurs in ``texts`` (the document's chunks), longest original first."""
    wanted = {(m.group(1), int(m.group(2))) for text in texts for m in PLACEHOLDER.finditer(text)}
    found = [Secret(f"[{e['type']}_{e['n']}]", e["type"], e["original"]) for e in entries
             if (e["type"], int(e["n"])) in wanted and (e.get("original") or "").strip()]
    return sorted(found, key=lambda s: -len(s.original))


def _word_parts(word: str) -> list[str]:
    return [p for p in name_key(word).split() if p not in PARTICLES and len(p) >= MIN_NAME_PART]


def _name_owner(word: str, names: list[tuple[frozenset[str], str]]) -> str | None:
    """The placeholder of the person whose name holds every part of ``word`` (« Jean-Pierre »,
    « DUPONT, »), or None (« Saint-Jean » is no one's name)."""
    parts = _word_parts(word)
    if not parts:
        return None
    return next((label for name, label in names if all(p in name for p in parts)), None)


def page_masks(page: Any, secrets: list[Secret]) -> list[tuple[tuple[float, ...], str]]:
    """(rectangle in PDF points, placeholder) of every secret on a ``pymupdf.Page``."""
    masks = []
    for s in secrets:
        masks += [(tuple(r), s.placeholder) for r in page.search_for(s.original)]
    names = [(s.name_parts(), s.placeholder) for s in secrets if s.name_parts()]
    if names:
        whole = list(masks)
        for x0, y0, x1, y1, word, *_ in page.get_text("words"):
            label = _name_owner(word, names)
            if label and not any(_inside((x0, y0, x1, y1), box) for box, _ in whole):
                masks.append(((x0, y0, x1, y1), label))
    return masks


def _inside(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether most of box ``a`` lies in box ``b`` (a word already under a whole-name box)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    return w > 0 and h > 0 and area > 0 and w * h >= 0.5 * area


def redact(page: Any, masks: list[tuple[tuple[float, ...], str]]) -> None:
    """Delete the masked text (and blank image pixels) from ``page`` in memory; each box shows
    its placeholder when it fits. Vector drawings are left alone (table rules stay)."""
    import pymupdf

    if not masks:
        return
    for box, label in masks:
        rect = pymupdf.Rect(box)
        width = pymupdf.get_text_length(label, fontname="helv", fontsize=1)
        size = min(rect.height * 0.8, rect.width / width * 0.95) if width else 0
        page.add_redact_annot(rect, text=label if size >= MIN_LABEL_SIZE else None,
                              fontname="helv", fontsize=max(size, MIN_LABEL_SIZE),
                              text_color=(1, 1, 1), fill=FILL, cross_out=False)
    page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_PIXELS,
                          graphics=pymupdf.PDF_REDACT_LINE_ART_NONE)


def mask_text(text: str, secrets: list[Secret]) -> str:
    """``text`` with each secret replaced by its placeholder (as written, any case and
    spacing; names also word by word), a run of one person's words becoming one placeholder."""
    for s in secrets:
        words = s.original.split()
        pattern = r"\s+".join(re.escape(w) for w in words)
        text = re.sub(pattern, s.placeholder, text, flags=re.IGNORECASE)
    names = [(s.name_parts(), s.placeholder) for s in secrets if s.name_parts()]
    if not names:
        return text
    text = WORD.sub(lambda m: _name_owner(m.group(), names) or m.group(), text)
    return re.sub(r"(\[[A-ZÉ_]+_\d+\])(?:[ \t\u00a0]+\1)+", r"\1", text)
