"""Imported once by the fork server of the ingestion workers (``clos.prepare``): the readers and
the spaCy model are loaded there, once, and every worker forked from it starts with them (5–7 s
of CPU saved per worker on the 2-core test machine, bench/bench_ingest_scale.py)."""

from __future__ import annotations

import clos.govern.governor  # noqa: F401  (detection, its rules and lexicons)
import clos.ingest.pdf  # noqa: F401  (the PDF reader)
from clos.errors import GovernanceError
from clos.govern import ner

try:
    ner._nlp()
except GovernanceError:  # no model: the pipeline says so, in French, when it detects
    pass
