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
