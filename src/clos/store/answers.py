"""How an Answer is written to and read from the ``answers`` table, the same for every backend:
the flat columns of migration 001, plus ``trace`` (AnswerTrace as JSON) and ``detail`` (key
passage, verified flag, mode, closest passages, refusal reason, warnings, grounding, impact as
one JSON object) of migration 010."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Mapping

from clos.types import Answer, AnswerTrace, Citation, Timings, Usage

#: Columns written by ``answer_values``, in order.
COLUMNS = ("collection_id", "question", "answer", "refused", "model", "prompt_tokens",
           "completion_tokens", "retrieval_s", "ttft_s", "total_s", "citations", "unsupported",
           "trace", "detail")


def answer_values(collection_id: int | None, answer: Answer) -> tuple[Any, ...]:
    """The row of ``answer`` for an INSERT over ``COLUMNS``."""
    detail = {"key_passage": asdict(answer.key_passage) if answer.key_passage else None,
              "verified": answer.verified, "mode": answer.mode,
              "closest": [asdict(c) for c in answer.closest],
              "refusal_reason": answer.refusal_reason, "warnings": answer.warnings,
              "grounding": answer.grounding, "impact": answer.impact}
    trace = json.dumps(answer.trace.to_dict(), ensure_ascii=False) if answer.trace else None
    return (collection_id, answer.question, answer.answer, int(answer.refused), answer.model,
            answer.usage.prompt_tokens, answer.usage.completion_tokens,
            answer.timings.retrieval_s, answer.timings.ttft_s, answer.timings.total_s,
            json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False),
            json.dumps(answer.unsupported), trace, json.dumps(detail, ensure_ascii=False))


def answer_from_row(r: Mapping[str, Any]) -> Answer:
    """The Answer of an ``answers`` row (a mapping by column name), with its trace."""
    detail = json.loads(r["detail"] or "{}")
    key = detail.get("key_passage")
    trace = json.loads(r["trace"]) if r["trace"] else None
    return Answer(
        question=r["question"], answer=r["answer"], refused=bool(r["refused"]),
        citations=[Citation(**c) for c in json.loads(r["citations"] or "[]")], model=r["model"],
        usage=Usage(r["prompt_tokens"], r["completion_tokens"]),
        timings=Timings(r["retrieval_s"], r["ttft_s"], r["total_s"]),
        unsupported=json.loads(r["unsupported"] or "[]"), warnings=detail.get("warnings", []),
        impact=detail.get("impact"), key_passage=Citation(**key) if key else None,
        verified=bool(detail.get("verified", False)), mode=detail.get("mode", "generatif"),
        closest=[Citation(**c) for c in detail.get("closest", [])],
        refusal_reason=detail.get("refusal_reason"),
        trace=AnswerTrace(**trace) if trace else None, grounding=detail.get("grounding"),
        id=int(r["id"]))


class AnswersSQL:
    """Reading the answers log, the same SQL on both backends (writing it: ``journal.JournalSQL``,
    mixed into each store)."""

    def answers(self, limit: int = 20) -> list[dict[str, Any]]:
        """The ``limit`` latest rows of the answers log, newest first, as dicts."""
        rows = self.conn.execute("SELECT * FROM answers ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def answer(self, answer_id: int) -> Answer | None:
        """The logged answer ``answer_id`` as an Answer, with its trace (None when unknown)."""
        row = self.conn.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if row is None else answer_from_row(row)
