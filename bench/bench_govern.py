"""Governance bench: per-type precision/recall of personal-data detection on the labelled set,
the labelled real-corpus sample (issue 15), and the throughput of the governance pass (pages/s)
beside reading without it, on the real Montpellier deliberations.

``--compare SRC`` runs the same throughput measurement with the code under SRC (for instance
the commit before issue 15, ``git archive d6f6fe3 src | tar -x -C /tmp/old``) in a subprocess
and prints the ratio, on the same files, in the same run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, SHARED, table, write  # noqa: E402

from clos.govern import Governor  # noqa: E402
from clos.govern.names import _nlp  # noqa: E402
from clos.ingest import chunk_document, read_document  # noqa: E402
from clos.settings import Settings  # noqa: E402
from clos.store import open_store  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "pii_fr.jsonl"
PDF_DIR = SHARED / "corpus" / "deliberations-montpellier" / "pdf"


SAMPLE = ROOT / "tests" / "data" / "pii_corpus_sample.jsonl"


def quality() -> dict:
    from clos.govern import evaluate
    from clos.govern.pii import TYPES

    result = evaluate(LABELLED)
    rows = []
    for t in TYPES:
        s = result["types"][t]
        rows.append([t, s["tp"] + s["fn"], s["tp"], s["fp"], s["fn"],
                     s["precision"] if s["precision"] is not None else "—",
                     s["recall"] if s["recall"] is not None else "—"])
    o = result["overall"]
    rows.append(["total", o["tp"] + o["fn"], o["tp"], o["fp"], o["fn"], o["precision"], o["recall"]])
    table(f"Données personnelles — {result['examples']} textes, {result['entities']} entités",
          ["type", "gold", "tp", "fp", "fn", "précision", "rappel"], rows)
    result.pop("errors")
    return result


def throughput(limit: int | None, load_s: float, docs_from: str | None = None) -> dict:
    if not PDF_DIR.is_dir():
        print(f"\n(corpus absent : {PDF_DIR} — débit non mesuré)")
        return {}
    files = sorted(PDF_DIR.glob("*.pdf"))[:limit]

    t0 = time.perf_counter()
    if docs_from:  # the documents another version of Clos read: the same input for both
        import pickle

        docs = pickle.loads(Path(docs_from).read_bytes())
    else:
        docs = [read_document(p) for p in files]
    read_s = time.perf_counter() - t0
    pages = sum(d.pages or 1 for d in docs)
    t0 = time.perf_counter()
    for d in docs:
        chunk_document(d, 300, 400)
    chunk_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(flags={"data_dir": tmp}, env={})
        store = open_store(settings)
        governor = Governor(store, settings, store.collection_id("bench"))
        t0 = time.perf_counter()
        reviews = [governor.review(d) for d in docs]
        review_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for r in reviews:
            governor.record(r, None if r.decision == "exclude" else
                            store.replace_document(governor.collection_id, r.document, [], [], 0))
        record_s = time.perf_counter() - t0
        store.close()
    findings = sum(len(r.findings) for r in reviews)
    rows = [
        ["lecture (PDF → texte)", pages, read_s, pages / read_s],
        ["lecture + découpage", pages, read_s + chunk_s, pages / (read_s + chunk_s)],
        ["gouvernance seule (review)", pages, review_s, pages / review_s],
        ["lecture + découpage + gouvernance", pages, read_s + chunk_s + review_s,
         pages / (read_s + chunk_s + review_s)],
    ]
    table(f"Débit sur {len(files)} délibérations de Montpellier ({pages} pages ; chargement spaCy"
          f" {load_s:.1f} s, non compté)", ["étape", "pages", "secondes", "pages/s"], rows)
    decisions: dict[str, int] = {}
    for r in reviews:
        decisions[r.decision] = decisions.get(r.decision, 0) + 1
    return {"files": len(files), "pages": pages, "spacy_load_s": load_s, "read_s": read_s,
            "chunk_s": chunk_s, "review_s": review_s, "record_s": record_s,
            "read_pages_per_s": pages / read_s, "review_pages_per_s": pages / review_s,
            "read_and_govern_pages_per_s": pages / (read_s + chunk_s + review_s),
            "read_and_chunk_pages_per_s": pages / (read_s + chunk_s),
            "findings": findings, "decisions": decisions}


def real_sample(quick: bool) -> dict:
    """Issue 15: the labelled real-corpus sample under both public-roles policies."""
    from clos.cli.evaluate_pii import format_real
    from clos.govern.evaluate import evaluate_corpus

    settings = Settings.load(env={})
    out = {}
    for roles in (("garder",) if quick else ("garder", "pseudonymiser")):
        result = evaluate_corpus(SAMPLE, SHARED / "corpus", settings, public_roles=roles)
        result.pop("outcomes")
        print(f"\n### Échantillon réel étiqueté — rôles publics : {roles}\n")
        print(format_real(result))
        out[roles] = result
    return out


def compare(src: str, quick: bool, mine: dict) -> dict:
    """The throughput of the code under ``src``, measured by this script in a subprocess, on the
    documents this code read (so that both governance passes see the same sections)."""
    import pickle

    files = sorted(PDF_DIR.glob("*.pdf"))[:30 if quick else None]
    docs_file = Path(tempfile.mkdtemp()) / "docs.pickle"
    docs_file.write_bytes(pickle.dumps([read_document(p) for p in files]))
    cmd = [sys.executable, __file__, "--throughput-only", "--docs-from", str(docs_file)] \
        + (["--quick"] if quick else [])
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    other = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = mine["review_pages_per_s"] / other["review_pages_per_s"]
    table("Débit de la gouvernance seule, mêmes documents lus : ce code / code de référence",
          ["code", "gouvernance seule (pages/s)"],
          [[src, other["review_pages_per_s"]], ["ce code", mine["review_pages_per_s"]],
           ["rapport", ratio]])
    return {"src": src, "reference": other, "review_ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="30 PDF au lieu de 123")
    parser.add_argument("--compare", metavar="SRC", help="src/ d'une autre version de Clos")
    parser.add_argument("--throughput-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--docs-from", help=argparse.SUPPRESS)
    args = parser.parse_args()
    started = time.perf_counter()
    _nlp()  # spaCy loads once per process: measured apart from both figures
    try:  # the French lexicon of issue 15 too (absent from older code)
        from clos.govern.lexicon import _french_lexicon

        _french_lexicon()
    except ImportError:
        pass
    load_s = time.perf_counter() - started
    if args.throughput_only:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            result = throughput(30 if args.quick else None, load_s, args.docs_from)
        print(json.dumps(result))
        return
    data = {"quality": quality(), "real_sample": real_sample(args.quick),
            "throughput": throughput(30 if args.quick else None, load_s)}
    if args.compare:
        data["compare"] = compare(args.compare, args.quick, data["throughput"])
    write("govern", data)


if __name__ == "__main__":
    main()
