"""Apply a personal-data policy to text: keep, pseudonymise ([PERSONNE_1]) or redact ([PERSONNE]).

Placeholders are consistent across a collection: the same normalised value always gets the same
number. The mapping lives apart from the index, encrypted (``clos.store.vault``), and is read
back only through ``reveal``.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol, Sequence

from clos.errors import GovernanceError
from clos.govern import names as _names
from clos.govern.pii import normalise
from clos.store.protocol import GovernanceStore
from clos.types import Finding

POLICIES = ("keep", "pseudonymise", "redact", "exclude")


class PseudonymMap(Protocol):
    def number(self, type_: str, key: str, original: str) -> int:
        """The placeholder number of a value, assigned on first sight."""

    def people_with_surname(self, surname: str) -> list[str]:
        """Keys of full names already mapped whose family name is ``surname``."""


class MemoryMap:
    """A mapping kept in memory: dry runs and tests."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[int, str]] = {}

    def number(self, type_: str, key: str, original: str) -> int:
        if (type_, key) not in self.entries:
            n = 1 + sum(1 for t, _ in self.entries if t == type_)
            self.entries[(type_, key)] = (n, original)
        return self.entries[(type_, key)][0]

    def people_with_surname(self, surname: str) -> list[str]:
        return [k for (t, k), (_, original) in self.entries.items()
                if t == "PERSONNE" and " " in k and _names.surname_key(original) == surname]


class StoreMap:
    """The collection's mapping in the database; numbers are assigned atomically by the store."""

    def __init__(self, store: GovernanceStore, collection_id: int) -> None:
        self.store = store
        self.collection_id = collection_id
        self._cache: dict[tuple[str, str], int] = {}

    def number(self, type_: str, key: str, original: str) -> int:
        cached = self._cache.get((type_, key))
        if cached is not None:
            return cached
        n = self.store.pseudonym_number(self.collection_id, type_, key, original)
        self._cache[(type_, key)] = n
        return n

    def people_with_surname(self, surname: str) -> list[str]:
        rows = self.store.pseudonyms_with_word(self.collection_id, "PERSONNE", surname)
        return [key for key, original in rows if _names.surname_key(original) == surname]


class Pseudonymiser:
    """Rewrites texts according to a policy; ``exclude`` is decided per document, not here."""

    def __init__(self, policy: str = "pseudonymise", mapping: PseudonymMap | None = None) -> None:
        if policy not in POLICIES:
            raise GovernanceError(
                f"Politique de données personnelles inconnue : « {policy} »"
                f" (valeurs possibles : {', '.join(POLICIES)})."
            )
        self.policy = policy
        self.mapping = mapping if mapping is not None else MemoryMap()

    def apply(self, text: str, findings: Sequence[Finding]) -> str:
        return self.apply_many([text], [findings])[0]

    def apply_many(self, texts: Sequence[str], findings: Sequence[Sequence[Finding]]) -> list[str]:
        """Rewrite the parts of one document; names are resolved across all of them first so a
        lone "Dupont" takes the placeholder of the "Jean DUPONT" named elsewhere in the document."""
        if self.policy in ("keep", "exclude"):
            return list(texts)
        resolve = self._name_resolver([f for group in findings for f in group])
        out = []
        for text, group in zip(texts, findings):
            pieces, cursor = [], 0
            for f in sorted(group, key=lambda f: f.start):
                if f.start < cursor:  # overlapping input: the earlier finding already covers it
                    continue
                pieces.append(text[cursor:f.start])
                pieces.append(self.placeholder(f, resolve))
                cursor = f.end
            pieces.append(text[cursor:])
            out.append("".join(pieces))
        return out

    def placeholder(self, finding: Finding, resolve: dict[str, str] | None = None) -> str:
        if self.policy == "redact":
            return f"[{finding.type}]"
        key = normalise(finding.type, finding.text)
        if finding.type == "PERSONNE" and resolve:
            key = resolve.get(key, key)
        return f"[{finding.type}_{self.mapping.number(finding.type, key, finding.text)}]"

    def _name_resolver(self, findings: Iterable[Finding]) -> dict[str, str]:
        """Lone surname key → full-name key, when exactly one person bears that surname."""
        full: dict[str, set[str]] = {}
        lone: set[str] = set()
        for f in findings:
            if f.type != "PERSONNE":
                continue
            key = _names.name_key(f.text)
            if " " in key:
                full.setdefault(_names.surname_key(f.text), set()).add(key)
            elif key:
                lone.add(key)
        resolved = {}
        for key in lone:
            candidates = full.get(key) or set(self.mapping.people_with_surname(key))
            if len(candidates) == 1:
                resolved[key] = next(iter(candidates))
        return resolved


def reveal(store: GovernanceStore, collection_id: int, *, type_: str | None = None,
           by: str | None = None, reason: str | None = None) -> list[dict[str, Any]]:
    """The placeholder → original table of a collection. Only for authorised users: callers
    must check the user's rights; nothing else in Clos reads this table. Each reveal is written
    to the audit log where the store keeps one (``by``: the account; default the system user;
    ``reason``: the motive the user gave, kept with the entry)."""
    import getpass

    rows = [
        {"placeholder": f"[{r['type']}_{r['n']}]", "type": r["type"], "original": r["original"],
         "created_at": r["created_at"]}
        for r in store.pseudonyms(collection_id, type_)
    ]
    if hasattr(store, "audit"):
        detail = {"collection_id": collection_id, "type": type_, "count": len(rows)}
        store.audit(by or getpass.getuser(), "reveal", None,
                    {**detail, "reason": reason} if reason else detail)
    return rows
