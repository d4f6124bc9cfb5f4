"""The three postures and what each forbids, the collection templates, `clos init` and doctor."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clos.cli.main import app
from clos.collection_templates import SANDBOX_WARNING, TEMPLATES, create, settings_for
from clos.errors import ConfigError
from clos.govern.policy import get_policy
from clos.llm import load_llm
from clos.llm.protocol import Prompt
from clos.llm.shield import ShieldedLLM
from clos.pipeline import Clos
from clos.posture import POSTURES, PRUDENT_MIN_RELEVANCE, SANDBOX
from clos.settings import Settings
from servers.spawn import free_port, recorder

NAME, EMAIL, PHONE = "Jean Dupont", "jean.dupont@exemple.fr", "06 12 34 56 78"
QUESTION = f"Quel est le tarif de la cantine ? Répondez-moi à {EMAIL} ou au {PHONE}."
CANTINE = ("Le tarif de la cantine scolaire est fixé à 3,20 euros par repas pour l'année "
           "scolaire. Les familles au quotient familial inférieur à 600 euros paient 1 euro.")


def init(data_dir, posture: str):
    result = CliRunner().invoke(app, ["init", "--posture", posture, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result.output


def governed_folder(tmp_path):
    """A public note, a draft (by its name) and a confidential document (by its mention)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cantine.txt").write_text(CANTINE, encoding="utf-8")
    (docs / "brouillon_piscine.txt").write_text(
        "La piscine municipale ouvrira peut-être le dimanche matin.", encoding="utf-8")
    (docs / "primes.txt").write_text(
        "DIFFUSION RESTREINTE\n\nLes primes de fin d'année des agents seront versées en décembre.",
        encoding="utf-8")
    return docs


def indexed_paths(clos: Clos) -> set[str]:
    cid = clos.store.collection_id("default")
    return {p.rsplit("/", 1)[-1] for p in clos.store.document_hashes(cid)}


def test_init_writes_each_posture_and_doctor_shows_what_it_forbids(_isolated_dirs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one table row per line
    data = _isolated_dirs
    for name in POSTURES:
        output = init(data, name)
        assert "Posture écrite" in output
        text = (data / "clos.toml").read_text()
        assert f'posture = "{name}"' in text
        settings = Settings.load()
        assert settings.posture == name
        doctor = CliRunner().invoke(app, ["doctor"])
        assert doctor.exit_code == 0
        assert POSTURES[name].label in doctor.output
        for forbidden in POSTURES[name].forbids:
            assert forbidden[:30] in " ".join(doctor.output.split())
    settings = Settings.load()
    assert settings.posture == "fonceuse"
    # Values written by an earlier posture and the user's own keys stay.
    assert settings.pii_policy == "pseudonymise" and settings.allowed_hosts == ["127.0.0.1", "localhost"]


def test_prudente_forbids_servers_clear_data_and_low_thresholds(_isolated_dirs, monkeypatch):
    init(_isolated_dirs, "prudente")
    s = Settings.load()
    assert s.min_relevance == PRUDENT_MIN_RELEVANCE and s.llm_url == "" and s.embedder_url == ""
    for key, value in (("CLOS_LLM_URL", "http://127.0.0.1:8000/v1"),
                       ("CLOS_EMBEDDER_URL", "http://127.0.0.1:8001/v1")):
        with pytest.raises(ConfigError, match=f"posture prudente n'accepte que les modèles embarqués.*{key}"):
            Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), key: value})
    with pytest.raises(ConfigError, match="embarqués"):
        Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), "CLOS_LLM_BACKEND": "openai"})
    with pytest.raises(ConfigError, match="CLOS_PII_POLICY = keep"):
        Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), "CLOS_PII_POLICY": "keep"})
    with pytest.raises(ConfigError, match="seuil de refus d'au moins 0.5"):
        Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), "CLOS_MIN_RELEVANCE": "0.2"})
    # Settings changed after loading are checked again where a server client is made.
    with pytest.raises(ConfigError, match="embarqués"):
        load_llm(s.replace(llm_url="http://127.0.0.1:8000/v1"))
    # A command refuses in French, without a traceback.
    monkeypatch.setenv("CLOS_LLM_URL", "http://serveur.example:8000/v1")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1 and "embarqués" in result.output


def test_prudente_excludes_drafts_and_confidential_documents(_isolated_dirs, tmp_path):
    init(_isolated_dirs, "prudente")
    with Clos(Settings.load()) as clos:
        report = clos.ingest([governed_folder(tmp_path)])
        assert indexed_paths(clos) == {"cantine.txt"}
        assert report.excluded == 2
        # Even a collection policy asking for drafts cannot loosen the posture.
        from clos.govern import Governor

        cid = clos.store.collection_id("default")
        from clos.govern.policy import set_policy

        set_policy(clos.store, cid, clos.settings, flag_actions={"brouillon": "index"},
                   pii_policy="keep")
        policy = Governor(clos.store, clos.settings, cid).policy
        assert policy.action("brouillon") == "exclude" and policy.pii_policy == "pseudonymise"


