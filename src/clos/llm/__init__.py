"""LLM backends behind the LLM protocol, and the model registry."""

from __future__ import annotations

from clos.errors import ModelError
from clos.llm.protocol import LLM, Generation, Prompt
from clos.llm.registry import BUILTIN, ModelSpec, ensure, resolve
from clos.settings import Settings


_CLIENTS: dict[tuple, object] = {}


def load_llm(settings: Settings, model: str | None = None) -> LLM:
    """The answer model named by ``model`` or the settings, ready to generate (behind the
    evaluation's replay cache when ``settings.generation_cache`` is set)."""
    name = model or (str(settings.model_path) if settings.model_path else settings.model)
    if settings.generation_cache:
        from pathlib import Path

        from clos.llm.replay import ReplayLLM

        key = (name, "replay", str(settings.cache_dir), settings.seed)
        if key not in _CLIENTS:
            plain = settings.replace(generation_cache=False)
            _CLIENTS[key] = ReplayLLM(lambda: load_llm(plain, model),
                                      Path(settings.cache_dir) / "generations", name=name,
                                      seed=settings.seed)
        return _CLIENTS[key]
    url = server_url(settings)
    if url:
        from clos.llm.openai_http import OpenAIHttpLLM
        from clos.posture import guard_llm

        # One client per server and model, kept like the embedded model: its connections are
        # reused from one question to the next.
        key = (url, name, settings.openai_api_key, settings.llm_timeout, settings.llm_retries)
        if key not in _CLIENTS:
            _CLIENTS[key] = OpenAIHttpLLM(url, name, api_key=settings.openai_api_key,
                                          timeout=settings.llm_timeout,
                                          retries=settings.llm_retries)
        return guard_llm(settings, _CLIENTS[key])
    if settings.llm_backend != "llamacpp":
        raise ModelError(f"Moteur de modèle inconnu : « {settings.llm_backend} » (llamacpp, openai).")
    from clos.llm.llamacpp import LlamaCppLLM

    spec = resolve(name, settings.models_dir)
    path = ensure(spec, settings.models_dir)
    return LlamaCppLLM.shared(spec, path, n_ctx=settings.n_ctx, n_threads=settings.threads,
                              seed=settings.seed, state_dir=settings.models_dir / "kv")


def server_url(settings: Settings) -> str:
    """The answer server's address: ``llm_url``, else ``openai_base_url`` when
    ``llm_backend = "openai"``; "" for the embedded model."""
    if settings.llm_url:
        return settings.llm_url
    return settings.openai_base_url if settings.llm_backend == "openai" else ""


__all__ = ["server_url", "LLM", "Generation", "Prompt", "ModelSpec", "BUILTIN", "resolve", "ensure", "load_llm"]
