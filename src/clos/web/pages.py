"""The pages: Connexion, Discuter, source view, « Comment cette réponse a été produite »,
Documents, Rapport, Sobriété, Journal, À propos (the posture). Server-rendered; ``static/app.js`` only adds streaming."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clos.accounts import User
from clos.errors import AccessError
from clos.ingest import SUPPORTED_EXTENSIONS
from clos.web import csrf
from clos.web.deps import page_user, same_origin, service
from clos.web.render import answer_view, trace_view

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def render(request: Request, template: str, user: User | None, **context: Any) -> HTMLResponse:
    from clos.govern.flags import LABELS_FR as FLAG_LABELS
    from clos.govern.policy import DECISION_LABELS_FR
    from clos.web.app import lang_of

    return request.app.state.templates.TemplateResponse(
        request, template, {"user": user, "lang": lang_of(request), "flag_labels": FLAG_LABELS,
                            "decision_labels": DECISION_LABELS_FR, **context})


def _collection(request: Request, user: User, name: str | None) -> tuple[list, str | None]:
    cols = service(request).collections(user)
    names = [c["name"] for c in cols]
    if name and name not in names:
        raise AccessError(f"Collection inconnue : « {name} ».")
    return cols, name or (names[0] if names else None)


# ------------------------------------------------------------------- login
@router.get("/connexion")
def login_page(request: Request):
    return render(request, "login.html", None, failed=False)


@router.post("/connexion")
def login(request: Request, name: str = Form(""), password: str = Form("")):
    same_origin(request)
    user = service(request).accounts.authenticate(name, password)
    if user is None:
        response = render(request, "login.html", None, failed=True, name=name)
        response.status_code = 401
        return response
    request.session.clear()
    request.session["user"] = user.name
    return RedirectResponse("/discuter", status_code=303)


@router.post("/deconnexion")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)


@router.get("/langue/{code}")
def language(code: str, request: Request):
    response = RedirectResponse(request.headers.get("referer") or "/", status_code=303)
    response.set_cookie("lang", "en" if code == "en" else "fr", max_age=365 * 86400,
                        samesite="strict")
    return response


@router.get("/a-propos")
def about(request: Request, user: User = Depends(page_user)):
    """The posture and what it forbids (server addresses for administrators only)."""
    return render(request, "about.html", user)


@router.get("/")
def home():
    return RedirectResponse("/discuter", status_code=303)


# -------------------------------------------------------------------- chat
@router.get("/discuter")
def chat(request: Request, collection: str | None = None, user: User = Depends(page_user)):
    cols, current = _collection(request, user, collection)
    history = service(request).conversation(user, current) if current else []
    return render(request, "chat.html", user, collections=cols, current=current,
                  history=[answer_view(a) for a in history])


@router.post("/discuter")
def chat_post(request: Request, collection: str = Form(...), question: str = Form(...),
              user: User = Depends(page_user)):
    """Without JavaScript: ask, wait, show the conversation (the answer at its anchor)."""
    same_origin(request)
    answer = service(request).ask(user, question, collection)
    return RedirectResponse(f"/discuter?collection={collection}#r{answer.id}", status_code=303)


@router.get("/reponses/{answer_id}/fragment")
def answer_fragment(answer_id: int, request: Request, user: User = Depends(page_user)):
    data = service(request).answer(user, answer_id)
    return render(request, "_answer_fragment.html", user, a=answer_view(data))


@router.get("/reponses/{answer_id}/comment")
def answer_trace(answer_id: int, request: Request, user: User = Depends(page_user)):
    data = service(request).answer(user, answer_id)
    return render(request, "trace.html", user, a=answer_view(data), tr=trace_view(data))


@router.get("/source/{answer_id}/{n}")
def source(answer_id: int, n: int, request: Request, user: User = Depends(page_user),
           reveler: bool = False):
    """The cited page, personal data redacted; ``?reveler=1``: unmasked, for administrators
    (audited)."""
    view = service(request).source(user, answer_id, n, reveal=reveler)
    data = service(request).answer(user, answer_id)
    return render(request, "source.html", user, v=view, answer_id=answer_id, n=n,
                  collection=data["collection"], parts=_marked(view), revealed=reveler)


@router.get("/source/{answer_id}/{n}/page.png")
def source_png(answer_id: int, n: int, request: Request, user: User = Depends(page_user),
               reveler: bool = False):
    from clos.sourceview import render_page

    view = service(request).source(user, answer_id, n, reveal=reveler)
    if not view.is_pdf:
        raise AccessError("Pas de page à afficher pour ce format.")
    png = render_page(view.path, view.page, view.boxes, masks=view.masks)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _marked(view) -> list[tuple[str, bool]]:
    """The text cut into (piece, highlighted) for non-PDF sources (escaped by the template)."""
    out, at = [], 0
    for start, end in view.spans:
        if start >= at:
            out += [(view.text[at:start], False), (view.text[start:end], True)]
            at = end
    return out + [(view.text[at:], False)]


# --------------------------------------------------------------- documents
@router.get("/documents")
def documents(request: Request, collection: str | None = None, user: User = Depends(page_user),
              done: str | None = None):
    cols, current = _collection(request, user, collection)
    docs = service(request).documents(user, current) if current else []
    writable = any(c["name"] == current and c["write"] for c in cols)
    return render(request, "documents.html", user, collections=cols, current=current, docs=docs,
                  writable=writable, types=", ".join(sorted(SUPPORTED_EXTENSIONS)),
                  max_mb=service(request).settings.upload_max_mb, result=None,
                  run=service(request).sync_status(user, current) if current else None)


@router.post("/documents/televerser")
async def upload(request: Request, collection: str = Form(...),
                 files: list[UploadFile] = File(...), user: User = Depends(page_user)):
    from starlette.concurrency import run_in_threadpool

    same_origin(request)
    svc = service(request)
    limit = svc.settings.upload_max_mb * 1024 * 1024
    payload = [(f.filename or "", await f.read(limit + 1)) for f in files]
    result = await run_in_threadpool(svc.upload, user, collection, payload)
    cols, current = _collection(request, user, collection)
    docs = await run_in_threadpool(svc.documents, user, current)
    return render(request, "documents.html", user, collections=cols, current=current, docs=docs,
                  writable=True, types=", ".join(sorted(SUPPORTED_EXTENSIONS)),
                  max_mb=svc.settings.upload_max_mb, result=result,
                  run=await run_in_threadpool(svc.sync_status, user, current))


@router.post("/documents/{document_id}/supprimer")
def delete(document_id: int, request: Request, collection: str = Form(...),
           user: User = Depends(page_user)):
    same_origin(request)
    service(request).delete_document(user, document_id)
    return RedirectResponse(f"/documents?collection={collection}", status_code=303)


@router.post("/documents/reindexer")
def reindex(request: Request, collection: str = Form(...), user: User = Depends(page_user)):
    same_origin(request)
    service(request).reindex(user, collection)
    return RedirectResponse(f"/documents?collection={collection}", status_code=303)


@router.post("/collections")
def create_collection(request: Request, name: str = Form(...), user: User = Depends(page_user)):
    same_origin(request)
    service(request).create_collection(user, name)
    return RedirectResponse(f"/documents?collection={name}", status_code=303)


# ----------------------------------------------------------------- reports
@router.get("/rapport")
def report(request: Request, collection: str | None = None, user: User = Depends(page_user)):
    cols, current = _collection(request, user, collection)
    return render(request, "report.html", user, collections=cols, current=current,
                  frame=f"/rapport/contenu?collection={current}" if current else None,
                  title_key="report.title")


@router.get("/rapport/contenu")
def report_content(request: Request, collection: str, user: User = Depends(page_user)):
    from clos.govern.report import render_html

    return HTMLResponse(render_html(service(request).corpus_report(user, collection)))


@router.get("/sobriete")
def impact(request: Request, user: User = Depends(page_user)):
    service(request).impact_summary(user)  # rights checked before the frame loads
    return render(request, "report.html", user, collections=None, current=None,
                  frame="/sobriete/contenu", title_key="impact.title")


@router.get("/sobriete/contenu")
def impact_content(request: Request, user: User = Depends(page_user)):
    from clos.impact.report import html_report

    return HTMLResponse(html_report(service(request).impact_summary(user)))


@router.get("/pseudonymes")
def pseudonyms(request: Request, collection: str | None = None,
               user: User = Depends(page_user)):
    """Administrators: choose a collection, give a reason, then reveal (POST, audited)."""
    if not user.admin:
        raise AccessError("La levée des pseudonymes est réservée aux administrateurs.")
    cols, current = _collection(request, user, collection)
    return render(request, "pseudonyms.html", user, collections=cols, current=current,
                  rows=None, reason="")


@router.post("/pseudonymes")
def pseudonyms_reveal(request: Request, collection: str = Form(...), reason: str = Form(""),
                      user: User = Depends(page_user)):
    same_origin(request)
    rows = service(request).reveal(user, collection, reason)
    cols, current = _collection(request, user, collection)
    return render(request, "pseudonyms.html", user, collections=cols, current=current,
                  rows=rows, reason=reason)


@router.get("/journal")
def audit(request: Request, user: User = Depends(page_user), who: str | None = None,
          since: str | None = None):
    if not user.admin:
        raise AccessError("Le journal est réservé aux administrateurs.")
    entries = service(request).accounts.audit_log(user=who or None, since=since or None)
    return render(request, "audit.html", user, entries=entries, who=who or "", since=since or "")
