"""Nothing lost when interrupted (issue 12): `python -m clos ingest` killed with SIGKILL at random
moments leaves a sound database (integrity_check, no document without its chunks, lexical index in
step), and a rerun completes without duplicates, with exactly what an uninterrupted run indexes.
bench/bench_kill.py does the same 20 times over the 123 deliberations."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import make_files as mf
from clos.settings import Settings
from clos.store.sqlite import SQLiteStore

SRC = Path(__file__).resolve().parents[1] / "src"
KILLS = 5


def _command(folder: Path, collection: str) -> list[str]:
    return [sys.executable, "-m", "clos", "ingest", str(folder), "--collection", collection, "--json"]


def _env() -> dict[str, str]:
    env = dict(os.environ, CLOS_EMBEDDER="off")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


def _indexed(store: SQLiteStore, collection: str) -> tuple[list[str], int]:
    cid = store.collection_id(collection, create=False)
    if cid is None:
        return [], 0
    return sorted(store.document_hashes(cid)), store.chunk_count(cid)


def _assert_sound(store: SQLiteStore, *, finished: bool) -> None:
    state = store.consistency()
    assert state["integrity"] == "ok" and state["foreign_keys"] == 0, state
    assert state["documents_without_chunks"] == [] and state["duplicate_paths"] == [], state
    assert state["chunks_without_terms"] == 0 and state["terms_without_chunks"] == 0, state
    if finished:
        assert state["documents_without_review"] == [], state


@pytest.mark.slow  # seven `clos ingest` processes: ≈ 1–3 min on two shared cores
def test_sigkill_at_random_moments_loses_nothing(tmp_path):
    folder = tmp_path / "corpus"
    mf.small_corpus(folder, 8)
    mf.eml_with_attachments(folder)
    mf.docx_hidden(folder)
    env = _env()
    store = SQLiteStore(Settings.load().db_path)
    store.schema_version()  # created and migrated before any child process opens it

    # The reference run, watched: when its first document lands, when it ends.
    start, first_s = time.perf_counter(), None
    proc = subprocess.Popen(_command(folder, "reference"), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if first_s is None and _indexed(store, "reference")[0]:
            first_s = time.perf_counter() - start
        time.sleep(0.05)
    full_s = time.perf_counter() - start
    assert proc.returncode == 0
    reference = _indexed(store, "reference")
    assert len(reference[0]) == 12  # 8 notes, the message and its 2 attachments, the DOCX

    rng = random.Random(20241212)
    killed = 0
    for _ in range(KILLS):
        # Work for the next run: half of what the last runs indexed leaves the index.
        cid = store.collection_id("essai")
        ids = [i for i, _ in store.document_hashes(cid).values()]
        store.delete_documents(rng.sample(ids, len(ids) // 2))
        proc = subprocess.Popen(_command(folder, "essai"), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # A random moment of the part that writes (imports and model loading come first).
        time.sleep(rng.uniform(0.9 * (first_s or 0.2), full_s))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        _assert_sound(store, finished=False)
    subprocess.run(_command(folder, "essai"), env=env, check=True, capture_output=True)
    _assert_sound(store, finished=True)
    assert _indexed(store, "essai") == reference
    assert killed >= 3  # most draws land while the ingestion runs
    store.close()
