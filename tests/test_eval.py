"""`clos eval`: the harness (loaders, metrics, runners, CLI), asserted on its behaviour, not scores."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clos.cli.main import app
from clos.eval import load
from clos.eval.answers import AnswerRecord, strip_markers, summarize
from clos.eval.datasets import DatasetError
from clos.eval.metrics import (
    contains,
    mrr_at,
    ndcg_at,
    normalize,
    percentile,
    rank_of,
    recall_at,
    token_f1,
)
from clos.eval.report import markdown_table, write_json

FILES = {
    "piaf": "eval/piaf-v1.0.json",
    "kb532": "eval/service-public/spf_qr_test_kb532.json",
    "triples": "eval/service-public/questions_spf.json",
    "faq": "eval/crpa_squad.json",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# ----------------------------------------------------------------------------------- metrics
def test_rank_metrics_on_a_hand_checked_case():
    ranks = [rank_of(["a", "b", "c"], "a"), rank_of(["a", "b", "c"], "c"),
             rank_of(["x"] * 10 + ["d"], "d"), rank_of(["b", "d"], {"d", "z"})]
    assert ranks == [1, 3, 11, 2]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.75
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert ndcg_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 0 + 1 / 1.5849625) / 4)
    assert recall_at([], 5) == 0.0 and rank_of([], "a") is None


def test_percentiles_interpolate():
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([], 95) == 0.0


def test_answer_normalisation_contains_and_f1():
    assert normalize("L’« Hôtel de Ville », 100 000 €.") == "hotel ville 100000 €"
    assert contains("Il a étudié en Tanzanie [1].", ["tanzanie"])
    assert contains("Environ 100000 personnes.", ["100 000"])
    assert not contains("La Tanzanienne", ["Tanzanie"])  # whole words only
    assert token_f1("le Néoclassique.", ["néoclassique"]) == 1.0
    assert token_f1("style néoclassique", ["néoclassique"]) == pytest.approx(2 / 3)  # P ½, R 1
    assert token_f1("rien", ["néoclassique"]) == 0.0
    assert strip_markers("A [1]. B [2, 3].") == "A. B."


def test_answer_summary_counts_refusals_and_citations():
    def rec(refused, contains_gold, cited, refused_out):
        return AnswerRecord(id="q", question="?", gold=["x"], answer="", refused=refused,
                            contains_gold=contains_gold, f1=1.0 if contains_gold else 0.0,
                            citation_correct=None if refused else cited, unsupported=[],
                            prompt_tokens=100, completion_tokens=0 if refused else 10,
                            ttft_s=1.0, total_s=2.0, refused_unanswerable=refused_out)

    m = summarize([rec(False, True, True, True), rec(False, False, False, True),
                   rec(True, False, None, True), rec(False, True, True, False)])
    assert m["contains_gold"] == 0.5 and m["f1"] == 0.5
    assert m["citation_correct"] == pytest.approx(2 / 3)
    assert m["refusal_answerable"] == 0.25 and m["refusal_unanswerable"] == 0.75
    assert m["completion_tokens"] == 10 and m["seconds"] == 2.0


def test_markdown_table_and_json_writer(tmp_path):
    table = markdown_table(["jeu", "R@1", "p95_ms"], [("piaf", 0.81234, 23.456)])
    assert table.splitlines() == ["| jeu | R@1 | p95_ms |", "|---|---|---|", "| piaf | 0.812 | 23.5 |"]
    path = write_json({"kind": "test", "metrics": {"R@1": 0.5}}, "x.json", tmp_path)
    data = json.loads(path.read_text())
    assert data["metrics"] == {"R@1": 0.5} and "environment" in data


# ----------------------------------------------------------------------------------- loaders
def test_every_shared_format_loads(shared):
    piaf = load(shared / FILES["piaf"])
    assert piaf.format == "squad" and len(piaf.documents) == 761 and len(piaf.questions) == 3835
    q = piaf.questions[0]
    doc = next(d for d in piaf.documents if d.id == q.doc_id)
    assert q.answers and q.answers[0] in doc.text and doc.title
    kb = load(shared / FILES["kb532"], body_only=True)
    assert len(kb.documents) == 532 and len(kb.questions) == 105
    assert all(d.title == "" for d in kb.documents)
    triples = load(shared / FILES["triples"])
    assert triples.format == "triples" and len(triples.questions) == 535
    assert {q.doc_id for q in triples.questions} <= {d.id for d in triples.documents}
    faq = load(shared / FILES["faq"])
    assert len(faq.questions) == 38 and all(q.answers for q in faq.questions)


def test_faq_files_and_bad_files(tmp_path):
    listed = tmp_path / "faq.json"
    listed.write_text(json.dumps([{"question": "Qui vote le budget ?",
                                   "answer": "Le conseil municipal vote le budget."}]))
    mapping = tmp_path / "faq2.json"
    mapping.write_text(json.dumps({"Qui vote le budget ?": "Le conseil municipal."}))
    for path in (listed, mapping):
        faq = load(path)
        assert faq.format == "faq" and faq.questions[0].doc_id == faq.documents[0].id
        assert faq.questions[0].answers == [faq.documents[0].text]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DatasetError):
        load(tmp_path / "bad.json")
    with pytest.raises(DatasetError):
        load(tmp_path / "absent.json")


def test_samples_are_reproducible(shared):
    piaf = load(shared / FILES["piaf"])
    first = [q.id for q in piaf.sample(10, seed=1)]
    assert first == [q.id for q in piaf.sample(10, seed=1)]
    assert first != [q.id for q in piaf.sample(10, seed=2)]
    assert len(piaf.sample(None)) == len(piaf.questions)


# --------------------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("name", list(FILES))
def test_cli_eval_retrieval_runs_and_writes_json(shared, tmp_path, name):
    code, out = run("eval", "retrieval", "--squad", str(shared / FILES[name]), "--body-only",
                    "--limit", "30", "--out-dir", str(tmp_path), "--json")
    assert code == 0, out
    printed = json.loads(out)
    written = json.loads(next(tmp_path.glob("eval_retrieval_*_body.json")).read_text())
    assert printed["metrics"] == written["metrics"]
    m = written["metrics"]
    assert m["questions"] == 30 and written["config"]["questions"] == 30
    for key in ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10"):
        assert 0.0 <= m[key] <= 1.0
    assert m["R@1"] <= m["R@5"] <= m["R@10"] and m["MRR@10"] <= m["R@10"]
    assert 0 < m["p50_ms"] <= m["p95_ms"]


def test_cli_eval_retrieval_prints_a_markdown_table(shared, tmp_path):
    code, out = run("eval", "retrieval", "--squad", str(shared / FILES["faq"]), "--k", "5",
                    "--out-dir", str(tmp_path))
    assert code == 0, out
    assert "| R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | p50_ms | p95_ms |" in out
    assert (tmp_path / "eval_retrieval_crpa_squad.json").exists()


def test_cli_eval_reports_a_missing_file_in_french(tmp_path):
    code, _ = run("eval", "retrieval", "--squad", str(tmp_path / "absent.json"))
    assert code != 0


@pytest.mark.slow
def test_cli_eval_answers_end_to_end_with_the_small_model(shared, tmp_path):
    code, out = run("eval", "answers", "--squad", str(shared / FILES["piaf"]), "--sample", "3",
                    "--model", "gemma3-270m", "--out-dir", str(tmp_path), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["sample"] == 3 and len(data["records"]) == 3
    written = json.loads((tmp_path / "eval_answers_piaf-v1.0.json").read_text())
    assert written["metrics"] == data["metrics"] and written["model"] == "gemma3-270m"
    m = data["metrics"]
    for key in ("contains_gold", "f1", "citation_correct", "refusal_answerable",
                "refusal_unanswerable"):
        assert 0.0 <= m[key] <= 1.0
    for r in data["records"]:
        assert r["gold"] and isinstance(r["refused"], bool)
        assert isinstance(r["refused_unanswerable"], bool)
        assert r["total_s"] > 0
    assert m["seconds"] > 0
