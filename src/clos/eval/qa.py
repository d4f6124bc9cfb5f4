"""Domain question sets over real document folders (``clos eval answers --qa FILE``).

Unlike the SQuAD-style sets of ``datasets.py`` (one context per question, indexed as text), a
domain set names folders of real files that Clos ingests as a user would, and each question
names its gold file and page. The format (``"format": "clos-qa-1"``, JSON, UTF-8)::

    {
      "name": "qa_domain",
      "format": "clos-qa-1",
      "root": "../shared/corpus",          # folders and files are relative to it
      "folders": ["deliberations-montpellier/pdf", "guides-etalab"],
      "questions": [
        {"id": "a01", "question": "…", "answerable": true,
         "answers": ["15,25 €", "15,25 euros"],   # short gold strings, any one is right
         "file": "deliberations-montpellier/pdf/2014-04-24-0000071251.pdf",
         "page": 2,                               # PDF page (1-based); 1 for a Markdown file
         "type": "montant"},                      # free label: montant, date, nom, lieu…
        {"id": "u01", "question": "…", "answerable": false,
         "hard_negative": true,                   # the topic is in the corpus, the detail is not
         "absent": ["deuxième tranche"],          # strings no file of the folders may contain
         "type": "date"}
      ]
    }

``root`` is resolved against the set file's folder, unless ``CLOS_SHARED_DIR`` is set (then
``../shared`` is read from there). ``check_corpus`` proves a set against the files: every gold
string on its page (PyMuPDF text for PDFs, Clos's own reader for the other formats), every
``absent`` string nowhere in the folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from clos.eval.datasets import DatasetError, read_json
from clos.eval.metrics import contains, normalize

FORMAT = "clos-qa-1"


@dataclass
class QAQuestion:
    id: str
    question: str
    answerable: bool
    answers: list[str] = field(default_factory=list)
    file: str | None = None  # relative to the set's root
    page: int | None = None
    type: str = ""
    hard_negative: bool = False
    absent: list[str] = field(default_factory=list)


@dataclass
class QASet:
    name: str
    root: Path
    folders: list[str]
    questions: list[QAQuestion]
    source: Path | None = None

    @property
    def answerable(self) -> list[QAQuestion]:
        return [q for q in self.questions if q.answerable]

    @property
    def unanswerable(self) -> list[QAQuestion]:
        return [q for q in self.questions if not q.answerable]

    def folder_paths(self) -> list[Path]:
        return [self.root / f for f in self.folders]

    def subset(self, ids: list[str]) -> "QASet":
        """The same set restricted to the questions ``ids`` (in the given order)."""
        by_id = {q.id: q for q in self.questions}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise DatasetError(f"Questions inconnues dans {self.name} : {', '.join(missing)}")
        return QASet(self.name, self.root, self.folders, [by_id[i] for i in ids], self.source)


def is_qa(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def _root(path: Path, root: str) -> Path:
    shared = os.environ.get("CLOS_SHARED_DIR")
    parts = Path(root).parts
    if shared and "shared" in parts:
        # "../shared/corpus" → $CLOS_SHARED_DIR/corpus
        return Path(shared).joinpath(*parts[parts.index("shared") + 1:])
    return (path.parent / root).resolve()


def load_qa(path: Path | str, *, root: Path | str | None = None) -> QASet:
    """Read and validate a domain set; ``root`` overrides the file's own.

    Raises DatasetError (French message naming the file) on a missing or malformed file, a
    question without gold (answerable) or with gold (unanswerable), a duplicate id."""
    path = Path(path)
    data = read_json(path)
    if not is_qa(data):
        raise DatasetError(f"{path} n'est pas un jeu de questions Clos (« format »: « {FORMAT} » attendu).")
    folders = data.get("folders") or []
    if not folders or not all(isinstance(f, str) for f in folders):
        raise DatasetError(f"{path} : « folders » doit nommer au moins un dossier.")
    questions, seen = [], set()
    for i, row in enumerate(data.get("questions") or [], 1):
        where = f"{path}, question {row.get('id') or i}"
        if not isinstance(row, dict) or not str(row.get("question") or "").strip():
            raise DatasetError(f"{where} : question vide.")
        q = QAQuestion(
            id=str(row.get("id") or i), question=str(row["question"]).strip(),
            answerable=bool(row.get("answerable", True)),
            answers=[str(a) for a in row.get("answers") or [] if str(a).strip()],
            file=row.get("file"), page=row.get("page"), type=str(row.get("type") or ""),
            hard_negative=bool(row.get("hard_negative", False)),
            absent=[str(a) for a in row.get("absent") or []],
        )
        if q.id in seen:
            raise DatasetError(f"{where} : identifiant en double.")
        seen.add(q.id)
        if q.answerable and (not q.answers or not q.file):
            raise DatasetError(f"{where} : une question avec réponse doit donner « answers » et « file ».")
        if q.answerable and q.page is not None and (not isinstance(q.page, int) or q.page < 1):
            raise DatasetError(f"{where} : « page » doit être un entier ≥ 1.")
        if not q.answerable and q.answers:
            raise DatasetError(f"{where} : une question sans réponse ne peut pas donner « answers ».")
        questions.append(q)
    if not questions:
        raise DatasetError(f"Aucune question dans {path}")
    base = Path(root) if root is not None else _root(path, str(data.get("root") or "."))
    return QASet(str(data.get("name") or path.stem), base, list(folders), questions, path)


# ------------------------------------------------------------------------------ page texts
@lru_cache(maxsize=256)
def page_texts(path: str) -> dict[int, str]:
    """1-based page → text. PDFs through PyMuPDF, other formats through Clos's reader (a
    document without pages is page 1)."""
    p = Path(path)
    if p.suffix.lower() == ".pdf":
        import pymupdf

        with pymupdf.open(p) as doc:
            return {i: page.get_text() for i, page in enumerate(doc, 1)}
    return reader_pages(path)


@lru_cache(maxsize=256)
def reader_pages(path: str) -> dict[int, str]:
    """1-based page → text as Clos's own reader gives it (what the index sees before
    governance); a document without pages is page 1, an unreadable one has no page."""
    from clos.errors import IngestError
    from clos.ingest import read_document

    try:
        doc = read_document(Path(path))
    except IngestError:
        return {}
    pages: dict[int, list[str]] = {}
    for s in doc.sections:
        pages.setdefault(s.page or 1, []).append(s.text)
    return {n: "\n".join(texts) for n, texts in pages.items()}


def on_page(qaset: QASet, q: QAQuestion) -> bool:
    """True when one of the gold strings is on the question's page (any page without one)."""
    texts = page_texts(str(qaset.root / q.file))
    pages = [texts.get(q.page, "")] if q.page else list(texts.values())
    return any(contains(t, q.answers) for t in pages)


