"""The stages in order: ingest → govern → index → retrieve → answer → verify → account.

``Clos`` holds one store, one retriever and (lazily) one model, so a long-lived process (eval,
bench, web) reuses the loaded model and its prompt cache between questions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from clos import collection_templates, impact
from clos.answer.compose import Context, compose, freshness_warnings
from clos.errors import ClosError, IngestError, ModelError
from clos.govern import Governor, excluded_paths, forget
from clos.ingest import chunk_document, iter_files, read_document
from clos.ingest.accounting import (FileEntry, IngestProgress, IngestReport,  # noqa: F401
                                    exclusion_reasons, notes_as_dicts, status_of, summarise)
from clos.ingest.mail import message_of
from clos.prepare import Ahead, Prepared, combined
from clos.retrieve import LexicalRetriever, analyze
from clos.retrieve.dense import HybridRetriever, embed_chunks, embed_pending
from clos.retrieve.embedders import load_embedder
from clos.retrieve.repeats import chunk_terms, mark_repeats
from clos.settings import Settings
from clos.store import open_store
from clos.types import Answer, Document, Hit

class Clos:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.load()
        self.store = open_store(self.settings)
        lexical = LexicalRetriever(
            self.store, candidates=self.settings.candidates,
            max_per_doc=self.settings.max_chunks_per_doc,
        )
        self.embedder = load_embedder(self.settings)
        self.retriever = lexical if self.embedder is None else HybridRetriever(
            lexical, self.embedder, dense_weight=self.settings.dense_weight,
            pool=self.settings.dense_pool, windows=self.settings.dense_windows)
        # During `ingest`, documents are indexed lexically first (searchable at once) and their
        # vectors computed after, by batches (embed_pending): see ingest().
        self._defer_vectors = False

    def close(self) -> None:
        self.retriever.close()
        if self.embedder is not None:
            self.embedder.close()
        self.store.close()

    def __enter__(self) -> "Clos":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- ingest
    def ingest(
        self, paths: Iterable[Path | str], *, collection: str | None = None, sync: bool = False,
        progress: IngestProgress | None = None, vectors: bool = True,
    ) -> IngestReport:
        """Index new and changed files; with ``sync``, forget files gone from the given folders;
        ``vectors=False`` leaves the vectors to the caller (`clos serve`: in the background)."""
        name = collection or self.settings.collection
        roots = [Path(p).expanduser().resolve() for p in paths]
        missing = [str(r) for r in roots if not r.exists()]
        if missing:
            raise IngestError(missing[0], "chemin introuvable")
        cid = self.store.collection_id(name)
        known = self.store.document_hashes(cid)
        # A run killed between indexing a file and recording its review left the document
        # without one: read it again (its message too, for an attachment).
        for path in self.store.unreviewed_paths(cid):
            known.pop(path, None)
            known.pop(message_of(path) or path, None)
        # Files excluded by governance are not in the index but need no new review unchanged.
        excluded = {p: (None, h) for p, h in excluded_paths(self.store, cid).items()}
        governor = Governor(self.store, self.settings, cid)
        report = IngestReport(collection=name, run_id=self.store.start_run(cid))
        skipped: list[IngestError] = []
        files = list(iter_files(roots, skipped=skipped))
        for err in skipped:  # files named explicitly that Clos cannot read
            self._fail(report, err.path, err.reason, cid)
        if progress:
            progress.start(len(files))
        start = time.perf_counter()
        with impact.measure() as run:
            seen_before = {**excluded, **known}  # built once: rebuilt per file it was O(n²)
            # Files new or changed are read, and their personal data detected, ahead in worker
            # processes (clos.prepare); governance decides and indexes them here, in order.
            ahead = Ahead(files, seen_before, self.settings.ingest_workers)
            self._defer_vectors = True
            try:
                for path in files:
                    report.files_seen += 1
                    error = self._ingest_one(path, cid, seen_before, governor, report,
                                             ahead.digests[path], ahead.take(path))
                    run.checkpoint()  # a RAPL counter may wrap more than once in a long run
                    if progress:
                        progress.advance(str(path), pages=report.pages, error=error)
            finally:
                self._defer_vectors = False
                ahead.close()
            if sync:
                report.removed = self._sync(cid, roots, {str(p) for p in files}, known, excluded)
            report.repeats = self.mark_repeats(cid)
            # Every document is searchable (lexically) by now; vectors follow, by batches, for
            # this run's chunks and any an earlier run left without one.
            try:
                report.vectors += self.embed_pending(cid, progress=progress,
                                                     expected=report.chunks) if vectors else 0
            except ModelError as exc:  # an embeddings server down: the documents stay searchable
                report.errors.append(("(vecteurs)", f"{exc.message} Les documents restent "
                                      "consultables par mots ; les vecteurs manquants seront "
                                      "calculés au prochain « clos ingest »."))
            self._changed()  # governance may have retired older copies
        report.duration_s = time.perf_counter() - start
        assessed = impact.assess(combined(run.measurement, *ahead.spent), prompt_tokens=0,
                                 completion_tokens=0, settings=self.settings)
        report.impact = assessed.to_dict()
        impact.ledger.record(self.store, kind="ingest_run", ref_id=report.run_id,
                             collection_id=cid, impact=assessed)
        self.store.finish_run(
            report.run_id, files_seen=report.files_seen, files_indexed=report.indexed,
            files_skipped=report.skipped, files_failed=report.failed,
            files_removed=report.removed, pages=report.pages, chunks=report.chunks,
            duration_s=report.duration_s,
        )
        return report

    def index_document(self, collection_id: int, doc: Document, *, size: int = 0) -> tuple[int, int]:
        """Chunk, analyse, store and embed one already-read (and already-governed) document."""
        chunks = chunk_document(doc, self.settings.chunk_tokens, self.settings.chunk_max_tokens)
        title_terms = " ".join(analyze(doc.title))
        terms = [chunk_terms(title_terms, c.text, c.heading_path) for c in chunks]
        doc_id = self.store.replace_document(collection_id, doc, chunks, terms, size=size)
        if self.embedder is not None and chunks and not self._defer_vectors:
            # The stored (pseudonymised) text is what gets embedded, never the original.
            embed_chunks(self.store, self.embedder, [(c.id, c.text) for c in chunks],
                         windows=self.settings.dense_windows)
        self._changed()
        return doc_id, len(chunks)

    def mark_repeats(self, collection_id: int) -> dict:
        """Leave the lines repeated across the collection's documents (≥ the setting
        ``boilerplate_min_documents``) out of its chunks' lexical index terms; see
        ``clos.retrieve.repeats.mark_repeats`` for what it returns."""
        found = mark_repeats(self.store, collection_id, self.settings.boilerplate_min_documents)
        if found["changed"]:
            self._changed()
        return found

    def embed_pending(self, collection_id: int, *, progress=None, expected: int = 0,
                      limit: int | None = None) -> int:
        """Embed the collection's chunks that have no vector for the current embedder, by
        batches (a server gets embed_batch × embed_workers texts per round, its workers all
        busy). ``progress`` may have ``vectors_start(total)`` / ``vectors_advance(done)``;
        ``expected`` is the number of chunks this run indexed (the bar grows if more wait);
        ``limit``: stop after about that many. Returns the chunks embedded (0: none left)."""
        if self.embedder is None:
            return 0
        start = getattr(progress, "vectors_start", None)
        advance = getattr(progress, "vectors_advance", None)
        if start:
            start(expected)
        s = self.settings
        batch = min(max(32, s.embed_batch * s.embed_workers), limit or 1 << 30)
        done = embed_pending(self.store, self.embedder, collection_id, windows=s.dense_windows,
                             batch=batch, progress=advance, limit=limit)
        if done:
            self._changed()
        return done

    def _changed(self) -> None:
        index = getattr(self.retriever, "index", None)
        if index is not None:
            index.invalidate()

    def _ingest_one(self, path: Path, cid: int, known: dict, governor, report: IngestReport,
                    digest: str | OSError, item: Prepared | None):
        """Index one file unless unchanged; ``digest``: its hash (or the error hashing it),
        ``item``: the file read (and its personal data detected) ahead, by ``clos.prepare``."""
        key = str(path)
        try:
            if isinstance(digest, OSError):
                raise digest
            if key in known and known[key][1] == digest:
                report.skipped += 1
                report.files.append(FileEntry(key, "skipped"))
                return None
            item = item or Prepared(key, read_document(path))
            with impact.measure() as run:
                doc = item.document()
                doc.content_hash = digest
                # Attachments first: a run stopped before the message is recorded reads it all again.
                for n, part in enumerate(doc.attachments, start=1):
                    self._index_read(part, cid, governor, report, size=part.metadata.get("size", 0),
                                     found=item.found_for(n))
                self._forget_attachments(cid, key, known, {a.path for a in doc.attachments})
                doc_id = self._index_read(doc, cid, governor, report, size=path.stat().st_size,
                                          found=item.found_for(0))
            if doc_id is not None:
                impact.ledger.record(
                    self.store, kind="ingest_document", ref_id=doc_id, collection_id=cid,
                    impact=impact.assess(combined(run.measurement, *item.spent()), prompt_tokens=0,
                                         completion_tokens=0, settings=self.settings))
            return None
        except (IngestError, OSError) as exc:
            reason = exc.reason if isinstance(exc, IngestError) else f"lecture impossible ({exc})"
            self._fail(report, key, reason, cid)
            return reason

    def _index_read(self, doc: Document, cid: int, governor, report: IngestReport, *,
                    size: int, found=None) -> int | None:
        """Govern and index one document already read; account for it (and for the older copies
        it retires) in the report and the store. Returns the document id, None when excluded.
        ``found``: its personal data detected beforehand (``governor.detect``), if any."""
        review = governor.review(doc, found)
        doc_id = None
        if review.decision == "exclude":
            report.excluded += 1
            entry = FileEntry(doc.path, "excluded", exclusion_reasons(doc, review))
        else:
            governed = review.document
            doc_id, n_chunks = self.index_document(cid, governed, size=size)
            report.indexed += 1
            report.chunks += n_chunks
            report.pages += governed.pages or 1
            entry = FileEntry(doc.path, status_of(doc.notes), summarise(doc.notes))
        # An older copy this file replaces leaves the index (duplicate or version).
        retired = governor.record(review, doc_id)
        report.excluded += retired
        report.files.append(entry)
        self.store.save_reading_report(cid, entry.path, entry.status, entry.reasons,
                                       notes_as_dicts(doc.notes))
        if retired:
            for match in review.supersedes:
                if governor.policy.action(match.kind) == "exclude" and match.other.document_id:
                    what = "copie" if match.kind == "doublon" else "version antérieure"
                    older = FileEntry(match.other.path, "excluded", [
                        f"{what} de « {Path(doc.path).name} », retiré(e) de l'index"])
                    report.files = [e for e in report.files if e.path != older.path] + [older]
                    self.store.save_reading_report(cid, older.path, older.status, older.reasons, [])
        return doc_id

    def _forget_attachments(self, cid: int, message: str, known: dict, kept: set[str]) -> None:
        """A message read again: its attachments that are gone leave the index and the reports."""
        gone = [p for p in known if message_of(p) == message and p not in kept]
        if gone:
            forget(self.store, cid, gone)
            self.store.delete_documents(known[p][0] for p in gone if known[p][0] is not None)
            self.store.forget_reading_reports(cid, gone)

    def _fail(self, report: IngestReport, path: str, reason: str, cid: int | None = None) -> None:
        report.failed += 1
        report.errors.append((path, reason))
        report.files.append(FileEntry(path, "failed", [reason]))
        self.store.log_ingest_error(report.run_id, path, reason)
        if cid is not None:
            self.store.save_reading_report(cid, path, "failed", [reason], [])

    def _sync(self, cid: int, roots: list[Path], seen: set[str], known: dict,
              excluded: dict) -> int:
        def gone(paths):
            # An attachment lives as long as its message.
            return [p for p in paths if (message_of(p) or p) not in seen
                    and any(p == str(r) or p.startswith(str(r) + "/") for r in roots)]

        forget(self.store, cid, gone(excluded))
        removed = self.store.delete_documents(known[p][0] for p in gone(known))
        self.store.forget_reading_reports(
            cid, gone([r["path"] for r in self.store.reading_reports(cid)]))
        self._changed()
        return removed

    # ------------------------------------------------------------------- ask
    def retrieve(self, question: str, *, collection: str | None = None) -> list[Hit]:
        cid = self.store.collection_id(collection or self.settings.collection, create=False)
        if cid is None:
            return []
        return self.retriever.search(cid, question, self.settings.candidates)

    def ask(
        self, question: str, *, collection: str | None = None, model: str | None = None,
        on_token: Callable[[str], None] | None = None, meter: bool = True, log: bool = True,
        mode: str | None = None,
    ) -> Answer:
        """Answer from the collection's documents only, with verified citations, or refuse.

        ``mode``: « generatif » (the model writes, every fact checked) or « extractif » (the key
        passage alone, no model); default ``settings.mode``."""
        question = (question or "").strip()
        if not question:
            raise ClosError("La question est vide.")
        name = collection or self.settings.collection
        cid = self.store.collection_id(name, create=False)
        if cid is None or self.store.chunk_count(cid) == 0:
            raise ClosError(
                f"La collection « {name} » est vide : indexez d'abord des documents avec "
                "« clos ingest DOSSIER »."
            )
        # The collection's template may override answer settings (never beyond the posture).
        base, values = self.settings, collection_templates.overrides(self.store, cid)
        self.settings = collection_templates.settings_for(base, values)
        try:
            with impact.measure(enabled=meter) as run:
                answer = self._answer(question, cid, model, on_token, mode)
        finally:
            self.settings = base
        if values.get("sandbox"):
            answer.warnings.append(collection_templates.SANDBOX_WARNING)
        assessed = None
        if meter:
            assessed = impact.assess(
                run.measurement, prompt_tokens=answer.usage.prompt_tokens,
                completion_tokens=answer.usage.completion_tokens, settings=self.settings)
            answer.impact = assessed.to_dict()
        if log:
            answer.id = self.store.log_answer(cid, answer)
            if assessed is not None:
                impact.ledger.record(
                    self.store, kind="answer", ref_id=answer.id, collection_id=cid,
                    impact=assessed, prompt_tokens=answer.usage.prompt_tokens,
                    completion_tokens=answer.usage.completion_tokens)
        return answer

    def _answer(self, question: str, cid: int, model: str | None, on_token,
                mode: str | None = None) -> Answer:
        from clos.answer.decide import absent_names, idf_weights
        from clos.llm import load_llm

        s = self.settings
        mode = mode or s.mode
        if mode not in ("generatif", "extractif"):
            raise ClosError(f"Mode de réponse inconnu : « {mode} » (generatif ou extractif).")
        start = time.perf_counter()
        hits = self.retriever.search(cid, question, s.candidates)
        # An embeddings server down at query time: lexical hits only, said on the answer.
        fallback = getattr(self.retriever, "fallback", None)
        similarity = None
        if self.embedder is not None and fallback is None:
            def similarity(texts: list[str]) -> list[float]:
                vector = self.retriever.query_vector(question)
                return [float(v @ vector) for v in self.embedder.embed_passages(texts)]
        ctx = Context(settings=s, load_model=lambda: load_llm(s, model), similarity=similarity,
                      idf=idf_weights(self.store, question),
                      idf_plain=idf_weights(self.store, question, paraphrase=False), started=start,
                      absent_names=absent_names(self.store, question),
                      refuse_absent_names=s.refuse_absent_names,
                      retrieval_s=time.perf_counter() - start, retrieval={
                          "mode": "lexicale" if self.embedder is None or fallback else "hybride",
                          "fallback": fallback})
        model_name = model or (str(s.model_path) if s.model_path else s.model)
        answer = compose(question, hits, ctx, mode=mode, model_name=model_name,
                         on_token=on_token)
        answer.warnings = freshness_warnings(answer, hits) + answer.warnings
        return answer


def ingest(paths, settings: Settings | None = None, **kwargs) -> IngestReport:
    with Clos(settings) as clos:
        return clos.ingest(paths, **kwargs)


def ask(question: str, settings: Settings | None = None, **kwargs) -> Answer:
    with Clos(settings) as clos:
        return clos.ask(question, **kwargs)
