"""The collectivité's posture towards AI (the awareness deck's three: prudente, raisonnée,
fonceuse), written by ``clos init --posture`` and obeyed by every command.

    prudente   embedded models only (any server address is refused), personal data pseudonymised,
               drafts and confidential documents excluded, strictest refusal threshold,
               extractive answers allowed without a model
    raisonnee  servers only from ``allowed_hosts``, and only after the prompt is pseudonymised
               (nothing identifying leaves the machine); drafts indexed with a warning; a sandbox
               collection
    fonceuse   everything allowed, everything still logged and measured

``enforce`` runs when settings are loaded (a setting the posture forbids is a ConfigError);
``guard_llm``/``guard_embedder`` check again where a server client is made, and wrap it so the
raisonnée posture pseudonymises what it sends; ``constrain_policy`` makes a collection's
governance policy at least as strict as the posture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from clos.errors import ConfigError

PRUDENTE, RAISONNEE, FONCEUSE = "prudente", "raisonnee", "fonceuse"
# The strictest refusal threshold: half the question's IDF-weighted terms in the passage the
# answer rests on. A policy choice above the default 0.35 (calibrated on PIAF with and without
# the source, settings.py), not a calibrated figure: it trades answers for refusals.
PRUDENT_MIN_RELEVANCE = 0.5
PRUDENT_MIN_KEY_COVERAGE = 0.55  # decide.key_coverage; measured in bench/results/domain_dev_extractif*.json
SANDBOX = "bac-a-sable"


@dataclass(frozen=True)
class Posture:
    name: str
    label: str
    summary: str
    forbids: tuple[str, ...]                       # French, shown by `clos doctor`
    file_values: dict[str, Any] = field(default_factory=dict)  # written by `clos init`
    flag_actions: dict[str, str] = field(default_factory=dict)  # governance floor


POSTURES: dict[str, Posture] = {
    PRUDENTE: Posture(
        PRUDENTE, "Prudente",
        "modèles embarqués seulement, données personnelles pseudonymisées, brouillons et "
        "documents confidentiels exclus, refus au moindre doute",
        ("tout serveur de modèle ou d'embeddings (llm_url, embedder_url, llm_backend = openai)",
         "la conservation des données personnelles en clair (pii_policy = keep)",
         "l'indexation des brouillons et des documents confidentiels",
         f"un seuil de refus plus bas que {PRUDENT_MIN_RELEVANCE} (min_relevance)"),
        {"llm_backend": "llamacpp", "llm_url": "", "embedder_url": "",
         "pii_policy": "pseudonymise", "min_relevance": PRUDENT_MIN_RELEVANCE,
         # Stricter key passage (decide.key_coverage): on the domain set, extractive refusals
         # of unanswerable questions 0.59 → 0.82 for answerable ones 0.10 → 0.11.
         "min_key_coverage": PRUDENT_MIN_KEY_COVERAGE, "mode": "extractif"},
        {"brouillon": "exclude", "confidentiel": "exclude"},
    ),
    RAISONNEE: Posture(
        RAISONNEE, "Raisonnée",
        "serveurs autorisés seulement (allowed_hosts), questions et extraits pseudonymisés avant "
        "tout envoi, brouillons indexés avec un avertissement, une collection bac à sable",
        ("un serveur dont l'hôte n'est pas dans allowed_hosts",
         "l'envoi d'un nom, d'un numéro ou d'une adresse à un serveur : le prompt est "
         "pseudonymisé avant de partir",
         "la conservation des données personnelles en clair (pii_policy = keep)",
         "l'indexation des documents confidentiels"),
        {"pii_policy": "pseudonymise", "allowed_hosts": ["127.0.0.1", "localhost"]},
        {"brouillon": "index_with_warning", "confidentiel": "exclude"},
    ),
    FONCEUSE: Posture(
        FONCEUSE, "Fonceuse",
        "tout est permis (serveurs, modèles, politiques), tout reste journalisé et mesuré",
        (),
        {},
    ),
}


def current(settings: Any) -> Posture | None:
    """The settings' posture, None when none was chosen."""
    return POSTURES.get(getattr(settings, "posture", "") or "")


def describe(settings: Any) -> tuple[str, list[str]]:
    """(one French line, what it forbids) for `clos doctor` and the web app."""
    posture = current(settings)
    if posture is None:
        return ("aucune posture choisie (clos init --posture prudente|raisonnee|fonceuse) : "
                "les réglages s'appliquent tels quels", [])
    extra = []
    if posture.name == RAISONNEE:
        hosts = ", ".join(settings.allowed_hosts) or "aucun"
        extra = [f"serveurs autorisés : {hosts}"]
    return f"{posture.label} — {posture.summary}", [*posture.forbids, *extra]


def overview(settings: Any) -> dict[str, Any]:
    """What `clos doctor` and the web app (footer, « À propos ») show of the posture:
    ``{"name": str | None, "label": str, "line": str, "forbids": [str], "servers": [{"key",
    "url", "allowed": bool, "message"}]}``, all French (the posture's own words)."""
    from clos.errors import ClosError

    posture = current(settings)
    line, forbids = describe(settings)
    servers = []
    for key, url in servers_of(settings):
        try:
            check_server(settings, key, url)
            servers.append({"key": key, "url": url, "allowed": True,
                            "message": f"{url} : autorisé par la posture"})
        except ClosError as exc:
            servers.append({"key": key, "url": url, "allowed": False, "message": exc.message})
    return {"name": posture.name if posture else None,
            "label": posture.label if posture else "aucune", "line": line,
            "forbids": forbids, "servers": servers}


