"""Reading and personal-data detection of the files to index, ahead of the pipeline and in
worker processes (issue 14, « ingestion at scale »).

Both depend on the file alone: what a collection decides — public names already seen, its
allow-list, duplicates, pseudonym numbers — is applied afterwards by ``Governor.review``, in the
files' order, in the calling process, before anything reaches the index. So the index sees
exactly what it saw when everything ran in one process (pseudonymisation still comes before
indexing), while the reading and the spaCy NER of the next files use the other cores.

    for item in prepared(paths, workers=2):      # Prepared, in the order of ``paths``
        doc, found = item.document(), item.found  # IngestError raised by document()

With ``workers`` ≤ 1, or fewer than ``MIN_FILES`` files, files are read in this process, one
at a time when asked for, and detection is left to ``Governor.review`` (as before).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterator, Sequence

from clos import impact
from clos.errors import IngestError
from clos.types import Document, Finding

# Below this many files to read, one process: each worker loads spaCy itself (5–7 s of CPU on
# the 2-core test machine), which the files left cannot repay (bench/bench_ingest_scale.py).
MIN_FILES = 24
# Files handed out ahead per worker: enough to keep it busy while the pipeline indexes, few
# enough that documents waiting in memory stay bounded.
AHEAD_PER_WORKER = 4


@dataclass
class Prepared:
    """One file read (``doc``) with its personal data detected (``found``: ``governor.detect``
    of the document, then of each attachment; None when left to ``Governor.review``), or the
    French reason it could not be read (``error``, ``detail``). ``measurement``: energy and CPU
    time of the reading when done in this process, ``worker``: of what a worker process did for
    the file (reading, detection), which this process's own counters miss; None when none."""

    path: str
    doc: Document | None = None
    found: list[list[list[Finding]]] | None = None
    error: str | None = None
    detail: str | None = None
    measurement: impact.Measurement | None = None
    worker: impact.Measurement | None = None

    def document(self) -> Document:
        """The document read; raises the reading's ``IngestError``."""
        if self.doc is None:
            raise IngestError(self.path, self.error or "lecture impossible", detail=self.detail)
        return self.doc

    def spent(self) -> tuple:
        """The measurements of this file's reading and detection (``combined`` adds them)."""
        return self.measurement, self.worker

    def found_for(self, index: int) -> list[list[Finding]] | None:
        """Detection of the document (0) or of its attachment ``index`` - 1; None if not done."""
        return self.found[index] if self.found is not None and index < len(self.found) else None


def prepare(path: str, detect: bool = True, env: dict[str, str] | None = None) -> Prepared:
    """Read ``path`` and, with ``detect``, find its personal data (worker side). A reading
    failure is returned, not raised; a detection failure leaves ``found`` None so that the
    pipeline detects again and raises it itself (a missing spaCy model, in French). ``env``:
    the pipeline's ``CLOS_*`` variables, which the readers' settings (OCR) come from."""
    from clos.govern.governor import detect as detect_doc
    from clos.ingest import read_document

    if env is not None:
        _use_env(env)
    with impact.measure() as run:
        try:
            doc = read_document(path)
        except IngestError as exc:
            return Prepared(path, error=exc.reason, detail=exc.detail)
        except OSError as exc:
            return Prepared(path, error=f"lecture impossible ({exc})")
        found = None
        if detect:
            try:
                found = [detect_doc(d) for d in (doc, *doc.attachments)]
            except Exception:  # noqa: BLE001 - raised again, in French, by the pipeline
                found = None
    here = run.measurement
    return Prepared(path, doc, found, measurement=None if detect else here,
                    worker=here if detect else None)


