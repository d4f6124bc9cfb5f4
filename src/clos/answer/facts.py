"""The checkable facts of a sentence — amounts, numbers, dates, times, durations, names — in one
canonical writing, so that a fact is found whatever way the document and the answer write it.

    canonical_number("800,00") == canonical_number("800") == "800"
    canonical_number("15,25") == canonical_number("15.25") == "15.25"
    canonical_number("1 500") == canonical_number("1500") == canonical_number("1.500") == "1500"
    extract_facts("ouverte de 8 h 30 à 12h") → {Fact("time", "08:30", "8 h 30"), Fact("time", "12:00", "12h")}

Writings handled (French administrative usage, Imprimerie nationale's *Lexique des règles
typographiques*: space or no-break space as thousands separator, comma as decimal mark; the dot
as thousands separator and as decimal mark also occur in the corpora, so a dot followed by
exactly three digits is read as a thousands separator): « 800 », « 800,00 », « 800 € »,
« 15,25€ », « 15.25 », « 1 500 », « 1500 », « 12,5 % »; times « 15h30 », « 8 h 30 », « 9 h »,
« 14:00 »; dates « 24 avril 2014 », « 1er janvier 2015 », « 24/04/2014 », « avril 2014 »;
number words « trois jours » = « 3 jours » (one to twenty and the tens).
"""

from __future__ import annotations

import re
from decimal import Decimal
from dataclasses import dataclass

from clos.retrieve.analyzer import fold

__all__ = ["Fact", "answer_kinds", "asking_words", "canonical_number", "expected_kinds", "extract_facts", "fact_values",
           "normalise_numbers"]

MONTHS = {m: i for i, m in enumerate(
    ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
     "octobre", "novembre", "decembre"), 1)}
NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "soixante": 60, "cent": 100, "mille": 1000,
}
# « un »/« une » are articles far more often than numbers: counted only before a duration unit.
_ARTICLES = {"un", "une"}

_SP = r"[ \u00a0\u202f]"
# A number as written: digit groups (« 1 500 », « 1.500 ») and a decimal part (« ,25 », « .25 »).
NUMBER = re.compile(
    rf"(?<![\w.,])(?:\d{{1,3}}(?:{_SP}\d{{3}})+|\d{{1,3}}(?:\.\d{{3}})+(?![\d])|\d+)(?:[.,]\d+)?(?![\w])"
    rf"|(?<![\w.,])(?:\d{{1,3}}(?:{_SP}\d{{3}})+|\d+)(?:[.,]\d+)?(?=[€%])")
_TIME = re.compile(rf"(?<![\w,.])([01]?\d|2[0-3]){_SP}?(?:h|H|heures?){_SP}?([0-5]\d)?(?![\w])"
                   rf"|(?<![\w,.:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_DATE_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?!\d)")
_DATE_WORDS = re.compile(
    rf"(?:(?<!\d)(1er|\d{{1,2}}){_SP}+)?(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|"
    rf"septembre|octobre|novembre|d[ée]cembre)(?:{_SP}+((?:19|20)\d\d))?(?!\w)", re.IGNORECASE)
_UNIT = r"(?:jours?|semaines?|mois|ans?|années?|heures?|minutes?|trimestres?|semestres?)"
_DURATION = re.compile(
    rf"(?<![\w,.])(\d+(?:[.,]\d+)?|{'|'.join(NUMBER_WORDS)}){_SP}+(?:{_UNIT})(?!\w)", re.IGNORECASE)
_WORD_NUMBER = re.compile(rf"(?<!\w)({'|'.join(w for w in NUMBER_WORDS if w not in _ARTICLES)})"
                          r"(?!\w)", re.IGNORECASE)
_REFERENCE = re.compile(rf"(?<![\w])([LRD])\.?{_SP}?(\d{{1,4}}(?:-\d+)+)(?![\w-])")
# A legal text's number: « décret n° 2006-781 », « loi 2014-58 », « arrêté n° 2014/123 »: one
# reference, not numbers an answer would be checked on (nor the amount a question asks for).
_TEXT_NUMBER = re.compile(
    rf"(?<![\w])(d[ée]cret|loi|ordonnance|arr[êe]t[ée]|d[ée]lib[ée]ration|circulaire|directive|"
    rf"r[èe]glement){_SP}+(?:(?:n[°o]|num[ée]ro){_SP}*)?(\d{{1,4}}(?:[-/]\d+)+)(?![\w-])",
    re.IGNORECASE)
