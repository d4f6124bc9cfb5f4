"""Near-duplicates and successive versions: MinHash signatures of the text, kept in the store so
documents are compared across ingestion runs, and a version key from the file name.

A signature is 128 minimum hashes of word 5-shingles; the share of equal minimums estimates the
Jaccard similarity of the two texts. It cannot be turned back into the text.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from datetime import date
from pathlib import Path

import numpy as np

from clos.govern.lexicon import strip_accents
from clos.types import Known, Match  # noqa: F401  (defined there, used here and by govern)

SIG_VERSION = 1
NUM_PERM = 128
SHINGLE = 5
DUPLICATE = 0.9   # at or above: the same document (copy, re-export, tiny edit)
VERSION = 0.5     # at or above, with the same version key: another version of one document

_PRIME = 4294967311  # smallest prime above 2**32
_rng = np.random.default_rng(20140424)  # fixed: signatures must compare across runs
_A = _rng.integers(1, _PRIME, NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, NUM_PERM, dtype=np.uint64)

_VERSION_WORDS = re.compile(
    r"(?:^|[\s_\-.()\[\]])(?:v\d+(?:[._]\d+)*|version\s*\d*|vf|final[e]?|definiti(?:f|ve)|def|draft|"
    r"brouillon|projet|copie|copy|old|ancien(?:ne)?|nouveau|nouvelle|new|maj|rev\d*|relu[e]?|"
    r"corrige[e]?|valide[e]?|signe[e]?|\d{4}[-_.]?\d{2}[-_.]?\d{2}|\d{2}[-_.]\d{2}[-_.]\d{2,4}|\(\d+\))"
    r"(?=$|[\s_\-.()\[\]])",
    re.IGNORECASE,
)


# « Copie de rapport.docx », « Copy of rapport », « rapport (1).docx », « rapport - Copie »,
# « rapport - copie (2) », « rapport_copie »: names a file manager or a mail client gives a copy.
_COPY_NAME = re.compile(
    r"^(?:copie\s+de|copy\s+of)\b|[\s_-]\(\d+\)$|^\(\d+\)|[\s_-]+(?:copie|copy)(?:\s*\(\d+\))?$",
    re.IGNORECASE,
)
_COPY_PREFIX = re.compile(r"^(?:copie\s+de|copy\s+of)\s+", re.IGNORECASE)


def is_copy_name(path: str) -> bool:
    """True for a name that says « I am a copy » (« Copie de … », « Copy of … », « … (1) »,
    « … - Copie »): between two copies of one text, such a file is never the one kept."""
    return bool(_COPY_NAME.search(strip_accents(Path(path).stem).strip()))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", strip_accents(text).lower())


def text_hash(text: str) -> str:
    """Hash of the text's words: equal for the same content whatever the layout or file format."""
    return hashlib.sha1(" ".join(_words(text)).encode()).hexdigest()


def signature(text: str) -> bytes:
    """MinHash signature (NUM_PERM × uint32) of the word 5-shingles of ``text``."""
    words = _words(text)
    if not words:
        return b""
    size = min(SHINGLE, len(words))
    shingles = {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64,
                         count=len(shingles))
    # (a·x + b) mod p stays below 2**64 since a, x, b < 2**33.
    table = (np.outer(_A, hashes) + _B[:, None]) % np.uint64(_PRIME)
    return (table.min(axis=1) & np.uint64(0xFFFFFFFF)).astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


def version_key(path: str, title: str = "") -> str:
    """The file name without version markers: "rapport_v2_2023-05-01.docx" → "rapport"."""
    stem = _COPY_PREFIX.sub("", strip_accents(Path(path).stem).lower().strip())
    previous = None
    while previous != stem:
        previous = stem
        stem = _VERSION_WORDS.sub(" ", stem)
    key = " ".join(re.findall(r"[a-z0-9]+", stem))
    return key if len(key) >= 3 else ""


def _age(doc_date: str | None, mtime: float) -> tuple[str, float]:
    return (doc_date or "", mtime or 0.0)


def _keep_rank(kind: str, path: str, doc_date: str | None, mtime: float) -> tuple:
    """What makes a file the one kept: for copies of one text, a proper name first (never
    « Copie de … »), then the later date; for versions, the later date (a copy that was edited
    is the newer version)."""
    name = 0 if kind == "doublon" and is_copy_name(path) else 1
    return (name, *_age(doc_date, mtime))


def find_matches(
    sig: bytes, hash_: str, key: str, doc_date: str | None, mtime: float, known: list[Known],
    path: str = "",
) -> list[Match]:
    """Documents of ``known`` that are copies or other versions of this one, most similar first.

    ``Match.other_is_newer`` is True when the other file is the one to keep (see ``_keep_rank``:
    better name, then later date); ``path`` is this document's, for its name."""
    matches = []
    for other in known:
        sim = 1.0 if hash_ and hash_ == other.text_hash else similarity(sig, other.minhash)
        if sim >= DUPLICATE:
            kind = "doublon"
        elif sim >= VERSION and key and key == other.doc_key:
            kind = "version"
        else:
            continue
        # On a tie the document already known stays: re-ingesting a copy must not evict it.
        newer = (_keep_rank(kind, other.path, other.doc_date, other.mtime)
                 >= _keep_rank(kind, path, doc_date, mtime))
        matches.append(Match(other, kind, sim, newer))
    return sorted(matches, key=lambda m: -m.similarity)


def describe(match: Match, when: date | None = None) -> str:
    """French reason for the flag carried by the older (or the second) document."""
    name = Path(match.other.path).name
    pct = round(match.similarity * 100)
    if match.kind == "doublon":
        return f"Copie quasi identique ({pct} %) de « {name} »."
    return f"Version antérieure de « {name} » (similarité {pct} %)."
