"""The corpus report: documents by type and folder, flags and why, personal data by type,
duplicates and decisions, and every file not read whole (failed, excluded, partly read) with why. As a dict (JSON), a Rich renderable, and a standalone French HTML page
with inline SVG charts, each chart followed by the table that says the same in text."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from clos.govern import records
from clos.govern.flags import LABELS_FR as FLAG_LABELS
from clos.govern.pii import LABELS_FR as PII_LABELS
from clos.govern.policy import DECISION_LABELS_FR, POLICY_LABELS_FR, get_policy
from clos.ingest.accounting import STATUS_LABELS_FR
from clos.store.protocol import GovernanceStore


def build_report(store: GovernanceStore, collection_id: int, *, collection: str = "",
                 settings: Any = None) -> dict[str, Any]:
    """Everything governance recorded for one collection, aggregated for people."""
    rows = records.review_rows(store, collection_id)
    policy = get_policy(store, collection_id, settings)
    pii: dict[str, dict[str, int]] = {}
    for r in rows:
        for type_, n in r["pii"].items():
            entry = pii.setdefault(type_, {"count": 0, "kept": 0, "documents": 0})
            entry["count"] += n
            entry["kept"] += r["pii_kept"].get(type_, 0)
            entry["documents"] += 1
    flagged = [
        {"path": r["path"], "title": r["title"], "kind": f["kind"], "reason": f["reason"],
         "decision": r["decision"], "related_path": f["related_path"]}
        for r in rows for f in r["flags"]
    ]
    duplicates = [f for f in flagged if f["kind"] in ("doublon", "version")]
    decisions = Counter(r["decision"] for r in rows)
    # Files not read whole (failed, excluded, partly read, or read with a note), with why.
    reading = [{"path": r["path"], "status": r["status"], "reasons": r["reasons"]}
               for r in store.reading_reports(collection_id)
               if r["status"] != "indexed" or r["reasons"]]
    read_status = Counter(r["status"] for r in reading)
    return {
        "collection": collection,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "policy": {**{k: v for k, v in policy.to_dict().items() if k != "allow"},
                   "allow_count": len(policy.allow)},
        "totals": {
            "documents": len(rows),
            "indexed": decisions.get("index", 0),
            "index_with_warning": decisions.get("index_with_warning", 0),
            "excluded": decisions.get("exclude", 0),
            "pages": sum(r["pages"] or 0 for r in rows),
            # Private data only: names kept in a public role (PERSONNE_PUBLIQUE) do not count.
            "with_pii": sum(1 for r in rows if set(r["pii"]) - {"PERSONNE_PUBLIQUE"}),
            "flagged": sum(1 for r in rows if r["flags"]),
        },
        "reading": reading,
        "reading_totals": {s: read_status.get(s, 0) for s in ("partial", "excluded", "failed")},
        "decisions": {d: decisions.get(d, 0) for d in DECISION_LABELS_FR},
        "by_format": dict(Counter((r["format"] or "?").lower() for r in rows).most_common()),
        "by_folder": dict(Counter(_short_folder(r["folder"]) for r in rows).most_common()),
        "flags": dict(Counter(f["kind"] for f in flagged).most_common()),
        "flagged": flagged,
        "pii": dict(sorted(pii.items(), key=lambda kv: -kv[1]["count"])),
        "duplicates": duplicates,
        # Names seen acting in a public role, learnt from the documents (issue 15).
        "public_names": [{"name": n["name"], "documents": n["documents"]}
                         for n in store.public_names(collection_id)],
        "documents_with_public_names": sum(1 for r in rows if "PERSONNE_PUBLIQUE" in r["pii"]),
        # Chunks holding lines repeated across the collection (preambles), which word search
        # ignores (issue 15, migration 017): {chunks, chunks_marked}.
        "repeated": store.boilerplate_counts(collection_id),
        "documents": [
            {"path": r["path"], "title": r["title"], "format": r["format"], "pages": r["pages"],
             "decision": r["decision"], "flags": [f["kind"] for f in r["flags"]],
             "pii": r["pii"], "superseded_by": r["superseded_by"]}
            for r in rows
        ],
    }


def display_name(path: str | None) -> str:
    """A file's name for people; an attachment reads « message.eml › facture.pdf »."""
    from clos.ingest.mail import ATTACHMENT

    if not path:
        return ""
    message, _, attachment = path.partition(ATTACHMENT)
    return f"{Path(message).name} › {attachment}" if attachment else Path(path).name


def _short_folder(folder: str) -> str:
    parts = Path(folder).parts
    return str(Path(*parts[-2:])) if len(parts) > 2 else folder or "."


