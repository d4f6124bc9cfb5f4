"""Lexical search for the PostgreSQL store: FTS5's query subset and FTS5's own BM25.

The store receives the analysed terms of each chunk (Clos's French analyzer), as SQLite does.
``index_row`` turns them into what ``chunks_fts`` keeps: a tsvector of the terms taken verbatim
(a cast, not ``to_tsvector``: even the 'simple' configuration would split ``l2121_29`` at the
underscore, where FTS5 keeps it whole), the row size and each term's weighted frequency.

Ranking is FTS5's ``bm25(chunks_fts, 1.0, 0.5)`` computed in SQL (sqlite/ext/fts5/fts5_aux.c):
for each phrase i of the query, idf_i = ln((N − n_i + 0.5) / (n_i + 0.5)) (1e-6 when ≤ 0) over
the whole index, f_i = occurrences in the body + 0.5 × occurrences in the title/headings,
D = the row's terms, avgdl = all terms / N, and score = Σ idf_i · f_i (k1 + 1) /
(f_i + k1 (1 − b + b D / avgdl)) with k1 = 1.2, b = 0.75 — so both stores give the same scores
and the same order (ts_rank's decaying position weights are not BM25 and ranked differently).

Only the rows that can reach the top are scored (MaxScore, Turtle & Flood 1995): a term adds at
most idf (k1 + 1), so rows holding only the most common terms, whose bounds add up to less than
the current ``limit``-th score, are never read. The result is exact, not an approximation.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

from clos.errors import StoreError

K1, B = 1.2, 0.75            # FTS5's bm25() constants
BODY_WEIGHT, META_WEIGHT = 1.0, 0.5  # the column weights SQLiteStore.search passes to bm25()
META_GAP = 64                # positions between body and meta: NEAR never spans the two columns
MAX_POSITION = 16383         # PostgreSQL's largest tsvector position
MAX_POSITIONS = 256          # and most positions per lexeme

_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(OR)\b|(NEAR)\s*\(|(,)\s*(\d+)\s*\)|(\)))')


@dataclass
class Group:
    """One OR-ed part of a query: a term, or terms NEAR each other (within ``distance``)."""

    terms: list[str]
    distance: int | None = None


def parse_match(match: str) -> list[Group]:
    """FTS5's subset Clos writes (``clos.retrieve.lexical``): quoted terms joined by OR, and
    ``NEAR("a" "b", N)``. Anything else raises ``StoreError`` as FTS5 would."""
    groups: list[Group] = []
    pos, near, expect_term = 0, None, True
    text = match.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _syntax(match)
        pos = m.end()
        quoted, is_or, is_near, comma, distance, close = m.groups()
        if quoted is not None:
            words = quoted.replace('""', '"').split()
            if near is not None:
                near.terms.extend(words)
            elif expect_term and words:
                groups.append(Group(words, 0 if len(words) > 1 else None))
                expect_term = False
            else:
                raise _syntax(match)
        elif is_or and near is None and not expect_term:
            expect_term = True
        elif is_near and near is None and expect_term:
            near = Group([], 10)
        elif (comma or close) and near is not None and len(near.terms) > 1:
            near.distance = int(distance) if comma else 10
            groups.append(near)
            near, expect_term = None, False
        else:
            raise _syntax(match)
    if near is not None or (expect_term and groups):
        raise _syntax(match)
    return groups


MAX_COMBINATIONS = 64  # beyond, the query matches every term (a longer query costs more)


def reaching(bounds: list[float], theta: float, cap: int) -> list[list[int]] | None:
    """Index sets of terms whose score bounds add up to ``theta`` or more, such that every set
    of terms reaching ``theta`` contains one of them (None beyond ``cap`` sets).

    A row holding none of the rare terms scores at most the bounds of the common terms it
    holds: unless it holds one of these sets, it cannot reach the current ``limit``-th score,
    so matching them (AND) instead of each common term (OR) leaves the top unchanged."""
    order = sorted(range(len(bounds)), key=lambda i: -bounds[i])
    found: list[list[int]] = []

    def walk(start: int, chosen: list[int], total: float) -> bool:
        for pos in range(start, len(order)):
            i = order[pos]
            if total + bounds[i] >= theta:
                found.append(chosen + [i])
                if len(found) > cap:
                    return False
            elif not walk(pos + 1, chosen + [i], total + bounds[i]):
                return False
        return True

    return found if walk(0, [], 0.0) else None


def _syntax(match: str) -> StoreError:
    return StoreError(f"La recherche a échoué : requête mal formée « {match} ».", detail=match)


def quote(term: str) -> str:
    """A lexeme as tsvector/tsquery text takes it verbatim."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(groups: list[Group], together: list[list[Group]] = ()) -> str:
    """The tsquery matching any group (NEAR: the terms within the distance, in either order),
    or all the single-term groups of one of ``together``."""
    parts = ["(" + " & ".join(quote(g.terms[0]) for g in combo) + ")" for combo in together]
    for g in groups:
        if g.distance is None:
            parts.append(quote(g.terms[0]))
        elif len(g.terms) == 2:
            a, b = map(quote, g.terms)
            spans = range(1, g.distance + 2) if g.distance else [1]
            order = [(a, b), (b, a)] if g.distance else [(a, b)]
            parts.append("(" + " | ".join(f"{x} <{d}> {y}" for x, y in order for d in spans) + ")")
        else:
            parts.append("(" + " & ".join(map(quote, g.terms)) + ")")
    return " | ".join(parts)


