"""The French analyzer and the lexical retriever, on real SQLite."""

import pytest

from clos.retrieve import LexicalRetriever, analyze, diversify
from clos.retrieve.analyzer import tokens
from clos.store.sqlite import SQLiteStore
from clos.types import Chunk, Document, Hit, Section


# ---------------------------------------------------------------------------------- analyzer
def test_elisions_are_removed_both_apostrophes():
    assert analyze("l'élection") == analyze("l’élection") == analyze("élection")
    assert analyze("qu'est-ce que l'intercommunalité ?") == analyze("intercommunalité")
    assert "jusqu" not in tokens("jusqu'à demain")


def test_accents_and_case_are_folded_after_stemming():
    assert analyze("Élections") == analyze("élections") == analyze("ELECTIONS")
    assert analyze("délibération") == analyze("deliberation")
    assert analyze("œuvre") == analyze("oeuvre")


def test_french_stemming_joins_inflections():
    assert analyze("conseil municipal") == analyze("conseils municipaux")
    assert analyze("remboursement")[0] == analyze("rembourser")[0]
    assert analyze("la délibération du conseil")[0] == analyze("délibérations")[0]


def test_stop_words_and_question_words_are_dropped():
    assert analyze("Pourquoi est-ce que le maire peut-il le faire ?") == analyze("maire")
    assert analyze("Quelles sont les conditions ?") == analyze("conditions")


def test_legal_article_references_stay_whole():
    ref = analyze("article L.2121-29 du CGCT")
    assert "l2121_29" in ref and "2121_29" in ref
    # Every way of writing it gives the same terms, and R.2121-29 stays another article.
    assert analyze("L. 2121-29") == analyze("L2121-29") == analyze("l.2121-29")
    assert "l2121_29" not in analyze("R. 2121-29") and "2121_29" in analyze("R. 2121-29")
    assert analyze("il y a 2-3 ans") == ["2_3", "an"]  # not an article reference


def test_numbers_dates_and_amounts():
    assert analyze("1 000 euros")[0] == analyze("1000 €")[0] == "1000"
    assert analyze("12 500 000 habitants")[0] == "12500000"
    assert analyze("15,25 €") == ["15_25"]
    assert analyze("le 24/04/2014") == ["24_04_2014"]
    assert analyze("en 2014 2015") == ["2014", "2015"]


def test_acronyms_with_or_without_dots():
    assert analyze("le C.G.C.T.") == analyze("le CGCT") == analyze("cgct")
    assert analyze("le CCAS de la commune")[0] == analyze("les CCAS")[0]
    assert analyze("U.E.") == ["ue"]


# --------------------------------------------------------------------------------- retriever
def _index(store: SQLiteStore, cid: int, path: str, texts: list[str], title: str = "") -> None:
    doc = Document(path=path, title=title, format="txt", sections=[Section(t) for t in texts],
                   content_hash=path)
    chunks = [Chunk(text=t, ordinal=i, page=None, heading_path=(), tokens=len(t) // 4)
              for i, t in enumerate(texts)]
    terms = [(" ".join(analyze(t)), " ".join(analyze(title))) for t in texts]
    store.replace_document(cid, doc, chunks, terms, size=sum(map(len, texts)))


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "clos.sqlite3")
    cid = store.collection_id("test")
    _index(store, cid, "/frais.txt", [
        "Les frais de déplacement des agents sont remboursés sur justificatifs.",
        "Le remboursement des frais de repas est forfaitaire : 15,25 € par repas.",
        "Les frais d'hébergement sont remboursés dans la limite de 70 € à Paris.",
    ], title="Frais de déplacement")
    _index(store, cid, "/cgct.txt", [
        ("Article L.2121-29 : le conseil municipal règle par ses délibérations les affaires de "
         "la commune."),
    ])
    _index(store, cid, "/ccas.txt", ["Le CCAS anime une action générale de prévention sociale."])
    _index(store, cid, "/budget.txt", ["Le budget primitif est voté par le conseil municipal."])
    yield store
    store.close()


def test_best_document_first_with_inflected_query(store):
    r = LexicalRetriever(store)
    cid = store.collection_id("test")
    assert r.search(cid, "Comment rembourser un repas ?", 3)[0].text.startswith("Le remboursement")
    assert r.search(cid, "Que dit l'article L2121-29 ?", 3)[0].path == "/cgct.txt"
    assert r.search(cid, "Quel est le rôle du C.C.A.S. ?", 3)[0].path == "/ccas.txt"


def test_relevance_is_between_zero_and_one(store):
    cid = store.collection_id("test")
    hits = LexicalRetriever(store).search(cid, "frais de repas des agents à Paris", 10)
    assert hits and all(0.0 <= h.relevance <= 1.0 for h in hits)
    full = LexicalRetriever(store).search(cid, "remboursement repas forfaitaire", 1)[0]
    assert full.relevance == pytest.approx(1.0)
    partial = LexicalRetriever(store).search(cid, "repas budget inexistantmot", 5)
    assert all(h.relevance < 0.7 for h in partial)
    assert LexicalRetriever(store).search(cid, "le la les", 5) == []  # only stop words


