"""Citation verification: attribute each answer sentence to the excerpt that supports it, and say
which of its facts were found there.

Small models rarely write [n] and sometimes invent; so citations are decided here, after
generation, not by the model. A sentence is supported by an excerpt when

- most of its content words are in the excerpt (``support`` ≥ ``SUPPORT_THRESHOLD``), and
- each fact it adds beyond the question (amount, number, date, time, duration, name, article
  reference: ``clos.answer.facts``, whatever their writing) is in a sentence or table row of that
  excerpt that is about the question's subject — one holding at least ``SUBJECT_SHARE`` of the
  share of the question's (weighted) terms the best unit holds — not in a neighbouring sentence
  about something else (« 35 % du coût total » found in a sentence about another subsidy).

The answer is « vérifiée » only when every sentence is supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clos.answer.facts import Fact, extract_facts, fact_values, found_in
from clos.answer.passages import Scorer, Unit, quote_text, terms_of, units
from clos.answer.prompts import REFUSAL
from clos.retrieve.analyzer import analyze, fold
from clos.sentences import split_sentences as shared_split
from clos.types import Citation, Hit

SUPPORT_THRESHOLD = 0.5
#: A unit is « about the question's subject » when it holds at least this share of what the best
#: unit of the excerpts holds of the question's weighted terms. Strict on purpose: a fact found
#: only in a row or sentence about something else leaves the answer « À vérifier » (a wrong
#: answer printed « vérifiée » is the failure the issue counts; a right one to check is not).
SUBJECT_SHARE = 0.75
_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ITEM_BREAK = re.compile(r"\n\s*(?:[-•–]\s+)?|\s+[-•–]\s+")
_REFUSAL_CUES = (
    "pas trouve cette information", "ne contiennent pas", "ne permettent pas de repondre",
    "ne mentionnent pas", "aucune information", "pas d'information", "je ne sais pas",
    "ne precisent pas", "n'indiquent pas", "pas mentionne", "could not find",
)


@dataclass
class SentenceCheck:
    """The check of one answer sentence (``AnswerTrace.sentences`` holds ``to_dict()``)."""

    text: str
    supported: bool
    cited: list[int] = field(default_factory=list)  # excerpts it is attributed to (1-based)
    facts_found: list[str] = field(default_factory=list)  # as written in the answer
    facts_missing: list[str] = field(default_factory=list)
    support: float = 0.0
    anchor: Unit | None = None  # the excerpt unit holding its facts

    def to_dict(self) -> dict:
        return {"text": self.text, "supported": self.supported, "cited": self.cited,
                "facts_found": self.facts_found, "facts_missing": self.facts_missing,
                "support": round(self.support, 3)}


@dataclass
class Verification:
    text: str  # the answer with verified [n] markers
    refused: bool
    sentences: list[str] = field(default_factory=list)
    unsupported: list[int] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    checks: list[SentenceCheck] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Every checked sentence supported, and at least one checked."""
        checked = [c for c in self.checks if c.text]
        return not self.refused and bool(checked) and all(c.supported for c in checked)

    @property
    def missing_facts(self) -> list[str]:
        return [f for c in self.checks for f in c.facts_missing]


def split_sentences(text: str) -> list[str]:
    """An answer's sentences (shared splitter), and list items as their own claims (a small model
    often answers with a list on one line: one « sentence » mixing several facts could be quoted
    by only one of them). Whitespace runs become single spaces."""
    out = []
    for part in _ITEM_BREAK.split(text):
        part = re.sub(r"^[-•–]\s+", "", re.sub(r"\s+", " ", part).strip())
        out += [s.strip() for s in shared_split(part) if s.strip()] if part else []
    return out


def is_refusal(text: str) -> bool:
    folded = fold(text.lower()).replace("’", "'")
    return not folded.strip() or any(cue in folded for cue in _REFUSAL_CUES)


def support(sentence: str, excerpt: str, asked: set[str] = frozenset()) -> float:
    """Share of the sentence's content words found in the excerpt; facts (numbers, names…)
    missing from the excerpt weigh as heavily as the rest of the sentence together.

    Words the sentence takes from the question (« Le coût total prévu pour la réhabilitation de
    l'école Marie Curie est de 1,3 M€ ») are what was asked, not what the answer claims: an
    excerpt saying « le montant prévisionnel de ces travaux est de 1,3 M€ » supports it, its
    facts decide. Only the words the answer adds to ``asked`` (the question's terms,
    ``terms_of``) are counted (all of them when it adds none)."""
    words = terms_of(sentence)
    if not words:
        return 1.0
    words = (words - asked) or words
    score = len(words & terms_of(excerpt)) / len(words)
    facts = extract_facts(sentence)
    if facts:
        values, folded = fact_values(extract_facts(excerpt)), fold(excerpt.lower())
        found = sum(found_in(f, values, folded) for f in facts)
        score = min(score, (score + found / len(facts)) / 2)
    return score


def best_quote(excerpt: str, sentences: list[str], limit: int = 240) -> str:
    """For each answer sentence the excerpt supports, the excerpt unit (sentence, table row or
    list item) sharing most with it, as written in the excerpt (whitespace runs made single
    spaces); several units are joined in the excerpt's order with « […] »."""
    spans = [(a, b) for a, b in units(excerpt) if analyze(excerpt[a:b])]
    candidates = [excerpt[a:b] for a, b in spans] or [excerpt]
    terms = [terms_of(c) for c in candidates]
    figures = [fact_values(extract_facts(c)) for c in candidates]

    def best(target: set[str], facts: set = frozenset()) -> int:
        # Shared facts first (a figure is what a reader checks), then shared terms; among
        # equals, the shorter unit is the sharper quote.
        return max(range(len(candidates)), key=lambda i: (
            len(facts & figures[i]), len(target & terms[i]), -len(candidates[i])))

    targets = [terms_of(s) for s in sentences]
    picks = [best(t, fact_values(extract_facts(s))) for t, s in zip(targets, sentences)]
    chosen = {i for i in picks if any(t & terms[i] for t in targets)}
    chosen = chosen or {best(set().union(*targets))}
    return " […] ".join(quote_text(candidates[i], limit=limit) for i in sorted(chosen))


