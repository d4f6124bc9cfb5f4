"""Answers and their traces shaped for the templates (pure functions over stored payloads)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clos.sentences import split_sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def _cite(c: dict[str, Any], answer_id: Any) -> dict[str, Any]:
    return {"n": c.get("n"), "name": Path(c.get("source") or "").name or c.get("source"),
            "page": c.get("page"), "quote": c.get("quote") or "",
            "href": f"/source/{answer_id}/{c.get('n')}"}


def answer_view(a: dict[str, Any]) -> dict[str, Any]:
    """``{"id", "question", "status": verified|partial|refused, "sentences": [{"text",
    "unsupported", "cites": [n]}], "citations", "key", "closest", "impact_line", ...}``."""
    from clos.impact import impact_line

    unsupported = set(a.get("unsupported") or [])
    refused = bool(a.get("refused"))
    sentences = []
    if not refused:
        for i, s in enumerate(split_sentences(a.get("answer") or "")):
            cites = [int(n) for g in MARKER.findall(s) for n in re.split(r"[,;]", g)]
            sentences.append({"text": MARKER.sub("", s).strip(), "unsupported": i in unsupported,
                              "cites": cites})
    status = "refused" if refused else ("partial" if unsupported else "verified")
    impact = a.get("impact")
    key = a.get("key_passage")
    return {
        "id": a.get("id"), "question": a.get("question", ""), "answer": a.get("answer", ""),
        "collection": a.get("collection"), "refused": refused, "status": status,
        "reason": a.get("refusal_reason"), "sentences": sentences,
        "citations": [_cite(c, a.get("id")) for c in a.get("citations") or []],
        "key": {**_cite({**key, "n": 0}, a.get("id"))} if key else None,
        "closest": [_cite(c, a.get("id")) for c in a.get("closest") or []],
        "warnings": a.get("warnings") or [], "model": a.get("model"),
        "impact_line": impact_line(impact) if impact else None,
        "usage": a.get("usage") or {}, "timings": a.get("timings") or {},
        "mode": a.get("mode"), "has_trace": bool(a.get("trace")),
    }


# The decision's signals in words a workshop audience reads (``answer.decide.Signals``), and the
# threshold each is held against (``answer.decide.Thresholds``).
SIGNAL_LABELS = {
    "coverage": "Part de la question couverte par les passages",
    "similarity": "Proximité de sens avec le meilleur passage",
    "subject": "Le passage clé parle-t-il du sujet",
    "has_kind": "Le passage clé contient le type de fait demandé",
    "model_refused": "Le modèle a refusé",
    "supported_share": "Part des phrases étayées",
    "verified": "Toutes les phrases vérifiées",
    "grounding": "Proximité de sens entre la réponse et les extraits",
    "gives_asked_fact": "La réponse donne le fait demandé",
    "absent_names": "Noms de la question absents des documents",
    "key_coverage": "Part de la question dans le passage d'où vient le passage clé",
    "key_lacks": "Mots de la question absents de ce passage",
    "confidence": "Confiance retenue pour classer les réponses",
    "question": "Question",
}
SIGNAL_THRESHOLDS = {"coverage": "min_relevance", "similarity": "min_similarity",
                     "grounding": "min_grounding", "subject": "extractive_min_subject",
                     "key_coverage": "min_key_coverage"}


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}".replace(".", ",")
    return str(value)


def trace_view(a: dict[str, Any]) -> dict[str, Any] | None:
    """The trace (``AnswerTrace.to_dict()``) with figures formatted the French way, or None."""
    tr = a.get("trace")
    if not tr:
        return None
    hits = [{**h, "name": Path(h.get("path") or "").name or h.get("title"),
             "lexical": _num(h.get("lexical_score")), "dense": _num(h.get("dense_score")),
             "fused": _num(h.get("score")), "relevance": _num(h.get("relevance"), 2)}
            for h in tr.get("hits") or []]
    excerpts = [{**e, "name": Path(e.get("path") or "").name} for e in tr.get("excerpts") or []]
    decision = tr.get("decision") or {}
    return {
        "terms": tr.get("terms") or [], "hits": hits, "excerpts": excerpts,
        "prompt": tr.get("prompt") or {}, "raw": tr.get("raw_output") or "",
        "sentences": tr.get("sentences") or [], "decision": decision,
        "signals": {f"{SIGNAL_LABELS.get(k, k)} ({k})": {
            "value": _num(v),
            "threshold": _num((decision.get("thresholds") or {}).get(SIGNAL_THRESHOLDS.get(k)))}
            for k, v in (decision.get("signals") or {}).items()},
    }
