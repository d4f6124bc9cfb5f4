"""Impact bench: what metering costs, and what an answer costs in Wh and gCO2e.

1. Metering overhead, two ways:
   - micro: N empty blocks wrapped in measure() (+ assess()) against N bare ones: the fixed cost
     per answer, in microseconds, whatever the model;
   - end to end (when the pipeline, the shared corpus and a model are available): the same
     questions asked with ``meter=True`` and ``meter=False`` alternately (ABBA order, after a
     warm-up ask), ``--repeats`` times; the headline ratio compares each question's fastest
     metered and unmetered runs (other processes only add time); the target is ≤ 1.02.
2. Wh and gCO2e per answer for each shipped model, beside the EcoLogits estimate for gpt-4o on
   the same token counts; plus the impact of ingesting the sample corpus.

    python bench/bench_impact.py [--quick] [--models gemma3-270m ...] [--questions 10] [--repeats 3]

Prints Markdown tables and writes bench/results/impact.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, table, write  # noqa: E402

from clos.errors import ClosError  # noqa: E402
from clos.impact import assess, best_meter, cloud, measure, prepare  # noqa: E402
from clos.impact.meters import cpu_power  # noqa: E402
from clos.settings import Settings  # noqa: E402

MODELS = ["gemma3-270m", "qwen2.5-1.5b-instruct"]
CORPUS = "guides-etalab"  # small (51 Markdown guides) and matched by eval/crpa_squad.json
COLLECTION = "bench-impact"


def micro_overhead(settings: Settings, n: int) -> dict:
    """Fixed cost of metering one block, with and without the conversion to gCO2e."""
    prepare(settings)  # EcoLogits import and meter probing happen once per process, not per answer
    meter = best_meter()

    def bare_loop() -> float:
        start = time.perf_counter()
        for _ in range(n):
            pass
        return time.perf_counter() - start

    def measured_loop() -> float:
        start = time.perf_counter()
        for _ in range(n):
            with measure(meter):
                pass
        return time.perf_counter() - start

    def assessed_loop(offset: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            with measure(meter) as run:
                pass
            # Token counts never seen before defeat the estimate cache: the worst case.
            assess(run.measurement, prompt_tokens=900, completion_tokens=offset + i,
                   settings=settings)
        return time.perf_counter() - start

    bare = min(bare_loop() for _ in range(3))
    measured = min(measured_loop() for _ in range(3))
    assessed = min(assessed_loop(10_000 + rep * n) for rep in range(3))
    per_measure_us = (measured - bare) / n * 1e6
    per_assess_us = (assessed - bare) / n * 1e6
    return {"iterations": n, "meter": meter.method,
            "measure_overhead_us": per_measure_us, "measure_and_assess_overhead_us": per_assess_us,
            # What that fixed cost means for a 1-second answer (the fastest real ones).
            "ratio_for_1s_answer": 1 + per_assess_us / 1e6}


def crpa_questions(n: int) -> list[str]:
    data = json.loads((SHARED / "eval" / "crpa_squad.json").read_text(encoding="utf-8"))
    qs = [qa["question"].strip() for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
    return qs[:n]


def run_pipeline(data_dir: Path, models: list[str], questions: list[str], repeats: int) -> dict:
    from clos.pipeline import Clos

    out: dict = {"models": {}}
    base = Settings.load(flags={"data_dir": str(data_dir)})
    with Clos(base) as clos:
        report = clos.ingest([SHARED / "corpus" / CORPUS], collection=COLLECTION)
        docs = clos.store.impact_kind_totals("ingest_document")
        out["ingestion"] = {"corpus": CORPUS, "indexed": report.indexed,
                            "duration_s": report.duration_s, "impact": report.impact,
                            "documents_metered": docs["rows"],
                            "documents_energy_wh": docs["energy_wh"],
                            "documents_gco2e": docs["gco2e"]}
    for model in models:
        settings = Settings.load(flags={"data_dir": str(data_dir), "model": model})
        try:
            out["models"][model] = _bench_model(settings, model, questions, repeats)
        except (ClosError, ImportError, OSError) as exc:  # model not installed, llama.cpp missing…
            out["models"][model] = {"skipped": str(exc)}
            print(f"{model} : ignoré ({exc})", flush=True)
    return out


def _bench_model(settings: Settings, model: str, questions: list[str], repeats: int) -> dict:
    from clos.pipeline import Clos

    with Clos(settings) as clos:
        clos.ask(questions[0], collection=COLLECTION, meter=False, log=False)  # load the model
        prepare(settings)
        # timed[metered][question index] → seconds of each repeat
        timed = {True: [[] for _ in questions], False: [[] for _ in questions]}
        answers = []
        for i, q in enumerate(questions):
            # Warm-up first, so both timed runs find the same prompt (KV) cache state; then
            # alternate which one goes first (ABBA) so drift cancels over an even count.
            clos.ask(q, collection=COLLECTION, meter=False, log=False)
            for r in range(repeats):
                order = (True, False) if (i + r) % 2 == 0 else (False, True)
                for metered in order:
                    start = time.perf_counter()
                    answer = clos.ask(q, collection=COLLECTION, meter=metered, log=True)
                    timed[metered][i].append(time.perf_counter() - start)
                    if metered and r == 0:
                        answers.append(answer)
    rows = []
    for a in answers:
        est = cloud.estimate(a.usage.completion_tokens, input_tokens=a.usage.prompt_tokens,
                             model=settings.cloud_reference_model)
        rows.append({"prompt_tokens": a.usage.prompt_tokens,
                     "completion_tokens": a.usage.completion_tokens, "refused": a.refused,
                     "energy_wh": a.impact["energy_wh"], "gco2e": a.impact["gco2e"],
                     "method": a.impact["method"], "duration_s": a.impact["duration_s"],
                     "cloud_energy_wh": list(est.energy_wh), "cloud_gco2e": list(est.gco2e)})
    mean = lambda key: statistics.fmean(r[key] for r in rows)  # noqa: E731
    pair = lambda key, i: statistics.fmean(r[key][i] for r in rows)  # noqa: E731
    # On a shared machine other processes only ever add time: the fastest repeat of each
    # question is the least disturbed, so the headline ratio compares those minima.
    best = {k: [min(runs) for runs in timed[k]] for k in timed}
    flat = {k: [t for runs in timed[k] for t in runs] for k in timed}
    pairs = [m / b for m, b in zip(flat[True], flat[False]) if b > 0]
    return {
        "questions": len(questions), "repeats": repeats,
        "method": rows[0]["method"] if rows else None,
        "overhead_ratio_min": sum(best[True]) / sum(best[False]),
        "overhead_ratio_total": sum(flat[True]) / sum(flat[False]),
        "overhead_ratio_median": statistics.median(pairs) if pairs else None,
        "metered_s": timed[True], "bare_s": timed[False],
        "mean_prompt_tokens": mean("prompt_tokens"),
        "mean_completion_tokens": mean("completion_tokens"),
        "wh_per_answer": mean("energy_wh"), "gco2e_per_answer": mean("gco2e"),
        "cloud_model": settings.cloud_reference_model, "cloud_source": cloud.source_label(),
        "cloud_wh_per_answer": [pair("cloud_energy_wh", 0), pair("cloud_energy_wh", 1)],
        "cloud_gco2e_per_answer": [pair("cloud_gco2e", 0), pair("cloud_gco2e", 1)],
        "answers": rows,
    }


def _g(value: float) -> str:
    return f"{value:.3g}"  # Wh per answer can be 1e-4: fixed decimals would print 0.000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations and questions")
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None, help="timed pairs per question")
    parser.add_argument("--data-dir", default=None, help="default: a temporary folder")
    args = parser.parse_args()
    n_questions = args.questions or (4 if args.quick else 10)
    n_questions += n_questions % 2  # ABBA needs an even count
    repeats = args.repeats or (1 if args.quick else 3)
    settings = Settings.load()
    out: dict = {"quick": args.quick}

    micro = micro_overhead(settings, 300 if args.quick else 3000)
    out["micro_overhead"] = micro
    out["meter"] = {"method": best_meter().method, "cpu": asdict(cpu_power())}
    table("Coût fixe du comptage (sans modèle)", ["mesure", "valeur"], [
        ["compteur utilisé", micro["meter"]],
        ["measure() seul (µs / bloc)", micro["measure_overhead_us"]],
        ["measure() + assess() (µs / réponse)", micro["measure_and_assess_overhead_us"]],
        ["ratio pour une réponse d'1 s", micro["ratio_for_1s_answer"]],
    ])

    if not (SHARED / "corpus" / CORPUS).is_dir():
        out["pipeline"] = {"skipped": f"dossier partagé absent : {SHARED}"}
    else:
        try:
            import clos.pipeline  # noqa: F401
        except ImportError as exc:
            out["pipeline"] = {"skipped": f"pipeline indisponible : {exc}"}
        else:
            with tempfile.TemporaryDirectory() as tmp:
                data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
                try:
                    out["pipeline"] = run_pipeline(data_dir, args.models,
                                                   crpa_questions(n_questions), repeats)
                except (ClosError, ImportError) as exc:  # pipeline still being assembled
                    out["pipeline"] = {"skipped": f"pipeline indisponible : {exc!r}"}
    pipe = out["pipeline"]
    if "skipped" in pipe:
        print(f"\nBout à bout ignoré : {pipe['skipped']}")
    else:
        ing = pipe["ingestion"]
        table(f"Ingestion de {CORPUS}", ["mesure", "valeur"], [
            ["documents indexés", ing["indexed"]], ["durée (s)", ing["duration_s"]],
            ["énergie (Wh)", _g(ing["impact"]["energy_wh"])], ["gCO2e", _g(ing["impact"]["gco2e"])],
            ["méthode", ing["impact"]["method"]]])
        rows, over = [], []
        for model, r in pipe["models"].items():
            if "skipped" in r:
                rows.append([model, "—", "—", "—", "—", "—", "—", r["skipped"][:40]])
                continue
            cw, cg = r["cloud_wh_per_answer"], r["cloud_gco2e_per_answer"]
            rows.append([model, f"{r['mean_prompt_tokens']:.0f}/{r['mean_completion_tokens']:.0f}",
                         _g(r["wh_per_answer"]), _g(r["gco2e_per_answer"]),
                         f"{_g(cw[0])}–{_g(cw[1])}", f"{_g(cg[0])}–{_g(cg[1])}", r["method"], ""])
            over.append([model, r["questions"], r["repeats"], r["overhead_ratio_min"],
                         r["overhead_ratio_total"], r["overhead_ratio_median"]])
        table("Par réponse : local vs EcoLogits gpt-4o (mêmes jetons)",
              ["modèle", "jetons entrée/sortie", "Wh local", "gCO2e local", "Wh gpt-4o",
               "gCO2e gpt-4o", "méthode", "note"], rows)
        if over:
            table("Surcoût du comptage, bout à bout (objectif ≤ 1,02)",
                  ["modèle", "questions", "répétitions", "ratio des minima", "ratio total",
                   "ratio médian des paires"], over)
    write("impact", out)


if __name__ == "__main__":
    main()