class Ahead:
    """The files of one ingestion run: their hashes (``digests``: path → hex digest or the
    OSError hashing it), and those new or changed since ``known`` (path → (id, digest)),
    prepared ahead (``prepared``) and handed out in order by ``take``. ``spent``: what the
    workers spent, which the pipeline's own counters miss."""

    def __init__(self, files: Sequence, known: dict, workers_setting: int) -> None:
        self.digests = {p: file_digest(p) for p in files}
        self._todo = deque(str(p) for p in files if not isinstance(self.digests[p], OSError)
                           and known.get(str(p), (None, None))[1] != self.digests[p])
        self._items = prepared(list(self._todo),
                               workers=workers_for(workers_setting, len(self._todo)))
        self.spent: list[impact.Measurement | None] = []

    def take(self, path) -> Prepared | None:
        """The next file prepared when it is ``path`` (files are taken in order), else None."""
        if not self._todo or str(path) != self._todo[0]:
            return None
        self._todo.popleft()
        item = next(self._items)
        self.spent.append(item.worker)
        return item

    def close(self) -> None:
        """Stop the workers (files not taken are dropped)."""
        self._items.close()


def file_digest(path) -> str | OSError:
    """``file_hash(path)``, or the error reading it (reported with the file, in order)."""
    from clos.ingest import file_hash

    try:
        return file_hash(path)
    except OSError as exc:
        return exc


def combined(measurement: impact.Measurement | None,
             *others: impact.Measurement | None) -> impact.Measurement | None:
    """``measurement`` plus ``others`` (energy, duration and CPU time added up), or None."""
    for other in others:
        if measurement is None or other is None:
            continue
        measurement = dataclasses.replace(
            measurement, energy_wh=measurement.energy_wh + other.energy_wh,
            duration_s=measurement.duration_s + other.duration_s,
            cpu_s=measurement.cpu_s + other.cpu_s)
    return measurement


def workers_for(setting: int, files: int, idle: float | None = None) -> int:
    """Worker processes for ``files`` files to read: 1 below ``MIN_FILES`` files; else
    ``setting``, or with 0 one per core (at most 4: each holds its own spaCy model, ~150 MB)
    when at least ``MIN_IDLE_CORES`` cores are idle (``idle``: measured by ``idle_cores``
    when None), else 1."""
    if files < MIN_FILES:
        return 1
    if setting:
        return max(1, min(setting, files))
    idle = idle_cores() if idle is None else idle
    if idle is not None and idle < MIN_IDLE_CORES:
        return 1
    return max(1, min(os.cpu_count() or 1, 4, files))


# Below this many idle cores, one process: with the cores busy elsewhere, workers only add
# their start (and the copies of documents between processes). Measured on the 2-core test
# machine, 123 deliberations: 15.5 s with workers against 21.7 s without, idle; 27.4 s
# against 23.0 s while other jobs kept it loaded (load average 3 to 4.7).
MIN_IDLE_CORES = 1.5


