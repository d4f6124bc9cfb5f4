"""Issue 15 on the real corpus: the labelled sample of the old detector's « person » detections
(tests/data/pii_corpus_sample.jsonl, 454 labelled by reading their context, plus 46 identifiers)
scored through the governance pass, and `clos eval pii`.

Thresholds are the issue's goals, met here with a small margin below what
`clos eval pii` measured (precision_people 0.986, 0.981 before spaCy's other labels vetoed names;
precision_private 0.909, recall_private 1.0, exact spans 0.990; identifiers 1.0; synthetic
PERSONNE recall 0.995)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clos.govern.evaluate import evaluate, evaluate_corpus
from clos.cli.main import app

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "pii_corpus_sample.jsonl"
SYNTHETIC = DATA / "pii_fr.jsonl"


@pytest.fixture(scope="module")
def scored(corpus):
    from clos.settings import Settings

    return evaluate_corpus(SAMPLE, corpus, Settings.load(env={}), public_roles="garder")


def test_sample_is_labelled_and_large_enough():
    items = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    people = [i for i in items if i["label"] in ("private", "public", "not_person")]
    assert len(people) >= 300
    assert {i["label"] for i in people} == {"private", "public", "not_person"}
    assert all(set(i) >= {"file", "offset", "text", "context", "label", "gold"} for i in items)
    assert all(i["text"] in i["context"] for i in items)


def test_what_is_pseudonymised_as_a_person_is_a_person(scored):
    person = scored["person"]
    assert scored["errors"] == []  # every labelled detection found again in the text read now
    assert person["precision_people"] >= 0.95
    assert scored["baseline"]["precision_people"] < 0.5  # the fault the issue describes


def test_default_policy_pseudonymises_private_persons_only(scored):
    person = scored["person"]
    assert person["precision_private"] >= 0.90
    assert person["recall_private"] >= 0.98
    assert person["recall_public"] >= 0.93  # still recognised as people (pseudonymiser policy)


def test_spans_and_identifiers(scored):
    assert scored["person"]["exact_spans"] >= 0.97
    assert scored["baseline"]["exact_spans"] < 0.75
    for type_, s in scored["identifiers"].items():
        assert s["recall"] >= 0.98, type_


def test_synthetic_set_keeps_its_recall():
    result = evaluate(SYNTHETIC)
    for type_, s in result["types"].items():
        if s["tp"] + s["fn"]:
            assert s["recall"] >= 0.98, type_
    assert result["types"]["PERSONNE"]["precision"] >= 0.98


def test_cli_eval_pii(corpus, tmp_path):
    # Two files of the sample keep the command quick; the whole sample is scored above.
    items = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    files = sorted({i["file"] for i in items if i["label"] == "private"})[:1] \
        + sorted({i["file"] for i in items if i["file"].startswith("guides-etalab")})[:1]
    small = tmp_path / "sample.jsonl"
    small.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items
                             if i["file"] in files), encoding="utf-8")
    runner = CliRunner()
    args = ["eval", "pii", "--sample", str(small), "--synthetic", str(SYNTHETIC),
            "--corpus", str(corpus), "--out-dir", str(tmp_path)]
    result = runner.invoke(app, args + ["--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["real"]["files"] == 2 and payload["real"]["person"]["recall_private"] == 1.0
    assert payload["synthetic"]["types"]["NIR"]["recall"] == 1.0
    assert (tmp_path / "eval_pii_garder.json").is_file()
    result = runner.invoke(app, args + ["--roles-publics", "pseudonymiser"])
    assert result.exit_code == 0, result.output
    assert "Jeu synthétique" in result.output and "personnes privées" in result.output
    result = runner.invoke(app, args + ["--roles-publics", "publier"])
    assert result.exit_code == 1 and "pseudonymiser" in result.output
