"""What the same answer would cost on a cloud model, estimated offline with EcoLogits.

EcoLogits 0.11.3's ``llm_impacts(provider, model_name, output_token_count, request_latency,
electricity_mix_zone)`` models generation only: energy depends on the **output** tokens, the
model's (estimated) active parameters and its serving latency. Input (prompt) tokens are not an
input of this version's methodology; we record them beside the estimate but they do not change
it. We pass ``request_latency = inf`` so EcoLogits uses the cloud model's own published
throughput and time-to-first-token (gpt-4o: 74 tokens/s, 0.61 s) rather than Clos's local
latency, and we keep the provider's data-centre electricity mix (OpenAI: USA).

Reported: energy (usage phase) and GWP = usage + embodied (server and GPU manufacturing share),
both as min–max ranges because the parameter counts of closed models are ranges. Everything
EcoLogits needs ships inside the package (``data/models.json``, ``electricity_mixes.json``):
nothing here opens a socket.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from clos.errors import ImpactError

DEFAULT_MODEL = "gpt-4o"
GWP_SCOPE = "usage+embodied"
# Searched in this order when the setting names a model without "provider/".
PROVIDERS = ("openai", "anthropic", "mistralai", "google_genai", "cohere", "huggingface_hub")

_TEXT = {
    "missing": "EcoLogits n'est pas installé : l'estimation cloud est impossible "
               "(pip install ecologits==0.11.3).",
    "unknown": "Modèle de référence cloud inconnu d'EcoLogits : « {model} ». "
               "Réglez cloud_reference_model (ex. gpt-4o ou openai/gpt-4o-mini).",
    "failed": "L'estimation EcoLogits a échoué pour « {model} ».",
    "tokens": "Nombre de jetons invalide : {value!r}.",
}


@dataclass(frozen=True)
class CloudEstimate:
    """EcoLogits' range for one request on a reference cloud model."""

    model: str
    provider: str
    energy_wh: tuple[float, float]
    gco2e: tuple[float, float]
    source: str
    output_tokens: int
    input_tokens: int = 0  # recorded, not used by this EcoLogits version
    zone: str = ""
    gwp_scope: str = GWP_SCOPE
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The ``impact.cloud`` JSON: model, energy_wh [min, max], gco2e [min, max], source."""
        return {"model": self.model, "energy_wh": list(self.energy_wh),
                "gco2e": list(self.gco2e), "source": self.source}


_import_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _ecologits() -> tuple[Any, Any, Any, str]:
    """Import EcoLogits once: (llm_impacts, models repository, provider configs, version)."""
    with _import_lock:
        # Importing EcoLogits swaps the logging module's default Logger class; restore it so our
        # own loggers stay plain.
        logger_class = logging.getLoggerClass()
        try:
            import ecologits
            from ecologits.model_repository import models
            from ecologits.tracers.utils import PROVIDER_CONFIG_MAP, llm_impacts
        except ImportError as exc:
            raise ImpactError(_TEXT["missing"], detail=repr(exc)) from exc
        finally:
            logging.setLoggerClass(logger_class)
        # EcoLogits logs each model warning ("architecture not released"…) once on stderr; we
        # return those warnings in the estimate instead of printing under the answer.
        logging.getLogger("ecologits").setLevel(logging.ERROR)
        return llm_impacts, models, PROVIDER_CONFIG_MAP, ecologits.__version__


def version() -> str:
    """The installed EcoLogits version, e.g. "0.11.3"."""
    return _ecologits()[3]


def source_label() -> str:
    return f"EcoLogits {version()}"


@functools.lru_cache(maxsize=64)
def resolve_model(name: str = DEFAULT_MODEL) -> tuple[str, str]:
    """(provider, model) for "gpt-4o" or "openai/gpt-4o"; ImpactError if EcoLogits lacks it."""
    _, models, _, _ = _ecologits()
    name = (name or DEFAULT_MODEL).strip()
    provider, _, model = name.rpartition("/")
    candidates = [provider] if provider in PROVIDERS else list(PROVIDERS)
    if provider and provider not in PROVIDERS:
        model = name  # a Hugging Face id such as "meta-llama/Llama-3.1-8B-Instruct"
    for p in candidates:
        if models.find_model(provider=p, model_name=model) is not None:
            return p, model
    raise ImpactError(_TEXT["unknown"].format(model=name))


def estimate(output_tokens: int, *, input_tokens: int = 0,
             model: str = DEFAULT_MODEL) -> CloudEstimate:
    """EcoLogits min–max energy (Wh) and GWP (gCO2e) for ``output_tokens`` made by ``model``."""
    for value in (output_tokens, input_tokens):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ImpactError(_TEXT["tokens"].format(value=value))
    provider, name = resolve_model(model)
    result = _estimate(provider, name, output_tokens)
    return CloudEstimate(model=name, provider=provider, energy_wh=result[0], gco2e=result[1],
                         source=source_label(), output_tokens=output_tokens,
                         input_tokens=input_tokens, zone=result[2], warnings=result[3])


@functools.lru_cache(maxsize=4096)
def _estimate(provider: str, model: str, output_tokens: int) -> tuple[Any, ...]:
    llm_impacts, _, configs, _ = _ecologits()
    try:
        impacts = llm_impacts(provider=provider, model_name=model,
                              output_token_count=output_tokens, request_latency=math.inf)
    except Exception as exc:  # EcoLogits raises pydantic/ValueError on odd inputs
        raise ImpactError(_TEXT["failed"].format(model=model), detail=repr(exc)) from exc
    if impacts.has_errors or impacts.energy is None or impacts.gwp is None:
        detail = "; ".join(str(e) for e in impacts.errors or [])
        raise ImpactError(_TEXT["failed"].format(model=model), detail=detail)
    energy = _range(impacts.energy.value, 1000.0)  # kWh → Wh
    gwp = _range(impacts.gwp.value, 1000.0)  # kgCO2e → gCO2e
    warnings = tuple(w.code for w in impacts.warnings or [])
    return energy, gwp, configs[provider].datacenter_location, warnings


def _range(value: Any, scale: float) -> tuple[float, float]:
    low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
    return float(low) * scale, float(high) * scale
