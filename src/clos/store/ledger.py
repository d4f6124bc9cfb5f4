"""The impact ledger in the store (table ``impacts``, migration 003): rows written by
``clos.impact.ledger.record`` and the aggregates its ``summary`` shows.

Shared by both backends (see clos.store.governance for the SQL subset); the one expression that
differs, the local calendar day of a row, is the backend's ``LOCAL_DAY``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# Columns of ``impacts`` a row may set (the only names formatted into SQL).
IMPACT_COLUMNS = (
    "kind", "ref_id", "collection_id", "user_name", "created_at", "energy_wh", "gco2e",
    "primary_energy_wh", "carbon_intensity_g_per_kwh", "country", "method", "duration_s", "cpu_s",
    "prompt_tokens", "completion_tokens", "cloud_model", "cloud_energy_wh_min",
    "cloud_energy_wh_max", "cloud_gco2e_min", "cloud_gco2e_max", "cloud_source", "details",
)


class LedgerSQL:
    """The ``LedgerStore`` role (see clos.store.protocol)."""

    conn: Any
    # SQL of the local calendar day (YYYY-MM-DD) of ``i.created_at`` (ISO 8601 UTC text).
    LOCAL_DAY = "date(i.created_at, 'localtime')"

    def transaction(self, *, index: bool = True) -> Any:  # provided by the backend
        raise NotImplementedError

    def add_impact(self, values: dict[str, Any]) -> int:
        """Insert one ``impacts`` row (keys among IMPACT_COLUMNS); returns its id."""
        unknown = set(values) - set(IMPACT_COLUMNS)
        if unknown:
            raise ValueError(f"unknown impact columns: {sorted(unknown)}")
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.transaction(index=False) as conn:  # searches read nothing here
            row = conn.execute(f"INSERT INTO impacts ({columns}) VALUES ({marks}) RETURNING id",
                               list(values.values())).fetchone()
        return int(row[0])

    def impact_kind_totals(self, kind: str) -> dict[str, Any]:
        """``{"rows", "energy_wh", "gco2e"}``: how many ``impacts`` rows of ``kind`` (answer,
        ingest_run, ingest_document…) there are and the sum of their energy (Wh) and
        emissions (gCO2e), 0.0 when there is none."""
        row = self.conn.execute("SELECT COUNT(*), SUM(energy_wh), SUM(gco2e) FROM impacts"
                                " WHERE kind = ?", (kind,)).fetchone()
        return {"rows": int(row[0]), "energy_wh": float(row[1] or 0.0),
                "gco2e": float(row[2] or 0.0)}

    def impact_summary(self, since: date | None, by: str) -> dict[str, Any]:
        """Totals, groups by ``by`` (user | collection | day) and the daily trend of the
        ``answer`` and ``ingest_run`` rows since ``since`` (local days), with the count of
        ``ingest_document`` rows, methods and cloud models; shape in clos.impact.ledger.summary."""
        group_expr = {"user": "i.user_name", "collection": "COALESCE(c.name, '')",
                      "day": self.LOCAL_DAY}
        date_filter, params = "", []
        if since is not None:
            date_filter, params = f" AND {self.LOCAL_DAY} >= ?", [since.isoformat()]
        where = "i.kind IN ('answer', 'ingest_run')" + date_filter
        conn = self.conn
        totals = self._aggregate(None, where, params)
        documents = conn.execute(
            f"SELECT COUNT(*) FROM impacts i WHERE i.kind = 'ingest_document'{date_filter}",
            params).fetchone()[0]
        methods = {r[0]: r[1] for r in conn.execute(
            f"SELECT i.method, COUNT(*) FROM impacts i WHERE {where} GROUP BY i.method"
            " ORDER BY 2 DESC, 1", params).fetchall()}
        models = [r[0] for r in conn.execute(
            f"SELECT DISTINCT i.cloud_model FROM impacts i WHERE {where}"
            " AND i.cloud_model IS NOT NULL ORDER BY 1", params).fetchall()]
        return {"totals": totals[0] if totals else None, "ingest_documents": int(documents),
                "groups": self._aggregate(group_expr[by], where, params),
                "trend": self._aggregate(group_expr["day"], where, params),
                "methods": methods, "cloud_models": models}

    def _aggregate(self, key_expr: str | None, where: str, params: list) -> list[dict[str, Any]]:
        key = key_expr or "NULL"
        is_answer = "CASE WHEN i.kind = 'answer' THEN 1 ELSE 0 END"
        sql = (
            f"SELECT {key} AS key,"
            f" SUM({is_answer}) AS answers,"
            " SUM(CASE WHEN i.kind = 'ingest_run' THEN 1 ELSE 0 END) AS ingest_runs,"
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
        for r in self.conn.execute(sql, params).fetchall():
            if not r[-1]:  # no matching row: one row of NULLs comes back without GROUP BY
                continue
            rows.append({
                "key": r[0], "answers": int(r[1] or 0), "ingest_runs": int(r[2] or 0),
                "energy_wh": float(r[3] or 0.0), "gco2e": float(r[4] or 0.0),
                "primary_energy_wh": float(r[5] or 0.0), "duration_s": float(r[6] or 0.0),
                "answers_energy_wh": float(r[7] or 0.0), "answers_gco2e": float(r[8] or 0.0),
                "cloud_energy_wh": [float(r[9] or 0.0), float(r[10] or 0.0)],
                "cloud_gco2e": [float(r[11] or 0.0), float(r[12] or 0.0)],
                "prompt_tokens": int(r[13] or 0), "completion_tokens": int(r[14] or 0),
            })
        if key_expr is None:
            for row in rows:
                row.pop("key")
        return rows
