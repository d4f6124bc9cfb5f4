"""`clos eval answers --qa` end to end: real documents from ../shared (three files copied into a
folder), four questions of the committed domain set, the small real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clos.cli.main import app
from clos.eval.funnel import STAGES
from clos.eval.qa import load_qa

DOMAIN = Path(__file__).resolve().parent / "data" / "qa_domain.json"
IDS = ["a01", "a21", "a53", "u02"]  # meal allowance, FISE total, open-data threshold, Toulouse


@pytest.fixture
def small_set(tmp_path, shared, monkeypatch) -> Path:
    """The four questions over a folder holding only their three documents."""
    monkeypatch.setenv("CLOS_SHARED_DIR", str(shared))
    full = load_qa(DOMAIN)
    questions = [q for q in json.loads(DOMAIN.read_text(encoding="utf-8"))["questions"]
                 if q["id"] in IDS]
    files = {q["file"] for q in questions if q.get("file")}
    for rel in files:
        (tmp_path / "corpus" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(full.root / rel, tmp_path / "corpus" / rel)
    path = tmp_path / "small.json"
    path.write_text(json.dumps({
        "name": "small", "format": "clos-qa-1", "root": "corpus",
        "folders": ["deliberations-montpellier/pdf", "guides-etalab"], "questions": questions,
    }, ensure_ascii=False), encoding="utf-8")
    monkeypatch.delenv("CLOS_SHARED_DIR")  # the set's root is its own folder
    return path


@pytest.mark.slow
def test_eval_answers_qa_end_to_end(small_set, tmp_path):
    out = tmp_path / "results"
    index = tmp_path / "index"
    result = CliRunner().invoke(app, ["eval", "answers", "--qa", str(small_set), "--json",
                                      "--out-dir", str(out), "--index-dir", str(index)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["kind"] == "answers_qa" and payload["dataset"] == "small"
    assert payload["index"]["documents"] == 3 and payload["index"]["failed"] == 0
    records = {r["id"]: r for r in payload["records"]}
    assert set(records) == set(IDS)
    for rid in ("a01", "a21", "a53"):
        stages = records[rid]["stages"]
        assert set(stages) == set(STAGES)
        # The gold strings are on their pages as Clos reads them, and the only three documents
        # are all candidates: the gold passage is in the pool whatever the model does.
        assert stages["read"] is True and stages["pool"] is True, (rid, stages)
        assert stages["answer"] == records[rid]["correct"]
    assert records["u02"]["stages"] == {}
    m = payload["metrics"]
    assert m["answerable"] == 3 and m["unanswerable"] == 1
    assert {f["stage"] for f in payload["funnel"]} == set(STAGES)
    # A question is lost at its first failing stage: an answer right but cited on the wrong
    # page is lost at « cited », so the losses are the questions with any stage failing.
    assert sum(f["lost"] for f in payload["funnel"]) == sum(
        not all(v for v in records[r]["stages"].values() if v is not None)
        for r in ("a01", "a21", "a53"))
    assert "relevance_max" in payload["auroc"]
    assert (out / "eval_answers_small.json").is_file()
    # A second run reuses the index (same files, same code).
    again = CliRunner().invoke(app, ["eval", "answers", "--qa", str(small_set), "--only", "u02",
                                     "--out-dir", str(out), "--index-dir", str(index)])
    assert again.exit_code == 0, again.output
    assert "signal de confiance" in again.output and "u02" in again.output


def test_eval_answers_needs_one_set(tmp_path):
    result = CliRunner().invoke(app, ["eval", "answers"])
    assert result.exit_code != 0 and "--squad" in result.output and "--qa" in result.output
