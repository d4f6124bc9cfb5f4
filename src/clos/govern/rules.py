"""Pattern and checksum detectors for identifiers, contact data, addresses and birth dates.

Each detector yields candidates; ``pii._resolve`` arbitrates overlaps. Digits are bounded so a
number is never read out of a longer one (deliberation numbers, acknowledgement references).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.fr import nir as _nir
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

from clos.types import Finding

SEP = r"[ \u00a0\u202f.\-]"   # separators people type inside numbers
SP = r"[ \u00a0\u202f]"
# A number must not be glued to letters, digits or reference punctuation around it.
L = r"(?<![\w/\-.,])"
R = r"(?![\w/\-]|[.,]\d)"

_MONTHS = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "decembre": 12, "décembre": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
DATE_RE = (
    rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})"
    rf"|(?:1er|\d{{1,2}}){SP}+(?:{_MONTH_RE}){SP}+\d{{4}})"
)

_NIR_RE = re.compile(rf"{L}[1-478](?:{SEP}?[0-9AaBb]){{14}}{R}")
_IBAN_RE = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}(?![a-z])")
_CARD_RE = re.compile(
    rf"{L}(?:\d{{4}}(?:[ \u00a0\-]?\d{{4}}){{3}}(?:[ \u00a0\-]?\d{{3}})?"
    rf"|3[47]\d{{2}}[ \u00a0\-]?\d{{6}}[ \u00a0\-]?\d{{5}}){R}"
)
_SIRET_RE = re.compile(rf"{L}\d{{3}}{SEP}?\d{{3}}{SEP}?\d{{3}}{SEP}?\d{{5}}{R}")
_SIREN_RE = re.compile(rf"{L}\d{{3}}({SEP}?)\d{{3}}\1\d{{3}}{R}(?!{SEP}?\d)")
_PHONE_RE = re.compile(
    rf"(?<![\w+/\-.,])(?:(?:\+|00){SP}?33{SP}?(?:\(0\){SP}?)?[1-9]|\(?0[1-9]\)?)"
    rf"(?:{SEP}?\d{{2}}){{4}}{R}"
)
_EMAIL_RE = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+(?:@|\s?[\[(]\s?(?:at|arobase)\s?[\])]\s?)"
    r"[\w\-]+(?:\.[\w\-]+)*\.[a-zA-Z]{2,}(?![\w\-])"
)
_PLATE_RE = re.compile(
    r"(?<![\w\-])(?!SS)([A-HJ-NP-TV-Z]{2})([\- ]?)(\d{3})\2([A-HJ-NP-TV-Z]{2})(?![\w\-])"
)
_OLD_PLATE_RE = re.compile(
    rf"(?<![\w\-])\d{{1,4}}{SP}?[A-Z]{{1,3}}{SP}?(?:\d{{2}}|2[AB]|97\d)(?![\w\-])"
)
_PASSPORT_RE = re.compile(r"(?<![\w\-])\d{2}[A-Z]{2}\d{5}(?![\w\-])")
_CNI_RE = re.compile(
    rf"(?<![\w\-])(?:\d{{4}}{SP}?[0-9A-Z]{{3}}{SP}?\d{{5}}|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{{9}})(?![\w\-])"
)
_BIRTH_RE = re.compile(
    rf"(?:\bn(?:é|e(?=e))e?s?(?:\s?\(e\))?{SP}+(?:à{SP}+[A-ZÀ-Ý][\w'’\- ]{{1,40}}?,?{SP}+)?(?:le{SP}+)?|\bdate{SP}+de{SP}+naissance{SP}*(?:[:：]|est|du)?{SP}*"
    rf"|\bDDN{SP}*:?{SP}*|\bnaissance{SP}*:{SP}*|\bné\(e\){SP}+le{SP}+)({DATE_RE})",
    re.IGNORECASE,
)

_STREET_TYPES = (
    r"rue|avenue|av\.|bd|boulevard|chemin|impasse|all[ée]es?|place|route|quai|cours|square|"
    r"passage|faubourg|rond-point|r[ée]sidence|lotissement|hameau|lieu-dit|voie|sentier|"
    r"esplanade|cit[ée]|parvis|promenade|mont[ée]e|traverse|mail|chauss[ée]e|domaine|clos|"
    r"villa|ruelle|venelle|rampe|avenue\s+du\s+g[ée]n[ée]ral"
)
_PARTICLE = r"(?:(?:de|du|des|la|le|les|aux|au|et|sur|sous)(?![\w'’])|[ld]['’][\w\-]+)"
_STREET_WORD = rf"(?:[A-ZÀ-Ý0-9][\w'’\-]*|{_PARTICLE})"
_CITY = r"[A-ZÀ-Ý][\w'’\-]*(?:[ \-](?:[A-ZÀ-Ý][\w'’\-]*|(?:sur|sous|en|de|du|des|la|le|les)(?![\w'’])|l['’]\w+))*"
_ADDRESS_RE = re.compile(
    rf"(?<![\w\-/])(?:\d{{1,4}}(?:{SP}?(?:bis|ter|quater|[A-D])\b)?,?{SP}+)"
    rf"(?i:{_STREET_TYPES})\b(?:(?:{SP}+|{SP}*\n{SP}*){_STREET_WORD}){{1,7}}"
    rf"(?:(?:,?{SP}*(?:\n{SP}*)?|{SP}*[\-–]{SP}*)(?:(?:BP|CS){SP}?\d{{1,6}},?{SP}*)?\d{{5}}{SP}+{_CITY}"
    rf"(?:(?<=[Cc][Ee][Dd][Ee][Xx]){SP}+\d{{1,2}}(?!\d))?)?",
)

# Words before an identifier that make an ambiguous pattern certain.
_CTX_SIREN = re.compile(
    r"(siren|siret|rcs|r\.c\.s|immatricul|identification|soci[ée]t[ée]|entreprise|sas\b|sarl|"
    r"\bsa\b|eurl|association|titulaire|prestataire|n°|numéro)", re.IGNORECASE)
_CTX_PLATE = re.compile(r"(immatricul|v[ée]hicule|plaque|voiture|fourri[èe]re|stationn|automobile)",
                        re.IGNORECASE)
_CTX_PASSPORT = re.compile(r"passeport", re.IGNORECASE)
_CTX_CNI = re.compile(r"(carte\s+(?:nationale\s+)?d['’]identit[ée]|\bCNI\b|pi[èe]ce\s+d['’]identit[ée])",
                      re.IGNORECASE)
_CTX_CARD = re.compile(r"(carte|cb\b|visa|mastercard|paiement)", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(r"^\s?(?:€|euros?\b|eur\b|ht\b|ttc\b|k€|m€)", re.IGNORECASE)


def _before(text: str, start: int, width: int = 60) -> str:
    return text[max(0, start - width):start]


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def identifier_candidates(text: str) -> list[Finding]:
    """Every rule-based candidate in ``text``; overlaps are resolved by the caller."""
    return list(_iter_candidates(text))


def _iter_candidates(text: str) -> Iterator[Finding]:
    for m in _NIR_RE.finditer(text):
        number = _compact(m.group())
        if _nir.is_valid(number):
            yield Finding("NIR", m.start(), m.end(), m.group(), 0.99)
    for m in _IBAN_RE.finditer(text):
        found = _longest_valid_iban(m.group())
        if found:
            yield Finding("IBAN", m.start(), m.start() + len(found), found, 0.99)
    for m in _CARD_RE.finditer(text):
        number = _compact(m.group())
        if number[0] in "23456" and _luhn.is_valid(number):
            conf = 0.97 if _CTX_CARD.search(_before(text, m.start(), 80)) else 0.9
            yield Finding("CARTE_BANCAIRE", m.start(), m.end(), m.group(), conf)
    for m in _SIRET_RE.finditer(text):
        if _siret.is_valid(_compact(m.group())):
            conf = 0.97 if _CTX_SIREN.search(_before(text, m.start())) else 0.85
            yield Finding("SIRET", m.start(), m.end(), m.group(), conf)
    for m in _SIREN_RE.finditer(text):
        if not _siren.is_valid(_compact(m.group())) or _AMOUNT_AFTER.match(text[m.end():]):
            continue
        # Nine bare digits pass Luhn one time in ten: ask for context or the 3-3-3 spelling.
        if _CTX_SIREN.search(_before(text, m.start(), 40)):
            yield Finding("SIREN", m.start(), m.end(), m.group(), 0.95)
        elif m.group(1):
            yield Finding("SIREN", m.start(), m.end(), m.group(), 0.7)
    yield from _phones(text)
    for m in _EMAIL_RE.finditer(text):
        value = m.group().rstrip(".")
        yield Finding("EMAIL", m.start(), m.start() + len(value), value, 0.99)
    for m in _ADDRESS_RE.finditer(text):
        value = _trim_address(m.group())
        if re.search(rf"(?i:{_STREET_TYPES})$", value):
            continue  # "949 avenue" and nothing after: not an address
        yield Finding("ADRESSE", m.start(), m.start() + len(value), value, 0.9)
    for m in _BIRTH_RE.finditer(text):
        if parse_french_date(m.group(1)):
            yield Finding("DATE_NAISSANCE", m.start(1), m.end(1), m.group(1), 0.95)
    yield from _plates(text)
    for m in _PASSPORT_RE.finditer(text):
        conf = 0.97 if _CTX_PASSPORT.search(_before(text, m.start(), 80)) else 0.8
        yield Finding("PASSEPORT", m.start(), m.end(), m.group(), conf)
    for m in _CNI_RE.finditer(text):
        if _CTX_CNI.search(_before(text, m.start(), 80)):
            yield Finding("CNI", m.start(), m.end(), m.group(), 0.9)


def _longest_valid_iban(candidate: str) -> str | None:
    """The longest prefix of ``candidate`` that is a valid IBAN (patterns overrun into words)."""
    for end in range(len(candidate), 14, -1):
        prefix = candidate[:end].rstrip()
        if prefix != candidate[:end]:
            continue
        if _iban.is_valid(prefix.replace(" ", "").replace("\u00a0", "")):
            return prefix
    return None


def _phones(text: str) -> Iterator[Finding]:
    import phonenumbers

    for m in _PHONE_RE.finditer(text):
        value = m.group()
        try:
            number = phonenumbers.parse(value.replace("(0)", ""), "FR")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or _overseas(value):
            yield Finding("TELEPHONE", m.start(), m.end(), value, 0.97)
        elif phonenumbers.is_possible_number(number):  # unassigned block, still someone's line
            yield Finding("TELEPHONE", m.start(), m.end(), value, 0.8)


def _overseas(value: str) -> bool:
    """Overseas departments dial like mainland France (05 90, 06 90…) but form their own regions."""
    import phonenumbers

    for region in ("GP", "MQ", "GF", "RE", "YT"):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value.replace("(0)", ""), region)):
                return True
        except phonenumbers.NumberParseException:
            return False
    return False


def _plates(text: str) -> Iterator[Finding]:
    for m in _PLATE_RE.finditer(text):
        context = _CTX_PLATE.search(_before(text, m.start(), 80))
        if m.group(2) or context:  # "AB123CD" alone looks like any reference
            yield Finding("PLAQUE", m.start(), m.end(), m.group(), 0.95 if context else 0.85)
    for m in _OLD_PLATE_RE.finditer(text):
        if _CTX_PLATE.search(_before(text, m.start(), 50)):
            yield Finding("PLAQUE", m.start(), m.end(), m.group(), 0.8)


_ADDRESS_TAIL = re.compile(r"(?:[\s,;\-–]|\b(?:de|du|des|la|le|les|l['’]|d['’]|aux|au|et|sur|sous|en|à))+$")


def _trim_address(value: str) -> str:
    """Drop trailing particles and punctuation the greedy pattern took with it."""
    previous = None
    while previous != value:
        previous = value
        value = _ADDRESS_TAIL.sub("", value)
    return value


def parse_french_date(value: str) -> date | None:
    """``12/03/1985``, ``12.03.85`` or ``1er mars 1985`` as a date, None when impossible."""
    value = value.strip().lower()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})", value)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if year < 100:
            year += 1900 if year > 30 else 2000
    else:
        m = re.fullmatch(rf"(1er|\d{{1,2}}){SP}+({_MONTH_RE}){SP}+(\d{{4}})", value)
        if not m:
            return None
        day = 1 if m.group(1) == "1er" else int(m.group(1))
        month, year = _MONTHS[m.group(2)], int(m.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None