def check_corpus(qaset: QASet) -> list[str]:
    """Every problem of the set against its files (French, one line each); [] when it holds."""
    problems = []
    for folder in qaset.folder_paths():
        if not folder.is_dir():
            problems.append(f"Dossier introuvable : {folder}")
    if problems:
        return problems
    corpus = None
    for q in qaset.questions:
        if q.answerable:
            path = qaset.root / q.file
            if not path.is_file():
                problems.append(f"{q.id} : fichier introuvable {q.file}")
            elif not any(path.resolve().is_relative_to(f.resolve()) for f in qaset.folder_paths()):
                problems.append(f"{q.id} : {q.file} n'est dans aucun des dossiers indexés")
            elif not on_page(qaset, q):
                found = [n for n, t in page_texts(str(path)).items() if contains(t, q.answers)]
                problems.append(f"{q.id} : aucune réponse {q.answers} page {q.page} de {q.file}"
                                + (f" (trouvée page {found})" if found else ""))
        else:
            if corpus is None:
                corpus = _folder_texts(tuple(str(f) for f in qaset.folder_paths()))
            for s in q.absent:
                hit = next((name for name, text in corpus if f" {normalize(s)} " in text), None)
                if hit:
                    problems.append(f"{q.id} : « {s} » figure dans {hit} (question sans réponse ?)")
    return problems


@lru_cache(maxsize=4)
def _folder_texts(folders: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.suffix.lower() in {".pdf", ".md"}:
                text = " ".join(page_texts(str(path)).values())
                out.append((path.name, f" {normalize(text)} "))
    return out
