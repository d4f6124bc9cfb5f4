"""Dataclasses passed between the stages: ingest → govern → index → retrieve → answer → verify → account."""

from __future__ import annotations

import re
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
class ReadingNote:
    """Something a reader could not read as a person would, said instead of lost in silence.

    ``kind`` (stable, English): ``page_without_text`` (scanned page, no OCR available),
    ``ocr`` (page read by OCR; ``detail["confidence"]`` is Tesseract's mean word confidence, 0–100),
    ``attachment_skipped`` / ``attachment_read`` (e-mail), ``hidden_text`` (text the author hid,
    not indexed), ``comment`` (reviewer comments, not indexed), ``truncated`` (damaged file read
    in part), ``format_mismatch`` (content is not what the extension says).
    ``message`` is French, for the user; ``page`` is 1-based where the note is about a page.
    """

    kind: str
    message: str
    page: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


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
    # What was not read faithfully (pages without text, OCR, attachments, hidden text…).
    notes: list[ReadingNote] = field(default_factory=list)
    # Text the author hid (hidden runs, white or microscopic text, comments): never indexed as
    # body text; governance flags it (« texte masqué ») and shows what it said.
    hidden: list[Section] = field(default_factory=list)
    # Documents carried inside this one (an e-mail's attachments), each read on its own with a
    # path « message.eml#piece-jointe/nom.pdf » and ``metadata["parent"]`` = this path.
    attachments: list["Document"] = field(default_factory=list)

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
    # Last page the chunk's text reaches when it runs across a page break (None: one page);
    # ``page`` is then the page most of its text is on (ingest/chunking.py, rule 1).
    page_end: int | None = None
    # Where each page starts in ``text``: ((0, first page), (offset, page), …) when the chunk
    # runs across a page break; empty when on one page.
    page_starts: tuple[tuple[int, int], ...] = ()

    def page_for(self, passage: str) -> int | None:
        """The page where ``passage`` (a quote of this chunk) starts; ``page`` if not found."""
        return page_of_passage(self.text, self.page, self.page_starts, passage)


@dataclass
class Finding:
    """Personal data found in a text."""

    type: str
    start: int
    end: int
    text: str
    confidence: float
    # "public" for a person named acting in a public role (attendance list, signatory, « Monsieur
    # le Maire »), see clos.govern.roles; "" otherwise (issue 15).
    role: str = ""


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
    page_end: int | None = None  # last page of a chunk that runs across a page break
    lexical_score: float | None = None  # normalised BM25 (+ coverage) before fusion
    dense_score: float | None = None  # rescaled cosine used by the fusion
    # Where each later page starts in ``text`` (offsets into the chunk's full stored text).
    page_starts: tuple[tuple[int, int], ...] = ()

    def page_for(self, passage: str) -> int | None:
        """The page where ``passage`` starts in this hit's chunk, for citing a quote exactly.

        ``page_starts`` offsets index the chunk's full stored text: ask the uncut hit, not an
        excerpt cut from it. Returns ``page`` when the passage is not found.
        """
        return page_of_passage(self.text, self.page, self.page_starts, passage)


