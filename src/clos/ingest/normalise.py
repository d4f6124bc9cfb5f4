"""Text normalisation every reader can use: ligatures, soft hyphens, words cut at line ends.

    normalise_chars(text)       ligatures (ﬁ ﬂ ﬃ ﬀ ﬄ ﬅ ﬆ) spelt out, soft hyphens (U+00AD) and
                                zero-width characters removed; nothing else changes
    join_lines(lines, vocab)    visual lines → one paragraph, words cut at line ends put back
                                together (« subven-|tion » → « subvention ») while real compounds
                                keep their hyphen (« Jean-|Pierre », « LEVY-|RAMEAU »)

The stored text, the index and every quote are made from the normalised text, so a quote
found in an answer is found again, letter for letter, in the stored chunk.
"""

from __future__ import annotations

import re
from typing import Iterable

__all__ = ["normalise_chars", "join_lines", "dehyphenate_pair", "word_vocabulary"]

# Typographic ligatures of the Alphabetic Presentation Forms block (U+FB00–FB06): PDF fonts
# emit them as one glyph, and an index that keeps them misses « financement » written « ﬁnancement ».
_CHAR_MAP = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",
    "\u00ad": "",  # soft hyphen: an invisible break opportunity, never a character of the word
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",  # zero-width marks
}
_TRANSLATE = str.maketrans(_CHAR_MAP)
_NEEDS = re.compile("[" + "".join(_CHAR_MAP) + "]")

# A line's last word cut by a hyphen, and the next line's first word.
_CUT_END = re.compile(r"(\w+)-$")
_NEXT_WORD = re.compile(r"^(\w+)")
# Second halves of French compounds that stay hyphenated even when they fall at a line start
# (« c'est-à-dire », « peut-être », « celle-ci », « vis-à-vis », « dit-il »). Source: the
# hyphenated forms of the Dictionnaire de l'Académie française (9e éd.) most frequent in
# administrative texts.
_COMPOUND_TAILS = frozenset({
    "à", "ci", "là", "même", "mêmes", "être", "dire", "t", "il", "ils", "elle", "elles", "on",
    "je", "tu", "nous", "vous", "le", "la", "les", "moi", "toi", "lui", "y", "en", "vis", "dessus",
    "dessous", "delà", "deçà", "faire", "clé", "clés", "cadre", "type", "types",
})
# First halves that make compounds (« sous-préfet », « non-respect », « demi-journée »…).
_COMPOUND_HEADS = frozenset({
    "sous", "non", "demi", "semi", "mi", "vice", "ex", "quasi", "auto", "contre", "entre",
    "arrière", "avant", "après", "grand", "grands", "grande", "petit", "petite", "porte",
    "plus", "moins", "ci", "celui", "celle", "ceux", "peut", "est", "rez", "chef", "chefs",
    "co", "inter", "extra", "anti", "post", "pré", "pro", "wagon", "procès", "lieu", "lieux",
    "garde", "arc", "belle", "beau", "bien", "mal", "nord", "sud", "saint", "sainte", "outre",
})


def normalise_chars(text: str) -> str:
    """``text`` with ligatures spelt out and soft hyphens and zero-width marks removed.

    Pure and cheap (one ``str.translate`` when anything needs it); the length may change.
    """
    if not text or not _NEEDS.search(text):
        return text
    return text.translate(_TRANSLATE)


def dehyphenate_pair(head: str, tail: str, vocab: set[str] | None = None) -> bool:
    """Should « head- » at a line end and « tail » at the next line's start be one word?

    True (drop the hyphen) for a word the layout cut: both halves lower case, the tail not a
    compound's second half, the head not a compound's first half. Capitalised halves
    (« Jean-|Pierre », « LEVY-|RAMEAU », « Saint-|Jean ») are names and keep the hyphen. When the
    document itself uses the hyphenated form elsewhere (``vocab`` holds its lower-cased words),
    that wins; when it uses the joined form, the hyphen goes.
    """
    if not head or not tail or not head[-1].isalpha() or not tail[0].isalpha():
        return False
    if vocab:
        joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
        if hyphenated in vocab:
            return False
        if joined in vocab:
            return True
    if not tail[0].islower() or head.isupper():
        return False  # « Jean-|Pierre », « LEVY-|RAMEAU », « 2014-|2020 »
    if tail.lower() in _COMPOUND_TAILS or head.lower() in _COMPOUND_HEADS:
        return False
    return not head.isdigit()


def join_lines(lines: Iterable[str], vocab: set[str] | None = None) -> str:
    """Visual lines of one paragraph → one string: spaces collapsed, cut words rejoined.

    A line ending in « word- » followed by a line starting with a letter is joined without a
    space: the hyphen is dropped when ``dehyphenate_pair`` says the word was cut by the layout,
    kept otherwise (« LEVY-RAMEAU »). Other lines are joined by one space.
    """
    out = ""
    soft = False  # the previous line ended on a soft hyphen: the word goes on, no space
    for raw in lines:
        line = " ".join(normalise_chars(raw).split())
        if not line:
            continue
        if not out or soft:
            out += line
            soft = raw.rstrip().endswith("\u00ad")
            continue
        soft = raw.rstrip().endswith("\u00ad")
        cut = _CUT_END.search(out) if out.endswith("-") else None
        first = _NEXT_WORD.match(line)
        if cut and first and len(out) > 1 and out[-2].isalnum() and line[0].isalnum():
            if dehyphenate_pair(cut.group(1), first.group(1), vocab):
                out = out[:-1] + line
            else:
                out += line
        else:
            out += " " + line
    return out


def word_vocabulary(texts: Iterable[str]) -> set[str]:
    """Lower-cased words (hyphenated compounds whole) of ``texts``, for ``join_lines``."""
    vocab: set[str] = set()
    for text in texts:
        vocab.update(w.lower() for w in re.findall(r"\w+(?:-\w+)*", text))
    return vocab