def idle_cores(interval: float = 0.25) -> float | None:
    """Cores left idle by every process over the next ``interval`` seconds (Linux'
    /proc/stat: idle and iowait time); None where it cannot be read."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:9]]
        return ticks[3] + ticks[4], sum(ticks)

    try:
        idle0, total0 = sample()
        time.sleep(interval)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return (idle1 - idle0) / max(1, total1 - total0) * (os.cpu_count() or 1)


def prepared(paths: Sequence[str], *, workers: int) -> Iterator[Prepared]:
    """``Prepared`` files in the order of ``paths``: read and detected in worker processes when
    ``workers`` > 1 (``AHEAD_PER_WORKER`` files ahead per worker), else read here when asked
    for. While the workers start (their fork server loads spaCy: 5–7 s), files are read here,
    up to ``READ_AHEAD``, and the workers only detect in them. A worker that dies (a file
    crashing the PDF library) ends the pool: the files left are read here."""
    if workers <= 1:
        for path in paths:
            yield prepare(path, detect=False)
        return
    pool = _Pool(workers)
    pending: deque[_Job] = deque()
    todo = deque(paths)
    try:
        while todo or pending:
            if pool.ready.is_set():
                pool.submit_waiting(pending)
                while todo and len(pending) < workers * AHEAD_PER_WORKER:
                    pending.append(pool.submit(todo.popleft()))
            elif todo and len(pending) < READ_AHEAD:
                pending.append(_Job(todo[0], prepare(todo.popleft(), detect=False)))
                continue  # read here while the workers start
            elif not pending or pending[0].future is None and pending[0].waiting():
                pool.ready.wait()
                continue
            yield pending.popleft().result()
    finally:
        pool.close()


# Files read here, at most, while the workers start: their documents wait in memory (a
# deliberation read is ~20 kB of text); on the deliberations, all 123 are read by then.
READ_AHEAD = 256


class _Job:
    """One file: read here (``item``) and/or sent to a worker (``future``)."""

    def __init__(self, path: str, item: Prepared | None = None, future=None) -> None:
        self.path, self.item, self.future = path, item, future

    def waiting(self) -> bool:
        """Read here, its detection not yet sent to a worker."""
        return self.item is not None and self.item.doc is not None and self.future is None

    def result(self) -> Prepared:
        if self.future is None:
            return self.item or prepare(self.path, detect=False)
        try:
            done = self.future.result()
        except BrokenProcessPool:  # the detection is left to Governor.review
            return self.item or prepare(self.path, detect=False)
        if self.item is None:
            return done
        self.item.found, worker = done
        self.item.worker = worker
        return self.item


class _Pool:
    """The worker processes, started from a thread: forking the first one waits for the fork
    server to load spaCy, and this process reads files meanwhile."""

    def __init__(self, workers: int) -> None:
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
        self.ready = threading.Event()
        self.broken = False
        self.env = _clos_env()
        threading.Thread(target=self._start, daemon=True).start()

    def _start(self) -> None:
        try:
            self.executor.submit(os.getpid).result()
        except Exception:  # noqa: BLE001 - no workers: everything is done here
            self.broken = True
        self.ready.set()

    def submit(self, path: str) -> _Job:
        return _Job(path, future=self._submit(prepare, path, True, self.env))

    def submit_waiting(self, pending: deque) -> None:
        """Send the documents read here to the workers, for detection."""
        for job in pending:
            if job.waiting():
                job.future = self._submit(_detect, job.item.doc)

    def _submit(self, func, *args):
        if self.broken:
            return None
        try:
            return self.executor.submit(func, *args)
        except BrokenProcessPool:  # a worker died: the files left are read here
            self.broken = True
            return None

    def close(self) -> None:
        self.ready.wait()
        self.executor.shutdown(wait=True, cancel_futures=True)


def _detect(doc: Document) -> tuple[list[list[list[Finding]]] | None, impact.Measurement | None]:
    """Worker side: ``governor.detect`` of a document read by the pipeline's process and of its
    attachments (None on failure: ``Governor.review`` detects again and says why)."""
    from clos.govern.governor import detect as detect_doc

    with impact.measure() as run:
        try:
            found = [detect_doc(d) for d in (doc, *doc.attachments)]
        except Exception:  # noqa: BLE001 - raised again, in French, by the pipeline
            found = None
    return found, run.measurement


def _clos_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("CLOS_")}


def _use_env(env: dict[str, str]) -> None:
    """Worker side: the ``CLOS_*`` variables as the pipeline has them now (a worker is forked
    from a server started earlier, perhaps under other values)."""
    for key in [k for k in os.environ if k.startswith("CLOS_") and k not in env]:
        del os.environ[key]
    os.environ.update(env)


def _context():
    """Workers forked from a fork server that loaded spaCy and the readers once
    (``clos.govern.preload``): not forked from this process, which may run threads (embedder,
    web server) whose locks a child would inherit held. The server lives as long as this
    process, so later ingestions (``clos serve``, tests) get their workers at once. Like any
    fork server or spawn, it imports the main script again: a script calling ``Clos.ingest``
    must guard its code with ``if __name__ == "__main__":`` (or set ``ingest_workers = 1``).
    Without fork server (Windows), workers are spawned and each loads spaCy itself."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["clos.govern.preload"])
    return context