def page_of_passage(text: str, page: int | None, page_starts: Any, passage: str) -> int | None:
    """Page of ``passage`` inside a chunk ``text`` that starts on ``page`` and whose later
    pages start at ``page_starts`` ((offset, page) pairs). Whitespace differences are ignored."""
    if not page_starts or not passage:
        return page
    words = passage.split()
    if not words:
        return page
    pattern = r"\s+".join(re.escape(w) for w in words[:12])
    found = re.search(pattern, text)
    if not found:
        return page
    at = found.start()
    current = page
    for offset, number in page_starts:
        if at >= offset:
            current = number
    return current


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
class AnswerTrace:
    """How one answer was produced, stage by stage, for the « Comment cette réponse a été
    produite » page and ``GET /api/answers/{id}``. Plain data (JSON-serialisable).

    - ``terms``: the question's analysed terms (French stemming), as the index sees them;
    - ``hits``: every retrieved passage, best first: ``{"rank", "chunk_id", "path", "title",
      "page", "lexical_score", "dense_score", "score", "relevance", "similarity", "in_prompt"}``;
    - ``excerpts``: what went into the prompt: ``{"n", "chunk_id", "path", "page", "text",
      "tokens", "cut"}`` (``cut``: the excerpt is a part of its passage);
    - ``prompt``: ``{"system", "user"}`` exactly as sent; ``raw_output``: the model's text;
    - ``sentences``: the check of each answer sentence: ``{"text", "supported", "cited",
      "facts_found", "facts_missing"}``;
    - ``decision``: ``{"refused", "reason", "signals": {name: value}, "thresholds": {...}}``;
    - ``timings`` and ``usage`` as in the answer;
    - ``retrieval``: ``{"mode": "hybride" | "lexicale", "fallback": None | French reason}``
      (``fallback``: the embeddings server failed, the search was lexical only).
    """

    terms: list[str] = field(default_factory=list)
    hits: list[dict[str, Any]] = field(default_factory=list)
    excerpts: list[dict[str, Any]] = field(default_factory=list)
    prompt: dict[str, str] = field(default_factory=dict)
    raw_output: str = ""
    sentences: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] = field(default_factory=dict)
    retrieval: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    # The sentence or table row of the documents that holds the answer, verbatim, with its
    # file and page (``n`` = 0). None when refused.
    key_passage: Citation | None = None
    # True only when every sentence passed the fact check (« Réponse vérifiée »).
    verified: bool = False
    mode: str = "generatif"  # generatif | extractif
    # On a refusal, the passages closest to the question, so the agent can judge.
    closest: list[Citation] = field(default_factory=list)
    refusal_reason: str | None = None  # French, when refused
    # « Comment cette réponse a été produite » (see AnswerTrace); not printed by ``--json``.
    trace: AnswerTrace | None = None
    # Cosine between the question and the passage the answer draws on (None: not measured).
    grounding: float | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        data.pop("trace")
        for optional in ("impact", "grounding", "key_passage", "refusal_reason"):
            if data[optional] is None:
                data.pop(optional)
        return data


# --------------------------------------------------------------------------- governance
# Passed between govern and the store (the store remembers reviews; govern decides).


@dataclass
class Known:
    """A document already reviewed in the collection, as the store remembers it: its MinHash
    signature (``minhash``, 128 × uint32 little-endian, see govern/duplicates.py), the hash of
    its words, its version key, date (ISO) and mtime (seconds since the epoch), and the decision."""

    path: str
    document_id: int | None
    minhash: bytes
    text_hash: str
    doc_key: str
    doc_date: str | None
    mtime: float
    decision: str


@dataclass
class Match:
    """Another document of the collection that this one copies (``doublon``) or versions."""

    other: Known
    kind: str          # doublon | version
    similarity: float  # estimated Jaccard similarity in [0, 1]
    other_is_newer: bool


@dataclass
class Review:
    """What governance decided for one document."""

    decision: str                 # index | index_with_warning | exclude
    flags: list[Flag]
    findings: list[Finding]       # personal data to treat, offsets in the ORIGINAL Document.text
    document: Document            # governed copy: the only one the index may see
    pii_policy: str
    allowed: list[Finding] = field(default_factory=list)       # allow-listed, kept as they are
    section_findings: list[list[Finding]] = field(default_factory=list)  # offsets per section
    title_findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)          # French, for answers and reports
    supersedes: list[Match] = field(default_factory=list)      # older copies this one replaces
    related: dict[str, str] = field(default_factory=dict)      # flag reason → related path
    chars: int = 0
    doc_date: str | None = None
    signature: bytes = b""
    text_hash: str = ""
    doc_key: str = ""
    title_in_text: bool = False
    # Issue 15: people acting in a public role, kept as they are (public_roles = "garder") in a
    # document of a public nature; offsets in Document.text. Names met in attendance lists or
    # role contexts feed the collection's list of public names.
    public: list[Finding] = field(default_factory=list)
    public_document: bool = False
    public_names: list[str] = field(default_factory=list)

    def _title_extra(self) -> list[Finding]:
        # A title taken from the first line would count its personal data twice.
        return [] if self.title_in_text else self.title_findings

    def pii_counts(self) -> dict[str, int]:
        """Counts per type; people in a public role count as ``PERSONNE_PUBLIQUE``, apart from
        private persons, so the report says which documents hold private data."""
        return _count_types([*self.findings, *self._title_extra(), *self.allowed, *self.public])

    def kept_counts(self) -> dict[str, int]:
        kept = self.allowed + self.public + (self.findings + self._title_extra()
                                             if self.pii_policy == "keep" else [])
        return _count_types(kept)


def _count_types(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        type_ = "PERSONNE_PUBLIQUE" if f.role == "public" else f.type
        counts[type_] = counts.get(type_, 0) + 1
    return counts
