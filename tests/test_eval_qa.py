"""Domain question sets (clos-qa-1): loading, validation, and the committed set proved against
the real files of ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clos.eval import load
from clos.eval.datasets import DatasetError
from clos.eval.metrics import contains, normalize
from clos.eval.qa import check_corpus, load_qa

DOMAIN = Path(__file__).resolve().parent / "data" / "qa_domain.json"


def write_set(folder: Path, questions: list[dict], **extra) -> Path:
    path = folder / "set.json"
    data = {"name": "mini", "format": "clos-qa-1", "root": ".", "folders": ["docs"],
            "questions": questions, **extra}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def mini(tmp_path) -> Path:
    """Two invented Markdown notes and a set over them."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cantine.md").write_text(
        "# Restauration scolaire\n\nLe repas à la cantine scolaire est facturé 3,85 € aux familles.\n",
        encoding="utf-8")
    (docs / "decheterie.md").write_text(
        "# Déchèterie\n\nLa déchèterie est ouverte du mardi au samedi de 9 h à 17 h.\n",
        encoding="utf-8")
    return write_set(tmp_path, [
        {"id": "a1", "question": "Combien coûte la cantine ?", "answers": ["3,85 €", "3,85 euros"],
         "file": "docs/cantine.md", "page": 1, "type": "montant"},
        {"id": "u1", "question": "Quel est le tarif de la piscine ?", "answerable": False,
         "hard_negative": False, "absent": ["piscine"]},
    ])


def test_euro_writings_match_each_other():
    assert normalize("15,25€") == normalize("15,25 €") == normalize("15,25 euros") == "15 25 €"
    assert contains("montant forfaitaire de 15,25€ par repas", ["15,25 euros"])
    assert not contains("montant de 15,25€", ["5,25 €"])


def test_a_valid_set_loads_and_holds_against_its_files(mini):
    qaset = load_qa(mini)
    assert [q.id for q in qaset.answerable] == ["a1"] and [q.id for q in qaset.unanswerable] == ["u1"]
    assert qaset.root == mini.parent and qaset.folder_paths() == [mini.parent / "docs"]
    assert check_corpus(qaset) == []
    assert [q.id for q in qaset.subset(["u1"]).questions] == ["u1"]


def test_check_corpus_names_each_problem(mini):
    data = json.loads(mini.read_text(encoding="utf-8"))
    data["questions"][0]["page"] = 2  # the note has one page
    data["questions"][1]["absent"] = ["déchèterie"]  # in the corpus: not unanswerable
    data["questions"].append({"id": "a2", "question": "Horaires ?", "answers": ["9 h à 17 h"],
                              "file": "docs/absent.md", "page": 1})
    mini.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    problems = check_corpus(load_qa(mini))
    assert len(problems) == 3
    assert "a1" in problems[0] and "page 2" in problems[0] and "trouvée page [1]" in problems[0]
    assert "u1" in problems[1] and "decheterie.md" in problems[1]
    assert "a2" in problems[2] and "introuvable" in problems[2]


@pytest.mark.parametrize("question, message", [
    ({"id": "x", "question": "Q ?", "answers": ["1"]}, "« file »"),
    ({"id": "x", "question": "Q ?", "answers": [], "file": "docs/a.md"}, "« answers »"),
    ({"id": "x", "question": "Q ?", "answerable": False, "answers": ["1"]}, "sans réponse"),
    ({"id": "x", "question": " "}, "question vide"),
    ({"id": "x", "question": "Q ?", "answers": ["1"], "file": "docs/a.md", "page": 0}, "page"),
])
def test_malformed_questions_are_refused_in_french(tmp_path, question, message):
    with pytest.raises(DatasetError, match=message):
        load_qa(write_set(tmp_path, [question]))


def test_wrong_format_and_duplicate_ids(tmp_path):
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": []}), encoding="utf-8")
    with pytest.raises(DatasetError, match="clos-qa-1"):
        load_qa(path)
    q = {"id": "a", "question": "Q ?", "answerable": False}
    with pytest.raises(DatasetError, match="double"):
        load_qa(write_set(tmp_path, [q, q]))
    # The SQuAD loader sends a domain set to --qa instead of misreading it.
    with pytest.raises(DatasetError, match="--qa"):
        load(write_set(tmp_path, [q]))


def test_committed_domain_set_shape():
    qaset = load_qa(DOMAIN)
    answerable, unanswerable = qaset.answerable, qaset.unanswerable
    assert len(qaset.questions) >= 60 and len(unanswerable) >= 20
    assert sum(q.hard_negative for q in unanswerable) >= len(unanswerable) / 3
    assert len({q.file for q in answerable}) >= 30  # spread over many documents
    assert {q.file.split("/")[0] for q in answerable} == {"deliberations-montpellier", "guides-etalab"}
    demo = [q for q in answerable if "forfaitaire remboursé par repas" in q.question]
    assert demo and demo[0].file.endswith("2014-04-24-0000071251.pdf") and demo[0].page == 2


def test_committed_domain_set_holds_against_shared(shared, monkeypatch):
    """Every gold string on the page the set names, every « absent » string nowhere."""
    monkeypatch.setenv("CLOS_SHARED_DIR", str(shared))
    qaset = load_qa(DOMAIN)
    assert qaset.root == shared / "corpus"
    assert check_corpus(qaset) == []
