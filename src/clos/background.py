"""Vectors computed in the background of `clos serve`.

An upload (or a re-index) through the web indexes its documents lexically and returns: they are
searchable by words at once. Their vectors follow here, without any manual step: one thread
wakes when a collection has new chunks (and once at start, for chunks an earlier run left
without a vector), and embeds them in short jobs of the fair scheduler under the user
``(vecteurs)``: each job embeds a few chunks at a time until ``JOB_SECONDS`` have passed. The
model worker is shared, so a question waits at most one such job behind the embedding, never
the whole of it; and a search uses the vectors that exist.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from clos.errors import BusyError, ClosError

log = logging.getLogger(__name__)

USER = "(vecteurs)"
# How long one job may hold the model worker. A fixed count of chunks was too coarse: 16 made
# a question wait 18–25 s on this project's loaded 2-core machine (≈ 1.6 s a chunk with e5,
# bench/bench_web_vectors.py); 2 between two looks at the clock, 3.2 s median, 5.3 s at most.
# The built-in embedder takes one chunk per engine call anyway, so steps of one cost nothing;
# an embeddings server gets whole batches (its workers busy), as `clos ingest` sends them.
JOB_SECONDS = 2.0


class BackgroundVectors:
    """Embeds pending vectors collection by collection; ``wake(cid)`` after indexing,
    ``wake()`` for every collection. ``idle`` tells when nothing is waiting or running.

    ``clos``: the pipeline (``embed_pending(cid, limit=…) -> int``, ``store.collections``,
    ``store.collection_id``); ``scheduler``: the FairScheduler every model call goes through.
    A failed batch (an embeddings server down) is logged and retried at the next wake-up."""

    def __init__(self, clos: Any, scheduler: Any, *, seconds: float = JOB_SECONDS,
                 step: int | None = None) -> None:
        self.clos, self.scheduler, self.seconds = clos, scheduler, seconds
        s = clos.settings
        self.step = step or (s.embed_batch * s.embed_workers if s.embedder_url else 1)
        self._wanted: list[int | None] = []
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self.done = 0  # chunk vectors written since start
        self._thread = threading.Thread(target=self._run, name="clos-vectors", daemon=True)
        self._thread.start()

    def wake(self, collection_id: int | None = None) -> None:
        """Embed what is pending in ``collection_id`` (None: in every collection)."""
        if self.clos.embedder is None:
            return
        with self._cond:
            if collection_id not in self._wanted:
                self._wanted.append(collection_id)
            self._cond.notify_all()

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._wanted and not self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Block until idle (True) or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._wanted or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=30)

    # -------------------------------------------------------------- worker
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                target = self._wanted.pop(0)
                self._busy = True
            try:
                for cid in self._collections(target):
                    self._fill(cid)
            except ClosError as exc:  # logged; the next wake-up tries again
                log.warning("vecteurs en arrière-plan : %s", exc.message)
            except Exception:  # never let the worker die: later uploads still need it
                log.exception("vecteurs en arrière-plan : erreur inattendue")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _collections(self, target: int | None) -> list[int]:
        if target is not None:
            return [target]
        names = [c["name"] for c in self.clos.store.collections()]
        return [self.clos.store.collection_id(n, create=False) for n in names]

    def _job(self, collection_id: int) -> int:
        """One scheduler job: a few chunks at a time until ``seconds`` passed or none left."""
        start, total = time.monotonic(), 0
        while True:
            done = self.clos.embed_pending(collection_id, limit=self.step)
            total += done
            if not done or time.monotonic() - start >= self.seconds:
                return total

    def _fill(self, collection_id: int) -> None:
        while not self._closed:
            try:
                done = self.scheduler.run(USER, lambda: self._job(collection_id))
            except BusyError as exc:  # the queue is full of questions: they go first
                time.sleep(exc.retry_after)
                continue
            if not done:
                return
            self.done += done
