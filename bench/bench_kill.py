"""Kill bench (issue 12, « nothing lost when interrupted »): `python -m clos ingest` over the
Montpellier deliberations, killed with SIGKILL at 20 random moments (``--quick``: 5, over 30 files).

Before each kill, half of what earlier runs indexed is removed so the run has work to do; after
each kill the database must pass ``PRAGMA integrity_check`` with no document missing its chunks
and the lexical index in step with the chunks. A last run must then complete and index exactly
what an uninterrupted run indexes (same paths, same chunk count, no duplicates). Embeddings off
(CLOS_EMBEDDER=off) to keep it short: vectors are written after their chunks, in their own
transactions, and chunks without vectors are completed by the next run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, SHARED, table, write  # noqa: E402

from clos.settings import Settings  # noqa: E402
from clos.store.sqlite import SQLiteStore  # noqa: E402

PDF_DIR = SHARED / "corpus" / "deliberations-montpellier" / "pdf"


def _command(folder: Path, collection: str) -> list[str]:
    return [sys.executable, "-m", "clos", "ingest", str(folder), "--collection", collection, "--json"]


def _indexed(store: SQLiteStore, collection: str) -> tuple[list[str], int]:
    cid = store.collection_id(collection, create=False)
    if cid is None:
        return [], 0
    return sorted(store.document_hashes(cid)), store.chunk_count(cid)


def _timed_run(command: list[str], env: dict, store: SQLiteStore, collection: str) -> tuple[float, float]:
    """Run to completion; (seconds until its first document was in the database, total seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    while proc.poll() is None:
        if first is None and _indexed(store, collection)[0]:
            first = time.perf_counter() - start
        time.sleep(0.1)
    total = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"Échec de l'ingestion de référence (code {proc.returncode}).")
    return (first or total), total


def _sound(state: dict) -> bool:
    return (state["integrity"] == "ok" and state["foreign_keys"] == 0
            and not state["documents_without_chunks"] and not state["duplicate_paths"]
            and state["chunks_without_terms"] == 0 and state["terms_without_chunks"] == 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5 kills over 30 files")
    parser.add_argument("--kills", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20241212)
    args = parser.parse_args()
    if not PDF_DIR.is_dir():
        print(f"\n(corpus absent : {PDF_DIR} — banc non exécuté)")
        return
    kills = args.kills or (5 if args.quick else 20)
    files = sorted(PDF_DIR.glob("*.pdf"))[: 30 if args.quick else None]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="clos-kill-") as tmp:
        folder = Path(tmp) / "deliberations"
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder / f.name)
        env = dict(os.environ, CLOS_EMBEDDER="off", CLOS_DATA_DIR=str(Path(tmp) / "data"))
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        store = SQLiteStore(Settings.load(flags={"data_dir": env["CLOS_DATA_DIR"]}, env={}).db_path)
        store.schema_version()  # created and migrated here, before any child process opens it
        first_s, full_s = _timed_run(_command(folder, "reference"), env, store, "reference")
        reference = _indexed(store, "reference")
        # Kills are drawn over the part of a run that writes: from its first document to the
        # time a run with half the files to index again takes (imports and model loading come
        # first and take most of a short run on a loaded machine).
        window = (0.9 * first_s, first_s + 0.6 * (full_s - first_s))

        rows, results = [], []
        for n in range(1, kills + 1):
            cid = store.collection_id("essai")
            ids = [i for i, _ in store.document_hashes(cid).values()]
            store.delete_documents(rng.sample(ids, len(ids) // 2))
            before = len(_indexed(store, "essai")[0])
            proc = subprocess.Popen(_command(folder, "essai"), env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            delay = rng.uniform(*window)
            time.sleep(delay)
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            after = len(_indexed(store, "essai")[0])
            state = store.consistency()
            ok = _sound(state)
            results.append({"kill": n, "delay_s": round(delay, 2), "killed": killed,
                            "documents_before": before, "documents_after": after,
                            "written_before_kill": after - before, "sound": ok,
                            "without_review": len(state["documents_without_review"]),
                            "integrity": state["integrity"],
                            "documents_without_chunks": len(state["documents_without_chunks"])})
            rows.append([n, f"{delay:.1f}", "oui" if killed else "non (fini)", before, after,
                         state["integrity"], len(state["documents_without_chunks"]),
                         len(state["documents_without_review"]), "oui" if ok else "NON"])
        start = time.perf_counter()
        subprocess.run(_command(folder, "essai"), env=env, check=True, capture_output=True)
        rerun_s = time.perf_counter() - start
        final = store.consistency()
        same = _indexed(store, "essai") == reference
        store.close()

    table(f"SIGKILL pendant `clos ingest` — {len(files)} délibérations, {kills} arrêts "
          f"(ingestion complète : {full_s:.1f} s, premier document écrit à {first_s:.1f} s ;"
          f" arrêts tirés entre {window[0]:.1f} et {window[1]:.1f} s)",
          ["arrêt", "après (s)", "tué", "docs avant", "docs après", "integrity_check",
           "docs sans extraits", "docs sans revue", "base saine"], rows)
    sound = sum(r["sound"] for r in results)
    mid = sum(r["killed"] and r["written_before_kill"] > 0 for r in results)
    table("Reprise après les arrêts", ["mesure", "valeur"], [
        ["arrêts avec base saine", f"{sound}/{kills}"],
        ["arrêts en pleine écriture (documents écrits puis tué)", mid],
        ["reprise complète (s)", f"{rerun_s:.1f}"],
        ["même index qu'une ingestion sans arrêt", "oui" if same else "NON"],
        ["documents / extraits de référence", f"{len(reference[0])} / {reference[1]}"],
        ["documents sans revue après reprise", len(final["documents_without_review"])],
    ])
    write("kill", {"files": len(files), "kills": kills, "seed": args.seed, "full_ingest_s": full_s,
                   "first_document_s": first_s, "kill_window_s": list(window),
                   "rerun_s": rerun_s, "sound": sound, "killed_mid_write": mid,
                   "same_as_uninterrupted": same, "reference_documents": len(reference[0]),
                   "reference_chunks": reference[1], "final": {k: (v if isinstance(v, (int, str)) else len(v))
                                                                for k, v in final.items()},
                   "rounds": results})
    if sound < kills or not same or not _sound(final) or final["documents_without_review"]:
        sys.exit("Échec : la base n'est pas restée saine après un arrêt brutal.")


if __name__ == "__main__":
    main()
