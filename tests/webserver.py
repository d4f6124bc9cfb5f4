"""A real `clos serve` on a free loopback port for the web tests: accounts, groups, two
collections (one the other group may not see), the real gemma3-270m model, lexical retrieval."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from clos.service import Service
from clos.settings import Settings
from clos.web import create_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "web"
PASSWORD = "mot-de-passe-solide"
PDF_NAME = "2014-04-24-0000071251.pdf"
QUESTION = ("Quel est le montant forfaitaire remboursé par repas aux agents de la Ville de "
            "Montpellier en déplacement ?")
SECRET_TEXT = ("Subvention confidentielle du service finances : 48 000 euros accordés à "
               "l'association Horizon pour l'année 2025. Document réservé au groupe finances.")


def csrf_of(html: str) -> str:
    """The session's CSRF token as a page carries it (``<meta name="csrf-token">``)."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def session(server: "Server", user: str):
    """An httpx client logged in through the form (with its CSRF token), as a browser is."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=600) as c:
        token = csrf_of(c.get("/connexion").text)
        r = c.post("/connexion", data={"name": user, "password": PASSWORD, "csrf_token": token},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        return httpx.Client(base_url=server.url, timeout=600, cookies=c.cookies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_settings(data_dir: Path, **env: str) -> Settings:
    # Answers cut at 96 tokens: the expected answer takes about 75 with gemma3-270m, and the
    # browser test must finish on a shared 2-core machine.
    base = {"CLOS_EMBEDDER": "off", "CLOS_MODEL": "gemma3-270m", "CLOS_MAX_TOKENS": "96",
            "CLOS_CACHE_DIR": str(Path.home() / ".cache" / "clos")}
    return Settings.load(flags={"data_dir": str(data_dir)}, env={**base, **env})


@dataclass
class Server:
    url: str
    service: Service
    settings: Settings
    tokens: dict[str, str]
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.service.close()


def start(data_dir: Path, *, accounts: bool = True, **env: str) -> Server:
    """Start the app in a thread; with ``accounts``: users agent (rh), autre (finances) and
    admin, collections rh (empty, rh may write) and finances (one private document)."""
    settings = make_settings(data_dir, **env)
    service = Service(settings)
    tokens: dict[str, str] = {}
    if accounts:
        acc = service.accounts
        for name, group in (("agent", "rh"), ("autre", "finances"), ("admin", "admin")):
            acc.add_user(name, PASSWORD, [group])
            tokens[name] = acc.new_token(name, "tests")
        admin = acc.user("admin")
        service.create_collection(admin, "rh")
        service.create_collection(admin, "finances")
        acc.grant("rh", "rh", read=True, write=True)
        acc.grant("finances", "finances", read=True, write=False)
        service.upload(admin, "finances", [("budget-confidentiel.txt",
                                            SECRET_TEXT.encode("utf-8"))])
    port = free_port()
    config = uvicorn.Config(create_app(service=service), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("le serveur de test n'a pas démarré")
        time.sleep(0.05)
    return Server(f"http://127.0.0.1:{port}", service, settings, tokens, server, thread)
