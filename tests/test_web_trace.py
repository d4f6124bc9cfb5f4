"""« Comment cette réponse a été produite » from a stored answer with its trace (the shape of
``clos.types.AnswerTrace``, as the pipeline fills it), read through the real app: every stage
shown in French, the model's and the documents' text escaped."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clos.service import Service, answer_payload
from clos.types import Answer, AnswerTrace, Citation, Timings, Usage
from clos.web import create_app


def test_trace_page_shows_each_stage_escaped(settings):
    service = Service(settings)
    cid = service.store.collection_id("rh")
    trace = AnswerTrace(
        terms=["montant", "forfaitair", "rembours", "repas"],
        hits=[{"rank": 1, "chunk_id": 7, "path": "/d/delib.pdf", "title": "Délibération",
               "page": 2, "lexical_score": 0.91, "dense_score": 0.52, "score": 1.43,
               "relevance": 0.8, "similarity": 0.86, "in_prompt": True},
              {"rank": 2, "chunk_id": 9, "path": "/d/autre.pdf", "title": "Autre", "page": 5,
               "lexical_score": 0.4, "dense_score": None, "score": 0.4, "relevance": 0.3,
               "similarity": None, "in_prompt": False}],
        excerpts=[{"n": 1, "chunk_id": 7, "path": "/d/delib.pdf", "page": 2, "tokens": 40,
                   "text": "montant forfaitaire de 15,25€ par repas <script>x()</script>",
                   "cut": True}],
        prompt={"system": "Réponds uniquement à partir des extraits.", "user": "[1] montant…"},
        raw_output="Le montant est de 15,25 € par repas [1]. <b>gras</b>",
        sentences=[{"text": "Le montant est de 15,25 € par repas.", "supported": True,
                    "cited": [1], "facts_found": ["15,25 €"], "facts_missing": []}],
        decision={"refused": False, "reason": None,
                  "signals": {"coverage": 0.8, "verified": True},
                  "thresholds": {"min_relevance": 0.35, "min_similarity": 0.8}})
    answer = Answer(question="Quel montant par repas ?", answer="15,25 € par repas [1].",
                    refused=False, model="gemma3-270m", usage=Usage(447, 12),
                    timings=Timings(0.09, 2.5, 4.25), trace=trace,
                    citations=[Citation(1, "/d/delib.pdf", 2, "montant forfaitaire", 7)])
    answer.id = service.store.log_answer(cid, answer)
    service.store.save_conversation_answer(answer.id, "local", cid, answer_payload(answer))
    with TestClient(create_app(service=service)) as client:
        page = client.get(f"/reponses/{answer.id}/comment").text
        data = client.get(f"/api/answers/{answer.id}").json()
    for heading in ("1. La question", "2. Les passages retrouvés", "3. Ce que le modèle a lu",
                    "4. La consigne exacte", "5. Ce que le modèle a écrit",
                    "6. La vérification, phrase par phrase", "7. La décision"):
        assert heading in page
    assert "<code>forfaitair</code>" in page
    assert "<td>0,910</td><td>0,520</td><td>1,430</td>" in page and "<td>—</td>" in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
    assert "&lt;b&gt;gras&lt;/b&gt;" in page
    assert "✔ oui" in page and "coupé" in page and "4,25 s" in page
    # Each signal in words, held against its own threshold.
    assert ("<td>Part de la question couverte par les passages (coverage)</td>"
            "<td>0,800</td><td>0,350</td>") in page
    assert "<td>Toutes les phrases vérifiées (verified)</td><td>oui</td><td>—</td>" in page
    assert data["trace"]["terms"] == trace.terms and data["trace"]["hits"][1]["in_prompt"] is False
    service.close()
