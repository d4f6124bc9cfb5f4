"""Markdown tables for the terminal and the closing note, JSON files under bench/results/."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path("bench") / "results"


def fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; floats get three decimals (one above 10)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


RETRIEVAL_COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "p50_ms", "p95_ms")
ANSWER_COLUMNS = ("contains_gold", "f1", "citation_correct", "refusal_answerable",
                  "refusal_unanswerable", "prompt_tokens", "completion_tokens", "seconds",
                  "ttft_p50_s")


def metrics_table(rows: Sequence[tuple[str, dict[str, Any]]], columns: Sequence[str],
                  label: str = "jeu") -> str:
    return markdown_table([label, *columns], [(name, *(m.get(c) for c in columns))
                                              for name, m in rows])


def environment() -> dict[str, Any]:
    import os

    return {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
            "machine": platform.machine(), "cpus": os.cpu_count()}


def write_json(payload: dict[str, Any], name: str, results_dir: Path | str | None = None) -> Path:
    """Write ``payload`` (plus the environment) to ``results_dir/name`` and return the path."""
    folder = Path(results_dir) if results_dir is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    data = {"environment": environment(), **payload}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n",
                    encoding="utf-8")
    return path


QA_COLUMNS = ("answer_correct", "file_cited", "page_cited", "refusal_answerable",
              "refusal_unanswerable", "refusal_hard_negative", "wrong_answers", "wrong_verified",
              "auroc", "ttft_p50_s", "seconds")
_MARK = {True: "✓", False: "✗", None: "—"}


def funnel_table(stages: Sequence[dict[str, Any]]) -> str:
    """The funnel (``clos.eval.funnel.funnel``) as a table: each stage's share reached, its
    share on its own, and the questions lost first there."""
    return markdown_table(
        ["étape (questions avec réponse)", "atteinte", "tient seule", "perdues ici"],
        [(f["label"], f["reached"], f["held"], f["lost"]) for f in stages])


def qa_report(result: Any, *, per_question: bool = True) -> str:
    """The terminal/closing-note view of a domain run (``clos.eval.domain.QAResult``): figures,
    the funnel in total and per question, the AUROC of each confidence signal and the
    risk–coverage curve of the preferred one."""
    from clos.eval.funnel import STAGES

    m = result.metrics
    parts = [metrics_table([(f"{result.dataset} · {result.model} · n={m['questions']}", m)],
                           QA_COLUMNS)]
    parts.append(funnel_table(result.funnel))
    if per_question:
        rows = [(r.id, *(_MARK[r.stages.get(s)] for s in STAGES),
                 " ".join(r.answer.split())[:70]) for r in result.records if r.answerable]
        rows += [(r.id, *("" for _ in STAGES), ("refus ✓ " if r.refused else "réponse ✗ ")
                  + " ".join(r.answer.split())[:60]) for r in result.records if not r.answerable]
        parts.append(markdown_table(["id", *STAGES, "réponse"], rows))
    parts.append(markdown_table(["signal de confiance", "AUROC (avec / sans réponse)"],
                                [(n + (" ←" if n == result.signal else ""), v)
                                 for n, v in result.auroc.items()]))
    if result.curve:
        parts.append(markdown_table(["couverture", "risque", "seuil"],
                                    [(p["coverage"], p["risk"], p["threshold"])
                                     for p in result.curve]))
    return "\n\n".join(parts)
