"""The refusal decision: refuse only when the documents are silent, from several signals together.

Signals (``Signals``), each recorded in the answer's trace:

- ``coverage``: the best retrieved passage's IDF-weighted share of the question's terms, numbers
  in one writing (« 800 euros » meets « 800,00 € ») — ``Hit.relevance`` recomputed that way;
- ``similarity``: the best cosine between the question and a passage (dense retrieval);
- ``subject``: how much of the question the key passage (one sentence or row) holds;
- ``has_kind``: whether the key passage holds the kind of fact the question asks for (an
  amount for « combien », a time for « horaires »);
- after the model: whether it refused, the share of its sentences that passed the check,
  ``verified`` (all did), ``grounding`` (cosine between the question and the passage the answer
  draws on).

Decision, in order (thresholds are settings, see ``Thresholds``):

1. before the model — the documents are silent when the question names a town or body
   (« la Ville de Toulouse ») no passage of the collection names, or any name no passage names
   (only with ``refuse_absent_names``: a pseudonymised person is absent by design), or when the
   coverage is under ``min_relevance``
   AND (no dense retrieval, or the similarity is under ``min_similarity``): one lexical
   threshold alone no longer refuses a paraphrase (« horaires de la déchèterie » over « ouverte
   de 9 h à 17 h »);
2. an answer carrying a link, e-mail, phone or password request the question did not ask for is
   held back (``injection.held_back``);
3. the model refused, or none of its sentences passed the check → refused;
4. an answer whose passage is far from the question (grounding under ``min_grounding``) is
   refused unless every sentence passed the check (a fully verified answer stands);
   after 3 (unsupported) or 4, when ``extractive_fallback`` is on and the key passage answers
   (``decide_extractive(fallback=True)``: subject ≥ ``fallback_min_subject``, coverage ≥
   ``fallback_min_coverage``, the kind of fact asked), the key passage is the answer instead,
   « À vérifier », with the reason the model's text was set aside;
5. extractive mode: refused when the key passage holds less than ``extractive_min_subject`` of
   the question, or lacks the kind of fact the question asks for.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from clos.answer.passages import terms_of
from clos.types import Hit

__all__ = ["Decision", "Signals", "Thresholds", "coverage", "decide_after_model",
           "decide_before_model", "decide_extractive", "key_uncovered"]

SILENT = ("Les documents ne traitent pas de la question : aucun passage ne reprend ses termes "
          "ni son sens.")
ABSENT = "Les documents ne mentionnent nulle part {names} : ils ne traitent pas de la question."
MODEL_REFUSED = "Le modèle n'a trouvé la réponse dans aucun des passages retenus."
UNSUPPORTED = ("Aucune phrase de la réponse du modèle n'est étayée par les passages : les faits "
               "qu'elle donne n'y figurent pas.")
FAR = ("La réponse s'appuie sur un passage qui ne traite pas de la question, et tous ses faits "
       "n'ont pas pu être vérifiés.")
KEY_WEAK = ("Aucune phrase des documents ne répond à la question : le passage le plus proche n'en "
            "reprend pas assez les termes.")
KEY_UNCOVERED = ("Le passage le plus proche ne parle pas de ce que demande la question : {words} "
                 "n'y figure(nt) pas.")
KEY_KIND = "Le passage le plus proche ne contient pas le type d'information demandé ({kinds})."
KEY_HEADING = ("Le passage le plus proche n'est qu'un titre : les documents nomment le sujet "
               "sans donner la réponse.")
HELD_BACK = ("Réponse retenue : {why}, ce que la question ne demandait pas. Un document contient "
             "peut-être une consigne adressée à l'assistant ; vérifiez les passages ci-dessous.")
#: After the model, the rules whose refusal gives way to the key passage when it answers
#: (``decide_extractive(fallback=True)``): the model's text failed the check, the documents did not.
FALLBACK_RULES = ("unsupported", "far")
FALLBACK_NOTE = ("À vérifier : la réponse rédigée par le modèle a été écartée ({why}) ; voici, "
                 "mot pour mot, le passage des documents qui répond le mieux à la question.")
KIND_LABELS = {"amount": "un montant", "percent": "un pourcentage", "number": "un nombre", "duration": "une durée",
               "time": "un horaire", "date": "une date", "name": "un nom (personne, organisme ou lieu)"}


@dataclass
class Thresholds:
    """The decision's thresholds (from ``Settings``: min_relevance, min_similarity,
    min_grounding, extractive_min_subject)."""

    min_relevance: float
    min_similarity: float
    min_grounding: float
    extractive_min_subject: float
    fallback_min_subject: float = 0.5
    fallback_min_coverage: float = 0.5
    min_key_coverage: float = 0.0

    @classmethod
    def from_settings(cls, s) -> "Thresholds":
        return cls(s.min_relevance, s.min_similarity, s.min_grounding, s.extractive_min_subject,
                   s.fallback_min_subject, s.fallback_min_coverage, s.min_key_coverage)


@dataclass
class Signals:
    coverage: float = 0.0
    similarity: float | None = None
    subject: float | None = None
    has_kind: bool | None = None
    model_refused: bool | None = None
    supported_share: float | None = None
    verified: bool | None = None
    grounding: float | None = None
    gives_asked_fact: bool | None = None  # the answer holds the kind of fact asked (compose)
    key_coverage: float | None = None  # the key passage's chunk's share of the question (plain IDF)
    key_lacks: list[str] = field(default_factory=list)  # the question's words it lacks
    key_heading: bool | None = None  # the key passage is a title line (passages.is_heading)

    @property
    def confidence(self) -> float:
        """The one score the risk–coverage curve ranks answers by: the key coverage when a key
        passage was chosen (AUROC 0.90 answerable vs unanswerable on the domain set, extractive),
        else the coverage (0.85)."""
        return self.key_coverage if self.key_coverage is not None else self.coverage
    absent_names: list[str] = field(default_factory=list)
    question: str = ""  # to tell a town from a person among the absent names


@dataclass
class Decision:
    refused: bool
    reason: str | None = None  # French, for the user
    rule: str = "answer"  # silent | held_back | model_refused | unsupported | far | key_weak |
    #                       key_kind | key_heading | key_uncovered | fallback
    signals: Signals = field(default_factory=Signals)
    thresholds: Thresholds | None = None

    def to_dict(self) -> dict:
        return {"refused": self.refused, "reason": self.reason, "rule": self.rule,
                "signals": {**asdict(self.signals),
                            "confidence": round(self.signals.confidence, 4)},
                "thresholds": asdict(self.thresholds) if self.thresholds else {}}


def coverage(question: str, hits: list[Hit], idf: dict[str, float] | None = None) -> float:
    """The best hit's weighted share of the question's terms (title and headings included),
    numbers and « € » in one writing. ``idf``: term → weight (default 1 each)."""
    q = terms_of(question)
    if not q or not hits:
        return 0.0
    weight = {t: (idf or {}).get(t, 1.0) for t in q}
    total = sum(weight.values()) or 1.0
    best = 0.0
    for hit in hits:
        have = terms_of(" ".join((hit.title or "", *hit.heading_path, hit.text)))
        best = max(best, sum(w for t, w in weight.items() if t in have) / total)
    return best


def idf_weights(store, question: str, *, paraphrase: bool = True) -> dict[str, float]:
    """BM25's IDF of the question's terms (numbers normalised), from the store's statistics.

    A term found in no passage of the collection (« horaires » asked of a text saying « ouverte
    de 9 h à 17 h ») says nothing about which passage answers: it weighs as the mean of the
    question's other terms instead of the highest weight of all, which made a paraphrase look
    off-topic (issue 16). A question none of whose terms the collection holds keeps its
    weights, and its coverage is 0. ``paraphrase=False``: plain IDF, an unknown term weighing
    the most (``key_coverage``: the passage chosen must hold what the question is about)."""
    terms = sorted(terms_of(question))
    n = max(store.chunk_count(), 1)
    df = store.term_document_frequencies(terms) if terms else {}
    idf = {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in terms}
    known = [idf[t] for t in terms if df.get(t, 0)]
    if known and paraphrase:
        mean = sum(known) / len(known)
        idf.update({t: mean for t in terms if not df.get(t, 0)})
    return idf


def key_coverage(question: str, hit: Hit, idf: dict[str, float], *,
                 answered: set[str] = frozenset()) -> tuple[float, list[str]]:
    """The share of the question's IDF weight (plain IDF: ``idf_weights(paraphrase=False)``) the
    key passage's whole chunk holds (title and headings included), and the question's words it
    lacks, as the question writes them.

    Measured on the domain set (tests/data/qa_domain.json, extractive key passages): the weight
    missing from the key passage's chunk was under 0.45 for 48 of the 50 questions whose key
    passage held the answer, and 0.5 or more for 16 of the 22 questions the documents do not
    answer (« passeport biométrique », « déchèterie », « numéro de téléphone »): the words that
    say what the question is about are not where the answer was taken from.

    ``answered``: terms the passage answers without holding them — the words asking for the
    kind of fact the key passage holds (« horaires » over « ouverte de 9 h à 17 h »:
    ``facts.asking_words``); they are left out of the share."""
    q = terms_of(question) - set(answered)
    if not q:
        return 0.0, []
    have = terms_of(" ".join((hit.title or "", *hit.heading_path, hit.text)))
    weight = {t: idf.get(t, 1.0) for t in q}
    total = sum(weight.values()) or 1.0
    share = sum(w for t, w in weight.items() if t in have) / total
    lacking = {t for t in q if t not in have}
    words = [w for w in re.findall(r"[\wÀ-ÿ'’-]+", question)
             if (own := terms_of(w)) and own <= lacking]
    return share, list(dict.fromkeys(words))


def absent_names(store, question: str) -> list[str]:
    """The names of ``question`` (« Lyon », « Nîmes »: capitalised words inside it) that no
    passage of the collection holds: documents that never name the town or body asked about are
    silent about it, however close the rest of the question is (issue 16's « conseil municipal de
    Nîmes » over Montpellier's deliberations)."""
    from clos.answer.facts import extract_facts
    from clos.retrieve.analyzer import analyze

    names = {f.text: analyze(f.text) for f in extract_facts(question) if f.kind == "name"}
    terms = sorted({t for ts in names.values() for t in ts})
    df = store.term_document_frequencies(terms) if terms else {}
    return [name for name, ts in names.items() if ts and all(not df.get(t) for t in ts)]


#: What names a town or body (« la Ville de Toulouse », « le conseil municipal de Nîmes ») just
#: before a name: such a name is a place, never a pseudonymised person.
_PLACE_CONTEXT = re.compile(
    r"\b(?:ville|commune|mairie|municipalit[ée]|conseil\s+municipal|m[ée]tropole|"
    r"agglom[ée]ration|d[ée]partement|r[ée]gion|communaut[ée]\s+de\s+communes|"
    r"pr[ée]fecture|CCAS)\s+(?:de\s+la\s+|de\s+|d['’]\s*|du\s+|des\s+)?$", re.IGNORECASE)


def place_names(question: str, names: list[str]) -> list[str]:
    """Those of ``names`` the question gives as a town or body (« Ville de Toulouse »): unlike
    a person's name, which pseudonymisation keeps out of the index, a town the collection never
    names means the documents are about another one (the domain set's hard negatives u02, u03)."""
    out = []
    for name in names:
        if any(_PLACE_CONTEXT.search(question[: m.start()])
               for m in re.finditer(re.escape(name), question)):
            out.append(name)
    return out


def decide_before_model(signals: Signals, th: Thresholds, *, absent: bool = True) -> Decision:
    """Refused when the documents are silent (see the module doc): when the question names a
    town or body no passage names (``place_names``, always), or any name no passage names
    (``absent``: ``settings.refuse_absent_names``)."""
    named = signals.absent_names if absent else place_names(signals.question,
                                                            signals.absent_names)
    if named:
        names = ", ".join(f"« {n} »" for n in named)
        return Decision(True, ABSENT.format(names=names), "absent_name", signals, th)
    silent = signals.coverage < th.min_relevance and (
        signals.similarity is None or signals.similarity < th.min_similarity)
    return Decision(silent, SILENT if silent else None, "silent" if silent else "answer",
                    signals, th)


def decide_extractive(signals: Signals, expected: set[str], th: Thresholds, *,
                      absent: bool = True, fallback: bool = False) -> Decision:
    """Extractive mode, and the fallback after a model answer that failed the check
    (``fallback``: stricter, ``fallback_min_subject`` and ``fallback_min_coverage``)."""
    first = decide_before_model(signals, th, absent=absent)
    if first.refused:
        return first
    need = th.fallback_min_subject if fallback else th.extractive_min_subject
    if signals.subject is None or signals.subject < need or (
            fallback and signals.coverage < th.fallback_min_coverage):
        return Decision(True, KEY_WEAK, "key_weak", signals, th)
    if expected and signals.has_kind is False:
        kinds = " ou ".join(dict.fromkeys(KIND_LABELS[k] for k in sorted(expected)))
        return Decision(True, KEY_KIND.format(kinds=kinds), "key_kind", signals, th)
    if signals.key_heading and not signals.has_kind:
        # A title names the topic, it answers nothing (« Direction du Secrétariat Général » for
        # « qui est le directeur général des services ? »: domain set, u13).
        return Decision(True, KEY_HEADING, "key_heading", signals, th)
    return key_uncovered(signals, th) or Decision(False, None,
                                                  "fallback" if fallback else "answer", signals, th)


def key_uncovered(signals: Signals, th: Thresholds) -> Decision | None:
    """The refusal when the key passage's chunk holds under ``min_key_coverage`` of the
    question (``key_coverage``), naming the words it lacks; None when it holds enough (or no key
    passage was chosen). Extractive answers, the fallback and generated answers alike."""
    if signals.key_coverage is not None and signals.key_coverage < th.min_key_coverage:
        return Decision(True, key_lacking(signals.key_lacks), "key_uncovered", signals, th)
    return None


def key_lacking(words: list[str]) -> str:
    """The French reason of a ``key_uncovered`` refusal, naming the words the passage lacks."""
    if not words:
        return KEY_WEAK
    return KEY_UNCOVERED.format(words=", ".join(f"« {w} »" for w in words[:4]))


def decide_after_model(signals: Signals, th: Thresholds, *, held: str | None = None) -> Decision:
    if held:
        return Decision(True, HELD_BACK.format(why=held), "held_back", signals, th)
    if signals.model_refused:
        return Decision(True, MODEL_REFUSED, "model_refused", signals, th)
    if not signals.supported_share:
        return Decision(True, UNSUPPORTED, "unsupported", signals, th)
    if signals.grounding is not None and signals.grounding < th.min_grounding \
            and not signals.verified:
        return Decision(True, FAR, "far", signals, th)
    return Decision(False, None, "answer", signals, th)
