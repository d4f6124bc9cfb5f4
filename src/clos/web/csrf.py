"""Per-session CSRF token (synchronizer token pattern, OWASP CSRF cheat sheet): a random token
kept in the signed session cookie, written into every form (hidden field ``csrf_token``) and
into a ``<meta name="csrf-token">`` the page's script sends back as ``X-CSRF-Token``. Every
state-changing request without an API token (``Authorization: Bearer``, which a browser never
adds by itself) must carry it, or gets HTTP 403 with a French message.

On top of SameSite=Strict and the Origin check of ``deps.same_origin``. The maintained packages
that fit Starlette (asgi-csrf, starlette-csrf, fastapi-csrf-protect) implement the double-submit
cookie instead, unbound to the session, and read form fields only in part (first multipart field)
or not at all; the session here is already signed (itsdangerous, through Starlette's
``SessionMiddleware``), so the token needs no signature of its own.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_BYTES = 32  # 256 bits, as OWASP's cheat sheet asks of a session-bound token


def token(request: Request) -> str:
    """The session's token, created on first use (the session cookie then carries it)."""
    value = request.session.get(SESSION_KEY)
    if not value:
        value = secrets.token_urlsafe(TOKEN_BYTES)
        request.session[SESSION_KEY] = value
    return value


async def protect(request: Request) -> None:
    """Router dependency: HTTP 403 (French message) when a state-changing request carried by
    the session lacks the session's token (header ``X-CSRF-Token`` or form field)."""
    if request.method in SAFE:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    sent = request.headers.get(HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    expected = request.session.get(SESSION_KEY)
    if not (sent and expected and hmac.compare_digest(sent.encode(), expected.encode())):
        from clos.web.app import lang_of
        from clos.web.messages import t

        raise HTTPException(403, t("error.csrf", lang_of(request)))
