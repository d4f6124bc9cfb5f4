"""One Settings object. Precedence: flags > environment (CLOS_*) > file (TOML) > defaults."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from clos.errors import ConfigError


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
    lang: str = "fr"
    collection: str = "default"
    # Answer model: a registry name or a path to any GGUF file.
    model: str = "qwen2.5-1.5b-instruct"
    model_path: Path | None = None
    llm_backend: str = "llamacpp"  # llamacpp | openai
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: str = ""
    n_ctx: int = 4096
    n_threads: int = 0  # 0: all cores
    max_tokens: int = 320
    temperature: float = 0.1
    seed: int = 42
    # Retrieval and refusal.
    # Three excerpts of ~125 tokens held the answer more often than four of ~90 (PIAF, same
    # budget: 0.69 against 0.59 of questions), as trimming a chunk loses its answer.
    top_k: int = 3
    candidates: int = 40
    max_chunks_per_doc: int = 2
    # Prompt evaluation dominates time to first token on a CPU (≈60 tokens/s for the default
    # model): 450 tokens of excerpts keep it near 5 s and scored better than 900 (bench_eval).
    context_token_budget: int = 450
    min_relevance: float = 0.35
    # Dense retrieval fused with BM25: "multilingual-e5-small" (built in), "off", or a .gguf path.
    embedder: str = "multilingual-e5-small"
    embed_query_prefix: str = "query: "  # for GGUF E5-style models; the built-in one applies its own
    embed_passage_prefix: str = "passage: "
    # Keep vectors on disk by text digest (cache_dir/embeddings.sqlite3): evaluation turns it on,
    # since it indexes the same texts again and again.
    embedding_cache: bool = False
    dense_weight: float = 1.0
    dense_pool: int = 100
    # Also embed each chunk's ~40-word sentence windows and score a chunk by its best one
    # (retrieve/windows.py): better ranking on both development sets, ≈ 1.7–1.9× the embedding
    # time at ingestion.
    dense_windows: bool = False
    # Refuse when the passage an answer draws on is this far from the question (cosine with the
    # embedder; 0 disables). Calibrated on PIAF questions with and without their source.
    min_grounding: float = 0.82
    # Chunking (approximate tokens).
    chunk_tokens: int = 300
    chunk_max_tokens: int = 400
    # Governance.
    pii_policy: str = "pseudonymise"  # keep | pseudonymise | redact | exclude
    # Impact accounting.
    carbon_intensity_g_per_kwh: float = 52.0
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
        """Build settings from defaults, then the TOML file, then CLOS_* variables, then flags."""
        env = os.environ if env is None else env
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        values: dict[str, Any] = {}
        path = flags.get("config_file") or env.get("CLOS_CONFIG") or config_file
        data_dir = flags.get("data_dir") or env.get("CLOS_DATA_DIR")
        if path is None:
            base = Path(data_dir) if data_dir else _default_data_dir()
            candidate = base / "clos.toml"
            path = candidate if candidate.exists() else None
        if path is not None:
            values.update(_read_toml(Path(path)))
            values["config_file"] = Path(path)
        known = {f.name for f in fields(cls)}
        for name in known:
            key = f"CLOS_{name.upper()}"
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in flags.items() if k in known})
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"Paramètres inconnus : {', '.join(sorted(unknown))}")
        return cls(**{k: _coerce(cls, k, v) for k, v in values.items()})

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


_TYPES = {"Path": Path, "Path | None": Path, "int": int, "float": float, "str": str}


def _coerce(cls: type, name: str, value: Any) -> Any:
    annotation = {f.name: f.type for f in fields(cls)}[name]
    if value is None or value == "":
        return None if "None" in str(annotation) else value
    target = _TYPES.get(str(annotation))
    if target is None or isinstance(value, target) and not isinstance(value, bool):
        return value
    try:
        return target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Valeur invalide pour « {name} » : {value!r}") from exc
