"""One French sentence splitter for every stage: chunking, excerpts, quotes and verification.

    sentence_spans(text)   [(start, end)] of each sentence, offsets into ``text``
    split_sentences(text)  the sentences themselves, verbatim (whitespace inside kept)

A sentence ends after « . ! ? … » (and a closing quote or bracket) before a capital, a digit or
an opening quote — unless the word before the full stop is an abbreviation French
administrative texts use (« L. 2121-29 », « art. », « M. », « Mme », « n° », « p. », « cf. »),
an initial (« J. Dupont ») or a list marker (« 1. », « a) »). A single line break is a sentence
end only where the line looks finished (it ends with . ! ? … : ; or the next line opens a list
item); otherwise it is a line wrapped by the layout (PDF, e-mail) and the sentence goes on. A
blank line always ends a sentence.

Source for the abbreviation list: the Imprimerie nationale's *Lexique des règles
typographiques* (abbreviations of titles and references) and the citations of the CGCT
(« art. L. 2121-29, al. 2 »); extended with what the test corpus showed.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "sentence_spans", "split_sentences"]

#: Lower-case words (without their full stop) after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset({
    # titles
    "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mes", "mgr", "dr", "pr", "st", "ste",
    # legal and bibliographic references
    "art", "al", "cf", "p", "pp", "chap", "coll", "éd", "ed", "vol", "t", "fasc", "n", "no", "nos",
    "n°", "réf", "ref", "op", "cit", "ibid", "id", "infra", "supra", "ann", "suiv", "sq",
    # addresses and miscellany
    "av", "bd", "boul", "ch", "rte", "fg", "pl", "sq", "imp", "bât", "bat", "tél", "tel", "fax",
    "env", "min", "max", "hab", "etc", "ex", "cad", "c.-à-d", "c-à-d", "vs", "approx", "dép",
    "dept", "cne", "ord", "déc", "décr", "circ", "jo", "jorf", "sect", "s", "ss",
})

# A full stop, ! ? or …, optionally closed by a quote or bracket, then spaces, then a capital,
# a digit, an opening quote/bracket or a dash.
_END = re.compile(r"(?<=[.!?…])(?:[ \u00a0\u202f]?[»”\")\]])*(?P<space>[ \t\u00a0\u202f]+|\n)"
                  r"(?=[«“\"(\[\-–—•A-ZÀ-ÖØ-Þ0-9])")
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n\s*")
_LINE_BREAK = re.compile(r"\n")
# A line that opens a list item or a numbered heading: « - », « • », « 1. », « 1) », « a) », « I) ».
_ITEM = re.compile(r"[ \t]*(?:[-–—•▪◦*]\s|(?:\d{1,3}|[a-zA-Z]|[IVXLC]{1,5})[.)°]\s|Article\s+\d)")
_FINISHED = re.compile(r"[.!?…:;»”)]\s*$")
_WORD_BEFORE = re.compile(r"([^\s(«\"“]+)\s*$")


def _abbreviation_before(text: str, dot: int) -> bool:
    """Is the full stop at ``text[dot]`` the end of an abbreviation, an initial or a list marker?"""
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text, max(0, dot - 24), dot)
    if not match:
        return False
    word = match.group(1)
    if "." in word:  # « c.-à-d », « J.-P » : take the last part
        word = word.rsplit(".", 1)[-1] or word
    low = word.lower()
    if low in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial: « J. Dupont », « L. 2121-29 »
    line_start = text.rfind("\n", 0, match.start()) + 1
    if text[line_start:match.start()].strip() == "" and re.fullmatch(r"\d{1,3}|[IVXLC]{1,5}|[a-z]", word):
        return True  # a list marker alone at the start of its line: « 1. Objet »
    return False


def _boundaries(text: str) -> list[tuple[int, int]]:
    """(end of a sentence, start of the next) pairs, in order."""
    cuts: list[tuple[int, int]] = []
    for match in _BLANK_LINE.finditer(text):
        cuts.append((match.start(), match.end()))
    for match in _LINE_BREAK.finditer(text):
        start = match.start()
        if any(a <= start < b for a, b in cuts):
            continue
        line_begin = text.rfind("\n", 0, start) + 1
        before = text[line_begin:start]
        after = text[match.end(): match.end() + 40]
        if not before.strip() or _FINISHED.search(before) or _ITEM.match(after):
            end = match.end()
            while end < len(text) and text[end] in " \t":
                end += 1
            cuts.append((start, end))
    for match in _END.finditer(text):
        space = match.start("space")
        dot = match.start() - 1
        if "\n" in match.group("space"):
            continue  # handled with the line breaks above
        if _abbreviation_before(text, dot):
            continue
        cuts.append((space, match.end()))
    cuts.sort()
    merged: list[tuple[int, int]] = []
    for a, b in cuts:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of ``text``, outer whitespace excluded, in order.

    Offsets index ``text`` itself, so ``text[a:b]`` is the sentence verbatim (a quote can be
    found again in the document). Empty input gives ``[]``.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for end, nxt in _boundaries(text) + [(len(text), len(text))]:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
        start = nxt
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, verbatim, in order (see ``sentence_spans``)."""
    return [text[a:b] for a, b in sentence_spans(text)]
