"""Why a document should not be indexed as it is: drafts, confidential markings, obsolete texts,
quality problems and foreign language. Duplicates and versions need the store: see duplicates.py.

Markings are searched where people put them (title, file name, short lines, the first and last
lines), not in running prose: a guide explaining that "les brouillons ne sont pas communicables"
is not itself a draft.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Iterable

from clos.govern.lexicon import ENGLISH_STOP, FRENCH_STOP, strip_accents
from clos.ingest.dates import anchored_date
from clos.types import Document, Flag

KINDS = ("brouillon", "confidentiel", "obsolete", "qualite", "doublon", "version", "langue",
         "texte_masque", "consigne_suspecte")

LABELS_FR = {
    "brouillon": "Brouillon ou document de travail",
    "confidentiel": "Mention de confidentialité",
    "obsolete": "Document ancien ou abrogé",
    "qualite": "Problème de qualité",
    "doublon": "Doublon",
    "version": "Ancienne version",
    "langue": "Langue autre que le français",
    "texte_masque": "Texte masqué",
    "consigne_suspecte": "Consigne adressée à l'assistant",
}

_DRAFT = re.compile(
    r"\b(?:brouillon|version de travail|document de travail|version provisoire|"
    r"projet de (?:d[ée]lib[ée]ration|d[ée]cision|convention|r[èe]glement|rapport|note|courrier|"
    r"contrat|compte[ -]rendu|proc[èe]s[ -]verbal|statuts)|projet d['’](?:arr[êe]t[ée]|avenant))\b",
    re.IGNORECASE,
)
_DRAFT_UPPER = re.compile(r"\b(?:BROUILLON|PROJET|DRAFT|VERSION DE TRAVAIL|DOCUMENT DE TRAVAIL)\b")
_TODO = re.compile(r"\[\s*(?:à|a) compl[ée]ter\s*\]|\bXXX+\b|\bTODO\b|\bà compléter\b", re.IGNORECASE)
_DRAFT_FILE = re.compile(r"(?:^|[\W_])(?:brouillon|draft|projet|wip|provisoire|version[ _-]de[ _-]travail|tmp)(?:$|[\W_])",
                         re.IGNORECASE)

_CONFIDENTIAL = re.compile(
    r"\b(?:diffusion restreinte|ne pas diffuser|ne pas communiquer|strictement confidentiel(?:le)?|"
    r"document confidentiel|usage (?:strictement )?interne (?:uniquement|exclusivement)|"
    r"confidentiel(?:le)? ?[-–—:/] |sous pli confidentiel)\b",
    re.IGNORECASE,
)
_CONFIDENTIAL_UPPER = re.compile(r"\b(?:CONFIDENTIEL(?:LE)?|DIFFUSION RESTREINTE|NE PAS DIFFUSER)\b")
_CONFIDENTIAL_LINE = re.compile(r"^\W*confidentiel(?:le)?\b", re.IGNORECASE)

_REPEALED = re.compile(
    r"^\W*(?:\(?abrog[ée]e?s?\)?\W*$|(?:texte|document|article|arr[êe]t[ée]|d[ée]lib[ée]ration)"
    r" abrog[ée]e?\b|abrog[ée]e? (?:par|le|depuis)\b|statut\s*:\s*abrog)",
    re.IGNORECASE | re.MULTILINE,
)
_MOJIBAKE = re.compile(r"Ã[\u0080-\u00bf©¨§´®ª¢«»¹²³¼½¾]|â€|Â[\u00a0-\u00bf ]|\ufffd")
_DATE_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")

MIN_CHARS = 200


def flag_document(doc: Document, *, today: date, max_age_years: int,
                  not_dates: Iterable[str] = ()) -> list[Flag]:
    """Flags of one document (without duplicates, which need the collection: see Governor).

    ``not_dates``: ISO dates that are not the document's own (birth dates found in it)."""
    text = doc.text
    zones = _marking_zones(doc, text)
    flags: list[Flag] = []
    draft = _draft_reason(doc, text, zones)
    if draft:
        flags.append(Flag("brouillon", draft))
    secret = _CONFIDENTIAL.search(zones) or _CONFIDENTIAL_UPPER.search(text) \
        or next((m for line in _short_lines(text) if (m := _CONFIDENTIAL_LINE.match(line))), None)
    if secret:
        flags.append(Flag("confidentiel", f"Mention « {secret.group().strip(' -–—:/')} » trouvée."))
    flags.extend(_obsolete(doc, text, today, max_age_years, set(not_dates)))
    flags.extend(_quality(doc, text))
    language = _language(text)
    if language:
        flags.append(Flag("langue", language))
    hidden = hidden_text_reason(doc)
    if hidden:
        flags.append(Flag("texte_masque", hidden))
    suspicious = _instructions(doc)
    if suspicious:
        flags.append(Flag("consigne_suspecte", suspicious))
    return flags


