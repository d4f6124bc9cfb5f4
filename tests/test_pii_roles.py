"""Issue 15, rules: what is not a person, exact spans, people acting in a public role kept under
public_roles="garder" and pseudonymised under "pseudonymiser", private persons pseudonymised
everywhere, the attendance list kept once as metadata, the collection's list of public names and
the report. All names here are invented."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clos import govern
from clos.errors import GovernanceError
from clos.govern import Governor
from clos.govern.pii import detect
from clos.govern.report import build_report, render_html
from clos.govern.roles import attendance_blocks
from clos.store import open_store
from clos.types import Document, Section
from clos.cli.main import app
from test_store_contract import pg_url  # noqa: F401  (fixture: a fresh PostgreSQL schema)


def people(text: str) -> list[str]:
    return [f.text for f in detect(text) if f.type == "PERSONNE"]


@pytest.fixture
def store(settings):
    s = open_store(settings)
    yield s
    s.close()


# ------------------------------------------------------------------ not a person
@pytest.mark.parametrize("text", [
    "Travaux au groupe scolaire Jean ZAY et à l'école maternelle Pablo NERUDA.",
    "Réfection de la rue Victor Hugo et de l'avenue Georges Clemenceau.",
    "Les écoles maternelles Marie CURIE et Jules VERNE accueillent les enfants.",
    "Le gymnase Alain MIMOUN et la médiathèque Émile ZOLA ferment en août.",
])
def test_places_named_after_people_are_not_people(text):
    assert people(text) == []


def test_school_and_neighbourhood_in_a_table():
    text = ("Ecole maternelle : -Yvette BRACONNIER Ecole élémentaire : -Yvette BRACONNIER\n"
            "Jean ZAY PORT MARIANNE\nPablo PICASSO MOSSON\nMarie CURIE CROIX D'ARGENT\n"
            "Ecole maternelle : -Octave GRANDPRE")
    found = people(text)
    assert not any(n for n in found if "ZAY" in n or "PICASSO" in n or "CURIE" in n), found


@pytest.mark.parametrize("text", [
    "Le fichier est publié au format JSON et décrit par un XML Schema.",
    "Exportez la couche MapInfo TAB puis interrogez L'API Adresse.",
    "ogr2ogr --config OGR_WFS_PAGING_ALLOWED ON communes.geojson",
    "Supposons qu'une caisse d'allocations familiales (CAF) dispose d'un fichier. Si la CAF souhaite le publier.",
    "Utiliser le WFS de l'IGN. Financement de la ZAC et Opération OVALIE.",
])
def test_acronyms_formats_and_phrases_are_not_people(text):
    assert people(text) == []


def test_exact_spans():
    assert people("Marie Dupré Directrice du service est présente.") == ["Marie Dupré"]
    assert people("Présents : Sabine VERNOUX, Octave GRANDPRE Suppléants : Léon ABRIAL") == \
        ["Sabine VERNOUX", "Octave GRANDPRE", "Léon ABRIAL"]


def test_people_are_still_found():
    assert people("Mme Nadia KERBOUL, demeurant à Lattes, sollicite une aide.") == ["Nadia KERBOUL"]
    assert people("Bénéficiaires : M et Mme FALCOZ, Mme Zoé BRANDIER.") == ["FALCOZ", "Zoé BRANDIER"]


# ------------------------------------------------------------------ public roles
DELIB = (
    "Extrait du registre des délibérations du Conseil Municipal. Séance publique du 3 mars 2025, "
    "sous la présidence de Monsieur le Maire, Armand VERLAC Présents : Sabine VERNOUX,Octave "
    "GRANDPRE, Léon ABRIAL, Armand VERLAC. Absents ayant voté par procuration : Irène TOUZET. "
    "Absents :\n\n"
    "Subvention exceptionnelle\n\n"
    "Madame Sabine VERNOUX, Adjointe au Maire, rapporte : la commission propose d'accorder une "
    "subvention de 1 500 euros à Mme Nadia KERBOUL, demeurant à Lattes, pour la réfection de sa "
    "façade. Le Conseil adopte. Pour extrait conforme, Le Maire, Armand VERLAC"
)


def _doc(text: str = DELIB, path: str = "/docs/delib-1.txt") -> Document:
    return Document(path=path, title="Délibération", format="txt",
                    sections=[Section(t) for t in text.split("\n\n")])


def test_attendance_block_found():
    blocks = attendance_blocks(DELIB)
    assert len(blocks) == 1
    block = DELIB[blocks[0].start:blocks[0].end]
    assert block.startswith("Présents :") and "Irène TOUZET" in block
    assert "Subvention" not in block


def test_public_roles_kept_private_persons_pseudonymised(store, settings):
    cid = store.collection_id("conseil")
    review = Governor(store, settings, cid).review(_doc())
    text = review.document.text
    assert review.public_document and review.document.metadata["attendance"].startswith("Présents")
    assert "Présents" not in text  # the list left the indexed text, kept once as metadata
    assert "Madame Sabine VERNOUX, Adjointe au Maire" in text and "Armand VERLAC" in text
    assert "KERBOUL" not in text and "Mme [PERSONNE_1], demeurant" in text
    assert {f.text for f in review.public} >= {"Sabine VERNOUX", "Armand VERLAC"}
    assert review.pii_counts()["PERSONNE"] == 1 and review.pii_counts()["PERSONNE_PUBLIQUE"] >= 4
    assert {"Sabine VERNOUX", "Irène TOUZET"} <= set(review.public_names)


def test_pseudonymiser_policy_replaces_public_roles_too(store, settings):
    cid = store.collection_id("conseil")
    govern.set_policy(store, cid, settings, public_roles="pseudonymiser")
    assert govern.get_policy(store, cid, settings).public_roles == "pseudonymiser"
    review = Governor(store, settings, cid).review(_doc())
    governed = review.document.text + review.document.metadata["attendance"]
    for name in ("VERNOUX", "VERLAC", "KERBOUL", "TOUZET"):
        assert name not in governed, name
    with pytest.raises(GovernanceError):
        govern.set_policy(store, cid, settings, public_roles="publier")


def test_individual_file_names_nobody_in_a_public_role(store, settings):
    hr = ("Arrêté portant recrutement. Le Maire, Armand VERLAC, arrête : Mme Nadia KERBOUL, née le "
          "12/03/1985, est recrutée.")
    review = Governor(store, settings, store.collection_id("rh")).review(_doc(hr, "/rh/a.txt"))
    assert not review.public_document and review.public == []
    assert "VERLAC" not in review.document.text and "KERBOUL" not in review.document.text


def test_collection_list_learnt_and_reported(store, settings):
    cid = store.collection_id("conseil")
    g = Governor(store, settings, cid)
    first = g.review(_doc())
    g.record(first, store.replace_document(cid, first.document, [], [], 0))
    # A later document names an elected member without any role context: known, kept.
    later = _doc("Rapport annuel de la commission culture.\n\nLéon ABRIAL a présenté le bilan.",
                 "/docs/rapport.txt")
    second = Governor(store, settings, cid).review(later)
    assert "Léon ABRIAL a présenté" in second.document.text
    g.record(second, store.replace_document(cid, second.document, [], [], 0))
    report = build_report(store, cid, collection="conseil", settings=settings)
    names = {n["name"] for n in report["public_names"]}
    assert {"Sabine VERNOUX", "Léon ABRIAL", "Armand VERLAC"} <= names
    assert report["totals"]["with_pii"] == 1  # KERBOUL; the second document names only an élu
    assert report["documents_with_public_names"] == 2
    page = render_html(report)
    assert "Noms dans un rôle public" in page and "Sabine VERNOUX" in page


def test_cli_policy_public_roles(store, settings):
    store.collection_id(settings.collection)
    runner = CliRunner()
    result = runner.invoke(app, ["policy", "set", "--roles-publics", "pseudonymiser"])
    assert result.exit_code == 0, result.output
    assert "Rôles publics (élus, agents dans leurs fonctions) : pseudonymiser" in result.output
    result = runner.invoke(app, ["policy", "show", "--json"])
    assert json.loads(result.stdout)["public_roles"] == "pseudonymiser"
    result = runner.invoke(app, ["policy", "set", "--roles-publics", "publier"])
    assert result.exit_code == 1 and "garder" in result.output


# ------------------------------------------------------------------ both store backends
@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    from clos.store import store_at

    target = (str(tmp_path / "db.sqlite3") if request.param == "sqlite"
              else request.getfixturevalue("pg_url"))
    s = store_at(target)
    yield s
    s.close()


def test_public_roles_in_both_stores(any_store, settings):
    cid = any_store.collection_id("conseil")
    assert any_store.public_roles(cid) is None
    assert govern.get_policy(any_store, cid, settings).public_roles == "garder"
    any_store.set_public_roles(cid, "pseudonymiser", "pseudonymise")
    assert any_store.public_roles(cid) == "pseudonymiser"
    any_store.add_public_names(cid, [("abrial leon", "Léon ABRIAL")], "/a.txt")
    any_store.add_public_names(cid, [("abrial leon", "Léon ABRIAL"), ("touzet irene", "Irène TOUZET")],
                               "/b.txt")
    names = {n["name"]: n["documents"] for n in any_store.public_names(cid)}
    assert names == {"Léon ABRIAL": 2, "Irène TOUZET": 1}
