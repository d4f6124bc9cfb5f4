"""Calibrate the refusal decision and measure the answer paths (issue 16).

    python bench/bench_answers.py --sample 40            # PIAF v1.0, seed 42, default model
    python bench/bench_answers.py --quick                # 8 questions
    python bench/bench_answers.py --qa FILE              # another SQuAD-shaped development set
    python bench/bench_answers.py --no-model --sample 100  # retrieval signals and extractive only

Each sampled question is asked with and without its source (as ``clos eval answers``), in the
generative mode with the pre-model gate OFF (so every signal is recorded) and in the extractive
mode. The refusal policy is then replayed offline over a grid of thresholds: the silent gate
(coverage < min_relevance AND similarity < min_similarity) plus the post-model rules as they
ran. Prints, and writes to bench/results/answers_calibration.json:

- per signal, AUROC answerable vs unanswerable (how well it separates them alone);
- the grid: refusal on answerable / unanswerable questions, gold in the answer or its key
  passage, wrong answers printed « vérifiée »;
- the extractive mode's gold-in-key-passage and refusals, and its latency against the
  generative mode's time to first token (same questions, same script: a ratio, not a timing
  test);
- the records of ``bench/results/eval_answers.json`` (previous default run, same seed) for the
  same question ids, as the « before » line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, SHARED, percentile, table, write

from clos.eval import load
from clos.eval.answers import FULL, HOLDOUT, strip_markers
from clos.eval.metrics import contains
from clos.eval.runner import index_set, temporary_clos
from clos.settings import Settings


def auroc(positives: list[float], negatives: list[float]) -> float:
    """P(score of a random answerable > score of a random unanswerable), ties half."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def record(answer, gold: list[str]) -> dict:
    decision = answer.trace.decision if answer.trace else {}
    key = answer.key_passage.quote if answer.key_passage else ""
    text = strip_markers(answer.answer)
    return {"refused": answer.refused, "rule": decision.get("rule"),
            "signals": decision.get("signals", {}), "answer": answer.answer, "key": key,
            "gold_answer": not answer.refused and contains(text, gold),
            "gold_key": not answer.refused and contains(key, gold),
            "verified": answer.verified, "ttft_s": answer.timings.ttft_s,
            "total_s": answer.timings.total_s, "prompt_tokens": answer.usage.prompt_tokens}


def run(args) -> dict:
    evalset = load(SHARED / args.qa)
    questions = evalset.sample(args.sample, seed=args.seed, with_answers=True)
    removed = {q.doc_id for q in questions}
    # The gate off: the model is called on every question so its signals are all recorded.
    settings = Settings.load().replace(min_relevance=0.0, min_similarity=0.0)
    rows = []
    with temporary_clos(settings) as clos:
        index_set(clos, evalset, FULL)
        index_set(clos, evalset, HOLDOUT, [d for d in evalset.documents if d.id not in removed])
        for i, q in enumerate(questions, 1):
            row = {"id": q.id, "question": q.question, "gold": q.answers}
            for name, collection in (("full", FULL), ("holdout", HOLDOUT)):
                for mode in args.modes:
                    start = time.perf_counter()
                    answer = clos.ask(q.question, collection=collection, mode=mode,
                                      model=args.model, meter=False, log=False)
                    row[f"{name}_{mode}"] = record(answer, q.answers)
                    row[f"{name}_{mode}"]["wall_s"] = time.perf_counter() - start
            rows.append(row)
            m = args.modes[0]
            print(f"{i}/{len(questions)} {q.question[:60]!r} → "
                  f"{rows[-1][f'full_{m}']['rule']} / {rows[-1][f'holdout_{m}']['rule']}", flush=True)
    return {"rows": rows, "settings": {k: getattr(settings, k) for k in (
        "model", "min_grounding", "top_k", "context_token_budget", "extractive_min_subject")}}


def silent(signals: dict, min_relevance: float, min_similarity: float) -> bool:
    sim = signals.get("similarity")
    return signals.get("coverage", 0.0) < min_relevance and (sim is None or sim < min_similarity)


def replay(rows: list[dict], min_relevance: float, min_similarity: float,
           mode: str = "generatif") -> dict:
    def outcome(r):
        refused = silent(r["signals"], min_relevance, min_similarity) or r["refused"]
        return refused, (not refused and (r["gold_answer"] or r["gold_key"])), \
            (not refused and r["verified"])

    full = [outcome(r[f"full_{mode}"]) for r in rows]
    hold = [outcome(r[f"holdout_{mode}"]) for r in rows]
    n = len(rows) or 1
    wrong_verified = sum(1 for (ref, gold, ver), r in zip(full, rows)
                         if ver and not r[f"full_{mode}"]["gold_answer"]) + \
        sum(1 for ref, gold, ver in hold if ver)
    gate = [silent(r[f"{side}_{mode}"]["signals"], min_relevance, min_similarity)
            for side in ("full", "holdout") for r in rows]
    return {"min_relevance": min_relevance, "min_similarity": min_similarity,
            "gate_refusal_answerable": sum(gate[:len(rows)]) / n,
            "gate_refusal_unanswerable": sum(gate[len(rows):]) / n,
            "refusal_answerable": sum(f[0] for f in full) / n,
            "refusal_unanswerable": sum(h[0] for h in hold) / n,
            "gold_answer_or_key": sum(f[1] for f in full) / n,
            "wrong_verified_share": wrong_verified / (2 * n)}


