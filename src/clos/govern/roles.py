"""People acting in a public role, and the attendance list of a deliberation.

French public documents name people in two capacities. Elected officials and agents acting in
their public role (the attendance list « Présents : … » of a council meeting, « Monsieur le Maire,
Philippe SAUREL », « Mme X, Adjointe au Maire, rapporte », a signature) are published by law
(CGCT L.2121-25, L.2131-1); applicants, beneficiaries, residents and agents in an HR file are
private persons. This module tells them apart by context, on the findings ``pii.detect_many``
returns, and finds the attendance block so that governance can keep it once per document as
metadata instead of in every chunk.

A document holding a social security number, bank details, a birth date or an identity document
number is an individual file: nobody in it is treated as acting in a public role.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from clos.govern import names as _names
from clos.types import Finding

# Identifiers that make a document an individual (never published) file.
PRIVATE_FILE_TYPES = {"NIR", "IBAN", "CARTE_BANCAIRE", "DATE_NAISSANCE", "PASSEPORT", "CNI"}

_ATTENDANCE_HEAD = re.compile(
    r"(?i)(?<![\w’'])(?:(?:[ée]taient\s+)?pr[ée]sent(?:e|\(e\))?s?(?:\(e\)s)?|"
    r"absent(?:e|\(e\))?s?(?:\s+excus[ée]e?s?)?(?:\s+(?:ayant|avec)[^:\n]{0,160})?|excus[ée]e?s?|"
    r"pouvoirs?|procurations?|secr[ée]taire\s+de\s+s[ée]ance)\s*:")
_ROLE_WORDS = (
    r"(?:premi(?:er|[èe]re)\s+)?(?:adjoint|adjointe|maire|conseill(?:er|[èe]re)s?(?:\s+municipale?s?|\s+communautaires?|"
    r"\s+d[ée]l[ée]gu[ée]e?s?|\s+m[ée]tropolitaine?s?)?|pr[ée]sidente?|vice-pr[ée]sidente?|d[ée]put[ée]e?|s[ée]nat(?:eur|rice)|"
    r"pr[ée]f[èe]te?|directeur\s+g[ée]n[ée]ral\s+des\s+services|directrice\s+g[ée]n[ée]rale\s+des\s+services|"
    r"secr[ée]taire\s+g[ée]n[ée]rale?|rapporteure?|ministre|pr[ée]sident-directeur|"
    r"d[ée]l[ée]gu[ée]e?|questeur|questrice|[ée]lue?s?)"
)
# Before a name: « Monsieur le Maire, », « Madame l'Adjointe », « Rapporteur : », « Le Maire, »
# (signature), « sous la présidence de », « Pour le Maire … ».
# What the role holder does to the person named next is no apposition: « Monsieur le Maire a
# reçu M. X », « l'Adjointe remercie Mme Y », « sur proposition de Monsieur le Maire, Mme Z ».
_VERB = (r"(?:a|ont|est|sont|re[çc]u|re[çc]oit|remerci\w*|f[ée]licit\w*|salu\w*|accueill\w*|"
         r"rencontr\w*|demand\w*|propos\w*|inform\w*|invit\w*|autoris\w*|sollicit\w*|"
         r"[ée]cri\w*|adress\w*|re[çc]oi\w*|d[ée]sign\w*|charg\w*\s+de\s+r[ée]pondre)")
_BEFORE = re.compile(
    r"(?i)(?:(?<!\bde )(?<!\bà )(?<!\bpar )(?<!\bau )(?:monsieur|madame|m\.|mme)\s+l[ae']\s*"
    + _ROLE_WORDS + r"(?:(?!\b" + _VERB + r"\b)[^\n.;:]){0,60}[,:]?\s*"
    r"|(?<!monsieur )(?<!madame )\bl[ae']\s*" + _ROLE_WORDS + r"\s*,\s*"
    r"|rapporteure?\s*:\s*(?:(?:monsieur|madame|m\.|mme)\s+)?"
    r"|sous\s+la\s+pr[ée]sidence\s+de\s+(?:monsieur|madame|m\.|mme)?\s*(?:l[ae']\s*" + _ROLE_WORDS + r"\s*,?\s*)?"
    r"|pour\s+(?:le|la)\s+" + _ROLE_WORDS + r"[^\n]{0,60}\n?\s*"
    r"|sign[ée]\s*:\s*"
    r"|\b" + _ROLE_WORDS + r"\s+(?:de|du)\s+"
    r"|(?:ma[îi]tre\s+)"
    r"|\b(?:architecte|notaire|[ée]crivaine?|auteure?|autrice|artiste|conteu(?:r|se)|peintre|photographe|"
    r"r[ée]alisat(?:eur|rice)|compositeur|compositrice|chercheu(?:r|se)|historien(?:ne)?|journaliste|"
    r"philosophe|romanci(?:er|[èe]re)|po[èe]te)\s+(?:[\w’'-]+\s+){0,2})$")
# Sentences where every name is public: credits of a published document, bibliographic
# references, a public event's programme (« 14h-15h30 : table ronde avec … »). Thanks alone are
# not: « merci à X », « nous remercions X pour le don » name donors, volunteers and residents as
# often as officials; only thanks for professional work (``_THANKS_FOR_WORK``: « pour nos
# échanges », « pour leur relecture ») credit the agents who took part in a published document.
_THANKS_FOR_WORK = re.compile(
    r"(?i)(?:re)?merci[^.\n]{0,300}\bpour\s+(?:nos|leurs?|ses|son|sa|vos|votre|les)\s+"
    r"(?:[\w’'-]+\s+){0,2}?(?:[ée]changes|relectures?|contributions?|expertises?|retours|travaux|"
    r"appuis?|collaborations?|conseils)\b")
_PUBLIC_SENTENCE = re.compile(
    r"(?i)contribut(?:eur|rice|ion)s?\b|maintenu\s+par|r[ée]dig[ée]e?\s+par|coordonn[ée]e?\s+par|"
    r"partenaires|\bin\s+proceedings\b|\bet\s+al\.|\b\d{1,2}h\d{0,2}\s*[-–à]\s*\d{1,2}h|"
    r"conf[ée]rence|table\s+ronde|rencontre|entretien\s+avec|exposition|concert|spectacle|"
    r"\b[ée]lu(?:e|\(e\))?s?\s*:|titulaires?\s*:|suppl[ée]ant(?:e|\(e\))?s?\s*:|personnalit[ée]s\s+qualifi[ée]es|"
    r"repr[ée]sentants?\s+(?:de\s+la\s+ville|[ée]lus|du\s+conseil)")
_CITATION_LINE = re.compile(r"[\"“«‘][^\n]{8,}\b(?:19|20)\d\d\b")
# An individual file: never published as it is, whoever it names.
_PRIVATE_MARKERS = re.compile(
    r"(?i)confidentiel|diffusion\s+restreinte|dossier\s+(?:individuel|du\s+personnel|m[ée]dical|social)|"
    r"bulletin\s+de\s+(?:paie|salaire)|fiche\s+de\s+paie|donn[ée]es\s+de\s+sant[ée]")
# Cheap test first: ``_BEFORE`` (anchored at the end, many alternatives) is slow on long text.
_BEFORE_HINT = re.compile(
    r"(?i)maire|adjoint|conseill|pr[ée]si|d[ée]put|s[ée]nat|pr[ée]f|directeur|directrice|secr[ée]taire|"
    r"rapporteu|ministre|d[ée]l[ée]gu|questeu|questrice|[ée]lu|sign[ée]|ma[îi]tre|architecte|notaire|"
    r"crivain|aut(?:eur|rice)|artiste|conteu|peintre|photographe|r[ée]alisat|composit|chercheu|"
    r"historien|journaliste|philosophe|romanci|po[èe]te")
# After a name: « , Adjoint délégué », « rapporte », « (Maire) ».
_AFTER = re.compile(
    r"(?i)^\s*(?:[,(–-]\s*(?:l[ae']\s*)?" + _ROLE_WORDS + r"\b|rapporte\b|,\s*rapporte\b)")
_CIVILITY_BEFORE = re.compile(r"(?:\b(?:Monsieur|Madame|M\.|Mme)\s+)$")
# A private capacity in apposition to the name wins over any role word around it: « Mme X,
# locataire », « M. Y, riverain de la rue… », « Mme Z, bénévole ».
_PRIVATE_AFTER = re.compile(
    r"(?i)^\s*[,(–-]\s*(?:l[ae']\s*|une?\s+)?(?:habitante?s?|riverain\w*|locataire|b[ée]n[ée]vole|"
    r"demeurant\w*|domicili[ée]\w*|propri[ée]taire|requ[ée]rant\w*|demandeu(?:r|se)|"
    r"b[ée]n[ée]ficiaire|allocataire|usag(?:er|[èe]re)|parent\s+d|m[èe]re\s+d|p[èe]re\s+d|"
    r"veu(?:f|ve)|retrait[ée]e?|[ée]l[èe]ve|[ée]tudiante?|particulier|commer[çc]ante?|"
    r"agent\s+d['’]entretien|donat(?:eur|rice)|pr[êe]teu(?:r|se)|"
    r"dont\s+l[ae]\s+)")


@dataclass
class Attendance:
    """The attendance block of one text: where it is, and the names it lists."""

    start: int
    end: int
    names: list[str] = field(default_factory=list)


def attendance_blocks(text: str) -> list[Attendance]:
    """Attendance lists (« Présents : … Absents ayant voté par procuration … : … ») in ``text``:
    character spans, end exclusive, from the first header to the last name listed.

    After a header come names separated by commas (a full stop ends a list, another header may
    follow); the block stops at the first item that is not a name. Works on text whose lines a
    reader joined as on text laid out line by line. Names are filled in by ``classify``.
    """
    return [Attendance(start, end) for start, end in _block_spans(text)]


@functools.lru_cache(maxsize=512)  # the same section is asked for by several steps
def _block_spans(text: str) -> tuple[tuple[int, int], ...]:
    if not _ATTENDANCE_HEAD.search(text):
        return ()
    blocks: list[Attendance] = []
    for m in _ATTENDANCE_HEAD.finditer(text):
        if blocks and m.start() < blocks[-1].end:
            continue
        end = _list_end(text, m.end())
        if end > m.end():
            blocks.append(Attendance(m.start(), end))
        elif blocks and not text[blocks[-1].end:m.start()].strip(" ,.;\n\t"):
            blocks[-1].end = m.end()  # « Absents : » with nobody after it
    return tuple((b.start, b.end) for b in blocks)


_GAP = re.compile(r"[\s,;.]*")
_ITEM = re.compile(r"[^,;\n]*?(?=,|;|\.(?:\s|$)|\n|$)")


def _list_end(text: str, pos: int) -> int:
    """End of the comma-separated list of names starting at ``pos`` (``pos`` if none)."""
    end = pos
    while pos < len(text):
        gap = _GAP.match(text, pos).end() - pos
        header = _ATTENDANCE_HEAD.match(text, pos + gap)
        if header:
            pos = header.end()
            end = pos
            continue
        m = _ITEM.match(text, pos + gap)
        item = m.group().strip() if m else ""
        if not item or not _is_name_item(item):
            break
        end = pos + gap + len(m.group().rstrip())
        pos = m.end()
        if text.startswith(".", pos):
            end = pos + 1
    return end


@functools.lru_cache(maxsize=16384)  # a council's members are listed in every deliberation
def _is_name_item(item: str) -> bool:
    """« Fabien ABERT », « Cédric DE SAINT JOUAN », « M. Christophe COUR »: one listed name."""
    if re.fullmatch(r"(?:(?:M\.|Mme)\s+)?\[[A-Z_]+(?:_\d+)?\]", item):
        return True  # a name already replaced by its placeholder (policy « pseudonymiser »)
    if re.search(r"\d", item) or len(item) > 60:
        return False
    item = re.sub(r"^(?:[-–•]\s*)?(?:M\.|MM\.|Mme|Mmes|Mlle|Monsieur|Madame)\s+", "", item)
    toks = _names._tokens(item)
    if not 1 <= len(toks) <= 7:
        return False
    if any(not (t.is_upper or t.is_cap or t.is_particle)
           or t.is_common and t.is_cap and not t.is_first_name for t in toks):
        return False  # « Personnel Municipal - Instances Paritaires » is the next heading
    return any(t.is_upper and len(t.text) >= 2 for t in toks) or toks[0].is_first_name


def join(texts: Sequence[str]) -> tuple[str, list[int]]:
    """The texts of one document joined by newlines, and where each starts: readers cut lists
    and tables into one section per line or cell, so context is read across them."""
    offsets, pos = [], 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + 1
    return "\n".join(texts), offsets


def is_public_document(texts: Sequence[str], findings: Iterable[Finding], title: str = "") -> bool:
    """A document of a public nature (deliberation, arrêté, minutes, published report or guide),
    which is what a collection of public documents holds, unless it is an individual file: it
    holds a social security number, bank details, a birth date or an identity document number, or
    says it is confidential, a personnel, medical or social file, a pay slip. ``title`` unused
    beyond those markers."""
    if any(f.type in PRIVATE_FILE_TYPES for f in findings):
        return False
    head = title + "\n" + "\n".join(texts)[:4000]
    return not _PRIVATE_MARKERS.search(head)


def role_context(text: str, start: int, end: int) -> bool:
    """True when the name at ``text[start:end]`` is written as acting in a public role."""
    if _PRIVATE_AFTER.match(text[end:end + 60]):
        return False
    before = text[max(0, start - 120):start]
    before = _CIVILITY_BEFORE.sub("", before)
    if _BEFORE_HINT.search(before) and _BEFORE.search(before) or _AFTER.match(text[end:end + 80]):
        return True
    line_start = text.rfind("\n", max(0, start - 300), start) + 1 or max(0, start - 300)
    line_end = text.find("\n", end, end + 300)
    line = text[line_start:min(len(text), end + 300) if line_end < 0 else line_end]
    if _CITATION_LINE.search(line):
        return True
    # The sentence, and what introduces it (« 14h-15h30 : Table ronde. Avec X, Y »).
    sentence = text[max(0, start - 200):start] + _sentence(text, start, end)
    return bool(_PUBLIC_SENTENCE.search(sentence) or _THANKS_FOR_WORK.search(sentence))


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (or line of a list) around ``text[start:end]``, at most 300 characters."""
    left = max(text.rfind(c, max(0, start - 300), start) for c in (".", "\n", "!", "?"))
    right = [p for p in (text.find(c, end, end + 300) for c in (".", "\n", "!", "?")) if p >= 0]
    return text[left + 1:min(right) if right else min(len(text), end + 300)]


