"""Run a queued question and turn it into events for a client: ``queue`` (position),
``token`` (draft text), then ``answer`` (the checked answer) or ``error``.

The model runs on the scheduler's worker thread; tokens cross to the event loop through
``call_soon_threadsafe``. A client that leaves before its turn withdraws its question.
The draft is shown without the prompt's scaffolding a small model sometimes echoes (the
excerpt fences « <<< » « >>> », the marker of a removed passage): the checked answer drops
them too (``answer.compose``), the draft must not flash them first.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Callable

from clos.accounts import User
from clos.errors import ClosError
from clos.service import Service, answer_payload


async def ask_events(service: Service, user: User, question: str,
                     collection: str) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs; AccessError/BusyError/ClosError are raised before the first one
    (so the route can still answer 404/503/400), later failures arrive as ``error``."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue = asyncio.Queue()

    def on_token(piece: str) -> None:  # on the worker thread; the library strips the fences
        loop.call_soon_threadsafe(events.put_nowait, piece)

    ticket = service.submit_ask(user, question, collection, on_token)
    done = asyncio.wrap_future(ticket.future)
    last = None
    try:
        while True:
            position = ticket.position()
            if position != last:
                last = position
                yield "queue", {"position": position}
            getter = asyncio.ensure_future(events.get())
            finished, _ = await asyncio.wait({getter, done}, timeout=0.5,
                                             return_when=asyncio.FIRST_COMPLETED)
            if getter in finished:
                yield "token", {"text": getter.result()}
            else:
                getter.cancel()
            if done.done():
                break
        while not events.empty():
            yield "token", {"text": events.get_nowait()}
        try:
            answer = done.result()
        except ClosError as exc:
            yield "error", {"message": exc.message}
            return
        yield "answer", answer_payload(answer)
    finally:
        if not ticket.future.done():
            ticket.cancel()


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def first_then_rest(gen: AsyncIterator, render: Callable[[str, Any], str]):
    """Pull the first event now (so errors raised before it become HTTP statuses), then
    return an async iterator of rendered strings for a StreamingResponse."""
    first = await gen.__anext__()

    async def rest():
        yield render(*first)
        async for event, data in gen:
            yield render(event, data)

    return rest()
