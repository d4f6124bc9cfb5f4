"""Per-collection governance policy: what to do with personal data, what to do per flag kind,
the obsolescence threshold, and the allow-list of names kept as they are."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from clos.errors import GovernanceError
from clos.govern.flags import KINDS
from clos.govern.pii import normalise
from clos.govern.pseudonymise import POLICIES
from clos.store.protocol import GovernanceStore

DECISIONS = ("index", "index_with_warning", "exclude")
DECISION_LABELS_FR = {
    "index": "Indexé",
    "index_with_warning": "Indexé avec avertissement",
    "exclude": "Exclu",
}
POLICY_LABELS_FR = {
    "keep": "conserver",
    "pseudonymise": "pseudonymiser",
    "redact": "masquer",
    "exclude": "exclure le document",
}
# Defaults: copies and old versions leave the index (the newest stays), confidential documents
# never enter it, everything else is indexed with a warning the answer can show.
DEFAULT_FLAG_ACTIONS = {
    "brouillon": "index_with_warning",
    "confidentiel": "exclude",
    "obsolete": "index_with_warning",
    "qualite": "index_with_warning",
    "doublon": "exclude",
    "version": "exclude",
    "langue": "index_with_warning",
}
DEFAULT_MAX_AGE_YEARS = 10
# Names of people acting in a public role (attendance lists, signatories…) in documents of a
# public nature: kept by default, as the law publishes them (CGCT L.2121-25, L.2131-1).
PUBLIC_ROLES = ("garder", "pseudonymiser")


@dataclass
class CollectionPolicy:
    pii_policy: str = "pseudonymise"
    flag_actions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FLAG_ACTIONS))
    max_age_years: int = DEFAULT_MAX_AGE_YEARS
    allow: list[str] = field(default_factory=list)
    public_roles: str = "garder"

    def action(self, kind: str) -> str:
        return self.flag_actions.get(kind, DEFAULT_FLAG_ACTIONS.get(kind, "index_with_warning"))

    def to_dict(self) -> dict[str, Any]:
        return {"pii_policy": self.pii_policy, "flag_actions": dict(self.flag_actions),
                "max_age_years": self.max_age_years, "allow": list(self.allow),
                "public_roles": self.public_roles}


def _check(pii_policy: str | None, flag_actions: Mapping[str, str] | None,
           max_age_years: int | None) -> None:
    if pii_policy is not None and pii_policy not in POLICIES:
        raise GovernanceError(f"Politique de données personnelles inconnue : « {pii_policy} »"
                              f" (valeurs possibles : {', '.join(POLICIES)}).")
    for kind, action in (flag_actions or {}).items():
        if kind not in KINDS:
            raise GovernanceError(f"Type de signalement inconnu : « {kind} »"
                                  f" (valeurs possibles : {', '.join(KINDS)}).")
        if action not in DECISIONS:
            raise GovernanceError(f"Décision inconnue pour « {kind} » : « {action} »"
                                  f" (valeurs possibles : {', '.join(DECISIONS)}).")
    if max_age_years is not None and max_age_years < 0:
        raise GovernanceError("Le seuil d'ancienneté doit être un nombre d'années positif (0 : aucun).")


def get_policy(store: GovernanceStore, collection_id: int,
               settings: Any = None) -> CollectionPolicy:
    """The collection's policy; defaults (PII policy from ``settings.pii_policy``) when unset."""
    default_pii = getattr(settings, "pii_policy", None) or "pseudonymise"
    _check(default_pii, None, None)
    row = store.policy_row(collection_id)
    policy = CollectionPolicy(pii_policy=default_pii, allow=allow_list(store, collection_id))
    if row:
        policy.pii_policy = row["pii_policy"]
        policy.flag_actions.update(json.loads(row["flag_actions"] or "{}"))
        policy.max_age_years = int(row["max_age_years"])
    policy.public_roles = store.public_roles(collection_id) or "garder"
    return policy


def set_policy(
    store: GovernanceStore, collection_id: int, settings: Any = None, *,
    pii_policy: str | None = None,
    flag_actions: Mapping[str, str] | None = None, max_age_years: int | None = None,
    public_roles: str | None = None,
) -> CollectionPolicy:
    """Change some of the collection's policy; unspecified parts keep their current value.
    ``public_roles``: garder | pseudonymiser (names acting in a public role)."""
    _check(pii_policy, flag_actions, max_age_years)
    if public_roles is not None and public_roles not in PUBLIC_ROLES:
        raise GovernanceError(f"Valeur inconnue pour les rôles publics : « {public_roles} »"
                              f" (valeurs possibles : {', '.join(PUBLIC_ROLES)}).")
    current = get_policy(store, collection_id, settings)
    overrides = {k: v for k, v in current.flag_actions.items() if DEFAULT_FLAG_ACTIONS.get(k) != v}
    overrides.update(flag_actions or {})
    store.save_policy(collection_id, pii_policy or current.pii_policy, json.dumps(overrides),
                      current.max_age_years if max_age_years is None else int(max_age_years))
    if public_roles is not None:
        store.set_public_roles(collection_id, public_roles, pii_policy or current.pii_policy)
    return get_policy(store, collection_id, settings)


def allow_list(store: GovernanceStore, collection_id: int) -> list[str]:
    return store.allow_list(collection_id)


def allow(store: GovernanceStore, collection_id: int, values: Iterable[str], *, note: str = "") -> list[str]:
    """Keep these names (or other values) as they are in this collection's documents."""
    cleaned = [v for v in (" ".join(value.split()) for value in values) if v]
    store.allow_values(collection_id, [(_allow_key(v), v, note) for v in cleaned])
    return allow_list(store, collection_id)


def disallow(store: GovernanceStore, collection_id: int, values: Iterable[str]) -> list[str]:
    store.disallow_keys(collection_id, [_allow_key(value) for value in values])
    return allow_list(store, collection_id)


def _allow_key(value: str) -> str:
    return normalise("PERSONNE", value)
