"""From the retrieved hits to the Answer: excerpts, prompt, model, check, key passage, decision,
trace. ``Clos._answer`` retrieves and calls ``compose``; nothing here touches the store.

    compose(question, hits, settings=…, mode="generatif" | "extractif", load_model=…,
            similarity=…, idf=…, on_token=…) → Answer (with ``trace``)

Generative mode: the model answers from fenced excerpts; each sentence is checked
(``verify``); the key passage is the unit holding the checked facts. Extractive mode: no model;
the answer is the key passage itself (the unit of the first hits that best matches the question),
so nothing can be invented and it costs retrieval only.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Callable

from clos.answer import decide as D
from clos.answer.facts import answer_kinds, asking_words, expected_kinds
from clos.answer.injection import REMOVED, held_back, neutralise
from clos.answer.passages import (Scorer, closest, first_units, is_heading, key_passage,
                                  terms_of)
from clos.answer.prompts import FENCE_CLOSE, FENCE_OPEN, REFUSAL, build_prompt, select_excerpts
from clos.answer.verify import Verification, answer_window, verify
from clos.retrieve.analyzer import analyze
from clos.retrieve.dense import DENSE_FALLBACK_WARNING
from clos.types import Answer, AnswerTrace, Citation, Hit, Timings, Usage

MODES = ("generatif", "extractif")
SUSPICIOUS = ("Attention : un passage de « {name} »{page} s'adresse à l'assistant comme une "
              "consigne ; il a été écarté des extraits.")


@dataclass
class Context:
    """What ``compose`` needs from the pipeline, without the pipeline."""

    settings: object
    load_model: Callable[[], object]  # → an LLM (clos.llm.protocol), loaded on first use
    # texts → cosines to the question (None: no embedder): grounding and dense signals.
    similarity: Callable[[list[str]], list[float]] | None = None
    idf: dict[str, float] = field(default_factory=dict)
    idf_plain: dict[str, float] = field(default_factory=dict)  # decide.idf_weights(paraphrase=False)
    absent_names: list[str] = field(default_factory=list)  # decide.absent_names
    refuse_absent_names: bool = False  # settings.refuse_absent_names
    retrieval_s: float = 0.0
    started: float = 0.0
    # How the hits were found, for the trace: {"mode": "hybride" | "lexicale", "fallback": None
    # or why the dense side failed (the answer then says the search was lexical only)}.
    retrieval: dict = field(default_factory=dict)


def compose(question: str, hits: list[Hit], ctx: Context, *, mode: str,
            model_name: str, on_token=None) -> Answer:
    """The answer to ``question`` from ``hits`` (best first), refused when the documents are
    silent (``decide``). Raises ValueError for an unknown ``mode``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    s = ctx.settings
    started = ctx.started or time.perf_counter()
    stored = {h.chunk_id: h for h in hits}  # uncut: their page_starts index this text
    hits, removed = neutralise(hits)
    trace = AnswerTrace(terms=list(dict.fromkeys(analyze(question))))
    top = hits[: s.top_k]
    sims = [h.similarity for h in top if h.similarity is not None]
    signals = D.Signals(coverage=round(D.coverage(question, top, ctx.idf), 4),
                        similarity=round(max(sims), 4) if sims else None,
                        absent_names=list(ctx.absent_names), question=question)
    thresholds = D.Thresholds.from_settings(s)
    expected = expected_kinds(question)

    def finish(answer: Answer, decision: D.Decision, excerpts: list[Hit]) -> Answer:
        answer.mode = mode
        answer.refused = decision.refused
        answer.timings.retrieval_s = ctx.retrieval_s
        answer.timings.total_s = time.perf_counter() - started
        if decision.refused:
            answer.answer, answer.citations, answer.key_passage = REFUSAL, [], None
            answer.verified, answer.refusal_reason = False, decision.reason
            answer.closest = closest(question, hits)
        for c in [answer.key_passage, *answer.citations, *answer.closest]:
            if c is not None and c.chunk_id in stored:  # the page the quote is on
                c.page = stored[c.chunk_id].page_for(c.quote.split(" […] ")[0].strip("…"))
        trace.hits = _trace_hits(hits, {h.chunk_id for h in excerpts})
        trace.decision = decision.to_dict()
        trace.decision["suspicious_passages"] = removed
        trace.retrieval = dict(ctx.retrieval)
        answer.trace = trace
        answer.warnings += _suspicious_warnings(removed, hits[: max(s.top_k, len(excerpts))])
        if ctx.retrieval.get("fallback"):
            answer.warnings.append(DENSE_FALLBACK_WARNING)
        return answer

    empty = Answer(question=question, answer=REFUSAL, refused=True, citations=[],
                   model=model_name, usage=Usage(), timings=Timings())
    if mode == "extractif":
        return _extractive(question, top, ctx, signals, thresholds, expected, empty, finish)
    # The extractive view of the first hits, uncut (as in extractive mode): recorded, and the
    # answer when the model's fails. Over the cut excerpts it lost the row the cutting left out.
    # The same ranking anchors the cutting of each excerpt (one Scorer for both).
    scorer = Scorer(question, top)
    ranked = scorer.rank()
    unit = ranked[0] if ranked else None
    key = scorer.citation(unit) if unit is not None else None
    excerpts = select_excerpts(hits, budget=s.context_token_budget, k=s.top_k, question=question,
                               anchors=first_units(ranked))
    if unit is not None:
        _key_signals(signals, question, unit, stored.get(top[unit.hit].chunk_id, top[unit.hit]),
                     expected, ctx)
    before = D.decide_before_model(signals, thresholds, absent=ctx.refuse_absent_names)
    if before.refused or not excerpts:
        return finish(empty, before, [])
    trace.excerpts = _trace_excerpts(excerpts, hits)
    llm = ctx.load_model()
    template = getattr(getattr(llm, "spec", None), "template", "chatml")
    prompt = build_prompt(question, excerpts, today=date.today(), template=template)
    trace.prompt = {"system": prompt.system, "user": prompt.user,
                    **({"completion": prompt.completion} if prompt.completion else {})}
    stream, flush = _unfenced(on_token) if on_token is not None else (None, None)
    gen = llm.generate(prompt, max_tokens=s.max_tokens, temperature=s.temperature,
                       on_token=stream)
    if flush is not None:
        flush()
    trace.raw_output = gen.text
    checked = verify(_unscaffold(gen.text), excerpts, question=question)
    trace.sentences = [c.to_dict() for c in checked.checks if c.text]
    scored = [c for c in checked.checks if c.text]
    signals.model_refused = checked.refused and not checked.checks
    signals.supported_share = (sum(c.supported for c in scored) / len(scored)) if scored else 0.0
    signals.verified = checked.verified
    if not checked.refused and ctx.similarity is not None and s.min_grounding > 0:
        window = answer_window(question, gen.text, excerpts)
        signals.grounding = round(float(ctx.similarity([window])[0]), 4) if window else 0.0
    decision = D.decide_after_model(signals, thresholds,
                                    held=None if checked.refused else held_back(gen.text, question))
    usage = Usage(gen.prompt_tokens, gen.completion_tokens)
    timings = Timings(ttft_s=ctx.retrieval_s + gen.ttft_s)
    if decision.refused and s.extractive_fallback and decision.rule in D.FALLBACK_RULES:
        # The model's text failed the check, yet a sentence of the documents answers the
        # question: show that sentence (« À vérifier »), never the unchecked text.
        fallback = D.decide_extractive(signals, expected, thresholds,
                                       absent=ctx.refuse_absent_names, fallback=True)
        if not fallback.refused and key is not None:
            answer = _quoted(question, key, model=getattr(llm, "name", model_name),
                             usage=usage, timings=timings)
            answer.warnings.append(D.FALLBACK_NOTE.format(why=decision.reason))
            return finish(answer, fallback, excerpts)
    answer = Answer(
        question=question, answer=checked.text, refused=decision.refused,
        citations=checked.citations, model=getattr(llm, "name", model_name),
        usage=usage, timings=timings,
        unsupported=checked.unsupported, grounding=signals.grounding,
        verified=checked.verified and not decision.refused,
    )
    if not decision.refused:
        gives = _gives_asked_fact(checked, expected, question)
        # An answer that does not give what was asked (no amount for « quel montant ») is not
        # « vérifiée », however true its sentences: the key passage is then the document's
        # sentence that best answers the question itself, shown first for the agent to judge.
        answer.verified = answer.verified and gives
        answer.key_passage = _key_of(question, checked, excerpts) if gives else key
        if not gives:
            answer.warnings.append(ASKED_FACT_MISSING)
        signals.gives_asked_fact = gives
        kp = answer.key_passage
        if kp is not None and kp.chunk_id in stored:
            share, lacks = D.key_coverage(question, stored[kp.chunk_id], ctx.idf_plain,
                                          answered=_answered(question, gives))
            # The passage the answer stands on must speak of what the question asks
            # (« passeport » nowhere near it: true sentences, perhaps, but not an answer).
            uncovered = D.key_uncovered(replace(signals, key_coverage=round(share, 4),
                                                key_lacks=lacks), thresholds)
            if uncovered is not None:
                return finish(answer, uncovered, excerpts)
    return finish(answer, decision, excerpts)


