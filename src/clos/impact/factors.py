"""Sourced conversion factors in one place: carbon intensity, primary energy, everyday equivalents.

Every constant names its source in a comment and in ``SOURCES`` (key → URL) with a French label in
``LABELS``, so the HTML report and the documentation can cite them. Change a value here, never in
the code that uses it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from clos.errors import ImpactError

# ----------------------------------------------------------------- carbon intensity (gCO2e / kWh)
# FRA: ADEME Base Empreinte®, « Électricité – mix moyen – consommation », France continentale.
# The other zones are the values EcoLogits 0.11.3 ships in data/electricity_mixes.json (kgCO2e/kWh
# × 1000), themselves taken from ADEME Base IMPACTS®: quoting them keeps local and cloud figures
# on the same footing. Zone codes are ISO 3166-1 alpha-3, plus EcoLogits' "EEE" (Europe) and
# "WOR" (world).
CARBON_INTENSITY_G_PER_KWH: dict[str, float] = {
    "FRA": 52.0,
    "DEU": 329.65,
    "EEE": 282.68,
    "WOR": 458.29,
    "USA": 384.4,
}
ZONE_ALIASES = {"FR": "FRA", "DE": "DEU", "EU": "EEE", "UE": "EEE", "WORLD": "WOR", "MONDE": "WOR"}

# ------------------------------------------------------------------ primary energy (kWhEP / kWh)
# France: 2.3, the conversion coefficient of electricity into primary energy used by the DPE since
# the arrêté of 31 March 2021 (and by RE2020). Elsewhere: 1.9, the EU default of the Energy
# Efficiency Directive (EU) 2023/1791.
PRIMARY_ENERGY_FACTOR: dict[str, float] = {"FRA": 2.3}
PRIMARY_ENERGY_FACTOR_DEFAULT = 1.9

# ---------------------------------------------------------------- everyday equivalents (gCO2e)
# ADEME Impact CO2 (impactco2.fr), data in github.com/incubateur-ademe/impactco2:
# - thermal car: 0.192 kgCO2e/km (fuel) + 0.0256 kgCO2e/km (vehicle construction) = 217.6 g/km,
#   Base Empreinte « Routier » (src/data/categories/deplacement.json, "voiturethermique");
# - one hour of video streaming: 64.0 g (sum of the five life-cycle stages, NegaOctet data,
#   src/data/categories/usagenumerique.json, "streamingvideo");
# - one e-mail written, sent and read: 2.46 g (same file, "email").
CAR_G_PER_KM = 217.6
STREAMING_G_PER_HOUR = 64.0
EMAIL_G = 2.46

# Keys of ``Impact.equivalents`` (French, as the agent reads them) and what they mean.
EQUIVALENT_KEYS = {
    "km_voiture": "kilomètres parcourus en voiture thermique (217,6 gCO2e/km)",
    "minutes_streaming": "minutes de streaming vidéo (64 gCO2e/h)",
    "emails": "e-mails écrits, envoyés et lus (2,46 gCO2e chacun)",
    "energie_primaire_wh": "énergie primaire correspondante, en Wh (coefficient du pays)",
}

SOURCES: dict[str, str] = {
    "carbon_intensity_FRA": "https://base-empreinte.ademe.fr/",
    "carbon_intensity_ecologits": "https://github.com/genai-impact/ecologits/blob/main/ecologits/data/electricity_mixes.json",
    "primary_energy_FRA": "https://www.legifrance.gouv.fr/",
    "primary_energy_EU": "https://eur-lex.europa.eu/eli/dir/2023/1791/oj",
    "car": "https://impactco2.fr/outils/transport",
    "streaming": "https://impactco2.fr/outils/usagenumerique",
    "email": "https://impactco2.fr/outils/usagenumerique",
    "impactco2_data": "https://github.com/incubateur-ademe/impactco2",
    "cpu_power": "https://github.com/mlco2/codecarbon/blob/master/codecarbon/data/hardware/cpu_power.csv",
    "cpu_fallback": "https://github.com/mlco2/codecarbon/blob/master/codecarbon/core/cpu.py",
    "ram_power": "https://www.crucial.com/support/articles-faq-memory/how-much-power-does-memory-use",
    "codecarbon_methodology": "https://mlco2.github.io/codecarbon/methodology.html",
    "rapl": "https://www.kernel.org/doc/html/latest/power/powercap/powercap.html",
    "ecologits": "https://ecologits.ai/latest/methodology/llm_inference/",
}

LABELS: dict[str, str] = {
    "carbon_intensity_FRA": "ADEME Base Empreinte® — électricité, mix moyen France continentale, "
                            "consommation (≈ 52 gCO2e/kWh)",
    "carbon_intensity_ecologits": "Mix électriques fournis avec EcoLogits (ADEME Base IMPACTS®)",
    "carbon_intensity_configured": "Valeur configurée (carbon_intensity_g_per_kwh)",
    "primary_energy_FRA": "Arrêté du 31 mars 2021 (DPE) : 1 kWh d'électricité = 2,3 kWh d'énergie "
                          "primaire",
    "primary_energy_EU": "Directive (UE) 2023/1791 sur l'efficacité énergétique : coefficient par "
                         "défaut 1,9",
    "car": "ADEME Impact CO2 — voiture thermique, 217,6 gCO2e/km (Base Empreinte)",
    "streaming": "ADEME Impact CO2 — une heure de streaming vidéo, 64 gCO2e (NegaOctet)",
    "email": "ADEME Impact CO2 — un e-mail, 2,46 gCO2e (NegaOctet)",
    "impactco2_data": "Données ouvertes d'Impact CO2 (ADEME)",
    "cpu_power": "Puissance thermique (TDP) des processeurs : base de CodeCarbon",
    "cpu_fallback": "Processeur inconnu : 4 W par cœur, valeur par défaut de CodeCarbon",
    "ram_power": "Mémoire vive : 3 W pour 8 Go (0,375 W/Gio), ratio utilisé par CodeCarbon",
    "codecarbon_methodology": "Méthodologie de CodeCarbon",
    "rapl": "Compteurs d'énergie RAPL du noyau Linux (powercap)",
    "ecologits": "Méthodologie EcoLogits (inférence des LLM)",
}


def zone(country: str) -> str:
    """Normalise a country setting to an ISO 3166-1 alpha-3 / EcoLogits zone code."""
    code = (country or "").strip().upper()
    return ZONE_ALIASES.get(code, code)


def carbon_intensity(settings: Any) -> tuple[float, str]:
    """(gCO2e per kWh, key of its source) for the settings.

    ``carbon_intensity_g_per_kwh`` wins when it differs from its shipped default (or is set for
    France); otherwise the country's factor is used, so changing only ``electricity_country``
    is enough. Any zone EcoLogits knows is accepted, offline.
    """
    country = zone(getattr(settings, "electricity_country", "FRA") or "FRA")
    configured = getattr(settings, "carbon_intensity_g_per_kwh", None)
    if configured is not None and (float(configured) != _default_intensity() or country == "FRA"):
        value = float(configured)
        if value < 0:
            raise ImpactError(f"Intensité carbone invalide : {configured!r} gCO2e/kWh.")
        if country == "FRA" and value == CARBON_INTENSITY_G_PER_KWH["FRA"]:
            return value, "carbon_intensity_FRA"
        return value, "carbon_intensity_configured"
    if country in CARBON_INTENSITY_G_PER_KWH:
        key = "carbon_intensity_FRA" if country == "FRA" else "carbon_intensity_ecologits"
        return CARBON_INTENSITY_G_PER_KWH[country], key
    return _ecologits_intensity(country), "carbon_intensity_ecologits"


def primary_energy_factor(country: str) -> tuple[float, str]:
    """(kWh of primary energy per kWh of electricity, key of its source)."""
    code = zone(country)
    if code in PRIMARY_ENERGY_FACTOR:
        return PRIMARY_ENERGY_FACTOR[code], f"primary_energy_{code}"
    return PRIMARY_ENERGY_FACTOR_DEFAULT, "primary_energy_EU"


def equivalents(gco2e: float, energy_wh: float, primary_factor: float) -> dict[str, float]:
    """Everyday equivalents of an emission (see ``EQUIVALENT_KEYS`` for what each key means)."""
    return {
        "km_voiture": gco2e / CAR_G_PER_KM,
        "minutes_streaming": gco2e / STREAMING_G_PER_HOUR * 60.0,
        "emails": gco2e / EMAIL_G,
        "energie_primaire_wh": energy_wh * primary_factor,
    }


def _default_intensity() -> float:
    from clos.settings import Settings

    for f in dataclasses.fields(Settings):
        if f.name == "carbon_intensity_g_per_kwh":
            return float(f.default)  # type: ignore[arg-type]
    return CARBON_INTENSITY_G_PER_KWH["FRA"]


def _ecologits_intensity(country: str) -> float:
    try:
        from ecologits.electricity_mix_repository import electricity_mixes
    except ImportError as exc:  # pragma: no cover - ecologits is a core dependency
        raise ImpactError(
            f"Intensité carbone inconnue pour « {country} » (EcoLogits absent).", detail=repr(exc)
        ) from exc
    mix = electricity_mixes.find_electricity_mix(zone=country)
    if mix is None:
        raise ImpactError(
            f"Pays inconnu pour l'intensité carbone : « {country} ». Utilisez un code ISO à trois "
            "lettres (FRA, DEU…) ou réglez carbon_intensity_g_per_kwh."
        )
    return float(mix.gwp) * 1000.0
