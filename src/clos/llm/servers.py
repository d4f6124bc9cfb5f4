"""What the chat and embeddings clients share when they talk to an OpenAI-compatible server.

One ``httpx.Client`` per server (connection reuse, a connect timeout shorter than the read one),
retries with exponential backoff through ``tenacity`` for what a busy or restarting server does
(refused connection, timeout, 429, 5xx) and never for what retrying cannot fix (4xx), and every
failure turned into one French ``ModelError`` that says which server and what to do.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from clos.errors import ModelError

T = TypeVar("T")

# A server on the local network accepts a connection in milliseconds: 5 s without one means it
# is down or unreachable, whatever the read timeout allows for a long generation.
CONNECT_TIMEOUT_S = 5.0
# Backoff between attempts: 0.5 s, 1 s, 2 s… capped at 8 s (tenacity's wait_exponential).
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 8.0
RETRY_STATUS = {408, 429, 500, 502, 503, 504}


def httpx():
    try:
        import httpx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError("Le client HTTP n'est pas installé : pip install httpx") from exc
    return httpx


def check_url(url: str, what: str) -> str:
    """``url`` without its trailing slash; ModelError when it is not an http(s) address."""
    url = (url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ModelError(f"Adresse de serveur {what} invalide : « {url} » (attendu : http://hôte:port/v1).")
    return url


def make_client(base_url: str, *, api_key: str = "", timeout: float = 120.0,
                max_connections: int = 4):
    """An ``httpx.Client`` for ``base_url``: ``timeout`` seconds per read, CONNECT_TIMEOUT_S to
    connect, ``max_connections`` requests in flight at most."""
    h = httpx()
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return h.Client(
        base_url=base_url, headers=headers,
        timeout=h.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout)),
        limits=h.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        # Never a proxy from the environment: the server is named by the settings, nothing else.
        trust_env=False,
    )


def retryable(exc: BaseException) -> bool:
    """Worth another attempt: the server was unreachable, slow, or said it was busy."""
    h = httpx()
    if isinstance(exc, h.HTTPStatusError):
        return exc.response.status_code in RETRY_STATUS
    return isinstance(exc, (h.TransportError,))


def with_retries(call: Callable[[], T], *, retries: int, what: str, url: str,
                 timeout: float) -> T:
    """``call()`` tried ``1 + retries`` times with exponential backoff; its httpx errors become
    ModelError (French, naming the server) once the attempts are spent."""
    import tenacity

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(1 + max(0, retries)),
        wait=tenacity.wait_exponential(multiplier=BACKOFF_FIRST_S, max=BACKOFF_MAX_S),
        retry=tenacity.retry_if_exception(retryable), reraise=True,
    )
    h = httpx()
    try:
        return retrying(call)
    except h.HTTPError as exc:
        raise server_error(exc, what=what, url=url, timeout=timeout, attempts=1 + retries) from exc


def server_error(exc: BaseException, *, what: str, url: str, timeout: float,
                 attempts: int = 1) -> ModelError:
    """The French sentence for an httpx failure talking to the ``what`` server at ``url``."""
    h = httpx()
    tries = f" ({attempts} essais)" if attempts > 1 else ""
    if isinstance(exc, h.ConnectTimeout):
        msg = (f"Le serveur {what} {url} est injoignable : pas de connexion en "
               f"{min(CONNECT_TIMEOUT_S, timeout):g} s{tries}. Vérifiez l'adresse et le réseau.")
    elif isinstance(exc, h.ConnectError):
        msg = (f"Le serveur {what} {url} ne répond pas (connexion refusée){tries} : "
               "vérifiez qu'il est démarré et l'adresse dans les réglages.")
    elif isinstance(exc, h.TimeoutException):
        msg = (f"Le serveur {what} {url} est trop lent : pas de réponse en {timeout:g} s{tries}. "
               "Augmentez le délai (llm_timeout) ou réessayez plus tard.")
    elif isinstance(exc, h.HTTPStatusError):
        code = exc.response.status_code
        msg = f"Le serveur {what} {url} a répondu {code}{tries} : {_server_message(exc.response)}"
    else:
        msg = f"Le serveur {what} {url} ne répond pas correctement{tries} : {exc}"
    return ModelError(msg, detail=repr(exc))


def _server_message(response: Any) -> str:
    try:
        response.read()
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        text = (error.get("message") if isinstance(error, dict) else error) or body.get("detail")
        return str(text or response.text)[:300]
    except Exception:  # noqa: BLE001 - a body that is not JSON still deserves to be shown
        return (getattr(response, "text", "") or response.reason_phrase)[:300]
