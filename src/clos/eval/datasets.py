"""Question sets with known answers, read into one shape whatever their file format.

Three formats are recognised from their content, not their name:

- SQuAD (``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``): PIAF, the
  service-public kb532 file, the CRPA FAQ. Each context becomes one document; a question's gold
  document is its context, its gold spans are its answers' texts.
- service-public triples (``[[fiche id, question, fiche text], ...]``): one document per fiche.
- FAQ (``[{"question": ..., "answer": ...}, ...]`` or ``{question: answer, ...}``): each answer
  body is a document and the gold span of its question.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clos.errors import ClosError


@dataclass
class EvalDocument:
    id: str
    title: str
    text: str


@dataclass
class EvalQuestion:
    id: str
    question: str
    doc_id: str  # the gold document
    answers: list[str] = field(default_factory=list)  # gold spans; empty when none is known


@dataclass
class EvalSet:
    name: str
    format: str  # squad | triples | faq
    documents: list[EvalDocument]
    questions: list[EvalQuestion]

    def sample(self, n: int | None, *, seed: int = 42, with_answers: bool = False) -> list[EvalQuestion]:
        """A reproducible sample of ``n`` questions (all of them when ``n`` is None or too big)."""
        pool = [q for q in self.questions if q.answers] if with_answers else list(self.questions)
        if n is None or n >= len(pool):
            return pool
        rng = random.Random(seed)
        return sorted(rng.sample(pool, n), key=pool.index)


class DatasetError(ClosError):
    pass


def read_json(path: Path) -> Any:
    """A question file's JSON; DatasetError (French, naming the file) when missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"Jeu de questions introuvable : {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"Jeu de questions illisible : {path} ({exc})") from exc


def load(path: Path | str, *, body_only: bool = False) -> EvalSet:
    """Read a question set; ``body_only`` gives documents no title (a question cannot match its
    document by title)."""
    path = Path(path)
    data = read_json(path)
    name = path.stem
    if isinstance(data, dict) and data.get("format") == "clos-qa-1":
        raise DatasetError(f"{path} est un jeu de questions sur dossiers : utilisez « --qa {path} ».")
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        evalset = _squad(name, data["data"])
    elif isinstance(data, list) and data and all(_is_triple(row) for row in data):
        evalset = _triples(name, data)
    elif isinstance(data, (list, dict)) and data:
        evalset = _faq(name, data)
    else:
        raise DatasetError(f"Format de jeu de questions non reconnu : {path}")
    if body_only:
        for doc in evalset.documents:
            doc.title = ""
    if not evalset.questions:
        raise DatasetError(f"Aucune question dans {path}")
    return evalset


def _squad(name: str, articles: list[dict[str, Any]]) -> EvalSet:
    docs, questions, seen = [], [], set()
    for a, article in enumerate(articles):
        title = str(article.get("title") or "")
        for p, paragraph in enumerate(article.get("paragraphs") or []):
            doc_id = f"{a}-{p}"
            docs.append(EvalDocument(doc_id, title, paragraph.get("context") or ""))
            for i, qa in enumerate(paragraph.get("qas") or []):
                if qa.get("is_impossible"):
                    continue
                qid = str(qa.get("id") or f"{doc_id}-{i}")
                if qid in seen:
                    qid = f"{qid}-{doc_id}-{i}"
                seen.add(qid)
                spans = [x["text"] for x in qa.get("answers") or [] if x.get("text", "").strip()]
                questions.append(EvalQuestion(qid, qa["question"], doc_id, spans))
    return EvalSet(name, "squad", docs, questions)


def _is_triple(row: Any) -> bool:
    return isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)


def _triples(name: str, rows: list[list[str]]) -> EvalSet:
    docs: dict[str, EvalDocument] = {}
    questions = []
    for i, (doc_id, question, text) in enumerate(rows):
        docs.setdefault(doc_id, EvalDocument(doc_id, doc_id, text))
        questions.append(EvalQuestion(f"{doc_id}-{i}", question, doc_id, []))
    return EvalSet(name, "triples", list(docs.values()), questions)


def _faq(name: str, data: list[Any] | dict[str, Any]) -> EvalSet:
    if isinstance(data, dict):
        pairs = [(str(q), str(a)) for q, a in data.items()]
    else:
        pairs = []
        for row in data:
            if not isinstance(row, dict):
                raise DatasetError(f"Format de jeu de questions non reconnu : {name}")
            question = row.get("question") or row.get("q")
            answer = row.get("answer") or row.get("reponse") or row.get("réponse") or row.get("a")
            if question and answer:
                pairs.append((str(question), str(answer)))
    docs, questions = [], []
    for i, (question, answer) in enumerate(pairs):
        doc_id = str(i)
        docs.append(EvalDocument(doc_id, question, answer))
        questions.append(EvalQuestion(doc_id, question, doc_id, [answer]))
    return EvalSet(name, "faq", docs, questions)
