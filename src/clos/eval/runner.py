"""Index an evaluation set in a temporary data folder through the real pipeline."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from clos.eval.datasets import EvalDocument, EvalSet
from clos.settings import Settings
from clos.store import is_postgres
from clos.types import Document, Section


def as_document(evalset: EvalSet, doc: EvalDocument) -> Document:
    """An evaluation context as a Document, as a text reader would have read it."""
    return Document(path=f"{evalset.name}/{doc.id}", title=doc.title, format="txt",
                    sections=[Section(text=doc.text)], content_hash=doc.id)


@contextlib.contextmanager
def temporary_clos(settings: Settings, data_dir: Path | None = None) -> Iterator[Clos]:  # noqa: F821
    """A Clos over a fresh data folder (removed afterwards unless ``data_dir`` is given)."""
    from clos.pipeline import Clos

    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clos-eval-")))
        if is_postgres(settings.store) and data_dir is None:  # a fresh schema, dropped after
            from clos.store.postgres import scratch_schema

            settings = settings.replace(store=stack.enter_context(scratch_schema(settings.store)))
        elif data_dir is None:  # another SQLite file named by the settings is not temporary
            settings = settings.replace(store="")
        # Every run indexes the same contexts again: their vectors come from the on-disk cache.
        clos = stack.enter_context(Clos(settings.replace(data_dir=folder, embedding_cache=True)))
        yield clos


def index_set(clos, evalset: EvalSet, collection: str,
              documents: Iterable[EvalDocument] | None = None) -> dict[int, str]:
    """Index the set's documents (or the given subset) in ``collection``: store id → eval doc id."""
    cid = clos.store.collection_id(collection)
    mapping: dict[int, str] = {}
    for doc in documents if documents is not None else evalset.documents:
        doc_id, _ = clos.index_document(cid, as_document(evalset, doc), size=len(doc.text))
        mapping[doc_id] = doc.id
    clos.mark_repeats(cid)  # as `clos ingest` does after a run
    return mapping
