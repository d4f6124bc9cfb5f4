"""`clos serve` uploads with vectors in the background (clos.background) against the former way,
vectors computed inside the upload, with the built-in embedder (multilingual-e5-small), on the
same real PDFs, both measured in this script (one after the other, same machine and load):

- upload: seconds until the upload returns (the documents searchable by words);
- dense: seconds until every chunk has its vector (the documents searchable by meaning);
- question: a retrieval submitted to the fair scheduler while the background embeds, against
  the same retrieval on an idle server (it waits one batch at most, never the whole upload).

    python bench/bench_web_vectors.py [--files 6]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, median, table, write  # noqa: E402

PDFS = SHARED / "corpus" / "deliberations-montpellier" / "pdf"
QUESTION = "remboursement des frais de repas des agents en déplacement"


def service(data: Path):
    from clos.accounts import LOCAL
    from clos.service import Service
    from clos.settings import Settings

    settings = Settings.load(flags={"data_dir": str(data)},
                             env={**os.environ, "CLOS_EMBEDDER": "multilingual-e5-small"})
    svc = Service(settings)
    svc.create_collection(LOCAL, "rh")
    return svc, LOCAL


def run(files: list[Path]) -> dict:
    payload = [(p.name, p.read_bytes()) for p in files]
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Before: the vectors inside the upload (what Service.upload did: Clos.ingest's own
        # vectors phase), through the same scheduler.
        svc, user = service(Path(tmp) / "inline")
        try:
            folder = svc.upload_dir("rh")
            folder.mkdir(parents=True, exist_ok=True)
            for name, content in payload:
                (folder / name).write_bytes(content)
            start = time.perf_counter()
            report = svc.scheduler.run(user.name, lambda: svc.clos.ingest(
                [folder / n for n, _ in payload], collection="rh"))
            out["inline_upload_s"] = time.perf_counter() - start
            out["chunks"], out["vectors_inline"] = report.chunks, report.vectors
            idle = []
            for _ in range(5):
                t = time.perf_counter()
                svc.scheduler.run(user.name, lambda: svc.clos.retrieve(QUESTION, collection="rh"))
                idle.append(time.perf_counter() - t)
            out["question_idle_s"] = median(idle)
        finally:
            svc.close()
        # After: the upload returns once indexed by words; the vectors follow.
        svc, user = service(Path(tmp) / "background")
        try:
            svc.vectors.wait_idle(60)
            start = time.perf_counter()
            result = svc.upload(user, "rh", payload)
            out["background_upload_s"] = time.perf_counter() - start
            waits = []
            while not svc.vectors.idle:
                t = time.perf_counter()
                svc.scheduler.run(user.name, lambda: svc.clos.retrieve(QUESTION, collection="rh"))
                waits.append(time.perf_counter() - t)
                time.sleep(0.5)
            svc.vectors.wait_idle(3600)
            out["background_dense_s"] = time.perf_counter() - start
            out["vectors_background"] = svc.vectors.done
            out["indexed"] = len(result["indexed"])
            out["question_during_background_s"] = {"n": len(waits), "median": median(waits),
                                                    "max": max(waits, default=0.0)}
        finally:
            svc.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=6)
    args = parser.parse_args()
    files = sorted(PDFS.glob("*.pdf"))[: args.files]
    out = run(files)
    q = out["question_during_background_s"]
    table("Téléversement : vecteurs dans la requête / en arrière-plan",
                ["mesure", "valeur"],
                [["fichiers, passages", f"{out['indexed']}, {out['chunks']}"],
                 ["téléversement, vecteurs inclus (s)", out["inline_upload_s"]],
                 ["téléversement, vecteurs en arrière-plan (s)", out["background_upload_s"]],
                 ["ratio (avant / après)", out["inline_upload_s"] / out["background_upload_s"]],
                 ["recherchable par le sens après (s)", out["background_dense_s"]],
                 ["question, serveur au repos (s)", out["question_idle_s"]],
                 ["question pendant les vecteurs, médiane / max (s)",
                  f"{q['median']:.3f} / {q['max']:.3f} (n = {q['n']})"]])
    write("web_vectors", {"files": [p.name for p in files], **out})


if __name__ == "__main__":
    main()
