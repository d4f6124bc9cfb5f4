"""Governance: personal data, drafts, duplicates and the corpus report.

The pipeline calls ``Governor(store, settings, collection_id).review(doc)`` before indexing and
indexes only ``review.document``; then ``Governor.record(review, document_id)``.
"""

from __future__ import annotations

from clos.govern.evaluate import evaluate
from clos.govern.flags import KINDS as FLAG_KINDS
from clos.govern.flags import flag_document
from clos.govern.governor import Governor, Review
from clos.govern.pii import TYPES as PII_TYPES
from clos.govern.pii import detect
from clos.govern.policy import (
    DECISIONS,
    CollectionPolicy,
    allow,
    allow_list,
    disallow,
    get_policy,
    set_policy,
)
from clos.govern.pseudonymise import Pseudonymiser, reveal
from clos.govern.records import excluded_paths, forget
from clos.govern.scan import scan

__all__ = [
    "DECISIONS", "FLAG_KINDS", "PII_TYPES", "CollectionPolicy", "Governor", "Pseudonymiser",
    "Review", "allow", "allow_list", "detect", "disallow", "evaluate", "excluded_paths",
    "flag_document", "forget", "get_policy", "reveal", "scan", "set_policy",
]
