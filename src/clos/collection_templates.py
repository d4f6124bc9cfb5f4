"""Collections made from the seed's use cases: audience, governance policy, answer style.

    clos collection create accueil --template usagers

A template writes the collection's governance policy (``govern.policy.set_policy``) and the
settings it overrides for answers (stored with the collection: ``store.collection_settings``);
``settings_for`` merges them over the global settings for every question, the posture still
having the last word (``posture.enforce``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clos.errors import ConfigError
from clos.posture import SANDBOX

# Settings a collection may override (the others belong to the machine, not a collection).
OVERRIDABLE = ("min_relevance", "min_grounding", "top_k", "max_tokens", "context_token_budget",
               "temperature", "llm_url", "model", "sandbox")
# "Strictest refusal": half the question's weighted terms in the passage, as the prudente
# posture (posture.PRUDENT_MIN_RELEVANCE) — a policy choice, not a calibrated figure.
STRICT = 0.5
SHORT_ANSWER_TOKENS = 160  # about 100 French words: two or three sentences for a resident


@dataclass(frozen=True)
class Template:
    name: str
    audience: str                       # French, shown by `clos collection templates`
    style: str                          # French: what its answers look like
    pii_policy: str = "pseudonymise"
    flag_actions: dict[str, str] = field(default_factory=dict)
    max_age_years: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # settings overridden


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("usagers", "les habitants (agent conversationnel public)",
             "réponses courtes, documents publics seulement, refus au moindre doute",
             pii_policy="exclude",  # a document holding personal data never reaches residents
             flag_actions={"brouillon": "exclude", "confidentiel": "exclude",
                           "obsolete": "exclude", "version": "exclude", "doublon": "exclude"},
             answers={"min_relevance": STRICT, "top_k": 2, "max_tokens": SHORT_ANSWER_TOKENS}),
    Template("aides-sociales", "les agents du CCAS et de l'action sociale",
             "conditions, montants et pièces à fournir, cités au plus près ; sources périmées "
             "exclues (barèmes révisés chaque année)",
             pii_policy="pseudonymise",
             flag_actions={"brouillon": "index_with_warning", "confidentiel": "exclude",
                           "obsolete": "exclude"},
             max_age_years=2, answers={"min_relevance": 0.4}),
    Template("rh", "le service des ressources humaines",
             "réponses précises ; toute donnée personnelle masquée, brouillons exclus",
             pii_policy="redact",
             flag_actions={"brouillon": "exclude", "confidentiel": "exclude"},
             answers={"min_relevance": 0.4}),
    Template("juridique-marches", "le service juridique et la commande publique",
             "réponses détaillées qui citent l'article ou la clause ; versions anciennes "
             "signalées, non exclues",
             pii_policy="pseudonymise",
             flag_actions={"obsolete": "index_with_warning", "version": "index_with_warning"},
             answers={"top_k": 4, "max_tokens": 400, "context_token_budget": 600}),
    Template("voirie-dechets", "les services techniques (voirie, propreté, déchets)",
             "réponses pratiques : lieux, jours, horaires, consignes",
             pii_policy="pseudonymise",
             flag_actions={"brouillon": "index_with_warning"},
             answers={"max_tokens": 240}),
)}


def create(store: Any, settings: Any, name: str, template: str | None = None) -> int:
    """Create (or reset) collection ``name`` from ``template``; its id. ConfigError (French)
    for an unknown template."""
    from clos.govern.policy import set_policy

    name = (name or "").strip()
    if not name:
        raise ConfigError("Le nom de la collection est vide.")
    chosen = None
    if template:
        chosen = TEMPLATES.get(template)
        if chosen is None:
            raise ConfigError(f"Modèle de collection inconnu : « {template} » (valeurs possibles : "
                              f"{', '.join(TEMPLATES)}).")
    cid = store.collection_id(name)
    if chosen is not None:
        set_policy(store, cid, settings, pii_policy=chosen.pii_policy,
                   flag_actions=chosen.flag_actions, max_age_years=chosen.max_age_years)
    overrides = dict(chosen.answers) if chosen else {}
    if name == SANDBOX:
        overrides["sandbox"] = True
    store.set_collection_settings(cid, chosen.name if chosen else "", overrides)
    return cid


def set_values(store: Any, settings: Any, name: str, pairs: dict[str, str]) -> dict[str, Any]:
    """Override settings for collection ``name`` (``{"llm_url": "http://…/v1", "top_k": "4"}``),
    checked like the settings file and against the posture; the collection's overrides after.
    ConfigError (French) for a key a collection cannot override or a bad value."""
    import dataclasses

    from clos.posture import enforce
    from clos.settings import validate_values

    unknown = sorted(set(pairs) - set(OVERRIDABLE) - {"sandbox"})
    if unknown:
        raise ConfigError(f"Réglage non modifiable par collection : {', '.join(unknown)} "
                          f"(possibles : {', '.join(k for k in OVERRIDABLE if k != 'sandbox')}).")
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    checked = validate_values(type(settings), {**values, **pairs},
                              {k: f"{k} (collection {name})" for k in pairs})
    enforce(checked)
    cid = store.collection_id(name)
    template, current = store.collection_settings(cid)
    current.update({k: getattr(checked, k) for k in pairs})
    store.set_collection_settings(cid, template, current)
    return current


def overrides(store: Any, collection_id: int | None) -> dict[str, Any]:
    if collection_id is None:
        return {}
    return dict(store.collection_settings(collection_id)[1])


def settings_for(settings: Any, values: dict[str, Any]) -> Any:
    """The global settings with a collection's overrides; never looser than the posture."""
    from clos.posture import PRUDENT_MIN_RELEVANCE, PRUDENTE, enforce

    changes = {k: v for k, v in values.items() if k in OVERRIDABLE and k != "sandbox"}
    if not changes:
        return settings
    merged = settings.replace(**changes)
    if merged.posture == PRUDENTE and merged.min_relevance < PRUDENT_MIN_RELEVANCE:
        merged = merged.replace(min_relevance=PRUDENT_MIN_RELEVANCE)
    enforce(merged)  # a collection's server obeys the posture too
    return merged


SANDBOX_WARNING = ("Bac à sable : cette réponse vient de documents en essai, non validés ; "
                   "ne la diffusez pas.")
