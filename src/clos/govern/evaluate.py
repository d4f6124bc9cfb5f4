"""Precision and recall of the personal-data detector on a labelled JSONL set.

One line per text: {"id": …, "text": …, "entities": [{"type", "start", "end"}, …]}. A prediction
counts when its type is right and it overlaps a gold entity by at least half of their union, so
"M. Dupont" against a gold "Dupont" still matches; each gold entity matches once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from clos.govern.pii import TYPES, detect


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def evaluate(path: str | Path, *, min_iou: float = 0.5) -> dict[str, Any]:
    """Per-type and overall precision/recall of ``clos.govern.pii.detect`` on ``path``."""
    lines = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    stats = {t: {"tp": 0, "fp": 0, "fn": 0} for t in TYPES}
    errors: list[dict[str, Any]] = []
    started = time.perf_counter()
    chars = 0
    for example in lines:
        text = example["text"]
        chars += len(text)
        predicted = detect(text)
        gold = [(e["type"], e["start"], e["end"]) for e in example["entities"]]
        used: set[int] = set()
        for p in predicted:
            best = max(
                (k for k, g in enumerate(gold) if k not in used and g[0] == p.type
                 and _iou((p.start, p.end), (g[1], g[2])) >= min_iou),
                key=lambda k: _iou((p.start, p.end), (gold[k][1], gold[k][2])), default=None)
            if best is None:
                stats.setdefault(p.type, {"tp": 0, "fp": 0, "fn": 0})["fp"] += 1
                errors.append({"id": example.get("id"), "kind": "fp", "type": p.type, "text": p.text})
            else:
                used.add(best)
                stats[p.type]["tp"] += 1
        for k, (type_, start, end) in enumerate(gold):
            if k not in used:
                stats[type_]["fn"] += 1
                errors.append({"id": example.get("id"), "kind": "fn", "type": type_,
                               "text": text[start:end]})
    seconds = time.perf_counter() - started
    for s in stats.values():
        s.update(_scores(s))
    total = {k: sum(s[k] for s in stats.values()) for k in ("tp", "fp", "fn")}
    total.update(_scores(total))
    return {"types": stats, "overall": total, "examples": len(lines),
            "entities": sum(len(e["entities"]) for e in lines), "seconds": round(seconds, 3),
            "chars_per_second": round(chars / seconds) if seconds else None, "errors": errors}


def _scores(s: dict[str, int]) -> dict[str, float | None]:
    p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else None
    r = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else None
    f = 2 * p * r / (p + r) if p and r else None
    return {"precision": p, "recall": r, "f1": f}


def format_table(result: dict[str, Any]) -> str:
    """The per-type table as Markdown (for the bench output and the closing note)."""
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    rows = ["| type | gold | tp | fp | fn | précision | rappel |", "|---|---:|---:|---:|---:|---:|---:|"]
    for t, s in result["types"].items():
        rows.append(f"| {t} | {s['tp'] + s['fn']} | {s['tp']} | {s['fp']} | {s['fn']} |"
                    f" {fmt(s['precision'])} | {fmt(s['recall'])} |")
    o = result["overall"]
    rows.append(f"| **total** | {o['tp'] + o['fn']} | {o['tp']} | {o['fp']} | {o['fn']} |"
                f" {fmt(o['precision'])} | {fmt(o['recall'])} |")
    return "\n".join(rows)