def classify(texts: Sequence[str], findings: Sequence[list[Finding]], *,
             known: Iterable[str] = ()) -> tuple[list[list[Finding]], list[Attendance], set[str]]:
    """Mark ``role="public"`` on the persons acting in a public role; returns the findings (new
    objects where marked) and the attendance blocks met, one list per text flattened.

    ``known``: names already seen in a public role in the collection (``name_key`` form or any
    spelling). A name listed in an attendance block, met in a role context, or known, is public
    wherever it appears in the document; a lone surname follows its full name.
    """
    import dataclasses

    public_keys = {_names.name_key(k) for k in known if k}
    named: set[str] = set()  # full names seen in a public role in these texts
    # Readers cut lists and tables into sections: blocks and contexts are read on the joined text.
    joined, offsets = join(texts)
    blocks = attendance_blocks(joined)
    for i, group in enumerate(findings):
        for f in group:
            if f.type != "PERSONNE":
                continue
            at = f.start + offsets[i]
            block = next((b for b in blocks if b.start <= at < b.end), None)
            if block is not None:
                block.names.append(f.text)
            elif _names.name_key(f.text) in public_keys:
                pass  # already known (listed above, or by the collection): no context needed
            elif not role_context(joined, f.start + offsets[i], f.end + offsets[i]):
                continue
            public_keys.add(_names.name_key(f.text))
            if " " in _names.name_key(f.text):
                named.add(f.text)
    public_surnames = {_surname(k) for k in public_keys if " " in k}
    public_sets = [set(k.split()) for k in public_keys if " " in k]
    private_surnames = {_surname(f.text) for group in findings for f in group
                        if f.type == "PERSONNE" and " " in _names.name_key(f.text)
                        and _names.name_key(f.text) not in public_keys}
    public_words = {w for k in public_sets for w in k}
    by_word: dict[str, list[set[str]]] = {}  # a word → the public names holding it
    for k in public_sets:
        for w in k:
            by_word.setdefault(w, []).append(k)
    out = []
    for i, group in enumerate(findings):
        marked = []
        for f in group:
            key = _names.name_key(f.text) if f.type == "PERSONNE" else ""
            # « Cédric de SAINT-⏎JOUAN »: the end of a public name cut at a hyphen.
            cut = key and " " not in key and key in public_words \
                and re.search(r"-\s*$", joined[max(0, f.start + offsets[i] - 3):f.start + offsets[i]])
            if cut:
                f = dataclasses.replace(f, role="public")
            key = _names.name_key(f.text) if f.type == "PERSONNE" else ""
            lone = f.type == "PERSONNE" and " " not in key and key in public_surnames \
                and key not in private_surnames
            # A name cut by a line break (« Michèle DRAY-⏎FITOUSSI », « Cédric de SAINT-⏎JOUAN »)
            # or spelt shorter: part of a public name, first name included.
            words = set(key.split())
            part = " " in key and any(words <= k for k in by_word.get(min(words), ()))
            if key and (key in public_keys or lone or part):
                f = dataclasses.replace(f, role="public")
            marked.append(f)
        out.append(marked)
    return out, blocks, named


@functools.lru_cache(maxsize=4096)
def _surname(value: str) -> str:
    return _names.surname_key(value)


def move_attendance(doc) -> int:
    """Take the attendance blocks out of a governed document's sections and keep them once, in
    ``doc.metadata["attendance"]``: repeated in every deliberation, they would otherwise crowd
    retrieval. Returns how many blocks moved. The text moved is the governed one (names kept or
    already replaced by placeholders, as the policy decided)."""
    joined, offsets = join([s.text for s in doc.sections])
    blocks = attendance_blocks(joined)
    if not blocks:
        return 0
    kept = []
    for section, start in zip(doc.sections, offsets):
        end = start + len(section.text)
        pieces, cursor = [], start
        for b in blocks:
            if b.end <= start or b.start >= end:
                continue
            pieces.append(joined[cursor:max(cursor, b.start)])
            cursor = min(end, b.end)
        pieces.append(joined[cursor:end])
        section.text = "".join(pieces).strip() if len(pieces) > 1 else section.text
        if section.text.strip():
            kept.append(section)
    doc.sections = kept
    doc.metadata["attendance"] = "\n".join(" ".join(joined[b.start:b.end].split()) for b in blocks)
    return len(blocks)
