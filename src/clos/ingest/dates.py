"""Find a document's date: in its file name, as a French date written in its text (the sitting,
the signature, the acte first), or in the file's properties when they are plausible."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
    "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WRITTEN = re.compile(
    rf"\b(?P<d>[0-3]?\d|1er|1ᵉʳ)\s+(?P<m>{_MONTH_RE})\.?\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE
)
_NUMERIC = re.compile(r"(?<![\d/.-])(?P<d>[0-3]?\d)[/.-](?P<m>[01]?\d)[/.-](?P<y>(?:19|20)\d\d)(?![\d/.-])")
_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?!\d)")
# A date just after « loi n° … du » or « décret du » dates the text cited, not the document.
_CITED = re.compile(
    r"\b(?:loi|lois|décret|decret|ordonnance|arrêté|arrete|circulaire|directive|règlement|reglement"
    r"|code|convention|traité|traite)\b[^.;\n]{0,50}$",
    re.IGNORECASE,
)
# A date just after « né(e) le » is a person's birth date: personal data, not the document's date.
_BIRTH = re.compile(r"\b(?:née?s?|naissance)\b[^.;\n]{0,25}$", re.IGNORECASE)
_FILENAME_ISO = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?([01]\d)[-_.]?([0-3]\d)(?!\d)")
_FILENAME_FR = re.compile(r"(?<!\d)([0-3]\d)[-_.]([01]\d)[-_.]((?:19|20)\d\d)(?!\d)")


def _iso(year: str | int, month: str | int, day: str | int) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_from_filename(name: str) -> str | None:
    """ISO date written in a file name (``2014-04-24-0000071216.pdf``, ``cr_24.04.2014.odt``)."""
    for match in _FILENAME_ISO.finditer(name):
        found = _iso(*match.groups())
        if found:
            return found
    for match in _FILENAME_FR.finditer(name):
        day, month, year = match.groups()
        found = _iso(year, month, day)
        if found:
            return found
    return None


def find_french_date(text: str) -> str | None:
    """First date written in ``text`` (« séance du 24 avril 2014 », 24/04/2014, 2014-04-24), as ISO.

    Dates that follow a cited legal text (« loi n° 83-597 du 7 juillet 1983 ») are used only when
    nothing else is found.
    """
    candidates: list[tuple[int, str]] = []
    for pattern in (_WRITTEN, _NUMERIC, _ISO):
        for match in pattern.finditer(text):
            day = match["d"].lower()
            day = "1" if day.startswith("1e") or day.startswith("1ᵉ") else day
            month = match["m"]
            month = _MONTHS.get(month.lower().rstrip("."), None) if not month.isdigit() else month
            if month is None:
                continue
            found = _iso(match["y"], month, day)
            if found:
                candidates.append((match.start(), found))
    if not candidates:
        return None
    candidates.sort()
    candidates = [(s, f) for s, f in candidates if not _BIRTH.search(text[max(0, s - 40) : s])]
    for start, found in candidates:
        if not _CITED.search(text[max(0, start - 60) : start]):
            return found
    return candidates[0][1] if candidates else None


def iso_date(value: object) -> str | None:
    """ISO date from a ``datetime``/``date`` or from an ISO-like string; None when unusable."""
    if value is None:
        return None
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return _iso(value.year, value.month, value.day)  # type: ignore[attr-defined]
    match = _ISO.search(str(value))
    return _iso(match["y"], match["m"], match["d"]) if match else None


# The date a document gives itself: its sitting, its signature, the acte's own date.
_ANCHOR = re.compile(
    r"(?:s[ée]ance\s+(?:publique\s+|ordinaire\s+|extraordinaire\s+)?du|r[ée]uni(?:e|s)?\s+le"
    r"|fait\s+(?:à|a)\s+[^\n,;]{1,40},?\s+le|sign[ée]e?\s+le|en\s+date\s+du|d[ée]lib[ée]r[ée]\s+le"
    r"|arr[êe]t[ée]\s+le|date\s*:)\s*(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?",
    re.IGNORECASE,
)
_ANCHOR_WINDOW = 3000

#: Creation dates that Office templates and document libraries carry into every file made from
#: them: python-docx's and python-pptx's default templates (read from their packaged
#: ``docProps/core.xml``). A file showing one was made from a template, not on that day.
TEMPLATE_DATES = frozenset({"2013-12-23", "2013-01-27"})
#: Property dates before this year are placeholders (1601-01-01, the 1980 ZIP epoch…), not facts.
FIRST_PLAUSIBLE_YEAR = 2000


def anchored_date(text: str) -> str | None:
    """The date a document states as its own (« Séance du 12 mars 2024 », « Fait à Sète, le
    3 juin 2024 », « en date du … »), searched in the first and last 3,000 characters; ISO or None.
    """
    head, tail = text[:_ANCHOR_WINDOW], text[-_ANCHOR_WINDOW:] if len(text) > _ANCHOR_WINDOW else ""
    for part in (head, tail):
        for match in _ANCHOR.finditer(part):
            # The date follows the anchor at once: « Séance du jeudi 24 avril 2014 ».
            found = find_french_date(part[match.end() : match.end() + 30])
            if found:
                return found
    return None


def plausible_property_date(value: str | None, mtime: float | None = None) -> str | None:
    """``value`` (ISO) when a file property can be believed: not a template's date, not before
    2000, not after the file's own modification time (a day's slack for time zones); else None."""
    if not value:
        return None
    iso = iso_date(value)
    if iso is None or iso in TEMPLATE_DATES or int(iso[:4]) < FIRST_PLAUSIBLE_YEAR:
        return None
    if mtime:
        from datetime import datetime, timedelta, timezone

        latest = (datetime.fromtimestamp(mtime, timezone.utc) + timedelta(days=1)).date().isoformat()
        if iso > latest:
            return None
    return iso
