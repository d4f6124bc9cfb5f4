"""Answers on the domain set (tests/data/qa_domain.json) with the default model, over the real
folders it names (Montpellier deliberations, Etalab guides): answer and citation figures,
refusals, the funnel stage by stage, the AUROC of each confidence signal and the risk–coverage
curve, against the goals of issue 16.

    python bench/bench_domain.py                 # the whole set (~84 questions, ~15 min + index)
    python bench/bench_domain.py --quick         # 18 questions (every 5th): a few minutes
    python bench/bench_domain.py --mode extractif   # when the settings know the extractive mode

The index is built once into the cached eval folder (cache_dir/eval/qa_domain-<digest>) and
reused while the files, the indexing settings and the indexing code are unchanged; the first run
pays the ingestion (~10 min for the two folders with e5 embeddings on 2 cores).
Writes bench/results/domain.json (domain_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, SHARED, table, write

from clos.eval.domain import run_qa
from clos.eval.qa import load_qa
from clos.eval.report import qa_report
from clos.settings import Settings

SET = ROOT / "tests" / "data" / "qa_domain.json"
# Issue 16's goals (default model, this 2-core CPU): (metric, comparison, target).
GOALS = [("answer_correct", ">=", 0.85), ("file_cited", ">=", 0.90), ("page_cited", ">=", 0.85),
         ("wrong_verified", "<=", 0.02), ("refusal_unanswerable", ">=", 0.85),
         ("refusal_answerable", "<=", 0.10), ("ttft_p50_s", "<=", 6.0)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="every 5th question only")
    parser.add_argument("--model", default=None)
    parser.add_argument("--mode", default=None, help="generatif | extractif (if supported)")
    parser.add_argument("--replay", action="store_true",
                        help="keep and replay the model's generations (clos.llm.replay): to "
                             "re-score a change after the model; times are the first run's")
    parser.add_argument("--only", default="", help="question ids, comma-separated")
    parser.add_argument("--out", default="", help="results file name (default domain[_quick])")
    args = parser.parse_args()
    qaset = load_qa(SET, root=SHARED / "corpus")
    if args.only:
        qaset = qaset.subset(args.only.split(","))
    if args.quick:
        qaset = qaset.subset([q.id for q in qaset.questions][::5])
    settings = Settings.load()
    if args.mode:
        settings = settings.replace(mode=args.mode)
    start = time.perf_counter()
    result = run_qa(qaset, settings, model=args.model, replay=args.replay)
    elapsed = time.perf_counter() - start
    m = result.metrics
    print(f"\n{qa_report(result)}\n", flush=True)

    def met(name, op, target):
        value = m.get(name)
        return value is not None and (value >= target if op == ">=" else value <= target)

    table("Objectifs de l'issue 16", ["mesure", "valeur", "objectif", "atteint"],
          [[name, m.get(name), f"{op} {target}", "oui" if met(name, op, target) else "non"]
           for name, op, target in GOALS])
    suffix = "_quick" if args.quick else ""
    mode = f"_{args.mode}" if args.mode else ""
    write(args.out or f"domain{suffix}{mode}", {
        "set": str(SET.relative_to(ROOT)), "quick": args.quick, "mode": args.mode,
        "replay": args.replay, "only": args.only,
        "seconds": round(elapsed, 1), "goals": [
            {"metric": n, "op": op, "target": t, "value": m.get(n), "met": met(n, op, t)}
            for n, op, t in GOALS],
        **result.to_dict()})


if __name__ == "__main__":
    main()
