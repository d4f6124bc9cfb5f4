"""Citation verification: attribute each answer sentence to the excerpt that supports it.

Small models rarely write [n] and sometimes invent; so citations are decided here, after
generation, by lexical support (content words, numbers, proper names), not by the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clos.answer.prompts import PASSAGE_BREAK, REFUSAL
from clos.retrieve.analyzer import analyze, fold
from clos.types import Citation, Hit

SUPPORT_THRESHOLD = 0.5
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZÀ-ÖØ-Þ0-9\[(])")
_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]{2,}")
_REFUSAL_CUES = (
    "pas trouve cette information", "ne contiennent pas", "ne permettent pas de repondre",
    "ne mentionnent pas", "aucune information", "pas d'information", "je ne sais pas",
    "ne precisent pas", "n'indiquent pas", "pas mentionne",
)


@dataclass
class Verification:
    text: str  # the answer with verified [n] markers
    refused: bool
    sentences: list[str] = field(default_factory=list)
    unsupported: list[int] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


def split_sentences(text: str) -> list[str]:
    """Sentences, and list items as their own claims (a small model often answers with a list
    on one line: one « sentence » mixing several facts could be quoted by only one of them)."""
    out = []
    for part in _LINE_BREAK.split(text):
        part = re.sub(r"^[-•–]\s+", "", re.sub(r"\s+", " ", part).strip())
        out += [s.strip() for s in _SENTENCE_END.split(part) if s.strip()] if part else []
    return out


def is_refusal(text: str) -> bool:
    folded = fold(text.lower()).replace("’", "'")
    return not folded.strip() or any(cue in folded for cue in _REFUSAL_CUES)


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def support(sentence: str, excerpt: str) -> float:
    """Share of the sentence's content words found in the excerpt; numbers and proper names
    missing from the excerpt weigh as heavily as the rest of the sentence together."""
    words = set(analyze(sentence))
    if not words:
        return 1.0
    excerpt_words = set(analyze(excerpt))
    score = len(words & excerpt_words) / len(words)
    specifics = _numbers(sentence) | {fold(p.lower()) for p in _PROPER.findall(sentence)}
    if specifics:
        folded_excerpt = fold(excerpt.lower())
        digits = _numbers(excerpt)
        found = sum(1 for s in specifics if s in digits or (not s.isdigit() and s in folded_excerpt))
        score = min(score, (score + found / len(specifics)) / 2)
    return score


_LINE_BREAK = re.compile(r"\n\s*(?:[-•–]\s+)?|\s+[-•–]\s+")


def best_quote(excerpt: str, sentences: list[str], limit: int = 240) -> str:
    """For each answer sentence the excerpt supports, the excerpt passage (sentence, line or
    list item) sharing most with it, as written in the excerpt so it can be found in the
    document; several passages are joined in the excerpt's order with « […] »."""
    candidates = split_sentences(excerpt)
    candidates = [c for c in candidates if analyze(c)] or [re.sub(r"\s+", " ", excerpt).strip()]
    terms = [set(analyze(c)) for c in candidates]
    numbers = [_numbers(c) for c in candidates]

    def best(target: set[str], figures: set[str] = frozenset()) -> int:
        # Shared numbers first (a figure is the fact a reader checks), then shared terms; among
        # equals, the shorter passage is the sharper quote.
        return max(range(len(candidates)), key=lambda i: (
            len(figures & numbers[i]), len(target & terms[i]), -len(candidates[i])))

    targets = [set(analyze(s)) for s in sentences]
    picks = [best(t, _numbers(s)) for t, s in zip(targets, sentences)]
    chosen = {i for i in picks if any(t & terms[i] for t in targets)}
    chosen = chosen or {best(set().union(*targets))}
    quotes = [_cut(candidates[i], limit) for i in sorted(chosen)]
    return " […] ".join(quotes)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def verify(answer: str, hits: list[Hit], *, threshold: float = SUPPORT_THRESHOLD) -> Verification:
    """Check every sentence against the excerpts; an answer with no supported sentence is refused."""
    if is_refusal(answer) or not hits:
        return Verification(text=REFUSAL, refused=True)
    sentences = split_sentences(answer)
    texts = [" ".join((h.title, *h.heading_path, h.text)) for h in hits]
    attributed: dict[int, list[str]] = {}
    out, unsupported, checked = [], [], 0
    for i, raw in enumerate(sentences):
        cited = {int(n) for group in _MARKER.findall(raw) for n in re.split(r"[,;]", group)}
        sentence = _MARKER.sub("", raw).strip()
        if not analyze(sentence):
            out.append(sentence)
            continue
        checked += 1
        scores = {n: support(sentence, texts[n - 1]) for n in range(1, len(hits) + 1)}
        # The model's own citation wins when it holds; otherwise the best-supported excerpt.
        valid_cited = [n for n in cited if n in scores and scores[n] >= threshold]
        best = max(scores, key=scores.get)
        chosen = sorted(valid_cited) or ([best] if scores[best] >= threshold else [])
        if not chosen:
            unsupported.append(i)
            out.append(sentence)
            continue
        for n in chosen:
            attributed.setdefault(n, []).append(sentence)
        out.append(_attach(sentence, chosen))
    if checked == 0 or len(unsupported) == checked:
        return Verification(text=REFUSAL, refused=True, sentences=sentences,
                            unsupported=unsupported)
    citations = [
        Citation(n=n, source=hits[n - 1].path, page=hits[n - 1].page,
                 quote=best_quote(hits[n - 1].text, attributed[n]), chunk_id=hits[n - 1].chunk_id)
        for n in sorted(attributed)
    ]
    return Verification(text=" ".join(out), refused=False, sentences=sentences,
                        unsupported=unsupported, citations=citations)


def answer_window(question: str, answer: str, hits: list[Hit]) -> str:
    """The excerpt passage the answer draws on: the sentence holding most of the answer's own
    words (those it did not take from the question), with its neighbours.

    A small model asked about something the excerpts do not say still writes a fluent sentence
    from them; what gives it away is that the passage it drew on is not about the question."""
    asked = set(analyze(question))
    own = set(analyze(_MARKER.sub("", answer))) - asked
    best, window = (-1.0, -1.0), ""
    for hit in hits:
        sentences = [s for s in PASSAGE_BREAK.split(hit.text) if s.strip()]
        for i, sentence in enumerate(sentences):
            share = len(own & set(analyze(sentence))) / len(own) if own else 0.0
            around = " ".join(sentences[max(0, i - 1): i + 2])
            coverage = len(asked & set(analyze(around))) / len(asked) if asked else 0.0
            if (share, coverage) > best:
                best, window = (share, coverage), around
    return window


def _attach(sentence: str, numbers: list[int]) -> str:
    marks = "".join(f"[{n}]" for n in numbers)
    if sentence and sentence[-1] in ".!?…":
        return f"{sentence[:-1].rstrip()} {marks}{sentence[-1]}"
    return f"{sentence} {marks}"
