"""The units an answer can quote — sentences and table rows, verbatim — and the choice of the key
passage: the one unit of the documents that holds the answer.

    units(text)                        [(start, end)] of each sentence or table row of ``text``
    Scorer(question, hits).rank()      every unit of the hits, best match for the question first
    key_passage(question, hits)        the best unit as a Citation (n = 0), or None
    best_units(question, hits)         each hit's best unit (the prompt's excerpts are cut around it)
    closest(question, hits)            the best unit of each of the first hits (for a refusal)

Sentences come from the shared splitter (``clos.sentences``: « l'article L. 2121-29 » is not cut
after « L. », a line wrapped by the layout does not end a sentence). A line that looks like a
table row (cells separated by « | », a tab or a run of spaces, as the readers write tables) is
a unit of its own: a row holds one fact with its label (« Repas | 15,25 € »).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from clos.answer.facts import (answer_kinds, expected_kinds, extract_facts, fact_values,
                               normalise_numbers)
from clos.retrieve.analyzer import analyze
from clos.sentences import sentence_spans
from clos.types import Citation, Hit

__all__ = ["KEY_PASSAGE_CHARS", "Scorer", "Unit", "best_units", "closest", "first_units",
           "is_heading", "key_passage", "quote_text", "refers_back", "units"]

_ROW = re.compile(r"\||\t|\S {3,}\S")
#: Longest key passage or quote, in characters: a longer sentence (a PDF without punctuation) is
#: cut to the window holding most of the question's words, with « … » where it was cut.
KEY_PASSAGE_CHARS = 420


#: Ranking weights (``Scorer.rank``), measured with the extractive mode on the domain set
#: (tests/data/qa_domain.json, 62 answerable questions, key passage holding the answer):
#: the unit's own words weighing half against the heading's (0.5) beat the heading-inclusive
#: share alone (0.758 → 0.790; 1.0, own words only: 0.726), and a unit lacking the kind of
#: fact asked losing 0.3 beat 0.15 (0.758 → 0.790; 0.45 and a 0.4 bonus: no change).
OWN_WEIGHT = 0.5
KIND_BONUS = 0.25
KIND_PENALTY = -0.3

#: A sentence that refers back to the one before: a demonstrative or a pronoun among its first
#: words (« Ces travaux… », « Le montant de cette subvention… », « Il compte 57 lits »).
_ANAPHORA = re.compile(r"^\W*(?:\w+\W+){0,4}?(?:ce|cet|cette|ces|celui-ci|celle-ci|"
                       r"ceux-ci|celles-ci|il|elle|ils|elles|lequel|laquelle)\b", re.IGNORECASE)


def refers_back(text: str) -> bool:
    """Does the sentence open on a demonstrative or a pronoun (``_ANAPHORA``), carrying on the
    subject of the sentence before it?"""
    return bool(_ANAPHORA.match(text))


_INLINE_ITEM = re.compile(r"(?:^|\s)[-–•]\s+")


def _items(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """A sentence holding an inline list (« - créneaux … - montant de 15,25 € par repas - … »,
    as PDF readers join list lines) cut into its items; any other sentence as it is."""
    marks = [m for m in _INLINE_ITEM.finditer(text, a, b)]
    if len(marks) + (text[a] in "-–•") < 2:
        return [(a, b)]
    cuts = [a] + [m.start() for m in marks if m.start() > a] + [b]
    out = []
    for x, y in zip(cuts, cuts[1:]):
        piece = text[x:y]
        lead = len(piece) - len(piece.lstrip(" \t\n-–•"))
        x += lead
        while y > x and text[y - 1].isspace():
            y -= 1
        if y > x:
            out.append((x, y))
    return out


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, table row or inline list item of ``text``, in order,
    offsets into ``text``."""
    out: list[tuple[int, int]] = []
    block_start, pos = 0, 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and _ROW.search(stripped) and len(stripped) < 400:
            out += [(block_start + a, block_start + b)
                    for a, b in sentence_spans(text[block_start:pos])]
            a = pos + (len(line) - len(line.lstrip()))
            out.append((a, a + len(stripped)))
            block_start = pos + len(line)
        pos += len(line)
    out += [(block_start + a, block_start + b) for a, b in sentence_spans(text[block_start:])]
    return [item for a, b in out for item in _items(text, a, b)]


_SENTENCE_END = re.compile(r"[.!?;:…»)]\s*$")


