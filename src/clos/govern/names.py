"""Person names: civility rules, first-name rules, spaCy on what is left, then propagation.

Rules carry French administrative writing ("M. DUPONT", "Mme Sophie Martin", "MARTIN Sophie",
lists of elected members); spaCy ``fr_core_news_sm`` catches names the rules miss but only runs on
short segments that still hold two capitalised words nobody explained, which keeps it affordable.
Every surname found is then searched again so "Dupont" alone is not left behind.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

from clos.govern.ner import _nlp, entities  # noqa: F401  (_nlp: bench, preload)
from clos.govern.lexicon import COMMON, FRENCH_STOP, PARTICLES, PUBLIC_PLACE, ROLES, strip_accents
from clos.types import Finding

_TOKEN_RE = re.compile(r"[A-ZÀ-Ý]\.(?:-[A-ZÀ-Ý]\.)?|[^\W\d_]+(?:[\-'’][^\W\d_]+)*")
_CIVILITY_RE = re.compile(
    r"(?<![\w.])(?:MM\.|M\.|Mr\.?|Mme\.?|Mmes\.?|Mlle\.?|Melle\.?|Monsieur|Madame|Mademoiselle|"
    r"Messieurs|Mesdames|Me|Maître|Maitre|Dr\.?|Docteur|Pr\.?|Professeur)(?=[ \u00a0\n])"
)
_ELIDED = re.compile(r"[dDO]['’][A-ZÀ-Ý][a-zà-ÿ]")
_GAP_OK = re.compile(r"[ \t\u00a0\u202f]*\n?[ \t\u00a0\u202f]*")


class _cached:
    """``functools.cached_property`` without its per-instance lock (Python 3.11 takes an RLock on
    every first computation: 20 % of name detection's time on the deliberations). Computed once
    per token, then read from the instance's ``__dict__``; two threads racing compute the same
    value twice, harmlessly."""

    def __init__(self, func) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass
class Tok:
    text: str
    start: int
    end: int

    @_cached
    def norm(self) -> str:
        return strip_accents(self.text).lower().replace("’", "'")

    @_cached
    def bare(self) -> str:
        """``norm`` without an elided article: "l'association" → "association"."""
        return re.sub(r"^[ldjnmcs]'", "", self.norm)

    @_cached
    def is_initial(self) -> bool:
        return self.text.endswith(".")

    @_cached
    def is_upper(self) -> bool:
        letters = [c for c in self.text if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    @_cached
    def is_cap(self) -> bool:
        if _ELIDED.match(self.text):  # d'Almeida, O'Neill
            return True
        return self.text[0].isupper() and any(c.islower() for c in self.text)

    @_cached
    def is_particle(self) -> bool:
        return self.norm in PARTICLES

    @_cached
    def is_common(self) -> bool:
        return self.norm in COMMON or any(p in COMMON for p in self.norm.split("-") if p)

    @_cached
    def is_name(self) -> bool:
        return (self.is_upper and len(self.text) >= 3 or self.is_cap) and not self.is_common \
            and not self.is_initial and not self.is_particle

    @_cached
    def is_first_name(self) -> bool:
        return self.is_cap and all(p in first_names() for p in self.norm.split("-"))


@functools.lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    text = resources.files("clos.govern").joinpath("data/prenoms.txt").read_text(encoding="utf-8")
    words = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    return frozenset(p for w in words for p in strip_accents(w).lower().split("-"))


# ------------------------------------------------------------------ keys
def _key_tokens(value: str) -> list[str]:
    value = _CIVILITY_RE.sub(" ", value)
    return [t for t in re.split(r"[\s\-'’.,]+", strip_accents(value).lower()) if t]


@functools.lru_cache(maxsize=16384)  # asked again for every finding by several steps
def name_key(value: str) -> str:
    """Order-, case- and accent-free key: "Jean-Pierre MOURE" == "MOURE Jean-Pierre"."""
    return " ".join(sorted(_key_tokens(value)))


@functools.lru_cache(maxsize=16384)
def surname_key(value: str) -> str:
    """The family-name part of a full name (upper-case words, else the last word)."""
    tokens = [Tok(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(_CIVILITY_RE.sub(" ", value))]
    upper = [t for t in tokens if t.is_upper and not t.is_particle]
    if upper and len(upper) < len(tokens):
        return name_key(" ".join(t.text for t in upper))
    named = [t for t in tokens if not t.is_particle and not t.is_initial]
    return name_key(named[-1].text) if named else ""


# ------------------------------------------------------------------ rules
def _tokens(text: str) -> list[Tok]:
    """The words of ``text``, a new list each call. Short texts (names, list items, segments:
    94 % of the calls on the deliberations repeat a text already cut) share their tokens, whose
    properties are then computed once; tokens are never modified."""
    if len(text) > _SHARED_TOKENS_CHARS:
        return [Tok(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    return list(_shared_tokens(text))


_SHARED_TOKENS_CHARS = 300


@functools.lru_cache(maxsize=8192)  # ≤ 300 characters each: a few MB at most
def _shared_tokens(text: str) -> tuple[Tok, ...]:
    return tuple(Tok(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text))


def _adjacent(text: str, a: Tok, b: Tok) -> bool:
    return _GAP_OK.fullmatch(text, a.end, b.start) is not None


def _same_line(text: str, a: Tok, b: Tok) -> bool:
    return _adjacent(text, a, b) and "\n" not in text[a.end:b.start]


def _take_name(text: str, toks: list[Tok], i: int, limit: int = 5, *, upper_ok: bool = False,
               civility: bool = False) -> int:
    """Index after the longest name starting at toks[i] (particles only inside, before a name).

    ``upper_ok``: after a first name, an upper-case word is a surname even if it is also a common
    word ("Christophe COUR").
    """
    j, last_name, seen_upper = i, i, False
    given_first = toks[i].is_cap  # "Sabria BOUALLAGA …", not "FAURE Christine"
    while j < len(toks) and j - i < limit:
        t = toks[j]
        if j > i and not _same_line(text, toks[j - 1], t):
            break
        if seen_upper and t.is_cap and not t.is_particle:
            if civility and not given_first:
                if t.is_name and j == last_name and (t.is_first_name or not _french_word(t.text)):
                    last_name = j + 1  # "Mme AYACHE Sophia": civility, SURNAME, first name
                break
            if given_first or not t.is_first_name:
                break  # "Patrick RIVAS Suppléants", "Sabria BOUALLAGA Leo Malet": the surname is over
        upper_name = upper_ok and t.is_upper and _surname_like(t)
        seen_upper = seen_upper or t.is_upper and not t.is_particle
        if t.is_name or upper_name or t.is_initial and j == i:
            last_name = j + 1
        elif not t.is_particle:
            break
        j += 1
    return last_name


def _after_public_place(text: str, toks: list[Tok], i: int) -> bool:
    """True for "rue Jean Jaurès", "groupe scolaire Jules Ferry", "association Lire et Faire Lire",
    "Saint-Jean": places and bodies named after people or things, not people."""
    if text[max(0, toks[i].start - 1):toks[i].start] == "-" and toks[i].start >= 2 \
            and text[toks[i].start - 2].isalpha():
        return True  # "Saint-Jean", not the list dash of "-Fabien ABERT"
    j = i - 1
    while j >= 0 and i - j <= 4 and _adjacent(text, toks[j], toks[j + 1]):
        if toks[j].bare in PUBLIC_PLACE or toks[j].bare.rstrip("s") in PUBLIC_PLACE:
            return True
        j -= 1
    return False


def _rule_names(text: str) -> list[Finding]:
    toks = _tokens(text)
    found: list[Finding] = []
    starts = {t.start: k for k, t in enumerate(toks)}
    # A. Civility + name: "M. DUPONT", "Mme Marie-Claire Le Goff", "Monsieur Jean Martin".
    for m in _CIVILITY_RE.finditer(text):
        k = next((starts[p] for p in range(m.end(), min(len(text), m.end() + 3)) if p in starts), None)
        if k is None or toks[k].norm in ROLES and not (toks[k].is_particle and toks[k].text[0].isupper()):
            continue
        end = _take_name(text, toks, k, upper_ok=toks[k].is_first_name,  # "M. Christophe COUR"
                         civility=True)
        if end > k and any(t.is_name or t.is_upper for t in toks[k:end]):
            found.append(_finding(text, toks[k], toks[end - 1], 0.95))
    k = 0
    while k < len(toks):
        end, confidence = _name_at(text, toks, k)
        if end > k:
            found.append(_finding(text, toks[k], toks[end - 1], confidence))
            k = end
        else:
            k += 1
    return found


def _name_at(text: str, toks: list[Tok], k: int) -> tuple[int, float]:
    """(end index, confidence) of a name starting at toks[k] without civility; (k, 0) if none."""
    t = toks[k]
    if _after_public_place(text, toks, k):
        return k, 0.0
    adjacent = lambda a, b: b < len(toks) and _adjacent(text, toks[a], toks[b])  # noqa: E731
    # B. Known first name(s) + surname: "Sophie MARTIN", "Jean-Pierre Dupont", "Christophe COUR".
    if t.is_first_name:
        j = k + 1
        while adjacent(j - 1, j) and toks[j].is_first_name and j + 1 < len(toks) \
                and toks[j + 1].is_name and adjacent(j, j + 1):
            j += 1
        end = _take_name(text, toks, j, limit=4, upper_ok=True) if adjacent(j - 1, j) else j
        surname = toks[j:end]
        if surname and any(s.is_name or s.is_upper for s in surname):
            upper = any(s.is_upper for s in surname)
            if upper or t.norm not in _AMBIGUOUS:
                return end, 0.9 if upper else 0.8
    inside_caps = k > 0 and toks[k - 1].is_upper and _adjacent(text, toks[k - 1], t)
    # C. Upper-case surname then first name: "MARTIN Sophie", or any name-like word when the
    # surname is not a common word either: "VIDAL Maïwenn".
    if t.is_upper and _surname_like(t) and not inside_caps:
        j = k
        while adjacent(j, j + 1) and (toks[j + 1].is_upper and _surname_like(toks[j + 1])
                                      or toks[j + 1].is_particle):
            j += 1
        nxt = toks[j + 1] if adjacent(j, j + 1) else None
        loose = nxt is not None and nxt.is_cap and nxt.is_name and "\n" not in text[t.start:nxt.start] \
            and all(x.is_name or x.is_particle for x in toks[k:j + 1])
        if nxt is not None and (nxt.is_first_name or loose) \
                and not (adjacent(j + 1, j + 2) and toks[j + 2].is_upper):
            end = j + 2
            while adjacent(end - 1, end) and toks[end].is_first_name:
                end += 1
            return end, 0.85 if nxt.is_first_name else 0.7
    # D. Unknown first name + upper-case surname: "Khadidiatou COULIBALY".
    if t.is_cap and t.is_name and not t.is_particle:
        j = k + 1
        while adjacent(j - 1, j) and (toks[j].is_upper and _surname_like(toks[j]) or toks[j].is_particle):
            j += 1
        while j > k + 1 and toks[j - 1].is_particle:
            j -= 1
        if j > k + 1 and any(x.is_name for x in toks[k + 1:j]):
            return j, 0.75
    return k, 0.0


# First names that are also places, things or saints: need an upper-case surname to count.
_AMBIGUOUS = {"france", "florence", "marine", "rose", "ange", "aime", "aimee", "noel", "max",
              "tom", "lou", "guy", "constance", "colin", "jade", "octave", "martin", "hortense",
              "pascal", "clement", "lorraine", "victoria", "olivia", "justine", "blanche", "eve",
              "laurence", "charles", "louis", "marius", "jules"}


def _surname_like(t: Tok) -> bool:
    """An upper-case word that can be a family name ("COUR", "PETIT"), though not "LE" or "DE"."""
    return len(t.text) >= 3 and t.norm not in FRENCH_STOP and t.norm not in ROLES \
        and t.norm not in PARTICLES


def _french_word(word: str) -> bool:
    from clos.govern.lexicon import french_word

    return french_word(word)


def _finding(text: str, first: Tok, last: Tok, confidence: float) -> Finding:
    return Finding("PERSONNE", first.start, last.end, text[first.start:last.end], confidence)


def _free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in spans)


# ------------------------------------------------------------------ spaCy
# Endings of French nouns and adjectives, rare in family names: they veto a spaCy-only name.
_WORDLIKE = re.compile(r"(?:tion|sion|ment|ite|iere|aire|ique|eur|euse|ure|age|ance|ence|isme|iste|"
                       r"ees|es|ive|ifs|aux|ale|elle|able|ible)s?$")
_SEGMENT_RE = re.compile(r"[^\n.!?;:]+(?:[.!?;:](?!\s)[^\n.!?;:]*)*")


def _segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Short segments holding two adjacent unexplained capitalised words: where names hide."""
    out = []
    for m in _SEGMENT_RE.finditer(text):
        toks = [t for t in _tokens(m.group()) if t.is_name]
        for a, b in zip(toks, toks[1:]):
            if a.end + 5 >= b.start and _free(spans, m.start() + a.start, m.start() + b.end):
                out.append((m.start(), m.group()))
                break
    return out


def _spacy_names(texts: Sequence[str], spans: list[list[tuple[int, int]]]) -> list[list[Finding]]:
    jobs = [(i, off, seg) for i, text in enumerate(texts) for off, seg in _segments(text, spans[i])]
    results: list[list[Finding]] = [[] for _ in texts]
    if not jobs:
        return results
    for (i, off, seg), ents in zip(jobs, entities([seg for _, _, seg in jobs])):
        for ent_start, ent_end, label in ents:
            if label != "PER":
                continue
            toks = _tokens(seg[ent_start:ent_end])
            while toks and (toks[0].is_common or toks[0].is_particle or toks[0].norm in ROLES):
                toks.pop(0)
            while toks and not toks[-1].is_name:
                toks.pop()
            names = [t for t in toks if t.is_name]
            if len(names) < 2 or any(c.isdigit() for t in toks for c in t.text):
                continue
            known = any(t.is_first_name or t.is_upper and _surname_like(t) for t in names)
            if not known and any(_WORDLIKE.search(t.norm) for t in names):
                continue  # "Expertise Financière", "Jeunes Handicapés": title-case phrases
            start, end = off + ent_start + toks[0].start, off + ent_start + toks[-1].end
            seg_toks = _tokens(seg)
            first = next((k for k, t in enumerate(seg_toks) if off + t.start == start), None)
            if first is not None and _after_public_place(seg, seg_toks, first):
                continue
            if _free(spans[i], start, end):
                results[i].append(Finding("PERSONNE", start, end, texts[i][start:end], 0.7))
    return results


# ------------------------------------------------------------------ propagation
def _propagate(texts: Sequence[str], found: list[list[Finding]],
               spans: list[list[tuple[int, int]]]) -> None:
    """Find again, anywhere in the texts, the surnames of the people already found."""
    surnames: set[str] = set()
    for people in found:
        for f in people:
            toks = _tokens(f.text)
            if len(toks) < 2:
                continue
            upper = [t for t in toks if t.is_upper and not t.is_particle]
            for t in upper or [toks[-1]]:
                if len(t.text) >= 3 and not t.is_common and t.norm not in first_names():
                    surnames.update({t.text, t.text.upper(), t.text[0] + t.text[1:].lower()})
    if not surnames:
        return
    for i, text in enumerate(texts):
        taken = spans[i] + [(f.start, f.end) for f in found[i]]
        toks = _tokens(text)
        for k, t in enumerate(toks):
            if t.text not in surnames:
                continue
            if k > 0 and _adjacent(text, toks[k - 1], t) \
                    and (toks[k - 1].is_first_name or toks[k - 1].is_upper and _surname_like(toks[k - 1])):
                continue  # part of a longer name left out on purpose ("station Louis Blanc")
            if _after_public_place(text, toks, k):
                continue
            if _free(taken, t.start, t.end):
                found[i].append(Finding("PERSONNE", t.start, t.end, t.text, 0.75))
                taken.append((t.start, t.end))


def find_names_many(texts: Sequence[str], taken: Sequence[list[tuple[int, int]]]) -> list[list[Finding]]:
    """Person names in each text outside ``taken`` spans; texts are parts of one document."""
    spans = [list(t) for t in taken]
    found: list[list[Finding]] = []
    for i, text in enumerate(texts):
        people = [f for f in _rule_names(text) if _free(spans[i], f.start, f.end)]
        found.append(people)
    covered = [spans[i] + [(f.start, f.end) for f in found[i]] for i in range(len(texts))]
    for i, extra in enumerate(_spacy_names(texts, covered)):
        found[i].extend(f for f in extra if _free([(g.start, g.end) for g in found[i]], f.start, f.end))
    from clos.govern import notperson  # not-a-person rules (issue 15); imports this module

    ctx = notperson.Context(texts, found)
    found = notperson.veto(texts, notperson.label_veto(texts, found, ctx), ctx)
    ctx.confirm(found)
    _propagate(texts, found, spans)
    return notperson.veto(texts, found, ctx)  # what propagation found again, judged the same way