_AMOUNT_AFTER = re.compile(
    rf"^{_SP}*(?:(?P<scale>millions?|milliards?|mille|M|k|Md)?{_SP}*(?:d['’]{_SP}*|de{_SP}+)?"
    rf"(?:€|euros?\b|eur\b)|%|pour{_SP}?cent)", re.IGNORECASE)
#: « 1,3 M€ » = « 1,3 million d'euros » = « 1 300 000 € »: amounts are compared in euros.
_SCALES = {"million": 10**6, "millions": 10**6, "m": 10**6, "milliard": 10**9,
           "milliards": 10**9, "md": 10**9, "mille": 10**3, "k": 10**3}
# A capitalised word not opening the sentence: a name of person, place, body or text.
_PROPER = re.compile(r"(?<![.!?:]\s)(?<!^)(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]{2,}")
# Capitalised words that are not names (they open clauses or follow a colon in answers).
_NOT_NAMES = {"le", "la", "les", "un", "une", "des", "du", "de", "en", "il", "elle", "ils",
              "elles", "ce", "cette", "ces", "pour", "par", "selon", "dans", "sur", "oui", "non",
              "article", "articles", "extrait", "extraits", "document", "documents", "page",
              "réponse", "question", "source", "sources", "date", "montant", "total"}


@dataclass(frozen=True)
class Fact:
    """One checkable fact: ``kind`` amount | number | date | time | duration | name | reference
    (« L. 2121-29 » → ``l2121-29``),
    ``value`` canonical (see the module docstring), ``text`` as written."""

    kind: str
    value: str
    text: str


def canonical_number(text: str) -> str:
    """« 1 500,00 » → « 1500 », « 15,25 » → « 15.25 », « 1.500 » → « 1500 », « 12,50 » → « 12.5 »."""
    raw = re.sub(rf"{_SP}", "", text.strip())
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw):
        raw = raw.replace(".", "")  # dot as thousands separator
    raw = raw.replace(",", ".")
    if raw.count(".") > 1:  # « 1.500.000,5 » already handled; « 1.2.3 » is no number
        head, _, tail = raw.rpartition(".")
        raw = head.replace(".", "") + "." + tail
    if "." in raw:
        whole, frac = raw.split(".", 1)
        frac = frac.rstrip("0")
        raw = whole + ("." + frac if frac else "")
    return raw.lstrip("0") or "0"


def normalise_numbers(text: str) -> str:
    """``text`` with every number in its canonical writing and « € » written « euros »: used to
    compare a question with a passage (relevance) whatever their writings."""
    text = NUMBER.sub(lambda m: " " + canonical_number(m.group()).replace(".", ",") + " ", text)
    return re.sub(r"€", " euros ", text)


def _time(hours: str, minutes: str | None) -> str:
    return f"{int(hours):02d}:{minutes or '00'}"


