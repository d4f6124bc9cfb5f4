"""The demo's first question (issue 12): the chunk holding « 15,25€ » (page 2 of
2014-04-24-0000071251.pdf, under « A) Remboursement des repas du midi et du soir : » which ends
page 1) must be among the top 3 hits, and a quote of it must cite page 2."""

from __future__ import annotations

import shutil

import pytest

from clos.pipeline import Clos
from clos.settings import Settings

QUESTION = ("Quel est le montant forfaitaire remboursé par repas aux agents de la Ville de "
            "Montpellier en déplacement ?")
DEMO = "2014-04-24-0000071251.pdf"


def _top_hits(folder, settings=None):
    with Clos(settings or Settings.load()) as clos:
        report = clos.ingest([folder])
        assert report.failed == 0
        return clos.retrieve(QUESTION)[:3]


def _assert_found(hits):
    found = [h for h in hits if h.path.endswith(DEMO) and "15,25€" in h.text]
    assert found, [(h.path, h.page, h.text[:80]) for h in hits]
    hit = found[0]
    assert hit.page == 2  # what a citation of the chunk gives
    assert hit.page_for("montant forfaitaire de 15,25€ par repas") == 2
    assert "A) Remboursement des repas du midi et du soir" in hit.text


def _subset(corpus, tmp_path, count):
    folder = tmp_path / "deliberations"
    folder.mkdir()
    files = sorted((corpus / "deliberations-montpellier/pdf").glob("*.pdf"))
    chosen = [f for f in files if f.name == DEMO] + [f for f in files if f.name != DEMO][:count - 1]
    for f in chosen:
        shutil.copy(f, folder / f.name)
    return folder


def test_demo_question_finds_the_meal_allowance_among_neighbours(corpus, tmp_path):
    _assert_found(_top_hits(_subset(corpus, tmp_path, 12)))


@pytest.mark.slow
def test_demo_question_over_all_deliberations(corpus):
    _assert_found(_top_hits(corpus / "deliberations-montpellier/pdf"))


@pytest.mark.slow
def test_demo_question_with_the_default_embedder(corpus, tmp_path, dense):
    _assert_found(_top_hits(_subset(corpus, tmp_path, 20)))
