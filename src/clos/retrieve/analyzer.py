"""The French analyzer, applied identically to documents and queries.

lower-case → dotted acronyms joined (C.G.C.T. → cgct) → digit groups joined (1 000 → 1000) →
legal article references kept whole (L.2121-29 → l2121_29 and 2121_29) → elisions (l', d',
qu'…) → tokens → stop words → Snowball French stem → accent folding.
Stemming runs before folding because the Snowball French rules expect accents.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Snowball's French stop list plus frequent function words of administrative French.
STOP_WORDS = frozenset("""
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes
moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis es est
sommes êtes sont serai seras sera serons serez seront serais serait serions seriez seraient étais
était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses
fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai
auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez
avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez
eussent ceci cela celà cet cette ici ils les leurs quel quels quelle quelles sans soi
quoi quand comment combien où dont lequel laquelle lesquels lesquelles auquel auxquels duquel
est-ce y a-t-il peut doit faut fait faire être avoir tout tous toute toutes plus moins très
pourquoi elles celui celle celles ceux si donc ainsi alors puis afin lorsque
""".split())

_DOTTED_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}(?![^\W\d_])")
# « 1 000 », « 12 500 000 » (spaces, no-break spaces): one number, as written in French.
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])")
# Code article references: L.2121-29, R. 123-4, D1612-1 (a hyphenated number after L, R or D).
_ARTICLE = re.compile(r"\b([lrd])\.?[ \u00a0]?(\d{1,4}(?:-\d+)+)\b")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’`]", re.IGNORECASE)


def fold(text: str) -> str:
    """Remove diacritics (é→e, ç→c, œ→oe) without touching other characters."""
    text = text.replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return fold(_stemmer().stemWord(word))


def _normalise(text: str) -> str:
    text = _DOTTED_ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", text.lower())
    text = _DIGIT_GROUPS.sub(lambda m: re.sub(r"\D", "", m.group()), text)
    text = _ARTICLE.sub(lambda m: f" {m.group(1)}{m.group(2)} {m.group(2)} ", text)
    return _ELISION.sub(" ", text)


# Words, article references (l2121-29), or numbers with internal separators kept together.
_TOKEN = re.compile(r"[lrd]\d{1,4}(?:-\d+)+|\d+(?:[.,\-/]\d+)*|[^\W\d_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased surface tokens with elisions removed (no stop-word filtering, no stemming)."""
    return _TOKEN.findall(_normalise(text))


def analyze(text: str) -> list[str]:
    """Index terms of a text: stop words dropped, words stemmed and folded, numbers normalised."""
    out = []
    for tok in tokens(text):
        if tok[0].isdigit() or tok[1:2].isdigit():
            out.append(re.sub(r"[.,\-/]", "_", tok))
        elif tok not in STOP_WORDS and fold(tok) not in STOP_WORDS and len(tok) > 1:
            out.append(_stem(tok))
    return out


def content_words(text: str) -> set[str]:
    """The set of analysed terms: used to check that a sentence is supported by an excerpt."""
    return set(analyze(text))
