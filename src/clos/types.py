"""Dataclasses passed between the stages: ingest → govern → index → retrieve → answer → verify → account."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Section:
    """A structural unit a reader found: a paragraph, a heading's body, a table, a page's text."""

    text: str
    page: int | None = None
    heading_path: tuple[str, ...] = ()
    kind: str = "text"  # text | table | heading


@dataclass
class Document:
    """What a reader returns for one file; ``sections`` keep page numbers and headings."""

    path: str
    title: str
    format: str
    sections: list[Section]
    mtime: float = 0.0
    content_hash: str = ""
    pages: int | None = None
    doc_date: str | None = None  # ISO date found in the document or file name
    # Reader facts useful to governance: tracked changes, comments, encoding used, has_text_layer…
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass
class Chunk:
    text: str
    ordinal: int
    page: int | None
    heading_path: tuple[str, ...]
    tokens: int
    id: int | None = None
    document_id: int | None = None


@dataclass
class Finding:
    """Personal data found in a text."""

    type: str
    start: int
    end: int
    text: str
    confidence: float


@dataclass
class Flag:
    """A reason a document should not be indexed as it is (draft, confidential, duplicate…)."""

    kind: str
    reason: str


@dataclass
class Hit:
    chunk_id: int
    document_id: int
    path: str
    title: str
    page: int | None
    heading_path: tuple[str, ...]
    text: str
    score: float
    tokens: int = 0
    doc_date: str | None = None
    mtime: float = 0.0
    relevance: float = 0.0  # query-term coverage in [0, 1], used for refusals
    similarity: float | None = None  # cosine to the question when dense retrieval ran


@dataclass
class Citation:
    n: int
    source: str
    page: int | None
    quote: str
    chunk_id: int


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Timings:
    retrieval_s: float = 0.0
    ttft_s: float = 0.0
    total_s: float = 0.0


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    model: str
    usage: Usage
    timings: Timings
    unsupported: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    impact: dict[str, Any] | None = None
    # Cosine between the question and the passage the answer draws on (None: not measured).
    grounding: float | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        for optional in ("impact", "grounding"):
            if data[optional] is None:
                data.pop(optional)
        return data
