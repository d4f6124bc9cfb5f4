"""JSON API: ``/api/ask`` (JSON or SSE), documents, answers (with their trace), reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from clos.accounts import User
from clos.service import answer_payload
from clos.web import csrf
from clos.web.deps import api_user, service
from clos.web.streaming import ask_events, first_then_rest, sse

router = APIRouter(prefix="/api", tags=["Clos"], dependencies=[Depends(csrf.protect)])

ERRORS = {401: {"description": "Non authentifié"},
          404: {"description": "Collection, réponse ou document inconnu"},
          503: {"description": "Occupé (en-tête Retry-After)"}}


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000, description="La question.")
    collection: str = Field(..., min_length=1, max_length=64)
    stream: bool = Field(False, description="Réponse en flux SSE (queue, token, answer).")


@router.get("/collections", responses=ERRORS)
def collections(request: Request, user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Les collections que l'appelant peut lire."""
    return service(request).collections(user)


@router.post("/ask", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def ask(body: AskRequest, request: Request, user: User = Depends(api_user)):
    """Poser une question : le JSON de ``clos ask --json`` (plus ``id``), ou un flux SSE
    (``stream`` ou ``Accept: text/event-stream``) : événements ``queue``, ``token``,
    ``answer`` ou ``error``."""
    svc = service(request)
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = await first_then_rest(ask_events(svc, user, body.question, body.collection), sse)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    answer = await run_in_threadpool(svc.ask, user, body.question, body.collection)
    payload = answer_payload(answer)
    payload.pop("trace", None)
    return JSONResponse(payload)


@router.get("/answers/{answer_id}", responses=ERRORS)
def answer(answer_id: int, request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Une réponse de l'appelant avec ``trace`` : comment elle a été produite."""
    return service(request).answer(user, answer_id)


@router.get("/documents", responses=ERRORS)
def documents(collection: str, request: Request,
              user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Les fichiers d'une collection, avec décision et signalements de gouvernance."""
    return service(request).documents(user, collection)


@router.post("/documents", responses=ERRORS)
async def upload(request: Request, collection: str = Form(..., max_length=64),
                 files: list[UploadFile] = File(...),
                 user: User = Depends(api_user)) -> dict[str, Any]:
    """Téléverser et indexer des fichiers ; chaque refus nomme le fichier et la raison."""
    svc = service(request)
    limit = svc.settings.upload_max_mb * 1024 * 1024
    payload = [(f.filename or "", await f.read(limit + 1)) for f in files]
    return await run_in_threadpool(svc.upload, user, collection, payload)


@router.delete("/documents/{document_id}", responses=ERRORS)
def delete(document_id: int, request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Retirer un document de l'index (et son fichier téléversé)."""
    return {"deleted": service(request).delete_document(user, document_id)}


@router.get("/pseudonyms", responses=ERRORS)
def pseudonyms(collection: str, request: Request,
               user: User = Depends(api_user)) -> list[dict[str, Any]]:
    """Qui se cache derrière chaque pseudonyme (administrateurs ; chaque levée est journalisée)."""
    return service(request).reveal(user, collection)


@router.get("/report", responses=ERRORS)
def report(collection: str, request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Le rapport de gouvernance d'une collection (JSON de ``clos report --json``)."""
    return service(request).corpus_report(user, collection)


@router.get("/impact", responses=ERRORS)
def impact(request: Request, user: User = Depends(api_user)) -> dict[str, Any]:
    """Le bilan énergie et carbone (administrateurs)."""
    return service(request).impact_summary(user)