#: Cited sources at least this many years old get a warning (``freshness_warnings``).
OLD_SOURCE_YEARS = 3


def freshness_warnings(answer: Answer, excerpts: list[Hit]) -> list[str]:
    """A French warning when the newest cited source (its ``doc_date``) is ``OLD_SOURCE_YEARS``
    or more years old; none for a refusal."""
    if answer.refused:
        return []
    cited = {c.chunk_id for c in answer.citations}
    years = [int(h.doc_date[:4]) for h in excerpts if h.chunk_id in cited and h.doc_date]
    if years and date.today().year - max(years) >= OLD_SOURCE_YEARS:
        return [f"Attention : les sources citées datent de {max(years)} ; vérifiez qu'elles sont "
                "toujours en vigueur."]
    return []


ASKED_FACT_MISSING = ("À vérifier : la réponse ne donne pas le type d'information demandé "
                      "(montant, date, nombre, horaire…) ; lisez le passage clé.")


def _gives_asked_fact(checked: Verification, expected: set[str], question: str) -> bool:
    """Does a supported sentence of the answer hold a fact of a kind the question asks for (not
    one it repeats from the question)? True when the question asks for no particular kind
    (``facts.expected_kinds``)."""
    if not expected:
        return True
    return any(c.supported and answer_kinds(c.text, question) & expected
               for c in checked.checks if c.text)


