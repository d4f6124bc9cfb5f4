"""The impact ledger: one row per answer, ingestion run and ingested document (table ``impacts``,
migration 003), and the summaries ``clos impact`` and the web UI show.

Totals and groups add ``answer`` and ``ingest_run`` rows only: a run's energy already contains
its documents', which are kept for the per-document breakdown. Days are local calendar days.
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime, timezone
from typing import Any, Mapping

from clos.errors import ImpactError

KINDS = ("answer", "ingest_run", "ingest_document")
GROUPINGS = ("user", "collection", "day")
# Fixed SQL expressions per grouping: the only text ever formatted into a query.
_GROUP_EXPR = {
    "user": "i.user_name",
    "collection": "COALESCE(c.name, '')",
    "day": "date(i.created_at, 'localtime')",
}
_TEXT = {
    "kind": "Type d'impact inconnu : « {kind} » (attendu : answer, ingest_run, ingest_document).",
    "by": "Regroupement inconnu : « {by} » (attendu : user, collection ou day).",
    "impact": "Impact invalide pour le journal : {detail}.",
}


def record(store: Any, *, kind: str, ref_id: int | None, collection_id: int | None,
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
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    with store.transaction() as conn:
        cur = conn.execute(f"INSERT INTO impacts ({columns}) VALUES ({marks})",
                           list(values.values()))
    return int(cur.lastrowid)


def summary(store: Any, *, since: date | None = None, by: str = "day") -> dict[str, Any]:
    """Totals (local vs cloud), one row per group, and the daily trend since ``since``.

    Shape: ``{"since", "by", "totals": {...}, "groups": [{"key", ...}], "trend": [{"key": day,
    ...}], "methods": {method: count}, "cloud_models": [...]}``; each group and trend row has
    ``answers``, ``ingest_runs``, ``energy_wh``, ``gco2e``, ``answers_energy_wh``,
    ``answers_gco2e``, ``cloud_energy_wh`` [min, max] and ``cloud_gco2e`` [min, max].
    """
    if by not in GROUPINGS:
        raise ImpactError(_TEXT["by"].format(by=by))
    date_filter, params = "", []
    if since is not None:
        date_filter, params = " AND date(i.created_at, 'localtime') >= ?", [since.isoformat()]
    where = "i.kind IN ('answer', 'ingest_run')" + date_filter
    conn = store.conn
    totals = _aggregate(conn, None, where, params)
    totals = totals[0] if totals else _empty()
    totals["ingest_documents"] = conn.execute(
        f"SELECT COUNT(*) FROM impacts i WHERE i.kind = 'ingest_document'{date_filter}",
        params).fetchone()[0]
    methods = {r[0]: r[1] for r in conn.execute(
        f"SELECT i.method, COUNT(*) FROM impacts i WHERE {where} GROUP BY i.method ORDER BY 2 DESC",
        params)}
    models = [r[0] for r in conn.execute(
        f"SELECT DISTINCT i.cloud_model FROM impacts i WHERE {where} AND i.cloud_model IS NOT NULL"
        " ORDER BY 1", params)]
    return {
        "since": since.isoformat() if since else None,
        "by": by,
        "totals": totals,
        "groups": _aggregate(conn, _GROUP_EXPR[by], where, params),
        "trend": _aggregate(conn, _GROUP_EXPR["day"], where, params),
        "methods": methods,
        "cloud_models": models,
    }


def _aggregate(conn: Any, key_expr: str | None, where: str, params: list) -> list[dict[str, Any]]:
    key = key_expr or "NULL"
    sql = (
        f"SELECT {key} AS key,"
        " SUM(i.kind = 'answer') AS answers, SUM(i.kind = 'ingest_run') AS ingest_runs,"
        " SUM(i.energy_wh), SUM(i.gco2e), SUM(i.primary_energy_wh), SUM(i.duration_s),"
        " SUM(CASE WHEN i.kind = 'answer' THEN i.energy_wh ELSE 0 END),"
        " SUM(CASE WHEN i.kind = 'answer' THEN i.gco2e ELSE 0 END),"
        " SUM(COALESCE(i.cloud_energy_wh_min, 0)), SUM(COALESCE(i.cloud_energy_wh_max, 0)),"
        " SUM(COALESCE(i.cloud_gco2e_min, 0)), SUM(COALESCE(i.cloud_gco2e_max, 0)),"
        " SUM(i.prompt_tokens), SUM(i.completion_tokens), COUNT(*)"
        " FROM impacts i LEFT JOIN collections c ON c.id = i.collection_id"
        f" WHERE {where}" + (f" GROUP BY {key} ORDER BY {key}" if key_expr else "")
    )
    rows = []
    for r in conn.execute(sql, params):
        if not r[-1]:  # no matching row: SQLite still returns one row of NULLs without GROUP BY
            continue
        rows.append({
            "key": r[0], "answers": r[1] or 0, "ingest_runs": r[2] or 0,
            "energy_wh": r[3] or 0.0, "gco2e": r[4] or 0.0, "primary_energy_wh": r[5] or 0.0,
            "duration_s": r[6] or 0.0, "answers_energy_wh": r[7] or 0.0,
            "answers_gco2e": r[8] or 0.0, "cloud_energy_wh": [r[9] or 0.0, r[10] or 0.0],
            "cloud_gco2e": [r[11] or 0.0, r[12] or 0.0], "prompt_tokens": r[13] or 0,
            "completion_tokens": r[14] or 0,
        })
    if key_expr is None:
        for row in rows:
            row.pop("key")
    return rows


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