def analyse(data: dict, before_path: Path) -> dict:
    rows = data["rows"]
    out: dict = {}
    mode = "generatif" if "full_generatif" in rows[0] else "extractif"
    signals = ("coverage", "similarity", "subject", "grounding", "supported_share")
    out["auroc"] = {}
    for s in signals:
        pos = [r[f"full_{mode}"]["signals"].get(s) for r in rows]
        neg = [r[f"holdout_{mode}"]["signals"].get(s) for r in rows]
        out["auroc"][s] = auroc([p for p in pos if p is not None], [x for x in neg if x is not None])
    table("Signals alone: AUROC answerable vs unanswerable", ["signal", "AUROC"],
          [[s, v] for s, v in out["auroc"].items()])
    grid = [replay(rows, a, b, mode) for a, b in itertools.product(
        (0.0, 0.2, 0.3, 0.35, 0.4, 0.5), (0.0, 0.78, 0.8, 0.82, 0.84, 0.86))]
    out["grid"] = grid
    table(f"Refusal policy replayed ({mode})", ["min_relevance", "min_similarity",
          "gate refusal answerable", "gate refusal unanswerable", "refusal answerable",
          "refusal unanswerable", "gold in answer or key", "wrong verified"],
          [[g["min_relevance"], g["min_similarity"], g["gate_refusal_answerable"],
            g["gate_refusal_unanswerable"], g["refusal_answerable"],
            g["refusal_unanswerable"], g["gold_answer_or_key"], g["wrong_verified_share"]]
           for g in grid])
    n = len(rows) or 1
    ex_full = [r["full_extractif"] for r in rows]
    ex_hold = [r["holdout_extractif"] for r in rows]
    if mode == "extractif":
        out["extractive"] = {
            "gold_key": sum(r["full_extractif"]["gold_key"] for r in rows) / n,
            "refusal_answerable": sum(r["full_extractif"]["refused"] for r in rows) / n,
            "refusal_unanswerable": sum(r["holdout_extractif"]["refused"] for r in rows) / n,
            "p50_s": percentile([r[f"{x}_extractif"]["wall_s"] for r in rows
                                 for x in ("full", "holdout")], 0.5),
            "p95_s": percentile([r[f"{x}_extractif"]["wall_s"] for r in rows
                                 for x in ("full", "holdout")], 0.95)}
        table("Extractive mode", list(out["extractive"]), [list(out["extractive"].values())])
        return out
    gen = [r["full_generatif"] for r in rows]
    out["extractive"] = {
        "gold_key": sum(r["gold_key"] for r in ex_full) / n,
        "refusal_answerable": sum(r["refused"] for r in ex_full) / n,
        "refusal_unanswerable": sum(r["refused"] for r in ex_hold) / n,
        "p50_s": percentile([r["wall_s"] for r in ex_full + ex_hold], 0.5),
        "p95_s": percentile([r["wall_s"] for r in ex_full + ex_hold], 0.95),
    }
    called = [r for r in gen if r["prompt_tokens"]]
    out["generative"] = {
        "gold_answer": sum(r["gold_answer"] for r in gen) / n,
        "gold_key": sum(r["gold_key"] for r in gen) / n,
        "ttft_p50_s": percentile([r["ttft_s"] for r in called], 0.5),
        "total_p50_s": percentile([r["total_s"] for r in called], 0.5),
        "prompt_tokens": sum(r["prompt_tokens"] for r in called) / (len(called) or 1),
        "verified": sum(r["verified"] for r in gen) / n,
    }
    out["extractive"]["speedup_vs_ttft_p50"] = (out["generative"]["ttft_p50_s"]
                                                / (out["extractive"]["p50_s"] or 1e-9))
    table("Modes (answerable questions)", ["mode", "gold", "refusal answerable",
          "refusal unanswerable", "p50 s"],
          [["extractif", out["extractive"]["gold_key"], out["extractive"]["refusal_answerable"],
            out["extractive"]["refusal_unanswerable"], out["extractive"]["p50_s"]],
           ["generatif (answer / key)", f"{out['generative']['gold_answer']:.3f} / "
            f"{out['generative']['gold_key']:.3f}", "", "", out["generative"]["ttft_p50_s"]]])
    if before_path.exists():
        before = {r["id"]: r for r in json.loads(before_path.read_text())["records"]}
        same = [before[r["id"]] for r in rows if r["id"] in before]
        if same:
            m = len(same)
            out["before"] = {"questions": m,
                             "gold": sum(r["contains_gold"] for r in same) / m,
                             "refusal_answerable": sum(r["refused"] for r in same) / m,
                             "refusal_unanswerable": sum(bool(r["refused_unanswerable"])
                                                         for r in same) / m}
            table("Before (bench/results/eval_answers.json, same question ids)",
                  list(out["before"]), [list(out["before"].values())])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", default="eval/piaf-v1.0.json")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--model", default=None)
    parser.add_argument("--quick", action="store_true", help="8 questions")
    parser.add_argument("--replay", type=Path, help="analyse a saved run instead of running")
    parser.add_argument("--no-model", action="store_true",
                        help="extractive mode only: retrieval signals, no generation")
    parser.add_argument("--out", default="answers_calibration")
    args = parser.parse_args()
    args.modes = ("extractif",) if args.no_model else ("generatif", "extractif")
    if args.quick:
        args.sample = 8
    data = json.loads(args.replay.read_text()) if args.replay else run(args)
    data.update(analyse(data, RESULTS / "eval_answers.json"))
    data.update({"qa": args.qa, "sample": len(data["rows"]), "seed": args.seed})
    write(args.out, data)


if __name__ == "__main__":
    main()