def _extractive(question, top, ctx, signals, thresholds, expected, empty, finish) -> Answer:
    """The key passage of the first hits as the answer, or a refusal (``decide_extractive``)."""
    embed = ctx.similarity if getattr(ctx.settings, "extractive_dense", False) else None
    citation, unit = key_passage(question, top, embed=embed)
    if unit is not None:
        _key_signals(signals, question, unit, top[unit.hit], expected, ctx)
    decision = D.decide_extractive(signals, expected, thresholds,
                                   absent=ctx.refuse_absent_names)
    if decision.refused or citation is None:
        empty.model = "extractif"
        return finish(empty, decision, top)
    answer = _quoted(question, citation, model="extractif", usage=Usage(),
                     timings=Timings(ttft_s=ctx.retrieval_s))
    return finish(answer, decision, top)


def _quoted(question: str, citation: Citation, *, model: str, usage: Usage,
            timings: Timings) -> Answer:
    """The key passage itself as the answer (extractive mode, or the fallback after a model
    answer that failed the check): quoted verbatim, cited, never « vérifiée »."""
    return Answer(question=question, answer=citation.quote, refused=False,
                  citations=[replace(citation, n=1)], model=model, usage=usage, timings=timings,
                  key_passage=citation, verified=False)


def _key_signals(signals: D.Signals, question: str, unit, hit: Hit, expected: set[str],
                 ctx: Context) -> None:
    """The key passage's signals: its share of the question, the kind of fact it holds, its
    chunk's share of the question by plain IDF and the question's words it lacks."""
    signals.subject = round(unit.subject, 4)
    signals.has_kind = bool(unit.kinds & expected) if expected else None
    signals.key_heading = is_heading(unit.text)
    share, lacks = D.key_coverage(question, hit, ctx.idf_plain,
                                  answered=_answered(question, signals.has_kind))
    signals.key_coverage, signals.key_lacks = round(share, 4), lacks


def _answered(question: str, has_kind: bool | None) -> set[str]:
    """The question's terms that ask for the kind of fact the key passage holds, when it holds
    it (``decide.key_coverage``'s ``answered``)."""
    return terms_of(" ".join(asking_words(question))) if has_kind else set()