def index_row(body: str, meta: str) -> tuple[int, str, str]:
    """(size in terms, tsvector text, weighted frequencies as JSON) of one chunk's terms."""
    body_terms, meta_terms = body.split(), meta.split()
    positions: dict[str, list[str]] = {}
    for i, term in enumerate(body_terms, start=1):
        positions.setdefault(term, []).append(str(min(i, MAX_POSITION)))
    start = len(body_terms) + META_GAP
    for i, term in enumerate(meta_terms):
        positions.setdefault(term, []).append(f"{min(start + i, MAX_POSITION)}A")
    tsv = " ".join(f"{quote(t)}:{','.join(p[:MAX_POSITIONS])}" for t, p in positions.items())
    freq: Counter = Counter()
    for term in body_terms:
        freq[term] += BODY_WEIGHT
    for term in meta_terms:
        freq[term] += META_WEIGHT
    return len(body_terms) + len(meta_terms), tsv, json.dumps(freq, ensure_ascii=False)


def idf(rows: int, hits: int) -> float:
    """FTS5's IDF of a phrase found in ``hits`` of ``rows`` rows."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5)) if rows else 0.0
    return value if value > 0.0 else 1e-6


# The limit-th best rows of the collection among those matching %(query)s, every query term
# scored (FTS5's bm25, see the module docstring), joined to their chunk and document. The
# frequencies of all the query's terms are read from a row in one jsonb_to_record call.
RANK_SQL = """
WITH top AS (
    SELECT f.chunk_id, f.body, f.meta, {score} AS score FROM chunks_fts f
    CROSS JOIN LATERAL jsonb_to_record(f.tf) AS x({record})
    CROSS JOIN LATERAL (SELECT %(k1)s * (1 - %(b)s + %(b)s * f.ntok / %(avgdl)s) AS k) n
    WHERE f.collection_id = %(cid)s AND f.tsv @@ %(query)s::tsquery
    ORDER BY score DESC, f.chunk_id LIMIT %(limit)s
)
SELECT {columns}, -top.score AS rank, top.body AS terms_body, top.meta AS terms_meta FROM top
JOIN chunks c ON c.id = top.chunk_id
JOIN documents d ON d.id = c.document_id ORDER BY top.score DESC, top.chunk_id
"""


def rank_sql(terms: list[str], columns: str) -> str:
    """RANK_SQL for these terms (phrases in query order, repeats kept as FTS5 counts them):
    the score adds, in that order, idf_i · f_i (k1 + 1) / (f_i + k), idf_i being the
    parameter ``idf{i}``; terms become column names of the record, quoted."""
    names = list(dict.fromkeys(terms))
    column = {t: "x." + _ident(t) for t in names}
    record = ", ".join(f"{_ident(t)} float8" for t in names)
    score = " + ".join(
        f"%(idf{i})s * COALESCE({column[t]}, 0) * %(k1p1)s / (COALESCE({column[t]}, 0) + n.k)"
        for i, t in enumerate(terms))
    return RANK_SQL.format(score=f"({score})", record=record, columns=columns)


def _ident(term: str) -> str:
    return '"' + term.replace('"', '""').replace("%", "%%") + '"'

