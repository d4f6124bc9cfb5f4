"""Where answers are lost, and how well a confidence signal separates answerable questions from
the others: pure functions over per-question records, checked by hand in the tests.

The funnel follows the gold passage (the passage holding a gold string on the gold page) through
the stages of one answer; a question « reaches » a stage when it and every stage before it hold,
and is « lost » at the first stage that fails, so the losses add up to the questions not answered
right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Stage keys (stable, English) and their French labels for tables.
STAGES = ("read", "pool", "top", "prompt", "answer", "cited")
LABELS = {
    "read": "lu sur la page (lecteur Clos)",
    "pool": "parmi les candidats",
    "top": "dans les meilleurs passages",
    "prompt": "dans le prompt (après coupe)",
    "answer": "dans la réponse ou le passage clé",
    "cited": "dans les citations",
}


def first_loss(stages: Mapping[str, bool | None], order: Sequence[str] = STAGES) -> str | None:
    """The first stage that does not hold (``None`` when all hold). A stage set to None was not
    measured and is skipped."""
    for name in order:
        if stages.get(name) is False:
            return name
    return None


def funnel(rows: Sequence[Mapping[str, bool | None]], order: Sequence[str] = STAGES) -> list[dict]:
    """Per stage: ``held`` (share of rows where the stage holds on its own), ``reached`` (share
    where it and all before it hold), ``lost`` (rows lost first at this stage, a count) and
    ``lost_share``. Shares are of all rows; an empty input gives zeros."""
    n = len(rows)
    out, alive = [], list(range(n))
    losses = [first_loss(r, order) for r in rows]
    for name in order:
        alive = [i for i in alive if rows[i].get(name) is not False]
        held = sum(1 for r in rows if r.get(name) is not False)
        lost = sum(1 for x in losses if x == name)
        out.append({"stage": name, "label": LABELS.get(name, name),
                    "held": held / n if n else 0.0, "reached": len(alive) / n if n else 0.0,
                    "lost": lost, "lost_share": lost / n if n else 0.0})
    return out


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: the probability that a positive scores above a negative (ties
    count one half; Mann–Whitney U / (n₊·n₋)). None when either side is empty."""
    if not positives or not negatives:
        return None
    ordered = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ordered):  # average ranks over ties
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        avg = (i + 1 + j) / 2
        rank_sum += avg * sum(label for _, label in ordered[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def risk_coverage(confidence: Sequence[float], error: Sequence[bool]) -> list[dict]:
    """The risk–coverage curve of answering only the most confident questions (Geifman &
    El-Yaniv, NeurIPS 2017): questions sorted by decreasing confidence; for the first k
    (k = 1…n), coverage k/n and risk = errors among them / k. Ties enter together."""
    if len(confidence) != len(error):
        raise ValueError("confidence and error must have the same length")
    order = sorted(range(len(confidence)), key=lambda i: -confidence[i])
    n, points, errors, k = len(order), [], 0, 0
    while k < n:
        j = k
        while j < n and confidence[order[j]] == confidence[order[k]]:
            errors += bool(error[order[j]])
            j += 1
        k = j
        points.append({"coverage": k / n, "risk": errors / k, "threshold": confidence[order[k - 1]]})
    return points


def aurc(points: Sequence[Mapping[str, float]]) -> float:
    """Area under the risk–coverage curve (step-wise, lower is better); 0 for no points."""
    area, previous = 0.0, 0.0
    for p in points:
        area += (p["coverage"] - previous) * p["risk"]
        previous = p["coverage"]
    return area


def sample_curve(points: Sequence[Mapping[str, float]], steps: int = 10) -> list[dict]:
    """The curve at coverages 1/steps … 1: for each, the point of largest coverage not above it."""
    out = []
    for s in range(1, steps + 1):
        target = s / steps
        below = [p for p in points if p["coverage"] <= target + 1e-9]
        if below:
            out.append({"target": target, **below[-1]})
    return out