def test_at_most_max_per_doc_chunks_of_one_document(store):
    cid = store.collection_id("test")
    hits = LexicalRetriever(store, max_per_doc=1).search(cid, "frais remboursés conseil", 10)
    docs = [h.document_id for h in hits]
    assert len(docs) == len(set(docs)) and len(docs) >= 2
    two = LexicalRetriever(store, max_per_doc=2).search(cid, "frais remboursés", 10)
    assert sum(1 for h in two if h.path == "/frais.txt") == 2


def test_diversify_keeps_order():
    hits = [Hit(chunk_id=i, document_id=d, path="", title="", page=None, heading_path=(),
                text="", score=10 - i) for i, d in enumerate([1, 1, 1, 2, 3, 2])]
    assert [h.chunk_id for h in diversify(hits, 4, 2)] == [0, 1, 3, 4]


@pytest.mark.parametrize("options", [
    {"coverage_weight": 0.0}, {"k1": 0.9, "b": 0.4, "pool": 50}, {"prf_terms": 5, "prf_docs": 1},
    {"proximity_weight": 0.3}, {"doc_weight": 0.1}, {"max_df": 0.3},
])
def test_every_measured_option_still_ranks_and_scores(store, options):
    cid = store.collection_id("test")
    hits = LexicalRetriever(store, **options).search(cid, "remboursement des frais de repas", 5)
    assert hits and all(0.0 <= h.relevance <= 1.0 for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_invalid_options_are_refused(store):
    with pytest.raises(ValueError):
        LexicalRetriever(store, candidates=0)
    with pytest.raises(ValueError):
        LexicalRetriever(store, coverage_weight=-1)
    with pytest.raises(ValueError):
        LexicalRetriever(store, b=2)
    with pytest.raises(ValueError):
        LexicalRetriever(store, max_df=0)


def test_max_df_matches_only_the_rarer_terms_and_still_scores_all(store):
    cid = store.collection_id("test")
    r = LexicalRetriever(store, max_df=0.3)
    # « frais » is in 3 of the 6 chunks, « hébergement » in one: only the rare terms are matched
    # (at least the two rarest), every term still counts in the relevance.
    terms = list(dict.fromkeys(analyze("frais d'hébergement à Paris")))
    assert r._matched(terms) == [t for t in terms if t != analyze("frais")[0]]
    assert r._matched(analyze("frais")) == analyze("frais")
    hit = r.search(cid, "frais d'hébergement à Paris", 3)[0]
    assert hit.text.startswith("Les frais d'hébergement") and hit.relevance == pytest.approx(1.0)


def test_term_statistics_are_read_once_per_question(store):
    cid = store.collection_id("test")
    r = LexicalRetriever(store)
    asked = []
    frequencies = store.term_document_frequencies
    store.term_document_frequencies = lambda terms: asked.append(terms) or frequencies(terms)
    hits = r.search(cid, "frais de repas", 5)
    r.annotate("frais de repas", hits)  # a hybrid search annotates its dense hits after
    assert len(asked) == 1
    _index(store, cid, "/repas.txt", ["Les frais de repas des élus sont remboursés."])
    r.search(cid, "frais de repas", 5)  # the index changed: read again
    assert len(asked) == 2


# ------------------------------------------------------------------ excerpts for the prompt
def test_focused_excerpts_keep_the_sentences_that_answer_verbatim():
    from clos.answer.prompts import focus, select_excerpts

    text = ("Le conseil municipal se réunit au moins une fois par trimestre. Le maire convoque le "
            "conseil. La convocation est envoyée trois jours francs avant la séance. Dans les "
            "communes de 3 500 habitants et plus, une note de synthèse est jointe. Le budget "
            "primitif est voté avant le 15 avril.")
    hit = Hit(chunk_id=1, document_id=1, path="/cgct.md", title="", page=None, heading_path=(),
              text=text, score=1.0, tokens=80)
    short = focus(hit, "Quand la convocation est-elle envoyée ?", 30)
    assert "trois jours francs" in short.text and short.text in text and short.tokens <= 30
    assert focus(hit, "budget primitif", 200) is hit  # fits: untouched
    many = [Hit(chunk_id=i, document_id=i, path=f"/{i}.md", title="", page=None,
                heading_path=(), text=text, score=1.0, tokens=80) for i in range(4)]
    assert len(select_excerpts(many, budget=300, k=4)) == 2  # whole chunks: two fit
    focused = select_excerpts(many, budget=300, k=4, question="Quand le budget est-il voté ?")
    assert len(focused) == 4 and all("budget" in h.text for h in focused)
    assert sum(h.tokens + 25 for h in focused) <= 300


def test_the_best_excerpt_gets_the_widest_window_and_unused_tokens_flow_on():
    from clos.answer.prompts import HEADER_TOKENS, shares

    def hit(tokens):
        return Hit(chunk_id=tokens, document_id=1, path="/a.md", title="", page=None,
                   heading_path=(), text="x", score=1.0, tokens=tokens)

    text_budget = 450 - 3 * HEADER_TOKENS
    long = shares([hit(300), hit(300), hit(300)], 450)
    assert long[0] == round(text_budget * 2 / 3) and sum(long) == text_budget
    assert abs(long[1] - long[2]) <= 1
    short_first = shares([hit(60), hit(300), hit(300)], 450)
    assert short_first[1] == (text_budget - 60) // 2  # what the first left is shared by the others
    assert shares([hit(300)], 450) == [450 - HEADER_TOKENS]
    assert min(shares([hit(300)] * 8, 100)) >= 40  # never a window too small to hold a sentence