def _added_facts(sentence: str, question: str) -> list[Fact]:
    asked = fact_values(extract_facts(question))
    asked_names = {f.value for f in extract_facts(question) if f.kind == "name"}
    return sorted((f for f in extract_facts(sentence)
                   if not fact_values({f}) & asked and f.value not in asked_names),
                  key=lambda f: sentence.find(f.text))


def check_sentence(sentence: str, question: str, scorer: Scorer, n_hits: int, *,
                   cited: set[int], threshold: float = SUPPORT_THRESHOLD) -> SentenceCheck:
    """Check one answer sentence against the excerpts ``scorer`` holds (see the module doc)."""
    facts = _added_facts(sentence, question)
    best_subject = max((u.subject for u in scorer.units), default=0.0)
    about = [u for u in scorer.units if not scorer.q_terms
             or u.subject >= SUBJECT_SHARE * best_subject and u.subject > 0]
    results = []
    for n in range(1, n_hits + 1):
        hit = scorer.hits[n - 1]
        share = support(sentence, " ".join((hit.title, *hit.heading_path, hit.text)),
                        scorer.q_terms)
        found, anchor = [], None
        for fact in facts:
            for unit in sorted((u for u in about if u.hit == n - 1), key=lambda u: -u.subject):
                if found_in(fact, fact_values(extract_facts(unit.text)), fold(unit.text.lower())):
                    found.append(fact)
                    anchor = anchor or unit
                    break
        ok = share >= threshold and len(found) == len(facts)
        results.append((ok, n in cited, len(found), share, n, found, anchor))
    if not results:
        return SentenceCheck(sentence, False, facts_missing=[f.text for f in facts])
    ok, _, _, share, n, found, anchor = max(results, key=lambda r: r[:4] + (-r[4],))
    if anchor is None:
        words = terms_of(sentence) | scorer.q_terms
        mine = [u for u in scorer.units if u.hit == n - 1]
        anchor = max(mine, key=lambda u: (len(words & u.terms), u.subject), default=None)
    return SentenceCheck(
        text=sentence, supported=ok, cited=[n] if share >= threshold else [],
        facts_found=[f.text for f in found],
        facts_missing=[f.text for f in facts if f not in found], support=share, anchor=anchor)


def verify(answer: str, hits: list[Hit], *, question: str = "",
           threshold: float = SUPPORT_THRESHOLD) -> Verification:
    """Check every sentence against the excerpts; an answer with no supported sentence is refused.

    ``question`` lets the check ignore facts the answer only repeats from it and find the
    excerpt units about its subject; without it every unit counts as about the subject."""
    if is_refusal(answer) or not hits:
        return Verification(text=REFUSAL, refused=True)
    sentences = split_sentences(answer)
    scorer = Scorer(question, hits)
    attributed: dict[int, list[str]] = {}
    out, unsupported, checks = [], [], []
    for i, raw in enumerate(sentences):
        cited = {int(n) for group in _MARKER.findall(raw) for n in re.split(r"[,;]", group)}
        sentence = _MARKER.sub("", raw).strip()
        if not analyze(sentence):
            out.append(sentence)
            checks.append(SentenceCheck(text="", supported=True))
            continue
        check = check_sentence(sentence, question, scorer, len(hits), cited=cited,
                               threshold=threshold)
        checks.append(check)
        if not check.supported:
            unsupported.append(i)
        for n in check.cited:
            attributed.setdefault(n, []).append(sentence)
        out.append(_attach(sentence, check.cited) if check.cited else sentence)
    checked = [c for c in checks if c.text]
    if not checked or not any(c.supported for c in checked):
        return Verification(text=REFUSAL, refused=True, sentences=sentences,
                            unsupported=unsupported, checks=checks)
    citations = [
        Citation(n=n, source=hits[n - 1].path, page=hits[n - 1].page,
                 quote=best_quote(hits[n - 1].text, attributed[n]), chunk_id=hits[n - 1].chunk_id)
        for n in sorted(attributed)
    ]
    return Verification(text=" ".join(out), refused=False, sentences=sentences,
                        unsupported=unsupported, citations=citations, checks=checks)


def answer_window(question: str, answer: str, hits: list[Hit]) -> str:
    """The excerpt passage the answer draws on: the sentence holding most of the answer's own
    words (those it did not take from the question), with its neighbours.

    A small model asked about something the excerpts do not say still writes a fluent sentence
    from them; what gives it away is that the passage it drew on is not about the question."""
    asked = terms_of(question)
    own = terms_of(_MARKER.sub("", answer)) - asked
    best, window = (-1.0, -1.0), ""
    for hit in hits:
        sentences = [hit.text[a:b] for a, b in units(hit.text)]
        for i, sentence in enumerate(sentences):
            share = len(own & terms_of(sentence)) / len(own) if own else 0.0
            around = " ".join(sentences[max(0, i - 1): i + 2])
            coverage = len(asked & terms_of(around)) / len(asked) if asked else 0.0
            if (share, coverage) > best:
                best, window = (share, coverage), around
    return window


def _attach(sentence: str, numbers: list[int]) -> str:
    marks = "".join(f"[{n}]" for n in numbers)
    if sentence and sentence[-1] in ".!?…":
        return f"{sentence[:-1].rstrip()} {marks}{sentence[-1]}"
    return f"{sentence} {marks}"