def test_raisonnee_indexes_drafts_with_a_warning_and_has_a_sandbox(_isolated_dirs, tmp_path):
    output = init(_isolated_dirs, "raisonnee")
    assert SANDBOX in output
    with Clos(Settings.load()) as clos:
        clos.ingest([governed_folder(tmp_path)])
        assert indexed_paths(clos) == {"cantine.txt", "brouillon_piscine.txt"}
        assert clos.store.collection_settings(clos.store.collection_id(SANDBOX)) == ("", {"sandbox": True})
        clos.ingest([tmp_path / "docs" / "cantine.txt"], collection=SANDBOX)
        clos.settings = clos.settings.replace(min_relevance=0.99)  # refused without a model
        answer = clos.ask("Quel est le tarif de la cantine le samedi ?", collection=SANDBOX)
        assert answer.refused and SANDBOX_WARNING in answer.warnings
        assert not clos.ask("Quel est le tarif de la cantine le samedi ?").warnings


def test_raisonnee_refuses_hosts_outside_the_allow_list(_isolated_dirs):
    init(_isolated_dirs, "raisonnee")
    env = {"CLOS_DATA_DIR": str(_isolated_dirs)}
    with pytest.raises(ConfigError, match="allowed_hosts .* « albert.example » \\(CLOS_LLM_URL\\)"):
        Settings.load(env={**env, "CLOS_LLM_URL": "https://albert.example/v1"})
    with pytest.raises(ConfigError, match="« 10.0.0.5 » \\(CLOS_EMBEDDER_URL\\)"):
        Settings.load(env={**env, "CLOS_EMBEDDER_URL": "http://10.0.0.5:8000/v1"})
    s = Settings.load(env={**env, "CLOS_LLM_URL": "https://albert.example/v1",
                           "CLOS_ALLOWED_HOSTS": "albert.example"})
    assert s.allowed_hosts == ["albert.example"]


def test_raisonnee_sends_nothing_identifying_to_the_servers(_isolated_dirs, tmp_path):
    init(_isolated_dirs, "raisonnee")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cantine.txt").write_text(CANTINE + f"\n\nContact : {NAME}, {EMAIL}.", encoding="utf-8")
    log = tmp_path / "requests.jsonl"
    with recorder(free_port(), log) as url:
        # A low threshold: the question's name and address are in no document, and the model
        # must be asked for this test to see what it receives.
        settings = Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), "CLOS_LLM_URL": url,
                                      "CLOS_EMBEDDER_URL": url, "CLOS_EMBEDDER": "recorder",
                                      "CLOS_MIN_RELEVANCE": "0.01", "CLOS_MIN_GROUNDING": "0",
                                      "CLOS_MIN_SIMILARITY": "0"})
        with Clos(settings) as clos:
            clos.ingest([docs])
            answer = clos.ask(QUESTION)
        # And the shield puts the placeholders back locally, in the text and in the stream.
        streamed: list[str] = []
        gen = ShieldedLLM(load_llm(settings.replace(posture="fonceuse"))).generate(
            Prompt(system="Réponds.", user=f"Écris à {NAME} : {EMAIL}"), max_tokens=20,
            temperature=0.0, on_token=streamed.append)
    sent = log.read_text(encoding="utf-8")
    requests = [json.loads(line) for line in sent.splitlines()]
    assert {r["path"] for r in requests} == {"/v1/embeddings", "/v1/chat/completions"}
    chat = [r for r in requests if r["path"].endswith("/chat/completions")]
    assert chat and answer.usage.completion_tokens == 5, (answer.refusal_reason, answer.trace)
    for secret in ("Dupont", "dupont@", "06 12 34 56 78", "12 34 56"):
        assert secret not in sent, secret
    assert "[PERSONNE_" in sent and "[EMAIL_" in sent and "[TELEPHONE_" in sent
    assert gen.text == f"Vous avez écrit : Écris à {NAME} : {EMAIL}"
    assert "".join(streamed) == gen.text


