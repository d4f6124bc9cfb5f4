"""OpenAI-compatible endpoints: one model per collection the caller may read; the last user
message is the question. Citations, refusal, unsupported sentences, key passage and impact
travel in the extra field ``clos`` of the response (and of the final stream chunk), so they
do not vanish behind the API."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from clos.accounts import User
from clos.errors import ClosError
from clos.service import answer_payload
from clos.web import csrf
from clos.web.api import ERRORS
from clos.web.deps import api_user, service
from clos.web.streaming import ask_events, first_then_rest

router = APIRouter(prefix="/v1", tags=["OpenAI"], dependencies=[Depends(csrf.protect)])


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = Field(..., min_length=1, max_length=64, description="Nom de la collection.")
    messages: list[Message] = Field(..., min_length=1)
    stream: bool = False
    model_config = {"extra": "allow"}  # temperature, max_tokens…: accepted, Clos's own apply


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def clos_extra(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "refused", "citations", "unsupported", "key_passage", "impact", "verified",
            "refusal_reason", "warnings", "closest")
    return {k: payload.get(k) for k in keys}


@router.get("/models", responses=ERRORS)
def models(request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Une entrée par collection lisible par l'appelant."""
    return {"object": "list", "data": [
        {"id": c["name"], "object": "model", "created": 0, "owned_by": "clos"}
        for c in service(request).collections(user)]}


@router.post("/chat/completions", responses=ERRORS)
async def chat(body: ChatRequest, request: Request, user: User = Depends(api_user)):
    """Chat completion (``stream`` : morceaux SSE ``chat.completion.chunk``, puis ``[DONE]``)."""
    question = next((_text(m.content) for m in reversed(body.messages) if m.role == "user"), "")
    if not question.strip():
        raise ClosError("Aucun message utilisateur : la question est vide.")
    svc, cid, created = service(request), f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(svc.ask, user, question, body.model)
        payload = answer_payload(answer)
        return JSONResponse({
            "id": cid, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.answer}}],
            "usage": {"prompt_tokens": answer.usage.prompt_tokens,
                      "completion_tokens": answer.usage.completion_tokens,
                      "total_tokens": answer.usage.prompt_tokens + answer.usage.completion_tokens},
            "clos": clos_extra(payload)})

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": body.model, "choices": [{"index": 0, "delta": delta,
                                                  "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def render(event: str, data: Any) -> str:
        # Draft tokens stream as they come; the checked answer (which may differ: a sentence
        # removed, a refusal) is the final chunk's ``clos.answer``.
        if event == "queue":
            return ": queue position %d\n\n" % data["position"]
        if event == "token":
            return chunk({"content": data["text"]})
        if event == "error":
            return chunk({}, "stop", clos={"error": data["message"]}) + "data: [DONE]\n\n"
        return (chunk({}, "stop", clos={**clos_extra(data), "answer": data.get("answer")})
                + "data: [DONE]\n\n")

    events = await first_then_rest(ask_events(svc, user, question, body.model), render)

    async def with_role():
        yield chunk({"role": "assistant", "content": ""})
        async for piece in events:
            yield piece

    return StreamingResponse(with_role(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})
