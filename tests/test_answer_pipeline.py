"""The answer paths end to end with real files, real SQLite and the real small model (gemma3-270m):
paraphrases reach the model, refusals show their reason and the closest passages, the extractive
mode answers with the key passage through ``clos ask --mode extractif --json``, and the trace is
stored with the answer."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clos.answer.prompts import FENCE_OPEN, REFUSAL
from clos.cli.main import app

pytestmark = pytest.mark.slow

DOCS = {
    "decheterie.txt": "Déchèterie intercommunale des Garrigues\n\nLa déchèterie est ouverte du "
                      "mardi au samedi de 9 h à 17 h. Elle n'accueille pas le public les jours "
                      "fériés.\nL'accès est gratuit pour les particuliers sur présentation d'un "
                      "justificatif de domicile.",
    "cantine.txt": "Restauration scolaire — règlement intérieur\n\nLe repas à la cantine scolaire "
                   "est facturé 3,85 € pour les élèves domiciliés dans la commune. Les "
                   "inscriptions se font auprès du service scolaire avant le 15 septembre.",
    "subventions.txt": "Délibération n° 2023-45 — Subventions aux associations\n\nLe conseil "
                       "municipal décide d'attribuer les subventions suivantes :\nAssociation | "
                       "Montant\nLes Amis de la bibliothèque | 800,00 €\nClub de football | "
                       "1 500,00 €\nVu l'article L. 2121-29 du code général des collectivités "
                       "territoriales, la délibération est adoptée à l'unanimité.",
}


@pytest.fixture
def indexed(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    return folder


def ask(*args: str) -> dict:
    result = CliRunner().invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_paraphrases_reach_the_model_and_the_trace_is_stored(indexed, settings):
    from clos.pipeline import Clos

    with Clos(settings) as clos:
        for question in ("Quels sont les horaires de la déchèterie ?", "Combien coûte la cantine ?",
                         "Quelle association a reçu 800 euros ?"):
            answer = clos.ask(question, model="gemma3-270m", meter=False)
            decision = answer.trace.decision
            assert decision["rule"] != "silent", (question, decision)  # the gate let it through
            assert FENCE_OPEN in answer.trace.prompt["user"] and answer.trace.raw_output
            assert answer.trace.hits[0]["lexical_score"] is not None
            assert any(h["in_prompt"] for h in answer.trace.hits) and answer.trace.excerpts
            stored = clos.store.answer(answer.id)
            assert stored.trace == answer.trace and stored.verified == answer.verified
            if not answer.refused:
                assert answer.key_passage and answer.key_passage.quote in " ".join(
                    " ".join(t.split()) for t in DOCS.values())
                assert all({"facts_found", "facts_missing"} <= set(s) for s in answer.trace.sentences)
            else:
                assert answer.closest and answer.refusal_reason


def test_extractive_mode_answers_with_the_key_passage_through_the_cli(indexed):
    out = ask("Quelle association a reçu 800 euros ?", "--mode", "extractif")
    assert not out["refused"] and out["mode"] == "extractif" and out["verified"] is False
    assert out["key_passage"]["quote"] == "Les Amis de la bibliothèque | 800,00 €"
    assert out["answer"] == out["key_passage"]["quote"] and out["usage"]["completion_tokens"] == 0
    assert out["key_passage"]["source"].endswith("subventions.txt")
    out = ask("Quels sont les horaires de la déchèterie ?", "--mode", "extractif")
    assert out["key_passage"]["quote"] == ("La déchèterie est ouverte du mardi au samedi de 9 h à "
                                           "17 h.")


def test_refusals_say_why_and_show_the_closest_passages(indexed):
    silent = ask("Quel est le tarif du tramway de Lyon ?", "--model", "gemma3-270m")
    assert silent["refused"] and silent["answer"] == REFUSAL and silent["citations"] == []
    assert "ne traitent pas de la question" in silent["refusal_reason"]
    assert "key_passage" not in silent
    detail = ask("Combien de postes d'adjoints le conseil municipal a-t-il créés ?",
                 "--mode", "extractif")
    assert detail["refused"] and detail["refusal_reason"]
    assert detail["closest"] and detail["closest"][0]["source"].endswith("subventions.txt")
    result = CliRunner().invoke(app, ["ask", "Combien de postes d'adjoints le conseil municipal "
                                      "a-t-il créés ?", "--mode", "extractif"])
    assert "Les passages les plus proches" in result.output and "Raison :" in result.output