def test_fonceuse_allows_servers_and_still_logs_and_measures(_isolated_dirs, tmp_path):
    init(_isolated_dirs, "fonceuse")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cantine.txt").write_text(CANTINE + f"\n\nContact : {NAME}.", encoding="utf-8")
    log = tmp_path / "requests.jsonl"
    with recorder(free_port(), log) as url:
        settings = Settings.load(env={"CLOS_DATA_DIR": str(_isolated_dirs), "CLOS_LLM_URL": url,
                                      "CLOS_PII_POLICY": "keep", "CLOS_MIN_RELEVANCE": "0.01"})
        with Clos(settings) as clos:
            clos.ingest([docs])
            answer = clos.ask(QUESTION)
    assert NAME in log.read_text(encoding="utf-8")  # nothing hidden: the posture allows it
    assert answer.id is not None and answer.impact is not None  # logged and measured


def test_templates_set_policy_and_answer_settings(_isolated_dirs, tmp_path):
    settings = Settings.load()
    with Clos(settings) as clos:
        cid = create(clos.store, settings, "accueil", "usagers")
        policy = get_policy(clos.store, cid, settings)
        assert policy.pii_policy == "exclude" and policy.action("brouillon") == "exclude"
        template, values = clos.store.collection_settings(cid)
        assert template == "usagers" and values["min_relevance"] == 0.5
        merged = settings_for(settings, values)
        assert (merged.min_relevance, merged.top_k, merged.max_tokens) == (0.5, 2, 160)
        # Public documents only: the one naming a person stays out of the residents' collection.
        docs = tmp_path / "docs"
        docs.mkdir()
        (docs / "cantine.txt").write_text(CANTINE, encoding="utf-8")
        (docs / "dossier.txt").write_text(f"Dossier de {NAME}, né le 12/03/1961, {EMAIL}.",
                                          encoding="utf-8")
        clos.ingest([docs], collection="accueil")
        assert {p.rsplit("/", 1)[-1] for p in clos.store.document_hashes(cid)} == {"cantine.txt"}
        for name in TEMPLATES:
            create(clos.store, settings, f"c-{name}", name)
        with pytest.raises(ConfigError, match="Modèle de collection inconnu : « crèche »"):
            create(clos.store, settings, "x", "crèche")
    result = CliRunner().invoke(app, ["collection", "create", "voirie", "--template", "voirie-dechets"])
    assert result.exit_code == 0 and "voirie-dechets" in result.output
    listed = CliRunner().invoke(app, ["collection", "list", "--json"])
    rows = {r["name"]: r for r in json.loads(listed.output)}
    assert rows["voirie"]["template"] == "voirie-dechets" and rows["voirie"]["settings"] == {"max_tokens": 240}


def test_prudente_keeps_a_template_from_lowering_the_threshold(_isolated_dirs):
    init(_isolated_dirs, "prudente")
    merged = settings_for(Settings.load(), {"min_relevance": 0.1, "top_k": 4})
    assert merged.min_relevance == PRUDENT_MIN_RELEVANCE and merged.top_k == 4
    with pytest.raises(ConfigError, match="embarqués"):
        settings_for(Settings.load(), {"llm_url": "http://127.0.0.1:9/v1"})


# The store contract's fixtures: the same test on SQLite and on the real PostgreSQL server.
from test_store_contract import pg_url, store, target  # noqa: E402,F401


def test_collection_settings_on_both_backends(store):
    settings = Settings.load()
    cid = create(store, settings, "accueil", "usagers")
    assert store.collection_settings(cid) == ("usagers", TEMPLATES["usagers"].answers)
    create(store, settings, "accueil", "rh")
    template, values = store.collection_settings(cid)
    assert template == "rh" and values == {"min_relevance": 0.4}
    assert get_policy(store, cid, settings).pii_policy == "redact"
    assert store.collection_settings(store.collection_id("autre")) == ("", {})


def test_a_collection_gets_its_own_server_checked_like_the_settings(_isolated_dirs):
    init(_isolated_dirs, "raisonnee")
    runner = CliRunner()
    ok = runner.invoke(app, ["collection", "set", "rh", "llm_url=http://127.0.0.1:8000/v1", "top_k=4"])
    assert ok.exit_code == 0, ok.output
    with Clos(Settings.load()) as clos:
        cid = clos.store.collection_id("rh")
        assert clos.store.collection_settings(cid)[1] == {"llm_url": "http://127.0.0.1:8000/v1",
                                                         "top_k": 4}
    refused = runner.invoke(app, ["collection", "set", "rh", "llm_url=https://albert.example/v1"])
    assert refused.exit_code == 1 and "allowed_hosts" in refused.output
    bad = runner.invoke(app, ["collection", "set", "rh", "top_k=0"])
    assert "« top_k (collection rh) » : '0'" in " ".join(bad.output.split())
    other = runner.invoke(app, ["collection", "set", "rh", "data_dir=/tmp"])
    assert other.exit_code == 1 and "non modifiable par collection : data_dir" in other.output
