"""The impact ledger: one row per answer, ingestion run and ingested document (table ``impacts``,
migration 003, written and read by clos.store.ledger), and the summaries ``clos impact`` and the
web UI show.

Totals and groups add ``answer`` and ``ingest_run`` rows only: a run's energy already contains
its documents', which are kept for the per-document breakdown. Days are local calendar days.
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime, timezone
from typing import Any, Mapping

from clos.errors import ImpactError
from clos.store.protocol import LedgerStore

KINDS = ("answer", "ingest_run", "ingest_document")
GROUPINGS = ("user", "collection", "day")
_TEXT = {
    "kind": "Type d'impact inconnu : « {kind} » (attendu : answer, ingest_run, ingest_document).",
    "by": "Regroupement inconnu : « {by} » (attendu : user, collection ou day).",
    "impact": "Impact invalide pour le journal : {detail}.",
}


def record(store: LedgerStore, *, kind: str, ref_id: int | None, collection_id: int | None,
           impact: Any, prompt_tokens: int = 0, completion_tokens: int = 0,
           user: str | None = None, created_at: datetime | None = None) -> int:
    """Store one impact (an ``Impact`` or its ``to_dict()``); returns the new row id.

    ``user`` defaults to the OS user name; ``created_at`` to now (UTC).
    """
    if kind not in KINDS:
        raise ImpactError(_TEXT["kind"].format(kind=kind))
    row = _row(impact)
    when = (created_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    values = {
        "kind": kind, "ref_id": ref_id, "collection_id": collection_id,
        "user_name": user if user is not None else _os_user(),
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prompt_tokens": int(prompt_tokens), "completion_tokens": int(completion_tokens), **row,
    }
    return store.add_impact(values)


def summary(store: LedgerStore, *, since: date | None = None, by: str = "day") -> dict[str, Any]:
    """Totals (local vs cloud), one row per group, and the daily trend since ``since``.

    Shape: ``{"since", "by", "totals": {...}, "groups": [{"key", ...}], "trend": [{"key": day,
    ...}], "methods": {method: count}, "cloud_models": [...]}``; each group and trend row has
    ``answers``, ``ingest_runs``, ``energy_wh``, ``gco2e``, ``answers_energy_wh``,
    ``answers_gco2e``, ``cloud_energy_wh`` [min, max] and ``cloud_gco2e`` [min, max].
    """
    if by not in GROUPINGS:
        raise ImpactError(_TEXT["by"].format(by=by))
    found = store.impact_summary(since, by)
    totals = found["totals"] or _empty()
    totals["ingest_documents"] = found["ingest_documents"]
    return {
        "since": since.isoformat() if since else None,
        "by": by,
        "totals": totals,
        "groups": found["groups"],
        "trend": found["trend"],
        "methods": found["methods"],
        "cloud_models": found["cloud_models"],
    }


def _empty() -> dict[str, Any]:
    return {"answers": 0, "ingest_runs": 0, "energy_wh": 0.0, "gco2e": 0.0,
            "primary_energy_wh": 0.0, "duration_s": 0.0, "answers_energy_wh": 0.0,
            "answers_gco2e": 0.0, "cloud_energy_wh": [0.0, 0.0], "cloud_gco2e": [0.0, 0.0],
            "prompt_tokens": 0, "completion_tokens": 0}


def _row(impact: Any) -> dict[str, Any]:
    """Columns from an ``Impact`` object, or from its ``to_dict()`` as ``Answer.impact`` holds."""
    try:
        if isinstance(impact, Mapping):
            data, extra = impact, {}
            cpu_s = float(impact.get("cpu_s", 0.0))
        else:
            data = impact.to_dict()
            cpu_s = impact.cpu_s
            extra = {"primary_energy_wh": impact.primary_energy_wh,
                     "carbon_intensity_g_per_kwh": impact.carbon_intensity_g_per_kwh,
                     "country": impact.country or None,
                     "details": json.dumps(impact.details, ensure_ascii=False, default=str)}
        cloud = data.get("cloud") or {}
        energy = cloud.get("energy_wh") or [None, None]
        gco2e = cloud.get("gco2e") or [None, None]
        if "energie_primaire_wh" in (data.get("equivalents") or {}):
            extra.setdefault("primary_energy_wh", data["equivalents"]["energie_primaire_wh"])
        return {
            "energy_wh": float(data["energy_wh"]), "gco2e": float(data["gco2e"]),
            "method": str(data["method"]), "duration_s": float(data.get("duration_s") or 0.0),
            "cpu_s": cpu_s, "cloud_model": cloud.get("model"), "cloud_source": cloud.get("source"),
            "cloud_energy_wh_min": energy[0], "cloud_energy_wh_max": energy[1],
            "cloud_gco2e_min": gco2e[0], "cloud_gco2e_max": gco2e[1], **extra,
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImpactError(_TEXT["impact"].format(detail=exc), detail=repr(impact)) from exc


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no USER variable
        return ""
