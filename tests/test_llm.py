"""The embedded llama.cpp backend with the real gemma3-270m model."""

from __future__ import annotations

import dataclasses

import pytest

from clos.errors import GenerationError
from clos.llm import load_llm, registry
from clos.llm.llamacpp import LlamaCppLLM
from clos.llm.protocol import Prompt

pytestmark = pytest.mark.slow

EXCERPT = ("[1] (deliberation.pdf, page 2)\nLe conseil municipal approuve l'attribution d'une "
           "subvention de 5 000 euros à l'association Les Amis du Lez pour l'année 2014.")
COMPLETION = ("Voici des extraits de documents, une question et la réponse tirée uniquement des "
              f"extraits.\n\n{EXCERPT}\n\nQuestion : Quel est le montant de la subvention "
              "accordée aux Amis du Lez ?\nRéponse :")


def test_generates_streams_and_counts(settings):
    llm = load_llm(settings, "gemma3-270m")
    pieces: list[str] = []
    gen = llm.generate(Prompt("", "", completion=COMPLETION), max_tokens=40, temperature=0.1,
                       on_token=pieces.append)
    assert "5 000" in gen.text or "5000" in gen.text
    assert "".join(pieces) == gen.text and "\n\n" not in gen.text  # stop sequence honoured
    assert gen.prompt_tokens == len(llm.llm.tokenize(COMPLETION.encode(), add_bos=True))
    assert 0 < gen.completion_tokens <= 40 and 0 < gen.ttft_s <= gen.total_s
    assert load_llm(settings, "gemma3-270m") is llm  # loaded once per process


def test_prompt_too_long_is_a_clear_error(settings):
    llm = load_llm(settings, "gemma3-270m")
    with pytest.raises(GenerationError, match="trop longs"):
        llm.generate(Prompt("", "", completion="mot " * 5000), max_tokens=10, temperature=0)


def test_fixed_prefix_state_is_saved_and_reused_across_processes(settings, tmp_path):
    spec = dataclasses.replace(registry.BUILTIN["gemma3-270m"], template="chatml")
    path = registry.ensure(registry.BUILTIN["gemma3-270m"], settings.models_dir)
    prompt = Prompt(system="Tu réponds en français à partir des extraits. " * 5,
                    user=f"{EXCERPT}\n\nQuestion : Quel montant ?")
    first = LlamaCppLLM(spec, path, n_ctx=1024, n_threads=2, seed=1, state_dir=tmp_path)
    a = first.generate(prompt, max_tokens=8, temperature=0)
    states = list(tmp_path.glob("*.state"))
    assert len(states) == 1 and states[0].stat().st_size < 20_000_000
    first.close()
    # A new instance (as in a new process) restores the prefix instead of evaluating it.
    second = LlamaCppLLM(spec, path, n_ctx=1024, n_threads=2, seed=1, state_dir=tmp_path)
    prefix = second.llm.tokenize(second.prefix(prompt).encode(), add_bos=True, special=True)
    second._restore_prefix(prompt)
    assert second.llm.n_tokens == len(prefix)
    assert list(second.llm.input_ids[: len(prefix)]) == prefix
    b = second.generate(prompt, max_tokens=8, temperature=0)
    assert a.text == b.text
    states[0].write_bytes(b"corrupt")
    third = LlamaCppLLM(spec, path, n_ctx=1024, n_threads=2, seed=1, state_dir=tmp_path)
    assert third.generate(prompt, max_tokens=8, temperature=0).text == a.text


def test_a_generation_depends_on_its_prompt_alone_not_on_the_ones_before(settings, tmp_path):
    spec = dataclasses.replace(registry.BUILTIN["gemma3-270m"], template="chatml")
    path = registry.ensure(registry.BUILTIN["gemma3-270m"], settings.models_dir)
    system = "Tu réponds en français à partir des extraits. " * 5
    asked = [Prompt(system=system, user=f"{EXCERPT}\n\nQuestion : {q}")
             for q in ("Quel montant ?", "Quelle association ?", "Quelle année ?")]
    fresh = []
    for prompt in asked:  # each prompt in a process of its own
        llm = LlamaCppLLM(spec, path, n_ctx=1024, n_threads=2, seed=1, state_dir=tmp_path)
        fresh.append(llm.generate(prompt, max_tokens=24, temperature=0.1).text)
        llm.close()
    warm = LlamaCppLLM(spec, path, n_ctx=1024, n_threads=2, seed=1, state_dir=tmp_path)
    prefix = warm.llm.tokenize(warm.prefix(asked[0]).encode(), add_bos=True, special=True)
    for prompt, alone in zip(asked + asked, fresh + fresh):  # one process, one after another
        assert warm.generate(prompt, max_tokens=24, temperature=0.1).text == alone
        warm._restore_prefix(prompt)  # the question before is dropped, the fixed prefix kept
        assert warm.llm.n_tokens == len(prefix)


def test_replay_cache_stores_once_and_replays_without_the_model(settings, tmp_path):
    """Evaluation's replay cache (clos.llm.replay): the first call generates with the real model
    and stores the text; a second cache over the same folder replays it with no model at all."""
    from clos.llm.replay import ReplayLLM

    prompt = Prompt("", "", completion=COMPLETION)
    first = ReplayLLM(lambda: load_llm(settings, "gemma3-270m"), tmp_path, name="gemma3-270m",
                      seed=settings.seed)
    gen = first.generate(prompt, max_tokens=40, temperature=0.1)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def no_model():
        raise AssertionError("a replayed generation must not load the model")

    again = ReplayLLM(no_model, tmp_path, name="gemma3-270m", seed=settings.seed)
    pieces: list[str] = []
    replayed = again.generate(prompt, max_tokens=40, temperature=0.1, on_token=pieces.append)
    assert replayed == gen and "".join(pieces) == gen.text  # times too: the first run's
    other = ReplayLLM(no_model, tmp_path, name="gemma3-270m", seed=settings.seed + 1)
    with pytest.raises(AssertionError):  # another seed is another generation
        other.generate(prompt, max_tokens=40, temperature=0.1)
    # Through the settings, as `clos eval answers` turns it on.
    wrapped = load_llm(settings.replace(generation_cache=True), "gemma3-270m")
    assert isinstance(wrapped, ReplayLLM) and wrapped.folder == settings.cache_dir / "generations"