HIDDEN_EXCERPT = 200  # characters of hidden text shown in the flag: enough to judge, not a copy


def hidden_text_reason(doc: Document) -> str | None:
    """« Texte masqué » reason for a document whose author hid text (hidden runs, white or tiny
    text, comments: ``Document.hidden``), quoting the first 200 characters of what was hidden with
    personal data replaced by its type (« [PERSONNE] »), since flags are stored and reported."""
    if not doc.hidden:
        return None
    comments = [s.text for s in doc.hidden if s.kind == "comment"]
    hidden = [s.text for s in doc.hidden if s.kind != "comment"]
    parts = []
    if hidden:
        parts.append(f"{len(hidden)} passage(s) masqué(s) par l'auteur, non indexé(s) :"
                     f" « {_masked_excerpt(' … '.join(hidden))} »")
    if comments:
        parts.append(f"{len(comments)} commentaire(s), non indexé(s) :"
                     f" « {_masked_excerpt(' … '.join(comments))} »")
    return "Texte masqué — " + " ; ".join(parts) + "."


def _masked_excerpt(text: str) -> str:
    from clos.govern.pii import detect

    text = " ".join(text.split())
    cut = text[:HIDDEN_EXCERPT]
    if len(text) > HIDDEN_EXCERPT:
        cut = cut[: cut.rfind(" ")] if " " in cut[HIDDEN_EXCERPT // 2:] else cut
        cut += " …"
    for finding in sorted(detect(cut), key=lambda f: -f.start):
        cut = cut[: finding.start] + f"[{finding.type}]" + cut[finding.end:]
    return cut


def _instructions(doc: Document) -> str | None:
    """A passage written as an order to the assistant (« ignore les consignes », « réponds
    que… », a password request…: ``clos.govern.instructions``), in the text or in hidden text.
    Such passages are kept out of the answers' excerpts; the flag says where."""
    from clos.govern.instructions import find_instructions

    for where, sections in (("", doc.sections), (" (texte masqué)", doc.hidden)):
        for section in sections:
            found = find_instructions(section.text)
            if found:
                start, end, reason = found[0]
                excerpt = _masked_excerpt(section.text[start:end + 60])[:90]
                page = f", page {section.page}" if section.page else ""
                return (f"Passage rédigé comme une consigne à l'assistant ({reason}){page}"
                        f"{where} : « {excerpt}… ». Il est écarté des réponses.")
    return None


def _short_lines(text: str) -> list[str]:
    return [s for line in text.splitlines() if 0 < len(s := line.strip()) <= 60]


def _marking_zones(doc: Document, text: str) -> str:
    """Where markings live: title, file name, short lines, the first and last 300 characters."""
    return "\n".join([doc.title, Path(doc.path).stem, text[:300], text[-300:], *_short_lines(text)])


def _draft_reason(doc: Document, text: str, zones: str) -> str | None:
    revisions = _office_revisions(doc)
    if revisions:
        return revisions
    m = _DRAFT.search(zones) or _DRAFT_UPPER.search(text)
    if m:
        return f"Mention « {m.group()} » trouvée."
    if _DRAFT_FILE.search(Path(doc.path).stem):
        return "Le nom du fichier indique un brouillon ou un projet."
    m = _TODO.search(text)
    if m:
        return f"Le texte contient des passages à compléter (« {m.group()} »)."
    return None


def _office_revisions(doc: Document) -> str | None:
    """Tracked changes or comments, from the reader's metadata or from the file itself."""
    meta = doc.metadata or {}
    changes = meta.get("tracked_changes") or meta.get("revisions") or meta.get("has_tracked_changes")
    comments = meta.get("comments") or meta.get("has_comments")
    if not changes and not comments and Path(doc.path).suffix.lower() in (".docx", ".odt"):
        changes, comments = office_markup(Path(doc.path))
    if changes:
        return "Le document contient des modifications suivies (révisions non acceptées)."
    if comments:
        return "Le document contient des commentaires de relecture."
    return None


def office_markup(path: Path) -> tuple[bool, bool]:
    """(tracked changes, comments) present in a DOCX or ODT file; (False, False) if unreadable."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" in names:
                body = z.read("word/document.xml").decode("utf-8", "replace")
                changes = re.search(r"<w:(?:ins|del|moveFrom|moveTo)\b", body) is not None
                comments = "word/comments.xml" in names and \
                    "<w:comment " in z.read("word/comments.xml").decode("utf-8", "replace")
                return changes, comments or "<w:commentReference" in body
            if "content.xml" in names:
                body = z.read("content.xml").decode("utf-8", "replace")
                return "<text:changed-region" in body, "<office:annotation" in body
    except (OSError, zipfile.BadZipFile, KeyError):
        pass
    return False, False


def document_date(doc: Document, not_dates: Iterable[str] = ()) -> date | None:
    """The document's own date: the reader's, else one in the file name, else a dated header.
    A reader may take a birth date for the document's date: ``not_dates`` are skipped."""
    if doc.doc_date and doc.doc_date[:10] not in set(not_dates):
        try:
            return date.fromisoformat(doc.doc_date[:10])
        except ValueError:
            pass
    m = _DATE_IN_NAME.search(Path(doc.path).name)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    found = anchored_date(doc.text)
    return date.fromisoformat(found) if found else None


def _obsolete(doc: Document, text: str, today: date, max_age_years: int,
              not_dates: set[str]) -> list[Flag]:
    if _REPEALED.search(doc.title or "") or _REPEALED.search(text[:300]) \
            or len(text.strip()) < 300 and re.search(r"abrog[ée]", text, re.IGNORECASE):
        return [Flag("obsolete", "Le document est indiqué comme abrogé.")]
    when = document_date(doc, not_dates)
    if when and max_age_years > 0:
        try:
            limit = today.replace(year=today.year - max_age_years)
        except ValueError:  # 29 February
            limit = today.replace(year=today.year - max_age_years, day=28)
        if when < limit:
            return [Flag("obsolete", f"Document daté du {when.strftime('%d/%m/%Y')}, plus ancien que"
                                     f" {max_age_years} ans.")]
    return []


def _quality(doc: Document, text: str) -> list[Flag]:
    flags = []
    stripped = text.strip()
    pages = doc.pages or 0
    no_layer = doc.metadata.get("has_text_layer") is False or (
        doc.format.lower() == "pdf" and pages > 0 and len(stripped) < 50 * pages)
    if doc.metadata.get("damaged"):  # a broken file is not a scan: OCR would not bring text back
        flags.append(Flag("qualite", f"{doc.metadata['damaged']} : lu en partie."))
    elif no_layer:
        flags.append(Flag("qualite", "PDF sans couche texte (document numérisé ?) : une"
                                     " reconnaissance de caractères (OCR) est nécessaire."))
    elif len(stripped) < MIN_CHARS:
        flags.append(Flag("qualite", f"Texte vide ou très court ({len(stripped)} caractères)."))
    bad = len(_MOJIBAKE.findall(text))
    letters = sum(c.isalpha() for c in stripped)
    garbled = doc.metadata.get("mojibake") is True or bad >= 3 and bad * 200 > max(len(stripped), 1) \
        or stripped and letters < 0.4 * len(stripped.replace(" ", ""))
    if garbled:
        flags.append(Flag("qualite", "Encodage des caractères défectueux (texte illisible par endroits)."))
    return flags


def _language(text: str) -> str | None:
    words = re.findall(r"[a-z']+", strip_accents(text[:20000]).lower())
    if len(words) < 80:
        return None
    fr = sum(w in FRENCH_STOP for w in words) / len(words)
    en = sum(w in ENGLISH_STOP for w in words) / len(words)
    if en > 0.08 and en > 1.5 * fr:
        return "Le texte semble rédigé en anglais."
    if fr < 0.04 and en < 0.04:
        return "La langue du texte n'a pas été reconnue comme du français."
    return None