def is_heading(text: str) -> bool:
    """A title line: one line of at most 8 words, no sentence end, neither a list item nor a
    table row (« Direction du Secrétariat Général », « Carte Été Jeunes 2014 »)."""
    flat = text.strip()
    return (bool(flat) and "\n" not in flat and len(flat.split()) <= 8
            and not _SENTENCE_END.search(flat) and flat[0] not in "-–•"
            and not _ROW.search(flat))


def terms_of(text: str) -> set[str]:
    """Analysed terms with numbers in one writing (« 800,00 € » and « 800 euros » share theirs)."""
    return set(analyze(normalise_numbers(text)))


def quote_text(text: str, question_terms: set[str] = frozenset(),
               limit: int = KEY_PASSAGE_CHARS) -> str:
    """``text`` with its whitespace runs made single spaces; cut to the ``limit``-character window
    holding most of ``question_terms`` when longer (« … » marks a cut)."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", flat)]
    best, best_gain = 0, -1
    for i in range(0, len(words), 4):
        j = i
        while j < len(words) and words[j][1] - words[i][0] <= limit - 2:
            j += 1
        gain = len(question_terms & terms_of(flat[words[i][0]:words[j - 1][1]])) if j > i else 0
        if gain > best_gain:
            best, best_gain = i, gain
        if j == len(words):
            break
    j = best
    while j < len(words) and words[j][1] - words[best][0] <= limit - 2:
        j += 1
    piece = flat[words[best][0]:words[max(j, best + 1) - 1][1]]
    return ("…" if best else "") + piece + ("…" if j < len(words) else "")


@dataclass
class Unit:
    """A sentence or table row of hit ``hit`` (index into the hits), ``text[start:end]``."""

    hit: int
    start: int
    end: int
    text: str
    terms: set[str]
    kinds: set[str]
    subject: float = 0.0  # weighted share of the question's terms it holds (heading included)
    own: float = 0.0  # the same share, of its own words only (the heading left out)
    score: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)


class Scorer:
    """The question's terms weighted by their rarity among the units of ``hits`` (a term in every
    unit says little about which one answers), and every unit scored against them."""

    def __init__(self, question: str, hits: list[Hit]) -> None:
        self.question, self.hits = question, hits
        self.q_terms = terms_of(question)
        self.expected = expected_kinds(question)
        self.units: list[Unit] = []
        asked = fact_values(extract_facts(question))  # once, not per unit (answer_kinds)
        for i, hit in enumerate(hits):
            heading = terms_of(" ".join((hit.title or "", *hit.heading_path)))
            for a, b in units(hit.text):
                text = hit.text[a:b]
                own = terms_of(text)
                if not own:
                    continue
                unit = Unit(i, a, b, text, own | heading, answer_kinds(text, question, asked))
                unit.signals["own_terms"] = own  # type: ignore[assignment]
                self.units.append(unit)
        n = max(len(self.units), 1)
        df = {t: sum(t in u.terms for u in self.units) for t in self.q_terms}
        self.weight = {t: math.log(1 + n / (1 + df[t])) + 0.1 for t in self.q_terms}
        # A term no unit holds (a paraphrase: « horaires » for « ouverte de 9 h à 17 h ») weighs
        # as the mean of the others, not the most of all (as decide.idf_weights).
        known = [self.weight[t] for t in self.q_terms if df[t]]
        if known:
            self.weight.update({t: sum(known) / len(known) for t in self.q_terms if not df[t]})
        total = sum(self.weight.values()) or 1.0
        previous: Unit | None = None
        for unit in self.units:
            mine = unit.signals.pop("own_terms")
            unit.subject = sum(w for t, w in self.weight.items() if t in unit.terms) / total
            unit.own = sum(w for t, w in self.weight.items() if t in mine) / total
            if previous is not None and previous.hit == unit.hit:
                if refers_back(unit.text):
                    # « Le montant prévisionnel de ces travaux est de 1,3 M€ » goes on with the
                    # subject of the sentence before (« réhabiliter les locaux de l'école Curie »).
                    unit.subject = max(unit.subject, previous.subject)
                    unit.own = max(unit.own, previous.own)
                elif unit.kinds - {"name"} and not previous.kinds - {"name"} and len(mine) <= 3:
                    # A bare value on its own line (« 1 209 € ») after its label (« Réseau
                    # Français des Villes-Santé OMS »): a table the reader flattened. The two
                    # lines are one unit, quoted together.
                    hit = hits[unit.hit]
                    unit.start, unit.text = previous.start, hit.text[previous.start:unit.end]
                    unit.terms |= previous.terms
                    unit.subject = max(unit.subject, previous.subject)
                    unit.own = max(unit.own, previous.own)
            previous = unit

    def rank(self, similarities: dict[int, float] | None = None) -> list[Unit]:
        """Units best first. Score: the subject share, half with the heading's words, half of
        the unit's own; + KIND_BONUS when the unit holds a kind of fact the question asks for
        (an amount for « combien ») that the question does not already give, KIND_PENALTY
        when it holds none; − 0.2 for
        a unit of fewer than four terms without a fact (a heading); + 0.1 × the hit's fused
        score relative to the best (retrieval's view of the whole passage); with
        ``similarities`` (unit index → cosine to the question), + the cosine rescaled over
        the scored units. Weights set by hand on the answers of tests/test_answer_passages.py
        and checked on PIAF (report of the answers branch)."""
        top = max((h.score for h in self.hits), default=0.0) or 1.0
        sims = similarities or {}
        lo, hi = (min(sims.values()), max(sims.values())) if sims else (0.0, 1.0)
        for idx, unit in enumerate(self.units):
            kind = 0.0
            if self.expected:
                kind = KIND_BONUS if unit.kinds & self.expected else KIND_PENALTY
            short = -0.2 if len(unit.terms) < 4 and not unit.kinds else 0.0
            prior = 0.1 * max(self.hits[unit.hit].score, 0.0) / top
            dense = (sims[idx] - lo) / ((hi - lo) or 1.0) * 0.5 if idx in sims else 0.0
            unit.signals = {"subject": round(unit.subject, 3), "own": round(unit.own, 3),
                            "kind": kind, "short": short, "prior": round(prior, 3),
                            "dense": round(dense, 3)}
            unit.score = ((1 - OWN_WEIGHT) * unit.subject + OWN_WEIGHT * unit.own + kind + short
                          + prior + dense)
        return sorted(self.units, key=lambda u: (-u.score, u.hit, u.start))

    def citation(self, unit: Unit, n: int = 0) -> Citation:
        hit = self.hits[unit.hit]
        return Citation(n=n, source=hit.path, page=hit.page,
                        quote=quote_text(unit.text, self.q_terms), chunk_id=hit.chunk_id)


def key_passage(question: str, hits: list[Hit], *, embed=None) -> tuple[Citation | None, Unit | None]:
    """The unit of ``hits`` that best answers ``question`` as a Citation (n = 0), with the unit.

    ``embed`` (optional): a function (list of texts) → (cosines to the question); when given,
    the eight best units by words are re-scored with their dense similarity too."""
    scorer = Scorer(question, hits)
    ranked = scorer.rank()
    if not ranked:
        return None, None
    if embed is not None:
        short = [scorer.units.index(u) for u in ranked[:8]]
        cosines = embed([scorer.units[i].text for i in short])
        ranked = scorer.rank(dict(zip(short, (float(c) for c in cosines))))
    best = ranked[0]
    return scorer.citation(best), best


def best_units(question: str, hits: list[Hit]) -> dict[int, tuple[int, int]]:
    """Hit index → (start, end) of that hit's best unit for ``question`` (``Scorer.rank``, the
    question's terms weighted over all ``hits``); hits without a unit are absent."""
    return first_units(Scorer(question, hits).rank())


def first_units(ranked: list[Unit]) -> dict[int, tuple[int, int]]:
    """Hit index → (start, end) of the first unit of each hit in ``ranked`` (best first)."""
    out: dict[int, tuple[int, int]] = {}
    for unit in ranked:
        out.setdefault(unit.hit, (unit.start, unit.end))
    return out


def closest(question: str, hits: list[Hit], n: int = 3) -> list[Citation]:
    """For a refusal: the best unit of each of the first ``n`` hits, numbered 1…n."""
    scorer = Scorer(question, hits[:n])
    out: list[Citation] = []
    for unit in scorer.rank():
        if all(c.chunk_id != hits[unit.hit].chunk_id for c in out):
            out.append(scorer.citation(unit))
    order = [h.chunk_id for h in hits]
    out.sort(key=lambda c: order.index(c.chunk_id))
    for i, citation in enumerate(out, 1):
        citation.n = i
    return out
