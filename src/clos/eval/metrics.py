"""Retrieval and answer metrics, pure functions checked by hand on toy cases in the tests."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence


# ------------------------------------------------------------------------------- retrieval
def rank_of(ranked: Sequence[str], gold: str | set[str]) -> int | None:
    """1-based rank of the first gold document in ``ranked``, or None."""
    golds = {gold} if isinstance(gold, str) else set(gold)
    for i, doc in enumerate(ranked, 1):
        if doc in golds:
            return i
    return None


def recall_at(ranks: Iterable[int | None], k: int) -> float:
    ranks = list(ranks)
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Iterable[int | None], k: int) -> float:
    ranks = list(ranks)
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def ndcg_at(ranks: Iterable[int | None], k: int) -> float:
    """nDCG with one relevant document per question: 1/log2(rank+1), ideal 1."""
    ranks = list(ranks)
    gain = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= k)
    return gain / len(ranks) if ranks else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in [0, 100]); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def retrieval_summary(ranks: list[int | None], latencies_s: list[float]) -> dict[str, float]:
    return {
        "questions": len(ranks),
        "R@1": recall_at(ranks, 1),
        "R@5": recall_at(ranks, 5),
        "R@10": recall_at(ranks, 10),
        "MRR@10": mrr_at(ranks, 10),
        "nDCG@10": ndcg_at(ranks, 10),
        "p50_ms": percentile(latencies_s, 50) * 1000,
        "p95_ms": percentile(latencies_s, 95) * 1000,
    }


# --------------------------------------------------------------------------------- answers
_ARTICLES = re.compile(r"\b(?:le|la|les|l|un|une|des|du|de|d|au|aux)\b")
_PUNCT = set(string.punctuation) | set("«»’‘“”…–—")


_EURO = re.compile(r"\s*(?:€|\beuros?\b)\s*")


def normalize(text: str) -> str:
    """SQuAD-style normalisation for French: lower case, no accents, punctuation or articles,
    digit groups joined (« 100 000 » = « 100000 »), the euro one word whatever its writing
    (« 15,25€ » = « 15,25 € » = « 15,25 euros »)."""
    text = _EURO.sub(" € ", unicodedata.normalize("NFKC", text).lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(" " if c in _PUNCT else c for c in text)
    text = re.sub(r"(?<=\d)\s+(?=\d{3}\b)", "", text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains(answer: str, golds: Iterable[str]) -> bool:
    """True when the normalised answer contains one of the normalised gold spans."""
    norm = f" {normalize(answer)} "
    return any(g and f" {g} " in norm for g in (normalize(x) for x in golds))


def token_f1(answer: str, golds: Iterable[str]) -> float:
    """Best SQuAD token F1 of the answer against the gold spans."""
    pred = normalize(answer).split()
    best = 0.0
    for gold in golds:
        ref = normalize(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if not common:
            continue
        precision, recall = common / len(pred), common / len(ref)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best
