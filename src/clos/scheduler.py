"""One model instance for everyone: a bounded queue served fairly, user by user.

Jobs run one at a time on one worker thread (the model, its prompt cache and the retriever's
caches are not shared between threads). Waiting jobs are taken round-robin across users: a user
with ten questions waiting does not delay another user's first one by ten answers. When the
queue is full, ``submit`` raises ``BusyError`` with a Retry-After estimate (mean duration of the
last jobs × jobs ahead).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from typing import Any, Callable

from clos.errors import BusyError

BUSY = ("Clos est occupé : trop de demandes attendent déjà le modèle. Réessayez dans {s} s.")
BUSY_USER = ("Vous avez déjà {n} demande(s) en attente : attendez leur réponse avant d'en "
             "poser d'autres.")


class Ticket:
    """A submitted job: ``position()`` (0: running or done, n: n-th in line), ``future``."""

    def __init__(self, scheduler: "FairScheduler", user: str, fn: Callable[[], Any]) -> None:
        self.scheduler, self.user, self.fn = scheduler, user, fn
        self.future: Future = Future()
        self.submitted = time.monotonic()

    def position(self) -> int:
        return self.scheduler.position(self)

    def result(self, timeout: float | None = None) -> Any:
        return self.future.result(timeout)

    def cancel(self) -> bool:
        """Withdraw the job if it has not started (a client that went away)."""
        return self.scheduler.cancel(self)


class FairScheduler:
    """Round-robin across users over one worker thread; at most ``max_waiting`` jobs wait in
    all and ``per_user`` per user (defaults from ``Settings.serve_queue_max`` / ``_per_user``)."""

    def __init__(self, *, max_waiting: int = 16, per_user: int = 3) -> None:
        self.max_waiting, self.per_user = max_waiting, per_user
        self._queues: OrderedDict[str, deque[Ticket]] = OrderedDict()
        self._cond = threading.Condition()
        self._durations: deque[float] = deque(maxlen=20)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="clos-model", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- public
    def submit(self, user: str, fn: Callable[[], Any]) -> Ticket:
        with self._cond:
            waiting = sum(len(q) for q in self._queues.values())
            mine = len(self._queues.get(user, ()))
            if waiting >= self.max_waiting:
                raise BusyError(BUSY.format(s=self._retry_after(waiting)),
                                retry_after=self._retry_after(waiting))
            if mine >= self.per_user:
                raise BusyError(BUSY_USER.format(n=mine), retry_after=self._retry_after(mine))
            ticket = Ticket(self, user, fn)
            self._queues.setdefault(user, deque()).append(ticket)
            self._cond.notify_all()
            return ticket

    def run(self, user: str, fn: Callable[[], Any]) -> Any:
        """Submit and wait for the result (re-raises the job's exception)."""
        return self.submit(user, fn).result()

    def position(self, ticket: Ticket) -> int:
        with self._cond:
            order = self._order()
        return order.index(ticket) + 1 if ticket in order else 0

    def waiting(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    def cancel(self, ticket: Ticket) -> bool:
        with self._cond:
            queue = self._queues.get(ticket.user)
            if queue is None or ticket not in queue:
                return False
            queue.remove(ticket)
            if not queue:
                del self._queues[ticket.user]
            ticket.future.cancel()
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # --------------------------------------------------------------- private
    def _order(self) -> list[Ticket]:
        """Waiting tickets in the order they will run (one per user per round)."""
        queues = [list(q) for q in self._queues.values()]
        order, i = [], 0
        while any(len(q) > i for q in queues):
            order += [q[i] for q in queues if len(q) > i]
            i += 1
        return order

    def _retry_after(self, ahead: int) -> int:
        mean = sum(self._durations) / len(self._durations) if self._durations else 5.0
        return max(1, min(300, round(mean * max(1, ahead))))

    def _next(self) -> Ticket | None:
        with self._cond:
            while not self._closed and not self._queues:
                self._cond.wait()
            if self._closed:
                return None
            user, queue = next(iter(self._queues.items()))
            ticket = queue.popleft()
            del self._queues[user]
            if queue:  # the user goes to the back of the round
                self._queues[user] = queue
            return ticket

    def _run(self) -> None:
        while (ticket := self._next()) is not None:
            if not ticket.future.set_running_or_notify_cancel():
                continue
            start = time.monotonic()
            try:
                ticket.future.set_result(ticket.fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                ticket.future.set_exception(exc)
            self._durations.append(time.monotonic() - start)