def extract_facts(text: str) -> set[Fact]:
    """The facts of ``text`` (see ``Fact``). Numbers inside a date or a time are not counted
    again as numbers; bracketed citation markers « [1] » are ignored."""
    text = re.sub(r"\[\d+(?:\s*[,;]\s*\d+)*\]", " ", text)
    facts: set[Fact] = set()
    used: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in used)

    for m in _REFERENCE.finditer(text):  # « L. 2121-29 »: one reference, not two numbers
        facts.add(Fact("reference", f"{m.group(1).lower()}{m.group(2)}", m.group()))
        used.append(m.span())
    for m in _TEXT_NUMBER.finditer(text):
        if free(*m.span(2)):
            facts.add(Fact("reference", f"{fold(m.group(1).lower())}{m.group(2)}", m.group()))
            used.append(m.span(2))
    for m in _DATE_NUMERIC.finditer(text):
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= d <= 31 and 1 <= mo <= 12:
            facts.add(Fact("date", f"{y}-{mo:02d}-{d:02d}", m.group()))
            used.append(m.span())
    for m in _DATE_WORDS.finditer(text):
        day, month, year = m.group(1), MONTHS[fold(m.group(2).lower())], m.group(3)
        if not day and not year:
            continue  # « mars » alone, « mai » (the verb in « il mai… » never, but safer)
        day_n = 1 if day == "1er" else int(day) if day else None
        if day_n and not 1 <= day_n <= 31:
            continue
        value = "-".join(p for p in (year or "", f"{month:02d}", f"{day_n:02d}" if day_n else "") if p)
        facts.add(Fact("date", value if year else f"--{value}", m.group()))
        used.append(m.span())
    for m in _TIME.finditer(text):
        if not free(*m.span()):
            continue
        hours, minutes = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        facts.add(Fact("time", _time(hours, minutes), m.group()))
        used.append(m.span())
    for m in _DURATION.finditer(text):
        if not free(*m.span()):
            continue
        amount = m.group(1).lower()
        value = str(NUMBER_WORDS[amount]) if amount in NUMBER_WORDS else canonical_number(amount)
        unit = fold(m.group().split()[-1].lower()).rstrip("s")
        facts.add(Fact("duration", f"{value} {unit}", m.group()))
        used.append(m.span())
    for m in NUMBER.finditer(text):
        if not free(*m.span()):
            continue
        value = canonical_number(m.group())
        unit = _AMOUNT_AFTER.match(text[m.end():])
        kind = "amount" if unit else "number"
        scale = _SCALES.get((unit.group("scale") or "").lower(), 1) if unit else 1
        if scale > 1:
            value = canonical_number(str(Decimal(value) * scale))
        facts.add(Fact(kind, value, text[m.start():m.end() + (unit.end() if unit else 0)]))
    for m in _WORD_NUMBER.finditer(text):
        if free(*m.span()):
            facts.add(Fact("number", str(NUMBER_WORDS[m.group().lower()]), m.group()))
    for m in _PROPER.finditer(text):
        word = m.group().strip("'’-")
        if word.lower() not in _NOT_NAMES and fold(word.lower()) not in MONTHS \
                and not any(c.isdigit() for c in word):
            facts.add(Fact("name", fold(word.lower()), word))
    return facts


def fact_values(facts: set[Fact]) -> set[tuple[str, str]]:
    """Comparable (kind, value) pairs; an amount also counts as its number, a duration as its
    number, so « 800 € » in an answer is found in « 800,00 euros » and in « 800 »."""
    out = set()
    for f in facts:
        kind = "number" if f.kind in ("amount", "number") else f.kind
        out.add((kind, f.value))
        if f.kind == "duration":
            out.add(("number", f.value.split()[0]))
    return out


def found_in(fact: Fact, passage_facts: set[tuple[str, str]], passage_folded: str) -> bool:
    """Is ``fact`` in a passage whose facts are ``passage_facts`` (see ``fact_values``) and whose
    folded lower-case text is ``passage_folded``?"""
    if fact.kind == "name":
        return re.search(rf"(?<!\w){re.escape(fact.value)}", passage_folded) is not None
    if fact.kind in ("amount", "number"):
        return ("number", fact.value) in passage_facts
    if fact.kind == "date" and fact.value.startswith("--"):  # day and month: any year
        return any(k == "date" and v.endswith(fact.value[1:]) for k, v in passage_facts)
    if fact.kind == "date" and len(fact.value) == 7:  # month and year: any day of that month
        return any(k == "date" and v.startswith(fact.value) for k, v in passage_facts)
    if fact.kind == "duration":
        return ("duration", fact.value) in passage_facts or \
            ("number", fact.value.split()[0]) in passage_facts
    return (fact.kind, fact.value) in passage_facts


# What a question asks for, from its wording: the kinds of fact a passage answering it holds.
# Money and rates (« montant », « coût », « taux ») want an amount (a figure with €, % …);
# « combien de lits » wants a count; a bare « combien » any figure. Order matters: the first
# pattern that matches gives the kinds, except times and dates, added to any of them.
_MONEY = re.compile(r"\bmontant|\btarif|\bprix\b|\bco[uû]t|\bsomme\b|\bbudget|"
                    r"\bsubvention|\bindemnit|\bcotisation|\bpayer\b|\bpaie\b|\brembours|"
                    r"\bfactur|\bd[ée]pense|\brecette|\bsalaire|\br[ée]mun[ée]r|\bloyer",
                    re.IGNORECASE)
