"""spaCy's French NER (``fr_core_news_sm``, loaded once per process with only what NER needs)
and the entities it finds in short segments of text, cached per segment.

    entities(segments)   [((start_char, end_char, label), …) per segment]

``names`` asks it about the segments where names may hide, ``notperson`` about the names the
rules found without a civility.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Sequence

from clos.errors import GovernanceError

_SPACY_MODEL = "fr_core_news_sm"


@functools.lru_cache(maxsize=1)
def _nlp():
    """Load the French pipeline once per process, with only what NER needs."""
    try:
        import spacy

        return spacy.load(_SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer",
                                                 "attribute_ruler", "senter", "tagger"])
    except (ImportError, OSError) as exc:
        raise GovernanceError(
            "Le modèle spaCy français est absent : installez le paquet « fr-core-news-sm ».",
            detail=repr(exc),
        ) from exc


# Entities per segment text, most recent last: the attendance list, the preamble and the
# signatures of a council's deliberations come back word for word in every one of them, and
# spaCy labels a text alike whatever batch it comes in. 16 384 segments ≈ 4 MB.
_ENTS: "OrderedDict[str, tuple[tuple[int, int, str], ...]]" = OrderedDict()
_ENTS_MAX = 16384
_ENTS_LOCK = threading.Lock()


def entities(segments: Sequence[str]) -> list[tuple[tuple[int, int, str], ...]]:
    """spaCy's entities of each segment as (start_char, end_char, label), in one batch for the
    segments not seen before in this process (``fr_core_news_sm``, NER only). Raises
    ``GovernanceError`` when the model is not installed."""
    with _ENTS_LOCK:
        found = {s: _ENTS[s] for s in segments if s in _ENTS}
    new = list(dict.fromkeys(s for s in segments if s not in found))
    if new:
        for seg, doc in zip(new, _nlp().pipe(new, batch_size=64)):
            found[seg] = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
    with _ENTS_LOCK:
        for seg, ents in found.items():
            _ENTS[seg] = ents
            _ENTS.move_to_end(seg)
        while len(_ENTS) > _ENTS_MAX:
            _ENTS.popitem(last=False)
    return [found[s] for s in segments]
