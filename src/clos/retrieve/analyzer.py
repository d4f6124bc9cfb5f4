"""The French analyzer, applied identically to documents and queries.

lower-case → elisions (l', d', qu'…) → tokens → stop words → Snowball French stem → accent folding.
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
""".split())

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’`]", re.IGNORECASE)
# Words, or numbers with internal separators kept together (L.2121-29, 12,5, 2014-04-24).
_TOKEN = re.compile(r"\d+(?:[.,\-/]\d+)*|[^\W\d_]+", re.UNICODE)


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


def tokens(text: str) -> list[str]:
    """Lower-cased surface tokens with elisions removed (no stop-word filtering, no stemming)."""
    text = _ELISION.sub(" ", text.lower())
    return _TOKEN.findall(text)


def analyze(text: str) -> list[str]:
    """Index terms of a text: stop words dropped, words stemmed and folded, numbers normalised."""
    out = []
    for tok in tokens(text):
        if tok[0].isdigit():
            out.append(re.sub(r"[.,\-/]", "_", tok))
        elif tok not in STOP_WORDS and fold(tok) not in STOP_WORDS and len(tok) > 1:
            out.append(_stem(tok))
    return out


def content_words(text: str) -> set[str]:
    """The set of analysed terms: used to check that a sentence is supported by an excerpt."""
    return set(analyze(text))