#: Rates and shares want a percentage (« 22,49 % »), not any amount (« 343 908 000 € »).
_RATE = re.compile(r"\btaux\b|\bpourcentage|\bquelle part\b|\bproportion", re.IGNORECASE)
_ASKS = (
    (re.compile(r"\bcombien\s+de\s+(?!temps\b)|\bnombre\b|\bpopulation|\bsuperficie|"
                r"\bsurface\b|\bcapacit", re.IGNORECASE), {"number"}),
    (re.compile(r"\bcombien\b|\bquel(?:le)? (?:est la |est le )?(?:dur[ée]e|d[ée]lai)",
                re.IGNORECASE), {"amount", "number", "duration"}),
    # What is named: a body, a town, a square (« Quel nom… », « Sur quelle place… », « Quelle
    # association… »). Not « qui » nor « où »: « le maire », « au service de l'état civil »
    # answer them without a name.
    (re.compile(r"\bquel(?:le)?s?\s+(?:nom|place|ville|commune|quartier|rue|association|"
                r"organisme|entreprise|soci[ée]t[ée]|prestataire)\b|"
                r"\bcomment\s+(?:s'|se\s+)?(?:appel|nomm)", re.IGNORECASE), {"name"}),
)
_ASKS_TOO = (
    (re.compile(r"\bhoraires?\b|\b[àa] quelle heure\b|\bheures? d'ouverture|"
                r"\bouverte?s?\s+(?:le|les|de|du|à|a|quand|jusqu|entre|pendant)\b", re.IGNORECASE),
     {"time"}),
    # « Quelle date », « date limite », « quel jour » want a day (« 6 juin 2014 »), not a year
    # alone (« Carte Été Jeunes 2014 » is no deadline: domain set, u07); « quand » and « en
    # quelle année » take a year.
    (re.compile(r"\bquelle date\b|\bdate limite\b|\bquel jour\b", re.IGNORECASE), {"date"}),
    (re.compile(r"\bquand\b|\bdepuis quand\b|\ben quelle ann[ée]e\b|"
                r"(?<!quelle )\bdate\b(?!\s+limite)|"
                r"\bp[ée]riode\b", re.IGNORECASE), {"date", "number"}),
    (re.compile(r"\bcombien de temps\b|\bd[ée]lai\b|\bdur[ée]e\b", re.IGNORECASE),
     {"duration", "number"}),
)


def expected_kinds(question: str) -> set[str]:
    """Kinds of fact the question asks for (empty: any passage may answer it). « Combien coûte la
    cantine ? » → amount; « Combien de lits… » → number; « Quels sont les horaires… » → time.

    A passage's figure repeated from the question (« 2014 » in « budget 2014 ») is not the
    answer: ``answer_kinds`` leaves such facts out."""
    kinds: set[str] = set()
    if _RATE.search(question):
        kinds = {"percent"}
    elif _MONEY.search(question):
        kinds = {"amount"}
    else:
        kinds = next((set(asked) for pattern, asked in _ASKS if pattern.search(question)), set())
    for pattern, asked in _ASKS_TOO:
        if pattern.search(question):
            kinds |= asked
    return kinds


def asking_words(question: str) -> list[str]:
    """The words of the question that say which kind of fact it asks (« horaires », « montant »,
    « combien », « taux »…): a passage holding a fact of that kind answers them, whether or not
    it repeats them (« ouverte de 9 h à 17 h » answers « horaires »)."""
    patterns = (_RATE, _MONEY, *(p for p, _ in _ASKS), *(p for p, _ in _ASKS_TOO))
    return [m.group() for p in patterns for m in p.finditer(question)]


def answer_kinds(text: str, question: str, asked: set | None = None) -> set[str]:
    """The kinds of the facts of ``text`` that the question does not already hold (« 2014 » in a
    unit does not answer « le budget 2014 »)."""
    if asked is None:  # fact_values(extract_facts(question)): a caller may pass it once
        asked = fact_values(extract_facts(question))
    kinds = set()
    for f in extract_facts(text):
        if not fact_values({f}) & asked:
            kinds.add(f.kind)
            if f.kind == "amount" and re.search(r"%|pour\s?cent", f.text, re.IGNORECASE):
                kinds.add("percent")  # a rate is an amount too (matched as one by the check)
    return kinds
