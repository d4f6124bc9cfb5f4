"""Files read and their personal data detected in worker processes (``clos.prepare``, issue 14):
the index must hold exactly what one process would have put there, pseudonymised the same."""

from __future__ import annotations

from pathlib import Path

import make_files as mf
import pytest

from clos.errors import IngestError
from clos.govern.governor import detect
from clos.ingest import read_document
from clos.pipeline import Clos
from clos.prepare import MIN_FILES, prepared, workers_for
from clos.settings import Settings

DELIBERATIONS = "deliberations-montpellier"


def _folder(tmp_path: Path, corpus: Path, pdfs: int) -> Path:
    """Real deliberations (symlinked), an e-mail with attachments, a copy pair, an empty file."""
    root = tmp_path / "docs"
    root.mkdir()
    for pdf in sorted((corpus / DELIBERATIONS).rglob("*.pdf"))[:pdfs]:
        (root / pdf.name).symlink_to(pdf)
    mf.eml_with_attachments(root)
    mf.copy_pair(root)
    (root / "vide.txt").write_text("")
    return root


def test_prepared_in_workers_matches_one_process(tmp_path, corpus):
    root = _folder(tmp_path, corpus, 3)
    paths = sorted(str(p) for p in root.iterdir())
    items = list(prepared(paths, workers=2))
    assert [i.path for i in items] == paths  # in order, whatever worker finished first
    for item in items:
        try:
            doc = read_document(item.path)
        except IngestError as exc:
            assert item.doc is None and item.error == exc.reason
            with pytest.raises(IngestError):
                item.document()
            continue
        assert item.document().text == doc.text
        assert item.found == [detect(d) for d in (doc, *doc.attachments)]
        assert item.worker is not None and item.worker.cpu_s > 0
    assert any(f for i in items if i.found for group in i.found[0] for f in group
               if f.type == "PERSONNE")


def _index(settings: Settings, root: Path, workers: int) -> dict:
    settings = Settings.load(flags={"data_dir": str(settings.data_dir / f"w{workers}"),
                                    "ingest_workers": workers})
    with Clos(settings) as clos:
        report = clos.ingest([root])
        cid = clos.store.collection_id(settings.collection)
        rows = clos.store.conn.execute(
            "SELECT d.path, c.ordinal, c.text FROM chunks c JOIN documents d"
            " ON d.id = c.document_id ORDER BY d.path, c.ordinal").fetchall()
        return {
            "files": [(e.path, e.status, e.reasons) for e in report.files],
            "counts": (report.indexed, report.excluded, report.failed, report.pages, report.chunks),
            "chunks": [tuple(r) for r in rows],
            "pseudonyms": [(e["type"], e["n"], e["original"]) for e in clos.store.pseudonyms(cid)],
        }


def test_ingest_with_workers_indexes_what_one_process_does(tmp_path, corpus, settings):
    root = _folder(tmp_path, corpus, MIN_FILES)
    assert workers_for(2, MIN_FILES) == 2 and workers_for(0, MIN_FILES - 1) == 1
    assert workers_for(0, MIN_FILES, idle=0.5) == 1  # the cores are busy elsewhere
    alone, pooled = _index(settings, root, 1), _index(settings, root, 2)
    assert pooled["chunks"] == alone["chunks"] and pooled["chunks"]
    assert pooled["files"] == alone["files"]
    assert pooled["counts"] == alone["counts"]
    assert pooled["pseudonyms"] == alone["pseudonyms"] and alone["pseudonyms"]
    # The people pseudonymised are nowhere in the index, their placeholders are.
    texts = "\n".join(text for _, _, text in pooled["chunks"])
    assert all(original not in texts for _, _, original in pooled["pseudonyms"])
    assert any(f"[{kind}_{n}]" in texts for kind, n, _ in pooled["pseudonyms"])
