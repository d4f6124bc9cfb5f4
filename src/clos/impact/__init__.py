"""Energy and CO2 of every answer and every ingestion, with the cloud estimate beside it.

    with measure() as run:            # RAPL > CPU time (+ NVML when a GPU answers)
        answer = generate(...)
    impact = assess(run.measurement, prompt_tokens=p, completion_tokens=c, settings=settings)
    answer.impact = impact.to_dict()
    print(impact_line(impact))        # ⚡ 0,21 Wh · 0,011 gCO2e (RAPL) — cloud gpt-4o : 0,44–0,72 Wh

``to_dict()`` gives the JSON of ``clos ask --json``:
``{"energy_wh", "gco2e", "method", "duration_s", "cloud": {"model", "energy_wh": [min, max],
"gco2e": [min, max], "source"} | null, "equivalents": {"km_voiture", "minutes_streaming",
"emails", "energie_primaire_wh"}}``. ``cloud`` is null when no token was generated or read
(an ingestion). ``clos.impact.ledger`` stores impacts; ``clos.impact.report`` renders them.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from clos.errors import ImpactError
from clos.impact import cloud as _cloud
from clos.impact import factors, ledger
from clos.impact.cloud import CloudEstimate
from clos.impact.meters import J_PER_WH, CpuTimeMeter, Measurement, Meter, best_meter

__all__ = [
    "CloudEstimate", "Impact", "Measurement", "Meter", "Run", "assess", "best_meter",
    "format_number", "impact_line", "ledger", "measure", "prepare",
]

_TEXT = {
    "fr": {
        "methods": {"rapl": "RAPL", "nvml": "NVML", "cpu_time": "temps CPU"},
        "line": "⚡ {wh} Wh · {g} gCO2e ({method})",
        "cloud": " — cloud {model} : {low}–{high} Wh",
    },
    "en": {
        "methods": {"rapl": "RAPL", "nvml": "NVML", "cpu_time": "CPU time"},
        "line": "⚡ {wh} Wh · {g} gCO2e ({method})",
        "cloud": " — cloud {model}: {low}–{high} Wh",
    },
}
_ERRORS = {
    "tokens": "Nombre de jetons invalide pour le bilan d'impact : {value!r}.",
    "measurement": "Aucune mesure d'énergie à évaluer (le bloc measure() n'est pas terminé "
                   "ou le comptage est désactivé).",
    "dict": "Bilan d'impact illisible (JSON incomplet).",
}


@dataclass
class Impact:
    """The assessed impact of one answer or ingestion: local figures, cloud range, equivalents."""

    energy_wh: float
    gco2e: float
    method: str
    duration_s: float
    cpu_s: float
    primary_energy_wh: float
    carbon_intensity_g_per_kwh: float
    country: str
    cloud: CloudEstimate | None = None
    equivalents: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the ``impact`` object of ``clos ask --json`` (floats to 6 significant digits)."""
        return {
            "energy_wh": _sig(self.energy_wh),
            "gco2e": _sig(self.gco2e),
            "method": self.method,
            "duration_s": _sig(self.duration_s),
            "cloud": None if self.cloud is None else {
                **self.cloud.to_dict(),
                "energy_wh": [_sig(v) for v in self.cloud.energy_wh],
                "gco2e": [_sig(v) for v in self.cloud.gco2e],
            },
            "equivalents": {k: _sig(v) for k, v in self.equivalents.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Impact":
        """Rebuild an Impact from ``to_dict()``. Lossy: CPU seconds, country and details are not in
        the JSON, so prefer passing the ``Impact`` returned by ``assess`` to the ledger."""
        try:
            energy, gco2e = float(data["energy_wh"]), float(data["gco2e"])
            eq = {k: float(v) for k, v in (data.get("equivalents") or {}).items()}
            c = data.get("cloud")
            cloud = None if not c else CloudEstimate(
                model=c["model"], provider=c.get("provider", ""), source=c["source"],
                energy_wh=(float(c["energy_wh"][0]), float(c["energy_wh"][1])),
                gco2e=(float(c["gco2e"][0]), float(c["gco2e"][1])),
                output_tokens=int(c.get("output_tokens", 0)))
            return cls(energy_wh=energy, gco2e=gco2e, method=str(data["method"]),
                       duration_s=float(data.get("duration_s") or 0.0),
                       cpu_s=float(data.get("cpu_s") or 0.0),
                       primary_energy_wh=eq.get("energie_primaire_wh", 0.0),
                       carbon_intensity_g_per_kwh=gco2e / energy * 1000.0 if energy else 0.0,
                       country=str(data.get("country") or ""), cloud=cloud, equivalents=eq,
                       details=dict(data.get("details") or {}))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ImpactError(_ERRORS["dict"], detail=repr(data)) from exc


class Run:
    """One metered block; ``measurement`` is set when the block exits (even on an exception).
    With no meter (``measure(enabled=False)``) every call is a no-op and ``measurement`` stays
    None."""

    def __init__(self, meter: Meter | None) -> None:
        self.meter = meter
        self.measurement: Measurement | None = None
        self._state: Any = None
        self._error: ImpactError | None = None

    def start(self) -> None:
        if self.meter is None:
            return
        self._t0, self._c0 = time.perf_counter(), _cpu_seconds()
        try:
            self._state = self.meter.start()
        except ImpactError as exc:
            self._error = exc

    def checkpoint(self) -> None:
        """Read the counters now; call it between documents of a long ingestion so that a RAPL
        counter wrapping twice between start and stop cannot go unnoticed."""
        if self.meter is not None and self._error is None:
            try:
                self.meter.checkpoint(self._state)
            except ImpactError as exc:
                self._error = exc

    def stop(self) -> Measurement | None:
        if self.meter is None:
            return None
        wall_s = time.perf_counter() - self._t0
        cpu_s = max(0.0, _cpu_seconds() - self._c0)
        joules, details, method = None, {}, self.meter.method
        if self._error is None:
            try:
                joules, details = self.meter.stop(self._state, wall_s=wall_s, cpu_s=cpu_s)
            except ImpactError as exc:
                self._error = exc
        if joules is None:  # the meter failed mid-run: fall back cleanly, and say so
            joules, details = CpuTimeMeter().stop(None, wall_s=wall_s, cpu_s=cpu_s)
            details = {**details, "fallback_from": method, "fallback_reason": str(self._error)}
            method = CpuTimeMeter.method
        self.measurement = Measurement(joules / J_PER_WH, method, wall_s, cpu_s, details)
        return self.measurement


@contextmanager
def measure(meter: Meter | None = None, *, gpu: bool | None = None,
            enabled: bool = True) -> Iterator[Run]:
    """Meter the enclosed block with ``meter`` or the best available one (RAPL > CPU time, plus
    NVML when a GPU answers and ``gpu`` is not False). Counters are read at entry and exit only;
    ``enabled=False`` reads nothing and leaves ``run.measurement`` None."""
    if not enabled:
        yield Run(None)
        return
    run = Run(meter if meter is not None else best_meter(gpu=gpu))
    run.start()
    try:
        yield run
    finally:
        run.stop()


def assess(measurement: Measurement, *, prompt_tokens: int, completion_tokens: int,
           settings: Any) -> Impact:
    """Convert a measurement to gCO2e, primary energy and equivalents for ``settings``' country,
    with the EcoLogits estimate for ``settings.cloud_reference_model`` on the same token counts."""
    if measurement is None:
        raise ImpactError(_ERRORS["measurement"])
    for value in (prompt_tokens, completion_tokens):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ImpactError(_ERRORS["tokens"].format(value=value))
    intensity, intensity_source = factors.carbon_intensity(settings)
    country = factors.zone(getattr(settings, "electricity_country", "FRA") or "FRA")
    primary, primary_source = factors.primary_energy_factor(country)
    gco2e = measurement.energy_wh / 1000.0 * intensity
    cloud = None
    if prompt_tokens or completion_tokens:
        model = getattr(settings, "cloud_reference_model", None) or _cloud.DEFAULT_MODEL
        cloud = _cloud.estimate(completion_tokens, input_tokens=prompt_tokens, model=model)
    details = {
        **measurement.details,
        "country": country,
        "carbon_intensity_g_per_kwh": intensity,
        "carbon_intensity_source": factors.SOURCES.get(intensity_source, intensity_source),
        "primary_energy_factor": primary,
        "primary_energy_source": factors.SOURCES[primary_source],
    }
    if cloud is not None:
        details["cloud"] = {"provider": cloud.provider, "zone": cloud.zone,
                            "gwp_scope": cloud.gwp_scope, "warnings": list(cloud.warnings),
                            "input_tokens_used": False}
    return Impact(
        energy_wh=measurement.energy_wh, gco2e=gco2e, method=measurement.method,
        duration_s=measurement.duration_s, cpu_s=measurement.cpu_s,
        primary_energy_wh=measurement.energy_wh * primary,
        carbon_intensity_g_per_kwh=intensity, country=country, cloud=cloud,
        equivalents=factors.equivalents(gco2e, measurement.energy_wh, primary), details=details,
    )


def impact_line(impact: Impact | Mapping[str, Any], lang: str = "fr") -> str:
    """One short terminal line, for example
    « ⚡ 0,21 Wh · 0,011 gCO2e (RAPL) — cloud gpt-4o : 0,44–0,72 Wh ».
    Accepts an ``Impact`` or its ``to_dict()`` (what ``Answer.impact`` holds)."""
    text = _TEXT.get(lang, _TEXT["fr"])
    data = impact.to_dict() if isinstance(impact, Impact) else impact
    method = " + ".join(text["methods"].get(m, m) for m in str(data["method"]).split("+"))
    line = text["line"].format(wh=format_number(data["energy_wh"], lang),
                               g=format_number(data["gco2e"], lang), method=method)
    cloud = data.get("cloud")
    if cloud:
        low, high = cloud["energy_wh"]
        line += text["cloud"].format(model=cloud["model"], low=format_number(low, lang),
                                     high=format_number(high, lang))
    return line


def format_number(value: float, lang: str = "fr", digits: int = 2) -> str:
    """At most ``digits`` significant digits, never in exponent form; French: 0,011 and 1 234."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    if decimals:  # 0.90 → 0.9: trailing zeros add digits without adding information
        text = text.rstrip("0").rstrip(".")
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def prepare(settings: Any = None) -> None:
    """Do the one-off work now (meter probing, EcoLogits import and model lookup) so that the
    first metered answer does not pay for it; call it while the LLM loads."""
    best_meter()
    model = getattr(settings, "cloud_reference_model", None) or _cloud.DEFAULT_MODEL
    _cloud.estimate(1, model=model)


def _cpu_seconds() -> float:
    # User + system time of every thread of this process (llama.cpp's threads included), at
    # nanosecond resolution, plus waited-for children (os.times ticks at 10 ms, fine for them).
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


def _sig(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}") if value else 0.0
