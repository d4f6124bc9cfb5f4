"""Repeated blocks across documents (issue 15): a legal preamble found in many documents of a
collection stays in the text but leaves the lexical index; a decision's own content never does.
Documents are generated here (plain text files), ingested by the real pipeline (BM25 only)."""

from __future__ import annotations

from clos.govern import boilerplate
from clos.govern.report import build_report, render_html
from clos.pipeline import Clos
from clos.retrieve.repeats import chunk_terms
from test_store_contract import pg_url, target  # noqa: F401  (fixtures: SQLite file or PostgreSQL)

PREAMBLE = (
    "Vu le Code général des collectivités territoriales, notamment son article L. 2121-29 ;\n"
    "Vu le budget primitif de l'exercice en cours adopté par le conseil municipal ;\n"
    "Considérant l'intérêt général qui s'attache au développement de la vie associative ;\n"
)
TARIFF = "Le tarif du repas servi aux enfants des écoles est fixé à 15,25 € par repas."
CLOSING = "Adopté à l'unanimité des membres présents et représentés du conseil municipal."
OWN = [
    "La Ville attribue une subvention aux jardiniers des Aubes pour entretenir les potagers.",
    "La Ville signe une convention avec le club de voile pour l'accueil des scolaires au lac.",
    "La Ville acquiert une parcelle boisée près du ruisseau pour créer un sentier botanique.",
    "La Ville rénove la toiture de la médiathèque et remplace son système de chauffage.",
    "La Ville organise un festival de musique baroque dans la cour de l'ancien couvent.",
    "La Ville confie la gestion du marché aux fleurs à un délégataire pour cinq années.",
]


def _write(folder, n=len(OWN)):
    folder.mkdir(exist_ok=True)
    for i, own in enumerate(OWN[:n]):
        (folder / f"deliberation-{i}.txt").write_text(
            f"Délibération n° 2024-{i:03d}\n\n{PREAMBLE}\n{own}\n{TARIFF}\n\n{CLOSING}\n",
            encoding="utf-8")


def test_a_line_counts_once_per_document_and_amounts_or_short_lines_never():
    visa = "Vu le Code général des collectivités territoriales et ses articles ;"
    tariff = "Le tarif est fixé à 15,25 € par repas servi aux enfants des écoles."
    same_doc = [(k, 1, f"{visa}\nDécide :") for k in range(6)]
    assert boilerplate.find(same_doc, 5).spans == {}
    across = [(k, k, f"Décide :\n  - {visa.upper()}\n{tariff}") for k in range(5)]
    found = boilerplate.find(across, 5)
    start = across[0][2].index("VU")
    assert found.spans == {k: ((start - 2, start + len(visa)),) for k in range(5)}
    assert found.blocks == 1 and found.top() == [(5, f"- {visa.upper()}")]
    assert boilerplate.find(across, 6).spans == {} and boilerplate.find(across, 0).spans == {}
    assert boilerplate.normalise("  - Vu le Code Général ;") == "vu le code general"


def test_a_chunk_made_only_of_repeated_lines_leaves_the_index_whole():
    text = "Vu le Code général des collectivités territoriales et ses articles ;\nDécide :"
    spans = ((0, text.index("\n")),)
    body, meta = chunk_terms("deliber", text, ("Visas",), spans)
    assert "decid" in body.split() and "collect" not in body.split() and meta.startswith("deliber")
    assert chunk_terms("deliber", text[:spans[0][1]], ("Visas",), spans) == ("", "")


def _paths(clos, question):
    return [h.path.rsplit("/", 1)[-1] for h in clos.retrieve(question, collection="delib")]


def test_the_preamble_leaves_the_index_the_decisions_stay(tmp_path, settings, target):
    folder = tmp_path / "delib"
    _write(folder)
    with Clos(settings.replace(boilerplate_min_documents=0)) as off:
        off.ingest([folder], collection="delib")
        assert len(_paths(off, "code général des collectivités territoriales")) == 6
    data = tmp_path / "data"
    with Clos(settings.replace(data_dir=data, store=target, boilerplate_min_documents=5)) as clos:
        report = clos.ingest([folder], collection="delib")
        # Three visas and the closing formula, in six documents; the tariff line holds an amount.
        assert report.repeats["blocks"] == 4 and report.repeats["lines"] == 24
        assert report.repeats["chunks_marked"] == 6 and report.repeats["chunks_whole"] == 0
        assert _paths(clos, "code général des collectivités territoriales") == []
        assert _paths(clos, "jardiniers potagers des Aubes")[0] == "deliberation-0.txt"
        assert _paths(clos, "festival de musique baroque")[0] == "deliberation-4.txt"
        assert len(_paths(clos, "tarif du repas des enfants")) == 6
        hit = clos.retrieve("potagers des Aubes", collection="delib")[0]
        assert PREAMBLE.splitlines()[0] in hit.text and CLOSING in hit.text  # still read
        cid = clos.store.collection_id("delib")
        assert clos.store.boilerplate_counts(cid) == {"chunks": 6, "chunks_marked": 6}
        report = build_report(clos.store, cid, collection="delib", settings=clos.settings)
        assert report["repeated"] == {"chunks": 6, "chunks_marked": 6}
        assert "présents dans <strong>6</strong> extrait(s) sur 6" in render_html(report)
        # A seventh document with the same preamble is marked on the run that adds it.
        (folder / "deliberation-6.txt").write_text(
            f"Délibération\n\n{PREAMBLE}\nLa Ville nomme un conciliateur.\n", encoding="utf-8")
        report = clos.ingest([folder], collection="delib")
        assert report.repeats["changed"] == 1 and report.repeats["lines"] == 27
        assert _paths(clos, "code général des collectivités territoriales") == []
        # Fewer documents than the threshold: the preamble is searchable again.
        for i in range(3, 7):
            (folder / f"deliberation-{i}.txt").unlink()
        report = clos.ingest([folder], collection="delib", sync=True)
        assert report.repeats["blocks"] == 0 and report.repeats["changed"] == 3
        assert len(_paths(clos, "code général des collectivités territoriales")) == 3
        assert clos.store.boilerplate_counts(cid)["chunks_marked"] == 0


def test_ingest_tells_what_left_the_index(tmp_path):
    from typer.testing import CliRunner

    from clos.cli.main import app

    _write(tmp_path / "delib")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "delib"), "--collection", "delib"])
    assert result.exit_code == 0, result.output
    assert "4 bloc(s) communs à plusieurs documents" in " ".join(result.output.split())
    assert "24 ligne(s) dans 6 extrait(s)" in " ".join(result.output.split())
