"""The ASGI application of ``clos serve``: FastAPI, Jinja2 pages, static assets served by Clos
itself (no CDN: the pages work with the network cut), signed session cookies.

Security headers: a Content-Security-Policy with ``script-src 'self'`` (no inline script can
run, so a document's text or file name can never execute), ``frame-ancestors 'self'``, no
referrer. Session cookie: signed with a key kept outside the data folder
(``accounts.secret_file``), HttpOnly, SameSite=Strict (a cross-site form cannot use it).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from clos.accounts import secret_file
from clos.errors import AccessError, BusyError, ClosError
from clos.service import Service
from clos.settings import Settings
from clos.web import csrf
from clos.web.messages import t

HERE = Path(__file__).parent
SESSION_HOURS = 12  # a working day; the cookie is signed, the session ends with it
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")


class NeedLogin(Exception):
    """Raised by page dependencies when no session: redirect to the login page."""


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    """Build the app over one ``Service`` (created from ``settings`` when not given)."""
    from clos.web import api, openai_api, pages

    service = service or Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        service.close()

    app = FastAPI(lifespan=lifespan, title="Clos", version="0.1.0",
                  description="API de Clos : questions sourcées, documents, rapports ; "
                              "compatible OpenAI sous /v1.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.service = service
    app.state.templates = templates()
    from clos.posture import overview

    # The posture is fixed for the process (settings are loaded once): every page's footer
    # names it, « À propos » lists what it forbids.
    app.state.templates.env.globals["posture"] = overview(service.settings)
    app.add_middleware(SessionMiddleware,
                       secret_key=secret_file(service.settings, "session.key").hex(),
                       session_cookie="clos_session", max_age=SESSION_HOURS * 3600,
                       same_site="strict", https_only=False)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer turns Origin into "null"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(openai_api.router)
    _errors(app)

    return app


def templates() -> Jinja2Templates:
    tpl = Jinja2Templates(directory=str(HERE / "templates"))
    tpl.env.globals["t"] = t
    tpl.env.globals["csrf_token"] = csrf.token
    tpl.env.filters["dec"] = lambda v, digits=2: f"{float(v or 0):.{digits}f}".replace(".", ",")
    return tpl


def lang_of(request: Request) -> str:
    lang = request.cookies.get("lang") or request.app.state.service.settings.lang
    return lang if lang in ("fr", "en") else "fr"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/v1/")) or "application/json" in request.headers.get(
        "accept", "")


def error_body(request: Request, message: str) -> dict[str, Any]:
    if request.url.path.startswith("/v1/"):
        return {"error": {"message": message, "type": "invalid_request_error"}}
    return {"detail": message}


def _errors(app: FastAPI) -> None:
    def page(request: Request, message: str, status: int, headers=None):
        if _wants_json(request):
            return JSONResponse(error_body(request, message), status_code=status, headers=headers)
        lang = lang_of(request)
        return request.app.state.templates.TemplateResponse(
            request, "error.html", {"message": message, "lang": lang, "user": None},
            status_code=status, headers=headers)

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin):
        return RedirectResponse("/connexion", status_code=303)

    @app.exception_handler(AccessError)
    async def access(request: Request, exc: AccessError):
        return page(request, exc.message, 404)

    @app.exception_handler(BusyError)
    async def busy(request: Request, exc: BusyError):
        return page(request, exc.message, 503, {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(ClosError)
    async def clos_error(request: Request, exc: ClosError):
        return page(request, exc.message, 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else t("error.404", lang_of(request))
        if exc.status_code == 404 and message == "Not Found":
            message = t("error.404", lang_of(request))
        return page(request, message, exc.status_code, getattr(exc, "headers", None))
