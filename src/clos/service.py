"""What a multi-user front end (``clos serve``: pages, JSON API, OpenAI-compatible API) may do,
with each caller's rights applied: the web layer calls this and nothing below it.

One ``Clos`` (one store, one retriever, one model) serves everyone through a ``FairScheduler``;
every model call and every write to the index runs on its one worker thread. A collection the
caller may not read is « inconnue » on every path (ask, answers, sources, documents, reports).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from clos.accounts import LOCAL, Accounts, User
from clos.errors import AccessError, ClosError, IngestError
from clos.ingest import SUPPORTED_EXTENSIONS
from clos.background import BackgroundVectors
from clos.scheduler import FairScheduler, Ticket
from clos.settings import Settings
from clos.types import Answer

UNKNOWN_ANSWER = "Réponse inconnue."
_SAFE_NAME = re.compile(r"[^\w.\- ()\[\]'àâäçéèêëîïôöùûüÿœæ]+", re.IGNORECASE)


def answer_payload(answer: Answer) -> dict[str, Any]:
    """The answer as stored for its owner: ``Answer.to_dict()`` plus ``id`` and ``trace``."""
    data = answer.to_dict()
    data["id"] = answer.id
    data["trace"] = answer.trace.to_dict() if answer.trace is not None else None
    return data


class Service:
    """Accounts, queue and library behind ``clos serve``. Thread-safe for the web layer: reads
    use the store's per-thread connections, writes and model calls go through the queue."""

    def __init__(self, settings: Settings | None = None) -> None:
        from clos.pipeline import Clos

        self.settings = settings or Settings.load()
        self.clos = Clos(self.settings)
        self.store = self.clos.store
        self.accounts = Accounts(self.store)
        self.scheduler = FairScheduler(max_waiting=self.settings.serve_queue_max,
                                       per_user=self.settings.serve_queue_per_user)
        # Uploads index by words and return; vectors follow here (and, at start, those an
        # earlier `clos ingest` left pending). The store is opened (migrated) first, here.
        self.store.schema_version()
        self.vectors = BackgroundVectors(self.clos, self.scheduler)
        self.vectors.wake()

    def close(self) -> None:
        self.vectors.close()
        self.scheduler.close()
        self.clos.close()

    # -------------------------------------------------------------- callers
    def caller(self, name: str | None) -> User | None:
        """The user of a session (by name); in local mode (no account), the local user."""
        if not self.accounts.enabled:
            return LOCAL
        return self.accounts.user(name) if name else None

    def token_caller(self, token: str | None) -> User | None:
        if not self.accounts.enabled:
            return LOCAL
        return self.accounts.user_for_token(token) if token else None

    def collections(self, user: User) -> list[dict[str, Any]]:
        """Readable collections: ``{"name", "documents", "write"}``, nothing about the others."""
        rights = self.accounts.rights(user)
        return [{"name": c["name"], "documents": c["documents"], "write": rights[c["name"]][1]}
                for c in self.store.collections() if rights.get(c["name"], (False,))[0]]

    # ------------------------------------------------------------------ ask
    def submit_ask(self, user: User, question: str, collection: str,
                   on_token: Callable[[str], None] | None = None) -> Ticket:
        """Queue a question (AccessError, BusyError); the ticket's result is the Answer."""
        cid = self.accounts.require(user, collection)
        if not (question or "").strip():
            raise ClosError("La question est vide.")
        return self.scheduler.submit(user.name, lambda: self._ask(user, question, collection,
                                                                  cid, on_token))

    def ask(self, user: User, question: str, collection: str,
            on_token: Callable[[str], None] | None = None) -> Answer:
        return self.submit_ask(user, question, collection, on_token).result()

    def _ask(self, user: User, question: str, collection: str, cid: int, on_token) -> Answer:
        answer = self.clos.ask(question, collection=collection, on_token=on_token)
        if answer.id is not None:
            self.store.save_conversation_answer(answer.id, user.name, cid, answer_payload(answer))
        self.accounts.audit(user, "ask", collection, question=question, answer_id=answer.id,
                            refused=answer.refused,
                            passages=[c.chunk_id for c in answer.citations])
        return answer

    def answer(self, user: User, answer_id: int) -> dict[str, Any]:
        """A stored answer of ``user`` (administrators: anyone's in a collection they read)."""
        row = self.store.conversation_answer(int(answer_id))
        if row is None or (row["user_name"] != user.name and not user.admin):
            raise AccessError(UNKNOWN_ANSWER)
        if row["collection"] not in self.accounts.readable(user):
            raise AccessError(UNKNOWN_ANSWER)  # rights withdrawn since
        return {**row["payload"], "id": row["answer_id"], "collection": row["collection"],
                "created_at": row["created_at"]}

    def conversation(self, user: User, collection: str) -> list[dict[str, Any]]:
        cid = self.accounts.require(user, collection)
        return [{**r["payload"], "id": r["answer_id"]}
                for r in self.store.conversation(user.name, cid)]

    def source(self, user: User, answer_id: int, n: int, *, reveal: bool = False) -> Any:
        """The passage behind citation ``n`` (0: the key passage) of an answer, as it stands
        in its file (``sourceview.SourceView``); AccessError when unknown to the caller.
        The personal data the index pseudonymised is redacted from a PDF page, unless
        ``reveal`` (administrators only, like ``reveal``; audited as a ``reveal`` entry)."""
        from clos.sourceview import view

        data = self.answer(user, answer_id)
        cites = list(data.get("citations") or []) + list(data.get("closest") or [])
        if data.get("key_passage"):
            cites.insert(0, {**data["key_passage"], "n": 0})
        cite = next((c for c in cites if int(c.get("n", -1)) == int(n)), None)
        if cite is None:
            raise AccessError("Citation inconnue.")
        where = self.store.chunk_source(int(cite["chunk_id"]))
        if where is None or where["collection"] != data["collection"]:
            raise AccessError("Ce passage n'est plus dans l'index (document retiré).")
        if reveal and not user.admin:
            raise AccessError("La levée des pseudonymes est réservée aux administrateurs.")
        self.accounts.audit(user, "reveal" if reveal else "source", where["collection"],
                            answer_id=int(answer_id), passages=[where["chunk_id"]])
        return view(where, cite.get("quote") or "", cite.get("page"),
                    None if reveal else self._secrets(where))

    def _secrets(self, where: dict[str, Any]) -> list[Any]:
        """The pseudonymised values of the chunk's document, to be hidden on its pages."""
        from clos.sourcemask import secrets_of

        if (where.get("format") or "").lower() != "pdf":
            return []  # other formats are shown from the index's own (pseudonymised) text
        texts = [c["text"] for c in self.store.document_chunks(int(where["document_id"]))]
        if "[" not in "".join(texts):
            return []
        return secrets_of(texts, self.store.pseudonyms(int(where["collection_id"])))

    # ------------------------------------------------------------ documents
    def documents(self, user: User, collection: str) -> list[dict[str, Any]]:
        """Indexed and excluded files with their governance decision and flags."""
        from clos.govern import records

        cid = self.accounts.require(user, collection)
        reviews = {r["path"]: r for r in records.review_rows(self.store, cid)}
        out = []
        for d in self.store.documents(cid):
            r = reviews.pop(d["path"], {})
            out.append({**d, "name": Path(d["path"]).name, "decision": r.get("decision", "index"),
                        "flags": r.get("flags", []), "pii": r.get("pii", {}), "indexed": True})
        for path, r in reviews.items():
            out.append({"id": None, "path": path, "name": Path(path).name, "title": r["title"],
                        "format": r["format"], "pages": r["pages"], "chunks": 0,
                        "decision": r["decision"], "flags": r["flags"], "pii": r["pii"],
                        "indexed": False})
        return out

    def sync_status(self, user: User, collection: str) -> dict[str, Any] | None:
        """The latest ingestion run of the collection (counts, dates, per-file errors), with
        ``vectors``: ``{"done", "total", "running"}`` when an embedder is on (else None)."""
        cid = self.accounts.require(user, collection)
        run = self.store.last_run(cid)
        if run:
            run["errors"] = [{**e, "name": Path(e["path"]).name} for e in run["errors"]]
            embedder = self.clos.embedder
            if embedder is not None:
                done, total = self.store.vector_progress(cid, embedder.name)
                run["vectors"] = {"done": done, "total": total, "running": not self.vectors.idle}
        return run

    def create_collection(self, user: User, name: str) -> None:
        if not user.admin:
            raise AccessError("Seul un administrateur peut créer une collection.")
        name = (name or "").strip()
        if not re.fullmatch(r"[\w\-]{1,64}", name):
            raise ClosError("Nom de collection invalide (lettres, chiffres, - et _, 64 au plus).")
        self.store.collection_id(name)
        self.accounts.audit(user, "collection_add", name)

    def upload_dir(self, collection: str) -> Path:
        return Path(self.settings.data_dir) / "uploads" / collection

    def upload(self, user: User, collection: str,
               files: list[tuple[str, bytes]]) -> dict[str, Any]:
        """Check, save and index uploaded files. Returns ``{"indexed": [...], "errors":
        [{"file", "reason"}], "report": IngestReport fields}``; each refusal names the file."""
        self.accounts.require(user, collection, write=True)
        limit = self.settings.upload_max_mb * 1024 * 1024
        folder = self.upload_dir(collection)
        folder.mkdir(parents=True, exist_ok=True)
        saved, errors = [], []
        for raw_name, content in files:
            name = _SAFE_NAME.sub("_", Path(raw_name or "").name).strip(" .") or "document"
            suffix = Path(name).suffix.lower()
            if suffix not in SUPPORTED_EXTENSIONS:
                errors.append({"file": raw_name, "reason": f"format non pris en charge "
                               f"({suffix or 'sans extension'})"})
            elif len(content) > limit:
                errors.append({"file": raw_name, "reason": "fichier trop volumineux "
                               f"({len(content) / 1e6:.1f} Mo, {self.settings.upload_max_mb} Mo"
                               " au plus)"})
            elif not content:
                errors.append({"file": raw_name, "reason": "fichier vide"})
            else:
                (folder / name).write_bytes(content)
                saved.append(folder / name)
        report = None
        if saved:
            report = self.scheduler.run(user.name, lambda: self.clos.ingest(
                saved, collection=collection, vectors=False))
            self.vectors.wake(self.store.collection_id(collection, create=False))
            errors += [{"file": Path(p).name, "reason": r} for p, r in report.errors]
        self.accounts.audit(user, "upload", collection, files=[p.name for p in saved],
                            errors=len(errors))
        failed = {e["file"] for e in errors}
        return {"indexed": [p.name for p in saved if p.name not in failed], "errors": errors,
                "report": asdict(report) if report else None}

    def delete_document(self, user: User, document_id: int) -> str:
        doc = self.store.document(int(document_id))
        if doc is None:
            raise AccessError("Document inconnu.")
        try:
            self.accounts.require(user, doc["collection"], write=True)
        except AccessError as exc:
            if doc["collection"] in self.accounts.readable(user):
                raise
            raise AccessError("Document inconnu.") from exc
        self.scheduler.run(user.name, lambda: self._delete(doc))
        self.accounts.audit(user, "delete", doc["collection"], file=Path(doc["path"]).name)
        return Path(doc["path"]).name

    def _delete(self, doc: dict[str, Any]) -> None:
        self.store.delete_documents([doc["id"]])
        self.clos._changed()
        path = Path(doc["path"])
        if path.parent == self.upload_dir(doc["collection"]) and path.exists():
            path.unlink()

    def reindex(self, user: User, collection: str) -> dict[str, Any]:
        """Read the collection's upload folder again (changed files, files gone)."""
        self.accounts.require(user, collection, write=True)
        folder = self.upload_dir(collection)
        if not folder.is_dir():
            raise IngestError(folder, "aucun fichier téléversé dans cette collection")
        report = self.scheduler.run(user.name, lambda: self.clos.ingest(
            [folder], collection=collection, sync=True, vectors=False))
        self.vectors.wake(self.store.collection_id(collection, create=False))
        self.accounts.audit(user, "reindex", collection, indexed=report.indexed)
        return asdict(report)

    def reveal(self, user: User, collection: str,
               reason: str | None = None) -> list[dict[str, Any]]:
        """The pseudonym table of a collection, for administrators only; audited (``reveal``
        entry under the caller's name, with the ``reason`` given, 500 characters at most)."""
        from clos.govern import reveal

        cid = self.accounts.require(user, collection)
        if not user.admin:
            raise AccessError("La levée des pseudonymes est réservée aux administrateurs.")
        return reveal(self.store, cid, by=user.name,
                      reason=(reason or "").strip()[:500] or None)

    # -------------------------------------------------------------- reports
    def corpus_report(self, user: User, collection: str) -> dict[str, Any]:
        from clos.govern.report import build_report

        cid = self.accounts.require(user, collection)
        return build_report(self.store, cid, collection=collection, settings=self.settings)

    def impact_summary(self, user: User) -> dict[str, Any]:
        """The sobriety dashboard's figures (all collections: administrators only, as they
        aggregate collections the caller may not read)."""
        from clos.impact import ledger

        if not user.admin:
            raise AccessError("Le tableau de sobriété est réservé aux administrateurs.")
        return ledger.summary(self.store)