# ------------------------------------------------------------------ Rich
def render_rich(report: dict[str, Any]) -> Any:
    """A Rich renderable of the report for the terminal."""
    from rich.console import Group
    from rich.table import Table

    t = report["totals"]
    summary = Table(title=f"Rapport du corpus « {report['collection']} »", show_header=False)
    for label, value in (("Documents", t["documents"]), ("Pages", t["pages"]),
                         ("Indexés", t["indexed"]),
                         ("Indexés avec avertissement", t["index_with_warning"]),
                         ("Exclus", t["excluded"]),
                         ("Lus en partie", report["reading_totals"]["partial"]),
                         ("En erreur de lecture", report["reading_totals"]["failed"]),
                         ("Avec données personnelles", t["with_pii"]),
                         ("Avec des noms dans un rôle public", report.get("documents_with_public_names", 0)),
                         ("Extraits aux passages répétés, ignorés par la recherche par mots",
                          "{chunks_marked} / {chunks}".format(**report.get(
                              "repeated", {"chunks_marked": 0, "chunks": 0})))):
        summary.add_row(label, str(value))
    parts: list[Any] = [summary]
    parts.append(_table("Documents par format", "Format", report["by_format"]))
    parts.append(_table("Documents par dossier", "Dossier", report["by_folder"]))
    parts.append(_table("Signalements", "Motif",
                        {FLAG_LABELS.get(k, k): v for k, v in report["flags"].items()}))
    pii = Table(title="Données personnelles trouvées")
    for col in ("Type", "Occurrences", "Conservées", "Documents"):
        pii.add_column(col)
    for type_, e in report["pii"].items():
        pii.add_row(PII_LABELS.get(type_, type_), str(e["count"]), str(e["kept"]), str(e["documents"]))
    parts.append(pii)
    if report.get("public_names"):
        names = Table(title=f"Noms dans un rôle public ({report['policy'].get('public_roles', 'garder')})")
        for col in ("Nom", "Documents"):
            names.add_column(col)
        for n in report["public_names"]:
            names.add_row(n["name"], str(n["documents"]))
        parts.append(names)
    if report.get("reading"):
        reading = Table(title="Fichiers lus en partie, exclus ou en erreur")
        for col in ("Fichier", "État", "Raisons"):
            reading.add_column(col)
        for r in report["reading"]:
            reading.add_row(r["path"], STATUS_LABELS_FR.get(r["status"], r["status"]),
                            " ; ".join(r["reasons"]))
        parts.append(reading)
    if report["flagged"]:
        detail = Table(title="Documents signalés")
        for col in ("Fichier", "Motif", "Raison", "Décision"):
            detail.add_column(col)
        for f in report["flagged"]:
            detail.add_row(display_name(f["path"]), FLAG_LABELS.get(f["kind"], f["kind"]), f["reason"],
                           DECISION_LABELS_FR.get(f["decision"], f["decision"]))
        parts.append(detail)
    return Group(*parts)


def _table(title: str, header: str, counts: dict[str, int]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    table.add_column(header)
    table.add_column("Documents", justify="right")
    for key, n in counts.items():
        table.add_row(str(key), str(n))
    return table


# ------------------------------------------------------------------ HTML
_PALETTE = ["#1f4e79", "#2e7d32", "#b35c00", "#6a1b9a", "#00695c", "#8e2430", "#455a64"]


def _bars(counts: dict[str, int], labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Geometry of a horizontal bar chart; values are printed so colour never carries meaning."""
    labels = labels or {}
    items = [(labels.get(k, str(k)), v) for k, v in counts.items() if v]
    top = max((v for _, v in items), default=0) or 1
    row, label_w, bar_w = 28, 230, 360
    bars = [{"label": label, "value": v, "y": i * row, "width": max(2, round(bar_w * v / top)),
             "colour": _PALETTE[i % len(_PALETTE)]} for i, (label, v) in enumerate(items)]
    return {"bars": bars, "height": max(row, len(bars) * row), "label_w": label_w,
            "width": label_w + bar_w + 60}


def render_html(report: dict[str, Any]) -> str:
    """Standalone, accessible French HTML page (no script, no external resource)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("clos.govern", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    decisions = {DECISION_LABELS_FR[k]: v for k, v in report["decisions"].items()}
    charts = {
        "decisions": _bars(decisions),
        "formats": _bars(report["by_format"]),
        "folders": _bars(dict(list(report["by_folder"].items())[:15])),
        "flags": _bars(report["flags"], FLAG_LABELS),
        "pii": _bars({k: v["count"] for k, v in report["pii"].items()}, PII_LABELS),
    }
    return env.get_template("report.html.j2").render(
        r=report, charts=charts, flag_labels=FLAG_LABELS, pii_labels=PII_LABELS,
        decision_labels=DECISION_LABELS_FR, policy_labels=POLICY_LABELS_FR,
        status_labels=STATUS_LABELS_FR,
        name=display_name,
    )
