"""Ruled tables of a PDF page, found from its drawn rules and filled from its own text lines.

    find_tables(page, lines)   [(bbox, rows of cell texts)] of the page's ruled tables

Why not ``Page.find_tables()``: with PyMuPDF 2.0 it costs 0.5 s a page on this machine, and
2.6 s when pymupdf-layout is installed (it then runs a layout model), against ≈ 0.02 s for the
page's text; and its cell text glues words (« Indemnitéskilométriquesjusqu'à2001km »). Here the
page's drawings are read only when its lines are aligned in rows and columns (a cheap test on
the text already extracted), and cells are filled from the spans the reader already has.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from clos.ingest.pdf_layout import Line


def _aligned_rows(lines: list[Line]) -> bool:
    """Do at least 2 table-like rows of the page start pieces at 2+ shared x positions?

    A row is table-like with 3+ pieces, or 2 whose right one is short (a figure, a rate): two
    columns of running text side by side (a deliberation's heading block) are not a table. A
    cheap sign checked before paying for the page's drawings (which cost as much as its text).
    """
    rows: dict[int, list[Line]] = defaultdict(list)
    for ln in lines:
        rows[round(ln.y0 / 3)].append(ln)
    starts: Counter = Counter()
    for row in rows.values():
        if len(row) >= 3 or len(row) == 2 and len(max(row, key=lambda ln: ln.x0).text) <= 24:
            starts.update({round(ln.x0 / 6) for ln in row})
    return sum(1 for n in starts.values() if n >= 2) >= 2


def _rules(page: Any) -> list[tuple[float, float, float, float]]:
    """Thin horizontal and vertical rules drawn on the page (lines, thin or stroked rectangles)."""
    rules = []
    for drawing in page.get_cdrawings():
        for item in drawing["items"]:
            if item[0] == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                box = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
            elif item[0] == "re":
                box = tuple(item[1])
            else:
                continue
            x0, y0, x1, y1 = box
            if (y1 - y0 <= 2.5 and x1 - x0 >= 10) or (x1 - x0 <= 2.5 and y1 - y0 >= 6):
                rules.append(box)
            elif x1 - x0 >= 10 and y1 - y0 >= 6 and "s" in drawing.get("type", ""):
                rules += [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
    return rules


def _clusters(rules: list[tuple[float, float, float, float]]) -> list[list[tuple[float, float, float, float]]]:
    """Rules that touch one another (3 pt tolerance), as groups: one group per drawn grid."""
    groups: list[list[tuple[float, float, float, float]]] = []
    boxes: list[list[float]] = []
    for rule in sorted(rules, key=lambda r: (r[1], r[0])):
        hits = [i for i, b in enumerate(boxes)
                if rule[0] <= b[2] + 3 and b[0] <= rule[2] + 3 and rule[1] <= b[3] + 3 and b[1] <= rule[3] + 3]
        if not hits:
            groups.append([rule])
            boxes.append(list(rule))
            continue
        first = hits[0]
        for i in reversed(hits[1:]):
            groups[first] += groups.pop(i)
            other = boxes.pop(i)
            boxes[first] = [min(boxes[first][0], other[0]), min(boxes[first][1], other[1]),
                            max(boxes[first][2], other[2]), max(boxes[first][3], other[3])]
        groups[first].append(rule)
        b = boxes[first]
        boxes[first] = [min(b[0], rule[0]), min(b[1], rule[1]), max(b[2], rule[2]), max(b[3], rule[3])]
    return groups


def _positions(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > 2.5:
            out.append(v)
    return out


def find_tables(page: Any, lines: list[Line]) -> list[tuple[tuple[float, float, float, float], list[list[str]]]]:
    """Ruled tables of the page: (bbox, rows of cell texts), cells filled from ``lines``' spans.

    A table is a group of touching rules with at least 3 horizontal and 2 vertical positions;
    its rows lie between consecutive horizontal rules and its cells between vertical ones (a
    span belongs to the cell holding its centre, so a label over merged cells stays whole).
    Only pages whose lines are aligned in rows and columns are looked at (``_aligned_rows``).
    Tables of one row or one column are not tables (a framed paragraph, a rule under a title).
    """
    if not _aligned_rows(lines):
        return []
    spans = [(bbox, text) for ln in lines for bbox, text in ln.spans]
    tables = []
    for group in _clusters(_rules(page)):
        ys = _positions([(r[1] + r[3]) / 2 for r in group if r[3] - r[1] <= 2.5])
        xs = _positions([(r[0] + r[2]) / 2 for r in group if r[2] - r[0] <= 2.5])
        if len(ys) < 3 or len(xs) < 2:
            continue
        if xs[0] > min(r[0] for r in group) + 3:  # a table closed by its rules only on the right
            xs.insert(0, min(r[0] for r in group))
        if xs[-1] < max(r[2] for r in group) - 3:
            xs.append(max(r[2] for r in group))
        grid: list[list[list[str]]] = [[[] for _ in xs[1:]] for _ in ys[1:]]
        for (a, b, c, d), text in spans:
            cx, cy = (a + c) / 2, (b + d) / 2
            row = next((i for i in range(len(ys) - 1) if ys[i] <= cy < ys[i + 1]), None)
            col = next((j for j in range(len(xs) - 1) if xs[j] <= cx < xs[j + 1]), None)
            if row is not None and col is not None:
                grid[row][col].append(text)
        cells = [[" ".join(" ".join(c).split()) for c in row] for row in grid]
        used = [j for j in range(len(xs) - 1) if any(row[j] for row in cells)]
        rows = [[row[j] for j in used] for row in cells if any(row)]
        if len(rows) >= 2 and len(used) >= 2:
            tables.append(((xs[0], ys[0], xs[-1], ys[-1]), rows))
    return tables
