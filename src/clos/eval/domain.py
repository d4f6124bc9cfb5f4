"""`clos eval answers --qa FILE`: a domain set asked end to end over its real folders.

The folders are ingested once through the real pipeline (read → govern → index → embed) into a
data folder under ``cache_dir/eval`` named by the set and a digest of the files, the indexing
settings and the code of the stages that shape the index: a second run reuses it, a change of
reader or chunker rebuilds it. Vectors come from the on-disk embedding cache.

Each question is asked as a user would (``Clos.ask``); the answer is scored (right answer in the
answer or its key passage, right file and page cited, refusals, « Réponse vérifiée » on a wrong
answer) and followed through the funnel of ``clos.eval.funnel``. The hits and excerpts come from
``Answer.trace`` when the pipeline fills it, else from the retriever and the prompt selection
called directly (same functions, same settings: deterministic).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from clos.eval.funnel import STAGES, auroc, aurc, funnel, risk_coverage, sample_curve
from clos.eval.metrics import contains, percentile
from clos.eval.qa import QAQuestion, QASet
from clos.settings import Settings
from clos.types import Answer, Hit

COLLECTION = "eval-qa"
# Stages whose code decides what the index holds: a change in them rebuilds the cached index.
INDEX_PACKAGES = ("ingest", "govern", "store", "retrieve")
INDEX_SETTINGS = ("embedder", "chunk_tokens", "chunk_max_tokens", "dense_windows", "pii_policy",
                  "store_backend", "boilerplate_min_documents")


@dataclass
class QARecord:
    id: str
    question: str
    answerable: bool
    hard_negative: bool
    type: str
    gold: list[str]
    file: str | None
    page: int | None
    answer: str = ""
    refused: bool = False
    verified: bool = False
    key_passage: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    correct: bool = False  # answerable, answered, gold in the answer or the key passage
    file_cited: bool = False
    page_cited: bool = False
    stages: dict[str, bool | None] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)
    refusal_reason: str | None = None
    rule: str = ""  # the decision's rule (clos.answer.decide): answer, silent, unsupported…
    raw_output: str = ""  # the model's text before the check
    model_called: bool = True  # False: refused (or answered extractively) without the LLM
    ttft_s: float = 0.0
    total_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def wrong(self) -> bool:
        """Answered, and not with the right answer (any answer to an unanswerable question)."""
        return not self.refused and not self.correct


@dataclass
class QAResult:
    dataset: str
    model: str
    metrics: dict[str, Any]
    funnel: list[dict[str, Any]]
    auroc: dict[str, float | None]
    signal: str | None
    curve: list[dict[str, float]]
    records: list[QARecord] = field(default_factory=list)
    index: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, per_question: bool = True) -> dict[str, Any]:
        data = {"dataset": self.dataset, "model": self.model, "metrics": self.metrics,
                "funnel": self.funnel, "auroc": self.auroc, "signal": self.signal,
                "risk_coverage": self.curve, "index": self.index}
        if per_question:
            data["records"] = [asdict(r) for r in self.records]
        return data


# ------------------------------------------------------------------------------ the index
def index_key(qaset: QASet, settings: Settings) -> str:
    """Digest of what the cached index depends on: the files (path, size, mtime), the indexing
    settings and the source of the stages that build the index."""
    import clos

    h = hashlib.sha256()
    for folder in sorted(qaset.folder_paths()):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            st = path.stat()
            h.update(f"{path.relative_to(qaset.root)}:{st.st_size}:{int(st.st_mtime)}\n".encode())
    h.update(json.dumps({k: str(getattr(settings, k, "")) for k in INDEX_SETTINGS}).encode())
    src = Path(clos.__file__).parent
    for package in INDEX_PACKAGES:
        for path in sorted((src / package).rglob("*.py")):
            h.update(path.read_bytes())
    h.update(clos.__version__.encode())
    return h.hexdigest()[:16]


def open_indexed(qaset: QASet, settings: Settings, data_dir: Path | None = None,
                 progress=None):
    """A Clos over the set's folders, indexed (once) in ``data_dir`` or the cached eval folder.
    Returns (clos, info); the caller closes clos."""
    from clos.pipeline import Clos

    key = index_key(qaset, settings)
    folder = Path(data_dir) if data_dir else Path(settings.cache_dir) / "eval" / f"{qaset.name}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    clos = Clos(settings.replace(data_dir=folder, embedding_cache=True))
    marker = folder / "indexed.json"
    done = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    info = {"data_dir": str(folder), "key": key, "cached": done.get("key") == key}
    if not info["cached"]:  # new, or files/settings/code changed: ingestion is incremental
        report = clos.ingest(qaset.folder_paths(), collection=COLLECTION, progress=progress)
        done = {"key": key, "files": report.files_seen, "indexed": report.indexed,
                "skipped": report.skipped, "excluded": report.excluded, "failed": report.failed,
                "chunks": report.chunks, "seconds": round(report.duration_s, 1),
                "errors": report.errors}
        marker.write_text(json.dumps(done, ensure_ascii=False, default=str), encoding="utf-8")
    info.update({k: v for k, v in done.items() if k != "key"})
    cid = clos.store.collection_id(COLLECTION, create=False)
    info["documents"] = len(clos.store.document_hashes(cid)) if cid is not None else 0
    info["chunks_total"] = clos.store.chunk_count(cid) if cid is not None else 0
    return clos, info


# ------------------------------------------------------------------------------- scoring
def _same_file(path: str | None, qaset: QASet, q: QAQuestion) -> bool:
    return bool(path) and Path(path).resolve() == (qaset.root / q.file).resolve()


def _on_page(page: int | None, page_end: int | None, q: QAQuestion) -> bool:
    if q.page is None or page is None:  # Markdown: no page
        return True
    return page <= q.page <= (page_end or page)


def holds_gold(path: str | None, page: int | None, page_end: int | None, text: str,
               qaset: QASet, q: QAQuestion) -> bool:
    """The passage is the gold one: the gold file, a page range covering the gold page, and a
    gold string in its text."""
    return _same_file(path, qaset, q) and _on_page(page, page_end, q) and contains(text, q.answers)


def stages_of(qaset: QASet, q: QAQuestion, answer: Answer, hits: list[Hit],
              excerpts: list[dict[str, Any]], top_k: int, read_ok: bool | None) -> dict:
    """The funnel stages of one answerable question (see ``clos.eval.funnel.STAGES``)."""
    gold = [h for h in hits if holds_gold(h.path, h.page, h.page_end, h.text, qaset, q)]
    top_ids = {h.chunk_id for h in hits[:top_k]}
    texts = {h.chunk_id: h.text for h in hits}
    cited = any(_same_file(c.source, qaset, q) and _on_page(c.page, None, q)
                and contains(texts.get(c.chunk_id, c.quote), q.answers)
                for c in answer.citations)
    if answer.key_passage is not None:
        kp = answer.key_passage
        cited = cited or (_same_file(kp.source, qaset, q) and _on_page(kp.page, None, q)
                          and contains(kp.quote, q.answers))
    return {
        "read": read_ok,
        "pool": bool(gold),
        "top": any(h.chunk_id in top_ids for h in gold),
        # Extractive answers have no prompt: the stage does not apply (None), it loses nothing.
        "prompt": None if answer.mode == "extractif" else any(
            holds_gold(e.get("path"), e.get("page"), e.get("page_end"), e.get("text") or "",
                       qaset, q) for e in excerpts),
        "answer": is_correct(answer, q),
        "cited": cited,
    }


def is_correct(answer: Answer, q: QAQuestion) -> bool:
    from clos.eval.answers import strip_markers

    if answer.refused or not q.answerable:
        return False
    kp = answer.key_passage.quote if answer.key_passage is not None else ""
    return contains(strip_markers(answer.answer), q.answers) or bool(kp and contains(kp, q.answers))


def shown_verified(answer: Answer) -> bool:
    """Whether the answer is presented as checked: ``Answer.verified`` once the pipeline decides
    it (it then fills ``Answer.trace`` too); before that, an answer with no sentence flagged
    unsupported, which the terminal printed under « Réponse vérifiée » (issue 16's measure)."""
    if answer.refused:
        return False
    if answer.verified or answer.trace is not None:
        return bool(answer.verified)
    return not answer.unsupported


def signals_of(answer: Answer, hits: list[Hit], top_k: int) -> dict[str, float]:
    """Confidence signals: the pipeline's own (``trace.decision["signals"]``), then the best
    lexical relevance and cosine among the first ``top_k`` hits."""
    out: dict[str, float] = {}
    decision = answer.trace.decision if answer.trace is not None else {}
    for name, value in (decision.get("signals") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"decision.{name}"] = float(value)
    top = hits[:top_k]
    out["relevance_max"] = max((h.relevance for h in top), default=0.0)
    sims = [h.similarity for h in top if h.similarity is not None]
    if sims:
        out["similarity_max"] = max(sims)
    if answer.grounding is not None:
        out["grounding"] = float(answer.grounding)
    return out


def summarize(records: list[QARecord]) -> dict[str, Any]:
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    hard = [r for r in unanswerable if r.hard_negative]
    answered = [r for r in records if not r.refused]
    generated = [r for r in records if r.completion_tokens]

    def share(rows, pred):
        return sum(1 for r in rows if pred(r)) / len(rows) if rows else 0.0

    wrong_verified = [r for r in records if r.wrong and r.verified]
    return {
        "questions": len(records), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "answer_correct": share(answerable, lambda r: r.correct),
        "file_cited": share(answerable, lambda r: r.file_cited),
        "page_cited": share(answerable, lambda r: r.page_cited),
        "refusal_answerable": share(answerable, lambda r: r.refused),
        "refusal_unanswerable": share(unanswerable, lambda r: r.refused),
        "refusal_hard_negative": share(hard, lambda r: r.refused),
        # Refusals decided before any model call (relevance gate), of the answerable questions.
        "refusal_answerable_no_model": share(answerable, lambda r: r.refused and not r.model_called),
        "wrong_answers": share(records, lambda r: r.wrong),
        "wrong_verified": len(wrong_verified) / len(records) if records else 0.0,
        "wrong_verified_of_answers": len(wrong_verified) / len(answered) if answered else 0.0,
        "verified_answers": share(answered, lambda r: r.verified),
        "ttft_p50_s": percentile([r.ttft_s for r in generated], 50),
        "ttft_p95_s": percentile([r.ttft_s for r in generated], 95),
        "seconds": sum(r.total_s for r in records) / len(records) if records else 0.0,
        "prompt_tokens": (sum(r.prompt_tokens for r in generated) / len(generated)
                          if generated else 0.0),
    }


def refusal_quality(records: list[QARecord]) -> tuple[dict[str, float | None], str | None, list]:
    """AUROC of every confidence signal (answerable vs unanswerable) and the risk–coverage curve
    of the preferred one: the pipeline's ``decision.confidence`` when present, else its first
    decision signal, else the best cosine, else the best lexical relevance. A covered question
    is an error unless it is answerable and its answer holds the gold (a refused answerable
    question has no answer to judge: it counts as an error when covered)."""
    names = sorted({n for r in records for n in r.signals})
    scores = {n: auroc([r.signals.get(n, 0.0) for r in records if r.answerable],
                       [r.signals.get(n, 0.0) for r in records if not r.answerable]) for n in names}
    decision = [n for n in names if n.startswith("decision.")]
    preferred = ("decision.confidence" if "decision.confidence" in names else
                 decision[0] if decision else
                 "similarity_max" if "similarity_max" in names else
                 "relevance_max" if "relevance_max" in names else None)
    curve = []
    if preferred:
        curve = risk_coverage([r.signals.get(preferred, 0.0) for r in records],
                              [not r.correct for r in records])
    return scores, preferred, curve


# -------------------------------------------------------------------------------- runner
def run_qa(
    qaset: QASet, settings: Settings, *, model: str | None = None, data_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None, replay: bool = False,
) -> QAResult:
    """Index the set's folders (cached), ask every question, score and trace it.

    ``replay``: the model's generations are kept and replayed by prompt digest
    (``clos.llm.replay``), so a change after the model is re-scored without generating again."""
    from clos.eval.qa import reader_pages

    clos, info = open_indexed(qaset, settings.replace(generation_cache=replay), data_dir)
    s = clos.settings
    records: list[QARecord] = []
    model_name = model or settings.model
    try:
        for i, q in enumerate(qaset.questions):
            answer = clos.ask(q.question, collection=COLLECTION, model=model, meter=False, log=False)
            if not answer.refused:
                model_name = answer.model
            hits, excerpts = trace_or_replay(clos, answer, q.question, COLLECTION)
            record = QARecord(
                id=q.id, question=q.question, answerable=q.answerable,
                hard_negative=q.hard_negative, type=q.type, gold=q.answers, file=q.file,
                page=q.page, answer=answer.answer, refused=answer.refused,
                verified=shown_verified(answer),
                key_passage=answer.key_passage.quote if answer.key_passage else None,
                citations=[{"source": c.source, "page": c.page, "chunk_id": c.chunk_id}
                           for c in answer.citations],
                refusal_reason=answer.refusal_reason,
                rule=(answer.trace.decision or {}).get("rule", "") if answer.trace else "",
                raw_output=answer.trace.raw_output or "" if answer.trace else "",
                model_called=answer.usage.prompt_tokens > 0,
                ttft_s=answer.timings.ttft_s,
                total_s=answer.timings.total_s, prompt_tokens=answer.usage.prompt_tokens,
                completion_tokens=answer.usage.completion_tokens,
                signals=signals_of(answer, hits, s.top_k),
            )
            if q.answerable:
                read_ok = any(contains(t, q.answers) for n, t in
                              reader_pages(str(qaset.root / q.file)).items()
                              if q.page is None or n == q.page)
                record.stages = stages_of(qaset, q, answer, hits, excerpts, s.top_k, read_ok)
                record.correct = bool(record.stages["answer"])
                sources = [(c.source, c.page) for c in answer.citations]
                if answer.key_passage is not None and not answer.refused:
                    sources.append((answer.key_passage.source, answer.key_passage.page))
                record.file_cited = any(_same_file(src, qaset, q) for src, _ in sources)
                record.page_cited = any(_same_file(src, qaset, q) and _on_page(p, None, q)
                                        for src, p in sources)
            records.append(record)
            if progress:
                progress(i + 1, len(qaset.questions))
    finally:
        clos.close()
    scores, preferred, curve = refusal_quality(records)
    metrics = summarize(records)
    metrics["auroc"] = scores.get(preferred) if preferred else None
    metrics["aurc"] = aurc(curve) if curve else None
    rows = [r.stages for r in records if r.answerable]
    return QAResult(dataset=qaset.name, model=model_name, metrics=metrics,
                    funnel=funnel(rows, STAGES), auroc=scores, signal=preferred,
                    curve=sample_curve(curve), records=records, index=info)


def trace_or_replay(clos, answer: Answer, question: str, collection: str):
    """(hits, excerpts) of one answer: from its trace when filled, else replayed through the
    retriever and the prompt selection with the pipeline's settings (both deterministic)."""
    from clos.answer.prompts import select_excerpts

    s = clos.settings
    trace = answer.trace
    if trace is not None and trace.hits:
        ids = [h["chunk_id"] for h in trace.hits]
        by_id = {h.chunk_id: h for h in clos.store.hits(ids)}
        hits = [replace(by_id[h["chunk_id"]], relevance=h.get("relevance") or 0.0,
                        similarity=h.get("similarity"), score=h.get("score") or 0.0)
                for h in trace.hits if h["chunk_id"] in by_id]
        return hits, list(trace.excerpts)
    hits = clos.retrieve(question, collection=collection)
    chosen = select_excerpts(hits, budget=s.context_token_budget, k=s.top_k, question=question)
    excerpts = [{"chunk_id": h.chunk_id, "path": h.path, "page": h.page, "page_end": h.page_end,
                 "text": h.text} for h in chosen]
    return hits, excerpts