def _key_of(question: str, checked: Verification, excerpts: list[Hit]) -> Citation | None:
    """The unit holding the first supported sentence's facts; else the unit best matching the
    question and the answer's words among the cited excerpts."""
    scorer = Scorer(question, excerpts)
    for check in checked.checks:
        if check.supported and check.anchor is not None:
            return scorer.citation(check.anchor)
    cited = {c.n for c in checked.citations}
    hits = [h for n, h in enumerate(excerpts, 1) if n in cited] or excerpts
    return key_passage(question + " " + checked.text, hits)[0]


def _trace_hits(hits: list[Hit], in_prompt: set[int]) -> list[dict]:
    return [{"rank": rank, "chunk_id": h.chunk_id, "path": h.path, "title": h.title,
             "page": h.page, "lexical_score": _round(h.lexical_score),
             "dense_score": _round(h.dense_score), "score": _round(h.score),
             "relevance": _round(h.relevance), "similarity": _round(h.similarity),
             "in_prompt": h.chunk_id in in_prompt} for rank, h in enumerate(hits, 1)]


def _trace_excerpts(excerpts: list[Hit], hits: list[Hit]) -> list[dict]:
    full = {h.chunk_id: h.text for h in hits}
    return [{"n": n, "chunk_id": h.chunk_id, "path": h.path, "page": h.page, "text": h.text,
             "tokens": h.tokens, "cut": h.text.strip() != full.get(h.chunk_id, h.text).strip()}
            for n, h in enumerate(excerpts, 1)]


def _suspicious_warnings(removed: list[dict], shown: list[Hit]) -> list[str]:
    ids = {h.chunk_id for h in shown}
    out = []
    for r in removed:
        if r["chunk_id"] in ids:
            name = r["path"].rsplit("/", 1)[-1]
            line = SUSPICIOUS.format(name=name, page=f", page {r['page']}" if r["page"] else "")
            if line not in out:
                out.append(line)
    return out


#: An excerpt's header as the prompt writes it (« [1] (deliberation.pdf, page 2, 2014-04-24) »,
#: prompts.build_prompt), alone on its line.
_HEADER_ECHO = re.compile(r"^[ \t]*\[\d+\][ \t]*\([^()\n]*\)[ \t]*$", re.MULTILINE)


def _unscaffold(text: str) -> str:
    """The model's text without the prompt's scaffolding a small model sometimes echoes (the
    fences, the marker of a removed passage, an excerpt's header line): echoed, they are not an
    answer (gemma3-270m once answered « [1] (md_password_link_fr.md) <<< Annexe… »)."""
    text = _HEADER_ECHO.sub(" ", text)
    for mark in (REMOVED, FENCE_OPEN, FENCE_CLOSE):
        text = text.replace(mark, " ")
    return text


class Unscaffold:
    """Streamed pieces in, the same text out without the prompt's scaffolding a small model may
    echo (the fences « <<< » « >>> », the marker of a removed passage): the streamed draft shows
    what the checked answer will, whoever streams it (terminal, web page, OpenAI stream). A piece
    ending with the start of a mark (« >> ») is held until the next one tells."""

    def __init__(self, marks: tuple[str, ...] = (FENCE_OPEN, FENCE_CLOSE, REMOVED)) -> None:
        self.marks, self.held = marks, ""

    def feed(self, piece: str) -> str:
        text = self.held + piece
        for mark in self.marks:
            text = text.replace(mark, "")
        keep = max((n for mark in self.marks for n in range(1, len(mark))
                    if text.endswith(mark[:n])), default=0)
        self.held = text[len(text) - keep:] if keep else ""
        return text[:len(text) - keep]

    def flush(self) -> str:
        text, self.held = self.held, ""
        return text


def _unfenced(on_token: Callable[[str], None]) -> tuple[Callable[[str], None], Callable[[], None]]:
    """``on_token`` behind an ``Unscaffold``, and the function that flushes what it holds."""
    u = Unscaffold()

    def feed(piece: str) -> None:
        if text := u.feed(piece):
            on_token(text)

    def flush() -> None:
        if text := u.flush():
            on_token(text)

    return feed, flush


def _round(x):
    return None if x is None else round(float(x), 4)


__all__ = ["Context", "MODES", "Unscaffold", "compose"]
