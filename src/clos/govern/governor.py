"""The governance stage: review a document before it reaches the index, then record the decision.

    review = Governor(store, settings, collection_id).review(doc)
    if review.decision != "exclude":
        doc_id = store.replace_document(collection_id, review.document, chunks_of(review.document), …)
    governor.record(review, doc_id or None)

``review.document`` is the only text the index may see: under ``pseudonymise`` or ``redact`` its
sections, headings, title and metadata hold placeholders instead of personal data, and an excluded
document comes back with no sections at all.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from typing import Any

from clos.errors import GovernanceError
from clos.govern import duplicates as dup
from clos.govern import records
from clos.govern import roles as _roles
from clos.govern.flags import document_date, flag_document
from clos.govern.pii import AllowList, detect_many
from clos.govern.policy import CollectionPolicy, get_policy
from clos.govern.pseudonymise import MemoryMap, Pseudonymiser, StoreMap
from clos.store.protocol import GovernanceStore
from clos.types import Document, Finding, Flag, Review  # noqa: F401  (Review: re-exported)

# Metadata fields that name a person whatever their content (DOCX/ODT/PDF properties).
PERSON_KEYS = {"author", "creator", "last_modified_by", "lastmodifiedby", "modified_by",
               "initial_creator", "owner", "sender", "from", "to", "cc", "reviewers", "authors"}


def _review_texts(doc: Document) -> tuple[list[str], list[str], list[str], list[str]]:
    """(section texts, headings, metadata keys searched, every text searched in that order:
    sections, title, headings, metadata values)."""
    texts = [s.text for s in doc.sections]
    headings = sorted({h for s in doc.sections for h in s.heading_path})
    meta_keys = [k for k, v in (doc.metadata or {}).items()
                 if isinstance(v, str) and v.strip() and k.lower() not in PERSON_KEYS]
    return texts, headings, meta_keys, texts + [doc.title or ""] + headings \
        + [doc.metadata[k] for k in meta_keys]


def detect(doc: Document) -> list[list[Finding]]:
    """Personal data in every text ``Governor.review`` searches, before any collection rule
    (public roles, allow-list): one list of findings per text of ``_review_texts(doc)[3]``.
    Depends on the document alone, so it may run in another process. Raises
    ``GovernanceError`` when the spaCy model is missing."""
    return detect_many(_review_texts(doc)[3], names=True)


class Governor:
    """Governance of one collection. Without a store (``store=None``) it works in memory: the
    dry run (``scan``) uses that, with the settings' default policy."""

    def __init__(self, store: GovernanceStore | None, settings: Any, collection_id: int | None, *,
                 today: date | None = None, policy: CollectionPolicy | None = None) -> None:
        if store is not None and collection_id is None:
            raise GovernanceError("Une collection est nécessaire pour appliquer la gouvernance.")
        self.store = store
        self.settings = settings
        self.collection_id = collection_id
        self.today = today or date.today()
        self._policy = policy
        self._memory: list[dup.Known] = []
        self._mapping = StoreMap(store, collection_id) if store is not None else MemoryMap()
        self._public_memory: dict[str, str] = {}  # name key → name, without a store

    @property
    def policy(self) -> CollectionPolicy:
        if self._policy is None:
            if self.store is not None:
                self._policy = get_policy(self.store, self.collection_id, self.settings)
            else:
                self._policy = CollectionPolicy(
                    pii_policy=getattr(self.settings, "pii_policy", None) or "pseudonymise")
            from clos.posture import constrain_policy

            self._policy = constrain_policy(self._policy, self.settings)  # the posture's floor
        return self._policy

    # ------------------------------------------------------------------ review
    def review(self, doc: Document, found: list[list[Finding]] | None = None) -> Review:
        """Detect, flag and decide; return the governed copy. Writes only placeholders.

        ``found``: ``detect(doc)`` computed beforehand (in a worker process, ``clos.prepare``);
        detected here when None or when it does not fit the document's texts."""
        policy = self.policy
        texts, headings, meta_keys, batch = _review_texts(doc)
        allow = AllowList(policy.allow)
        if found is None or len(found) != len(batch):
            found = detect_many(batch, names=True)
        public_doc = _roles.is_public_document(texts, [f for g in found for f in g], doc.title or "")
        attendance: list[str] = []
        if public_doc:
            found, blocks, named = _roles.classify(batch, found, known=self.public_names())
            attendance = [n for b in blocks for n in b.names]
        keep_public = public_doc and policy.public_roles == "garder"
        # Findings of one text never overlap (pii._resolve), so none equals another: sets of
        # ids say « kept » as ``in`` did, without comparing every pair.
        public = [[f for f in group if keep_public and f.role == "public"] for group in found]
        found = [_without(group, kept) for group, kept in zip(found, public)]
        treated = [allow.filter(group) for group in found]
        allowed = [_without(group, kept) for group, kept in zip(found, treated)]

        n = len(texts)
        offsets, pos = [], 0
        for t in texts:
            offsets.append(pos)
            pos += len(t) + 2  # Document.text joins sections with "\n\n"
        shift = lambda groups: [  # noqa: E731
            dataclasses.replace(f, start=f.start + offsets[i], end=f.end + offsets[i])
            for i, group in enumerate(groups) for f in group]

        full_text = doc.text
        title_in_text = bool(doc.title) and " ".join(doc.title.split()) in " ".join(full_text.split())
        births = {_iso(f.text) for group in found for f in group if f.type == "DATE_NAISSANCE"}
        when = document_date(doc, births)
        review = Review(
            decision="index", flags=[], findings=shift(treated[:n]), document=doc,
            pii_policy=policy.pii_policy,
            allowed=shift(allowed[:n]) + ([] if title_in_text else allowed[n]),
            section_findings=treated[:n], title_findings=treated[n],
            chars=len(full_text.strip()), doc_date=when.isoformat() if when else None,
            signature=dup.signature(full_text), text_hash=dup.text_hash(full_text),
            doc_key=dup.version_key(doc.path, doc.title),
            title_in_text=title_in_text,
            public=shift(public[:n]), public_document=public_doc,
            public_names=sorted(named) if public_doc else [],
        )
        review.flags = flag_document(doc, today=self.today, max_age_years=policy.max_age_years,
                                     not_dates=births)
        self._duplicates(doc, review)
        review.decision = self._decide(review)
        review.document = self._governed_copy(doc, review, treated, headings, meta_keys)
        if doc.doc_date and doc.doc_date[:10] in births:
            # The reader took a birth date for the document's date: it must not be stored as such.
            review.document.doc_date = review.doc_date
        return review

    def _duplicates(self, doc: Document, review: Review) -> None:
        if not review.text_hash or review.chars == 0:
            return
        known = (records.known_documents(self.store, self.collection_id, except_path=doc.path)
                 if self.store is not None else [k for k in self._memory if k.path != doc.path])
        matches = dup.find_matches(review.signature, review.text_hash, review.doc_key,
                                   review.doc_date, doc.mtime, known, path=doc.path)
        older_than = [m for m in matches if m.other_is_newer and m.other.decision != "exclude"]
        if older_than:
            m = older_than[0]
            flag = Flag(m.kind, dup.describe(m))
            review.flags.append(flag)
            review.related[flag.reason] = m.other.path
        review.supersedes = [m for m in matches if not m.other_is_newer]

    def _decide(self, review: Review) -> str:
        policy = self.policy
        decision = records.worst("index", *(policy.action(f.kind) for f in review.flags))
        if review.chars == 0:
            review.warnings.append("Document exclu : aucun texte à indexer.")
            decision = "exclude"
        private = [f for f in review.findings + review.title_findings if f.role != "public"]
        if policy.pii_policy == "exclude" and private:
            review.warnings.append("Document exclu : il contient des données personnelles"
                                   " (politique de la collection : exclure).")
            decision = "exclude"
        for f in review.flags:
            if policy.action(f.kind) != "index":
                review.warnings.append(f.reason)
        return decision

    def _governed_copy(self, doc: Document, review: Review, treated: list[list[Finding]],
                       headings: list[str], meta_keys: list[str]) -> Document:
        governed = copy.deepcopy(doc)
        if review.decision == "exclude":
            governed.sections = []  # nothing of an excluded document may reach the index
            return governed
        policy = review.pii_policy
        if policy == "keep":
            return governed
        texts = [s.text for s in doc.sections] + [doc.title or ""] + headings \
            + [doc.metadata[k] for k in meta_keys]
        rewritten = Pseudonymiser(policy, self._mapping).apply_many(texts, treated)
        n = len(doc.sections)
        for section, text in zip(governed.sections, rewritten[:n]):
            section.text = text
        governed.title = rewritten[n]
        heading_map = dict(zip(headings, rewritten[n + 1:n + 1 + len(headings)]))
        for section in governed.sections:
            section.heading_path = tuple(heading_map.get(h, h) for h in section.heading_path)
        for key, text in zip(meta_keys, rewritten[n + 1 + len(headings):]):
            governed.metadata[key] = text
        for key in list(governed.metadata):
            if key.lower() in PERSON_KEYS and governed.metadata[key]:
                governed.metadata[key] = "[PERSONNE]"
        if review.public_document:
            _roles.move_attendance(governed)
        return governed

    # ------------------------------------------------------------------ public names
    def public_names(self) -> list[str]:
        """Names the collection has seen acting in a public role (attendance lists, signatures)."""
        if self.store is None:
            return list(self._public_memory.values())
        return [r["name"] for r in self.store.public_names(self.collection_id)]

    # ------------------------------------------------------------------ record
    def record(self, review: Review, document_id: int | None) -> int:
        """Persist the decision, flags and counts; retire the older copies this one replaces.

        ``document_id`` is the indexed row, or None for an excluded file (any earlier indexed
        version of that path is then removed from the index). Returns how many older copies
        left the index."""
        path = review.document.path
        names = {_names_key(n): n for n in review.public_names}
        if self.store is None:
            self._public_memory.update({k: v for k, v in names.items() if k not in self._public_memory})
            self._remember(review)
            return 0
        if names and review.decision != "exclude":
            self.store.add_public_names(self.collection_id, sorted(names.items()), path)
        if review.decision == "exclude" and document_id is None:
            stale = records.indexed_document_id(self.store, self.collection_id, path)
            if stale is not None:
                self.store.delete_documents([stale])
        records.save_review(self.store, self.collection_id, review, document_id)
        if review.decision == "exclude":
            return 0  # an excluded file replaces nothing
        retired = 0
        for match in review.supersedes:
            flag = Flag(match.kind, _older_reason(match, path))
            retired += records.supersede(self.store, self.collection_id, match.other.path, path,
                                         flag, self.policy.action(match.kind)) is not None
        return retired

    def _remember(self, review: Review) -> None:
        doc = review.document
        self._memory = [k for k in self._memory if k.path != doc.path]
        if review.decision != "exclude":
            self._memory = [k for k in self._memory
                            if k.path not in {m.other.path for m in review.supersedes}]
        self._memory.append(dup.Known(doc.path, None, review.signature, review.text_hash,
                                      review.doc_key, review.doc_date, doc.mtime, review.decision))


def _without(group: list[Finding], kept: list[Finding]) -> list[Finding]:
    ids = {id(f) for f in kept}
    return [f for f in group if id(f) not in ids]


def _names_key(name: str) -> str:
    from clos.govern.names import name_key

    return name_key(name)


def _iso(value: str) -> str:
    from clos.govern.rules import parse_french_date

    parsed = parse_french_date(value)
    return parsed.isoformat() if parsed else ""


def _older_reason(match: dup.Match, newer_path: str) -> str:
    from pathlib import Path

    name = Path(newer_path).name
    if match.kind == "doublon":
        return f"Copie quasi identique ({round(match.similarity * 100)} %) de « {name} », conservé."
    return f"Version antérieure de « {name} », plus récent (similarité {round(match.similarity * 100)} %)."
