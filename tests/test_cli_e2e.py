"""End to end through the CLI: real PDFs and Markdown from ../shared, real SQLite, real gemma3-270m."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from clos.answer.prompts import REFUSAL
from clos.cli.main import app

pytestmark = pytest.mark.slow

REPAS_PDF = "2014-04-24-0000071251.pdf"  # travel expenses: 15,25 € per meal, on page 2
OTHER_PDFS = ["2014-04-24-0000071244.pdf", "2014-04-24-0000071246.pdf", "2014-04-24-0000071247.pdf"]
GUIDES = ["accueil.md", "pseudonymisation"]


@pytest.fixture
def docs(corpus, tmp_path, dense):
    folder = tmp_path / "docs"
    (folder / "pdf").mkdir(parents=True)
    for name in [REPAS_PDF, *OTHER_PDFS]:
        shutil.copy(corpus / "deliberations-montpellier" / "pdf" / name, folder / "pdf" / name)
    guides = corpus / "guides-etalab"
    shutil.copy(guides / "accueil.md", folder / "accueil.md")
    shutil.copytree(guides / "pseudonymisation", folder / "pseudonymisation")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def ingest_json(*args: str) -> dict:
    code, out = run("ingest", *args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_ingest_ask_refuse_reingest_sync(docs):
    first = ingest_json(str(docs))
    n_md = len(list(docs.rglob("*.md")))
    assert first["indexed"] == 4 + n_md and first["failed"] == 0 and first["chunks"] > 10
    assert first["pages"] >= 4
    assert first["vectors"] == first["chunks"]  # the default embedder ran on every chunk

    code, out = run("ask", "Quel est le montant forfaitaire remboursé par repas aux agents "
                    "en déplacement ?", "--model", "gemma3-270m", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert set(answer) >= {"question", "answer", "refused", "citations", "model", "usage",
                           "timings"}
    assert not answer["refused"], answer
    assert "15,25" in answer["answer"]
    assert answer["grounding"] >= 0.82  # the passage it drew on is about the question
    sources = {(c["source"].rsplit("/", 1)[-1], c["page"]) for c in answer["citations"]}
    assert (REPAS_PDF, 2) in sources
    cited = next(c for c in answer["citations"] if c["source"].endswith(REPAS_PDF))
    assert "15,25" in cited["quote"] and cited["chunk_id"] > 0
    assert answer["usage"]["prompt_tokens"] > 50 and answer["usage"]["completion_tokens"] > 0
    assert 0 < answer["timings"]["ttft_s"] <= answer["timings"]["total_s"]

    code, out = run("ask", "Quel est le tarif d'un abonnement annuel au tramway de Lyon pour un "
                    "étudiant ?", "--model", "gemma3-270m", "--json")
    refusal = json.loads(out)
    assert code == 0 and refusal["refused"] is True and refusal["answer"] == REFUSAL
    assert refusal["citations"] == []

    # Streaming terminal output: the key passage first (file, page, the sentence holding the
    # answer), then the answer, then "[n] file — page — quote". The facts were checked on the
    # JSON answer above; asked third in the same process (its prompt cache holds the refused
    # question's prefix), the small base model may word or miss this one differently.
    code, out = run("ask", "Quel est le montant forfaitaire remboursé par repas aux agents "
                    "en déplacement ?", "--model", "gemma3-270m")
    assert code == 0 and "Sources" in out and "Wh" in out
    key = out.split("Passage clé — ", 1)[1]
    assert key.startswith(f"{REPAS_PDF} — page ") and "\n« " in key

    again = ingest_json(str(docs))
    assert again["indexed"] == 0 and again["skipped"] == first["indexed"]

    (docs / "pdf" / REPAS_PDF).unlink()
    synced = ingest_json(str(docs), "--sync")
    assert synced["removed"] == 1 and synced["indexed"] == 0
    code, out = run("ask", "Quel est le montant forfaitaire remboursé par repas aux agents "
                    "en déplacement ?", "--model", "gemma3-270m", "--json")
    assert REPAS_PDF not in out


def test_changed_file_is_reindexed_and_bad_files_do_not_stop_the_rest(docs):
    ingest_json(str(docs))
    (docs / "accueil.md").write_text("# Accueil\n\nLe guide a changé : nouvelle version.\n",
                                     encoding="utf-8")
    (docs / "casse.pdf").write_bytes(b"%PDF-1.4 ceci n'est pas un PDF")
    (docs / "vide.txt").write_bytes(b"")
    report = ingest_json(str(docs))
    assert report["indexed"] == 1
    failed = {e["path"].rsplit("/", 1)[-1]: e["reason"] for e in report["errors"]}
    assert set(failed) == {"casse.pdf", "vide.txt"}
    code, out = run("ingest", str(docs))
    assert code == 0 and "casse.pdf" in out
    broken = docs.parent / "seulement-casses"
    broken.mkdir()
    (broken / "casse.pdf").write_bytes(b"%PDF-1.4 ceci n'est pas un PDF")
    (broken / "vide.txt").write_bytes(b"")
    code, out = run("ingest", str(broken), "--collection", "casses")
    assert code == 1 and "casse.pdf" in out and "vide.txt" in out  # every file failed: an error


def test_logged_answers_and_clear_errors(docs, settings):
    code, out = run("ask", "Une question ?")
    assert code == 1 and "est vide" in out and "clos ingest" in out
    code, out = run("ingest", str(docs / "absent"))
    assert code == 1 and "introuvable" in out
    ingest_json(str(docs))
    run("ask", "Quel est le tarif du tramway de Lyon ?", "--json")
    from clos.store import open_store

    rows = open_store(settings).answers()
    assert rows and rows[0]["question"].startswith("Quel est le tarif") and rows[0]["refused"] == 1
