"""`clos eval answers`: end-to-end answers scored against gold spans, with and without their source.

Each sampled question is asked twice: against the whole set (answerable) and against a collection
from which the sampled questions' contexts were removed (unanswerable: refusing is right there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clos.eval.datasets import EvalSet
from clos.eval.domain import trace_or_replay
from clos.eval.funnel import STAGES, funnel
from clos.eval.metrics import contains, percentile, token_f1
from clos.eval.runner import index_set, temporary_clos
from clos.settings import Settings

FULL, HOLDOUT = "eval-full", "eval-holdout"
_MARKERS = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")


@dataclass
class AnswerRecord:
    id: str
    question: str
    gold: list[str]
    answer: str
    refused: bool
    contains_gold: bool
    f1: float
    citation_correct: bool | None  # None when refused
    unsupported: list[int]
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float
    total_s: float
    refused_unanswerable: bool | None = None
    unanswerable_answer: str = ""
    # Kept to recalibrate min_grounding: the cosine measured with and without the source.
    grounding: float | None = None
    unanswerable_grounding: float | None = None
    # Where the gold passage went (clos.eval.funnel.STAGES; « read » not measured here).
    stages: dict[str, bool | None] = field(default_factory=dict)


@dataclass
class AnswersResult:
    dataset: str
    model: str
    sample: int
    seed: int
    metrics: dict[str, float]
    records: list[AnswerRecord] = field(default_factory=list)
    funnel: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, per_question: bool = True) -> dict[str, Any]:
        data = {"dataset": self.dataset, "model": self.model, "sample": self.sample,
                "seed": self.seed, "metrics": self.metrics, "funnel": self.funnel}
        if per_question:
            data["records"] = [r.__dict__ for r in self.records]
        return data


def strip_markers(text: str) -> str:
    return _MARKERS.sub("", text)


def run_answers(
    evalset: EvalSet, settings: Settings, *, sample: int = 20, model: str | None = None,
    seed: int = 42, unanswerable: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> AnswersResult:
    """Ask ``sample`` questions (reproducible with ``seed``) end to end and score the answers."""
    if sample < 1:
        raise ValueError("sample must be positive")
    questions = evalset.sample(sample, seed=seed, with_answers=True)
    removed = {q.doc_id for q in questions}
    records: list[AnswerRecord] = []
    model_name = model or settings.model
    with temporary_clos(settings) as clos:
        index_set(clos, evalset, FULL)
        if unanswerable:
            index_set(clos, evalset, HOLDOUT, [d for d in evalset.documents if d.id not in removed])
        for i, q in enumerate(questions):
            answer = clos.ask(q.question, collection=FULL, model=model, meter=False, log=False)
            if not answer.refused:
                model_name = answer.model
            text = strip_markers(answer.answer)
            hits, excerpts = trace_or_replay(clos, answer, q.question, FULL)
            cited = [h.text for h in hits if h.chunk_id in {c.chunk_id for c in answer.citations}]
            record = AnswerRecord(
                id=q.id, question=q.question, gold=q.answers, answer=answer.answer,
                refused=answer.refused,
                # Issue 16's measure: the right answer in the answer or in its key passage.
                contains_gold=not answer.refused and (contains(text, q.answers) or bool(
                    answer.key_passage and contains(answer.key_passage.quote, q.answers))),
                f1=0.0 if answer.refused else token_f1(text, q.answers),
                citation_correct=None if answer.refused else any(
                    contains(t, q.answers) for t in cited),
                unsupported=answer.unsupported,
                prompt_tokens=answer.usage.prompt_tokens,
                completion_tokens=answer.usage.completion_tokens,
                ttft_s=answer.timings.ttft_s, total_s=answer.timings.total_s,
                grounding=answer.grounding,
            )
            record.stages = squad_stages(f"{evalset.name}/{q.doc_id}", q.answers, hits, excerpts,
                                         clos.settings.top_k, record)
            if unanswerable:
                other = clos.ask(q.question, collection=HOLDOUT, model=model, meter=False, log=False)
                record.refused_unanswerable = other.refused
                record.unanswerable_answer = other.answer
                record.unanswerable_grounding = other.grounding
            records.append(record)
            if progress:
                progress(i + 1, len(questions))
    return AnswersResult(dataset=evalset.name, model=model_name, sample=len(questions), seed=seed,
                         metrics=summarize(records), records=records,
                         funnel=funnel([r.stages for r in records], STAGES[1:]))


def squad_stages(gold_path: str, spans: list[str], hits, excerpts, top_k: int,
                 record: AnswerRecord) -> dict[str, bool | None]:
    """The funnel of one SQuAD question: its context's chunk holding a gold span among the
    candidates, in the first ``top_k``, in the prompt; then the answer and a right citation."""
    gold = [h for h in hits if h.path == gold_path and contains(h.text, spans)]
    top = {h.chunk_id for h in hits[:top_k]}
    return {
        "read": None, "pool": bool(gold), "top": any(h.chunk_id in top for h in gold),
        "prompt": any(e.get("path") == gold_path and contains(e.get("text") or "", spans)
                      for e in excerpts),
        "answer": record.contains_gold, "cited": bool(record.citation_correct),
    }


def summarize(records: list[AnswerRecord]) -> dict[str, float]:
    n = len(records) or 1
    answered = [r for r in records if not r.refused]
    unanswerable = [r for r in records if r.refused_unanswerable is not None]
    generated = [r for r in records if r.completion_tokens]
    return {
        "questions": len(records),
        "contains_gold": sum(r.contains_gold for r in records) / n,
        "f1": sum(r.f1 for r in records) / n,
        "citation_correct": (sum(bool(r.citation_correct) for r in answered) / len(answered)
                             if answered else 0.0),
        "refusal_answerable": sum(r.refused for r in records) / n,
        "refusal_unanswerable": (sum(bool(r.refused_unanswerable) for r in unanswerable)
                                 / len(unanswerable) if unanswerable else 0.0),
        "unsupported_sentences": sum(len(r.unsupported) for r in answered) / (len(answered) or 1),
        "prompt_tokens": sum(r.prompt_tokens for r in generated) / (len(generated) or 1),
        "completion_tokens": sum(r.completion_tokens for r in generated) / (len(generated) or 1),
        "seconds": sum(r.total_s for r in records) / n,
        "ttft_p50_s": percentile([r.ttft_s for r in generated], 50),
        "ttft_p95_s": percentile([r.ttft_s for r in generated], 95),
    }


