"""Who is calling: the session user for pages, a Bearer token (or the session) for the API."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from clos.accounts import User
from clos.service import Service
from clos.web.messages import t


def service(request: Request) -> Service:
    return request.app.state.service


def page_user(request: Request) -> User:
    """The logged-in user (or the local user with no account); else redirect to login."""
    from clos.web.app import NeedLogin

    user = service(request).caller(request.session.get("user"))
    if user is None:
        raise NeedLogin()
    return user


def api_user(request: Request) -> User:
    """``Authorization: Bearer <token>`` or a browser session; else HTTP 401."""
    from clos.web.app import lang_of

    svc = service(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = svc.token_caller(auth[7:].strip())
    else:
        user = svc.caller(request.session.get("user"))
        if user is not None and not user.local and request.method not in ("GET", "HEAD"):
            same_origin(request)
    if user is None:
        raise HTTPException(401, t("error.token", lang_of(request)),
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def same_origin(request: Request) -> None:
    """A state-changing request carried by the session cookie must come from our own pages
    (the cookie is SameSite=Strict already; this also covers same-site neighbours)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(403, "Origine de la requête refusée.")
