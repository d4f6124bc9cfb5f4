"""Find a document's date: in its file name, or as a French date written in its text."""

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
