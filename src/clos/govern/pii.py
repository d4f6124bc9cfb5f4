"""Personal data in French text: identifiers by rules and checksums first, then person names.

Identifiers are found with patterns and validated (NIR key, IBAN mod 97, Luhn) before anything
else, because a statistical model happily calls an IBAN an organisation; names are looked for only
in the text identifiers left uncovered (see ``names.py``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from clos.govern import names as _names
from clos.govern.rules import identifier_candidates
from clos.types import Finding

TYPES = (
    "NIR", "IBAN", "CARTE_BANCAIRE", "SIRET", "SIREN", "TELEPHONE", "EMAIL", "ADRESSE",
    "DATE_NAISSANCE", "PLAQUE", "PASSEPORT", "CNI", "PERSONNE",
)

# Checksummed identifiers win overlaps against everything; names come last.
PRIORITY = {
    "NIR": 100, "IBAN": 100, "CARTE_BANCAIRE": 95, "SIRET": 90, "EMAIL": 90, "SIREN": 85,
    "TELEPHONE": 80, "DATE_NAISSANCE": 75, "CNI": 72, "PASSEPORT": 72, "PLAQUE": 70,
    "ADRESSE": 60, "PERSONNE": 50,
}

LABELS_FR = {
    "NIR": "Numéro de sécurité sociale (NIR)",
    "IBAN": "IBAN",
    "CARTE_BANCAIRE": "Numéro de carte bancaire",
    "SIRET": "SIRET",
    "SIREN": "SIREN",
    "TELEPHONE": "Téléphone",
    "EMAIL": "Adresse électronique",
    "ADRESSE": "Adresse postale",
    "DATE_NAISSANCE": "Date de naissance",
    "PLAQUE": "Plaque d'immatriculation",
    "PASSEPORT": "Numéro de passeport",
    "CNI": "Numéro de carte d'identité",
    "PERSONNE": "Nom de personne",
    "PERSONNE_PUBLIQUE": "Nom dans un rôle public (élu, agent, signataire)",
}


def detect(text: str, *, allow: Iterable[str] = (), names: bool = True) -> list[Finding]:
    """Personal data in ``text``: non-overlapping findings sorted by offset, allow-list removed."""
    return detect_many([text], allow=allow, names=names)[0]


def detect_many(
    texts: Sequence[str], *, allow: Iterable[str] = (), names: bool = True
) -> list[list[Finding]]:
    """``detect`` over several texts; names are searched in one spaCy batch for speed."""
    allowed = AllowList(allow)
    results = [_resolve(identifier_candidates(text)) for text in texts]
    if names:
        taken = [[(f.start, f.end) for f in found] for found in results]
        for found, people in zip(results, _names.find_names_many(texts, taken)):
            found.extend(people)
    return [allowed.filter(_resolve(found)) for found in results]


def _resolve(found: list[Finding]) -> list[Finding]:
    """Keep the best of overlapping findings: priority, then confidence, then length."""
    ranked = sorted(
        found, key=lambda f: (-PRIORITY.get(f.type, 0), -f.confidence, -(f.end - f.start), f.start)
    )
    kept: list[Finding] = []
    for f in ranked:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


# ------------------------------------------------------------------ normalisation
def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )


_ABBREVIATIONS = {"av": "avenue", "bd": "boulevard", "bld": "boulevard", "pl": "place",
                  "ch": "chemin", "imp": "impasse", "st": "saint", "ste": "sainte"}


def normalise(type_: str, value: str) -> str:
    """The key under which two spellings of one value get the same placeholder."""
    if type_ == "PERSONNE":
        return _names.name_key(value)
    if type_ == "EMAIL":
        return re.sub(r"\s*[\[(]\s*(?:at|arobase)\s*[\])]\s*", "@", value.strip().lower())
    if type_ == "TELEPHONE":
        import phonenumbers

        try:
            number = phonenumbers.parse(value, "FR")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return re.sub(r"\D", "", value)
    if type_ == "DATE_NAISSANCE":
        from clos.govern.rules import parse_french_date

        parsed = parse_french_date(value)
        return parsed.isoformat() if parsed else re.sub(r"\W", "", value.lower())
    if type_ == "ADRESSE":
        words = re.findall(r"[a-z0-9]+", strip_accents(value).lower())
        return " ".join(_ABBREVIATIONS.get(w, w) for w in words)
    return re.sub(r"[^0-9A-Z]", "", strip_accents(value).upper())


class AllowList:
    """Values a collection keeps as they are: names of elected officials, public addresses…

    A name matches whatever its word order or case; a lone surname matches an allowed full name
    unless the same text also holds a different, not allowed, person with that surname.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        values = [v for v in values if v and v.strip()]
        self.names = {_names.name_key(v) for v in values}
        self.compact = {re.sub(r"[^0-9a-z@.]", "", strip_accents(v).lower()) for v in values}
        self.surnames = {_names.surname_key(v) for v in values if len(_names.name_key(v).split()) > 1}

    def __bool__(self) -> bool:
        return bool(self.names)

    def allows(self, finding: Finding) -> bool:
        if finding.type == "PERSONNE" and _names.name_key(finding.text) in self.names:
            return True
        return re.sub(r"[^0-9a-z@.]", "", strip_accents(finding.text).lower()) in self.compact

    def filter(self, findings: list[Finding]) -> list[Finding]:
        if not self:
            return findings
        people = [f for f in findings if f.type == "PERSONNE"]
        blocked = {  # surnames also borne by someone not allowed in this text
            _names.surname_key(f.text) for f in people
            if len(_names.name_key(f.text).split()) > 1 and not self.allows(f)
        }
        kept = []
        for f in findings:
            if self.allows(f):
                continue
            if f.type == "PERSONNE" and len(_names.name_key(f.text).split()) == 1:
                key = _names.name_key(f.text)
                if key in self.surnames and key not in blocked:
                    continue
            kept.append(f)
        return kept