def servers_of(settings: Any) -> list[tuple[str, str]]:
    """(setting name, address) of every server the settings would send data to."""
    found = []
    if getattr(settings, "llm_url", ""):
        found.append(("llm_url", settings.llm_url))
    elif getattr(settings, "llm_backend", "") == "openai":
        found.append(("openai_base_url", settings.openai_base_url))
    if getattr(settings, "embedder_url", "") and str(settings.embedder).lower() not in ("off", "none", "non", ""):
        found.append(("embedder_url", settings.embedder_url))
    return found


def check_server(settings: Any, key: str, url: str) -> None:
    """ConfigError (French) when the posture forbids sending anything to ``url``."""
    posture = current(settings)
    if posture is None or posture.name == FONCEUSE:
        return
    if posture.name == PRUDENTE:
        raise ConfigError(
            f"La posture prudente n'accepte que les modèles embarqués : le serveur « {url} » "
            f"({key}) est refusé. Retirez ce réglage, ou choisissez une autre posture "
            "(clos init --posture raisonnee).")
    host = (urlsplit(url).hostname or "").lower()
    allowed = {h.strip().lower() for h in settings.allowed_hosts}
    if host not in allowed:
        raise ConfigError(
            f"La posture raisonnée n'autorise que les serveurs de la liste allowed_hosts "
            f"({', '.join(sorted(allowed)) or 'vide'}) : « {host or url} » ({key}) est refusé.")


def enforce(settings: Any, origin: dict[str, str] | None = None) -> None:
    """ConfigError when a setting contradicts the posture; called by ``Settings.load``."""
    posture = current(settings)
    if posture is None or posture.name == FONCEUSE:
        return
    origin = origin or {}
    for key, url in servers_of(settings):
        check_server(settings, origin.get(key, key), url)
    if settings.pii_policy == "keep":
        raise ConfigError(
            f"La posture {posture.label.lower()} interdit de garder les données personnelles en "
            f"clair : « {origin.get('pii_policy', 'pii_policy')} = keep » est refusé.")
    if posture.name == PRUDENTE and settings.min_relevance < PRUDENT_MIN_RELEVANCE:
        raise ConfigError(
            f"La posture prudente demande un seuil de refus d'au moins {PRUDENT_MIN_RELEVANCE} : "
            f"« {origin.get('min_relevance', 'min_relevance')} = {settings.min_relevance} » "
            "est refusé.")


def constrain_policy(policy: Any, settings: Any) -> Any:
    """The collection's governance policy, made at least as strict as the posture (flag
    actions: exclude beats a warning beats indexing; the PII policy never ``keep``)."""
    posture = current(settings)
    if posture is None:
        return policy
    rank = {"index": 0, "index_with_warning": 1, "exclude": 2}
    for kind, floor in posture.flag_actions.items():
        if rank.get(policy.action(kind), 0) < rank[floor]:
            policy.flag_actions[kind] = floor
    if posture.name != FONCEUSE and policy.pii_policy == "keep":
        policy.pii_policy = "pseudonymise"
    return policy


def guard_llm(settings: Any, llm: Any) -> Any:
    """``llm`` (a server client) if the posture lets it be used; under raisonnée, wrapped so
    every prompt is pseudonymised before it leaves and the answer restored on arrival."""
    check_server(settings, "llm_url", llm.base_url)
    posture = current(settings)
    if posture is not None and posture.name == RAISONNEE:
        from clos.llm.shield import ShieldedLLM

        return ShieldedLLM(llm)
    return llm


def guard_embedder(settings: Any, embedder: Any) -> Any:
    """The same for an embeddings server: under raisonnée, questions are pseudonymised before
    they are sent (stored passages are already, pii_policy never being ``keep`` there)."""
    check_server(settings, "embedder_url", embedder.base_url)
    posture = current(settings)
    if posture is not None and posture.name == RAISONNEE:
        from clos.llm.shield import ShieldedEmbedder

        return ShieldedEmbedder(embedder)
    return embedder


def write_settings_file(path: Any, name: str, settings_fields: set[str]) -> dict[str, Any]:
    """Write posture ``name`` and its values into the TOML file at ``path`` (other keys and
    comments kept: tomlkit). Values for settings this build does not have (``mode`` before the
    extractive answers exist) are left out. Returns what was written."""
    from pathlib import Path

    import tomlkit

    from clos.settings import _fold

    key = _fold(name)
    posture = POSTURES.get(key)
    if posture is None:
        raise ConfigError(f"Posture inconnue : « {name} » (valeurs possibles : "
                          f"{', '.join(POSTURES)}).")
    path = Path(path)
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    except (OSError, tomlkit.exceptions.TOMLKitError) as exc:
        raise ConfigError(f"Fichier de configuration illisible : {path} ({exc})") from exc
    table = doc["clos"] if "clos" in doc else doc
    values = {"posture": posture.name, **{k: v for k, v in posture.file_values.items()
                                          if k in settings_fields}}
    if not len(table):
        doc.add(tomlkit.comment(f"Réglages de Clos — posture {posture.label.lower()} "
                                "(clos init). Voir « clos doctor »."))
    for k, v in values.items():
        table[k] = v
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Impossible d'écrire {path} : {exc}") from exc
    return values
