"""Pure logic of the answer stage: prompt assembly and citation verification (no model)."""

from datetime import date

from clos.answer.prompts import REFUSAL, SYSTEM_FR, build_prompt, select_excerpts
from clos.answer.verify import is_refusal, split_sentences, support, verify
from clos.types import Hit


def hit(n, text, path="/docs/a.pdf", page=1, tokens=50, doc_date="2014-04-24"):
    return Hit(chunk_id=n, document_id=n, path=path, title="Délibération", page=page,
               heading_path=(), text=text, score=1.0, tokens=tokens, doc_date=doc_date)


REPAS = hit(1, "Montant forfaitaire de 15,25€ par repas pour les agents en déplacement.", page=2)
NUITEE = hit(2, "Remboursement des nuitées : 60€ pour la province et 70€ pour Paris.",
             path="/docs/b.pdf", page=3)


def test_prompt_carries_numbered_excerpts_date_and_rules():
    p = build_prompt("Combien pour un repas ?", [REPAS, NUITEE], today=date(2026, 11, 28),
                     template="chatml")
    assert p.system == SYSTEM_FR and REFUSAL in p.system and "[1]" in p.system
    assert "28 novembre 2026" in p.user
    assert "[1] (a.pdf, page 2, daté du 2014-04-24)" in p.user
    assert "[2] (b.pdf, page 3" in p.user and p.user.rstrip().endswith("Combien pour un repas ?")
    base = build_prompt("Q ?", [REPAS], today=date(2026, 1, 1), template="completion")
    assert base.completion.endswith("Question : Q ?\nRéponse :") and "[1]" in base.completion


def test_excerpts_fit_the_budget_best_first():
    hits = [hit(i, "x", tokens=300) for i in range(1, 6)]
    chosen = select_excerpts(hits, budget=700, k=4)
    assert [h.chunk_id for h in chosen] == [1, 2]
    assert len(select_excerpts([hit(1, "x", tokens=5000)], budget=700, k=4)) == 1


def test_supported_sentences_get_verified_citations():
    v = verify("Le repas est remboursé 15,25€. Pour Paris, la nuitée est à 70€ [1].",
               [REPAS, NUITEE])
    assert not v.refused and v.unsupported == []
    # The model's wrong [1] is replaced by the excerpt that really supports the sentence.
    assert v.text == "Le repas est remboursé 15,25€ [1]. Pour Paris, la nuitée est à 70€ [2]."
    assert [(c.n, c.source, c.page) for c in v.citations] == [(1, "/docs/a.pdf", 2),
                                                             (2, "/docs/b.pdf", 3)]
    assert "15,25€" in v.citations[0].quote


def test_wrong_numbers_are_unsupported():
    v = verify("Le repas est remboursé 25€. La nuitée à Paris coûte 70€.", [REPAS, NUITEE])
    assert v.unsupported == [0] and not v.refused
    assert support("Le repas est remboursé 25€.", REPAS.text) < 0.5


def test_all_unsupported_or_model_refusal_becomes_the_refusal():
    v = verify("Sydney est la capitale de l'Australie.", [REPAS, NUITEE])
    assert v.refused and v.text == REFUSAL
    assert verify("Les extraits ne contiennent pas cette information.", [REPAS]).refused
    assert verify("", [REPAS]).refused
    assert is_refusal("Je n’ai pas trouvé cette information dans les documents.")


def test_sentence_split_keeps_numbers_together():
    assert split_sentences("Le taux est de 12,5 %. Il s'applique en 2014. Fin") == [
        "Le taux est de 12,5 %.", "Il s'applique en 2014.", "Fin"]


def test_answer_window_is_the_passage_the_answer_draws_on_not_the_question():
    from clos.answer.verify import answer_window

    hits = [
        hit(3, "La piscine municipale ouvre le dimanche matin. Elle ferme en août pour travaux."),
        hit(4, "Le repas est remboursé 15,25 euros. Les nuitées sont remboursées 60 euros. "
            "Le conseil municipal a délibéré le 24 avril."),
    ]
    question = "Combien est remboursée une nuitée ?"
    window = answer_window(question, "Une nuitée est remboursée 60 euros [2].", hits)
    assert "60 euros" in window and "piscine" not in window
    # Neighbours are kept: the question's words may sit in the sentence before the answer.
    assert "15,25" in window and "24 avril" in window
    # An answer that only repeats the question draws on nothing of its own.
    assert answer_window(question, "", []) == ""


def test_a_list_answer_is_checked_item_by_item_and_quoted_for_each():
    from clos.answer.verify import best_quote

    answer = ("- L'indemnité de repas est de 15,25 € - les nuitées : 60 € en province et 70 € à "
              "Paris [1]")
    assert split_sentences(answer) == ["L'indemnité de repas est de 15,25 €",
                                       "les nuitées : 60 € en province et 70 € à Paris [1]"]
    excerpt = ("Indemnité de repas : 15,25 € par repas.\n"
               "Remboursement des nuitées : 60 € pour la province et 70 € pour Paris.\n"
               "Transport en commun : sur justificatif.")
    quote = best_quote(excerpt, split_sentences(answer))
    assert quote == ("Indemnité de repas : 15,25 € par repas. […] Remboursement des nuitées : "
                     "60 € pour la province et 70 € pour Paris.")
    assert best_quote(excerpt, ["Le tramway de Lyon"]) in excerpt  # nothing shared: one passage
